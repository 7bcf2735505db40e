/*
 * Unit tests for the regex stage (parsers/regex.c on parsers/pcre_util.c):
 * named groups become fields (unnamed ones do not), `fields` and the "__"
 * rule for dotted names, `types` with canonical numbers and the
 * _logship_type_failure tag, "" / "-" / non-participating groups leaving
 * fields absent, first match wins with the note set, the source field,
 * UTF-8 semantics on valid non-ASCII lines and byte semantics on invalid
 * UTF-8 lines (which match without error), values pointing into the line (no
 * copy), and the exact text of every init error.
 */
#include "config.h"

#include "stages.h"

#include "stagetest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- matching ---- */

START_TEST(named_groups_become_fields)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<verb>[A-Z]+) (\\S+) (?<code>\\d+)'");
    stagetest_match(&h, "GET /index.html 200 extra", "code=200\nverb=GET\n");
    ck_assert_str_eq(h.ctx.note, "pattern 0");
    ck_assert_int_eq(stagetest_apply(&h, "get /x 200"), STAGE_NO_MATCH);
    ck_assert_str_eq(stagetest_dump(&h), "");
    stagetest_close(&h);
}
END_TEST

START_TEST(fields_map_groups_and_double_underscore_is_a_dot)
{
    struct stagetest h;
    /* Fields come in PCRE2's name-table order (by group name). */
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '(?<http__request__method>\\w+) "
                      "(?<url>\\S+) (?<a__b__c>\\w+) (?<x__y>\\w)'\n"
                      "fields: {url: url.original, a__b__c: mapped}\n");
    stagetest_match(
        &h, "POST /api v z",
        "mapped=v\nhttp.request.method=POST\nurl.original=/api\nx.y=z\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(types_convert_to_canonical_text)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<i>\\S+) (?<f>\\S+) (?<b>\\S+) "
                      "(?<s>\\S+)'\n"
                      "types: {i: int, f: float, b: bool, s: string}\n");
    stagetest_match(&h, "+007 .5 Yes 042",
                    "b=true (bool)\nf=0.5 (float)\ni=7 (int)\ns=042\n");
    stagetest_match(&h, "-0 1. OFF x",
                    "b=false (bool)\nf=1.0 (float)\ni=0 (int)\ns=x\n");
    stagetest_match(&h, "-0042 -1.5e3 1 y",
                    "b=true (bool)\nf=-1.5e3 (float)\ni=-42 (int)\ns=y\n");
    stagetest_match(
        &h, "9223372036854775807 3 0 z",
        "b=false (bool)\nf=3.0 (float)\ni=9223372036854775807 (int)\ns=z\n");
    stagetest_match(
        &h, "-9223372036854775808 00.25 on z",
        "b=true (bool)\nf=0.25 (float)\ni=-9223372036854775808 (int)\ns=z\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(unchanged_values_point_into_the_line)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<n>\\S+) (?<s>\\S+)'\n"
                      "types: {n: int}\n");
    const char *line = "42 word";
    ck_assert_int_eq(stagetest_apply(&h, line), STAGE_OK);
    ck_assert_uint_eq(h.ev.nfields, 2);
    ck_assert_ptr_eq(h.ev.fields[0].value.ptr, line);
    ck_assert_ptr_eq(h.ev.fields[1].value.ptr, line + 3);
    /* "+42" canonicalises to a slice of the input: still no copy. */
    const char *plus = "+42 word";
    ck_assert_int_eq(stagetest_apply(&h, plus), STAGE_OK);
    ck_assert_ptr_eq(h.ev.fields[0].value.ptr, plus + 1);
    ck_assert_uint_eq(h.ev.fields[0].value.len, 2);
    stagetest_close(&h);
}
END_TEST

