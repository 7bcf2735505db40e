/*
 * Inside the ndjson module, shared by its two files: ndjson_str.c owns the
 * text of JSON strings (escaping with UTF-8 repair, RFC 3339 time text);
 * ndjson.c owns whole documents (sorting, nesting, the shape cache), which
 * write their keys and values through it. The tiny buffer helpers of the
 * hot path are static inline here so both files keep them call-free.
 * Nothing outside src/ndjson*.c includes this.
 */
#ifndef LOGSHIP_NDJSON_INT_H
#define LOGSHIP_NDJSON_INT_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NDJSON_ESC_MAX_LEN        6 /* worst output per input byte: \u00XX */
#define NDJSON_WORST_CASE_MAX_LEN (64 * 1024) /* longer: measure first */

/* Eight bytes at once: 0x01 and 0x80 in every byte of a word. */
#define NDJSON_SWAR_ONES  UINT64_C(0x0101010101010101)
#define NDJSON_SWAR_HIGHS UINT64_C(0x8080808080808080)

/* buf_reserve() with its common case inline: room is usually there. */
static inline int
ndjson_reserve(struct buf *out, size_t n)
{
    if (out->cap - out->len > n)
        return 0;
    return buf_reserve(out, n);
}

/*
 * memcpy for the short runs of keys and values: up to 64 bytes with
 * overlapping loads, no call (the replay's key chunks are mostly 17 to 40
 * bytes: a memcpy call per chunk was a line of the profile). Reads and
 * writes only [0, n).
 */
static inline void
ndjson_copy(char *d, const void *src, size_t n)
{
    const char *s = src;
    uint64_t a, b;
    uint32_t x, y;

    if (n > 16) {
#if defined(__SSE2__)
        if (n <= 64) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)s);
            __m128i v1 =
                _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
            if (n > 32) {
                __m128i v2 =
                    _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
                __m128i v3 = _mm_loadu_si128(
                    (const __m128i *)(const void *)(s + n - 32));
                _mm_storeu_si128((__m128i *)(void *)(d + 16), v2);
                _mm_storeu_si128((__m128i *)(void *)(d + n - 32), v3);
            }
            _mm_storeu_si128((__m128i *)(void *)d, v0);
            _mm_storeu_si128((__m128i *)(void *)(d + n - 16), v1);
            return;
        }
#endif
        memcpy(d, s, n);
    } else if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/*
 * Writes the escaped body of [p, end) (no quotes) at d, which has room for
 * NDJSON_ESC_MAX_LEN bytes per input byte or for the exact escaped length,
 * and returns the new end of the output.
 */
char *ndjson_escape(char *d, const unsigned char *p, const unsigned char *end);

/*
 * Appends [lead]"s"[trail] (lead and trail single bytes, 0 for none) with s
 * escaped; returns 0 or -E2BIG, leaving out's text as it was.
 */
int ndjson_put_quoted(struct buf *out, char lead, const char *s, size_t len,
                      char trail);

#endif
