/*
 * Index name patterns. A pattern compiles to a list of parts (literal,
 * time directive, field reference). The time of an event is its
 * @timestamp (UTC), so a backfill of last year's logs lands in last year's
 * indices. Expansion runs per event on worker threads: the literal and
 * time text between field parts is rendered into the worker's cache once
 * per hour (%H) or day of event time, with our own digit code (%G and %V
 * use strftime, at that refresh only), and each event copies it.
 */
#include "config.h"

#include "es_index.h"

#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum es_part_kind { ES_PART_LITERAL, ES_PART_TIME, ES_PART_FIELD };

struct es_part {
    enum es_part_kind kind;
    char *text; /* owned: literal text or field name */
    size_t len;
    char directive; /* ES_PART_TIME: Y y m d H j G V */
};

struct es_index {
    struct es_part *parts; /* owned */
    size_t nparts;
    struct span *fields; /* owned array; names borrowed from parts */
    size_t nfields;
    int64_t window_s;  /* the text changes at most this often; 0: never */
    bool has_iso;      /* %G or %V: refreshes fill iso_year / iso_week */
    char *static_name; /* owned: the name when it has no directives */
};

#define ES_INDEX_HOUR_S 3600
#define ES_INDEX_DAY_S  86400
/* Room for any directive's text, with room to spare. */
#define ES_INDEX_TIME_LEN 16

/* Characters Elasticsearch refuses in index names (a switch, not strchr:
 * it runs for every byte of a %{field} value). */
static inline bool
es_index_forbidden(char c)
{
    switch (c) {
    case '\\':
    case '/':
    case '*':
    case '?':
    case '"':
    case '<':
    case '>':
    case '|':
    case ' ':
    case ',':
    case '#':
    case ':':
    case '\0':
        return true;
    default:
        return false;
    }
}

static void
es_index_add(struct es_index *ix, enum es_part_kind kind, const char *text,
             size_t len, char directive)
{
    ix->parts = xrealloc(ix->parts, (ix->nparts + 1) * sizeof(*ix->parts));
    struct es_part *p = &ix->parts[ix->nparts++];
    p->kind = kind;
    p->text = text ? xstrndup(text, len) : NULL;
    p->len = len;
    p->directive = directive;
}

/* Checks a literal run; returns 0 or fills err. */
static int
es_index_check_literal(const char *pattern, const char *s, size_t len,
                       struct errbuf *err)
{
    for (size_t i = 0; i < len; i++) {
        if (isupper((unsigned char)s[i]))
            return errbuf_set(err, "\"%s\": index names must be lower case",
                              pattern);
        if (es_index_forbidden(s[i]))
            return errbuf_set(err, "\"%s\": index names may not contain '%c'",
                              pattern, s[i]);
    }
    return 0;
}

/* Parses the directive at p (after '%'); returns its length or -EINVAL. */
static int
es_index_directive(struct es_index *ix, const char *pattern, const char *p,
                   struct errbuf *err)
{
    if (*p == '{') {
        const char *end = strchr(p, '}');
        if (end == NULL || end == p + 1)
            return errbuf_set(err, "\"%s\": %%{ without a field name and }",
                              pattern);
        es_index_add(ix, ES_PART_FIELD, p + 1, (size_t)(end - p - 1), 0);
        return (int)(end - p) + 1;
    }
    if (*p == '%') {
        es_index_add(ix, ES_PART_LITERAL, "%", 1, 0);
        return 1;
    }
    if (*p != '\0' && strchr("YymdHjGV", *p) != NULL) {
        es_index_add(ix, ES_PART_TIME, NULL, 0, *p);
        return 1;
    }
    return errbuf_set(err,
                      "\"%s\": unknown directive %%%c (known: %%Y %%y "
                      "%%m %%d %%H %%j %%G %%V %%{field})",
                      pattern, *p ? *p : ' ');
}

/*
 * How long a directive's text stays the same, in seconds: the UTC day, or
 * the hour for %H. A directive added without a case here gets one second,
 * which is always correct.
 */
static int64_t
es_index_window(char directive)
{
    switch (directive) {
    case 'Y':
    case 'y':
    case 'm':
    case 'd':
    case 'j':
    case 'G':
    case 'V':
        return ES_INDEX_DAY_S;
    case 'H':
        return ES_INDEX_HOUR_S;
    default:
        return 1;
    }
}

