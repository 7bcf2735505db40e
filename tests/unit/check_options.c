/*
 * Unit tests for options.c, binding: the size, duration and boolean
 * parsers (tables of good and bad input), binding and freeing every option
 * type (run under ASan to catch leaks), defaults, null values, lists,
 * sections, custom types, inclusive range bounds, and the Markdown
 * reference. The error messages are tested in check_options_errors.c; the
 * schema both use is in opttest.c.
 */
#include "config.h"

#include "options.h"

#include "opttest.h"

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char minimal_conf[] = "inputs: [{paths: /var/log/*.log}]\n"
                                   "output: {hosts: http://es:9200}\n";

/* ---- parsers ---- */

static const struct {
    const char *text;
    uint64_t bytes;
} good_sizes[] = {
    {"0", 0},
    {"100", 100},
    {"1B", 1},
    {"1KB", 1000},
    {"1kb", 1000},
    {"512 KB", 512000},
    {"2MB", 2000000},
    {"3GB", 3000000000ULL},
    {"1TB", 1000000000000ULL},
    {"1KiB", 1024},
    {"5MiB", 5 << 20},
    {"5mib", 5 << 20},
    {"5 MiB", 5 << 20},
    {"1GiB", 1 << 30},
    {"2TiB", 2ULL << 40},
    {"007", 7},
    {"18446744073709551615", UINT64_MAX},
    {"16777215TiB", 16777215ULL << 40},
};

START_TEST(test_parse_size_accepts)
{
    uint64_t bytes = 42;
    ck_assert_msg(options_parse_size(good_sizes[_i].text, &bytes) == 0, "%s",
                  good_sizes[_i].text);
    ck_assert_uint_eq(bytes, good_sizes[_i].bytes);
}
END_TEST

static const char *const bad_sizes[] = {
    "",
    "-1",
    "+1",
    "-5MiB",
    "1.5MiB",
    "0.5KB",
    "5 apples",
    "MiB",
    " 5",
    "5 ",
    "5MiBs",
    "5Mi",
    "1K",
    "1M",
    "0x10",
    "1e3",
    "1,000",
    "18446744073709551616",
    "16777216TiB",
    "18446744073709551615KB",
};

START_TEST(test_parse_size_rejects)
{
    uint64_t bytes = 42;
    ck_assert_msg(options_parse_size(bad_sizes[_i], &bytes) == -EINVAL,
                  "\"%s\"", bad_sizes[_i]);
    ck_assert_uint_eq(bytes, 42);
}
END_TEST

static const struct {
    const char *text;
    int64_t ms;
} good_durations[] = {
    {"0", 0},
    {"30", 30000},
    {"0ms", 0},
    {"500ms", 500},
    {"2s", 2000},
    {"10 s", 10000},
    {"1m", 60000},
    {"1h", 3600000},
    {"7d", 604800000},
    {"9223372036854775807ms", INT64_MAX},
    {"106751991167d", 106751991167LL * 86400000},
};

START_TEST(test_parse_duration_accepts)
{
    int64_t ms = 42;
    ck_assert_msg(options_parse_duration(good_durations[_i].text, &ms) == 0,
                  "%s", good_durations[_i].text);
    ck_assert_int_eq(ms, good_durations[_i].ms);
}
END_TEST

static const char *const bad_durations[] = {
    "",
    "-1",
    "-1s",
    "+1s",
    "1.5s",
    "1S",
    "1H",
    "1w",
    "1us",
    "s",
    "1 ",
    "1h30m",
    "9223372036854775808ms",
    "9223372036854775807s",
    "106751991168d",
};

START_TEST(test_parse_duration_rejects)
{
    int64_t ms = 42;
    ck_assert_msg(options_parse_duration(bad_durations[_i], &ms) == -EINVAL,
                  "\"%s\"", bad_durations[_i]);
    ck_assert_int_eq(ms, 42);
}
END_TEST

static const struct {
    const char *text;
    bool value;
} good_bools[] = {
    {"true", true},   {"TRUE", true}, {"True", true}, {"yes", true},
    {"Yes", true},    {"on", true},   {"ON", true},   {"false", false},
    {"False", false}, {"no", false},  {"NO", false},  {"off", false},
    {"Off", false},
};

START_TEST(test_parse_bool_accepts)
{
    bool value = !good_bools[_i].value;
    ck_assert_msg(options_parse_bool(good_bools[_i].text, &value) == 0, "%s",
                  good_bools[_i].text);
    ck_assert(value == good_bools[_i].value);
}
END_TEST

static const char *const bad_bools[] = {
    "", "1", "0", "y", "n", "t", "f", "truee", " true", "true ", "enable", "~",
};