START_TEST(type_failure_keeps_string_and_tags)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<i>\\S+) (?<f>\\S+) (?<b>\\S+)'\n"
                      "types: {i: int, f: float, b: bool}\n");
    stagetest_match(&h, "12x 1e999 maybe",
                    "b=maybe\nf=1e999\ni=12x\n#_logship_type_failure\n");
    stagetest_match(
        &h, "9223372036854775808 nan 2",
        "b=2\nf=nan\ni=9223372036854775808\n#_logship_type_failure\n");
    stagetest_match(&h, "1.5 0x10 yes",
                    "b=true (bool)\nf=0x10\ni=1.5\n#_logship_type_failure\n");
    stagetest_match(&h, "1 2 no", "b=false (bool)\nf=2.0 (float)\ni=1 (int)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(types_by_field_name)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '(?<http__status>\\d+) (?<size>\\d+)'\n"
                      "fields: {size: bytes.total}\n"
                      "types: {http.status: int, bytes.total: int}\n");
    stagetest_match(&h, "200 0012",
                    "http.status=200 (int)\nbytes.total=12 (int)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(dash_empty_and_missing_groups_set_nothing)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<a>\\S*) (?<b>\\S*) (?<c>\\S*)"
                      "(?: (?<d>\\S+))?(?:(?<e>x)|(?<f>y))?'\n"
                      "types: {b: int}\n");
    stagetest_match(&h, "- -  ", "");
    stagetest_match(&h, "-- - z w", "a=--\nc=z\nd=w\n");
    stagetest_match(&h, "a 1 c dy", "a=a\nb=1 (int)\nc=c\nd=dy\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(first_match_wins)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "patterns:\n"
                      "  - '^(?<n>\\d+)$'\n"
                      "  - '^(?<w>\\w+)$'\n"
                      "  - '^(?<any>.*)$'\n"
                      "types: {n: int}\n");
    stagetest_match(&h, "123", "n=123 (int)\n");
    ck_assert_str_eq(h.ctx.note, "pattern 0");
    stagetest_match(&h, "abc", "w=abc\n");
    ck_assert_str_eq(h.ctx.note, "pattern 1");
    stagetest_match(&h, "a b", "any=a b\n");
    ck_assert_str_eq(h.ctx.note, "pattern 2");
    stagetest_close(&h);
}
END_TEST

START_TEST(field_option_and_absent_field)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "field: log.original\n"
                      "pattern: '(?<word>\\w+)'\n");
    ck_assert_int_eq(stagetest_apply(&h, "message text"), STAGE_SKIPPED);
    ck_assert_ptr_null(h.ctx.note);

    event_reset(&h.ev);
    h.ev.text = span_str("ignored");
    event_set(&h.ev, SPAN_LIT("log.original"), SPAN_LIT("  hello"),
              FIELD_STRING);
    struct stage_ctx ctx = {.scratch = &h.sc};
    ck_assert_int_eq(stage_regex.apply(&h.st, h.worker, &h.ev, &ctx), STAGE_OK);
    const struct field *f = event_get(&h.ev, SPAN_LIT("word"));
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->value.len, 5);
    ck_assert_mem_eq(f->value.ptr, "hello", 5);
    stagetest_close(&h);
}
END_TEST

START_TEST(message_removed_is_skipped)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex, "pattern: '(?<word>\\w+)'\n");
    event_reset(&h.ev);
    h.ev.text = span_str("text");
    (void)event_remove(&h.ev, SPAN_LIT("message"));
    struct stage_ctx ctx = {.scratch = &h.sc};
    ck_assert_int_eq(stage_regex.apply(&h.st, h.worker, &h.ev, &ctx),
                     STAGE_SKIPPED);
    stagetest_close(&h);
}
END_TEST

START_TEST(empty_line_matches_empty_pattern)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex, "pattern: '^(?<all>.*)$'\n");
    ck_assert_int_eq(stagetest_apply_len(&h, NULL, 0), STAGE_OK);
    ck_assert_str_eq(stagetest_dump(&h), "");
    stagetest_close(&h);
}
END_TEST

