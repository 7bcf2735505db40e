/*
 * bench/gen - deterministic Apache combined log generator for the benchmarks.
 *
 * Two modes:
 *
 * - Size mode (default): writes whole lines, at most --size bytes (default
 *   1 GiB), to stdout or --out. The same seed gives the same bytes, and a
 *   smaller size gives a prefix of a larger one. Timestamps start at
 *   2025-01-01T00:00:00Z and move forward 0-99 ms per line, so a gigabyte
 *   spans a few days (a few daily indices).
 * - Rate mode (--rate N --duration S): appends N lines per second to --out
 *   for S seconds, in 1 ms ticks, the way a busy web server writes its
 *   access log. Each line carries its write time as a query parameter
 *   `lsbt=<CLOCK_MONOTONIC ns>`, which bench/sink --latency reads back from
 *   the indexed document to measure the delay from write to index.
 *
 * Lines are built straight into a 1 MiB output buffer from fixed tables and
 * a splitmix64 generator: clients (IPv4 and compressed IPv6), users or "-",
 * methods, paths with and without query strings, protocols, statuses, sizes
 * or "-", referrers and user agents (a few with escaped quotes). No
 * allocation or formatting library call per line, so it writes several
 * hundred MB/s and never limits the benchmark.
 *
 * --count prints "lines=N bytes=B" on stderr at the end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GEN_BUF_BYTES   (1u << 20) /* output buffer */
#define GEN_LINE_MAX    2048u      /* a line is always shorter than this */
#define GEN_START_EPOCH 1735689600 /* 2025-01-01T00:00:00Z */
#define GEN_TICK_NS     1000000L   /* rate mode: one write per millisecond */

struct gen {
    uint64_t rng;       /* splitmix64 state */
    int64_t now_ms;     /* time of the current line (size mode) */
    int64_t cached_sec; /* second whose text is in date[] */
    char date[32];      /* "01/Jan/2025:00:00:00 +0000" */
    size_t date_len;
    uint64_t marker_ns; /* rate mode: lsbt value of the current lines */
    bool marker;        /* rate mode: add lsbt= to every line */
};

/* A string with its length, so no strlen per line. */
struct gen_s {
    const char *p;
    size_t n;
};
#define S(lit)                                                                 \
    {                                                                          \
        lit, sizeof(lit) - 1                                                   \
    }

static const struct gen_s gen_users[] = {
    S("alice"),   S("bob"),   S("carol"),  S("dave"),       S("erin"),
    S("frank"),   S("grace"), S("heidi"),  S("ivan"),       S("judy"),
    S("mallory"), S("oscar"), S("peggy"),  S("trent"),      S("victor"),
    S("walter"),  S("admin"), S("deploy"), S("svc-backup"), S("j.doe"),
};

/* Weighted: 80 GET, 12 POST, 3 HEAD, 2 PUT, 2 DELETE, 1 OPTIONS. */
static const struct gen_s gen_methods[] = {
    S("GET"), S("POST"), S("HEAD"), S("PUT"), S("DELETE"), S("OPTIONS"),
};
static const unsigned gen_method_cum[] = {80, 92, 95, 97, 99, 100};

/* Path shapes: a prefix, then (kind 1) a number, or (kind 2) hex + suffix. */
static const struct {
    struct gen_s prefix;
    struct gen_s suffix;
    int kind;
} gen_sections[] = {
    {S("/"), S(""), 0},
    {S("/index.html"), S(""), 0},
    {S("/api/v1/users/"), S(""), 1},
    {S("/api/v1/orders/"), S(""), 1},
    {S("/api/v2/search"), S(""), 0},
    {S("/static/js/app."), S(".js"), 2},
    {S("/static/css/main."), S(".css"), 2},
    {S("/images/product-"), S(".png"), 2},
    {S("/blog/2024/"), S(""), 1},
    {S("/products/"), S(""), 1},
    {S("/cart"), S(""), 0},
    {S("/checkout"), S(""), 0},
    {S("/login"), S(""), 0},
    {S("/logout"), S(""), 0},
    {S("/wp-login.php"), S(""), 0},
    {S("/favicon.ico"), S(""), 0},
    {S("/robots.txt"), S(""), 0},
    {S("/health"), S(""), 0},
    {S("/assets/fonts/inter-"), S(".woff2"), 2},
    {S("/docs/guide/"), S(""), 1},
};

