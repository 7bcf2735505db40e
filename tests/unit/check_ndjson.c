/*
 * Unit tests for ndjson.c, byte-exact: string escaping and UTF-8 repair
 * (checked case by case and against a slow WHATWG-decoder reference),
 * timestamps (checked against gmtime_r), event documents (nesting, sort
 * order, conflicts, duplicates, message/tags/log.flags), -E2BIG at every
 * limit, and random inputs that must always parse with jansson.
 */
#include "config.h"

#include "ndjson.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FFFD "\xef\xbf\xbd"
#define TS0  "{\"@timestamp\":\"1970-01-01T00:00:00.000Z\""
#define MIB  (1u << 20)

/* Deterministic xorshift64*, so a failing case reproduces. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
test_rand(void)
{
    uint64_t x = test_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    test_rng_state = x;
    return x * 0x2545f4914f6cdd1du;
}

static size_t
test_rand_below(size_t n)
{
    return (size_t)(test_rand() % n);
}

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

/* Prints bytes with C escapes, for failure messages. */
static const char *
test_show(const char *s, size_t len)
{
    static char shown[4096];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof(shown); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            shown[n++] = (char)c;
        else
            n += (size_t)snprintf(shown + n, 5, "\\x%02x", c);
    }
    shown[n] = '\0';
    return shown;
}

/* Asserts got[0, got_len) == want[0, want_len) and shows both if not. */
static void
test_expect_bytes(const char *got, size_t got_len, const char *want,
                  size_t want_len)
{
    if (got_len == want_len && memcmp(got, want, got_len) == 0)
        return;
    char g[4096];
    snprintf(g, sizeof(g), "%s", test_show(got, got_len));
    ck_abort_msg("got  %s\nwant %s", g, test_show(want, want_len));
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
    test_expect_bytes(b.data + 1, b.len - 1, want, want_len);

    size_t ref_len;
    char *ref = test_ref_string((const unsigned char *)in, in_len, &ref_len);
    test_expect_bytes(b.data + 1, b.len - 1, ref, ref_len);
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
            s[i++] = (unsigned char)test_rand();
        } else if (mode == 1) { /* bytes that matter to the decoder */
            s[i++] = hot[test_rand_below(sizeof(hot))];
        } else { /* valid UTF-8, any scalar value */
            unsigned char tmp[4];
            uint32_t cp = (uint32_t)test_rand_below(0x110000);
            if (test_rand_below(2))
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
    test_expect_bytes(b.data, b.len, ref, ref_len);

    json_error_t jerr;
    json_t *j =
        json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "jansson: %s", jerr.text);
    ck_assert(json_is_string(j));
    bool had_error;
    unsigned char *dec = test_ref_decode(s, len, &dec_len, &had_error);
    test_expect_bytes(json_string_value(j), json_string_length(j),
                      (const char *)dec, dec_len);
    if (!had_error)
        test_expect_bytes(json_string_value(j), json_string_length(j),
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
        size_t len = test_rand_below(sizeof(s));
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
        s[test_rand_below(MIB)] = (unsigned char)(0x80 + test_rand_below(128));
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
            test_expect_bytes(b.data + 3, b.len - 3, ref, ref_len);
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
        int64_t t = (int64_t)test_rand();
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

#define FS(n, v)                                                               \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), FIELD_STRING, false                          \
    }
#define FI(n, v)                                                               \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), FIELD_INT, false                             \
    }
#define FT(n, v, t)                                                            \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), t, false                                     \
    }

/* An event with text "m" at time 0 holding the given fields. */
static struct event
test_event(struct field *fields, size_t nfields)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.text = SPAN_LIT("m");
    ev.fields = fields;
    ev.nfields = nfields;
    ev.cap_fields = nfields;
    return ev;
}

/*
 * Encodes ev and checks the exact document and that it is strict JSON:
 * the first time the slow way (sorting, recording the shape), then twice
 * more through the shape cache, with the buffer reused.
 */
static void
test_check_event(const struct event *ev, const char *want)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    for (int round = 0; round < 3; round++) {
        buf_reset(&b);
        ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        test_expect_bytes(b.data, b.len, want, strlen(want));
        ck_assert_int_eq(b.data[b.len], '\0');
    }
    json_error_t jerr;
    json_t *j = json_loadb(b.data, b.len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "jansson: %s in %s", jerr.text, b.data);
    json_decref(j);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}

static void test_check_event_with(struct ndjson_enc *enc,
                                  const struct event *ev, const char *want);

#define EVENT_OF(fs) test_event((fs), sizeof(fs) / sizeof((fs)[0]))

START_TEST(event_minimal)
{
    struct event ev = test_event(NULL, 0);
    ev.text = SPAN_LIT("hello \"world\"\n");
    test_check_event(&ev, TS0 ",\"message\":\"hello \\\"world\\\"\\n\"}\n");
}
END_TEST

