/*
 * JSON encoding on the worker hot path: string escaping with UTF-8 repair
 * (WHATWG / Unicode "maximal subpart" replacement), RFC 3339 timestamps
 * with a per-second cache, and whole event documents with dotted field
 * names nested into objects. Called by one worker thread per ndjson_enc;
 * the functions are otherwise pure. Must never allocate per event once the
 * enc is warm, call strlen on event data, or emit invalid JSON.
 */
#include "config.h"

#include "ndjson.h"

#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NDJSON_ESC_MAX_LEN        6 /* worst output per input byte: \u00XX */
#define NDJSON_WORST_CASE_MAX_LEN (64 * 1024) /* longer: measure first */
#define NDJSON_TIME_LEN           26 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" with quotes */
#define NDJSON_SORT_RUN           8  /* insertion-sorted run before merging */
#define NDJSON_ORDER_MIN          64 /* first size of enc->order, in entries */
#define NDJSON_LITERAL            0x80000000u /* order entry: name is one key */
#define NDJSON_INDEX_MASK         0x7fffffffu
#define NS_PER_SEC                INT64_C(1000000000)
#define NS_PER_MS                 INT64_C(1000000)
#define SEC_PER_DAY               INT64_C(86400)
#define DAYS_PER_ERA              INT64_C(146097) /* 400 Gregorian years */
#define DAYS_0000_03_TO_1970      INT64_C(719468)

/* Byte classes: 0 copies raw, 1 needs a JSON escape, 2 starts UTF-8. */
enum ndjson_class { NDJSON_RAW, NDJSON_ESC, NDJSON_UTF8 };

#define R NDJSON_RAW
#define E NDJSON_ESC
#define U NDJSON_UTF8
static const unsigned char ndjson_class[256] = {
    E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, /* 0x00 */
    E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, /* 0x10 */
    R, R, E, R, R, R, R, R, R, R, R, R, R, R, R, R, /* 0x20 '"' */
    R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, /* 0x30 */
    R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, /* 0x40 */
    R, R, R, R, R, R, R, R, R, R, R, R, E, R, R, R, /* 0x50 '\\' */
    R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, /* 0x60 */
    R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, /* 0x70 (DEL raw) */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0x80 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0x90 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xa0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xb0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xc0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xd0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xe0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 0xf0 */
};
#undef R
#undef E
#undef U

/* Short escapes; 0 means \u00XX. */
static const char ndjson_short_esc[0x60] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',  ['\r'] = 'r',
    ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\',
};

static const char ndjson_hex[] = "0123456789abcdef";
static const char ndjson_fffd[3] = {'\xef', '\xbf', '\xbd'};

#define SWAR_ONES  UINT64_C(0x0101010101010101)
#define SWAR_HIGHS UINT64_C(0x8080808080808080)

/*
 * Returns nonzero if any of 8 bytes is < 0x20, '"', '\\' or >= 0x80.
 * False positives only cost speed (the byte loop decides); there are no
 * false negatives.
 */
static inline uint64_t
ndjson_swar_special(uint64_t x)
{
    uint64_t quote = x ^ (SWAR_ONES * '"');
    uint64_t bslash = x ^ (SWAR_ONES * '\\');
    uint64_t ctl = (x - SWAR_ONES * 0x20) & ~x;
    quote = (quote - SWAR_ONES) & ~quote;
    bslash = (bslash - SWAR_ONES) & ~bslash;
    return (x | ctl | quote | bslash) & SWAR_HIGHS;
}

/* Returns the first byte at or after p that isn't NDJSON_RAW, or end. */
static inline const unsigned char *
ndjson_scan(const unsigned char *p, const unsigned char *end)
{
    uint64_t w;
    while (end - p >= 8) {
        memcpy(&w, p, sizeof(w));
        if (ndjson_swar_special(w))
            break;
        p += 8;
    }
    while (p < end && ndjson_class[*p] == NDJSON_RAW)
        p++;
    return p;
}

/*
 * Returns the length (2-4) of the valid UTF-8 sequence at p, or 0 and sets
 * *bad to the length of the maximal invalid subpart (1-3): the lead byte
 * plus the continuation bytes that were still acceptable, as WHATWG's
 * decoder consumes them. The byte after the subpart is decoded afresh.
 */
