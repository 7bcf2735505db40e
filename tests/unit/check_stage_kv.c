/*
 * Unit tests for the kv stage (parsers/kv.c): tables of lines with the
 * exact document the encoder writes afterwards (keys sorted, so the
 * comparison is byte-exact and order-independent): logfmt with quotes and
 * escapes, custom separators, bare words, empty values, key filters,
 * targets, typed values and conversion failures, and the configuration
 * errors init reports.
 */
#include "config.h"

#include "stages.h"

#include "buf.h"
#include "ndjson.h"
#include "stagetest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- cases ---- */

struct kv_case {
    const char *yaml; /* stage options */
    const char *line; /* the event text */
    int status;       /* enum stage_status */
    const char *doc;  /* the document afterwards, without message */
};

static const struct kv_case kv_cases[] = {
    /* logfmt with the defaults */
    {"", "level=info msg=\"hello world\" duration=3ms", STAGE_OK,
     "{\"duration\":\"3ms\",\"level\":\"info\",\"msg\":\"hello world\"}"},
    {"", "  a=1   b=2  ", STAGE_OK, "{\"a\":\"1\",\"b\":\"2\"}"},
    {"", "msg=\"say \\\"hi\\\" \\\\ end\" path='C:\\\\dir' x=\"a\\nb\"",
     STAGE_OK,
     "{\"msg\":\"say \\\"hi\\\" \\\\ end\",\"path\":\"C:\\\\dir\","
     "\"x\":\"a\\\\nb\"}"},
    {"", "a='it\\'s' b=\"it's\" c='say \"x\"'", STAGE_OK,
     "{\"a\":\"it's\",\"b\":\"it's\",\"c\":\"say \\\"x\\\"\"}"},
    {"", "a=\"x=y z\" b='' c=\"\"", STAGE_OK, "{\"a\":\"x=y z\"}"},
    {"", "a=\"ends with backslash\\\\\" b=2", STAGE_OK,
     "{\"a\":\"ends with backslash\\\\\",\"b\":\"2\"}"},
    /* an unclosed quote is an ordinary character */
    {"", "a=\"open b=1", STAGE_OK, "{\"a\":\"\\\"open\",\"b\":\"1\"}"},
    {"", "a=\"open\\\"", STAGE_OK, "{\"a\":\"\\\"open\\\\\\\"\"}"},
    /* text after the closing quote is ignored up to the next separator */
    {"", "a=\"x\"y b=2", STAGE_OK, "{\"a\":\"x\",\"b\":\"2\"}"},
    {"", "a=b\"c\" d=it's", STAGE_OK, "{\"a\":\"b\\\"c\\\"\",\"d\":\"it's\"}"},
    /* the value holds further value_split characters */
    {"", "a=b=c url=http://x/?q=1", STAGE_OK,
     "{\"a\":\"b=c\",\"url\":\"http://x/?q=1\"}"},
    /* bare words, empty keys and empty values set nothing */
    {"", "GET /index flag a=1 =2 b=", STAGE_OK, "{\"a\":\"1\"}"},
    {"", "a= b=", STAGE_OK, "{}"},
    {"", "hello world", STAGE_NO_MATCH, "{}"},
    {"", "", STAGE_NO_MATCH, "{}"},
    {"", "   ", STAGE_NO_MATCH, "{}"},
    {"", "=x =y", STAGE_NO_MATCH, "{}"},
    /* the later of duplicate keys wins; dotted keys nest */
    {"", "a=1 a=2 http.status=200 http.method=GET", STAGE_OK,
     "{\"a\":\"2\",\"http\":{\"method\":\"GET\",\"status\":\"200\"}}"},
    /* only space separates by default */
    {"", "a=1\tb=2", STAGE_OK, "{\"a\":\"1\\tb=2\"}"},
    /* bytes are kept; the encoder repairs invalid UTF-8 */
    {"", "a=caf\xc3\xa9 b=\xff", STAGE_OK,
     "{\"a\":\"caf\xc3\xa9\",\"b\":\"\xef\xbf\xbd\"}"},
    /* custom separators */
    {"{field_split: '&', value_split: ':'}", "a:1&b:2&&c:x y&d=4", STAGE_OK,
     "{\"a\":\"1\",\"b\":\"2\",\"c\":\"x y\"}"},
    {"field_split: ', '", "a=1, b=2,c=3 ,", STAGE_OK,
     "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}"},
    {"value_split: '=:'", "a=1 b:2 c=d:e", STAGE_OK,
     "{\"a\":\"1\",\"b\":\"2\",\"c\":\"d:e\"}"},
    {"{field_split: '|', quotes: '`'}", "a=`x|y`|b=\"c|d=e", STAGE_OK,
     "{\"a\":\"x|y\",\"b\":\"\\\"c\",\"d\":\"e\"}"},
    {"quotes: ''", "a=\"x y\" b='z'", STAGE_OK,
     "{\"a\":\"\\\"x\",\"b\":\"'z'\"}"},
    /* target, include and exclude (keys as written, before the target) */
    {"target: kv", "a=1 b.c=2", STAGE_OK,
     "{\"kv\":{\"a\":\"1\",\"b\":{\"c\":\"2\"}}}"},
    {"include_keys: [a, c]", "a=1 b=2 c=3", STAGE_OK,
     "{\"a\":\"1\",\"c\":\"3\"}"},
    {"exclude_keys: b", "a=1 b=2 c=3", STAGE_OK, "{\"a\":\"1\",\"c\":\"3\"}"},
    {"{include_keys: [a, b], exclude_keys: [b]}", "a=1 b=2 c=3", STAGE_OK,
     "{\"a\":\"1\"}"},
    {"include_keys: [x]", "a=1 b=2", STAGE_OK, "{}"},
    {"{target: t, include_keys: [a]}", "a=1 t.a=2", STAGE_OK,
     "{\"t\":{\"a\":\"1\"}}"},
    /* types */
    {"types: {n: int, f: float, b: bool, s: string, m: integer}",
     "n=+042 f=3 b=yes s=7 m=-1 x=5", STAGE_OK,
     "{\"b\":true,\"f\":3.0,\"m\":-1,\"n\":42,\"s\":\"7\",\"x\":\"5\"}"},
    {"types: {n: int, b: bool}", "n=abc b=maybe", STAGE_OK,
     "{\"b\":\"maybe\",\"n\":\"abc\",\"tags\":[\"_logship_type_failure\"]}"},
    {"types: {n: float}", "n=\" 1.5 \"", STAGE_OK, "{\"n\":1.5}"},
    {"{types: {http: {status: int}}, target: k}", "http.status=404", STAGE_OK,
     "{\"k\":{\"http\":{\"status\":404}}}"},
};

