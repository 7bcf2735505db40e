/*
 * Unit tests for convert.c: tables of good and bad input for each target
 * type with the exact output text, the zero-copy promise for text that is
 * already canonical, shortest round-trip formatting of doubles, the
 * type names accepted in config, and the IP address check (a table, plus
 * generated text compared with inet_pton itself, which the IPv4 fast
 * path must agree with byte for byte).
 */
#include "config.h"

#include "convert.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct convert_case {
    const char *in;
    enum field_type to;
    const char *want; /* NULL: must fail with -EINVAL */
};

static const struct convert_case convert_cases[] = {
    /* int */
    {"42", FIELD_INT, "42"},
    {"-42", FIELD_INT, "-42"},
    {"+42", FIELD_INT, "42"},
    {"007", FIELD_INT, "7"},
    {"-007", FIELD_INT, "-7"},
    {"0", FIELD_INT, "0"},
    {"-0", FIELD_INT, "0"},
    {"+000", FIELD_INT, "0"},
    {" \t12\r\n", FIELD_INT, "12"},
    {"9223372036854775807", FIELD_INT, "9223372036854775807"},
    {"-9223372036854775808", FIELD_INT, "-9223372036854775808"},
    {"0009223372036854775807", FIELD_INT, "9223372036854775807"},
    {"9223372036854775808", FIELD_INT, NULL},
    {"-9223372036854775809", FIELD_INT, NULL},
    {"12345678901234567890", FIELD_INT, NULL},
    {"", FIELD_INT, NULL},
    {"   ", FIELD_INT, NULL},
    {"-", FIELD_INT, NULL},
    {"+", FIELD_INT, NULL},
    {"1.0", FIELD_INT, NULL},
    {"1e3", FIELD_INT, NULL},
    {"0x10", FIELD_INT, NULL},
    {"12a", FIELD_INT, NULL},
    {"1 2", FIELD_INT, NULL},
    {"--1", FIELD_INT, NULL},
    /* float: valid JSON text with a fraction or exponent is kept */
    {"1.5", FIELD_FLOAT, "1.5"},
    {"-0.25", FIELD_FLOAT, "-0.25"},
    {"1.50", FIELD_FLOAT, "1.50"},
    {"1e10", FIELD_FLOAT, "1e10"},
    {"2.5E-3", FIELD_FLOAT, "2.5E-3"},
    {"1e+300", FIELD_FLOAT, "1e+300"},
    {" 3.25 ", FIELD_FLOAT, "3.25"},
    {"3.141592653589793238462643", FIELD_FLOAT, "3.141592653589793238462643"},
    /* float: anything else is rewritten */
    {"3", FIELD_FLOAT, "3.0"},
    {"-3", FIELD_FLOAT, "-3.0"},
    {"-0", FIELD_FLOAT, "-0.0"},
    {"+1.5", FIELD_FLOAT, "1.5"},
    {".5", FIELD_FLOAT, "0.5"},
    {"5.", FIELD_FLOAT, "5.0"},
    {"007.5", FIELD_FLOAT, "7.5"},
    {"0.1", FIELD_FLOAT, "0.1"},
    {"+1e5", FIELD_FLOAT, "100000.0"},
    {"+0", FIELD_FLOAT, "0.0"},
    {"000", FIELD_FLOAT, "0.0"},
    {"-000", FIELD_FLOAT, "-0.0"},
    {"-0012", FIELD_FLOAT, "-12.0"},
    {"999999999999999", FIELD_FLOAT, "999999999999999.0"},
    {"0009999999999999990", FIELD_FLOAT, "9.99999999999999e+15"},
    {"12345678901234567", FIELD_FLOAT, "12345678901234568.0"},
    {"123456789012345678", FIELD_FLOAT, "1.2345678901234568e+17"},
    {"123456789012345678901234", FIELD_FLOAT, "1.2345678901234569e+23"},
    {"1e-400", FIELD_FLOAT, "1e-400"},
    /* float: refused */
    {"1e400", FIELD_FLOAT, NULL},
    {"-1E309", FIELD_FLOAT, NULL},
    {"inf", FIELD_FLOAT, NULL},
    {"-Infinity", FIELD_FLOAT, NULL},
    {"nan", FIELD_FLOAT, NULL},
    {"0x1p3", FIELD_FLOAT, NULL},
    {"", FIELD_FLOAT, NULL},
    {".", FIELD_FLOAT, NULL},
    {"-.", FIELD_FLOAT, NULL},
    {"e5", FIELD_FLOAT, NULL},
    {"1e", FIELD_FLOAT, NULL},
    {"1e+", FIELD_FLOAT, NULL},
    {"1.2.3", FIELD_FLOAT, NULL},
    {"1,5", FIELD_FLOAT, NULL},
    {"3ms", FIELD_FLOAT, NULL},
    /* bool */
    {"true", FIELD_BOOL, "true"},
    {"TRUE", FIELD_BOOL, "true"},
    {"Yes", FIELD_BOOL, "true"},
    {"on", FIELD_BOOL, "true"},
    {"1", FIELD_BOOL, "true"},
    {"false", FIELD_BOOL, "false"},
    {" False ", FIELD_BOOL, "false"},
    {"NO", FIELD_BOOL, "false"},
    {"off", FIELD_BOOL, "false"},
    {"0", FIELD_BOOL, "false"},
    {"", FIELD_BOOL, NULL},
    {"t", FIELD_BOOL, NULL},
    {"truee", FIELD_BOOL, NULL},
    {"2", FIELD_BOOL, NULL},
    /* string: unchanged, blanks kept */
    {" a b ", FIELD_STRING, " a b "},
    {"", FIELD_STRING, ""},
    /* json is not a target */
    {"[1]", FIELD_JSON, NULL},
};