static inline size_t
ndjson_utf8_seq(const unsigned char *p, const unsigned char *end, size_t *bad)
{
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c < 0xc2 || c > 0xf4) {
        *bad = 1; /* continuation, overlong C0/C1 lead, or F5..FF */
        return 0;
    }
    if (c < 0xe0) {
        n = 2;
    } else if (c < 0xf0) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : lo; /* overlong */
        hi = c == 0xed ? 0x9f : hi; /* surrogates */
    } else {
        n = 4;
        lo = c == 0xf0 ? 0x90 : lo; /* overlong */
        hi = c == 0xf4 ? 0x8f : hi; /* > U+10FFFF */
    }
    for (size_t i = 1; i < n; i++) {
        if ((size_t)(end - p) <= i || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return n;
}

/* Writes the escape for an ASCII byte of class NDJSON_ESC at d. */
static inline char *
ndjson_put_escape(char *d, unsigned char c)
{
    char s = ndjson_short_esc[c];
    *d++ = '\\';
    if (s) {
        *d++ = s;
        return d;
    }
    memcpy(d, "u00", 3);
    d[3] = ndjson_hex[c >> 4];
    d[4] = ndjson_hex[c & 0xf];
    return d + 5;
}

/*
 * Writes the escaped body of s (no quotes) at d, which has room for
 * NDJSON_ESC_MAX_LEN bytes per input byte; returns the new end. Runs of
 * bytes that need nothing, valid UTF-8 included, are copied with memcpy.
 */
static char *
ndjson_escape(char *d, const unsigned char *p, const unsigned char *end)
{
    const unsigned char *run = p;
    size_t n, bad = 1;

    for (;;) {
        p = ndjson_scan(p, end);
        if (p == end)
            break;
        if (*p >= 0x80) {
            n = ndjson_utf8_seq(p, end, &bad);
            if (n) {
                p += n;
                continue;
            }
        }
        memcpy(d, run, (size_t)(p - run));
        d += p - run;
        if (*p >= 0x80) {
            memcpy(d, ndjson_fffd, sizeof(ndjson_fffd));
            d += sizeof(ndjson_fffd);
            p += bad;
        } else {
            d = ndjson_put_escape(d, *p++);
        }
        run = p;
    }
    memcpy(d, run, (size_t)(p - run));
    return d + (p - run);
}

/* Returns the exact length ndjson_escape() will write for s. */
static size_t
ndjson_escaped_len(const unsigned char *p, const unsigned char *end)
{
    size_t total = 0, n, bad;

    for (;;) {
        const unsigned char *run = ndjson_scan(p, end);
        total += (size_t)(run - p);
        p = run;
        if (p == end)
            return total;
        if (*p < 0x80) {
            total += ndjson_short_esc[*p++] ? 2 : NDJSON_ESC_MAX_LEN;
            continue;
        }
        n = ndjson_utf8_seq(p, end, &bad);
        total += n ? n : sizeof(ndjson_fffd);
        p += n ? n : bad;
    }
}

/*
 * Appends [lead]"s"[trail]; lead and trail are single bytes, 0 for none.
 * Reserves the worst case when s is short and that fits under the limit;
 * else measures the exact length first (a second pass), so long lines don't
 * grow the buffer sixfold and -E2BIG means the result really didn't fit.
 */
static int
ndjson_put_quoted(struct buf *out, char lead, const char *s, size_t len,
                  char trail)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t extra = 2 + (lead != 0) + (trail != 0);

    if (len > NDJSON_WORST_CASE_MAX_LEN ||
        buf_reserve(out, len * NDJSON_ESC_MAX_LEN + extra) < 0) {
        size_t exact = ndjson_escaped_len(p, end);
        if (exact > SIZE_MAX - extra || buf_reserve(out, exact + extra) < 0)
            return -E2BIG;
    }
    char *d = out->data + out->len;
    if (lead)
        *d++ = lead;
    *d++ = '"';
    d = ndjson_escape(d, p, end);
    *d++ = '"';
    if (trail)
        *d++ = trail;
    *d = '\0';
    out->len = (size_t)(d - out->data);
    return 0;
}

int
ndjson_write_string(struct buf *out, const char *s, size_t len)
{
    return ndjson_put_quoted(out, 0, s, len, 0);
}

void
ndjson_enc_init(struct ndjson_enc *enc)
{
    enc->order = NULL;
    enc->cap_order = 0;
    enc->cached_sec = INT64_MIN; /* no real second: ns / 1e9 > INT64_MIN */
    memset(enc->cached_time, 0, sizeof(enc->cached_time));
}