START_TEST(test_parse_bool_rejects)
{
    bool value = true;
    ck_assert_msg(options_parse_bool(bad_bools[_i], &value) == -EINVAL,
                  "\"%s\"", bad_bools[_i]);
    ck_assert(value);
}
END_TEST

/* ---- binding every type ---- */

static const char all_yaml[] = "s: hello\n"
                               "i: -42\n"
                               "b: on\n"
                               "size: 512KiB\n"
                               "dur: 250ms\n"
                               "e: drop\n"
                               "list: [a, 'b', \"c\"]\n"
                               "map: {k: v, n: {x: 1, y: {z: 2}}}\n"
                               "sec: {max_bytes: 2KiB}\n"
                               "items:\n"
                               "  - {flush: 3s}\n"
                               "  - {}\n"
                               "w: one two  three\n";

START_TEST(test_bind_every_type)
{
    struct t_all all = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_all_options, all_yaml, &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_str_eq(all.s, "hello");
    ck_assert_int_eq(all.i, -42);
    ck_assert(all.b);
    ck_assert_uint_eq(all.size, 512 * 1024);
    ck_assert_int_eq(all.dur, 250);
    ck_assert_int_eq(all.e, 2);
    ck_assert_uint_eq(all.list.count, 3);
    ck_assert_str_eq(all.list.items[0], "a");
    ck_assert_str_eq(all.list.items[1], "b");
    ck_assert_str_eq(all.list.items[2], "c");
    ck_assert_uint_eq(all.map.count, 3);
    ck_assert_str_eq(all.map.keys[0], "k");
    ck_assert_str_eq(all.map.values[0], "v");
    ck_assert_str_eq(all.map.keys[1], "n.x");
    ck_assert_str_eq(all.map.values[1], "1");
    ck_assert_str_eq(all.map.keys[2], "n.y.z");
    ck_assert_str_eq(all.map.values[2], "2");
    ck_assert_uint_eq(all.sec.max_bytes, 2048);
    ck_assert_int_eq(all.sec.flush_ms, 1000);
    ck_assert_uint_eq(all.items.count, 2);
    const struct t_batch *items = all.items.items;
    ck_assert_int_eq(items[0].flush_ms, 3000);
    ck_assert_uint_eq(items[0].max_bytes, 5 << 20);
    ck_assert_int_eq(items[1].flush_ms, 1000);
    ck_assert_uint_eq(all.w.count, 3);
    ck_assert_str_eq(all.w.items[2], "three");
    options_fini(opttest_all_options, &all);
    ck_assert_ptr_null(all.s);
    ck_assert_ptr_null(all.list.items);
    ck_assert_ptr_null(all.map.keys);
    ck_assert_ptr_null(all.items.items);
    ck_assert_ptr_null(all.w.items);
    ck_assert_int_eq(opttest_words_finis, 1);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_bind_leaves_zero_for_absent_without_default)
{
    struct t_all all = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_all_options, "{}", &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_ptr_null(all.s);
    ck_assert_int_eq(all.i, 0);
    ck_assert(!all.b);
    ck_assert_int_eq(all.e, 0);
    ck_assert_uint_eq(all.list.count, 0);
    ck_assert_uint_eq(all.map.count, 0);
    ck_assert_uint_eq(all.items.count, 0);
    ck_assert_uint_eq(all.sec.max_bytes, 5 << 20);
    ck_assert_uint_eq(all.w.count, 0);
    ck_assert_int_eq(opttest_words_binds,
                     0); /* absent: custom bind not called */
    options_fini(opttest_all_options, &all);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_defaults_applied_when_absent)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_conf_options, minimal_conf, &c);
    ck_assert_uint_eq(b.nerrs, 0);
    opttest_check_defaults(&c);
    const struct t_input *in = c.inputs.items;
    ck_assert_uint_eq(c.inputs.count, 1);
    ck_assert_str_eq(in->paths.items[0], "/var/log/*.log");
    ck_assert_uint_eq(in->exclude.count, 2);
    ck_assert_str_eq(in->exclude.items[1], "*.zip");
    ck_assert_uint_eq(in->max_line_bytes, 1 << 20);
    ck_assert_int_eq(in->close_inactive_ms, 300000);
    ck_assert_int_eq(in->on_no_match, 0);
    ck_assert(!in->multiline);
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_null_value_counts_as_absent)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(
        &b, opttest_conf_options,
        "inputs: [{paths: x, exclude: ~, max_line_bytes: }]\n"
        "output:\n  hosts: h\n  gzip:\n  workers: null\n  batch:\n"
        "log_level: ~\ntags:\n",
        &c);
    ck_assert_uint_eq(b.nerrs, 0);
    opttest_check_defaults(&c);
    ck_assert_int_eq(opttest_words_binds, 0);
    const struct t_input *in = c.inputs.items;
    ck_assert_uint_eq(in->exclude.count, 2);
    ck_assert_uint_eq(in->max_line_bytes, 1 << 20);
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_options_defaults_match_binding_nothing)
{
    struct t_conf c = {0};
    options_defaults(opttest_conf_options, &c);
    opttest_check_defaults(&c);
    ck_assert_uint_eq(c.inputs.count, 0);
    ck_assert_uint_eq(c.output.hosts.count, 0);
    options_fini(opttest_conf_options, &c);
}
END_TEST

