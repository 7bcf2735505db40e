/*
 * Time zones: a table of UTC transitions and the offset after each, read
 * from a TZif file (RFC 8536, v1 32-bit or v2+ 64-bit data), plus the POSIX
 * TZ rule of the file's footer for times after the last transition. Only
 * offsets matter here (abbreviations and isdst are not kept), so
 * transitions that change neither are dropped. Loaded once; read-only
 * afterwards and shared by every worker. Never touches TZ or localtime().
 */
#include "config.h"

#include "timefmt_zone.h"

#include "timefmt_int.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZONE_DEFAULT_DIR      "/usr/share/zoneinfo"
#define ZONE_LOCALTIME        "/etc/localtime"
#define ZONE_MAX_FILE_BYTES   (1024 * 1024)
#define ZONE_MAX_NAME_LEN     255
#define ZONE_MAX_OFFSET_SEC   (26 * 3600) /* RFC 8536 suggests < 26h */
#define ZONE_MAX_TYPES        256         /* type indices are one byte */
#define ZONE_MAX_RULE_HOURS   167         /* RFC 8536 §3.3.1 extension */
#define ZONE_WINDOW_SEC       (2 * TIMEFMT_SEC_PER_DAY)
#define ZONE_MAX_WALK         64
#define ZONE_DEFAULT_DST_SEC  3600
#define ZONE_DEFAULT_RULE_SEC 7200

/* One date of a POSIX TZ rule: Mm.w.d, Jn (no Feb 29) or n (0-based). */
struct zone_date {
    char kind; /* 'M', 'J' or 'N' */
    int m, w, d, n;
    int32_t time; /* local seconds after midnight; may be <0 or >24h */
};

/* A POSIX TZ string with daylight saving time. */
struct zone_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    struct zone_date start;   /* in standard time */
    struct zone_date end;     /* in daylight time */
};

struct timefmt_zone {
    char *name;         /* owned */
    bool fixed;         /* fixed_off everywhere; the rest is unused */
    int32_t fixed_off;  /* seconds east of UTC */
    int64_t *trans;     /* owned: UTC seconds, strictly ascending */
    int32_t *trans_off; /* owned: the offset from trans[i] on */
    size_t ntrans;      /* may be 0 when the rule covers everything */
    int32_t first_off;  /* before trans[0] */
    bool has_rule;      /* rule holds from the last transition on */
    int32_t last_off;   /* when !has_rule: from the last transition on */
    struct zone_rule rule;
};

/* A change of offset at UTC second `at`. */
struct zone_edge {
    int64_t at;
    int32_t off;
};

/* A run of time [begin, end) with one offset. */
struct zone_span {
    int64_t begin, end;
    int32_t off;
};

/* ---- POSIX TZ strings (RFC 8536 §3.3, POSIX.1 TZ) ---- */

/* Skips a zone abbreviation: three or more letters, or <+03>. */
static const char *
timefmt_zone_posix_name(const char *p, const char *end)
{
    const char *s = p;
    if (p < end && *p == '<') {
        for (s = ++p;
             p < end && (isalnum((unsigned char)*p) || *p == '+' || *p == '-');
             p++)
            ;
        return p < end && *p == '>' && p - s >= 3 ? p + 1 : NULL;
    }
    while (p < end && isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* Parses [+-]hh[:mm[:ss]] with hh <= max_h into *sec (sign as written). */
static const char *
timefmt_zone_posix_hms(const char *p, const char *end, int max_h, int32_t *sec)
{
    int sign = 1, part[3] = {0, 0, 0};
    if (p < end && (*p == '+' || *p == '-'))
        sign = *p++ == '-' ? -1 : 1;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && (p >= end || *p != ':'))
            break;
        p += i > 0;
        const char *s = p;
        while (p < end && isdigit((unsigned char)*p) && p - s < 3)
            part[i] = part[i] * 10 + (*p++ - '0');
        if (p == s || (i > 0 && (p - s != 2 || part[i] > 59)))
            return NULL;
    }
    if (part[0] > max_h)
        return NULL;
    *sec = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return p;
}