void
ndjson_enc_fini(struct ndjson_enc *enc)
{
    free(enc->order);
    ndjson_enc_init(enc);
}

/* Writes v as exactly `width` decimal digits (v >= 0). */
static void
ndjson_put_digits(char *d, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        d[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * Formats "YYYY-MM-DDTHH:MM:SS." for sec since the epoch into d: the
 * civil-from-days algorithm over 400-year eras (H. Hinnant), which works
 * for negative days and needs neither gmtime_r nor the TZ lock.
 */
static void
ndjson_format_second(char *d, int64_t sec)
{
    int64_t days = sec / SEC_PER_DAY, sod = sec % SEC_PER_DAY;
    if (sod < 0) {
        sod += SEC_PER_DAY;
        days--;
    }
    int64_t z = days + DAYS_0000_03_TO_1970;
    int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    int64_t doe = z - era * DAYS_PER_ERA;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153; /* months from March */
    int64_t mday = doy - (153 * mp + 2) / 5 + 1;
    int64_t mon = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (mon <= 2);

    /* int64 ns spans 1677..2262, so the year always has four digits. */
    ndjson_put_digits(d, year, 4);
    d[4] = '-';
    ndjson_put_digits(d + 5, mon, 2);
    d[7] = '-';
    ndjson_put_digits(d + 8, mday, 2);
    d[10] = 'T';
    ndjson_put_digits(d + 11, sod / 3600, 2);
    d[13] = ':';
    ndjson_put_digits(d + 14, sod / 60 % 60, 2);
    d[16] = ':';
    ndjson_put_digits(d + 17, sod % 60, 2);
    d[19] = '.';
}

int
ndjson_write_time(struct ndjson_enc *enc, struct buf *out, int64_t time_ns)
{
    int64_t sec = time_ns / NS_PER_SEC, frac = time_ns % NS_PER_SEC;
    if (frac < 0) { /* floor, so 1969 times count up to the next second */
        frac += NS_PER_SEC;
        sec--;
    }
    if (sec != enc->cached_sec) {
        ndjson_format_second(enc->cached_time, sec);
        enc->cached_sec = sec;
    }
    if (buf_reserve(out, NDJSON_TIME_LEN) < 0)
        return -E2BIG;
    char *d = out->data + out->len;
    d[0] = '"';
    memcpy(d + 1, enc->cached_time, 20);
    ndjson_put_digits(d + 21, frac / NS_PER_MS, 3);
    d[24] = 'Z';
    d[25] = '"';
    out->len += NDJSON_TIME_LEN;
    out->data[out->len] = '\0';
    return 0;
}

/*
 * Event documents. Every member comes from a "virtual field": index 0 is
 * the message taken from ev->text, 1..nfields are ev->fields, nfields + 1
 * is log.flags from ev->flags. Sorting by (path, index) then makes "the
 * later one wins" a matter of keeping the last of equal paths: the text is
 * overridden by any real "message", and log.flags by nothing.
 */
struct ndjson_emit {
    struct buf *out;        /* borrowed */
    const struct event *ev; /* borrowed */
    const uint32_t *order;  /* borrowed: enc->order, sorted */
    size_t count;           /* entries in order */
    struct span open;       /* path of the innermost open object */
    size_t depth;           /* objects open below the top level */
    bool first;             /* nothing written yet in that object */
};

/* Returns virtual field v of ev (see above); valid while ev is. */
static inline struct field
ndjson_vfield(const struct event *ev, uint32_t v)
{
    static const struct span flag_values[4] = {
        SPAN_LIT("null"), /* not used: no flags, no field */
        SPAN_LIT("[\"truncated\"]"),
        SPAN_LIT("[\"multiline\"]"),
        SPAN_LIT("[\"truncated\",\"multiline\"]"),
    };
    v &= NDJSON_INDEX_MASK;
    if (v == 0)
        return (struct field){SPAN_LIT("message"), ev->text, FIELD_STRING};
    if (v <= ev->nfields)
        return ev->fields[v - 1];
    unsigned f = ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE);
    return (struct field){SPAN_LIT("log.flags"), flag_values[f], FIELD_JSON};
}

/* Returns whether name is written as one key: it has an empty segment. */
static bool
ndjson_name_is_literal(struct span name)
{
    const char *p = name.ptr, *end = p + name.len;
    if (name.len == 0 || p[0] == '.' || end[-1] == '.')
        return true;
    while ((p = memchr(p, '.', (size_t)(end - p))) != NULL) {
        if (p[1] == '.')
            return true;
        p++;
    }
    return false;
}

/* Returns whether nested name's first segment is seg (NUL-free literal). */
static inline bool
ndjson_first_segment_is(struct span name, const char *seg, size_t seg_len)
{
    return name.len >= seg_len && memcmp(name.ptr, seg, seg_len) == 0 &&
           (name.len == seg_len || name.ptr[seg_len] == '.');
}

/* Sort weight of a name byte: '.' lowest when it separates segments. */
static inline unsigned
ndjson_weight(unsigned char c, bool literal)
{
    return c == '.' && !literal ? 0 : (unsigned)c + 1;
}

/* Orders entries by path ('.' lowest), then by virtual index. */
static int
ndjson_cmp(const struct event *ev, uint32_t a, uint32_t b)
{
    struct span na = ndjson_vfield(ev, a).name, nb = ndjson_vfield(ev, b).name;
    size_t n = na.len < nb.len ? na.len : nb.len, i = 0;
    bool la = a & NDJSON_LITERAL, lb = b & NDJSON_LITERAL;

    /* Equal bytes weigh the same unless one is a literal's '.'. */
    while (i < n && na.ptr[i] == nb.ptr[i] && (la == lb || na.ptr[i] != '.'))
        i++;
    if (i < n) {
        unsigned wa = ndjson_weight((unsigned char)na.ptr[i], la);
        unsigned wb = ndjson_weight((unsigned char)nb.ptr[i], lb);
        return wa < wb ? -1 : 1;
    }
    if (na.len != nb.len)
        return na.len < nb.len ? -1 : 1;
    a &= NDJSON_INDEX_MASK;
    b &= NDJSON_INDEX_MASK;
    return a < b ? -1 : a > b;
}

/* Merges src[lo, mid) and src[mid, hi) into dst[lo, hi). */
static void
ndjson_merge(const struct event *ev, const uint32_t *src, uint32_t *dst,
             size_t lo, size_t mid, size_t hi)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        dst[k++] = ndjson_cmp(ev, src[j], src[i]) < 0 ? src[j++] : src[i++];
    while (i < mid)
        dst[k++] = src[i++];
    while (j < hi)
        dst[k++] = src[j++];
}

