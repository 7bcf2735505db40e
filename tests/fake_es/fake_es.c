/*
 * fake_es - fault-injecting Elasticsearch/OpenSearch-compatible HTTP server
 * for logship integration tests.
 *
 * A real cluster will not answer "429 for the 3rd document of the 2nd bulk
 * request" or "reset the connection half-way through the response" on
 * demand; this server will, deterministically.  It speaks just enough of the
 * REST API for a log shipper:
 *
 *   GET|HEAD /                      cluster info (--version selects it)
 *   POST|PUT /_bulk, /<index>/_bulk, /<index>/<type>/_bulk
 *                                   NDJSON bulk; Content-Length or chunked
 *                                   bodies, Content-Encoding gzip/deflate
 *   PUT|POST|GET|HEAD|DELETE /_index_template/<n>, /_template/<n>,
 *        /_component_template/<n>, /_ilm/policy/<n>, /_data_stream/<n>,
 *        /_ingest/pipeline/<n>, /_plugins/_ism/policies/<n>
 *                                   stored in memory, {"acknowledged":true}
 *   GET /_cluster/health            always green
 *   GET /_fake/stats                counters as JSON (not counted/recorded)
 *   anything else                   404 JSON error
 *
 * One thread, one poll() loop, any number of keep-alive connections.  Only
 * 127.0.0.1 is used.
 *
 * Fault script (--script F, or --fault RULE), one rule per line, applied to
 * bulk requests numbered 1, 2, 3... in arrival order:
 *
 *   [req SET] FAULT [commit|no-commit]        SET: * | N,N-M,N- ...
 *   FAULT: item SET status CODE | item CODE at SET | item-status-every K CODE
 *        | http CODE [if-items-over K] | delay MS | reset-before | reset-mid
 *        | truncate | garbage [CODE] | hang
 *
 * e.g. "req 1 item 3 status 429", "req 2 http 503", "req 4 reset-mid".
 * The full description (precedence, error types, defaults) is the usage
 * text fake_es_usage below, printed by fake_es --help.
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
 *            -o fake_es tests/fake_es/fake_es.c -ljansson -lz
 */
#define ZLIB_CONST
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const char fake_es_usage[] =
    "usage: fake_es [options]\n"
    "\n"
    "Fault-injecting Elasticsearch/OpenSearch-compatible HTTP server for\n"
    "tests.  Listens on 127.0.0.1 and prints one line\n"
    "  FAKE_ES_READY http://127.0.0.1:PORT\n"
    "on stdout once it accepts connections.  SIGTERM/SIGINT: print the\n"
    "stats JSON on stderr and exit 0.\n"
    "\n"
    "options:\n"
    "  -p, --port N          port on 127.0.0.1 (default 0 = pick a free one)\n"
    "      --port-file F     also write the port number to F\n"
    "      --version V       6.8.23 | 7.17.0 | 8.15.0 | 9.1.0 | "
    "opensearch:2.19.1\n"
    "                        (any X.Y.Z or opensearch:X.Y.Z; default 8.15.0)\n"
    "  -s, --script F        read fault rules from F (one per line)\n"
    "  -f, --fault RULE      add one fault rule (repeatable, after --script)\n"
    "      --dedup           remember indexed ids: create of a known id -> "
    "409,\n"
    "                        index of a known id -> 200 updated\n"
    "  -r, --record DIR      log requests to DIR/requests.ndjson and save\n"
    "                        each decoded body to DIR/req-NNNN.body\n"
    "      --max-body BYTES  refuse larger bodies (wire or decoded) with 413\n"
    "                        (default 209715200 = 200 MiB)\n"
    "      --lenient         skip version checks (_type required on 6.x,\n"
    "                        rejected on ES >= 8 / OpenSearch >= 2) and "
    "source\n"
    "                        JSON validation (invalid JSON or duplicate keys\n"
    "                        -> item 400 mapper_parsing_exception)\n"
    "  -v, --verbose         one line per request on stderr\n"
    "  -h, --help            this text\n"
    "\n"
    "fault rules (apply to bulk requests only; bulk requests are numbered\n"
    "1, 2, 3... in arrival order over all connections; '#' starts a "
    "comment):\n"
    "\n"
    "  [req SET] FAULT [commit|no-commit]\n"
    "\n"
    "  SET     *  or a comma list of N, N-M, N-   (no 'req' = every request)\n"
    "  FAULT   item SET status CODE     items at these 1-based positions fail\n"
    "          item CODE at SET         the same, other word order\n"
    "          item-status-every K CODE items K, 2K, 3K... fail with CODE\n"
    "          http CODE [if-items-over K]\n"
    "                                   whole request fails with CODE (only\n"
    "                                   if it holds more than K actions)\n"
    "          delay MS                 answer MS milliseconds late\n"
    "          reset-before             RST (SO_LINGER 0), nothing sent\n"
    "          reset-mid                headers + half the body, then RST\n"
    "          truncate                 headers + half the body, then FIN\n"
    "          garbage [CODE]           HTML page, status CODE (default 200)\n"
    "          hang                     never answer (until the client "
    "leaves)\n"
    "\n"
    "  Item codes: 400 mapper_parsing_exception, 403 cluster_block_exception,\n"
    "  404 index_not_found_exception, 409 version_conflict_engine_exception,\n"
    "  429 es_rejected_execution_exception, 503 unavailable_shards_exception,\n"
    "  other 4xx/5xx exception.  Whole-request codes: 400\n"
    "  illegal_argument_exception, 401 security_exception, 403\n"
    "  cluster_block_exception, 404 index_not_found_exception, 413 empty "
    "body,\n"
    "  429 es_rejected_execution_exception, 503 cluster_block_exception,\n"
    "  other exception.\n"
    "\n"
    "  All item rules and delays that match a request apply (for the same\n"
    "  position the later rule wins; delays add up).  Of the response\n"
    "  faults (http, reset-*, truncate, garbage, hang) the first matching\n"
    "  rule in file order wins.  'commit' means the documents are indexed\n"
    "  (ids remembered by --dedup, counted in stats) although the client\n"
    "  never sees a proper answer; default: reset-mid and truncate commit,\n"
    "  the others do not.\n"
    "\n"
    "  examples:  req 1 item 3 status 429      req * item 5 status 409\n"
    "             item 503 at 2,4              req 2 http 429\n"
    "             req 3-5 http 413 if-items-over 100\n"
    "             req 3 delay 2000             req 4 reset-before\n"
    "             req 5 reset-mid no-commit    req * item-status-every 10 "
    "429\n";