static const struct gen_s gen_words[] = {
    S("shoes"),  S("laptop"), S("coffee"), S("garden"), S("bike"),
    S("camera"), S("lamp"),   S("desk"),   S("phone"),  S("jacket"),
    S("tent"),   S("guitar"), S("kettle"), S("watch"),  S("books"),
    S("chair"),  S("router"), S("socks"),  S("paint"),  S("drill"),
};

static const struct gen_s gen_protocols[] = {
    S("HTTP/1.1"),
    S("HTTP/1.0"),
    S("HTTP/2.0"),
};

/* Weighted statuses: the cumulative weights are out of 1000. */
static const unsigned gen_statuses[] = {200, 304, 301, 302, 404, 206,
                                        201, 403, 401, 500, 503};
static const unsigned gen_status_cum[] = {760, 840, 860, 890, 950, 960,
                                          975, 983, 990, 997, 1000};

/* Referrers: kind 1 ends with a word, 2 with an item id, 3 with a number. */
static const struct {
    struct gen_s url;
    int kind;
} gen_referrers[] = {
    {S("https://www.example.com/"), 3},
    {S("https://www.example.com/products/"), 3},
    {S("https://www.google.com/search?q="), 1},
    {S("https://duckduckgo.com/?q="), 1},
    {S("https://news.ycombinator.com/item?id="), 2},
    {S("https://www.bing.com/search?q="), 1},
    {S("https://t.co/"), 3},
    {S("android-app://com.google.android.gm/"), 3},
};

static const struct gen_s gen_agents[] = {
    S("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    S("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
      "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"),
    S("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    S("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
      "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 "
      "Safari/604.1"),
    S("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"),
    S("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67"),
    S("Mozilla/5.0 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)"),
    S("Mozilla/5.0 (compatible; bingbot/2.0; "
      "+http://www.bing.com/bingbot.htm)"),
    S("curl/8.5.0"),
    S("python-requests/2.31.0"),
    S("Go-http-client/1.1"),
    S("Prometheus/2.51.0"),
    S("Wget/1.21.4"),
    S("Mozilla/5.0 (compatible; \\\"ScannerBot\\\" v1.0)"),
    S("-"),
};

#define GEN_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char gen_month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};