/* Parses a number in [lo, hi]. */
static const char *
timefmt_zone_posix_num(const char *p, const char *end, int lo, int hi, int *out)
{
    int v = 0;
    const char *s = p;
    while (p < end && isdigit((unsigned char)*p) && p - s < 3)
        v = v * 10 + (*p++ - '0');
    if (p == s || v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

/* Parses ",date[/time]" into d. */
static const char *
timefmt_zone_posix_date(const char *p, const char *end, struct zone_date *d)
{
    if (p >= end || *p++ != ',' || p >= end)
        return NULL;
    d->time = ZONE_DEFAULT_RULE_SEC;
    if (*p == 'M') {
        d->kind = 'M';
        p = timefmt_zone_posix_num(p + 1, end, 1, 12, &d->m);
        if (p == NULL || p >= end || *p++ != '.')
            return NULL;
        p = timefmt_zone_posix_num(p, end, 1, 5, &d->w);
        if (p == NULL || p >= end || *p++ != '.')
            return NULL;
        p = timefmt_zone_posix_num(p, end, 0, 6, &d->d);
    } else if (*p == 'J') {
        d->kind = 'J';
        p = timefmt_zone_posix_num(p + 1, end, 1, 365, &d->n);
    } else {
        d->kind = 'N';
        p = timefmt_zone_posix_num(p, end, 0, 365, &d->n);
    }
    if (p != NULL && p < end && *p == '/')
        p = timefmt_zone_posix_hms(p + 1, end, ZONE_MAX_RULE_HOURS, &d->time);
    return p;
}

/*
 * Parses a POSIX TZ string. Returns 0 with *has_dst telling whether rule
 * has daylight saving time (else only rule->std_off is set), or -EINVAL.
 */
static int
timefmt_zone_posix_parse(const char *s, size_t len, struct zone_rule *rule,
                         bool *has_dst)
{
    const char *p = s, *end = s + len;
    int32_t off;

    p = timefmt_zone_posix_name(p, end);
    if (p == NULL || (p = timefmt_zone_posix_hms(p, end, 24, &off)) == NULL)
        return -EINVAL;
    rule->std_off = -off; /* POSIX counts west of Greenwich */
    *has_dst = p < end;
    if (p == end)
        return 0;
    p = timefmt_zone_posix_name(p, end);
    if (p == NULL)
        return -EINVAL;
    rule->dst_off = rule->std_off + ZONE_DEFAULT_DST_SEC;
    if (p < end && *p != ',') {
        p = timefmt_zone_posix_hms(p, end, 24, &off);
        if (p == NULL)
            return -EINVAL;
        rule->dst_off = -off;
    }
    if (p == end) { /* POSIX leaves it to the implementation: US rules */
        rule->start =
            (struct zone_date){'M', 3, 2, 0, 0, ZONE_DEFAULT_RULE_SEC};
        rule->end = (struct zone_date){'M', 11, 1, 0, 0, ZONE_DEFAULT_RULE_SEC};
        return 0;
    }
    p = timefmt_zone_posix_date(p, end, &rule->start);
    if (p != NULL)
        p = timefmt_zone_posix_date(p, end, &rule->end);
    return p == end ? 0 : -EINVAL;
}

/* Days since the epoch of a rule date in year y. */
static int64_t
timefmt_zone_date_days(const struct zone_date *d, int64_t y)
{
    int64_t jan1 = timefmt_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->n - 1 + (timefmt_is_leap(y) && d->n >= 60);
    if (d->kind == 'N')
        return jan1 + d->n;
    int64_t first = timefmt_days_from_civil(y, d->m, 1);
    int day = 1 + (d->d - timefmt_weekday(first) + 7) % 7 + 7 * (d->w - 1);
    while (day > timefmt_days_in_month(y, d->m)) /* w = 5: the last one */
        day -= 7;
    return first + day - 1;
}

/* The span of the rule's offsets that holds UTC second t. */
static void
timefmt_zone_rule_span(const struct zone_rule *r, int64_t t,
                       struct zone_span *out)
{
    struct zone_edge b[6];
    int64_t y;
    int m, d, n = 0;

    timefmt_civil_from_days(
        timefmt_floor_div(t + r->std_off, TIMEFMT_SEC_PER_DAY), &y, &m, &d);
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t s = timefmt_zone_date_days(&r->start, yy) * TIMEFMT_SEC_PER_DAY;
        int64_t e = timefmt_zone_date_days(&r->end, yy) * TIMEFMT_SEC_PER_DAY;
        b[n].at = s + r->start.time - r->std_off;
        b[n++].off = r->dst_off;
        b[n].at = e + r->end.time - r->dst_off;
        b[n++].off = r->std_off;
    }
    for (int i = 1; i < n; i++) { /* stable insertion sort */
        for (int j = i; j > 0 && b[j - 1].at > b[j].at; j--) {
            struct zone_edge tmp = b[j];
            b[j] = b[j - 1];
            b[j - 1] = tmp;
        }
    }
    int k = -1;
    while (k + 1 < n && b[k + 1].at <= t)
        k++;
    out->begin = k < 0 ? INT64_MIN : b[k].at;
    out->end = k + 1 < n ? b[k + 1].at : INT64_MAX;
    if (k >= 0)
        out->off = b[k].off;
    else
        out->off = b[0].off == r->dst_off ? r->std_off : r->dst_off;
}

/* ---- lookups ---- */

/* The span of constant offset holding UTC second t. */
static void
timefmt_zone_span(const struct timefmt_zone *z, int64_t t,
                  struct zone_span *out)
{
    size_t n = z->ntrans;

    if (z->fixed) {
        *out = (struct zone_span){INT64_MIN, INT64_MAX, z->fixed_off};
    } else if (n > 0 && t < z->trans[0]) {
        *out = (struct zone_span){INT64_MIN, z->trans[0], z->first_off};
    } else if (n > 0 && t < z->trans[n - 1]) {
        size_t lo = 0, hi = n - 1; /* trans[lo] <= t < trans[hi] */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (z->trans[mid] <= t)
                lo = mid;
            else
                hi = mid;
        }
        *out = (struct zone_span){z->trans[lo], z->trans[hi], z->trans_off[lo]};
    } else {
        int64_t floor = n > 0 ? z->trans[n - 1] : INT64_MIN;
        if (z->has_rule)
            timefmt_zone_rule_span(&z->rule, t, out);
        else
            *out = (struct zone_span){floor, INT64_MAX, z->last_off};
        if (out->begin < floor)
            out->begin = floor;
    }
}

