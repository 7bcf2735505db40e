/*
 * Unit tests for the json stage (parsers/json.c): tables of JSON lines
 * with the exact document the encoder writes afterwards (ndjson sorts
 * keys, so the comparison is byte-exact and order-independent), field
 * types checked directly where the document cannot tell (a kept-whole
 * object and a flattened one encode alike), invalid and non-object input,
 * unicode escapes, nesting limits, target and field options.
 */
#include "config.h"

#include "stages.h"

#include "buf.h"
#include "conftree.h"
#include "options.h"
#include "scratch.h"
#include "stagetest.h"
#include "xalloc.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- cases ---- */

struct json_case {
    const char *yaml; /* stage options */
    const char *line; /* the event text */
    int status;       /* enum stage_status */
    const char *doc;  /* the document afterwards */
};

static const struct json_case json_cases[] = {
    /* every scalar type */
    {"",
     "{\"message\":\"m\",\"s\":\"x\",\"i\":-42,\"r\":1.5,\"r2\":1.0,"
     "\"big\":1e300,\"small\":0.1,\"t\":true,\"f\":false,\"z\":null}",
     STAGE_OK,
     "{\"big\":1e+300,\"f\":false,\"i\":-42,\"message\":\"m\",\"r\":1.5,"
     "\"r2\":1.0,\"s\":\"x\",\"small\":0.1,\"t\":true}"},
    {"",
     "{\"message\":\"m\",\"min\":-9223372036854775808,"
     "\"max\":9223372036854775807}",
     STAGE_OK,
     "{\"max\":9223372036854775807,\"message\":\"m\","
     "\"min\":-9223372036854775808}"},
    /* nesting flattens, dotted keys nest the same way */
    {"",
     "{\"message\":\"m\",\"http\":{\"method\":\"GET\",\"response\":"
     "{\"status\":200}},\"http.version\":\"1.1\"}",
     STAGE_OK,
     "{\"http\":{\"method\":\"GET\",\"response\":{\"status\":200},"
     "\"version\":\"1.1\"},\"message\":\"m\"}"},
    /* arrays and empty objects are kept as compact JSON */
    {"",
     "{\"message\":\"m\", \"a\" : [ 1, 1.1, \"x\\\"y\\\\\", null, true,"
     " {\"k\" : [ ]}, -2.5e-3 ], \"e\":[], \"o\":{}}",
     STAGE_OK,
     "{\"a\":[1,1.1,\"x\\\"y\\\\\",null,true,{\"k\":[]},-0.0025],\"e\":[],"
     "\"message\":\"m\",\"o\":{}}"},
    {"",
     "{\"message\":\"m\",\"a\":[\"\\u0001\\n\\t\\r\\b\\f\\/\","
     "\"caf\\u00e9\",\"\\ud83d\\ude00\",\"a\\u0000b\"]}",
     STAGE_OK,
     "{\"a\":[\"\\u0001\\n\\t\\r\\u0008\\u000c/\",\"caf\xc3\xa9\","
     "\"\xf0\x9f\x98\x80\",\"a\\u0000b\"],\"message\":\"m\"}"},
    /* unicode escapes in strings, NUL included */
    {"", "{\"message\":\"caf\\u00e9 \\ud83d\\ude00 nul\\u0000end\"}", STAGE_OK,
     "{\"message\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 nul\\u0000end\"}"},
    {"", "{\"message\":\"raw caf\xc3\xa9\"}", STAGE_OK,
     "{\"message\":\"raw caf\xc3\xa9\"}"},
    /* @timestamp becomes timestamp, for a time stage to parse; only at the
     * top level (an empty key's members are ".x": the encoder's literal
     * keys) */
    {"", "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"message\":\"m\"}",
     STAGE_OK, "{\"message\":\"m\",\"timestamp\":\"2024-05-01T10:00:00Z\"}"},
    {"", "{\"message\":\"m\",\"\":{\"@timestamp\":1,\"x\":2}}", STAGE_OK,
     "{\".@timestamp\":1,\".x\":2,\"message\":\"m\"}"},
    {"", "{\"message\":\"m\",\"a\":{\"@timestamp\":1}}", STAGE_OK,
     "{\"a\":{\"@timestamp\":1},\"message\":\"m\"}"},
    /* the later of duplicate keys wins; blanks around are fine */
    {"", " \t{\"message\":\"m\",\"a\":1,\"a\":2}\r\n", STAGE_OK,
     "{\"a\":2,\"message\":\"m\"}"},
    {"", "{}", STAGE_OK, "{\"message\":\"{}\"}"},
    /* without a message key the raw line stays */
    {"", "{\"a\":1}", STAGE_OK, "{\"a\":1,\"message\":\"{\\\"a\\\":1}\"}"},
    /* target: everything under a prefix, message and @timestamp included */
    {"target: json", "{\"message\":\"m\",\"@timestamp\":\"t\",\"a\":{\"b\":1}}",
     STAGE_OK,
     "{\"json\":{\"@timestamp\":\"t\",\"a\":{\"b\":1},\"message\":\"m\"},"
     "\"message\":\"{\\\"message\\\":\\\"m\\\",\\\"@timestamp\\\":\\\"t\\\","
     "\\\"a\\\":{\\\"b\\\":1}}\"}"},
    {"target: a.b", "{\"c\":1}", STAGE_OK,
     "{\"a\":{\"b\":{\"c\":1}},\"message\":\"{\\\"c\\\":1}\"}"},
    /* not an object, or not JSON: nothing changes */
    {"", "[1,2]", STAGE_NO_MATCH, "{\"message\":\"[1,2]\"}"},
    {"", "\"str\"", STAGE_NO_MATCH, "{\"message\":\"\\\"str\\\"\"}"},
    {"", "42", STAGE_NO_MATCH, "{\"message\":\"42\"}"},
    {"", "null", STAGE_NO_MATCH, "{\"message\":\"null\"}"},
    {"", "", STAGE_NO_MATCH, "{\"message\":\"\"}"},
    {"", "   ", STAGE_NO_MATCH, "{\"message\":\"   \"}"},
    {"", "plain text", STAGE_NO_MATCH, "{\"message\":\"plain text\"}"},
    {"", "{\"a\":1", STAGE_NO_MATCH, "{\"message\":\"{\\\"a\\\":1\"}"},
    {"", "{\"a\":1} x", STAGE_NO_MATCH, "{\"message\":\"{\\\"a\\\":1} x\"}"},
    {"", "{\"a\":1}{}", STAGE_NO_MATCH, "{\"message\":\"{\\\"a\\\":1}{}\"}"},
    {"", "{a:1}", STAGE_NO_MATCH, "{\"message\":\"{a:1}\"}"},
    {"", "{\"a\":'x'}", STAGE_NO_MATCH, "{\"message\":\"{\\\"a\\\":'x'}\"}"},
    {"", "{\"a\":\"\\ud800\"}", STAGE_NO_MATCH,
     "{\"message\":\"{\\\"a\\\":\\\"\\\\ud800\\\"}\"}"},
    {"", "{\"a\":\"\xff\"}", STAGE_NO_MATCH,
     "{\"message\":\"{\\\"a\\\":\\\"\xef\xbf\xbd\\\"}\"}"},
    {"", "{\"a\":NaN}", STAGE_NO_MATCH, "{\"message\":\"{\\\"a\\\":NaN}\"}"},
    {"", "{\"a\":1e400}", STAGE_NO_MATCH,
     "{\"message\":\"{\\\"a\\\":1e400}\"}"},
    /* jansson limits: integers beyond long long, NUL in keys */
    {"", "{\"a\":123456789012345678901}", STAGE_NO_MATCH,
     "{\"message\":\"{\\\"a\\\":123456789012345678901}\"}"},
    {"", "{\"a\\u0000b\":1}", STAGE_NO_MATCH,
     "{\"message\":\"{\\\"a\\\\u0000b\\\":1}\"}"},
};