#define FAKE_ES_MAX_HEAD         (64 * 1024)
#define FAKE_ES_MAX_HEADERS      256
#define FAKE_ES_MAX_CONNS        512
#define FAKE_ES_DEFAULT_MAX_BODY ((size_t)200 * 1024 * 1024)
#define FAKE_ES_READ_CHUNK       (64 * 1024)
#define FAKE_ES_MAX_BUFFERED     (1024 * 1024)
#define FAKE_ES_DRAIN_MS         2000
#define FAKE_ES_RST_WAIT_MS      500

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static void *
fake_es_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("fake_es: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *
fake_es_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("fake_es: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *
fake_es_xstrndup(const char *s, size_t n)
{
    char *p = fake_es_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *
fake_es_xstrdup(const char *s)
{
    return fake_es_xstrndup(s, strlen(s));
}

static int64_t
fake_es_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
fake_es_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct buf {
    char *p;
    size_t len;
    size_t cap;
};

static void
buf_reserve(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        abort();
    size_t need = b->len + extra + 1; /* room for a NUL */
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->p = fake_es_xrealloc(b->p, cap);
    b->cap = cap;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    buf_reserve(b, 128);
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->p[b->len] = '\0';
        return;
    }
    if ((size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

static void
buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

static void
buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* json_string() that never returns NULL (invalid UTF-8 -> '?'). */
static json_t *
fake_es_jstr(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *t = fake_es_xstrndup(s, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] >= 0x80 || t[i] == '\0')
            t[i] = '?';
    j = json_stringn(t, n);
    free(t);
    return j ? j : json_string("");
}

static void
fake_es_count(json_t *obj, const char *key, json_int_t by)
{
    if (!obj)
        return;
    json_t *v = json_object_get(obj, key);
    if (v)
        json_integer_set(v, json_integer_value(v) + by);
    else
        json_object_set_new(obj, key, json_integer(by));
}

static void
fake_es_count_int(json_t *obj, int key)
{
    char k[16];
    snprintf(k, sizeof(k), "%d", key);
    fake_es_count(obj, k, 1);
}

static bool
fake_es_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ */
/* fault rules                                                         */

enum rule_kind {
    R_ITEM,
    R_EVERY,
    R_HTTP,
    R_DELAY,
    R_RESET_BEFORE,
    R_RESET_MID,
    R_TRUNCATE,
    R_GARBAGE,
    R_HANG,
};

static const char *const rule_kind_names[] = {
    "item",      "item-status-every", "http",    "delay", "reset-before",
    "reset-mid", "truncate",          "garbage", "hang",
};

struct range {
    uint64_t lo, hi;
};

struct rset {
    struct range *v;
    size_t n;
};

struct rule {
    enum rule_kind kind;
    struct rset reqs;
    struct rset items; /* R_ITEM */
    int status;        /* R_ITEM, R_EVERY, R_HTTP, R_GARBAGE */
    uint64_t every;    /* R_EVERY */
    int64_t over;      /* R_HTTP if-items-over, -1 = always */
    int64_t delay_ms;  /* R_DELAY */
    bool commit;
};

static void
rset_add(struct rset *rs, uint64_t lo, uint64_t hi)
{
    rs->v = fake_es_xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
    rs->v[rs->n].lo = lo;
    rs->v[rs->n].hi = hi;
    rs->n++;
}

static bool
rset_parse(const char *s, struct rset *rs)
{
    if (strcmp(s, "*") == 0) {
        rset_add(rs, 1, UINT64_MAX);
        return true;
    }
    char *copy = fake_es_xstrdup(s), *save = NULL;
    bool ok = true;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok;
         tok = strtok_r(NULL, ",", &save)) {
        uint64_t lo, hi;
        char *dash = strchr(tok, '-');
        if (dash) {
            *dash = '\0';
            ok = fake_es_parse_u64(tok, &lo);
            if (ok && dash[1] == '\0')
                hi = UINT64_MAX;
            else
                ok = ok && fake_es_parse_u64(dash + 1, &hi);
        } else {
            ok = fake_es_parse_u64(tok, &lo);
            hi = lo;
        }
        ok = ok && lo >= 1 && hi >= lo;
        if (ok)
            rset_add(rs, lo, hi);
    }
    free(copy);
    return ok && rs->n > 0;
}

static bool
rset_has(const struct rset *rs, uint64_t x)
{
    for (size_t i = 0; i < rs->n; i++)
        if (x >= rs->v[i].lo && x <= rs->v[i].hi)
            return true;
    return false;
}

static bool
fake_es_parse_code(const char *s, int lo, int hi, int *out)
{
    uint64_t v;
    if (!fake_es_parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi)
        return false;
    *out = (int)v;
    return true;
}

/* Parses one script line.  Returns 1 = rule, 0 = blank/comment, -1 = error
 * (message in err). */
static int
rule_parse(const char *line, struct rule *r, char *err, size_t errlen)
{
    char *copy = fake_es_xstrdup(line), *save = NULL;
    char *t[16];
    size_t n = 0, i = 0;
    int ret = -1;

    memset(r, 0, sizeof(*r));
    r->over = -1;
    char *hash = strchr(copy, '#');
    if (hash)
        *hash = '\0';
    for (char *tok = strtok_r(copy, " \t\r\n", &save); tok;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == sizeof(t) / sizeof(t[0])) {
            snprintf(err, errlen, "too many words");
            goto out;
        }
        t[n++] = tok;
    }
    if (n == 0) {
        ret = 0;
        goto out;
    }
#define NEED(k)                                                                \
    do {                                                                       \
        if (i + (k) > n) {                                                     \
            snprintf(err, errlen, "rule ends too early");                      \
            goto out;                                                          \
        }                                                                      \
    } while (0)
    if (strcmp(t[0], "req") == 0) {
        NEED(2);
        if (!rset_parse(t[1], &r->reqs)) {
            snprintf(err, errlen, "bad request set '%s'", t[1]);
            goto out;
        }
        i = 2;
    } else {
        rset_add(&r->reqs, 1, UINT64_MAX);
    }
    NEED(1);
    const char *k = t[i++];
    if (strcmp(k, "item") == 0) {
        NEED(3);
        const char *set, *code;
        if (strcmp(t[i + 1], "status") == 0) {
            set = t[i];
            code = t[i + 2];
        } else if (strcmp(t[i + 1], "at") == 0) {
            code = t[i];
            set = t[i + 2];
        } else {
            snprintf(err, errlen,
                     "expected 'item SET status CODE' or "
                     "'item CODE at SET'");
            goto out;
        }
        i += 3;
        r->kind = R_ITEM;
        if (!rset_parse(set, &r->items)) {
            snprintf(err, errlen, "bad item set '%s'", set);
            goto out;
        }
        if (!fake_es_parse_code(code, 400, 599, &r->status)) {
            snprintf(err, errlen, "item status must be 400..599");
            goto out;
        }
    } else if (strcmp(k, "item-status-every") == 0) {
        NEED(2);
        r->kind = R_EVERY;
        if (!fake_es_parse_u64(t[i], &r->every) || r->every == 0) {
            snprintf(err, errlen, "bad K '%s'", t[i]);
            goto out;
        }
        if (!fake_es_parse_code(t[i + 1], 400, 599, &r->status)) {
            snprintf(err, errlen, "item status must be 400..599");
            goto out;
        }
        i += 2;
    } else if (strcmp(k, "http") == 0) {
        NEED(1);
        r->kind = R_HTTP;
        if (!fake_es_parse_code(t[i++], 400, 599, &r->status)) {
            snprintf(err, errlen, "http status must be 400..599");
            goto out;
        }
        if (i < n && strcmp(t[i], "if-items-over") == 0) {
            uint64_t v;
            NEED(2);
            if (!fake_es_parse_u64(t[i + 1], &v) || v > INT64_MAX) {
                snprintf(err, errlen, "bad if-items-over count");
                goto out;
            }
            r->over = (int64_t)v;
            i += 2;
        }
    } else if (strcmp(k, "delay") == 0) {
        uint64_t v;
        NEED(1);
        r->kind = R_DELAY;
        if (!fake_es_parse_u64(t[i++], &v) || v > 24u * 3600 * 1000) {
            snprintf(err, errlen, "bad delay (milliseconds, <= 1 day)");
            goto out;
        }
        r->delay_ms = (int64_t)v;
    } else if (strcmp(k, "reset-before") == 0) {
        r->kind = R_RESET_BEFORE;
    } else if (strcmp(k, "reset-mid") == 0) {
        r->kind = R_RESET_MID;
        r->commit = true;
    } else if (strcmp(k, "truncate") == 0) {
        r->kind = R_TRUNCATE;
        r->commit = true;
    } else if (strcmp(k, "garbage") == 0) {
        r->kind = R_GARBAGE;
        r->status = 200;
        if (i < n && t[i][0] >= '0' && t[i][0] <= '9' &&
            !fake_es_parse_code(t[i++], 200, 599, &r->status)) {
            snprintf(err, errlen, "garbage status must be 200..599");
            goto out;
        }
    } else if (strcmp(k, "hang") == 0) {
        r->kind = R_HANG;
    } else {
        snprintf(err, errlen, "unknown fault '%s'", k);
        goto out;
    }
    if (i < n &&
        (strcmp(t[i], "commit") == 0 || strcmp(t[i], "no-commit") == 0)) {
        if (r->kind == R_ITEM || r->kind == R_EVERY || r->kind == R_DELAY) {
            snprintf(err, errlen, "'%s' only applies to response faults", t[i]);
            goto out;
        }
        r->commit = strcmp(t[i], "commit") == 0;
        i++;
    }
    if (i != n) {
        snprintf(err, errlen, "unexpected '%s'", t[i]);
        goto out;
    }
#undef NEED
    ret = 1;
out:
    if (ret != 1) {
        free(r->reqs.v);
        free(r->items.v);
        memset(r, 0, sizeof(*r));
    }
    free(copy);
    return ret;
}

/* ------------------------------------------------------------------ */
/* global state                                                        */

enum cstate {
    CS_HEAD,     /* reading request line + headers */
    CS_BODY,     /* reading the body */
    CS_WAIT,     /* response staged, waiting for its delay */
    CS_WRITE,    /* sending the response */
    CS_RST_WAIT, /* sent what we wanted, waiting for it to leave, then RST */
    CS_HANG,     /* never answer */
    CS_DRAIN,    /* shut down for writing, discarding input until EOF */
};

enum after { AFTER_KEEP, AFTER_CLOSE, AFTER_RST, AFTER_HANG };

enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER };

struct header {
    char *name;
    char *value;
};

struct req {
    char *head; /* NUL-split copy of the request head */
    char *method, *target, *version;
    struct header h[FAKE_ES_MAX_HEADERS];
    size_t nh;
    bool keep_alive, is_head, chunked;
    const char *content_encoding;
    uint64_t body_left; /* Content-Length bytes still to read */
    enum chunk_state ch;
    uint64_t chunk_left;
    struct buf body;
};

struct conn {
    int fd;
    uint64_t id;
    enum cstate st;
    bool peer_eof;
    bool dead;
    struct buf in;
    struct req req;
    struct buf staged; /* the complete response */
    size_t staged_limit;
    enum after after;
    int64_t wake_ms;
    struct buf out;
    size_t out_off;
};

struct version {
    bool opensearch;
    unsigned major, minor, patch;
    char number[32];
};

static struct fake_es {
    int lfd;
    int sigpipe[2];
    struct conn **conns;
    size_t nconns;
    uint64_t next_conn_id;

    struct rule *rules;
    size_t nrules;
    struct version ver;
    bool dedup, lenient, verbose;
    size_t max_body;
    char *record_dir;
    FILE *record_log;
    char *info_json;

    uint64_t requests, bulk_requests, actions, docs_indexed, id_counter;
    uint64_t seq_no, connections;
    json_t *items_by_status; /* "201": n */
    json_t *http_by_status;  /* "200": n */
    json_t *faults;          /* "reset-mid": n */
    json_t *indices;         /* index -> successful writes */
    json_t *docs;            /* --dedup: "len:index:id" -> version */
    json_t *resources;       /* path -> stored JSON */
} g;

static volatile sig_atomic_t g_stop;

/* ------------------------------------------------------------------ */
/* versions and canned bodies                                          */

static bool
version_parse(const char *s, struct version *v)
{
    memset(v, 0, sizeof(*v));
    if (strncmp(s, "opensearch:", 11) == 0) {
        v->opensearch = true;
        s += 11;
    } else if (strncmp(s, "elasticsearch:", 14) == 0) {
        s += 14;
    }
    char tail;
    if (strlen(s) >= sizeof(v->number) ||
        sscanf(s, "%u.%u.%u%c", &v->major, &v->minor, &v->patch, &tail) != 3 ||
        strspn(s, "0123456789.") != strlen(s))
        return false;
    snprintf(v->number, sizeof(v->number), "%s", s);
    return true;
}

/* ES >= 7.14 sends this; the official clients refuse to talk without it. */
static bool
version_sends_product_header(const struct version *v)
{
    return !v->opensearch &&
           (v->major > 7 || (v->major == 7 && v->minor >= 14));
}

/* 6.x requires _type in bulk actions; ES 8+ and OpenSearch 2+ reject it. */
static bool
version_requires_type(const struct version *v)
{
    return !v->opensearch && v->major <= 6;
}

static bool
version_rejects_type(const struct version *v)
{
    return v->opensearch ? v->major >= 2 : v->major >= 8;
}

static char *
version_info_json(const struct version *v)
{
    const char *lucene = "9.0.0", *wire = "7.17.0", *index = "7.0.0";
    const char *hash = "fake0000000000000000000000000000000000000";
    if (v->opensearch) {
        lucene = v->major >= 3 ? "10.1.0" : v->major == 2 ? "9.12.1" : "8.10.1";
        wire = v->major >= 3 ? "2.19.0" : "7.10.0";
        index = v->major >= 3 ? "2.0.0" : "7.0.0";
    } else if (v->major <= 6) {
        lucene = "7.7.3";
        wire = "5.6.0";
        index = "5.0.0";
    } else if (v->major == 7) {
        lucene = "8.11.1";
        wire = "6.8.0";
        index = "6.0.0-beta1";
    } else if (v->major == 8) {
        lucene = "9.11.1";
    } else {
        lucene = "10.2.1";
        wire = "8.18.0";
        index = "8.0.0";
    }
    json_t *ver = json_object();
    if (v->opensearch)
        json_object_set_new(ver, "distribution", json_string("opensearch"));
    json_object_set_new(ver, "number", json_string(v->number));
    if (!v->opensearch)
        json_object_set_new(ver, "build_flavor", json_string("default"));
    json_object_set_new(ver, "build_type", json_string("tar"));
    json_object_set_new(ver, "build_hash", json_string(hash));
    json_object_set_new(ver, "build_date",
                        json_string("2024-01-01T00:00:00.000000000Z"));
    json_object_set_new(ver, "build_snapshot", json_false());
    json_object_set_new(ver, "lucene_version", json_string(lucene));
    json_object_set_new(ver, "minimum_wire_compatibility_version",
                        json_string(wire));
    json_object_set_new(ver, "minimum_index_compatibility_version",
                        json_string(index));
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string("fake-es-node-1"));
    json_object_set_new(o, "cluster_name", json_string("fake-es"));
    json_object_set_new(o, "cluster_uuid",
                        json_string("ZmFrZS1lcy1jbHVzdGVyLTA"));
    json_object_set_new(o, "version", ver);
    json_object_set_new(
        o, "tagline",
        json_string(v->opensearch
                        ? "The OpenSearch Project: https://opensearch.org/"
                        : "You Know, for Search"));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static const char *
http_reason(int code)
{
    switch (code) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return code < 300 ? "OK" : "Error";
    }
}

