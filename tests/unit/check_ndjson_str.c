/*
 * Unit tests for ndjson_str.c, byte-exact: string escaping and UTF-8
 * repair (checked case by case and against a slow WHATWG-decoder
 * reference), -E2BIG at every limit, random inputs that must always parse
 * with jansson, and timestamps (checked against gmtime_r).
 */
#include "config.h"

#include "ndjson.h"
#include "ndjsontest.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1u << 20)

/* Appends the UTF-8 encoding of cp (any value up to 0x10FFFF) at d. */
static size_t
test_put_utf8(unsigned char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (unsigned char)(0xc0 | cp >> 6);
        d[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xe0 | cp >> 12);
        d[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        d[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (unsigned char)(0xf0 | cp >> 18);
    d[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    d[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    d[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Reference: the WHATWG "UTF-8 decoder" state machine, one code point at
 * a time, written to mirror the spec rather than ndjson.c. Returns the
 * repaired UTF-8 (malloc'd, *out_len bytes); *had_error says whether any
 * U+FFFD was produced.
 */
static unsigned char *
test_ref_decode(const unsigned char *s, size_t len, size_t *out_len,
                bool *had_error)
{
    unsigned char *out = malloc(len * 3 + 1), *d = out;
    uint32_t cp = 0;
    unsigned needed = 0, seen = 0, lower = 0x80, upper = 0xbf;
    *had_error = false;
    for (size_t i = 0; i < len; i++) {
        unsigned b = s[i];
        if (needed == 0) {
            if (b <= 0x7f) {
                *d++ = (unsigned char)b;
            } else if (b >= 0xc2 && b <= 0xdf) {
                needed = 1;
                cp = b & 0x1f;
            } else if (b >= 0xe0 && b <= 0xef) {
                lower = b == 0xe0 ? 0xa0 : lower;
                upper = b == 0xed ? 0x9f : upper;
                needed = 2;
                cp = b & 0xf;
            } else if (b >= 0xf0 && b <= 0xf4) {
                lower = b == 0xf0 ? 0x90 : lower;
                upper = b == 0xf4 ? 0x8f : upper;
                needed = 3;
                cp = b & 0x7;
            } else {
                d += test_put_utf8(d, 0xfffd);
                *had_error = true;
            }
            continue;
        }
        if (b < lower || b > upper) {
            cp = needed = seen = 0;
            lower = 0x80;
            upper = 0xbf;
            i--; /* prepend the byte to the stream again */
            d += test_put_utf8(d, 0xfffd);
            *had_error = true;
            continue;
        }
        lower = 0x80;
        upper = 0xbf;
        cp = cp << 6 | (b & 0x3f);
        if (++seen != needed)
            continue;
        d += test_put_utf8(d, cp);
        cp = needed = seen = 0;
    }
    if (needed) {
        d += test_put_utf8(d, 0xfffd);
        *had_error = true;
    }
    *out_len = (size_t)(d - out);
    return out;
}

/* Reference: the quoted JSON string for s, per the ndjson.h contract. */
static char *
test_ref_string(const unsigned char *s, size_t len, size_t *out_len)
{
    bool err;
    size_t dlen;
    unsigned char *dec = test_ref_decode(s, len, &dlen, &err);
    char *out = malloc(dlen * 6 + 3), *d = out;
    *d++ = '"';
    for (size_t i = 0; i < dlen; i++) {
        unsigned c = dec[i];
        const char *e = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
        if (e)
            d += sprintf(d, "%s", e);
        else if (c < 0x20)
            d += sprintf(d, "\\u%04x", c);
        else
            *d++ = (char)c;
    }
    *d++ = '"';
    *out_len = (size_t)(d - out);
    free(dec);
    return out;
}

/*
 * Writes in[0, in_len) after a prefix and checks the result against
 * `want` and against the reference, plus the buffer's NUL terminator.
 */
static void
test_check_string(const char *in, size_t in_len, const char *want,
                  size_t want_len)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append(&b, "<", 1), 0);
    ck_assert_int_eq(ndjson_write_string(&b, in, in_len), 0);
    ck_assert_int_eq(b.data[b.len], '\0');
    ndjsontest_expect_bytes(b.data + 1, b.len - 1, want, want_len);

    size_t ref_len;
    char *ref = test_ref_string((const unsigned char *)in, in_len, &ref_len);
    ndjsontest_expect_bytes(b.data + 1, b.len - 1, ref, ref_len);
    free(ref);
    buf_fini(&b);
}

#define CHECK_STR(in, want)                                                    \
    test_check_string((in), sizeof(in) - 1, (want), sizeof(want) - 1)

START_TEST(string_plain_ascii)
{
    CHECK_STR("", "\"\"");
    CHECK_STR("a", "\"a\"");
    CHECK_STR("GET /index.html HTTP/1.1", "\"GET /index.html HTTP/1.1\"");
    CHECK_STR(" !#$%&'()*+,-./~{|}", "\" !#$%&'()*+,-./~{|}\"");
    CHECK_STR("\x7f", "\"\x7f\""); /* DEL is legal JSON: raw */
}
END_TEST

START_TEST(string_short_escapes)
{
    CHECK_STR("\"", "\"\\\"\"");
    CHECK_STR("\\", "\"\\\\\"");
    CHECK_STR("\b", "\"\\b\"");
    CHECK_STR("\f", "\"\\f\"");
    CHECK_STR("\n", "\"\\n\"");
    CHECK_STR("\r", "\"\\r\"");
    CHECK_STR("\t", "\"\\t\"");
    CHECK_STR("/", "\"/\"");
    CHECK_STR("say \"hi\"\\n\n", "\"say \\\"hi\\\"\\\\n\\n\"");
    CHECK_STR("0123456\"89abcdef\\", "\"0123456\\\"89abcdef\\\\\"");
}
END_TEST

START_TEST(string_every_control_char)
{
    static const char *const want[0x20] = {
        "\"\\u0000\"", "\"\\u0001\"", "\"\\u0002\"", "\"\\u0003\"",
        "\"\\u0004\"", "\"\\u0005\"", "\"\\u0006\"", "\"\\u0007\"",
        "\"\\b\"",     "\"\\t\"",     "\"\\n\"",     "\"\\u000b\"",
        "\"\\f\"",     "\"\\r\"",     "\"\\u000e\"", "\"\\u000f\"",
        "\"\\u0010\"", "\"\\u0011\"", "\"\\u0012\"", "\"\\u0013\"",
        "\"\\u0014\"", "\"\\u0015\"", "\"\\u0016\"", "\"\\u0017\"",
        "\"\\u0018\"", "\"\\u0019\"", "\"\\u001a\"", "\"\\u001b\"",
        "\"\\u001c\"", "\"\\u001d\"", "\"\\u001e\"", "\"\\u001f\"",
    };
    for (int c = 0; c < 0x20; c++) {
        char in = (char)c;
        test_check_string(&in, 1, want[c], strlen(want[c]));
    }
}
END_TEST

START_TEST(string_nul_bytes_inside)
{
    CHECK_STR("a\0b", "\"a\\u0000b\"");
    CHECK_STR("\0\0", "\"\\u0000\\u0000\"");
    CHECK_STR("0123456789\0", "\"0123456789\\u0000\"");
}
END_TEST

START_TEST(string_valid_multibyte_passes_raw)
{
    CHECK_STR("caf\xc3\xa9", "\"caf\xc3\xa9\""); /* é */
    CHECK_STR("\xe2\x82\xac"
              "5",
              "\"\xe2\x82\xac"
              "5\"");                                      /* € */
    CHECK_STR("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
    /* Boundaries of each length and around the surrogates. */
    CHECK_STR("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");
    CHECK_STR("\xe0\xa0\x80\xed\x9f\xbf", "\"\xe0\xa0\x80\xed\x9f\xbf\"");
    CHECK_STR("\xee\x80\x80\xef\xbf\xbf", "\"\xee\x80\x80\xef\xbf\xbf\"");
    CHECK_STR("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
              "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
    CHECK_STR(FFFD, "\"" FFFD "\"");
    CHECK_STR("long ascii run then \xc3\xa9 and \n",
              "\"long ascii run then \xc3\xa9 and \\n\"");
}
END_TEST

START_TEST(string_lone_continuation_bytes)
{
    CHECK_STR("\x80", "\"" FFFD "\"");
    CHECK_STR("\xbf", "\"" FFFD "\"");
    CHECK_STR("a\x80"
              "b",
              "\"a" FFFD "b\"");
    CHECK_STR("\x80\x80", "\"" FFFD FFFD "\"");
    CHECK_STR("\xc3\xa9\xa9", "\"\xc3\xa9" FFFD "\"");
}
END_TEST

START_TEST(string_truncated_at_end)
{
    CHECK_STR("a\xc3", "\"a" FFFD "\"");
    CHECK_STR("\xe2", "\"" FFFD "\"");
    CHECK_STR("\xe2\x82", "\"" FFFD "\"");
    CHECK_STR("\xf0", "\"" FFFD "\"");
    CHECK_STR("\xf0\x9f", "\"" FFFD "\"");
    CHECK_STR("\xf0\x9f\x98", "\"" FFFD "\"");
    CHECK_STR("0123456789\xf0\x9f\x98", "\"0123456789" FFFD "\"");
}
END_TEST

START_TEST(string_truncated_mid_string)
{
    CHECK_STR("\xc3"
              "A",
              "\"" FFFD "A\"");
    CHECK_STR("\xe2\x82"
              "A",
              "\"" FFFD "A\"");
    CHECK_STR("\xe2"
              "A",
              "\"" FFFD "A\"");
    CHECK_STR("\xf0\x9f\x98"
              "A",
              "\"" FFFD "A\"");
    CHECK_STR("\xf0\x9f"
              "A",
              "\"" FFFD "A\"");
    /* The byte that ends the subpart is decoded afresh. */
    CHECK_STR("\xe2\x82\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
    CHECK_STR("\xf0\x9f\x98\xf0\x9f\x98\x80", "\"" FFFD "\xf0\x9f\x98\x80\"");
    CHECK_STR("\xe2\x82\"", "\"" FFFD "\\\"\"");
    CHECK_STR("\xc3\n", "\"" FFFD "\\n\"");
    CHECK_STR("\xc3\0", "\"" FFFD "\\u0000\"");
    CHECK_STR("\xe2\xe2\x82\xac", "\"" FFFD "\xe2\x82\xac\"");
}
END_TEST

START_TEST(string_overlongs)
{
    CHECK_STR("\xc0\x80", "\"" FFFD FFFD "\"");
    CHECK_STR("\xc1\xbf", "\"" FFFD FFFD "\"");
    CHECK_STR("\xe0\x80\x80", "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xf0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR("\xf0\x80\x80", "\"" FFFD FFFD FFFD "\"");
}
END_TEST

START_TEST(string_surrogates)
{
    CHECK_STR("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");
    /* A UTF-16 surrogate pair in CESU-8 form: six replacements. */
    CHECK_STR("\xed\xa0\xbd\xed\xb8\x80",
              "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\"");
}
END_TEST

START_TEST(string_above_max_code_point)
{
    CHECK_STR("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR("\xf4\xbf\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
}
END_TEST

START_TEST(string_bytes_f5_to_ff)
{
    for (int c = 0xf5; c <= 0xff; c++) {
        char in[3] = {'x', (char)c, 'y'};
        test_check_string(in, 3, "\"x" FFFD "y\"", 7);
    }
    CHECK_STR("\xfe\xff", "\"" FFFD FFFD "\"");
}
END_TEST

/* Fills s[0, len) with random text; mode picks how hostile it is. */
static void
test_fill_random(unsigned char *s, size_t len, int mode)
{
    static const unsigned char hot[] = {0,    '"',  '\\', '\n', 0x1f, 0x7f,
                                        0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed,
                                        0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a'};
    size_t i = 0;
    while (i < len) {
        if (mode == 0) { /* any byte */
            s[i++] = (unsigned char)ndjsontest_rand();
        } else if (mode == 1) { /* bytes that matter to the decoder */
            s[i++] = hot[ndjsontest_rand_below(sizeof(hot))];
        } else { /* valid UTF-8, any scalar value */
            unsigned char tmp[4];
            uint32_t cp = (uint32_t)ndjsontest_rand_below(0x110000);
            if (ndjsontest_rand_below(2))
                cp &= 0x7f; /* plenty of ASCII and controls */
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp -= 0x800;
            size_t n = test_put_utf8(tmp, cp);
            if (i + n > len)
                break;
            memcpy(s + i, tmp, n);
            i += n;
        }
    }
    while (i < len)
        s[i++] = 'z';
}

/*
 * Encodes s and checks the output byte for byte against the reference,
 * that jansson parses it, and that it decodes to the repaired text (the
 * input itself when the input was valid).
 */
static void
test_check_roundtrip(const unsigned char *s, size_t len)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_string(&b, (const char *)s, len), 0);
    size_t ref_len, dec_len;
    char *ref = test_ref_string(s, len, &ref_len);
    ndjsontest_expect_bytes(b.data, b.len, ref, ref_len);

    json_error_t jerr;
    json_t *j =
        json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "jansson: %s", jerr.text);
    ck_assert(json_is_string(j));
    bool had_error;
    unsigned char *dec = test_ref_decode(s, len, &dec_len, &had_error);
    ndjsontest_expect_bytes(json_string_value(j), json_string_length(j),
                            (const char *)dec, dec_len);
    if (!had_error)
        ndjsontest_expect_bytes(json_string_value(j), json_string_length(j),
                                (const char *)s, len);
    json_decref(j);
    free(dec);
    free(ref);
    buf_fini(&b);
}

START_TEST(string_fuzz_10k_random)
{
    unsigned char s[300];
    for (int i = 0; i < 10000; i++) {
        size_t len = ndjsontest_rand_below(sizeof(s));
        test_fill_random(s, len, i % 3);
        test_check_roundtrip(s, len);
    }
}
END_TEST

START_TEST(string_1mib_valid_roundtrips)
{
    unsigned char *s = malloc(MIB);
    test_fill_random(s, MIB, 2);
    test_check_roundtrip(s, MIB);
    memset(s, 'x', MIB); /* the all-ASCII fast path */
    test_check_roundtrip(s, MIB);
    free(s);
}
END_TEST

START_TEST(string_1mib_with_invalid_bytes)
{
    unsigned char *s = malloc(MIB);
    test_fill_random(s, MIB, 2);
    for (int i = 0; i < 5000; i++)
        s[ndjsontest_rand_below(MIB)] =
            (unsigned char)(0x80 + ndjsontest_rand_below(128));
    test_check_roundtrip(s, MIB);
    test_fill_random(s, MIB, 0);
    test_check_roundtrip(s, MIB);
    free(s);
}
END_TEST

START_TEST(string_near_worst_case_threshold)
{
    /* Both sides of the 64 KiB switch from worst-case reserve to measure. */
    size_t lens[] = {65535, 65536, 65537};
    unsigned char *s = malloc(65537);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        test_fill_random(s, lens[i], 1);
        test_check_roundtrip(s, lens[i]);
    }
    free(s);
}
END_TEST

/*
 * With max_len set so that prefix + the result fits exactly, the write
 * succeeds; one byte less, it fails with -E2BIG and the buffer is as it
 * was.
 */
static void
test_check_string_limit(const char *in, size_t in_len)
{
    size_t ref_len;
    char *ref = test_ref_string((const unsigned char *)in, in_len, &ref_len);
    for (size_t slack = 0; slack < 2; slack++) {
        struct buf b;
        buf_init(&b, 3 + ref_len - 1 + slack);
        ck_assert_int_eq(buf_append(&b, "pre", 3), 0);
        int rc = ndjson_write_string(&b, in, in_len);
        if (slack) {
            ck_assert_int_eq(rc, 0);
            ndjsontest_expect_bytes(b.data + 3, b.len - 3, ref, ref_len);
        } else {
            ck_assert_int_eq(rc, -E2BIG);
            ck_assert_uint_eq(b.len, 3);
            ck_assert_str_eq(b.data, "pre");
        }
        ck_assert_int_eq(b.data[b.len], '\0');
        buf_fini(&b);
    }
    free(ref);
}

START_TEST(string_limit_exact_fit_and_one_short)
{
    test_check_string_limit("hello world", 11); /* worst case can't fit */
    test_check_string_limit("", 0);
    test_check_string_limit("\n\x01\xff\xe2\x82", 5);
    unsigned char *s = malloc(MIB);
    test_fill_random(s, MIB, 1);
    test_check_string_limit((const char *)s, MIB);
    test_fill_random(s, 1000, 1);
    test_check_string_limit((const char *)s, 1000);
    free(s);
}
END_TEST

START_TEST(string_limit_small_buffer_unchanged)
{
    struct buf b;
    buf_init(&b, 16);
    ck_assert_int_eq(buf_append_str(&b, "keep"), 0);
    ck_assert_int_eq(ndjson_write_string(&b, "0123456789abc", 13), -E2BIG);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.data, "keep");
    ck_assert_int_eq(ndjson_write_string(&b, "\n\n\n\n\n", 5), 0);
    ck_assert_str_eq(b.data, "keep\"\\n\\n\\n\\n\\n\"");
    buf_fini(&b);
}
END_TEST

/* Checks ndjson_write_time(time_ns) appends exactly `want` (unquoted). */
static void
test_check_time(struct ndjson_enc *enc, int64_t time_ns, const char *want)
{
    struct buf b;
    char quoted[64];
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_time(enc, &b, time_ns), 0);
    snprintf(quoted, sizeof(quoted), "\"%s\"", want);
    ck_assert_str_eq(b.data, quoted);
    ck_assert_uint_eq(b.len, strlen(quoted));
    buf_fini(&b);
}

/* Reference text for time_ns from gmtime_r, floor-dividing by hand. */
static void
test_ref_time(int64_t time_ns, char *out, size_t size)
{
    int64_t sec = time_ns / 1000000000, frac = time_ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03dZ", (int)(frac / 1000000));
}

START_TEST(time_fixed_points)
{
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    test_check_time(&enc, 0, "1970-01-01T00:00:00.000Z");
    test_check_time(&enc, 1, "1970-01-01T00:00:00.000Z");
    test_check_time(&enc, 999999, "1970-01-01T00:00:00.000Z");
    test_check_time(&enc, 1999999, "1970-01-01T00:00:00.001Z");
    test_check_time(&enc, 123999999, "1970-01-01T00:00:00.123Z");
    test_check_time(&enc, 999999999, "1970-01-01T00:00:00.999Z");
    test_check_time(&enc, INT64_C(1709209815123456789),
                    "2024-02-29T12:30:15.123Z"); /* leap day */
    test_check_time(&enc, INT64_C(951782400) * 1000000000,
                    "2000-02-29T00:00:00.000Z"); /* 400-year leap */
    test_check_time(&enc, INT64_C(4107542400) * 1000000000,
                    "2100-03-01T00:00:00.000Z"); /* no Feb 29 in 2100 */
    test_check_time(&enc, INT64_C(2147483648) * 1000000000,
                    "2038-01-19T03:14:08.000Z"); /* past int32 time_t */
    test_check_time(&enc, INT64_C(1795674081) * 1000000000 + 7000000,
                    "2026-11-26T06:21:21.007Z");
    test_check_time(&enc, INT64_C(1704067199999999999),
                    "2023-12-31T23:59:59.999Z");
    test_check_time(&enc, INT64_MAX, "2262-04-11T23:47:16.854Z");
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(time_before_1970_floors)
{
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    test_check_time(&enc, -1, "1969-12-31T23:59:59.999Z");
    test_check_time(&enc, -1000000, "1969-12-31T23:59:59.999Z");
    test_check_time(&enc, -1000001, "1969-12-31T23:59:59.998Z");
    test_check_time(&enc, -999999999, "1969-12-31T23:59:59.000Z");
    test_check_time(&enc, -1000000000, "1969-12-31T23:59:59.000Z");
    test_check_time(&enc, -1000000001, "1969-12-31T23:59:58.999Z");
    test_check_time(&enc, INT64_C(-86400) * 1000000000,
                    "1969-12-31T00:00:00.000Z");
    test_check_time(&enc, INT64_C(-2203891200) * 1000000000 + 500000000,
                    "1900-03-01T00:00:00.500Z"); /* no Feb 29 in 1900 */
    test_check_time(&enc, INT64_MIN, "1677-09-21T00:12:43.145Z");
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(time_matches_gmtime_everywhere)
{
    struct ndjson_enc enc;
    char want[64];
    ndjson_enc_init(&enc);
    for (int i = 0; i < 20000; i++) {
        int64_t t = (int64_t)ndjsontest_rand();
        if (i % 2) /* cluster some around the epoch and 2000-2100 */
            t %= INT64_C(4000000000) * 1000000000;
        test_ref_time(t, want, sizeof(want));
        test_check_time(&enc, t, want);
    }
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(time_cache_follows_seconds)
{
    struct ndjson_enc enc;
    char want[64];
    ndjson_enc_init(&enc);
    /* Forward across second, minute, day and year boundaries, then back. */
    int64_t base = INT64_C(1767225599) * 1000000000; /* 2025-12-31 23:59:59 */
    int64_t steps[] = {0,          400000000,  999999999, 1000000000,
                       1000000001, 1500000000, 999999999, 0,
                       -1,         60000000000};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        test_ref_time(base + steps[i], want, sizeof(want));
        test_check_time(&enc, base + steps[i], want);
    }
    test_check_time(&enc, base, "2025-12-31T23:59:59.000Z");
    test_check_time(&enc, base + 1000000000, "2026-01-01T00:00:00.000Z");
    test_check_time(&enc, base + 1999000000, "2026-01-01T00:00:00.999Z");
    ck_assert_int_eq(enc.cached_sec, 1767225600);
    test_check_time(&enc, base + 999000000, "2025-12-31T23:59:59.999Z");
    ck_assert_int_eq(enc.cached_sec, 1767225599);
    /* Every millisecond of 3 seconds around the epoch, in order. */
    for (int64_t t = -1500000000; t < 1500000000; t += 1000000) {
        test_ref_time(t, want, sizeof(want));
        test_check_time(&enc, t, want);
    }
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(time_limit_leaves_buffer)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 27);
    ck_assert_int_eq(buf_append_str(&b, "ab"), 0);
    ck_assert_int_eq(ndjson_write_time(&enc, &b, 0), -E2BIG);
    ck_assert_str_eq(b.data, "ab");
    ck_assert_uint_eq(b.len, 2);
    buf_truncate(&b, 1);
    ck_assert_int_eq(ndjson_write_time(&enc, &b, 0), 0);
    ck_assert_str_eq(b.data, "a\"1970-01-01T00:00:00.000Z\"");
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

/*
 * Every special byte at every position of ASCII strings of 0..48 bytes:
 * the 16-byte scan, its stack-copied tail and the boundary between them.
 */
START_TEST(string_special_at_every_position)
{
    static const char *const specials[] = {"\"",       "\\",   "\x01",    "\n",
                                           "\xc3\xa9", "\xff", "\xe2\x82"};
    unsigned char s[64];
    for (size_t len = 0; len <= 48; len++) {
        for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
            size_t sl = strlen(specials[k]);
            for (size_t pos = 0; pos + sl <= len; pos++) {
                for (size_t i = 0; i < len; i++)
                    s[i] = (unsigned char)('a' + i % 26);
                memcpy(s + pos, specials[k], sl);
                test_check_roundtrip(s, len);
            }
        }
    }
}
END_TEST

static Suite *
check_ndjson_str_suite(void)
{
    Suite *s = suite_create("ndjson_str");
    TCase *tc = tcase_create("string");
    tcase_add_test(tc, string_plain_ascii);
    tcase_add_test(tc, string_short_escapes);
    tcase_add_test(tc, string_every_control_char);
    tcase_add_test(tc, string_nul_bytes_inside);
    tcase_add_test(tc, string_valid_multibyte_passes_raw);
    tcase_add_test(tc, string_lone_continuation_bytes);
    tcase_add_test(tc, string_truncated_at_end);
    tcase_add_test(tc, string_truncated_mid_string);
    tcase_add_test(tc, string_overlongs);
    tcase_add_test(tc, string_surrogates);
    tcase_add_test(tc, string_above_max_code_point);
    tcase_add_test(tc, string_bytes_f5_to_ff);
    tcase_add_test(tc, string_limit_exact_fit_and_one_short);
    tcase_add_test(tc, string_limit_small_buffer_unchanged);
    suite_add_tcase(s, tc);

    tc = tcase_create("string_random");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, string_fuzz_10k_random);
    tcase_add_test(tc, string_1mib_valid_roundtrips);
    tcase_add_test(tc, string_1mib_with_invalid_bytes);
    tcase_add_test(tc, string_near_worst_case_threshold);
    tcase_add_test(tc, string_special_at_every_position);
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, time_fixed_points);
    tcase_add_test(tc, time_before_1970_floors);
    tcase_add_test(tc, time_matches_gmtime_everywhere);
    tcase_add_test(tc, time_cache_follows_seconds);
    tcase_add_test(tc, time_limit_leaves_buffer);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_ndjson_str_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