START_TEST(event_nests_dotted_names)
{
    struct field fs[] = {FS("a.c", "x"),
                         FT("z", "true", FIELD_BOOL),
                         FI("a.b", "1"),
                         FS("b", "y"),
                         FI("http.response.status_code", "200"),
                         FS("http.request.method", "GET")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":1,\"c\":\"x\"},\"b\":\"y\","
                              "\"http\":{\"request\":{\"method\":\"GET\"},"
                              "\"response\":{\"status_code\":200}},"
                              "\"message\":\"m\",\"z\":true}\n");
}
END_TEST

START_TEST(event_dot_sorts_below_every_byte)
{
    /* Plain byte order would split "a": "a-b" < "a.b" < "a0". */
    struct field fs[] = {FI("a0", "4"),   FI("a.b", "1"), FI("a-b", "2"),
                         FI("a.c", "3"),  FI("a!", "5"),  FI("a.b-", "6"),
                         FI("a.b.c", "7")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":{\"value\":1,\"c\":7},\"b-\":6,"
                              "\"c\":3},\"a!\":5,\"a-b\":2,\"a0\":4,"
                              "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_value_object_conflict)
{
    struct field fs[] = {FI("a", "1"), FI("a.b", "2")};
    struct event ev = EVENT_OF(fs);
    const char *want = TS0 ",\"a\":{\"value\":1,\"b\":2},\"message\":\"m\"}\n";
    test_check_event(&ev, want);
    struct field rev[] = {FI("a.b", "2"), FI("a", "1")};
    ev = EVENT_OF(rev);
    test_check_event(&ev, want);
}
END_TEST

START_TEST(event_deep_conflict_and_closing)
{
    struct field fs[] = {FI("a.b.d.e", "4"), FI("a", "1"), FI("a.b", "2"),
                         FI("a.b.c", "3"), FI("x.y", "5")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"value\":1,\"b\":{\"value\":2,"
                              "\"c\":3,\"d\":{\"e\":4}}},\"message\":\"m\","
                              "\"x\":{\"y\":5}}\n");
}
END_TEST

START_TEST(event_value_child_wins_over_value)
{
    struct field fs[] = {FI("a", "1"), FI("a.value", "2")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"value\":2},\"message\":\"m\"}\n");
    struct field deep[] = {FI("a", "1"), FI("a.value.x", "2"), FI("a.b", "3"),
                           FI("a.valuex", "4")};
    ev = EVENT_OF(deep);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":3,\"value\":{\"x\":2},"
                              "\"valuex\":4},\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_duplicates_last_wins)
{
    struct field fs[] = {FI("a", "1"), FI("b", "2"), FI("a", "3")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":3,\"b\":2,\"message\":\"m\"}\n");
    struct field nested[] = {FI("a.b", "1"), FI("a.b", "2"), FI("a.c", "3"),
                             FI("a.b", "4")};
    ev = EVENT_OF(nested);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":4,\"c\":3},\"message\":\"m\"}\n");
    struct field conflict[] = {FI("a", "1"), FI("a.b", "2"), FI("a", "5")};
    ev = EVENT_OF(conflict);
    test_check_event(&ev,
                     TS0 ",\"a\":{\"value\":5,\"b\":2},\"message\":\"m\"}\n");
    struct field typed[] = {FI("n", "1"), FS("n", "one")};
    ev = EVENT_OF(typed);
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"n\":\"one\"}\n");
}
END_TEST

START_TEST(event_message_field_overrides_text)
{
    struct field fs[] = {FS("message", "parsed")};
    struct event ev = EVENT_OF(fs);
    ev.text = SPAN_LIT("raw line");
    test_check_event(&ev, TS0 ",\"message\":\"parsed\"}\n");
    struct field sub[] = {FI("message.len", "8")};
    ev = EVENT_OF(sub);
    ev.text = SPAN_LIT("raw line");
    test_check_event(&ev, TS0 ",\"message\":{\"value\":\"raw line\","
                              "\"len\":8}}\n");
}
END_TEST

START_TEST(event_message_sorted_among_fields)
{
    struct field fs[] = {FI("zzz", "1"), FI("messages", "4"), FI("aaa", "2"),
                         FI("m", "3"), FI("message0", "5")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"aaa\":2,\"m\":3,\"message\":\"m\","
                              "\"message0\":5,\"messages\":4,\"zzz\":1}\n");
}
END_TEST

START_TEST(event_tags_written_last)
{
    struct field fs[] = {FS("user", "u"), FI("a", "1")};
    struct event ev = EVENT_OF(fs);
    ev.tags[0] = SPAN_LIT("prod");
    ev.tags[1] = SPAN_LIT("we\"b\xff");
    ev.ntags = 2;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":\"m\",\"user\":\"u\","
                              "\"tags\":[\"prod\",\"we\\\"b" FFFD "\"]}\n");
    ev.ntags = 0;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":\"m\",\"user\":\"u\"}\n");
}
END_TEST

START_TEST(event_tags_field_replaces_tags)
{
    struct field fs[] = {FS("tags", "x"), FI("z", "1")};
    struct event ev = EVENT_OF(fs);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags\":\"x\",\"z\":1}\n");
    struct field sub[] = {FI("tags.k", "1")};
    ev = EVENT_OF(sub);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags\":{\"k\":1}}\n");
    struct field other[] = {FI("tagsx", "1"), FI("tags..k", "2")};
    ev = EVENT_OF(other);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags..k\":2,\"tagsx\":1,"
                              "\"tags\":[\"prod\"]}\n");
}
END_TEST