START_TEST(utf8_lines_use_character_semantics)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<three>.{3})(?<rest>[^x]*)'\n");
    stagetest_match(&h, "h\xc3\xa9llo", "rest=lo\nthree=h\xc3\xa9l\n");
    stagetest_match(&h, "hello", "rest=lo\nthree=hel\n");
    stagetest_close(&h);

    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '(?i)^(?<w>\xc3\xa9T\xc3\xa9)$'\n");
    stagetest_match(&h, "\xc3\x89t\xc3\xa9", "w=\xc3\x89t\xc3\xa9\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(invalid_utf8_line_matches_byte_by_byte)
{
    /* A line that is not valid UTF-8 is matched in byte mode: no error,
     * and . or \S match the stray bytes too. */
    static const char line[] = "GET /x \xff\xfe tail";
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "pattern: '^(?<verb>\\S+) (?<path>\\S+) "
                      "(?<junk>\\S+) (?<tail>\\w+)$'\n");
    ck_assert_int_eq(stagetest_apply_len(&h, line, sizeof(line) - 1), STAGE_OK);
    ck_assert_str_eq(stagetest_dump(&h),
                     "junk=\xff\xfe\npath=/x\ntail=tail\nverb=GET\n");
    stagetest_close(&h);

    stagetest_open_ok(&h, &stage_regex, "pattern: '^(?<all>.*)$'\n");
    ck_assert_int_eq(stagetest_apply_len(&h, line, sizeof(line) - 1), STAGE_OK);
    ck_assert_str_eq(stagetest_dump(&h), "all=GET /x \xff\xfe tail\n");
    stagetest_close(&h);

    /* Truncated and bad sequences at both ends, valid text between. */
    static const char around[] = "\xc3(\xff abc \xe2\x82";
    stagetest_open_ok(&h, &stage_regex, "pattern: '(?<w>[a-z]+)'\n");
    ck_assert_int_eq(stagetest_apply_len(&h, around, sizeof(around) - 1),
                     STAGE_OK);
    ck_assert_str_eq(stagetest_dump(&h), "w=abc\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(utf8_validity_decides_character_or_byte_semantics)
{
    /* .{2} takes two characters on valid UTF-8, two bytes otherwise. */
    static const struct {
        const char *line;
        const char *two;
    } cases[] = {
        {"\xc3\xa9x", "\xc3\xa9x"},                 /* U+00E9 */
        {"\xef\xbf\xbfx", "\xef\xbf\xbfx"},         /* U+FFFF */
        {"\xf0\x9f\x98\x80x", "\xf0\x9f\x98\x80x"}, /* U+1F600 */
        {"\xf4\x8f\xbf\xbfx", "\xf4\x8f\xbf\xbfx"}, /* U+10FFFF */
        {"\xc3\xa9\xff", "\xc3\xa9"},               /* stray byte */
        {"\xc0\x80x", "\xc0\x80"},                  /* overlong */
        {"\xe0\x80\x80x", "\xe0\x80"},              /* overlong */
        {"\xed\xa0\x80x", "\xed\xa0"},              /* surrogate */
        {"\xf4\x90\x80\x80", "\xf4\x90"},           /* past U+10FFFF */
        {"\xe2\x82", "\xe2\x82"},                   /* truncated */
        {"\xf5\x80\x80\x80", "\xf5\x80"},           /* bad lead */
    };
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex, "pattern: '^(?<two>.{2})'\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(stagetest_apply(&h, cases[i].line), STAGE_OK);
        const struct field *f = event_get(&h.ev, SPAN_LIT("two"));
        ck_assert_ptr_nonnull(f);
        ck_assert_msg(f->value.len == strlen(cases[i].two) &&
                          memcmp(f->value.ptr, cases[i].two, f->value.len) == 0,
                      "case %zu: got %zu bytes", i, f->value.len);
    }
    stagetest_close(&h);
}
END_TEST

/* ---- init errors ---- */

START_TEST(init_errors)
{
    stagetest_init_fails(&stage_regex, "field: message\n",
                         "give exactly one of pattern and patterns");
    stagetest_init_fails(&stage_regex, "pattern: a\npatterns: [b]\n",
                         "give exactly one of pattern and patterns");
    stagetest_init_fails(&stage_regex, "pattern: '(?<x>abc'\n",
                         "pattern: missing closing parenthesis at offset 8");
    stagetest_init_fails(
        &stage_regex, "patterns: ['(?<ok>a)', 'a[bc']\n",
        "patterns[1]: missing terminating ] for character class at "
        "offset 4");
    stagetest_init_fails(&stage_regex,
                         "pattern: '(?<x>a)'\ntypes: {x: number}\n",
                         "types.x: expected int, float, bool or string");
    stagetest_init_fails(&stage_regex,
                         "pattern: '(?<x>a)'\nfields: {nope: y}\n",
                         "fields.nope: no group named nope in the pattern");
    stagetest_init_fails(&stage_regex, "pattern: '(?<x>a)'\nfields: {x: ''}\n",
                         "fields.x: expected a field name");
    stagetest_init_fails(
        &stage_regex, "pattern: '(?<x>a)'\nfields: {x: y}\ntypes: {x2: int}\n",
        "types.x2: no group or field named x2");
}
END_TEST

START_TEST(fields_key_may_name_a_group_of_any_pattern)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex,
                      "patterns: ['^(?<a>\\d+)$', '^(?<b>\\w+)$']\n"
                      "fields: {b: word.value}\n"
                      "types: {a: int, word.value: string}\n");
    stagetest_match(&h, "x1", "word.value=x1\n");
    stagetest_match(&h, "01", "a=1 (int)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(workers_are_independent)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_regex, "pattern: '(?<a>\\w+)-(?<b>\\w+)'\n");
    void *w2 = stage_regex.worker_new(&h.st);
    struct event ev2 = {0};
    struct scratch sc2;
    scratch_init(&sc2);
    ev2.text = span_str("left-right");
    struct stage_ctx ctx2 = {.scratch = &sc2};
    stagetest_match(&h, "one-two", "a=one\nb=two\n");
    ck_assert_int_eq(stage_regex.apply(&h.st, w2, &ev2, &ctx2), STAGE_OK);
    ck_assert_uint_eq(ev2.nfields, 2);
    ck_assert_mem_eq(ev2.fields[0].value.ptr, "left", 4);
    stage_regex.worker_free(w2);
    event_fini(&ev2);
    scratch_fini(&sc2);
    stagetest_close(&h);
}
END_TEST