START_TEST(values_convert_to_exact_text)
{
    const struct convert_case *c = &convert_cases[_i];
    struct scratch sc;
    struct span out = SPAN_LIT("untouched");

    scratch_init(&sc);
    int rc = convert_value(span_str(c->in), c->to, &sc, &out);
    if (c->want == NULL) {
        ck_assert_msg(rc == -EINVAL, "'%s' as %s: rc %d, got '%.*s'", c->in,
                      convert_type_name(c->to), rc, (int)out.len, out.ptr);
        ck_assert(span_eq(out, SPAN_LIT("untouched")));
    } else {
        ck_assert_msg(rc == 0, "'%s' as %s: rc %d", c->in,
                      convert_type_name(c->to), rc);
        ck_assert_msg(span_eq(out, span_str(c->want)),
                      "'%s' as %s: got '%.*s', want '%s'", c->in,
                      convert_type_name(c->to), (int)out.len, out.ptr, c->want);
    }
    scratch_fini(&sc);
}
END_TEST

/* Text that is already canonical comes back as a slice of the input. */
START_TEST(canonical_text_is_not_copied)
{
    static const struct {
        const char *in;
        enum field_type to;
        size_t off, len;
    } cases[] = {
        {"42", FIELD_INT, 0, 2},      {" -42 ", FIELD_INT, 1, 3},
        {"+42", FIELD_INT, 1, 2},     {"0042", FIELD_INT, 2, 2},
        {"1.5e3", FIELD_FLOAT, 0, 5}, {" 0.5", FIELD_FLOAT, 1, 3},
        {"abc", FIELD_STRING, 0, 3},
    };
    struct scratch sc;

    scratch_init(&sc);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct span out;
        ck_assert_int_eq(
            convert_value(span_str(cases[i].in), cases[i].to, &sc, &out), 0);
        ck_assert_ptr_eq(out.ptr, cases[i].in + cases[i].off);
        ck_assert_uint_eq(out.len, cases[i].len);
    }
    ck_assert_ptr_null(sc.head); /* nothing was allocated */
    scratch_fini(&sc);
}
END_TEST

/* Inputs are spans: bytes past the length are never read. */
START_TEST(only_the_span_is_read)
{
    struct scratch sc;
    struct span out;

    scratch_init(&sc);
    ck_assert_int_eq(
        convert_value((struct span){"123456", 3}, FIELD_INT, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("123")));
    ck_assert_int_eq(
        convert_value((struct span){"2.5e9", 3}, FIELD_FLOAT, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("2.5")));
    ck_assert_int_eq(
        convert_value((struct span){"7e400", 1}, FIELD_FLOAT, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("7.0")));
    ck_assert_int_eq(
        convert_value((struct span){"trueish", 4}, FIELD_BOOL, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("true")));
    ck_assert_int_eq(
        convert_value((struct span){"12", 1}, FIELD_INT, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("1")));
    scratch_fini(&sc);
}
END_TEST

/* A number too long for the stack copy goes through the scratch. */
START_TEST(long_numbers_convert)
{
    struct scratch sc;
    char text[400];
    struct span out;

    scratch_init(&sc);
    memset(text, '0', sizeof(text));
    text[0] = '1';
    ck_assert_int_eq(
        convert_value((struct span){text, 309}, FIELD_FLOAT, &sc, &out), 0);
    ck_assert(span_eq(out, SPAN_LIT("1e+308")));
    ck_assert_int_eq(
        convert_value((struct span){text, 310}, FIELD_FLOAT, &sc, &out),
        -EINVAL);
    text[309] = '.';
    ck_assert_int_eq(
        convert_value((struct span){text, 311}, FIELD_FLOAT, &sc, &out), 0);
    ck_assert_ptr_eq(out.ptr, text);
    text[1] = '.';
    text[309] = '0';
    ck_assert_int_eq(convert_value((struct span){text, sizeof(text)},
                                   FIELD_FLOAT, &sc, &out),
                     0);
    ck_assert_ptr_eq(out.ptr, text);
    scratch_fini(&sc);
}
END_TEST