/* Error type and reason of a failed bulk item. */
static const char *
item_error_type(int code)
{
    switch (code) {
    case 400:
        return "mapper_parsing_exception";
    case 403:
        return "cluster_block_exception";
    case 404:
        return "index_not_found_exception";
    case 409:
        return "version_conflict_engine_exception";
    case 429:
        return "es_rejected_execution_exception";
    case 503:
        return "unavailable_shards_exception";
    default:
        return "exception";
    }
}

static void
item_error_reason(int code, const char *index, const char *id, char *out,
                  size_t len)
{
    switch (code) {
    case 400:
        snprintf(out, len,
                 "failed to parse field [message] of type [long] in "
                 "document with id '%s' (fake_es injected)",
                 id);
        break;
    case 403:
        snprintf(out, len,
                 "index [%s] blocked by: [TOO_MANY_REQUESTS/12/disk usage "
                 "exceeded flood-stage watermark, index has read-only-allow-"
                 "delete block];",
                 index);
        break;
    case 404:
        snprintf(out, len, "no such index [%s]", index);
        break;
    case 409:
        snprintf(out, len,
                 "[%s]: version conflict, document already exists (current "
                 "version [1])",
                 id);
        break;
    case 429:
        snprintf(out, len,
                 "rejected execution of primary operation [shard_detail=[%s]"
                 "[0][P], shard_operation_bytes=1024, "
                 "max_write_bytes=1024] (fake_es injected)",
                 index);
        break;
    case 503:
        snprintf(out, len,
                 "[%s][0] primary shard is not active Timeout: [1m], "
                 "request: [BulkShardRequest [[%s][0]] containing [1] "
                 "requests] (fake_es injected)",
                 index, index);
        break;
    default:
        snprintf(out, len, "fake_es injected item failure %d", code);
        break;
    }
}

static const char *
http_error_type(int code)
{
    switch (code) {
    case 400:
        return "illegal_argument_exception";
    case 401:
        return "security_exception";
    case 403:
        return "cluster_block_exception";
    case 404:
        return "index_not_found_exception";
    case 409:
        return "version_conflict_engine_exception";
    case 429:
        return "es_rejected_execution_exception";
    case 503:
        return "cluster_block_exception";
    default:
        return "exception";
    }
}

static const char *
http_error_reason(int code)
{
    switch (code) {
    case 401:
        return "missing authentication credentials for REST request [/_bulk]";
    case 403:
        return "blocked by: [FORBIDDEN/8/index write (api)];";
    case 404:
        return "no such index [fake]";
    case 429:
        return "rejected execution of coordinating operation "
               "[coordinating_and_primary_bytes=0, replica_bytes=0, "
               "all_bytes=0, coordinating_operation_bytes=1024, "
               "max_coordinating_and_primary_bytes=1024] (fake_es injected)";
    case 503:
        return "blocked by: [SERVICE_UNAVAILABLE/2/no master];";
    default:
        return "fake_es injected error";
    }
}

/* {"error":{"root_cause":[{...}],"type":T,"reason":R},"status":N} */
static char *
es_error_body(int status, const char *type, const char *reason)
{
    json_t *cause = json_pack("{s:s, s:s}", "type", type, "reason", "");
    json_object_set_new(cause, "reason", fake_es_jstr(reason, strlen(reason)));
    json_t *err = json_pack("{s:[O], s:s, s:O}", "root_cause", cause, "type",
                            type, "reason", json_object_get(cause, "reason"));
    json_t *o = json_pack("{s:o, s:i}", "error", err, "status", status);
    json_decref(cause);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static const char fake_es_garbage_html[] =
    "<html>\r\n<head><title>Proxy Error</title></head>\r\n<body>\r\n"
    "<center><h1>Proxy Error</h1></center>\r\n"
    "<p>The proxy server received an invalid response from an upstream "
    "server.</p>\r\n<hr><center>fake_es</center>\r\n</body>\r\n</html>\r\n";

/* ------------------------------------------------------------------ */
/* responses                                                           */

enum resp_mode { RM_NORMAL, RM_RESET_MID, RM_TRUNCATE };

static void
conn_stage(struct conn *c, int status, const char *ctype,
           const char *extra_headers, const char *body, size_t blen,
           enum resp_mode mode)
{
    bool close_after = !c->req.keep_alive || mode != RM_NORMAL;
    struct buf *b = &c->staged;
    b->len = 0;
    buf_addf(b, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    if (version_sends_product_header(&g.ver))
        buf_adds(b, "X-elastic-product: Elasticsearch\r\n");
    if (ctype)
        buf_addf(b, "content-type: %s\r\n", ctype);
    buf_addf(b, "content-length: %zu\r\n", blen);
    if (extra_headers)
        buf_adds(b, extra_headers);
    if (close_after && mode == RM_NORMAL)
        buf_adds(b, "connection: close\r\n");
    buf_adds(b, "\r\n");
    size_t hlen = b->len;
    if (!c->req.is_head)
        buf_add(b, body, blen);
    c->staged_limit = b->len;
    if (mode != RM_NORMAL)
        c->staged_limit = hlen + (c->req.is_head ? 0 : blen / 2);
    c->after = mode == RM_RESET_MID ? AFTER_RST
               : close_after        ? AFTER_CLOSE
                                    : AFTER_KEEP;
}

static void
conn_stage_json(struct conn *c, int status, const char *json,
                enum resp_mode mode)
{
    conn_stage(c, status, "application/json; charset=UTF-8", NULL, json,
               strlen(json), mode);
}

static void
conn_stage_jobj(struct conn *c, int status, json_t *o, enum resp_mode mode)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    conn_stage_json(c, status, s ? s : "{}", mode);
    free(s);
}

static void
conn_stage_error(struct conn *c, int status, const char *type,
                 const char *reason, enum resp_mode mode)
{
    if (status == 413) { /* ES answers 413 with an empty body */
        conn_stage(c, status, NULL, NULL, "", 0, mode);
        return;
    }
    char *s = es_error_body(status, type, reason);
    const char *extra =
        status == 401
            ? "WWW-Authenticate: Basic realm=\"security\" charset=\"UTF-8\"\r\n"
            : NULL;
    conn_stage(c, status, "application/json; charset=UTF-8", extra, s,
               strlen(s), mode);
    free(s);
}

/* Protocol-level failure: answer and close, no recording. */
static void
conn_fail(struct conn *c, int status, const char *reason)
{
    c->req.keep_alive = false;
    c->req.is_head = false;
    conn_stage_error(c, status, "illegal_argument_exception", reason,
                     RM_NORMAL);
    fake_es_count_int(g.http_by_status, status);
    c->wake_ms = 0;
    c->st = CS_WAIT;
}

/* ------------------------------------------------------------------ */
/* recording                                                           */

struct reqinfo {
    uint64_t seq;
    uint64_t bulk_seq; /* 0 = not a bulk request */
    int64_t actions;   /* -1 = not counted */
    int status;        /* 0 = no response */
    const char *fault; /* NULL = none */
    const char *note;  /* NULL = none */
    const char *body;  /* decoded (or raw if undecodable) */
    size_t blen;
    bool decoded_ok;
    bool has_body;
    int64_t delay_ms;
};

static void
record_request(struct conn *c, const struct reqinfo *ri)
{
    struct req *r = &c->req;
    if (ri->status)
        fake_es_count_int(g.http_by_status, ri->status);
    if (g.verbose)
        fprintf(stderr,
                "fake_es: #%" PRIu64 " conn %" PRIu64 " %s %s bulk=%" PRIu64
                " actions=%" PRId64 " -> %d%s%s\n",
                ri->seq, c->id, r->method, r->target, ri->bulk_seq, ri->actions,
                ri->status, ri->fault ? " fault=" : "",
                ri->fault ? ri->fault : "");
    if (!g.record_log)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)ri->seq));
    json_object_set_new(o, "bulk_seq",
                        ri->bulk_seq ? json_integer((json_int_t)ri->bulk_seq)
                                     : json_null());
    json_object_set_new(o, "conn", json_integer((json_int_t)c->id));
    json_object_set_new(o, "time_ms", json_integer(fake_es_wall_ms()));
    json_object_set_new(o, "method",
                        fake_es_jstr(r->method, strlen(r->method)));
    json_object_set_new(o, "path", fake_es_jstr(r->target, strlen(r->target)));
    json_object_set_new(o, "http_version",
                        fake_es_jstr(r->version, strlen(r->version)));
    json_t *hs = json_array();
    for (size_t i = 0; i < r->nh; i++) {
        json_t *h = json_object();
        json_object_set_new(h, "name",
                            fake_es_jstr(r->h[i].name, strlen(r->h[i].name)));
        json_object_set_new(h, "value",
                            fake_es_jstr(r->h[i].value, strlen(r->h[i].value)));
        json_array_append_new(hs, h);
    }
    json_object_set_new(o, "headers", hs);
    json_object_set_new(o, "chunked", json_boolean(r->chunked));
    json_object_set_new(
        o, "content_encoding",
        r->content_encoding
            ? fake_es_jstr(r->content_encoding, strlen(r->content_encoding))
            : json_null());
    json_object_set_new(o, "body_bytes", json_integer((json_int_t)r->body.len));
    json_object_set_new(o, "body_bytes_uncompressed",
                        ri->decoded_ok ? json_integer((json_int_t)ri->blen)
                                       : json_null());
    json_object_set_new(o, "actions",
                        ri->actions >= 0 ? json_integer(ri->actions)
                                         : json_null());
    json_object_set_new(o, "status",
                        ri->status ? json_integer(ri->status) : json_null());
    json_object_set_new(o, "fault",
                        ri->fault ? json_string(ri->fault) : json_null());
    json_object_set_new(o, "delay_ms", json_integer(ri->delay_ms));
    if (ri->note)
        json_object_set_new(o, "note", json_string(ri->note));
    if (ri->has_body) {
        char name[64], *path;
        snprintf(name, sizeof(name), "req-%04" PRIu64 ".body", ri->seq);
        json_object_set_new(o, "body_file", json_string(name));
        size_t plen = strlen(g.record_dir) + strlen(name) + 2;
        path = fake_es_xmalloc(plen);
        snprintf(path, plen, "%s/%s", g.record_dir, name);
        FILE *f = fopen(path, "wb");
        if (!f || (ri->blen && fwrite(ri->body, 1, ri->blen, f) != ri->blen))
            fprintf(stderr, "fake_es: cannot write %s: %s\n", path,
                    strerror(errno));
        if (f)
            fclose(f);
        free(path);
    } else {
        json_object_set_new(o, "body_file", json_null());
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, g.record_log);
        fputc('\n', g.record_log);
        fflush(g.record_log);
        free(s);
    }
    json_decref(o);
}