/*
 * Sorts a[0, n) using tmp[0, n) as scratch: insertion-sorted runs, then a
 * bottom-up merge. No allocation; the total order makes stability moot.
 */
static void
ndjson_sort(const struct event *ev, uint32_t *a, uint32_t *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += NDJSON_SORT_RUN) {
        size_t hi = n - lo < NDJSON_SORT_RUN ? n : lo + NDJSON_SORT_RUN;
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = a[i];
            size_t j = i;
            for (; j > lo && ndjson_cmp(ev, v, a[j - 1]) < 0; j--)
                a[j] = a[j - 1];
            a[j] = v;
        }
    }
    uint32_t *src = a, *dst = tmp;
    for (size_t w = NDJSON_SORT_RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = n - lo < w ? n : lo + w;
            size_t hi = n - mid < w ? n : mid + w;
            ndjson_merge(ev, src, dst, lo, mid, hi);
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

/*
 * Fills enc->order with the virtual fields to write and sorts it; returns
 * the count. Sets *has_tags when a field claims the top-level "tags" key.
 */
static size_t
ndjson_build_order(struct ndjson_enc *enc, const struct event *ev,
                   bool *has_tags)
{
    assert(ev->nfields < NDJSON_INDEX_MASK - 2);
    size_t need = 2 * (ev->nfields + 2); /* entries + merge scratch */
    if (enc->cap_order < need) {
        size_t cap = enc->cap_order ? enc->cap_order : NDJSON_ORDER_MIN;
        while (cap < need)
            cap *= 2;
        enc->order = xrealloc(enc->order, cap * sizeof(*enc->order));
        enc->cap_order = cap;
    }
    uint32_t *order = enc->order;
    size_t n = 0;
    order[n++] = 0; /* the message from ev->text */
    *has_tags = false;
    for (size_t i = 0; i < ev->nfields; i++) {
        struct span name = ev->fields[i].name;
        if (ndjson_name_is_literal(name)) {
            order[n++] = (uint32_t)(i + 1) | NDJSON_LITERAL;
            continue;
        }
        if (ndjson_first_segment_is(name, "@timestamp", 10))
            continue; /* ev->time_ns is the one @timestamp */
        *has_tags |= ndjson_first_segment_is(name, "tags", 4);
        order[n++] = (uint32_t)(i + 1);
    }
    if (ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE))
        order[n++] = (uint32_t)(ev->nfields + 1);
    ndjson_sort(ev, order, order + n, n);
    return n;
}