START_TEST(lines_parse_to_exact_documents)
{
    const struct json_case *c = &json_cases[_i];
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, c->yaml);
    ck_assert_int_eq(stagetest_apply(&h, c->line), c->status);
    ck_assert_str_eq(stagetest_doc(&h), c->doc);
    stagetest_close(&h);
}
END_TEST

START_TEST(values_have_their_json_types)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "");
    ck_assert_int_eq(
        stagetest_apply(&h, "{\"s\":\"1\",\"i\":1,\"r\":1.0,\"b\":false,"
                            "\"a\":[],\"o\":{},\"n\":{\"x\":\"\"}}"),
        STAGE_OK);
    stagetest_field(&h, "s", "1", FIELD_STRING);
    stagetest_field(&h, "i", "1", FIELD_INT);
    stagetest_field(&h, "r", "1.0", FIELD_FLOAT);
    stagetest_field(&h, "b", "false", FIELD_BOOL);
    stagetest_field(&h, "a", "[]", FIELD_JSON);
    stagetest_field(&h, "o", "{}", FIELD_JSON);
    stagetest_field(&h, "n.x", "", FIELD_STRING);
    ck_assert_ptr_null(event_get(&h.ev, SPAN_LIT("n")));
    ck_assert_uint_eq(h.ev.nfields, 7);
    stagetest_close(&h);
}
END_TEST