/* ------------------------------------------------------------------ */
/* bodies                                                              */

/* Inflates in into out.  Returns 0, -1 (corrupt; msg set) or -2 (larger
 * than limit). */
static int
fake_es_inflate(const char *in, size_t inlen, int wbits, size_t limit,
                struct buf *out, char *msg, size_t msglen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, wbits) != Z_OK) {
        snprintf(msg, msglen, "inflateInit2 failed");
        return -1;
    }
    const unsigned char *p = (const unsigned char *)in;
    size_t left = inlen;
    int ret = 0;
    for (;;) {
        if (zs.avail_in == 0 && left) {
            zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
            zs.next_in = p;
            p += zs.avail_in;
            left -= zs.avail_in;
        }
        buf_reserve(out, 256 * 1024);
        size_t room = out->cap - out->len - 1;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        zs.next_out = (unsigned char *)out->p + out->len;
        int z = inflate(&zs, Z_NO_FLUSH);
        out->len = (size_t)((char *)zs.next_out - out->p);
        out->p[out->len] = '\0';
        if (out->len > limit) {
            ret = -2;
            break;
        }
        if (z == Z_STREAM_END) {
            size_t rest = zs.avail_in + left;
            if (rest == 0)
                break;
            /* concatenated gzip members are legal */
            if (wbits > MAX_WBITS && rest >= 2 && zs.next_in[0] == 0x1f &&
                (zs.avail_in < 2 || zs.next_in[1] == 0x8b)) {
                inflateReset(&zs);
                continue;
            }
            snprintf(msg, msglen, "trailing garbage after compressed data");
            ret = -1;
            break;
        }
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) {
            snprintf(msg, msglen, "compressed body is truncated");
            ret = -1;
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            snprintf(msg, msglen, "corrupt compressed body: %s",
                     zs.msg ? zs.msg : "?");
            ret = -1;
            break;
        }
    }
    inflateEnd(&zs);
    return ret;
}

static int
fake_es_hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static char *
fake_es_pct_decode(const char *s, size_t n)
{
    char *o = fake_es_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = fake_es_hexval(s[i + 1])) >= 0 &&
            (lo = fake_es_hexval(s[i + 2])) >= 0) {
            o[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    return o;
}

/* ------------------------------------------------------------------ */
/* bulk                                                                */

enum op { OP_INDEX, OP_CREATE, OP_UPDATE, OP_DELETE };
static const char *const op_names[] = {"index", "create", "update", "delete"};

struct action {
    enum op op;
    char *index;
    char *id;   /* NULL: generate */
    char *type; /* NULL: none */
    const char *src;
    size_t srclen;
};

struct perr {
    int status; /* 0 = no error */
    const char *type;
    char reason[512];
};

__attribute__((format(printf, 4, 5))) static void
perr_set(struct perr *e, int status, const char *type, const char *fmt, ...)
{
    if (e->status)
        return;
    e->status = status;
    e->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
    va_end(ap);
}

static bool
bulk_next_line(const char *body, size_t len, size_t *pos, const char **line,
               size_t *llen)
{
    if (*pos >= len)
        return false;
    const char *s = body + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && s[n - 1] == '\r')
        n--;
    *line = s;
    *llen = n;
    return true;
}

static bool
bulk_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static void
actions_free(struct action *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].index);
        free(a[i].id);
        free(a[i].type);
    }
    free(a);
}

/* Parses NDJSON into actions.  Whole-request errors go to e; the actions
 * parsed so far are returned in any case. */
static void
bulk_parse(const char *body, size_t len, const char *pidx, const char *ptype,
           struct action **out, size_t *nout, struct perr *e)
{
    struct action *v = NULL;
    size_t n = 0, cap = 0, pos = 0, lineno = 0, nverr = 0;
    struct buf verr = {0};
    const char *line;
    size_t llen;

    if (len == 0) {
        perr_set(e, 400, "action_request_validation_exception",
                 "Validation Failed: 1: no requests added;");
        goto out;
    }
    if (body[len - 1] != '\n') {
        perr_set(e, 400, "illegal_argument_exception",
                 "The bulk request must be terminated by a newline [\\n]");
        goto out;
    }
    while (bulk_next_line(body, len, &pos, &line, &llen)) {
        lineno++;
        if (bulk_blank(line, llen))
            continue;
        json_error_t jerr;
        json_t *j = json_loadb(line, llen, JSON_REJECT_DUPLICATES, &jerr);
        json_t *meta = NULL;
        const char *opname = NULL;
        if (j && json_is_object(j) && json_object_size(j) == 1) {
            void *it = json_object_iter(j);
            opname = json_object_iter_key(it);
            meta = json_object_iter_value(it);
        }
        if (!meta || !json_is_object(meta)) {
            perr_set(e, 400,
                     j ? "illegal_argument_exception"
                       : "x_content_parse_exception",
                     "Malformed action/metadata line [%zu], expected "
                     "START_OBJECT with one action%s%s",
                     lineno, j ? "" : ": ", j ? "" : jerr.text);
            json_decref(j);
            goto out;
        }
        int op = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(opname, op_names[k]) == 0)
                op = k;
        if (op < 0) {
            perr_set(e, 400, "illegal_argument_exception",
                     "Malformed action/metadata line [%zu], expected one of "
                     "[create, delete, index, update] but found [%.100s]",
                     lineno, opname);
            json_decref(j);
            goto out;
        }
        json_t *ji = json_object_get(meta, "_index");
        json_t *jd = json_object_get(meta, "_id");
        json_t *jt = json_object_get(meta, "_type");
        if ((ji && !json_is_string(ji)) || (jt && !json_is_string(jt)) ||
            (jd && !json_is_string(jd) && !json_is_integer(jd))) {
            perr_set(e, 400, "illegal_argument_exception",
                     "Malformed action/metadata line [%zu], _index/_type/_id "
                     "must be strings",
                     lineno);
            json_decref(j);
            goto out;
        }
        if (jt && !g.lenient && version_rejects_type(&g.ver)) {
            perr_set(e, 400, "illegal_argument_exception",
                     "Action/metadata line [%zu] contains an unknown "
                     "parameter [_type]",
                     lineno);
            json_decref(j);
            goto out;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = fake_es_xrealloc(v, cap * sizeof(*v));
        }
        struct action *a = &v[n++];
        memset(a, 0, sizeof(*a));
        a->op = (enum op)op;
        a->index = fake_es_xstrdup(ji     ? json_string_value(ji)
                                   : pidx ? pidx
                                          : "");
        if (jd && json_is_string(jd)) {
            a->id = fake_es_xstrdup(json_string_value(jd));
        } else if (jd) {
            char tmp[32];
            snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(jd));
            a->id = fake_es_xstrdup(tmp);
        }
        if (jt || ptype)
            a->type = fake_es_xstrdup(jt ? json_string_value(jt) : ptype);
        json_decref(j);
        if (!a->index[0])
            buf_addf(&verr, "%zu: index is missing;", ++nverr);
        if (!a->type && !g.lenient && version_requires_type(&g.ver))
            buf_addf(&verr, "%zu: type is missing;", ++nverr);
        if ((op == OP_UPDATE || op == OP_DELETE) && !a->id)
            buf_addf(&verr, "%zu: id is missing;", ++nverr);
        if (op == OP_DELETE)
            continue;
        if (!bulk_next_line(body, len, &pos, &a->src, &a->srclen) ||
            bulk_blank(a->src, a->srclen)) {
            lineno++;
            a->src = NULL;
            a->srclen = 0;
            buf_addf(&verr, "%zu: source is missing;", ++nverr);
            continue;
        }
        lineno++;
    }
    if (n == 0 && !nverr)
        perr_set(e, 400, "action_request_validation_exception",
                 "Validation Failed: 1: no requests added;");
    if (nverr)
        perr_set(e, 400, "action_request_validation_exception",
                 "Validation Failed: %.480s", verr.p);
out:
    buf_free(&verr);
    *out = v;
    *nout = n;
}

struct plan {
    int64_t delay_ms;
    const struct rule *resp;
    int *item_status; /* per action, 0 = no fault */
};