/* Next 64 random bits (splitmix64). */
static inline uint64_t
gen_next(struct gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static inline uint32_t
gen_below(struct gen *g, uint32_t n)
{
    return (uint32_t)(((gen_next(g) >> 32) * (uint64_t)n) >> 32);
}

/* Index into a cumulative weight table whose last entry is the total. */
static size_t
gen_weighted(struct gen *g, const unsigned *cum, size_t n)
{
    uint32_t r = gen_below(g, cum[n - 1]);
    size_t i = 0;
    while (r >= cum[i])
        i++;
    return i;
}

/* Appends a table string; returns the new end. */
static inline char *
gen_str(char *p, const struct gen_s *s)
{
    memcpy(p, s->p, s->n);
    return p + s->n;
}

/* Appends a string literal; returns the new end. */
#define GEN_LIT(p, lit)                                                        \
    (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* Appends v in decimal; returns the new end. */
static char *
gen_u64(char *p, uint64_t v)
{
    char tmp[24];
    char *t = tmp + sizeof(tmp);
    do {
        *--t = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    size_t n = (size_t)(tmp + sizeof(tmp) - t);
    memcpy(p, t, n);
    return p + n;
}

/* Appends v in lowercase hex without leading zeros; returns the new end. */
static char *
gen_hex(char *p, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[8];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* Appends a client address: 85% IPv4, 15% compressed IPv6. */
static char *
gen_client(struct gen *g, char *p)
{
    uint64_t r = gen_next(g);
    if ((r & 0xff) < 218) {
        uint8_t first = (uint8_t)(1 + (r >> 8) % 223);
        p = gen_u64(p, first);
        for (int i = 0; i < 3; i++) {
            *p++ = '.';
            p = gen_u64(p, (r >> (16 + 8 * i)) & 0xff);
        }
        return p;
    }
    static const struct gen_s prefixes[] = {S("2001:db8:"), S("2a02:1205:"),
                                            S("2600:1f18:"), S("fe80::")};
    const struct gen_s *pre = &prefixes[(r >> 8) & 3];
    p = gen_str(p, pre);
    uint64_t r2 = gen_next(g);
    if (pre->p[pre->n - 2] != ':') { /* not already compressed */
        p = gen_hex(p, (uint32_t)(r2 & 0xffff));
        p = GEN_LIT(p, "::");
    }
    p = gen_hex(p, (uint32_t)((r2 >> 16) & 0xffff));
    *p++ = ':';
    return gen_hex(p, (uint32_t)((r2 >> 32) & 0xffff));
}

/* Appends a path, often with a query string. */
static char *
gen_path(struct gen *g, char *p)
{
    uint64_t r = gen_next(g);
    size_t i = r % GEN_NELEM(gen_sections);
    p = gen_str(p, &gen_sections[i].prefix);
    if (gen_sections[i].kind == 1)
        p = gen_u64(p, (r >> 8) % 100000);
    else if (gen_sections[i].kind == 2)
        p = gen_str(gen_hex(p, (uint32_t)(r >> 16)), &gen_sections[i].suffix);
    switch ((r >> 48) % 10) {
    case 0:
    case 1:
        p = GEN_LIT(p, "?q=");
        p = gen_str(p, &gen_words[(r >> 52) % GEN_NELEM(gen_words)]);
        p = GEN_LIT(p, "&page=");
        return gen_u64(p, 1 + (r >> 56) % 20);
    case 2:
        p = GEN_LIT(p, "?id=");
        return gen_u64(p, (r >> 24) & 0xffffff);
    case 3:
        p = GEN_LIT(p, "?utm_source=newsletter&utm_medium=email&utm_campaign=");
        return gen_str(p, &gen_words[(r >> 52) % GEN_NELEM(gen_words)]);
    case 4:
        p = GEN_LIT(p, "?session=");
        r = gen_next(g);
        p = gen_hex(p, (uint32_t)r);
        return gen_hex(p, (uint32_t)(r >> 32));
    default:
        return p;
    }
}

/* Appends a referrer (the quoted value, without quotes). */
static char *
gen_referrer(struct gen *g, char *p)
{
    uint64_t r = gen_next(g);
    if (r % 10 < 4)
        return GEN_LIT(p, "-");
    size_t i = (r >> 8) % GEN_NELEM(gen_referrers);
    p = gen_str(p, &gen_referrers[i].url);
    switch (gen_referrers[i].kind) {
    case 1:
        return gen_str(p, &gen_words[(r >> 16) % GEN_NELEM(gen_words)]);
    case 2:
        return gen_u64(p, 30000000 + (r >> 24) % 1000000);
    default:
        return gen_u64(p, (r >> 24) % 1000);
    }
}

/* Refreshes the cached date text when the current second changed. */
static void
gen_date(struct gen *g, int64_t sec)
{
    if (sec == g->cached_sec)
        return;
    g->cached_sec = sec;
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    char *p = g->date;
    *p++ = (char)('0' + tm.tm_mday / 10);
    *p++ = (char)('0' + tm.tm_mday % 10);
    *p++ = '/';
    memcpy(p, gen_month_names[tm.tm_mon], 3);
    p += 3;
    *p++ = '/';
    p = gen_u64(p, (uint64_t)tm.tm_year + 1900);
    int f[3] = {tm.tm_hour, tm.tm_min, tm.tm_sec};
    for (int i = 0; i < 3; i++) {
        *p++ = ':';
        *p++ = (char)('0' + f[i] / 10);
        *p++ = (char)('0' + f[i] % 10);
    }
    p = GEN_LIT(p, " +0000");
    g->date_len = (size_t)(p - g->date);
}

/* Writes one line at p (room for GEN_LINE_MAX); returns its end. */
static char *
gen_line(struct gen *g, char *p)
{
    p = gen_client(g, p);
    uint64_t r = gen_next(g);
    p = GEN_LIT(p, " - ");
    if (r % 100 < 85)
        *p++ = '-';
    else
        p = gen_str(p, &gen_users[(r >> 8) % GEN_NELEM(gen_users)]);
    p = GEN_LIT(p, " [");
    memcpy(p, g->date, g->date_len);
    p += g->date_len;
    p = GEN_LIT(p, "] \"");
    size_t m = gen_weighted(g, gen_method_cum, GEN_NELEM(gen_method_cum));
    p = gen_str(p, &gen_methods[m]);
    *p++ = ' ';
    char *path = p;
    p = gen_path(g, p);
    if (g->marker) {
        bool has_query = memchr(path, '?', (size_t)(p - path)) != NULL;
        *p++ = has_query ? '&' : '?';
        p = GEN_LIT(p, "lsbt=");
        p = gen_u64(p, g->marker_ns);
    }
    *p++ = ' ';
    p = gen_str(p, &gen_protocols[(r >> 16) % 20 == 0 ? 1 + (r >> 24) % 2 : 0]);
    p = GEN_LIT(p, "\" ");
    size_t s = gen_weighted(g, gen_status_cum, GEN_NELEM(gen_status_cum));
    p = gen_u64(p, gen_statuses[s]);
    *p++ = ' ';
    if (gen_statuses[s] == 304 || (r >> 32) % 50 == 0)
        *p++ = '-';
    else
        p = gen_u64(p, (r >> 40) % ((r >> 36) % 4 == 0 ? 2000000 : 40000));
    p = GEN_LIT(p, " \"");
    p = gen_referrer(g, p);
    p = GEN_LIT(p, "\" \"");
    p = gen_str(p, &gen_agents[gen_below(g, GEN_NELEM(gen_agents))]);
    p = GEN_LIT(p, "\"\n");
    return p;
}

/* Writes all of buf; returns 0 or -errno. */
static int
gen_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Size mode: writes whole lines up to size bytes; counts them. */
static int
gen_size_mode(struct gen *g, int fd, uint64_t size, uint64_t *lines,
              uint64_t *bytes)
{
    char *buf = malloc(GEN_BUF_BYTES);
    if (buf == NULL)
        return -ENOMEM;
    size_t used = 0;
    int rc = 0;
    for (;;) {
        gen_date(g, g->now_ms / 1000);
        char *end = gen_line(g, buf + used);
        size_t len = (size_t)(end - (buf + used));
        if (*bytes + len > size)
            break;
        used += len;
        *bytes += len;
        (*lines)++;
        g->now_ms += gen_below(g, 100);
        if (used > GEN_BUF_BYTES - GEN_LINE_MAX) {
            if ((rc = gen_write_all(fd, buf, used)) < 0)
                break;
            used = 0;
        }
    }
    if (rc == 0)
        rc = gen_write_all(fd, buf, used);
    free(buf);
    return rc;
}

/* Nanoseconds on the given clock. */
static int64_t
gen_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Rate mode: rate lines per second for duration_s, one write per tick. */
static int
gen_rate_mode(struct gen *g, int fd, uint64_t rate, double duration_s,
              uint64_t *lines, uint64_t *bytes)
{
    uint64_t total = (uint64_t)((double)rate * duration_s + 0.5);
    char *buf = malloc(GEN_BUF_BYTES);
    if (buf == NULL)
        return -ENOMEM;
    int64_t start = gen_clock_ns(CLOCK_MONOTONIC);
    int64_t next = start;
    int rc = 0;
    g->marker = true;
    while (*lines < total && rc == 0) {
        next += GEN_TICK_NS;
        int64_t now = gen_clock_ns(CLOCK_MONOTONIC);
        if (next > now) {
            struct timespec ts = {(time_t)(next / 1000000000),
                                  (long)(next % 1000000000)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
            now = gen_clock_ns(CLOCK_MONOTONIC);
        }
        uint64_t due = (uint64_t)((double)(now - start) * 1e-9 * (double)rate);
        if (due > total)
            due = total;
        gen_date(g, gen_clock_ns(CLOCK_REALTIME) / 1000000000);
        g->marker_ns = (uint64_t)now;
        size_t used = 0;
        while (*lines < due && used < GEN_BUF_BYTES - GEN_LINE_MAX) {
            char *end = gen_line(g, buf + used);
            used += (size_t)(end - (buf + used));
            (*lines)++;
        }
        *bytes += used;
        rc = gen_write_all(fd, buf, used);
    }
    free(buf);
    return rc;
}

/* Parses "2GiB", "100MiB", "64k", "12345"; returns false if malformed. */
static bool
gen_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || v < 0)
        return false;
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {
        {"", 1},    {"B", 1},    {"k", 1e3},
        {"K", 1e3}, {"KB", 1e3}, {"KiB", 1024.0},
        {"M", 1e6}, {"MB", 1e6}, {"MiB", 1048576.0},
        {"G", 1e9}, {"GB", 1e9}, {"GiB", 1073741824.0},
    };
    for (size_t i = 0; i < GEN_NELEM(units); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *out = (uint64_t)(v * units[i].mult);
            return true;
        }
    }
    return false;
}

static const char gen_usage[] =
    "usage: gen [--size SIZE] [--seed N] [--out FILE] [--count]\n"
    "       gen --rate LINES_PER_S --duration SECONDS --out FILE [--count]\n"
    "\n"
    "Writes Apache combined log lines. Size mode: whole lines, at most SIZE\n"
    "bytes (default 1GiB; units B, K/KB, KiB, M/MB, MiB, G/GB, GiB), the same\n"
    "bytes for the same seed, to FILE (truncated) or stdout. Rate mode:\n"
    "appends to FILE at the given rate, each line with lsbt=<monotonic ns>\n"
    "in its query string. --count: print lines=N bytes=B on stderr.\n";

struct gen_opts {
    uint64_t size;
    uint64_t seed;
    uint64_t rate;
    double duration;
    const char *out;
    bool count;
};

/* Parses argv into o; returns 0, or 2 after printing a usage error. */
static int
gen_parse_args(int argc, char **argv, struct gen_opts *o)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"count", no_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "s:S:o:cr:d:h", longopts, NULL)) !=
           -1) {
        char *end = NULL;
        switch (c) {
        case 's':
            if (!gen_parse_size(optarg, &o->size))
                goto bad;
            break;
        case 'S':
            o->seed = strtoull(optarg, &end, 0);
            if (*end != '\0')
                goto bad;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'c':
            o->count = true;
            break;
        case 'r':
            o->rate = strtoull(optarg, &end, 10);
            if (*end != '\0' || o->rate == 0)
                goto bad;
            break;
        case 'd':
            o->duration = strtod(optarg, &end);
            if (*end != '\0' || o->duration <= 0)
                goto bad;
            break;
        case 'h':
            fputs(gen_usage, stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind == argc && (o->rate == 0 || (o->duration > 0 && o->out)))
        return 0;
bad:
    fputs(gen_usage, stderr);
    return 2;
}

int
main(int argc, char **argv)
{
    struct gen_opts o = {.size = 1073741824ull, .seed = 1};
    if (gen_parse_args(argc, argv, &o) != 0)
        return 2;
    int fd = 1;
    if (o.out != NULL) {
        int flags =
            O_WRONLY | O_CREAT | O_CLOEXEC | (o.rate ? O_APPEND : O_TRUNC);
        fd = open(o.out, flags, 0644);
        if (fd < 0) {
            fprintf(stderr, "gen: %s: %s\n", o.out, strerror(errno));
            return 1;
        }
    }
    struct gen g = {.rng = o.seed,
                    .now_ms = (int64_t)GEN_START_EPOCH * 1000,
                    .cached_sec = -1};
    uint64_t lines = 0, bytes = 0;
    int rc = o.rate ? gen_rate_mode(&g, fd, o.rate, o.duration, &lines, &bytes)
                    : gen_size_mode(&g, fd, o.size, &lines, &bytes);
    if (rc == 0 && o.out != NULL && close(fd) < 0)
        rc = -errno;
    if (rc < 0) {
        fprintf(stderr, "gen: write: %s\n", strerror(-rc));
        return 1;
    }
    if (o.count)
        fprintf(stderr, "lines=%" PRIu64 " bytes=%" PRIu64 "\n", lines, bytes);
    return 0;
}