START_TEST(test_string_takes_any_scalar)
{
    struct t_all all = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_all_options,
                      "s: 5\nb: \"true\"\ni: '7'\nsize: \"1KB\"\n", &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_str_eq(all.s, "5");
    ck_assert(all.b);
    ck_assert_int_eq(all.i, 7);
    ck_assert_uint_eq(all.size, 1000);
    options_fini(opttest_all_options, &all);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_strlist_takes_one_scalar)
{
    struct t_all all = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_all_options, "list: /var/log/*.log\n", &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(all.list.count, 1);
    ck_assert_str_eq(all.list.items[0], "/var/log/*.log");
    options_fini(opttest_all_options, &all);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_strlist_empty_sequence_is_empty)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_conf_options,
                      "inputs: [{paths: x, exclude: []}]\noutput: {hosts: h}\n",
                      &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(((struct t_input *)c.inputs.items)->exclude.count, 0);
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_section_list_empty_sequence_is_present)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_conf_options,
                      "inputs: []\noutput: {hosts: h}\n", &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(c.inputs.count, 0);
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_custom_bind_gets_node_and_fini_runs)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_conf_options,
                      "inputs: []\noutput: {hosts: h}\ntags: a b\n", &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_int_eq(opttest_words_binds, 1);
    ck_assert_uint_eq(c.tags.count, 2);
    ck_assert_str_eq(c.tags.items[1], "b");
    options_fini(opttest_conf_options, &c);
    ck_assert_int_eq(opttest_words_finis, 1);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_custom_bind_names_its_key_under_the_mapping_path)
{
    static const struct opt inner[] = {
        {.name = "w", .type = OPT_CUSTOM, .custom = &opttest_words_custom},
        {0},
    };
    static const struct opt outer[] = {
        {.name = "sec", .type = OPT_SECTION, .sub = inner},
        {0},
    };
    opttest_bind_fails(outer, struct words, "sec:\n  w: [a]\n",
                       "t.yml:2:6: sec.w: expected words, got a sequence\n");
}
END_TEST

START_TEST(test_fini_after_errors_frees_everything)
{
    struct t_all all = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_all_options,
                      "s: [x]\nlist: [a, [b], c]\nmap: {a: 1, b: [2], c: 3}\n"
                      "items: [{flush: 1s}, 5, {flush: x}]\nsec: 3\nw: {}\n",
                      &all);
    ck_assert_uint_eq(b.nerrs, 7);
    ck_assert_uint_eq(all.list.count, 2);
    ck_assert_uint_eq(all.map.count, 2);
    ck_assert_uint_eq(all.items.count, 3);
    options_fini(opttest_all_options, &all);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_strmap_flattening_keeps_document_order)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(&b, opttest_conf_options,
                      "inputs:\n"
                      "  - paths: x\n"
                      "    fields:\n"
                      "      service: {name: api, version: '2'}\n"
                      "      env: prod\n"
                      "      'a.b': c\n"
                      "output: {hosts: h}\n",
                      &c);
    ck_assert_uint_eq(b.nerrs, 0);
    const struct strmap *m = &((struct t_input *)c.inputs.items)->fields;
    ck_assert_uint_eq(m->count, 4);
    ck_assert_str_eq(m->keys[0], "service.name");
    ck_assert_str_eq(m->values[0], "api");
    ck_assert_str_eq(m->keys[1], "service.version");
    ck_assert_str_eq(m->values[1], "2");
    ck_assert_str_eq(m->keys[2], "env");
    ck_assert_str_eq(m->keys[3], "a.b");
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