static void
rules_eval(uint64_t bulk_no, size_t nactions, struct plan *p)
{
    p->delay_ms = 0;
    p->resp = NULL;
    p->item_status = calloc(nactions ? nactions : 1, sizeof(int));
    if (!p->item_status)
        abort();
    for (size_t i = 0; i < g.nrules; i++) {
        const struct rule *r = &g.rules[i];
        if (!rset_has(&r->reqs, bulk_no))
            continue;
        switch (r->kind) {
        case R_ITEM:
            for (size_t k = 0; k < r->items.n; k++)
                for (uint64_t pos = r->items.v[k].lo;
                     pos <= r->items.v[k].hi && pos <= nactions; pos++)
                    p->item_status[pos - 1] = r->status;
            break;
        case R_EVERY:
            for (uint64_t pos = r->every; pos <= nactions; pos += r->every)
                p->item_status[pos - 1] = r->status;
            break;
        case R_DELAY:
            p->delay_ms += r->delay_ms;
            break;
        case R_HTTP:
            if (r->over >= 0 && (int64_t)nactions <= r->over)
                break;
            /* fallthrough */
        default:
            if (!p->resp)
                p->resp = r;
            break;
        }
    }
}

static char *
doc_key(const char *index, const char *id)
{
    size_t n = strlen(index) + strlen(id) + 32;
    char *k = fake_es_xmalloc(n);
    snprintf(k, n, "%zu:%s:%s", strlen(index), index, id);
    return k;
}

/* Appends s as a JSON string; invalid UTF-8 bytes become '?'. */
static void
buf_add_jstr(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_reserve(b, strlen(s) + 2);
    buf_add(b, "\"", 1);
    while (*p) {
        unsigned char ch = *p;
        size_t len = 1;
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            buf_add(b, esc, 2);
        } else if (ch < 0x20) {
            buf_addf(b, "\\u%04x", ch);
        } else if (ch < 0x80) {
            buf_add(b, p, 1);
        } else {
            len = ch >= 0xf0 && ch <= 0xf4   ? 4
                  : ch >= 0xe0               ? 3
                  : ch >= 0xc2 && ch <= 0xdf ? 2
                                             : 0;
            for (size_t k = 1; k < len; k++)
                if ((p[k] & 0xc0) != 0x80)
                    len = 0;
            if (len)
                buf_add(b, p, len);
            else
                buf_add(b, "?", 1);
            if (!len)
                len = 1;
        }
        p += len;
    }
    buf_add(b, "\"", 1);
}

static void
bulk_item_start(struct buf *b, const struct action *a, const char *id)
{
    buf_addf(b, "{\"%s\":{\"_index\":", op_names[a->op]);
    buf_add_jstr(b, a->index);
    if (!g.ver.opensearch && g.ver.major <= 6) {
        buf_adds(b, ",\"_type\":");
        buf_add_jstr(b, a->type ? a->type : "_doc");
    }
    buf_adds(b, ",\"_id\":");
    buf_add_jstr(b, id);
}

static void
bulk_item(struct buf *b, const struct action *a, const char *id, int status,
          const char *result, json_int_t version, bool commit)
{
    bulk_item_start(b, a, id);
    buf_addf(b,
             ",\"_version\":%" JSON_INTEGER_FORMAT
             ",\"result\":\"%s\",\"_shards\":{\"total\":2,\"successful\":1,"
             "\"failed\":0},\"_seq_no\":%" PRIu64
             ",\"_primary_term\":1,\"status\":%d}}",
             version, result, commit ? g.seq_no++ : g.seq_no, status);
}

static void
bulk_item_error(struct buf *b, const struct action *a, const char *id,
                int status, const char *type, const char *reason)
{
    bulk_item_start(b, a, id);
    buf_addf(b, ",\"status\":%d,\"error\":{\"type\":\"%s\",\"reason\":", status,
             type);
    buf_add_jstr(b, reason);
    buf_adds(b, ",\"index_uuid\":\"ZmFrZS1pbmRleC11dWlkMA\",\"shard\":\"0\","
                "\"index\":");
    buf_add_jstr(b, a->index);
    buf_adds(b, "}}}");
}

/* Writes the bulk response to out.  commit = apply to --dedup memory and
 * stats; otherwise a dry run with the same shape. */
static void
bulk_process(const struct action *acts, size_t n, const int *override,
             bool commit, struct buf *out)
{
    struct buf items = {0};
    bool errors = false;
    uint64_t gen = g.id_counter;
    buf_reserve(&items, n * 200);
    for (size_t i = 0; i < n; i++) {
        const struct action *a = &acts[i];
        char idbuf[32], reason[768];
        const char *id = a->id;
        if (!id) {
            snprintf(idbuf, sizeof(idbuf), "fk%018" PRIu64, ++gen);
            id = idbuf;
        }
        char *key = g.docs ? doc_key(a->index, id) : NULL;
        json_t *jv = key ? json_object_get(g.docs, key) : NULL;
        json_int_t ver = jv ? json_integer_value(jv) : 0;
        struct buf *b = &items;
        int st = override[i];
        bool wrote = false;

        if (i)
            buf_add(b, ",", 1);
        json_t *src = NULL;
        json_error_t jerr;
        if (!st && a->src) {
            src = json_loadb(a->src, a->srclen,
                             JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
                             &jerr);
            if ((!src || !json_is_object(src)) && !g.lenient) {
                st = 400;
                snprintf(reason, sizeof(reason),
                         "failed to parse: %s (line %d, column %d)",
                         src ? "document is not an object" : jerr.text,
                         src ? 0 : jerr.line, src ? 0 : jerr.column);
                bulk_item_error(b, a, id, st, "mapper_parsing_exception",
                                reason);
                goto done;
            }
        }
        if (st) {
            item_error_reason(st, a->index, id, reason, sizeof(reason));
            bulk_item_error(b, a, id, st, item_error_type(st), reason);
            goto done;
        }
        switch (a->op) {
        case OP_CREATE:
            if (ver > 0) {
                st = 409;
                snprintf(reason, sizeof(reason),
                         "[%s]: version conflict, document already exists "
                         "(current version [%" JSON_INTEGER_FORMAT "])",
                         id, ver);
                bulk_item_error(b, a, id, st,
                                "version_conflict_engine_exception", reason);
            } else {
                st = 201;
                bulk_item(b, a, id, st, "created", 1, commit);
                wrote = true;
            }
            break;
        case OP_INDEX:
            st = ver > 0 ? 200 : 201;
            bulk_item(b, a, id, st, ver > 0 ? "updated" : "created", ver + 1,
                      commit);
            wrote = true;
            break;
        case OP_UPDATE: {
            bool upsert =
                src && (json_object_get(src, "upsert") ||
                        json_is_true(json_object_get(src, "doc_as_upsert")));
            if (g.docs && ver == 0 && !upsert) {
                st = 404;
                snprintf(reason, sizeof(reason), "[%s]: document missing", id);
                bulk_item_error(b, a, id, st, "document_missing_exception",
                                reason);
            } else {
                st = g.docs && ver == 0 ? 201 : 200;
                bulk_item(b, a, id, st, st == 201 ? "created" : "updated",
                          ver + 1, commit);
                wrote = true;
            }
            break;
        }
        case OP_DELETE:
        default:
            if (g.docs && ver == 0) {
                st = 404;
                bulk_item(b, a, id, st, "not_found", 1, commit);
            } else {
                st = 200;
                bulk_item(b, a, id, st, "deleted", ver + 1, commit);
                if (commit && key)
                    json_object_del(g.docs, key);
            }
            break;
        }
        if (wrote && commit) {
            g.docs_indexed++;
            fake_es_count(g.indices, a->index, 1);
            if (key)
                json_object_set_new(g.docs, key, json_integer(ver + 1));
        }
    done:
        if (st >= 300 && !(a->op == OP_DELETE && st == 404))
            errors = true;
        if (commit)
            fake_es_count_int(g.items_by_status, st);
        json_decref(src);
        free(key);
    }
    if (commit)
        g.id_counter = gen;
    out->len = 0;
    buf_reserve(out, items.len + 64);
    buf_addf(out, "{\"took\":1,\"errors\":%s,\"items\":[",
             errors ? "true" : "false");
    buf_add(out, items.p ? items.p : "", items.len);
    buf_adds(out, "]}");
    buf_free(&items);
}

/* Splits "/_bulk", "/idx/_bulk", "/idx/type/_bulk".  path has no query. */
static bool
bulk_route(const char *path, char **index, char **type)
{
    *index = *type = NULL;
    size_t n = strlen(path);
    if (n < 6 || strcmp(path + n - 6, "/_bulk") != 0 || path[0] != '/')
        return false;
    if (n == 6)
        return true;
    const char *s = path + 1, *end = path + n - 6;
    const char *slash = memchr(s, '/', (size_t)(end - s));
    if (slash == s)
        return false;
    if (!slash) {
        *index = fake_es_pct_decode(s, (size_t)(end - s));
        return true;
    }
    const char *t = slash + 1;
    if (t >= end || memchr(t, '/', (size_t)(end - t)))
        return false;
    *index = fake_es_pct_decode(s, (size_t)(slash - s));
    *type = fake_es_pct_decode(t, (size_t)(end - t));
    return true;
}