/* The document with the message member (always the raw line) cut out. */
static const char *
kv_doc_without_message(struct stagetest *h, const char *line)
{
    char *doc = (char *)stagetest_doc(h);
    struct buf msg;

    buf_init(&msg, 0);
    ck_assert_int_eq(buf_append_str(&msg, "\"message\":"), 0);
    ck_assert_int_eq(ndjson_write_string(&msg, line, strlen(line)), 0);
    char *at = strstr(doc, msg.data);
    ck_assert_msg(at != NULL, "%s", doc);
    size_t cut = msg.len;
    if (at[cut] == ',')
        cut++;
    else if (at[-1] == ',')
        at--, cut++;
    memmove(at, at + cut, strlen(at + cut) + 1);
    buf_fini(&msg);
    return doc;
}

START_TEST(lines_split_to_exact_documents)
{
    const struct kv_case *c = &kv_cases[_i];
    struct stagetest h;

    stagetest_open_ok(&h, &stage_kv, c->yaml);
    ck_assert_int_eq(stagetest_apply(&h, c->line), c->status);
    ck_assert_str_eq(kv_doc_without_message(&h, c->line), c->doc);
    stagetest_close(&h);
}
END_TEST

/* Unquoted values and keys are slices of the line: nothing is copied. */
START_TEST(plain_pairs_point_into_the_line)
{
    static const char line[] = "a=1 bb=\"two\" c=\"x\\\"y\"";
    struct stagetest h;

    stagetest_open_ok(&h, &stage_kv, "");
    ck_assert_int_eq(stagetest_apply(&h, line), STAGE_OK);
    ck_assert_uint_eq(h.ev.nfields, 3);
    ck_assert_ptr_eq(h.ev.fields[0].name.ptr, line);
    ck_assert_ptr_eq(h.ev.fields[0].value.ptr, line + 2);
    ck_assert_ptr_eq(h.ev.fields[1].name.ptr, line + 4);
    ck_assert_ptr_eq(h.ev.fields[1].value.ptr, line + 8);
    stagetest_field(&h, "c", "x\"y", FIELD_STRING);
    ck_assert(h.ev.fields[2].value.ptr < line ||
              h.ev.fields[2].value.ptr >= line + sizeof(line));
    stagetest_close(&h);
}
END_TEST