/* Fills ix's field list, window and static name once its parts are known. */
static void
es_index_finish(struct es_index *ix)
{
    for (size_t i = 0; i < ix->nparts; i++) {
        const struct es_part *p = &ix->parts[i];
        if (p->kind == ES_PART_FIELD)
            ix->nfields++;
        if (p->kind != ES_PART_TIME)
            continue;
        if (p->directive == 'G' || p->directive == 'V')
            ix->has_iso = true;
        int64_t w = es_index_window(p->directive);
        if (ix->window_s == 0 || w < ix->window_s)
            ix->window_s = w;
    }
    ix->fields = xcalloc(ix->nfields + 1, sizeof(*ix->fields));
    for (size_t i = 0, k = 0; i < ix->nparts; i++) {
        if (ix->parts[i].kind == ES_PART_FIELD)
            ix->fields[k++] =
                (struct span){ix->parts[i].text, ix->parts[i].len};
    }
    if (ix->nfields == 0 && ix->window_s == 0) {
        /* Only literal parts, with %% already made '%'. */
        struct buf name;
        buf_init(&name, 0);
        buf_append(&name, "", 0);
        for (size_t i = 0; i < ix->nparts; i++)
            buf_append(&name, ix->parts[i].text, ix->parts[i].len);
        ix->static_name = name.data;
    }
}

struct es_index *
es_index_compile(const char *pattern, struct errbuf *err)
{
    if (*pattern == '\0' || strchr("-_+", *pattern) != NULL)
        return errbuf_set(err,
                          "\"%s\": an index name may not be empty or "
                          "start with -, _ or +",
                          pattern),
               NULL;
    struct es_index *ix = xcalloc(1, sizeof(*ix));
    const char *p = pattern;
    while (*p) {
        const char *pct = strchr(p, '%');
        size_t lit = pct ? (size_t)(pct - p) : strlen(p);
        if (lit > 0) {
            if (es_index_check_literal(pattern, p, lit, err) < 0)
                goto fail;
            es_index_add(ix, ES_PART_LITERAL, p, lit, 0);
        }
        p += lit;
        if (*p != '%')
            break;
        int n = es_index_directive(ix, pattern, p + 1, err);
        if (n < 0)
            goto fail;
        p += 1 + n;
    }
    es_index_finish(ix);
    return ix;
fail:
    es_index_destroy(ix);
    return NULL;
}

void
es_index_destroy(struct es_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->nparts; i++)
        free(ix->parts[i].text);
    free(ix->parts);
    free(ix->fields);
    free(ix->static_name);
    free(ix);
}

const char *
es_index_static(const struct es_index *ix)
{
    return ix->static_name;
}

void
es_index_cache_init(struct es_index_cache *c)
{
    memset(c, 0, sizeof(*c));
    c->sec = INT64_MIN;
    c->lo = INT64_MAX; /* an empty window: the first expansion refreshes */
    c->hi = INT64_MIN;
}

/* Appends a field value made safe for an index name. */
static int
es_index_put_value(struct buf *out, struct span v)
{
    if (v.len == 0)
        return buf_append(out, "unknown", 7);
    if (buf_reserve(out, v.len) < 0)
        return -E2BIG;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char u = (unsigned char)v.ptr[i];
        if (u >= 0x80 && u < 0xc0)
            continue; /* a continuation byte: its character is written */
        /* Non-ASCII characters become one '_': Elasticsearch refuses any
         * upper-case letter, and we cannot lower-case Unicode here. ASCII
         * is lower-cased by hand: tolower() is a call per byte. */
        if (u >= 'A' && u <= 'Z')
            u = (unsigned char)(u - 'A' + 'a');
        char c = u >= 0x80 ? '_' : (char)u;
        buf_put_unchecked(out, es_index_forbidden(c) ? '_' : c);
    }
    out->data[out->len] = '\0';
    return 0;
}