/* Appends bytes, keeping the NUL terminator; 0 or -E2BIG. */
static inline int
ndjson_put(struct buf *out, const char *p, size_t len)
{
    return buf_append(out, p, len);
}

/* Writes a member key, with the comma the object needs before it. */
static int
ndjson_put_key(struct ndjson_emit *em, const char *key, size_t len)
{
    int rc = ndjson_put_quoted(em->out, em->first ? 0 : ',', key, len, ':');
    em->first = false;
    return rc;
}

/* Writes a value as its type says; empty non-strings become null. */
static int
ndjson_put_value(struct buf *out, const struct field *f)
{
    switch (f->type) {
    case FIELD_STRING:
        return ndjson_put_quoted(out, 0, f->value.ptr, f->value.len, 0);
    case FIELD_INT:
    case FIELD_FLOAT:
    case FIELD_BOOL:
    case FIELD_JSON:
        if (f->value.len == 0)
            return ndjson_put(out, "null", 4);
        return ndjson_put(out, f->value.ptr, f->value.len);
    }
    return ndjson_put(out, "null", 4);
}

/* Returns how many leading segments two nested paths share. */
static size_t
ndjson_shared_depth(struct span a, struct span b)
{
    size_t i = 0, depth = 0;
    if (a.len == 0 || b.len == 0)
        return 0;
    for (;;) {
        while (i < a.len && i < b.len && a.ptr[i] == b.ptr[i] &&
               a.ptr[i] != '.')
            i++;
        bool a_end = i == a.len || a.ptr[i] == '.';
        bool b_end = i == b.len || b.ptr[i] == '.';
        if (!a_end || !b_end)
            return depth;
        depth++;
        if (i == a.len || i == b.len)
            return depth;
        i++;
    }
}

/* Closes objects until only the first `keep` ones are open. */
static int
ndjson_close_to(struct ndjson_emit *em, size_t keep)
{
    for (; em->depth > keep; em->depth--) {
        if (ndjson_put(em->out, "}", 1) < 0)
            return -E2BIG;
        em->first = false;
    }
    if (keep == 0) {
        em->open.len = 0;
        return 0;
    }
    /* Cut em->open back to its first `keep` segments. */
    size_t len = 0;
    for (size_t d = 0; d < keep; d++) {
        const char *seg = em->open.ptr + len + (d > 0);
        const char *dot =
            memchr(seg, '.', em->open.len - (size_t)(seg - em->open.ptr));
        len = dot ? (size_t)(dot - em->open.ptr) : em->open.len;
    }
    em->open.len = len;
    return 0;
}

/*
 * Makes the object at nested path `parent` the innermost open one: closes
 * what isn't shared with it and opens the rest, one segment at a time.
 */
static int
ndjson_open_path(struct ndjson_emit *em, struct span parent)
{
    size_t shared = ndjson_shared_depth(em->open, parent);
    if (ndjson_close_to(em, shared) < 0)
        return -E2BIG;
    const char *p = parent.ptr, *end = p + parent.len;
    for (size_t d = 0; d < shared && p < end; d++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        p = dot ? dot + 1 : end;
    }
    while (p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *seg_end = dot ? dot : end;
        if (ndjson_put_key(em, p, (size_t)(seg_end - p)) < 0 ||
            ndjson_put(em->out, "{", 1) < 0)
            return -E2BIG;
        em->first = true;
        em->depth++;
        p = seg_end + 1;
    }
    em->open = parent;
    return 0;
}

/* Returns whether order entry i names a strict descendant of path. */
static bool
ndjson_is_below(const struct ndjson_emit *em, size_t i, struct span path)
{
    if (i >= em->count || (em->order[i] & NDJSON_LITERAL))
        return false;
    struct span n = ndjson_vfield(em->ev, em->order[i]).name;
    return n.len > path.len && n.ptr[path.len] == '.' &&
           memcmp(n.ptr, path.ptr, path.len) == 0;
}