START_TEST(doubles_format_shortest_round_trip)
{
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1.0, "1.0"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {100000.0, "100000.0"},
        {1e15, "1e+15"},
        {1e300, "1e+300"},
        {2.5e-3, "0.0025"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3.0, "0.33333333333333331"},
        {5e-324, "4.94065645841247e-324"},
        {-2.2250738585072014e-308, "-2.2250738585072014e-308"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123456789.125, "123456789.125"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dst[CONVERT_DOUBLE_MAX];
        size_t n = convert_format_double(cases[i].d, dst);
        ck_assert_str_eq(dst, cases[i].want);
        ck_assert_uint_eq(n, strlen(cases[i].want));
        ck_assert(strtod(dst, NULL) == cases[i].d);
    }
}
END_TEST

START_TEST(non_finite_doubles_are_refused)
{
    char dst[CONVERT_DOUBLE_MAX];
    ck_assert_uint_eq(convert_format_double(INFINITY, dst), 0);
    ck_assert_uint_eq(convert_format_double(-INFINITY, dst), 0);
    ck_assert_uint_eq(convert_format_double(NAN, dst), 0);
}
END_TEST

START_TEST(type_names_parse)
{
    static const struct {
        const char *name;
        int rc;
        enum field_type type;
    } cases[] = {
        {"int", 0, FIELD_INT},           {"integer", 0, FIELD_INT},
        {"float", 0, FIELD_FLOAT},       {"double", 0, FIELD_FLOAT},
        {"bool", 0, FIELD_BOOL},         {"boolean", 0, FIELD_BOOL},
        {"string", 0, FIELD_STRING},     {"json", -EINVAL, FIELD_STRING},
        {"Int", -EINVAL, FIELD_STRING},  {"", -EINVAL, FIELD_STRING},
        {"long", -EINVAL, FIELD_STRING},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum field_type t = FIELD_JSON;
        ck_assert_int_eq(convert_type_parse(cases[i].name, &t), cases[i].rc);
        ck_assert_int_eq(t, cases[i].rc == 0 ? cases[i].type : FIELD_JSON);
    }
    ck_assert_str_eq(convert_type_name(FIELD_INT), "int");
    ck_assert_str_eq(convert_type_name(FIELD_FLOAT), "float");
    ck_assert_str_eq(convert_type_name(FIELD_BOOL), "bool");
    ck_assert_str_eq(convert_type_name(FIELD_STRING), "string");
    ck_assert_str_eq(convert_type_name(FIELD_JSON), "json");
}
END_TEST

struct ip_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    bool ok;
};

static const struct ip_case ip_cases[] = {
    /* IPv4 */
    {"0.0.0.0", 0, true},
    {"255.255.255.255", 0, true},
    {"192.0.2.1", 0, true},
    {"10.0.0.1", 0, true},
    {"1.2.3.4", 0, true},
    {"100.20.3.0", 0, true},
    {"256.1.1.1", 0, false},
    {"1.2.3.256", 0, false},
    {"1.2.3.999", 0, false},
    {"1.2.3", 0, false},
    {"1.2.3.4.5", 0, false},
    {"01.2.3.4", 0, false},
    {"1.2.3.00", 0, false},
    {"1234.1.1.1", 0, false},
    {"4294967297.1.1.1", 0, false}, /* 2^32 + 1: no wrap-around to 1 */
    {"1.2.3.4.", 0, false},
    {".1.2.3.4", 0, false},
    {"1..2.3", 0, false},
    {"+1.2.3.4", 0, false},
    {"1.2.3.-4", 0, false},
    {"0x7f.0.0.1", 0, false},
    {" 1.2.3.4", 0, false},
    {"1.2.3.4 ", 0, false},
    {"1.2.3.4:80", 0, false},
    /* IPv6 */
    {"::1", 0, true},
    {"::", 0, true},
    {"2001:db8::1", 0, true},
    {"2001:DB8:0:0:0:0:0:1", 0, true},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", 0, true},
    {"::ffff:192.0.2.1", 0, true},
    {"fe80::1", 0, true},
    {"1:2:3:4:5:6:7:8", 0, true},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, true}, /* longest */
    {"fe80::1%eth0", 0, false}, /* zone suffixes are refused */
    {"[::1]", 0, false},
    {":::", 0, false},
    {"1:2:3:4:5:6:7:8:9", 0, false},
    {"12345::1", 0, false},
    {"::ffff:01.2.3.4", 0, false},
    {"::ffff:1.2.3", 0, false},
    {"2001:db8::g", 0, false},
    {" ::1", 0, false},
    /* neither */
    {"-", 0, false},
    {"", 0, false},
    {"localhost", 0, false},
    {"example.com", 0, false},
    {"crawler-66-249-66-1.googlebot.com", 0, false},
    {"unix:", 0, false},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, false},
    {"1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:", 0, false},
    {"0000:0000:0000:0000:0000:0000:255.255.255.255:", 0, false},
    /* embedded NUL: inet_pton would stop there and accept the prefix */
    {"1.2.3.4\0", 8, false},
    {"::1\0x", 5, false},
    {"\0", 1, false},
    /* only the span is read */
    {"1.2.3.45", 7, true},
    {"::1z", 3, true},
    {"1.2.3.4", 5, false},
};