/* Writes v in decimal, zero-padded to width digits; returns the length. */
static size_t
es_index_digits(char *out, unsigned v, size_t width)
{
    char tmp[ES_INDEX_TIME_LEN];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n < width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/*
 * Writes one time directive of c->tm as strftime() does; returns the
 * length. Event times are int64 nanoseconds, so years are 1677 to 2262:
 * %Y always has four digits and %y is never negative.
 */
static size_t
es_index_time_text(const struct es_index_cache *c, char directive,
                   char out[ES_INDEX_TIME_LEN])
{
    const struct tm *tm = &c->tm;
    unsigned year = (unsigned)(tm->tm_year + 1900);
    switch (directive) {
    case 'Y':
        return es_index_digits(out, year, 4);
    case 'y':
        return es_index_digits(out, year % 100, 2);
    case 'm':
        return es_index_digits(out, (unsigned)tm->tm_mon + 1, 2);
    case 'd':
        return es_index_digits(out, (unsigned)tm->tm_mday, 2);
    case 'H':
        return es_index_digits(out, (unsigned)tm->tm_hour, 2);
    case 'j':
        return es_index_digits(out, (unsigned)tm->tm_yday + 1, 3);
    case 'G':
        memcpy(out, c->iso_year, sizeof(c->iso_year));
        return strlen(out);
    case 'V':
        memcpy(out, c->iso_week, sizeof(c->iso_week));
        return strlen(out);
    default:
        return 0; /* es_index_directive admits no other */
    }
}

/* Renders the runs of literal and time text between field parts. */
static void
es_index_render(const struct es_index *ix, struct es_index_cache *c)
{
    size_t pos = 0;
    size_t run = 0;
    char tmp[ES_INDEX_TIME_LEN];
    c->fits = false;
    for (size_t i = 0; i < ix->nparts; i++) {
        const struct es_part *p = &ix->parts[i];
        const char *text = p->text;
        size_t len = p->len;
        if (p->kind == ES_PART_FIELD) {
            if (run + 1 >= ES_INDEX_CACHE_RUNS)
                return;
            c->ends[run++] = (uint16_t)pos;
            continue;
        }
        if (p->kind == ES_PART_TIME) {
            len = es_index_time_text(c, p->directive, tmp);
            text = tmp;
        }
        if (len > sizeof(c->text) - pos)
            return;
        memcpy(c->text + pos, text, len);
        pos += len;
    }
    c->ends[run] = (uint16_t)pos;
    c->fits = true;
}

/* Makes c hold ix's text for the window around second sec. */
static void
es_index_refresh(const struct es_index *ix, struct es_index_cache *c,
                 int64_t sec)
{
    c->ix = ix;
    if (ix->window_s == 0) {
        c->lo = INT64_MIN;
        c->hi = INT64_MAX;
    } else {
        int64_t w = ix->window_s;
        c->lo = sec / w * w;
        if (c->lo > sec)
            c->lo -= w; /* floor for times before 1970 */
        c->hi = c->lo + w;
    }
    time_t t = (time_t)sec;
    gmtime_r(&t, &c->tm);
    if (ix->has_iso) {
        strftime(c->iso_year, sizeof(c->iso_year), "%G", &c->tm);
        strftime(c->iso_week, sizeof(c->iso_week), "%V", &c->tm);
    }
    es_index_render(ix, c);
}

/* The second of time_ns, rounded down, and the cache made current for it. */
static void
es_index_prepare(const struct es_index *ix, struct es_index_cache *c,
                 int64_t time_ns)
{
    int64_t sec = time_ns / 1000000000;
    if (time_ns < 0 && time_ns % 1000000000 != 0)
        sec--;
    if (sec < c->lo || sec >= c->hi || c->ix != ix)
        es_index_refresh(ix, c, sec);
    c->sec = sec;
}

const char *
es_index_name(const struct es_index *ix, struct es_index_cache *cache,
              int64_t time_ns, size_t *len)
{
    es_index_prepare(ix, cache, time_ns);
    if (ix->nfields > 0 || !cache->fits)
        return NULL;
    *len = cache->ends[0];
    return cache->text;
}

/* Appends the name part by part: for text that does not fit the cache. */
static int
es_index_expand_parts(const struct es_index *ix, const struct es_index_cache *c,
                      const struct event *ev, struct buf *out)
{
    char tmp[ES_INDEX_TIME_LEN];
    for (size_t i = 0; i < ix->nparts; i++) {
        const struct es_part *p = &ix->parts[i];
        int rc = 0;
        struct span v = {NULL, 0};
        switch (p->kind) {
        case ES_PART_LITERAL:
            rc = buf_append(out, p->text, p->len);
            break;
        case ES_PART_TIME: {
            size_t n = es_index_time_text(c, p->directive, tmp);
            rc = buf_append(out, tmp, n);
            break;
        }
        case ES_PART_FIELD:
            event_value(ev, (struct span){p->text, p->len}, &v, NULL);
            rc = es_index_put_value(out, v);
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
es_index_expand(const struct es_index *ix, struct es_index_cache *cache,
                const struct event *ev, struct buf *out)
{
    es_index_prepare(ix, cache, ev->time_ns);
    if (!cache->fits)
        return es_index_expand_parts(ix, cache, ev, out);
    size_t pos = 0;
    for (size_t k = 0;; k++) {
        size_t end = cache->ends[k];
        if (buf_append(out, cache->text + pos, end - pos) < 0)
            return -E2BIG;
        if (k == ix->nfields)
            return 0;
        pos = end;
        struct span v = {NULL, 0};
        event_value(ev, ix->fields[k], &v, NULL);
        if (es_index_put_value(out, v) < 0)
            return -E2BIG;
    }
}