/* Strings keep embedded NUL bytes: lengths, not C strings. */
START_TEST(strings_keep_nul_bytes)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "");
    ck_assert_int_eq(stagetest_apply(&h, "{\"k\":\"a\\u0000b\\u0000\"}"),
                     STAGE_OK);
    const struct field *f = event_get(&h.ev, SPAN_LIT("k"));
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->value.len, 4);
    ck_assert_mem_eq(f->value.ptr, "a\0b\0", 4);
    stagetest_close(&h);
}
END_TEST

/* The line may hold NUL bytes and need not be NUL-terminated. */
START_TEST(line_is_a_span)
{
    static const char line[] = "{\"a\":1}{\"b\":2}";
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "");
    stagetest_begin(&h, line, 7);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "a", "1", FIELD_INT);
    ck_assert_ptr_null(event_get(&h.ev, SPAN_LIT("b")));
    stagetest_begin(&h, "{\"a\":\"x\0y\"}", 11);
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    stagetest_close(&h);
}
END_TEST

START_TEST(objects_deeper_than_max_depth_stay_json)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "max_depth: 2");
    ck_assert_int_eq(stagetest_apply(&h, "{\"a\":{\"x\":1,\"b\":{\"c\":{\"d\":"
                                         "1.5}},\"e\":{}},\"f\":{\"g\":2}}"),
                     STAGE_OK);
    stagetest_field(&h, "a.x", "1", FIELD_INT);
    stagetest_field(&h, "a.b", "{\"c\":{\"d\":1.5}}", FIELD_JSON);
    stagetest_field(&h, "a.e", "{}", FIELD_JSON);
    stagetest_field(&h, "f.g", "2", FIELD_INT);
    ck_assert_uint_eq(h.ev.nfields, 4);
    stagetest_close(&h);

    stagetest_open_ok(&h, &stage_json, "max_depth: 1");
    ck_assert_int_eq(stagetest_apply(&h, "{\"a\":{\"b\":1},\"c\":3}"),
                     STAGE_OK);
    stagetest_field(&h, "a", "{\"b\":1}", FIELD_JSON);
    stagetest_field(&h, "c", "3", FIELD_INT);
    ck_assert_str_eq(stagetest_doc(&h),
                     "{\"a\":{\"b\":1},\"c\":3,\"message\":\"{\\\"a\\\":"
                     "{\\\"b\\\":1},\\\"c\\\":3}\"}");
    stagetest_close(&h);
}
END_TEST

/* By default 16 levels are flattened; the 17th object is kept whole. */
START_TEST(default_depth_is_sixteen)
{
    char line[256] = "", name[64] = "";
    struct stagetest h;

    for (int i = 0; i < 17; i++)
        strcat(line, "{\"k\":");
    strcat(line, "1");
    for (int i = 0; i < 17; i++)
        strcat(line, "}");
    for (int i = 0; i < 16; i++)
        strcat(name, i ? ".k" : "k");

    stagetest_open_ok(&h, &stage_json, "");
    ck_assert_int_eq(stagetest_apply(&h, line), STAGE_OK);
    ck_assert_uint_eq(h.ev.nfields, 1);
    stagetest_field(&h, name, "{\"k\":1}", FIELD_JSON);
    stagetest_close(&h);
}
END_TEST