static void
handle_bulk(struct conn *c, struct reqinfo *ri, const char *body, size_t blen,
            int derr, const char *derrmsg, const char *pidx, const char *ptype)
{
    struct action *acts = NULL;
    size_t nacts = 0;
    struct perr pe = {0};

    ri->bulk_seq = ++g.bulk_requests;
    if (derr == -2)
        perr_set(&pe, 413, "", "decoded body exceeds --max-body");
    else if (derr)
        perr_set(&pe, 400, "parse_exception", "%s", derrmsg);
    else
        bulk_parse(body, blen, pidx, ptype, &acts, &nacts, &pe);
    g.actions += nacts;
    ri->actions = (int64_t)nacts;

    struct plan pl;
    rules_eval(ri->bulk_seq, nacts, &pl);
    const struct rule *f = pl.resp;
    bool commit = !pe.status && (!f || f->commit);
    bool partial = f && (f->kind == R_RESET_MID || f->kind == R_TRUNCATE);
    struct buf resp = {0};
    if (!pe.status && (commit || partial))
        bulk_process(acts, nacts, pl.item_status, commit, &resp);
    if (pl.delay_ms > 0)
        fake_es_count(g.faults, "delay", 1);
    ri->delay_ms = pl.delay_ms;
    c->wake_ms = fake_es_now_ms() + pl.delay_ms;

    if (f) {
        ri->fault = rule_kind_names[f->kind];
        fake_es_count(g.faults, ri->fault, 1);
    }
    enum resp_mode mode = !f                       ? RM_NORMAL
                          : f->kind == R_RESET_MID ? RM_RESET_MID
                          : f->kind == R_TRUNCATE  ? RM_TRUNCATE
                                                   : RM_NORMAL;
    if (f && f->kind == R_HTTP) {
        conn_stage_error(c, f->status, http_error_type(f->status),
                         http_error_reason(f->status), RM_NORMAL);
        ri->status = f->status;
    } else if (f && f->kind == R_GARBAGE) {
        conn_stage(c, f->status, "text/html", NULL, fake_es_garbage_html,
                   strlen(fake_es_garbage_html), RM_NORMAL);
        ri->status = f->status;
    } else if (f && (f->kind == R_RESET_BEFORE || f->kind == R_HANG)) {
        c->staged.len = 0;
        c->staged_limit = 0;
        c->after = f->kind == R_HANG ? AFTER_HANG : AFTER_RST;
    } else if (pe.status) {
        conn_stage_error(c, pe.status, pe.type, pe.reason, mode);
        ri->status = pe.status;
    } else {
        conn_stage(c, 200, "application/json; charset=UTF-8", NULL, resp.p,
                   resp.len, mode);
        ri->status = 200;
    }
    buf_free(&resp);
    free(pl.item_status);
    actions_free(acts, nacts);
}

/* ------------------------------------------------------------------ */
/* other endpoints                                                     */

static json_t *
stats_json(void)
{
    json_t *o = json_object();
    json_object_set_new(o, "requests", json_integer((json_int_t)g.requests));
    json_object_set_new(o, "bulk_requests",
                        json_integer((json_int_t)g.bulk_requests));
    json_object_set_new(o, "actions", json_integer((json_int_t)g.actions));
    json_object_set_new(o, "items", json_deep_copy(g.items_by_status));
    json_object_set_new(o, "docs_indexed",
                        json_integer((json_int_t)g.docs_indexed));
    json_object_set_new(o, "docs_unique",
                        g.docs
                            ? json_integer((json_int_t)json_object_size(g.docs))
                            : json_null());
    json_object_set_new(o, "indices", json_deep_copy(g.indices));
    json_object_set_new(o, "faults", json_deep_copy(g.faults));
    json_object_set_new(o, "http_status", json_deep_copy(g.http_by_status));
    json_object_set_new(o, "connections",
                        json_integer((json_int_t)g.connections));
    json_t *res = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(g.resources, k, v)
    {
        (void)v;
        json_array_append_new(res, json_string(k));
    }
    json_object_set_new(o, "resources", res);
    json_object_set_new(o, "version", json_string(g.ver.number));
    json_object_set_new(
        o, "distribution",
        json_string(g.ver.opensearch ? "opensearch" : "elasticsearch"));
    return o;
}

static const char *const resource_prefixes[] = {
    "/_index_template/",        "/_template/",
    "/_component_template/",    "/_ilm/policy/",
    "/_data_stream/",           "/_ingest/pipeline/",
    "/_plugins/_ism/policies/", "/_opendistro/_ism/policies/",
};

static bool
is_resource(const char *path)
{
    for (size_t i = 0; i < sizeof(resource_prefixes) / sizeof(char *); i++) {
        size_t n = strlen(resource_prefixes[i]);
        if (strncmp(path, resource_prefixes[i], n) == 0 && path[n] &&
            !strchr(path + n, '/'))
            return true;
    }
    return false;
}

static void
handle_resource(struct conn *c, struct reqinfo *ri, const char *path,
                const char *body, size_t blen)
{
    const char *m = c->req.method;
    json_t *stored = json_object_get(g.resources, path);
    if (strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0) {
        json_error_t jerr;
        json_t *j = blen ? json_loadb(body, blen, 0, &jerr) : json_object();
        if (!j) {
            char reason[256];
            snprintf(reason, sizeof(reason), "request body is not JSON: %s",
                     jerr.text);
            conn_stage_error(c, 400, "parse_exception", reason, RM_NORMAL);
            ri->status = 400;
            return;
        }
        json_object_set_new(g.resources, path, j);
        conn_stage_json(c, 200, "{\"acknowledged\":true}", RM_NORMAL);
        ri->status = 200;
    } else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
        if (!stored) {
            char reason[256];
            snprintf(reason, sizeof(reason), "resource [%.200s] missing", path);
            conn_stage_error(c, 404, "resource_not_found_exception", reason,
                             RM_NORMAL);
            ri->status = 404;
            return;
        }
        json_t *o = json_object();
        json_object_set(o, strrchr(path, '/') + 1, stored);
        conn_stage_jobj(c, 200, o, RM_NORMAL);
        json_decref(o);
        ri->status = 200;
    } else if (strcmp(m, "DELETE") == 0) {
        if (stored) {
            json_object_del(g.resources, path);
            conn_stage_json(c, 200, "{\"acknowledged\":true}", RM_NORMAL);
            ri->status = 200;
        } else {
            conn_stage_error(c, 404, "resource_not_found_exception",
                             "resource missing", RM_NORMAL);
            ri->status = 404;
        }
    } else {
        conn_stage_error(c, 405, "illegal_argument_exception",
                         "method not allowed", RM_NORMAL);
        ri->status = 405;
    }
}

static void
handle_request(struct conn *c)
{
    struct req *r = &c->req;
    char *path = fake_es_xstrndup(r->target, strcspn(r->target, "?#"));
    bool get = strcmp(r->method, "GET") == 0 || r->is_head;
    struct reqinfo ri = {0};
    ri.actions = -1;
    c->wake_ms = 0;
    c->st = CS_WAIT;

    if (strcmp(path, "/_fake/stats") == 0 && get) {
        json_t *o = stats_json();
        conn_stage_jobj(c, 200, o, RM_NORMAL);
        json_decref(o);
        free(path);
        return;
    }
    ri.seq = ++g.requests;

    /* decode the body */
    struct buf dec = {0};
    const char *body = r->body.p ? r->body.p : "";
    size_t blen = r->body.len;
    int derr = 0;
    char derrmsg[160] = "";
    const char *ce = r->content_encoding;
    ri.has_body = r->chunked || r->body.len > 0;
    ri.decoded_ok = true;
    if (ce && strcasecmp(ce, "identity") != 0 && blen > 0) {
        int wbits = 0;
        if (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0)
            wbits = 16 + MAX_WBITS;
        else if (strcasecmp(ce, "deflate") == 0)
            wbits = MAX_WBITS;
        if (!wbits) {
            derr = -1;
            snprintf(derrmsg, sizeof(derrmsg),
                     "unsupported Content-Encoding [%.60s]", ce);
        } else {
            derr = fake_es_inflate(body, blen, wbits, g.max_body, &dec, derrmsg,
                                   sizeof(derrmsg));
        }
        if (derr == 0) {
            body = dec.p ? dec.p : "";
            blen = dec.len;
        } else {
            ri.decoded_ok = false;
            ri.note = derr == -2 ? "decoded body exceeds --max-body" : derrmsg;
        }
    }
    ri.body = body;
    ri.blen = blen;

    char *pidx = NULL, *ptype = NULL;
    if (bulk_route(path, &pidx, &ptype)) {
        if (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
            handle_bulk(c, &ri, body, blen, derr, derrmsg, pidx, ptype);
        } else {
            char reason[256];
            snprintf(reason, sizeof(reason),
                     "Incorrect HTTP method for uri [%.100s] and method "
                     "[%.20s], allowed: [POST, PUT]",
                     path, r->method);
            conn_stage_error(c, 405, "illegal_argument_exception", reason,
                             RM_NORMAL);
            ri.status = 405;
        }
    } else if (derr) {
        conn_stage_error(c, derr == -2 ? 413 : 400, "parse_exception", derrmsg,
                         RM_NORMAL);
        ri.status = derr == -2 ? 413 : 400;
    } else if (strcmp(path, "/") == 0 && get) {
        conn_stage_json(c, 200, g.info_json, RM_NORMAL);
        ri.status = 200;
    } else if (strcmp(path, "/_cluster/health") == 0 && get) {
        conn_stage_json(c, 200,
                        "{\"cluster_name\":\"fake-es\",\"status\":\"green\","
                        "\"timed_out\":false,\"number_of_nodes\":1,"
                        "\"number_of_data_nodes\":1}",
                        RM_NORMAL);
        ri.status = 200;
    } else if (is_resource(path)) {
        handle_resource(c, &ri, path, body, blen);
    } else {
        char reason[256];
        snprintf(reason, sizeof(reason),
                 "no handler found for uri [%.100s] and method [%.20s]", path,
                 r->method);
        conn_stage_error(c, 404, "resource_not_found_exception", reason,
                         RM_NORMAL);
        ri.status = 404;
    }
    record_request(c, &ri);
    free(pidx);
    free(ptype);
    buf_free(&dec);
    free(path);
}

/* ------------------------------------------------------------------ */
/* HTTP parsing                                                        */

static void
req_reset(struct req *r)
{
    free(r->head);
    buf_free(&r->body);
    memset(r, 0, sizeof(*r));
}

static const char *
req_header(const struct req *r, const char *name)
{
    for (size_t i = 0; i < r->nh; i++)
        if (strcasecmp(r->h[i].name, name) == 0)
            return r->h[i].value;
    return NULL;
}

static bool
header_has_token(const char *v, const char *tok)
{
    size_t n = strlen(tok);
    while (v && *v) {
        v += strspn(v, " \t,");
        size_t len = strcspn(v, ",");
        size_t l = len;
        while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
            l--;
        if (l == n && strncasecmp(v, tok, n) == 0)
            return true;
        v += len;
    }
    return false;
}