START_TEST(test_range_bounds_are_inclusive)
{
    struct t_conf c = {0};
    struct opttest_bound b;

    opttest_bind_text(
        &b, opttest_conf_options,
        "inputs: [{paths: x, max_line_bytes: 1KiB}, {paths: y, "
        "max_line_bytes: 64MiB}]\noutput: {hosts: h, workers: 64}\n",
        &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_int_eq(c.output.workers, 64);
    options_fini(opttest_conf_options, &c);
    opttest_bound_fini(&b);
}
END_TEST

/* ---- reference ---- */

START_TEST(test_help_writes_a_markdown_reference)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    options_help(opttest_conf_options, out, 0);
    fclose(out);
    ck_assert_str_eq(
        text,
        "- `inputs` (list of sections, required): files to ship\n"
        "  - `paths` (list of strings, required): globs of the files to "
        "read\n"
        "  - `exclude` (list of strings, default ['*.gz', '*.zip']): globs "
        "to skip\n"
        "  - `max_line_bytes` (size, 1KiB to 64MiB, default 1MiB): longer "
        "lines are cut\n"
        "  - `close_inactive` (duration, 1s to 1d, default 5m): close files "
        "idle this long\n"
        "  - `fields` (map of strings): fields added to every event\n"
        "  - `on_no_match` (keep | tag | drop, default keep): what to do "
        "with lines no parser matched\n"
        "  - `multiline` (boolean, default false): join indented lines\n"
        "- `output` (section): where events go\n"
        "  - `hosts` (list of strings, required): Elasticsearch URLs\n"
        "  - `user` (string): basic auth user\n"
        "  - `password` (string, secret): basic auth password\n"
        "  - `gzip` (boolean, default yes): compress request bodies\n"
        "  - `workers` (integer, 1 to 64, default 2): parallel bulk "
        "requests\n"
        "  - `batch` (section): batching limits\n"
        "    - `max_bytes` (size, 1KiB to 1GiB, default 5MiB): flush a "
        "batch at this size\n"
        "    - `flush` (duration, default 1s): flush a batch at least this "
        "often\n"
        "- `log_level` (error | warn | info | debug, default info)\n"
        "- `tags` (words, default none): tags for every event\n");
    ck_assert_ptr_null(strstr(text, "changeme"));
    free(text);
}
END_TEST

START_TEST(test_help_indents_by_levels)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    options_help(opttest_batch_options, out, 2);
    fclose(out);
    ck_assert_str_eq(text, "    - `max_bytes` (size, 1KiB to 1GiB, default "
                           "5MiB): flush a batch at this size\n"
                           "    - `flush` (duration, default 1s): flush a "
                           "batch at least this often\n");
    free(text);
}
END_TEST

static Suite *
options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parsers");
    tcase_add_loop_test(tc, test_parse_size_accepts, 0,
                        sizeof(good_sizes) / sizeof(*good_sizes));
    tcase_add_loop_test(tc, test_parse_size_rejects, 0,
                        sizeof(bad_sizes) / sizeof(*bad_sizes));
    tcase_add_loop_test(tc, test_parse_duration_accepts, 0,
                        sizeof(good_durations) / sizeof(*good_durations));
    tcase_add_loop_test(tc, test_parse_duration_rejects, 0,
                        sizeof(bad_durations) / sizeof(*bad_durations));
    tcase_add_loop_test(tc, test_parse_bool_accepts, 0,
                        sizeof(good_bools) / sizeof(*good_bools));
    tcase_add_loop_test(tc, test_parse_bool_rejects, 0,
                        sizeof(bad_bools) / sizeof(*bad_bools));
    suite_add_tcase(s, tc);

    tc = tcase_create("bind");
    tcase_add_test(tc, test_bind_every_type);
    tcase_add_test(tc, test_bind_leaves_zero_for_absent_without_default);
    tcase_add_test(tc, test_defaults_applied_when_absent);
    tcase_add_test(tc, test_null_value_counts_as_absent);
    tcase_add_test(tc, test_options_defaults_match_binding_nothing);
    tcase_add_test(tc, test_string_takes_any_scalar);
    tcase_add_test(tc, test_strlist_takes_one_scalar);
    tcase_add_test(tc, test_strlist_empty_sequence_is_empty);
    tcase_add_test(tc, test_section_list_empty_sequence_is_present);
    tcase_add_test(tc, test_custom_bind_gets_node_and_fini_runs);
    tcase_add_test(tc, test_custom_bind_names_its_key_under_the_mapping_path);
    tcase_add_test(tc, test_fini_after_errors_frees_everything);
    tcase_add_test(tc, test_strmap_flattening_keeps_document_order);
    tcase_add_test(tc, test_range_bounds_are_inclusive);
    suite_add_tcase(s, tc);

    tc = tcase_create("reference");
    tcase_add_test(tc, test_help_writes_a_markdown_reference);
    tcase_add_test(tc, test_help_indents_by_levels);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