/* Returns whether the subtree after entry i has a member named "value". */
static bool
ndjson_has_value_child(const struct ndjson_emit *em, size_t i, struct span path)
{
    for (size_t j = i + 1; ndjson_is_below(em, j, path); j++) {
        struct span n = ndjson_vfield(em->ev, em->order[j]).name;
        size_t end = path.len + 6; /* ".value" */
        if (n.len >= end && memcmp(n.ptr + path.len, ".value", 6) == 0 &&
            (n.len == end || n.ptr[end] == '.'))
            return true;
    }
    return false;
}

/*
 * Writes entry i: opens its parent objects, then the member. A value whose
 * path also has children becomes {"value":<v>,<children>}, unless a child
 * is itself named "value" (then that child wins and v is dropped).
 */
static int
ndjson_emit_entry(struct ndjson_emit *em, size_t i)
{
    uint32_t v = em->order[i];
    struct field f = ndjson_vfield(em->ev, v);
    struct span leaf = f.name;

    if (v & NDJSON_LITERAL) {
        if (ndjson_close_to(em, 0) < 0)
            return -E2BIG;
    } else {
        const char *dot = memrchr(f.name.ptr, '.', f.name.len);
        struct span parent = {f.name.ptr, 0};
        if (dot) {
            parent.len = (size_t)(dot - f.name.ptr);
            leaf = (struct span){dot + 1, f.name.len - parent.len - 1};
        }
        if (ndjson_open_path(em, parent) < 0)
            return -E2BIG;
        if (ndjson_is_below(em, i + 1, f.name)) {
            if (ndjson_has_value_child(em, i, f.name))
                return 0;
            if (ndjson_put_key(em, leaf.ptr, leaf.len) < 0 ||
                ndjson_put(em->out, "{", 1) < 0)
                return -E2BIG;
            em->first = true;
            em->depth++;
            em->open = f.name;
            leaf = SPAN_LIT("value");
        }
    }
    if (ndjson_put_key(em, leaf.ptr, leaf.len) < 0)
        return -E2BIG;
    return ndjson_put_value(em->out, &f);
}

/* Returns whether entries i and j have the same name. */
static bool
ndjson_same_name(const struct event *ev, uint32_t a, uint32_t b)
{
    struct span na = ndjson_vfield(ev, a).name, nb = ndjson_vfield(ev, b).name;
    return na.len == nb.len && memcmp(na.ptr, nb.ptr, na.len) == 0;
}

/* Writes ,"tags":[...] from ev->tags. */
static int
ndjson_put_tags(struct buf *out, const struct event *ev)
{
    assert(ev->ntags <= EVENT_MAX_TAGS);
    if (ndjson_put(out, ",\"tags\":[", 9) < 0)
        return -E2BIG;
    for (size_t i = 0; i < ev->ntags; i++) {
        const struct span *t = &ev->tags[i];
        if (ndjson_put_quoted(out, i ? ',' : 0, t->ptr, t->len, 0) < 0)
            return -E2BIG;
    }
    return ndjson_put(out, "]", 1);
}

/* Writes the whole document; the caller restores the buffer on error. */
static int
ndjson_put_event(struct ndjson_enc *enc, struct buf *out,
                 const struct event *ev)
{
    bool has_tags;
    struct ndjson_emit em = {.out = out, .ev = ev};

    if (ndjson_put(out, "{\"@timestamp\":", 14) < 0 ||
        ndjson_write_time(enc, out, ev->time_ns) < 0)
        return -E2BIG;
    em.count = ndjson_build_order(enc, ev, &has_tags);
    em.order = enc->order;
    for (size_t i = 0; i < em.count; i++) {
        if (i + 1 < em.count &&
            ndjson_same_name(ev, em.order[i], em.order[i + 1]))
            continue; /* a later field with the same path wins */
        if (ndjson_emit_entry(&em, i) < 0)
            return -E2BIG;
    }
    if (ndjson_close_to(&em, 0) < 0)
        return -E2BIG;
    if (ev->ntags && !has_tags && ndjson_put_tags(out, ev) < 0)
        return -E2BIG;
    return ndjson_put(out, "}\n", 2);
}

int
ndjson_write_event(struct ndjson_enc *enc, struct buf *out,
                   const struct event *ev)
{
    size_t start = out->len;
    int rc = ndjson_put_event(enc, out, ev);
    if (rc < 0 && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