START_TEST(ip_addresses_check)
{
    const struct ip_case *c = &ip_cases[_i];
    size_t len = c->len ? c->len : strlen(c->in);

    ck_assert_msg(convert_ip((struct span){c->in, len}) ==
                      (c->ok ? 0 : -EINVAL),
                  "'%.*s' (%zu bytes): want %s", (int)len, c->in, len,
                  c->ok ? "ok" : "-EINVAL");
}
END_TEST

/* What inet_pton says of len bytes of text (which hold no NUL). */
static bool
inet_pton_accepts(const char *text, size_t len)
{
    char copy[64];
    unsigned char addr[sizeof(struct in6_addr)];

    memcpy(copy, text, len);
    copy[len] = '\0';
    return inet_pton(AF_INET, copy, addr) == 1 ||
           inet_pton(AF_INET6, copy, addr) == 1;
}

/* xorshift64: the same sequence on every run. */
static uint64_t
ip_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/*
 * Text near the shape of an address: groups of zero to four characters,
 * mostly digits, joined by '.' (often four groups: IPv4-like) or mostly by
 * ':' (up to nine groups: IPv6-like), at most 44 bytes. Returns its length.
 */
static size_t
ip_generate(uint64_t *state, char *out)
{
    static const char chars[] = "0000111222555569afAF.:% x";
    bool v6 = ip_random(state) % 2 == 0;
    size_t len = 0, groups;

    if (v6)
        groups = 1 + ip_random(state) % 9;
    else
        groups = ip_random(state) % 2 == 0 ? 4 : 1 + ip_random(state) % 6;
    for (size_t g = 0; g < groups; g++) {
        if (g > 0)
            out[len++] = v6 && ip_random(state) % 8 != 0 ? ':' : '.';
        /* IPv4-like groups are rarely empty */
        size_t n = v6 || ip_random(state) % 8 == 0 ? ip_random(state) % 5
                                                   : 1 + ip_random(state) % 4;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = ip_random(state);
            out[len++] = r % 8 != 0 ? (char)('0' + r / 8 % 10)
                                    : chars[r / 8 % (sizeof(chars) - 1)];
        }
    }
    return len;
}

/* The hand-written IPv4 path and the IPv6 pre-checks agree with inet_pton. */
START_TEST(ip_check_agrees_with_inet_pton)
{
    uint64_t state = 0x9e3779b97f4a7c15u;
    size_t v4 = 0, v6 = 0, rounds = 300000;

    for (size_t i = 0; i < rounds; i++) {
        char text[64];
        size_t len = ip_generate(&state, text);
        bool want = inet_pton_accepts(text, len);
        /* No ck_assert per round: each one reports to the parent. */
        if ((convert_ip((struct span){text, len}) == 0) != want)
            ck_abort_msg("'%.*s': inet_pton says %s", (int)len, text,
                         want ? "valid" : "invalid");
        if (want && memchr(text, ':', len) != NULL)
            v6++;
        else if (want)
            v4++;
    }
    /* The generator reaches both kinds and both answers, or the
     * comparison proves little. */
    ck_assert_uint_gt(v4, rounds / 100);
    ck_assert_uint_gt(v6, rounds / 100);
    ck_assert_uint_lt(v4 + v6, rounds / 2);
}
END_TEST

static Suite *
convert_suite(void)
{
    Suite *s = suite_create("convert");
    TCase *tc = tcase_create("convert");
    tcase_add_loop_test(tc, values_convert_to_exact_text, 0,
                        sizeof(convert_cases) / sizeof(convert_cases[0]));
    tcase_add_test(tc, canonical_text_is_not_copied);
    tcase_add_test(tc, only_the_span_is_read);
    tcase_add_test(tc, long_numbers_convert);
    tcase_add_test(tc, doubles_format_shortest_round_trip);
    tcase_add_test(tc, non_finite_doubles_are_refused);
    tcase_add_test(tc, type_names_parse);
    tcase_add_loop_test(tc, ip_addresses_check, 0,
                        sizeof(ip_cases) / sizeof(ip_cases[0]));
    tcase_add_test(tc, ip_check_agrees_with_inet_pton);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(convert_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
