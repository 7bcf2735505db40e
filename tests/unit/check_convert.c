/*
 * Unit tests for convert.c: tables of good and bad input for each target
 * type with the exact output text, the zero-copy promise for text that is
 * already canonical, shortest round-trip formatting of doubles, and the
 * type names accepted in config.
 */
#include "config.h"

#include "convert.h"

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