static Suite *
check_regex_suite(void)
{
    Suite *s = suite_create("regex");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, named_groups_become_fields);
    tcase_add_test(tc, fields_map_groups_and_double_underscore_is_a_dot);
    tcase_add_test(tc, types_convert_to_canonical_text);
    tcase_add_test(tc, unchanged_values_point_into_the_line);
    tcase_add_test(tc, type_failure_keeps_string_and_tags);
    tcase_add_test(tc, types_by_field_name);
    tcase_add_test(tc, dash_empty_and_missing_groups_set_nothing);
    tcase_add_test(tc, first_match_wins);
    tcase_add_test(tc, field_option_and_absent_field);
    tcase_add_test(tc, message_removed_is_skipped);
    tcase_add_test(tc, empty_line_matches_empty_pattern);
    tcase_add_test(tc, workers_are_independent);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_add_test(tc, utf8_lines_use_character_semantics);
    tcase_add_test(tc, invalid_utf8_line_matches_byte_by_byte);
    tcase_add_test(tc, utf8_validity_decides_character_or_byte_semantics);
    suite_add_tcase(s, tc);

    tc = tcase_create("init");
    tcase_add_test(tc, init_errors);
    tcase_add_test(tc, fields_key_may_name_a_group_of_any_pattern);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_regex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