START_TEST(event_truncated_flag_merges_into_log)
{
    struct field fs[] = {FI("log.offset", "42"),
                         FS("log.file.path", "/var/log/x")};
    struct event ev = EVENT_OF(fs);
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev, TS0 ",\"log\":{\"file\":{\"path\":\"/var/log/x\"},"
                              "\"flags\":[\"truncated\"],\"offset\":42},"
                              "\"message\":\"m\"}\n");
    ev.flags = EVENT_TRUNCATED | EVENT_MULTILINE;
    test_check_event(&ev, TS0 ",\"log\":{\"file\":{\"path\":\"/var/log/x\"},"
                              "\"flags\":[\"truncated\",\"multiline\"],"
                              "\"offset\":42},\"message\":\"m\"}\n");
    ev = test_event(NULL, 0);
    ev.flags = EVENT_MULTILINE;
    test_check_event(&ev, TS0 ",\"log\":{\"flags\":[\"multiline\"]},"
                              "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_flags_beat_log_flags_field)
{
    struct field fs[] = {FS("log.flags", "user")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev,
                     TS0 ",\"log\":{\"flags\":\"user\"},\"message\":\"m\"}\n");
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev, TS0 ",\"log\":{\"flags\":[\"truncated\"]},"
                              "\"message\":\"m\"}\n");
    struct field val[] = {FS("log", "x")};
    ev = EVENT_OF(val);
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev,
                     TS0 ",\"log\":{\"value\":\"x\","
                         "\"flags\":[\"truncated\"]},\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_timestamp_fields_skipped)
{
    struct field fs[] = {FS("@timestamp", "2020-01-01"),
                         FI("@timestamp.x", "1"), FS("@version", "1"),
                         FS("@timestampx", "y")};
    struct event ev = EVENT_OF(fs);
    ev.time_ns = INT64_C(1795674081123000000);
    test_check_event(&ev, "{\"@timestamp\":\"2026-11-26T06:21:21.123Z\","
                          "\"@timestampx\":\"y\",\"@version\":\"1\","
                          "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_empty_segments_are_one_key)
{
    struct field fs[] = {FI("a..b", "1"), FI(".a", "2"),  FI("a.", "3"),
                         FI("", "4"),     FI("a.b", "5"), FI("a", "6"),
                         FI(".", "7"),    FI("..", "8")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"\":4,\".\":7,\"..\":8,\".a\":2,"
                              "\"a\":{\"value\":6,\"b\":5},\"a.\":3,"
                              "\"a..b\":1,\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_escapes_names_and_values)
{
    struct field fs[] = {
        FS("we\"ird\x01\xff", "v\n\xc3"),
        FS("x.\"q\".\\", "\xe2\x82\xac"),
        FS("x.tab\t", "\0"),
    };
    struct event ev = EVENT_OF(fs);
    ev.text = (struct span){"a\0\xed\xa0\x80", 5};
    test_check_event(&ev,
                     TS0 ",\"message\":\"a\\u0000" FFFD FFFD FFFD "\","
                         "\"we\\\"ird\\u0001" FFFD "\":\"v\\n" FFFD "\","
                         "\"x\":{\"\\\"q\\\"\":{\"\\\\\":\"\xe2\x82\xac\"},"
                         "\"tab\\t\":\"\\u0000\"}}\n");
}
END_TEST

START_TEST(event_types_copied_verbatim)
{
    struct field fs[] = {
        FI("i", "-12"),
        FT("f", "1.5e3", FIELD_FLOAT),
        FT("b", "false", FIELD_BOOL),
        FT("j", "{\"k\":[1,2]}", FIELD_JSON),
        FI("e", ""),
        FS("s", ""),
    };
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"b\":false,\"e\":null,\"f\":1.5e3,\"i\":-12,"
                              "\"j\":{\"k\":[1,2]},\"message\":\"m\","
                              "\"s\":\"\"}\n");
}
END_TEST

START_TEST(event_null_empty_spans)
{
    /* Empty spans may carry a NULL pointer; none may be dereferenced. */
    struct field fs[] = {
        {{NULL, 0}, {NULL, 0}, FIELD_STRING, false},
        {SPAN_LIT("n"), {NULL, 0}, FIELD_INT, false},
        {{NULL, 0}, {NULL, 0}, FIELD_JSON, false},
    };
    struct event ev = EVENT_OF(fs);
    ev.text = (struct span){NULL, 0};
    ev.tags[0] = (struct span){NULL, 0};
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"\":null,\"message\":\"\",\"n\":null,"
                              "\"tags\":[\"\"]}\n");
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_string(&b, NULL, 0), 0);
    ck_assert_str_eq(b.data, "\"\"");
    buf_fini(&b);
}
END_TEST

START_TEST(event_no_message_flag)
{
    struct event ev = test_event(NULL, 0);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 "}\n");
    struct field fs[] = {FI("a", "1"), FI("message.len", "3")};
    ev = EVENT_OF(fs);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":{\"len\":3}}\n");
    struct field msg[] = {FS("message", "set again")};
    ev = EVENT_OF(msg);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 ",\"message\":\"set again\"}\n");
}
END_TEST