int32_t
timefmt_zone_offset_at(const struct timefmt_zone *zone, int64_t utc_sec)
{
    struct zone_span s;
    if (zone == NULL)
        return 0;
    timefmt_zone_span(zone, utc_sec, &s);
    return s.off;
}

int64_t
timefmt_zone_local_to_utc(const struct timefmt_zone *zone, int64_t local_sec)
{
    if (zone == NULL)
        return local_sec;
    if (zone->fixed)
        return local_sec - zone->fixed_off;
    if (local_sec < INT64_MIN / 2 || local_sec > INT64_MAX / 2)
        return local_sec - timefmt_zone_offset_at(zone, local_sec);

    /*
     * Every UTC instant that reads local_sec lies within a day or so of
     * it: walk the spans there and keep the earliest that fits. When none
     * does, local_sec is in a gap: use the offset before it.
     */
    struct zone_span s, next;
    int64_t best = INT64_MAX, gap = INT64_MAX;
    timefmt_zone_span(zone, local_sec - ZONE_WINDOW_SEC, &s);
    for (int i = 0; i < ZONE_MAX_WALK; i++) {
        int64_t t = local_sec - s.off;
        if (t >= s.begin && t < s.end && t < best)
            best = t;
        if (s.end == INT64_MAX || s.end > local_sec + ZONE_WINDOW_SEC)
            break;
        timefmt_zone_span(zone, s.end, &next);
        if (gap == INT64_MAX && t >= s.end && local_sec - next.off < s.end)
            gap = t;
        s = next;
    }
    if (best != INT64_MAX)
        return best;
    return gap != INT64_MAX ? gap : local_sec - s.off;
}