/* Deep nesting well past max_depth is kept as JSON, not refused. */
START_TEST(very_deep_nesting_is_kept_as_json)
{
    enum { LEVELS = 500 };
    char *line = xmalloc(LEVELS * 6 + 2);
    char *p = line;
    struct stagetest h;

    for (int i = 0; i < LEVELS; i++)
        p += sprintf(p, "{\"k\":");
    *p++ = '0';
    for (int i = 0; i < LEVELS; i++)
        *p++ = '}';
    *p = '\0';

    stagetest_open_ok(&h, &stage_json, "max_depth: 3");
    ck_assert_int_eq(stagetest_apply(&h, line), STAGE_OK);
    ck_assert_uint_eq(h.ev.nfields, 1);
    const struct field *f = event_get(&h.ev, SPAN_LIT("k.k.k"));
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, FIELD_JSON);
    /* What is kept is the rest of the line: LEVELS - 3 objects. */
    ck_assert_uint_eq(f->value.len, (LEVELS - 3) * 6 + 1);
    ck_assert_mem_eq(f->value.ptr, line + 3 * 5, f->value.len);
    stagetest_close(&h);
    free(line);
}
END_TEST

START_TEST(other_field_is_parsed)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "field: payload");
    ck_assert_int_eq(stagetest_apply(&h, "{\"a\":1}"), STAGE_SKIPPED);
    ck_assert_uint_eq(h.ev.nfields, 0);

    stagetest_begin(&h, "text", 4);
    event_set(&h.ev, SPAN_LIT("payload"), SPAN_LIT("{\"a\":{\"b\":\"c\"}}"),
              FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    ck_assert_str_eq(stagetest_doc(&h),
                     "{\"a\":{\"b\":\"c\"},\"message\":\"text\",\"payload\":"
                     "\"{\\\"a\\\":{\\\"b\\\":\\\"c\\\"}}\"}");

    stagetest_begin(&h, "text", 4);
    event_set(&h.ev, SPAN_LIT("payload"), SPAN_LIT("nope"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    ck_assert_uint_eq(h.ev.nfields, 1);
    stagetest_close(&h);
}
END_TEST

/* A message a stage removed is absent: nothing to parse. */
START_TEST(removed_message_is_skipped)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_json, "");
    stagetest_begin(&h, "{\"a\":1}", 7);
    event_remove(&h.ev, SPAN_LIT("message"));
    ck_assert_int_eq(stagetest_run(&h), STAGE_SKIPPED);
    ck_assert_uint_eq(h.ev.nfields, 0);
    stagetest_close(&h);
}
END_TEST

/* Fields are copied out of jansson: they survive the next parse. */
START_TEST(values_outlive_the_parse)
{
    struct stagetest h;
    char line[] = "{\"a\":\"first\",\"b\":[1]}";

    stagetest_open_ok(&h, &stage_json, "");
    ck_assert_int_eq(stagetest_apply(&h, line), STAGE_OK);
    memset(line, ' ', sizeof(line) - 1);
    stagetest_field(&h, "a", "first", FIELD_STRING);
    stagetest_field(&h, "b", "[1]", FIELD_JSON);
    stagetest_close(&h);
}
END_TEST

/*
 * With an arena set, jansson's objects and strings are made in it and
 * freeing them is left to its reset; without one, the heap as before; an
 * object made before the arena was set is still freed to the heap (the
 * LeakSanitizer build would report it otherwise).
 */