START_TEST(typed_values_have_their_types)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_kv, "types: {i: int, f: float, b: bool}");
    ck_assert_int_eq(stagetest_apply(&h, "i=1 f=2.5 b=off s=3"), STAGE_OK);
    stagetest_field(&h, "i", "1", FIELD_INT);
    stagetest_field(&h, "f", "2.5", FIELD_FLOAT);
    stagetest_field(&h, "b", "false", FIELD_BOOL);
    stagetest_field(&h, "s", "3", FIELD_STRING);
    ck_assert_uint_eq(h.ev.ntags, 0);
    ck_assert_int_eq(stagetest_apply(&h, "i=1.5"), STAGE_OK);
    stagetest_field(&h, "i", "1.5", FIELD_STRING);
    ck_assert_uint_eq(h.ev.ntags, 1);
    stagetest_close(&h);
}
END_TEST

/* The line is a span: bytes past it are never read. */
START_TEST(line_is_a_span)
{
    static const char line[] = "a=\"x y\" b=2";
    struct stagetest h;

    stagetest_open_ok(&h, &stage_kv, "");
    stagetest_begin(&h, line, 5); /* a="x */
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "a", "\"x", FIELD_STRING);
    ck_assert_uint_eq(h.ev.nfields, 1);
    stagetest_begin(&h, line, 1); /* a */
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    stagetest_begin(&h, "a=\\", 3); /* a backslash as the last byte */
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "a", "\\", FIELD_STRING);
    stagetest_begin(&h, "a=\"\\", 4);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "a", "\"\\", FIELD_STRING);
    stagetest_close(&h);
}
END_TEST

START_TEST(other_field_is_split)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_kv, "field: query");
    ck_assert_int_eq(stagetest_apply(&h, "a=1"), STAGE_SKIPPED);
    ck_assert_uint_eq(h.ev.nfields, 0);
    stagetest_begin(&h, "x=y", 3);
    event_set(&h.ev, SPAN_LIT("query"), SPAN_LIT("a=1 b=2"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    ck_assert_str_eq(stagetest_doc(&h), "{\"a\":\"1\",\"b\":\"2\",\"message\":"
                                        "\"x=y\",\"query\":\"a=1 b=2\"}");
    stagetest_close(&h);
}
END_TEST

START_TEST(bad_options_are_refused)
{
    static const struct {
        const char *yaml;
        const char *msg;
    } bad[] = {
        {"field_split: ''", "field_split: must not be empty"},
        {"value_split: ''", "value_split: must not be empty"},
        {"field: ''", "field: must not be empty"},
        {"{field_split: '=', value_split: '='}",
         "value_split: '=' is also in field_split"},
        {"{field_split: ' ,', value_split: ':,'}",
         "value_split: ',' is also in field_split"},
        {"quotes: '\"='", "quotes: '=' is also in value_split"},
        {"quotes: '\" '", "quotes: ' ' is also in field_split"},
        {"types: {a: int, b: long}",
         "types.b: unknown type 'long' (expected int, float, bool or "
         "string)"},
        {"types: {a: json}",
         "types.a: unknown type 'json' (expected int, float, bool or "
         "string)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        stagetest_init_fails(&stage_kv, bad[i].yaml, bad[i].msg);
}
END_TEST

static Suite *
stage_kv_suite(void)
{
    Suite *s = suite_create("stage_kv");
    TCase *tc = tcase_create("kv");
    tcase_add_loop_test(tc, lines_split_to_exact_documents, 0,
                        sizeof(kv_cases) / sizeof(kv_cases[0]));
    tcase_add_test(tc, plain_pairs_point_into_the_line);
    tcase_add_test(tc, typed_values_have_their_types);
    tcase_add_test(tc, line_is_a_span);
    tcase_add_test(tc, other_field_is_split);
    tcase_add_test(tc, bad_options_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(stage_kv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