const char *
timefmt_zone_name(const struct timefmt_zone *zone)
{
    return zone->name;
}

void
timefmt_zone_destroy(struct timefmt_zone *zone)
{
    if (zone == NULL)
        return;
    free(zone->name);
    free(zone->trans);
    free(zone->trans_off);
    free(zone);
}

/* ---- TZif files (RFC 8536) ---- */

struct zone_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t
timefmt_zone_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t
timefmt_zone_be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)timefmt_zone_be32(p) << 32 |
                     timefmt_zone_be32(p + 4));
}

/* Reads a 44-byte header at p; returns the version (0, 2, 3...) or -1. */
static int
timefmt_zone_header(const uint8_t *p, size_t avail, struct zone_counts *c)
{
    if (avail < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    c->isut = timefmt_zone_be32(p + 20);
    c->isstd = timefmt_zone_be32(p + 24);
    c->leap = timefmt_zone_be32(p + 28);
    c->time = timefmt_zone_be32(p + 32);
    c->type = timefmt_zone_be32(p + 36);
    c->chars = timefmt_zone_be32(p + 40);
    return p[4] == 0 ? 0 : p[4] - '0';
}

/* Bytes of the data block after a header, for time values of tsize. */
static uint64_t
timefmt_zone_block_len(const struct zone_counts *c, unsigned tsize)
{
    return (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 + c->chars +
           (uint64_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

/* Fills z's transitions from a data block; returns a reason or NULL. */
static const char *
timefmt_zone_block(struct timefmt_zone *z, const uint8_t *p,
                   const struct zone_counts *c, unsigned tsize)
{
    int32_t offs[ZONE_MAX_TYPES];

    if (c->type == 0 || c->type > ZONE_MAX_TYPES || c->chars == 0)
        return "bad counts";
    if ((c->isstd != 0 && c->isstd != c->type) ||
        (c->isut != 0 && c->isut != c->type))
        return "bad counts";
    if (c->leap != 0)
        return "leap-second (\"right/\") zones are not supported";
    const uint8_t *idx = p + (size_t)c->time * tsize;
    const uint8_t *types = idx + c->time;
    for (uint32_t i = 0; i < c->type; i++) {
        int64_t off = (int32_t)timefmt_zone_be32(types + 6 * i);
        if (off < -ZONE_MAX_OFFSET_SEC || off > ZONE_MAX_OFFSET_SEC ||
            types[6 * i + 4] > 1 || types[6 * i + 5] >= c->chars)
            return "bad local time type";
        offs[i] = (int32_t)off;
    }
    z->trans = xmalloc((c->time + 1) * sizeof(*z->trans));
    z->trans_off = xmalloc((c->time + 1) * sizeof(*z->trans_off));
    z->first_off = z->last_off = offs[0];
    int64_t prev = INT64_MIN;
    for (uint32_t i = 0; i < c->time; i++) {
        const uint8_t *tp = p + (size_t)i * tsize;
        int64_t t =
            tsize == 8 ? timefmt_zone_be64(tp) : (int32_t)timefmt_zone_be32(tp);
        if (idx[i] >= c->type)
            return "bad type index";
        if (i > 0 && t <= prev)
            return "transitions out of order";
        prev = t;
        if (offs[idx[i]] == z->last_off)
            continue; /* only the abbreviation or isdst changes */
        z->trans[z->ntrans] = t;
        z->trans_off[z->ntrans++] = offs[idx[i]];
        z->last_off = offs[idx[i]];
    }
    return NULL;
}

/* Parses TZif data into z; returns a reason or NULL. */
static const char *
timefmt_zone_tzif(struct timefmt_zone *z, const uint8_t *data, size_t len)
{
    struct zone_counts c;
    int version = timefmt_zone_header(data, len, &c);
    if (version < 0)
        return "not a TZif file";
    uint64_t blen = timefmt_zone_block_len(&c, 4);
    if (blen > len - 44)
        return "truncated";
    if (version < 2)
        return timefmt_zone_block(z, data + 44, &c, 4);

    const uint8_t *p = data + 44 + blen, *end = data + len;
    if (timefmt_zone_header(p, (size_t)(end - p), &c) < 0)
        return "bad second header";
    p += 44;
    blen = timefmt_zone_block_len(&c, 8);
    if (blen > (uint64_t)(end - p))
        return "truncated";
    const char *why = timefmt_zone_block(z, p, &c, 8);
    if (why != NULL)
        return why;
    p += blen;
    if (p >= end || *p != '\n')
        return "missing footer";
    const uint8_t *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
    if (nl == NULL)
        return "unterminated footer";
    if (nl == p + 1)
        return NULL; /* empty footer: the last offset holds */
    bool dst;
    if (timefmt_zone_posix_parse((const char *)p + 1, (size_t)(nl - p - 1),
                                 &z->rule, &dst) < 0)
        return "unsupported TZ string in the footer";
    z->has_rule = dst;
    if (!dst)
        z->last_off = z->rule.std_off;
    return NULL;
}

/* Reads a whole regular file of at most ZONE_MAX_FILE_BYTES. */
static int
timefmt_zone_read(const char *path, uint8_t **data, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > ZONE_MAX_FILE_BYTES) {
        rc = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
        goto out;
    }
    *data = xmalloc((size_t)st.st_size + 1);
    *len = 0;
    while (*len < (size_t)st.st_size) {
        ssize_t n = read(fd, *data + *len, (size_t)st.st_size - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        *len += (size_t)n;
    }
    if (rc < 0)
        free(*data);
out:
    close(fd);
    return rc;
}

/* ---- loading ---- */

/* Parses "+hh", "+hhmm" or "+hh:mm" (also with '-'). */
static int
timefmt_zone_fixed(const char *s, int32_t *off)
{
    size_t len = strlen(s);
    int h, m = 0;
    if ((s[0] != '+' && s[0] != '-') || len < 3 ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
        return -EINVAL;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    const char *mm = s[3] == ':' ? s + 4 : s + 3;
    if (len > 3) {
        if (strlen(mm) != 2 || !isdigit((unsigned char)mm[0]) ||
            !isdigit((unsigned char)mm[1]))
            return -EINVAL;
        m = (mm[0] - '0') * 10 + (mm[1] - '0');
    }
    if (h > 23 || m > 59)
        return -EINVAL;
    *off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

/* True for a name that stays inside the zone directory. */
static bool
timefmt_zone_safe_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > ZONE_MAX_NAME_LEN || name[0] == '/')
        return false;
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
            return false;
        if (*p == '.' && (p == name || p[-1] == '/'))
            return false; /* no "..", no hidden files */
    }
    return true;
}

/* Loads dir/name into z: *rc is 0 or the read error; returns a reason why
 * the file is not usable, or NULL. */
static const char *
timefmt_zone_load_file(struct timefmt_zone *z, const char *dir,
                       const char *name, int *rc)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *path = xasprintf("%s/%s", dir, name);
    *rc = timefmt_zone_read(path, &data, &len);
    free(path);
    if (*rc < 0)
        return NULL;
    const char *why = timefmt_zone_tzif(z, data, len);
    free(data);
    return why;
}

/* Fills z from a TZif file or a POSIX TZ string; 0 or -EINVAL. */
static int
timefmt_zone_load_named(struct timefmt_zone *z, const char *name,
                        struct errbuf *err)
{
    const char *dir = getenv("TZDIR");
    bool dst;
    int rc = -ENOENT;

    if (dir == NULL || *dir == '\0')
        dir = ZONE_DEFAULT_DIR;
    if (timefmt_zone_safe_name(name)) {
        const char *why = timefmt_zone_load_file(z, dir, name, &rc);
        if (why != NULL)
            return errbuf_set(err, "time zone \"%s\": %s/%s: %s", name, dir,
                              name, why);
        if (rc == 0)
            return 0;
    }
    if (timefmt_zone_posix_parse(name, strlen(name), &z->rule, &dst) == 0) {
        z->has_rule = dst;
        z->fixed = !dst;
        z->fixed_off = z->rule.std_off;
        return 0;
    }
    if (access(dir, F_OK) != 0)
        return errbuf_set(err,
                          "unknown time zone \"%s\": no time zone data in %s "
                          "(install tzdata)",
                          name, dir);
    if (rc != -ENOENT && rc != -EISDIR && rc != -ENOTDIR)
        return errbuf_set(err, "time zone \"%s\": %s/%s: %s", name, dir, name,
                          strerror(-rc));
    return errbuf_set(err, "unknown time zone \"%s\"", name);
}

/*
 * Fills z with this machine's zone, as the C library would pick it but
 * without calling tzset(): $TZ (":Area/City", "Area/City", a POSIX rule, a
 * path to a TZif file; empty: UTC), else /etc/localtime, else UTC.
 */
static int
timefmt_zone_load_local(struct timefmt_zone *z, struct errbuf *err)
{
    const char *tz = getenv("TZ");
    const char *path = ZONE_LOCALTIME;
    bool from_tz = tz != NULL;
    if (from_tz) {
        if (*tz == ':')
            tz++;
        if (*tz == '\0') { /* set but empty: UTC, as the C library */
            z->fixed = true;
            return 0;
        }
        if (*tz != '/') {
            struct errbuf why;
            if (timefmt_zone_load_named(z, tz, &why) < 0)
                return errbuf_set(err, "local time zone ($TZ=%s): %s",
                                  getenv("TZ"), why.msg);
            return 0;
        }
        path = tz;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = timefmt_zone_read(path, &data, &len);
    if (rc == -ENOENT && !from_tz) {
        z->fixed = true; /* no zone configured: UTC, as the C library */
        return 0;
    }
    if (rc < 0)
        return errbuf_set(err, "local time zone: %s: %s", path, strerror(-rc));
    const char *why = timefmt_zone_tzif(z, data, len);
    free(data);
    if (why != NULL)
        return errbuf_set(err, "local time zone: %s: %s", path, why);
    return 0;
}

struct timefmt_zone *
timefmt_zone_load(const char *name, struct errbuf *err)
{
    struct timefmt_zone *z = xcalloc(1, sizeof(*z));
    z->name = xstrdup(name);
    if (strcmp(name, "local") == 0) {
        if (timefmt_zone_load_local(z, err) < 0)
            goto fail;
    } else if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 ||
               strcmp(name, "GMT") == 0) {
        z->fixed = true;
    } else if (name[0] == '+' || name[0] == '-') {
        z->fixed = true;
        if (timefmt_zone_fixed(name, &z->fixed_off) < 0) {
            errbuf_set(err,
                       "bad time zone offset \"%s\" (expected +hh:mm, +hhmm "
                       "or +hh)",
                       name);
            goto fail;
        }
    } else if (timefmt_zone_load_named(z, name, err) < 0) {
        goto fail;
    }
    if (!z->fixed && z->ntrans == 0 && !z->has_rule) {
        z->fixed = true; /* e.g. Etc/GMT-2: one offset forever */
        z->fixed_off = z->last_off;
    }
    return z;
fail:
    timefmt_zone_destroy(z);
    return NULL;
}