START_TEST(jansson_allocates_in_the_arena)
{
    struct scratch sc;
    scratch_init(&sc);
    json_t *before = json_loads("{\"k\":\"heap\"}", 0, NULL);
    ck_assert_ptr_nonnull(before);
    xalloc_json_arena(&sc);
    json_t *root =
        json_loads("{\"a\":\"a long enough string\",\"n\":[1,2]}", 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert(scratch_owns(&sc, root));
    ck_assert(scratch_owns(&sc, json_object_get(root, "n")));
    ck_assert(scratch_owns(&sc, json_string_value(json_object_get(root, "a"))));
    ck_assert(!scratch_owns(&sc, before));
    json_decref(root);
    json_decref(before); /* heap memory, freed while the arena is set */
    xalloc_json_arena(NULL);
    json_t *after = json_loads("[1]", 0, NULL);
    ck_assert(!scratch_owns(&sc, after));
    json_decref(after);
    scratch_fini(&sc);
}
END_TEST

/*
 * The stage runs with its worker's scratch as the arena, then unsets it:
 * a 2000-key object needs far more for jansson's objects and hash table
 * than the ~30 KB of names and values the event keeps, and all of it is
 * in the scratch.
 */
START_TEST(stage_parses_into_the_scratch)
{
    struct stagetest h;
    struct buf line;
    buf_init(&line, 0);
    buf_append_str(&line, "{");
    for (int i = 0; i < 2000; i++)
        buf_printf(&line, "%s\"key%04d\":\"v\"", i ? "," : "", i);
    buf_append_str(&line, "}");
    stagetest_open_ok(&h, &stage_json, "");
    ck_assert_int_eq(stagetest_apply(&h, line.data), STAGE_OK);
    ck_assert_uint_gt(scratch_used(&h.sc), 150 * 1024);
    buf_fini(&line);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(stagetest_apply(&h, "{\"a\":{\"b\":\"x\"},\"c\":[1]}"),
                         STAGE_OK);
    stagetest_field(&h, "a.b", "x", FIELD_STRING);
    json_t *later = json_loads("[1]", 0, NULL);
    ck_assert(!scratch_owns(&h.sc, later)); /* the arena is unset again */
    json_decref(later);
    stagetest_close(&h);
}
END_TEST

START_TEST(bad_options_are_refused)
{
    static const struct {
        const char *yaml;
        bool bind_fails; /* else init fails */
    } bad[] = {
        {"max_depth: 0", true},
        {"max_depth: 65", true},
        {"depth: 3", true},
        {"field: ''", false},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct errlist errs = {0};
        struct opt_ctx octx = {.errs = &errs, .file = "t.yml"};
        const char *y = bad[i].yaml;
        struct conf_tree *tree =
            conftree_load_string("t.yml", y, strlen(y), &errs);
        ck_assert_ptr_nonnull(tree);
        void *conf = xcalloc(1, stage_json.conf_size);
        size_t n = options_bind(stage_json.options, tree->root, conf, &octx);
        ck_assert_msg((n > 0) == bad[i].bind_fails, "%s", y);
        if (!bad[i].bind_fails) {
            struct stage st = {.type = &stage_json, .conf = conf};
            struct errbuf err = {{0}};
            ck_assert_int_lt(stage_json.init(&st, &err), 0);
            ck_assert_str_eq(err.msg, "field: must not be empty");
        }
        options_fini(stage_json.options, conf);
        free(conf);
        conftree_destroy(tree);
        errlist_fini(&errs);
    }
}
END_TEST

static Suite *
stage_json_suite(void)
{
    Suite *s = suite_create("stage_json");
    TCase *tc = tcase_create("json");
    tcase_add_loop_test(tc, lines_parse_to_exact_documents, 0,
                        sizeof(json_cases) / sizeof(json_cases[0]));
    tcase_add_test(tc, values_have_their_json_types);
    tcase_add_test(tc, strings_keep_nul_bytes);
    tcase_add_test(tc, line_is_a_span);
    tcase_add_test(tc, objects_deeper_than_max_depth_stay_json);
    tcase_add_test(tc, default_depth_is_sixteen);
    tcase_add_test(tc, very_deep_nesting_is_kept_as_json);
    tcase_add_test(tc, other_field_is_parsed);
    tcase_add_test(tc, removed_message_is_skipped);
    tcase_add_test(tc, values_outlive_the_parse);
    tcase_add_test(tc, jansson_allocates_in_the_arena);
    tcase_add_test(tc, stage_parses_into_the_scratch);
    tcase_add_test(tc, bad_options_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init(); /* the json stage's arena needs logship's allocators */
    SRunner *sr = srunner_create(stage_json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
