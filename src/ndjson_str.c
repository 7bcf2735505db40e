/*
 * The text of JSON strings on the worker hot path: escaping with UTF-8
 * repair (WHATWG / Unicode "maximal subpart" replacement), scanned 16 bytes
 * at a time with SSE2 (8 with SWAR without it), and the RFC 3339
 * @timestamp text with a per-second cache. ndjson.c writes its keys and
 * string values through here. Called by one worker thread per ndjson_enc;
 * otherwise pure. Must never allocate (only the output buffer grows), read
 * past a value, or emit invalid JSON whatever bytes the log line holds.
 */
#include "config.h"

#include "ndjson.h"
#include "ndjson_int.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NDJSON_TIME_LEN      26 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" with quotes */
#define NS_PER_SEC           INT64_C(1000000000)
#define NS_PER_MS            INT64_C(1000000)
#define SEC_PER_DAY          INT64_C(86400)
#define DAYS_PER_ERA         INT64_C(146097) /* 400 Gregorian years */
#define DAYS_0000_03_TO_1970 INT64_C(719468)

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

/*
 * Returns nonzero if any of 8 bytes is < 0x20, '"', '\\' or >= 0x80.
 * False positives only cost speed (the byte loop decides); there are no
 * false negatives.
 */
static inline uint64_t
ndjson_swar_special(uint64_t x)
{
    uint64_t quote = x ^ (NDJSON_SWAR_ONES * '"');
    uint64_t bslash = x ^ (NDJSON_SWAR_ONES * '\\');
    uint64_t ctl = (x - NDJSON_SWAR_ONES * 0x20) & ~x;
    quote = (quote - NDJSON_SWAR_ONES) & ~quote;
    bslash = (bslash - NDJSON_SWAR_ONES) & ~bslash;
    return (x | ctl | quote | bslash) & NDJSON_SWAR_HIGHS;
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
 * Handles the byte at *pp that a scan stopped at (it needs an escape or
 * starts a UTF-8 sequence): writes its output at d, advances *pp past it
 * and returns the new end of the output.
 */
static inline char *
ndjson_escape_special(char *d, const unsigned char **pp,
                      const unsigned char *end)
{
    const unsigned char *p = *pp;
    size_t n, bad = 1;

    if (*p < 0x80) {
        *pp = p + 1;
        return ndjson_put_escape(d, *p);
    }
    n = ndjson_utf8_seq(p, end, &bad);
    if (n) {
        memcpy(d, p, n);
        *pp = p + n;
        return d + n;
    }
    memcpy(d, ndjson_fffd, sizeof(ndjson_fffd));
    *pp = p + bad;
    return d + sizeof(ndjson_fffd);
}

#if defined(__SSE2__)
/*
 * Bit i set when byte i of v is < 0x20, '"', '\\' or >= 0x80: the signed
 * compare catches control characters and every non-ASCII byte at once.
 */
static inline unsigned
ndjson_sse_special(__m128i v)
{
    __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i c = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
}

/*
 * The special-byte mask of the last 1..15 bytes at p: offsets 0..left-1.
 * Two overlapping loads fill the vector (no stack copy: storing and then
 * reloading it stalled on store forwarding, 40% of this function's time);
 * a hit in the upper half is mapped back to its offset.
 */
static inline unsigned
ndjson_tail_special(const unsigned char *p, size_t left)
{
    uint64_t lo, hi;
    uint32_t a, b;
    unsigned m;

    if (left >= 8) {
        memcpy(&lo, p, 8);
        memcpy(&hi, p + left - 8, 8);
        m = ndjson_sse_special(_mm_set_epi64x((long long)hi, (long long)lo));
        if (m & 0xff)
            return m & 0xff;
        return (m >> 8) << (left - 8);
    }
    if (left >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + left - 4, 4);
        m = ndjson_sse_special(_mm_cvtsi32_si128((int)a)) & 0xf;
        if (m)
            return m;
        return (ndjson_sse_special(_mm_cvtsi32_si128((int)b)) & 0xf)
               << (left - 4);
    }
    m = 0;
    for (size_t i = 0; i < left; i++)
        m |= (unsigned)(ndjson_class[p[i]] != NDJSON_RAW) << i;
    return m;
}

/*
 * Writes the escaped body of s (no quotes) at d and returns the new end.
 * d must have room for NDJSON_ESC_MAX_LEN bytes per input byte, or for the
 * exact escaped length: 16 bytes are copied while they are scanned, and
 * with 16 or more input bytes left the output still to come is at least
 * that long, so the store stays inside either reservation. The last
 * 0..15 bytes are scanned without reading past the value.
 */
char *
ndjson_escape(char *d, const unsigned char *p, const unsigned char *end)
{
    for (;;) {
        size_t left = (size_t)(end - p);
        unsigned mask;

        if (left >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)d, v);
            mask = ndjson_sse_special(v);
            if (mask == 0) {
                p += 16;
                d += 16;
                continue;
            }
        } else {
            if (left == 0)
                return d;
            ndjson_copy(d, p, left);
            mask = ndjson_tail_special(p, left);
            if (mask == 0)
                return d + left;
        }
        unsigned k = (unsigned)__builtin_ctz(mask);
        p += k;
        d = ndjson_escape_special(d + k, &p, end);
    }
}
#else
/*
 * Writes the escaped body of s (no quotes) at d, which has room for
 * NDJSON_ESC_MAX_LEN bytes per input byte or for the exact escaped length;
 * returns the new end. Runs that need nothing are copied with memcpy.
 */
char *
ndjson_escape(char *d, const unsigned char *p, const unsigned char *end)
{
    for (;;) {
        const unsigned char *run = ndjson_scan(p, end);
        ndjson_copy(d, p, (size_t)(run - p));
        d += run - p;
        p = run;
        if (p == end)
            return d;
        d = ndjson_escape_special(d, &p, end);
    }
}
#endif

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
int
ndjson_put_quoted(struct buf *out, char lead, const char *s, size_t len,
                  char trail)
{
    const unsigned char *p, *end;
    size_t extra = 2 + (lead != 0) + (trail != 0);

    if (len == 0)
        s = ""; /* an empty span may have a NULL pointer */
    p = (const unsigned char *)s;
    end = p + len;

    if (len > NDJSON_WORST_CASE_MAX_LEN ||
        ndjson_reserve(out, len * NDJSON_ESC_MAX_LEN + extra) < 0) {
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
    if (ndjson_reserve(out, NDJSON_TIME_LEN) < 0)
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