START_TEST(shape_cache_follows_no_message)
{
    struct field fs[] = {FI("a", "1")};
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    test_check_event_with(&enc, &ev, TS0 ",\"a\":1,\"message\":\"m\"}\n");
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event_with(&enc, &ev, TS0 ",\"a\":1}\n");
    ev.flags = 0;
    test_check_event_with(&enc, &ev, TS0 ",\"a\":1,\"message\":\"m\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

/* A rich event for the limit and reuse tests. */
static struct field test_rich_fields[] = {
    FS("log.file.path", "/var/log/app.log"),
    FI("log.offset", "1234"),
    FS("http.request.method", "GET"),
    FI("http.response.status_code", "200"),
    FS("user", "bob \xff"),
    FI("a", "1"),
    FI("a.b.c", "2"),
    FS("message", "parsed \"text\""),
    FI("a..b", "3"),
};

static struct event
test_rich_event(void)
{
    struct event ev = EVENT_OF(test_rich_fields);
    ev.time_ns = INT64_C(1795674081123456789);
    ev.flags = EVENT_TRUNCATED | EVENT_MULTILINE;
    ev.tags[0] = SPAN_LIT("t1");
    ev.tags[1] = SPAN_LIT("t2");
    ev.ntags = 2;
    return ev;
}

/*
 * Cuts the output at every possible byte with max_len: each cut fails with
 * -E2BIG and leaves "pre"; the exact fit succeeds. A warm encoder fails in
 * the shape replay; a fresh one fails while recording, and must then
 * still write the event correctly.
 */
static void
test_check_event_limits(const struct event *ev, bool warm)
{
    struct ndjson_enc enc;
    struct buf full;
    ndjson_enc_init(&enc);
    buf_init(&full, 0);
    ck_assert_int_eq(ndjson_write_event(&enc, &full, ev), 0);
    for (size_t max = 3; max <= 3 + full.len; max++) {
        struct buf b;
        if (!warm) {
            ndjson_enc_fini(&enc);
            ndjson_enc_init(&enc);
        }
        buf_init(&b, max);
        ck_assert_int_eq(buf_append(&b, "pre", 3), 0);
        int rc = ndjson_write_event(&enc, &b, ev);
        if (max < 3 + full.len) {
            ck_assert_int_eq(rc, -E2BIG);
            ck_assert_uint_eq(b.len, 3);
            ck_assert_str_eq(b.data, "pre");
            buf_fini(&b);
            buf_init(&b, 0);
            ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        } else {
            ck_assert_int_eq(rc, 0);
            buf_truncate(&b, 3);
            ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        }
        test_expect_bytes(b.data + (b.data[0] == 'p' ? 3 : 0),
                          b.len - (b.data[0] == 'p' ? 3 : 0), full.data,
                          full.len);
        buf_fini(&b);
    }
    buf_fini(&full);
    ndjson_enc_fini(&enc);
}

START_TEST(event_limit_every_cut_restores)
{
    struct event ev = test_rich_event();
    test_check_event_limits(&ev, true);
    test_check_event_limits(&ev, false);
    ev.ntags = 0;
    ev.flags = 0;
    test_check_event_limits(&ev, true);
    test_check_event_limits(&ev, false);
}
END_TEST

START_TEST(event_rich_exact)
{
    struct event ev = test_rich_event();
    test_check_event(
        &ev, "{\"@timestamp\":\"2026-11-26T06:21:21.123Z\","
             "\"a\":{\"value\":1,\"b\":{\"c\":2}},\"a..b\":3,"
             "\"http\":{\"request\":{\"method\":\"GET\"},"
             "\"response\":{\"status_code\":200}},"
             "\"log\":{\"file\":{\"path\":\"/var/log/app.log\"},"
             "\"flags\":[\"truncated\",\"multiline\"],\"offset\":1234},"
             "\"message\":\"parsed \\\"text\\\"\",\"user\":\"bob " FFFD "\","
             "\"tags\":[\"t1\",\"t2\"]}\n");
}
END_TEST

/* Checks objects g0..g<n-1> in the document hold keys in byte order. */
static void
test_check_groups_sorted(const struct buf *b, int n)
{
    json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(j);
    for (int g = 0; g < n; g++) {
        char key[16];
        snprintf(key, sizeof(key), "g%d", g);
        json_t *obj = json_object_get(j, key);
        ck_assert(json_is_object(obj));
        const char *k, *prev = "";
        json_t *v;
        json_object_foreach(obj, k, v)
        {
            ck_assert_msg(strcmp(prev, k) < 0, "%s after %s", k, prev);
            prev = k;
        }
    }
    /* The groups, @timestamp and message. */
    ck_assert_uint_eq(json_object_size(j), (size_t)n + 2);
    json_decref(j);
}

START_TEST(event_warm_encoder_stops_allocating)
{
    enum { NFIELDS = 300 };
    static struct field fs[NFIELDS];
    static char names[NFIELDS][16];
    for (int i = 0; i < NFIELDS; i++) {
        /* Reverse order and shared prefixes, to exercise the merge sort. */
        int n = snprintf(names[i], sizeof(names[i]), "g%d.f%03d", i % 7,
                         NFIELDS - i);
        fs[i].name = (struct span){names[i], (size_t)n};
        fs[i].value = SPAN_LIT("1");
        fs[i].type = FIELD_INT;
    }
    struct event ev = test_event(fs, NFIELDS);
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    /* Warm: the first replay reserves the worst case of its values once. */
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    struct ndjson_entry *order = enc.order;
    size_t cap_order = enc.cap_order;
    char *data = b.data;
    size_t cap = b.cap, len = b.len;
    for (int round = 0; round < 3; round++) {
        buf_reset(&b);
        ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
        ck_assert_ptr_eq(enc.order, order);
        ck_assert_uint_eq(enc.cap_order, cap_order);
        ck_assert_ptr_eq(b.data, data);
        ck_assert_uint_eq(b.cap, cap);
        ck_assert_uint_eq(b.len, len);
    }
    /* Fewer fields never shrink it. */
    ev.nfields = 3;
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    ck_assert_ptr_eq(enc.order, order);

    ev.nfields = NFIELDS;
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    test_check_groups_sorted(&b, 7);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

/* Encodes ev with enc and checks the document is exactly want. */
static void
test_check_event_with(struct ndjson_enc *enc, const struct event *ev,
                      const char *want)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_event(enc, &b, ev), 0);
    test_expect_bytes(b.data, b.len, want, strlen(want));
    buf_fini(&b);
}

START_TEST(shape_cache_sees_new_names_at_same_address)
{
    /* Scratch memory is reused: same pointers, different bytes. */
    char names[2][8] = {"a.b", "c"};
    struct field fs[] = {
        {{names[0], 3}, SPAN_LIT("1"), FIELD_INT, false},
        {{names[1], 1}, SPAN_LIT("2"), FIELD_INT, false},
    };
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    test_check_event_with(&enc, &ev,
                          TS0 ",\"a\":{\"b\":1},\"c\":2,\"message\":\"m\"}\n");
    names[0][2] = 'x';
    test_check_event_with(&enc, &ev,
                          TS0 ",\"a\":{\"x\":1},\"c\":2,\"message\":\"m\"}\n");
    names[1][0] = 'a';
    test_check_event_with(
        &enc, &ev, TS0 ",\"a\":{\"value\":2,\"x\":1},\"message\":\"m\"}\n");
    fs[1].name.len = 0;
    test_check_event_with(&enc, &ev,
                          TS0 ",\"\":2,\"a\":{\"x\":1},\"message\":\"m\"}\n");
    ev.nfields = 1;
    test_check_event_with(&enc, &ev,
                          TS0 ",\"a\":{\"x\":1},\"message\":\"m\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(shape_cache_follows_flags_values_and_tags)
{
    struct field fs[] = {FS("log.offset", "7"), FS("msg", "x")};
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    test_check_event_with(&enc, &ev,
                          TS0 ",\"log\":{\"offset\":\"7\"},\"message\":\"m\","
                              "\"msg\":\"x\"}\n");
    ev.flags = EVENT_TRUNCATED;
    test_check_event_with(
        &enc, &ev,
        TS0 ",\"log\":{\"flags\":[\"truncated\"],"
            "\"offset\":\"7\"},\"message\":\"m\",\"msg\":\"x\"}\n");
    ev.flags = EVENT_MULTILINE; /* same shape, other value */
    fs[1].value = SPAN_LIT("y\"");
    fs[0].type = FIELD_INT;
    ev.text = SPAN_LIT("t");
    ev.tags[0] = SPAN_LIT("k");
    ev.ntags = 1;
    test_check_event_with(&enc, &ev,
                          TS0
                          ",\"log\":{\"flags\":[\"multiline\"],"
                          "\"offset\":7},\"message\":\"t\",\"msg\":\"y\\\"\","
                          "\"tags\":[\"k\"]}\n");
    ev.flags = 0;
    ev.ntags = 0;
    test_check_event_with(&enc, &ev,
                          TS0 ",\"log\":{\"offset\":7},\"message\":\"t\","
                              "\"msg\":\"y\\\"\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

/* Returns whether a is a strict dotted descendant of b. */
static bool
test_is_below(struct span a, struct span b)
{
    return a.len > b.len && a.ptr[b.len] == '.' &&
           memcmp(a.ptr, b.ptr, b.len) == 0;
}

/* Returns whether name has an empty segment (written as one key). */
static bool
test_is_literal(struct span n)
{
    if (n.len == 0 || n.ptr[0] == '.' || n.ptr[n.len - 1] == '.')
        return true;
    for (size_t i = 0; i + 1 < n.len; i++)
        if (n.ptr[i] == '.' && n.ptr[i + 1] == '.')
            return true;
    return false;
}

/* Checks every object's keys are in byte order ("value" may lead). */
static void
test_check_key_order(json_t *obj, bool root)
{
    const char *k, *prev = NULL;
    size_t klen, prev_len = 0;
    json_t *v;
    json_object_keylen_foreach(obj, k, klen, v)
    {
        if (json_is_object(v))
            test_check_key_order(v, false);
        bool skip = (root && (!strcmp(k, "@timestamp") ||
                              (!strcmp(k, "tags") && json_is_array(v)))) ||
                    (!root && !prev && !strcmp(k, "value"));
        if (skip)
            continue;
        if (prev) {
            size_t n = prev_len < klen ? prev_len : klen;
            int c = memcmp(prev, k, n);
            ck_assert_msg(c < 0 || (c == 0 && prev_len < klen),
                          "key %s after %s", k, prev);
        }
        prev = k;
        prev_len = klen;
    }
}

/*
 * Checks the field at all[i] (the last of its name) is in the document:
 * at its path, or under "value" where it has children, or dropped only
 * when a child named "value" took its place.
 */
static void
test_check_field_present(json_t *root, const struct field *all, size_t n,
                         size_t i)
{
    struct span name = all[i].name;
    bool has_child = false;
    for (size_t k = 0; k < n; k++) {
        if (test_is_literal(all[k].name) || !test_is_below(all[k].name, name))
            continue;
        has_child = true;
        const char *rest = all[k].name.ptr + name.len;
        size_t rest_len = all[k].name.len - name.len;
        if (rest_len >= 6 && !memcmp(rest, ".value", 6) &&
            (rest_len == 6 || rest[6] == '.'))
            return; /* dropped for the child "value" */
    }
    json_t *node = root;
    const char *p = name.ptr, *end = name.ptr + name.len;
    while (!test_is_literal(name) && memchr(p, '.', (size_t)(end - p))) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        node = json_object_getn(node, p, (size_t)(dot - p));
        ck_assert_msg(json_is_object(node), "no object for %.*s", (int)name.len,
                      name.ptr);
        p = dot + 1;
    }
    node = json_object_getn(node, p, (size_t)(end - p));
    if (has_child)
        node = json_object_get(node, "value");
    ck_assert_msg(node != NULL, "%.*s missing", (int)name.len, name.ptr);
    char *got = json_dumps(node, JSON_ENCODE_ANY | JSON_COMPACT);
    char want[64];
    if (all[i].type == FIELD_STRING)
        snprintf(want, sizeof(want), "\"%.*s\"", (int)all[i].value.len,
                 all[i].value.ptr);
    else
        snprintf(want, sizeof(want), "%.*s", (int)all[i].value.len,
                 all[i].value.ptr);
    ck_assert_str_eq(got, want);
    free(got);
}

/* Builds a random dotted name from a few segments into d; returns it. */
static struct span
test_random_name(char *d, size_t size)
{
    static const char *const segs[] = {"a",    "b",       "value", "log",
                                       "tags", "message", "flags", "a-"};
    size_t nsegs = 1 + test_rand_below(3), n = 0;
    for (size_t s = 0; s < nsegs; s++) {
        if (s > 0 || test_rand_below(20) == 0)
            d[n++] = '.'; /* a leading dot now and then */
        if (test_rand_below(20) == 0)
            continue; /* an empty segment */
        const char *seg = segs[test_rand_below(sizeof(segs) / sizeof(*segs))];
        size_t len = strlen(seg);
        ck_assert_uint_lt(n + len, size);
        memcpy(d + n, seg, len);
        n += len;
    }
    return (struct span){d, n};
}

/*
 * With ev's shape just recorded in enc, encodes a copy with the same names
 * but other values, text, tags and flag bits, and checks the cached
 * encoding matches a fresh encoder's.
 */
static void
test_check_replay(struct ndjson_enc *enc, const struct event *ev)
{
    enum { MAX_FIELDS = 24 };
    struct field fs[MAX_FIELDS];
    char values[MAX_FIELDS][16];
    struct event other = *ev;
    ck_assert_uint_le(ev->nfields, MAX_FIELDS);
    for (size_t i = 0; i < ev->nfields; i++) {
        fs[i].name = ev->fields[i].name;
        fs[i].static_name = ev->fields[i].static_name;
        fs[i].type = test_rand_below(2) ? FIELD_INT : FIELD_STRING;
        int len = snprintf(values[i], sizeof(values[i]), "%zu",
                           test_rand_below(1000));
        fs[i].value = (struct span){values[i], (size_t)len};
    }
    other.fields = fs;
    other.text = SPAN_LIT("other \"text\"");
    other.ntags = test_rand_below(3);
    if (other.flags & (EVENT_TRUNCATED | EVENT_MULTILINE))
        other.flags = (other.flags & EVENT_NO_MESSAGE) |
                      (1 + (unsigned)test_rand_below(3));
    other.time_ns = (int64_t)test_rand_below(1u << 30) * 1000000000;

    struct ndjson_enc fresh;
    struct buf warm_out, fresh_out;
    ndjson_enc_init(&fresh);
    buf_init(&warm_out, 0);
    buf_init(&fresh_out, 0);
    ck_assert_int_eq(ndjson_write_event(enc, &warm_out, &other), 0);
    ck_assert_int_eq(ndjson_write_event(&fresh, &fresh_out, &other), 0);
    test_expect_bytes(warm_out.data, warm_out.len, fresh_out.data,
                      fresh_out.len);
    buf_fini(&warm_out);
    buf_fini(&fresh_out);
    ndjson_enc_fini(&fresh);
}

/* The stand-in field ndjson.c writes for ev->flags. */
static struct field
test_flags_field(unsigned flags)
{
    static const struct span values[] = {
        SPAN_LIT("null"),
        SPAN_LIT("[\"truncated\"]"),
        SPAN_LIT("[\"multiline\"]"),
        SPAN_LIT("[\"truncated\",\"multiline\"]"),
    };
    return (struct field){SPAN_LIT("log.flags"), values[flags & 3], FIELD_JSON,
                          false};
}

static void test_check_rules(json_t *root, const struct event *ev,
                             const struct field *all, size_t n);

/* Encodes one random event and checks it against the documented rules. */
static void
test_check_random_event(struct ndjson_enc *enc, struct buf *b)
{
    enum { MAX_FIELDS = 24 };
    struct field fs[MAX_FIELDS], all[MAX_FIELDS + 2];
    char names[MAX_FIELDS][32], values[MAX_FIELDS][16];
    size_t nf = test_rand_below(MAX_FIELDS + 1), n = 0;
    bool no_message = test_rand_below(4) == 0;
    if (!no_message)
        all[n++] = (struct field){SPAN_LIT("message"), SPAN_LIT("m"),
                                  FIELD_STRING, false};
    for (size_t i = 0; i < nf; i++) {
        fs[i].name = test_random_name(names[i], sizeof(names[i]));
        fs[i].static_name = false; /* names[] is rewritten every event */
        fs[i].type = test_rand_below(2) ? FIELD_INT : FIELD_STRING;
        int len = snprintf(values[i], sizeof(values[i]),
                           fs[i].type == FIELD_INT ? "%zu" : "s%zu", i);
        fs[i].value = (struct span){values[i], (size_t)len};
        all[n++] = fs[i];
    }
    struct event ev = test_event(fs, nf);
    ev.flags = (unsigned)test_rand_below(4);
    if (ev.flags)
        all[n++] = test_flags_field(ev.flags);
    if (no_message)
        ev.flags |= EVENT_NO_MESSAGE;
    ev.ntags = test_rand_below(3);
    ev.tags[0] = SPAN_LIT("t0");
    ev.tags[1] = SPAN_LIT("t1");

    buf_reset(b);
    ck_assert_int_eq(ndjson_write_event(enc, b, &ev), 0);
    test_check_replay(enc, &ev);
    json_error_t jerr;
    json_t *root = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root != NULL, "jansson: %s in %s", jerr.text, b->data);
    ck_assert_int_eq(b->data[b->len - 1], '\n');
    test_check_key_order(root, true);
    test_check_rules(root, &ev, all, n);
    json_decref(root);
}

/*
 * Checks the document against the rules: the last field of each name is
 * there, and ev->tags are unless a field took the "tags" key.
 */
static void
test_check_rules(json_t *root, const struct event *ev, const struct field *all,
                 size_t n)
{
    bool tags_field = false;
    for (size_t i = 0; i < n; i++) {
        bool last = true;
        for (size_t j = i + 1; j < n; j++)
            if (all[j].name.len == all[i].name.len &&
                !memcmp(all[j].name.ptr, all[i].name.ptr, all[i].name.len))
                last = false;
        if (last)
            test_check_field_present(root, all, n, i);
        tags_field |= !test_is_literal(all[i].name) && all[i].name.len >= 4 &&
                      !memcmp(all[i].name.ptr, "tags", 4) &&
                      (all[i].name.len == 4 || all[i].name.ptr[4] == '.');
    }
    if (ev->ntags && !tags_field) {
        json_t *tags = json_object_get(root, "tags");
        ck_assert(json_is_array(tags));
        ck_assert_uint_eq(json_array_size(tags), ev->ntags);
    }
}

START_TEST(event_fuzz_random_names)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    for (int i = 0; i < 5000; i++)
        test_check_random_event(&enc, &b);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

/*
 * The same names as static fields (matched by address) and as scratch
 * copies (matched by bytes), alternating: one document, whichever way.
 */
START_TEST(shape_cache_static_and_copied_names_agree)
{
    char copy[2][16] = {"http.version", "user.name"};
    struct field fs[] = {
        {SPAN_LIT("http.version"), SPAN_LIT("1.1"), FIELD_STRING, true},
        {SPAN_LIT("user.name"), SPAN_LIT("u"), FIELD_STRING, true},
    };
    const char *name_doc = TS0 ",\"http\":{\"version\":\"1.1\"},"
                               "\"message\":\"m\",\"user\":{\"name\":\"u\"}}\n";
    const char *mail_doc = TS0 ",\"http\":{\"version\":\"1.1\"},"
                               "\"message\":\"m\",\"user\":{\"mail\":\"u\"}}\n";
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    for (int round = 0; round < 8; round++) {
        bool stat = round % 2 == 0;
        if (round == 4) /* the copy changes: its cached shape must not match */
            memcpy(copy[1], "user.mail", 9);
        fs[0].name =
            stat ? SPAN_LIT("http.version") : (struct span){copy[0], 12};
        fs[1].name = stat ? SPAN_LIT("user.name") : (struct span){copy[1], 9};
        fs[0].static_name = fs[1].static_name = stat;
        struct event ev = EVENT_OF(fs);
        test_check_event_with(&enc, &ev,
                              stat || round < 4 ? name_doc : mail_doc);
    }
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

/*
 * More shapes than the cache holds, in random order: every document from
 * the warm encoder (hits, misses, evictions) equals a fresh encoder's.
 */
START_TEST(shape_cache_many_shapes_interleaved)
{
    static const char *const names[] = {
        "http.request.method", "http.response.status_code", "user.name",
        "url.original", "source.address", "http.version", "log.level",
        "user_agent.original",
        /* the same length, first and last 8 bytes: only a full compare
         * tells them apart */
        "labels.xx.one.xx.tail", "labels.xx.two.xx.tail"};
    enum { NNAMES = sizeof(names) / sizeof(names[0]) };
    struct field fs[NNAMES];
    struct ndjson_enc warm, fresh;
    struct buf wb, fb;
    ndjson_enc_init(&warm);
    buf_init(&wb, 0);
    buf_init(&fb, 0);
    for (int round = 0; round < 3000; round++) {
        unsigned subset = (unsigned)test_rand_below(1u << NNAMES);
        size_t n = 0;
        for (size_t i = 0; i < NNAMES; i++) {
            if (!(subset & (1u << i)))
                continue;
            fs[n].name = span_str(names[i]);
            fs[n].static_name = test_rand_below(2); /* literals: either */
            fs[n].value = test_rand_below(2) ? SPAN_LIT("x\"y") : SPAN_LIT("7");
            fs[n].type = fs[n].value.len == 1 ? FIELD_INT : FIELD_STRING;
            n++;
        }
        struct event ev = test_event(fs, n);
        ev.flags = (unsigned)test_rand_below(8) &
                   (EVENT_TRUNCATED | EVENT_MULTILINE | EVENT_NO_MESSAGE);
        buf_reset(&wb);
        buf_reset(&fb);
        ndjson_enc_init(&fresh);
        ck_assert_int_eq(ndjson_write_event(&warm, &wb, &ev), 0);
        ck_assert_int_eq(ndjson_write_event(&fresh, &fb, &ev), 0);
        test_expect_bytes(wb.data, wb.len, fb.data, fb.len);
        ndjson_enc_fini(&fresh);
    }
    buf_fini(&wb);
    buf_fini(&fb);
    ndjson_enc_fini(&warm);
}
END_TEST

static Suite *
check_ndjson_suite(void)
{
    Suite *s = suite_create("ndjson");
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

    tc = tcase_create("event");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, event_minimal);
    tcase_add_test(tc, event_nests_dotted_names);
    tcase_add_test(tc, event_dot_sorts_below_every_byte);
    tcase_add_test(tc, event_value_object_conflict);
    tcase_add_test(tc, event_deep_conflict_and_closing);
    tcase_add_test(tc, event_value_child_wins_over_value);
    tcase_add_test(tc, event_duplicates_last_wins);
    tcase_add_test(tc, event_message_field_overrides_text);
    tcase_add_test(tc, event_message_sorted_among_fields);
    tcase_add_test(tc, event_tags_written_last);
    tcase_add_test(tc, event_tags_field_replaces_tags);
    tcase_add_test(tc, event_truncated_flag_merges_into_log);
    tcase_add_test(tc, event_flags_beat_log_flags_field);
    tcase_add_test(tc, event_timestamp_fields_skipped);
    tcase_add_test(tc, event_empty_segments_are_one_key);
    tcase_add_test(tc, event_escapes_names_and_values);
    tcase_add_test(tc, event_types_copied_verbatim);
    tcase_add_test(tc, event_null_empty_spans);
    tcase_add_test(tc, event_no_message_flag);
    tcase_add_test(tc, event_rich_exact);
    tcase_add_test(tc, event_limit_every_cut_restores);
    tcase_add_test(tc, event_warm_encoder_stops_allocating);
    tcase_add_test(tc, event_fuzz_random_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("shape_cache");
    tcase_add_test(tc, shape_cache_sees_new_names_at_same_address);
    tcase_add_test(tc, shape_cache_follows_flags_values_and_tags);
    tcase_add_test(tc, shape_cache_follows_no_message);
    tcase_add_test(tc, shape_cache_many_shapes_interleaved);
    tcase_add_test(tc, shape_cache_static_and_copied_names_agree);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_ndjson_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