/* Offset just past the blank line ending the head, 0 if not there yet. */
static size_t
find_head_end(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        if (i + 1 < n && p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static void
conn_refuse_body(struct conn *c)
{
    struct reqinfo ri = {0};
    ri.seq = ++g.requests;
    ri.actions = -1;
    ri.status = 413;
    ri.note = "body exceeds --max-body";
    c->req.keep_alive = false;
    conn_stage(c, 413, NULL, NULL, "", 0, RM_NORMAL);
    record_request(c, &ri);
    c->wake_ms = 0;
    c->st = CS_WAIT;
}

/* Returns true if the state changed. */
static bool
conn_parse_head(struct conn *c)
{
    struct req *r = &c->req;
    size_t skip = 0;
    while (skip < c->in.len && (c->in.p[skip] == '\r' || c->in.p[skip] == '\n'))
        skip++;
    buf_consume(&c->in, skip);
    size_t end = find_head_end(c->in.p ? c->in.p : "", c->in.len);
    if (!end || end > FAKE_ES_MAX_HEAD) {
        if (c->in.len > FAKE_ES_MAX_HEAD || end > FAKE_ES_MAX_HEAD) {
            conn_fail(c, 431, "request head too large");
            return true;
        }
        return false;
    }
    req_reset(r);
    r->head = fake_es_xstrndup(c->in.p, end);
    buf_consume(&c->in, end);

    char *save = NULL;
    char *line = strtok_r(r->head, "\n", &save);
    if (!line) {
        conn_fail(c, 400, "empty request");
        return true;
    }
    line[strcspn(line, "\r")] = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ')) {
        conn_fail(c, 400, "malformed request line");
        return true;
    }
    *sp1 = *sp2 = '\0';
    r->method = line;
    r->target = sp1 + 1;
    r->version = sp2 + 1;
    if (strcmp(r->version, "HTTP/1.1") != 0 &&
        strcmp(r->version, "HTTP/1.0") != 0) {
        conn_fail(c, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
        return true;
    }
    for (char *l = strtok_r(NULL, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        l[strcspn(l, "\r")] = '\0';
        if (!*l)
            break;
        char *colon = strchr(l, ':');
        if (l[0] == ' ' || l[0] == '\t' || !colon || colon == l ||
            strcspn(l, " \t") < (size_t)(colon - l)) {
            conn_fail(c, 400, "malformed header line");
            return true;
        }
        if (r->nh == FAKE_ES_MAX_HEADERS) {
            conn_fail(c, 431, "too many headers");
            return true;
        }
        *colon = '\0';
        char *v = colon + 1;
        v += strspn(v, " \t");
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        r->h[r->nh].name = l;
        r->h[r->nh].value = v;
        r->nh++;
    }

    r->is_head = strcmp(r->method, "HEAD") == 0;
    const char *conn_hdr = req_header(r, "Connection");
    if (strcmp(r->version, "HTTP/1.1") == 0)
        r->keep_alive = !header_has_token(conn_hdr, "close");
    else
        r->keep_alive = header_has_token(conn_hdr, "keep-alive");
    r->content_encoding = req_header(r, "Content-Encoding");

    const char *te = req_header(r, "Transfer-Encoding");
    const char *cl = req_header(r, "Content-Length");
    uint64_t len = 0;
    if (te) {
        if (!header_has_token(te, "chunked")) {
            conn_fail(c, 501, "unsupported Transfer-Encoding");
            return true;
        }
        r->chunked = true;
        r->ch = CH_SIZE;
    } else if (cl) {
        size_t count = 0;
        for (size_t i = 0; i < r->nh; i++)
            count += strcasecmp(r->h[i].name, "Content-Length") == 0;
        if (count != 1 || !fake_es_parse_u64(cl, &len)) {
            conn_fail(c, 400, "bad Content-Length");
            return true;
        }
        if (len > g.max_body) {
            conn_refuse_body(c);
            return true;
        }
    }
    r->body_left = len;
    const char *expect = req_header(r, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 &&
        (r->chunked || len > 0) && c->in.len == 0 &&
        strcmp(r->version, "HTTP/1.1") == 0)
        buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    c->st = CS_BODY;
    return true;
}

/* 1 = body complete, 0 = need more, -1 = failed (response staged). */
static int
conn_read_body(struct conn *c)
{
    struct req *r = &c->req;
    if (!r->chunked) {
        size_t take = c->in.len < r->body_left ? c->in.len : r->body_left;
        if (take) {
            buf_add(&r->body, c->in.p, take);
            buf_consume(&c->in, take);
            r->body_left -= take;
        }
        return r->body_left == 0;
    }
    for (;;) {
        switch (r->ch) {
        case CH_SIZE: {
            char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
            if (!nl) {
                if (c->in.len > 4096) {
                    conn_fail(c, 400, "chunk size line too long");
                    return -1;
                }
                return 0;
            }
            size_t ll = (size_t)(nl - c->in.p);
            uint64_t size = 0;
            size_t i = 0, digits = 0;
            for (; i < ll; i++, digits++) {
                char ch = c->in.p[i];
                int d = ch >= '0' && ch <= '9'   ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                 : -1;
                if (d < 0)
                    break;
                if (size > (UINT64_MAX >> 4)) {
                    digits = 0;
                    break;
                }
                size = size * 16 + (uint64_t)d;
            }
            if (!digits || (i < ll && c->in.p[i] != ';' && c->in.p[i] != '\r' &&
                            c->in.p[i] != ' ' && c->in.p[i] != '\t')) {
                conn_fail(c, 400, "bad chunk size");
                return -1;
            }
            buf_consume(&c->in, ll + 1);
            if (size == 0) {
                r->ch = CH_TRAILER;
            } else if (size > g.max_body - r->body.len) {
                conn_refuse_body(c);
                return -1;
            } else {
                r->chunk_left = size;
                r->ch = CH_DATA;
            }
            break;
        }
        case CH_DATA: {
            size_t take =
                c->in.len < r->chunk_left ? c->in.len : (size_t)r->chunk_left;
            buf_add(&r->body, c->in.p, take);
            buf_consume(&c->in, take);
            r->chunk_left -= take;
            if (r->chunk_left)
                return 0;
            r->ch = CH_DATA_END;
            break;
        }
        case CH_DATA_END:
            if (c->in.len >= 1 && c->in.p[0] == '\n') {
                buf_consume(&c->in, 1);
            } else if (c->in.len < 2) {
                return 0;
            } else if (c->in.p[0] == '\r' && c->in.p[1] == '\n') {
                buf_consume(&c->in, 2);
            } else {
                conn_fail(c, 400, "missing CRLF after chunk data");
                return -1;
            }
            r->ch = CH_SIZE;
            break;
        case CH_TRAILER:
        default: {
            char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
            if (!nl) {
                if (c->in.len > FAKE_ES_MAX_HEAD) {
                    conn_fail(c, 431, "trailer too large");
                    return -1;
                }
                return 0;
            }
            size_t ll = (size_t)(nl - c->in.p);
            bool empty = ll == 0 || (ll == 1 && c->in.p[0] == '\r');
            buf_consume(&c->in, ll + 1);
            if (empty)
                return 1;
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ */
/* connections                                                         */

static void
conn_rst_close(struct conn *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(c->fd);
    c->fd = -1;
    c->dead = true;
}

static void
conn_begin_close(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->st = CS_DRAIN;
    c->wake_ms = fake_es_now_ms() + FAKE_ES_DRAIN_MS;
    c->in.len = 0;
}

/* Returns false on a fatal socket error. */
static bool
conn_flush(struct conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            return false;
        }
        c->out_off += (size_t)w;
    }
    c->out.len = 0;
    c->out_off = 0;
    return true;
}

/* Reads what is available.  Returns false on a fatal socket error. */
static bool
conn_read(struct conn *c)
{
    for (int iter = 0; iter < 16 && !c->peer_eof; iter++) {
        ssize_t n;
        if (c->st == CS_DRAIN || c->st == CS_HANG) {
            char sink[16384];
            n = recv(c->fd, sink, sizeof(sink), 0);
        } else {
            if (c->st != CS_HEAD && c->st != CS_BODY &&
                c->in.len >= FAKE_ES_MAX_BUFFERED)
                return true;
            buf_reserve(&c->in, FAKE_ES_READ_CHUNK);
            n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
            if (n > 0) {
                c->in.len += (size_t)n;
                c->in.p[c->in.len] = '\0';
            }
        }
        if (n == 0) {
            c->peer_eof = true;
        } else if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            return false;
        }
    }
    return true;
}

static bool
conn_wants_read(const struct conn *c)
{
    if (c->peer_eof || c->dead)
        return false;
    switch (c->st) {
    case CS_HEAD:
    case CS_BODY:
    case CS_DRAIN:
    case CS_HANG:
        return true;
    case CS_RST_WAIT:
        return false;
    default:
        return c->in.len < FAKE_ES_MAX_BUFFERED;
    }
}

/* Runs the state machine as far as it goes.  Returns false when the
 * connection is finished and must be freed. */
static bool
conn_advance(struct conn *c)
{
    for (;;) {
        if (c->dead)
            return false;
        if (c->out.len && !conn_flush(c))
            return false;
        switch (c->st) {
        case CS_HEAD:
            if (!conn_parse_head(c))
                return !c->peer_eof;
            break;
        case CS_BODY: {
            int r = conn_read_body(c);
            if (r == 0)
                return !c->peer_eof;
            if (r > 0)
                handle_request(c);
            break;
        }
        case CS_WAIT:
            if (fake_es_now_ms() < c->wake_ms)
                return true;
            buf_add(&c->out, c->staged.p ? c->staged.p : "", c->staged_limit);
            c->staged.len = 0;
            c->st = CS_WRITE;
            break;
        case CS_WRITE:
            if (c->out.len)
                return true; /* wait for POLLOUT */
            switch (c->after) {
            case AFTER_KEEP:
                req_reset(&c->req);
                c->st = CS_HEAD;
                break;
            case AFTER_CLOSE:
                conn_begin_close(c);
                break;
            case AFTER_RST:
                c->st = CS_RST_WAIT;
                c->wake_ms = fake_es_now_ms() + FAKE_ES_RST_WAIT_MS;
                break;
            case AFTER_HANG:
            default:
                c->st = CS_HANG;
                break;
            }
            break;
        case CS_RST_WAIT: {
            /* let what we sent reach the peer before the RST kills it */
            int q = 0;
            if (ioctl(c->fd, TIOCOUTQ, &q) == 0 && q > 0 &&
                fake_es_now_ms() < c->wake_ms)
                return true;
            conn_rst_close(c);
            return false;
        }
        case CS_HANG:
            return !c->peer_eof;
        case CS_DRAIN:
        default:
            return !c->peer_eof && fake_es_now_ms() < c->wake_ms;
        }
    }
}

static void
conn_free(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->staged);
    req_reset(&c->req);
    free(c);
}

static void
server_accept(void)
{
    for (;;) {
        int fd = accept4(g.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "fake_es: accept: %s\n", strerror(errno));
            return;
        }
        if (g.nconns >= FAKE_ES_MAX_CONNS) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = fake_es_xmalloc(sizeof(*c));
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->id = ++g.next_conn_id;
        c->st = CS_HEAD;
        g.connections++;
        g.conns[g.nconns++] = c;
    }
}

static void
server_loop(void)
{
    struct pollfd *pfds =
        fake_es_xmalloc((FAKE_ES_MAX_CONNS + 2) * sizeof(*pfds));
    struct conn **pc = fake_es_xmalloc((FAKE_ES_MAX_CONNS + 2) * sizeof(*pc));
    while (!g_stop) {
        size_t np = 0;
        int64_t now = fake_es_now_ms(), timeout = -1;
        pfds[np].fd = g.sigpipe[0];
        pfds[np].events = POLLIN;
        pc[np++] = NULL;
        pfds[np].fd = g.lfd;
        pfds[np].events = g.nconns < FAKE_ES_MAX_CONNS ? POLLIN : 0;
        pc[np++] = NULL;
        for (size_t i = 0; i < g.nconns; i++) {
            struct conn *c = g.conns[i];
            short ev = 0;
            if (conn_wants_read(c))
                ev |= POLLIN;
            if (c->out.len)
                ev |= POLLOUT;
            pfds[np].fd = c->fd;
            pfds[np].events = ev;
            pc[np++] = c;
            int64_t t = -1;
            if (c->st == CS_WAIT || c->st == CS_DRAIN)
                t = c->wake_ms > now ? c->wake_ms - now : 0;
            else if (c->st == CS_RST_WAIT)
                t = 5;
            if (t >= 0 && (timeout < 0 || t < timeout))
                timeout = t;
        }
        int n =
            poll(pfds, (nfds_t)np, timeout > INT_MAX ? INT_MAX : (int)timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "fake_es: poll: %s\n", strerror(errno));
            break;
        }
        if (pfds[0].revents) {
            char tmp[16];
            while (read(g.sigpipe[0], tmp, sizeof(tmp)) > 0)
                ;
        }
        if (g_stop)
            break;
        for (size_t i = 2; i < np; i++) {
            struct conn *c = pc[i];
            short re = pfds[i].revents;
            if (re & (POLLIN | POLLHUP | POLLERR)) {
                if (!conn_read(c))
                    c->dead = true;
            }
            if (!c->dead && (re & POLLOUT) && !conn_flush(c))
                c->dead = true;
            /* not reading, so nothing else would notice: drop it rather
             * than spin on a dead socket */
            if (!c->dead && (re & (POLLHUP | POLLERR | POLLNVAL)) &&
                !(pfds[i].events & POLLIN))
                c->dead = true;
        }
        if (pfds[1].revents & POLLIN)
            server_accept();
        /* advance everybody (timers, buffered pipelined requests) */
        for (size_t i = 0; i < g.nconns;) {
            struct conn *c = g.conns[i];
            if (c->dead || !conn_advance(c)) {
                conn_free(c);
                g.conns[i] = g.conns[--g.nconns];
            } else {
                i++;
            }
        }
    }
    free(pfds);
    free(pc);
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

static void
on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    g_stop = 1;
    ssize_t r = write(g.sigpipe[1], "x", 1);
    (void)r;
    errno = saved;
}

static bool
load_rule(const char *line, const char *where, size_t lineno)
{
    struct rule r;
    char err[160];
    int ret = rule_parse(line, &r, err, sizeof(err));
    if (ret < 0) {
        fprintf(stderr, "fake_es: %s:%zu: %s: %s\n", where, lineno, err, line);
        return false;
    }
    if (ret > 0) {
        g.rules = fake_es_xrealloc(g.rules, (g.nrules + 1) * sizeof(r));
        g.rules[g.nrules++] = r;
    }
    return true;
}

static bool
load_script(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fake_es: %s: %s\n", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, f) >= 0)
        ok = load_rule(line, path, ++lineno);
    free(line);
    fclose(f);
    return ok;
}

static int
server_listen(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool
write_port_file(const char *path, unsigned port)
{
    size_t n = strlen(path) + 8;
    char *tmp = fake_es_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%u\n", port) > 0;
    if (f && fclose(f) != 0)
        ok = false;
    ok = ok && rename(tmp, path) == 0;
    if (!ok)
        fprintf(stderr, "fake_es: cannot write %s: %s\n", path,
                strerror(errno));
    free(tmp);
    return ok;
}

static void
cleanup(void)
{
    for (size_t i = 0; i < g.nconns; i++)
        conn_free(g.conns[i]);
    free(g.conns);
    for (size_t i = 0; i < g.nrules; i++) {
        free(g.rules[i].reqs.v);
        free(g.rules[i].items.v);
    }
    free(g.rules);
    if (g.record_log)
        fclose(g.record_log);
    free(g.record_dir);
    free(g.info_json);
    json_decref(g.items_by_status);
    json_decref(g.http_by_status);
    json_decref(g.faults);
    json_decref(g.indices);
    json_decref(g.docs);
    json_decref(g.resources);
    if (g.lfd >= 0)
        close(g.lfd);
    close(g.sigpipe[0]);
    close(g.sigpipe[1]);
}

int
main(int argc, char **argv)
{
    enum { O_PORT_FILE = 256, O_VERSION, O_DEDUP, O_MAX_BODY, O_LENIENT };
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"version", required_argument, NULL, O_VERSION},
        {"script", required_argument, NULL, 's'},
        {"fault", required_argument, NULL, 'f'},
        {"dedup", no_argument, NULL, O_DEDUP},
        {"record", required_argument, NULL, 'r'},
        {"max-body", required_argument, NULL, O_MAX_BODY},
        {"lenient", no_argument, NULL, O_LENIENT},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *port_file = NULL, *script = NULL;
    const char **faults = NULL;
    size_t nfaults = 0;
    uint64_t port = 0, v;
    int opt;

    g.lfd = -1;
    g.max_body = FAKE_ES_DEFAULT_MAX_BODY;
    version_parse("8.15.0", &g.ver);
    faults = fake_es_xmalloc((size_t)argc * sizeof(*faults));
    while ((opt = getopt_long(argc, argv, "p:s:f:r:vh", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (!fake_es_parse_u64(optarg, &port) || port > 65535) {
                fprintf(stderr, "fake_es: bad --port '%s'\n", optarg);
                return 2;
            }
            break;
        case O_PORT_FILE:
            port_file = optarg;
            break;
        case O_VERSION:
            if (!version_parse(optarg, &g.ver)) {
                fprintf(stderr,
                        "fake_es: bad --version '%s' (X.Y.Z or "
                        "opensearch:X.Y.Z)\n",
                        optarg);
                return 2;
            }
            break;
        case 's':
            script = optarg;
            break;
        case 'f':
            faults[nfaults++] = optarg;
            break;
        case O_DEDUP:
            g.dedup = true;
            break;
        case 'r':
            free(g.record_dir);
            g.record_dir = fake_es_xstrdup(optarg);
            break;
        case O_MAX_BODY:
            if (!fake_es_parse_u64(optarg, &v) || v == 0 || v > SIZE_MAX / 4) {
                fprintf(stderr, "fake_es: bad --max-body '%s'\n", optarg);
                return 2;
            }
            g.max_body = (size_t)v;
            break;
        case O_LENIENT:
            g.lenient = true;
            break;
        case 'v':
            g.verbose = true;
            break;
        case 'h':
            fputs(fake_es_usage, stdout);
            free(faults);
            free(g.record_dir);
            return 0;
        default:
            fputs(fake_es_usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "fake_es: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    bool ok = !script || load_script(script);
    for (size_t i = 0; ok && i < nfaults; i++)
        ok = load_rule(faults[i], "--fault", i + 1);
    free(faults);
    if (!ok) {
        free(g.record_dir);
        return 2;
    }

    g.items_by_status = json_object();
    g.http_by_status = json_object();
    g.faults = json_object();
    g.indices = json_object();
    g.resources = json_object();
    g.docs = g.dedup ? json_object() : NULL;
    g.info_json = version_info_json(&g.ver);
    g.conns = fake_es_xmalloc(FAKE_ES_MAX_CONNS * sizeof(*g.conns));
    if (pipe2(g.sigpipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror("fake_es: pipe2");
        return 1;
    }
    if (g.record_dir) {
        if (mkdir(g.record_dir, 0777) < 0 && errno != EEXIST) {
            fprintf(stderr, "fake_es: mkdir %s: %s\n", g.record_dir,
                    strerror(errno));
            cleanup();
            return 1;
        }
        size_t n = strlen(g.record_dir) + 32;
        char *p = fake_es_xmalloc(n);
        snprintf(p, n, "%s/requests.ndjson", g.record_dir);
        g.record_log = fopen(p, "w");
        if (!g.record_log)
            fprintf(stderr, "fake_es: %s: %s\n", p, strerror(errno));
        free(p);
        if (!g.record_log) {
            cleanup();
            return 1;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    g.lfd = server_listen((unsigned)port);
    if (g.lfd < 0) {
        fprintf(stderr, "fake_es: cannot listen on 127.0.0.1:%" PRIu64 ": %s\n",
                port, strerror(errno));
        cleanup();
        return 1;
    }
    struct sockaddr_in sin;
    socklen_t slen = sizeof(sin);
    getsockname(g.lfd, (struct sockaddr *)&sin, &slen);
    unsigned real_port = ntohs(sin.sin_port);
    if (port_file && !write_port_file(port_file, real_port)) {
        cleanup();
        return 1;
    }
    printf("FAKE_ES_READY http://127.0.0.1:%u\n", real_port);
    fflush(stdout);

    server_loop();

    json_t *st = stats_json();
    char *s = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fprintf(stderr, "fake_es: stats %s\n", s ? s : "{}");
    free(s);
    json_decref(st);
    cleanup();
    return 0;
}
