/*
 * Unit tests for options.c, errors: each message with its file:line:column
 * and key path, "did you mean", wrong types, ranges, required keys,
 * secrets, several errors from one bind, options_error() itself, and the
 * broken configs in tests/data/config (each *.yml against its *.expected).
 * Binding that succeeds is tested in check_options.c; the schema both use
 * is in opttest.c.
 */
#include "config.h"

#include "options.h"

#include "buf.h"
#include "opttest.h"
#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ck_conf_fails(text, expected)                                          \
    opttest_bind_fails(opttest_conf_options, struct t_conf, text, expected)

/* ---- messages ---- */

START_TEST(test_unknown_key_reported_at_the_key)
{
    ck_conf_fails("inputs: []\noutput: {hosts: h}\nbogus: 1\n",
                  "t.yml:3:1: bogus: unknown key\n");
}
END_TEST

START_TEST(test_unknown_key_suggests_a_close_name)
{
    ck_conf_fails("inputs:\n"
                  "  - pahts: x\n"
                  "    paths: y\n"
                  "    on_nomatch: tag\n"
                  "    MULTILINE: true\n"
                  "output:\n"
                  "  hots: h\n"
                  "  hosts: h\n"
                  "  batch: {max_byte: 1KiB, flsh: 1s}\n"
                  "log-level: debug\n",
                  "t.yml:2:5: inputs[0].pahts: unknown key (did you mean "
                  "\"paths\"?)\n"
                  "t.yml:4:5: inputs[0].on_nomatch: unknown key (did you mean "
                  "\"on_no_match\"?)\n"
                  "t.yml:5:5: inputs[0].MULTILINE: unknown key (did you mean "
                  "\"multiline\"?)\n"
                  "t.yml:7:3: output.hots: unknown key (did you mean "
                  "\"hosts\"?)\n"
                  "t.yml:9:11: output.batch.max_byte: unknown key (did you "
                  "mean \"max_bytes\"?)\n"
                  "t.yml:9:27: output.batch.flsh: unknown key (did you mean "
                  "\"flush\"?)\n"
                  "t.yml:10:1: log-level: unknown key (did you mean "
                  "\"log_level\"?)\n");
}
END_TEST

START_TEST(test_unknown_key_far_from_all_names_gets_no_hint)
{
    ck_conf_fails("inputs: []\noutput: {hosts: h, x: 1, hostnames: 2, "
                  "workerz_and_more: 3}\n",
                  "t.yml:2:20: output.x: unknown key\n"
                  "t.yml:2:26: output.hostnames: unknown key\n"
                  "t.yml:2:40: output.workerz_and_more: unknown key\n");
}
END_TEST

START_TEST(test_required_missing_reported_at_the_mapping)
{
    ck_conf_fails("log_level: info\noutput:\n  user: u\n",
                  "t.yml:3:3: output.hosts: required key is missing\n"
                  "t.yml:1:1: inputs: required key is missing\n");
}
END_TEST

START_TEST(test_required_null_reported_at_the_key)
{
    ck_conf_fails("inputs:\noutput:\n  hosts: ~\n",
                  "t.yml:3:3: output.hosts: required key has no value\n"
                  "t.yml:1:1: inputs: required key has no value\n");
}
END_TEST

START_TEST(test_required_in_absent_section_reported_at_the_parent)
{
    ck_conf_fails("inputs: []\nlog_level: warn\n",
                  "t.yml:1:1: output.hosts: required key is missing\n");
}
END_TEST

START_TEST(test_required_inside_list_items_named_by_index)
{
    ck_conf_fails("inputs:\n  - paths: a\n  - {}\n  - exclude: b\n"
                  "output: {hosts: h}\n",
                  "t.yml:3:5: inputs[1].paths: required key is missing\n"
                  "t.yml:4:5: inputs[2].paths: required key is missing\n");
}
END_TEST

START_TEST(test_required_with_null_root_names_the_file)
{
    struct t_conf c = {0};
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs, .file = "empty.yml"};

    ck_assert_uint_eq(options_bind(opttest_conf_options, NULL, &c, &ctx), 2);
    ck_assert_str_eq(errs.msgs[0],
                     "empty.yml: inputs: required key is missing");
    ck_assert_str_eq(errs.msgs[1],
                     "empty.yml: output.hosts: required key is missing");
    opttest_check_defaults(&c);
    options_fini(opttest_conf_options, &c);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_required_with_no_position_at_all)
{
    struct t_output out = {0};
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs, .path = "output"};

    ck_assert_uint_eq(options_bind(opttest_output_options, NULL, &out, &ctx),
                      1);
    ck_assert_str_eq(errs.msgs[0], "output.hosts: required key is missing");
    options_fini(opttest_output_options, &out);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_wrong_types_say_what_was_expected)
{
    opttest_bind_fails(
        opttest_all_options, struct t_all,
        "s: {a: 1}\n"
        "i: 1.5\n"
        "b: maybe\n"
        "size: 5 apples\n"
        "dur: 5 minutes\n"
        "e: maybe\n"
        "list: {a: b}\n"
        "map: [a]\n"
        "sec: [1]\n"
        "items: {a: 1}\n"
        "w: [x]\n",
        "t.yml:1:4: s: expected a string, got a mapping\n"
        "t.yml:2:4: i: expected an integer, got \"1.5\"\n"
        "t.yml:3:4: b: expected true or false, got \"maybe\"\n"
        "t.yml:4:7: size: expected a size like 5MiB, got \"5 "
        "apples\"\n"
        "t.yml:5:6: dur: expected a duration like 10s, got \"5 "
        "minutes\"\n"
        "t.yml:6:4: e: expected one of keep, tag, drop, got "
        "\"maybe\"\n"
        "t.yml:7:7: list: expected a string or a list of strings, "
        "got a mapping\n"
        "t.yml:8:6: map: expected a mapping of strings, got a "
        "sequence\n"
        "t.yml:9:6: sec: expected a mapping, got a sequence\n"
        "t.yml:10:8: items: expected a list of mappings, got a "
        "mapping\n"
        "t.yml:11:4: w: expected words, got a sequence\n");
}
END_TEST

START_TEST(test_ranges_are_in_the_message)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: x\n"
                  "    max_line_bytes: 100\n"
                  "    close_inactive: 2d\n"
                  "output:\n"
                  "  hosts: h\n"
                  "  workers: 0\n"
                  "  batch: {max_bytes: 2GiB}\n",
                  "t.yml:3:21: inputs[0].max_line_bytes: expected a size "
                  "between 1KiB and 64MiB, got \"100\"\n"
                  "t.yml:4:21: inputs[0].close_inactive: expected a duration "
                  "between 1s and 1d, got \"2d\"\n"
                  "t.yml:7:12: output.workers: expected an integer between 1 "
                  "and 64, got \"0\"\n"
                  "t.yml:8:22: output.batch.max_bytes: expected a size "
                  "between 1KiB and 1GiB, got \"2GiB\"\n");
}
END_TEST

START_TEST(test_integer_overflow_is_a_type_error)
{
    opttest_bind_fails(opttest_all_options, struct t_all,
                       "i: 9223372036854775808\n",
                       "t.yml:1:4: i: expected an integer, got "
                       "\"9223372036854775808\"\n");
}
END_TEST

START_TEST(test_enum_suggests_a_close_name)
{
    opttest_bind_fails(opttest_all_options, struct t_all, "e: Keep\n",
                       "t.yml:1:4: e: expected one of keep, tag, drop, got "
                       "\"Keep\" (did you mean \"keep\"?)\n");
    opttest_bind_fails(opttest_all_options, struct t_all, "e: dorp\n",
                       "t.yml:1:4: e: expected one of keep, tag, drop, got "
                       "\"dorp\" (did you mean \"drop\"?)\n");
}
END_TEST

START_TEST(test_bad_list_items_named_by_index)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "  - paths: b\n"
                  "  - paths: [c, {d: e}, [f], ~]\n"
                  "output: {hosts: h}\n",
                  "t.yml:4:16: inputs[2].paths[1]: expected a string, got a "
                  "mapping\n"
                  "t.yml:4:24: inputs[2].paths[2]: expected a string, got a "
                  "sequence\n"
                  "t.yml:4:29: inputs[2].paths[3]: expected a string, got "
                  "null\n");
}
END_TEST

START_TEST(test_section_list_items_must_be_mappings)
{
    ck_conf_fails("inputs: [{paths: a}, /var/log, [x]]\noutput: {hosts: h}\n",
                  "t.yml:1:22: inputs[1]: expected a mapping, got "
                  "\"/var/log\"\n"
                  "t.yml:1:32: inputs[2]: expected a mapping, got a "
                  "sequence\n");
}
END_TEST

START_TEST(test_strmap_values_must_be_scalars)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "    fields:\n"
                  "      a: [1]\n"
                  "      b: {c: ~}\n"
                  "      d: {e: 1}\n"
                  "      d.e: 2\n"
                  "output: {hosts: h}\n",
                  "t.yml:4:10: inputs[0].fields.a: expected a string, got a "
                  "sequence\n"
                  "t.yml:5:14: inputs[0].fields.b.c: expected a string, got "
                  "null\n"
                  "t.yml:7:7: inputs[0].fields: duplicate key \"d.e\" (nested "
                  "keys are joined with dots)\n");
}
END_TEST

START_TEST(test_root_must_be_a_mapping)
{
    ck_conf_fails("[a, b]\n",
                  "t.yml:1:1: expected a mapping, got a sequence\n");
    ck_conf_fails("just text\n",
                  "t.yml:1:1: expected a mapping, got \"just text\"\n");
}
END_TEST

START_TEST(test_required_section_missing_reported_once)
{
    static const struct opt table[] = {
        {.name = "output",
         .type = OPT_SECTION,
         .offset = 0,
         .flags = OPT_REQUIRED,
         .sub = opttest_output_options},
        {0},
    };
    opttest_bind_fails(table, struct t_output, "other: 1\n",
                       "t.yml:1:1: other: unknown key\n"
                       "t.yml:1:1: output: required key is missing\n");
}
END_TEST

START_TEST(test_many_errors_from_one_bind)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "    max_line_bytes: lots\n"
                  "    on_no_match: maybe\n"
                  "  - exclude: x\n"
                  "output:\n"
                  "  hosts: [h]\n"
                  "  gzip: sometimes\n"
                  "  workers: 100\n"
                  "  batch: 5\n"
                  "tags: [x]\n"
                  "extra: 1\n",
                  "t.yml:3:21: inputs[0].max_line_bytes: expected a size "
                  "between 1KiB and 64MiB, got \"lots\"\n"
                  "t.yml:4:18: inputs[0].on_no_match: expected one of keep, "
                  "tag, drop, got \"maybe\"\n"
                  "t.yml:5:5: inputs[1].paths: required key is missing\n"
                  "t.yml:8:9: output.gzip: expected true or false, got "
                  "\"sometimes\"\n"
                  "t.yml:9:12: output.workers: expected an integer between 1 "
                  "and 64, got \"100\"\n"
                  "t.yml:10:10: output.batch: expected a mapping, got \"5\"\n"
                  "t.yml:11:7: tags: expected words, got a sequence\n"
                  "t.yml:12:1: extra: unknown key\n");
}
END_TEST

START_TEST(test_secret_values_never_appear_in_messages)
{
    static const struct opt table[] = {
        {.name = "key",
         .type = OPT_ENUM,
         .offset = 0,
         .flags = OPT_SECRET,
         .names = opttest_action_names},
        {0},
    };
    opttest_bind_fails(table, int, "key: hunter2\n",
                       "t.yml:1:6: key: expected one of keep, tag, drop, got a "
                       "secret value\n");
    opttest_bind_fails(table, int, "key: kep\n",
                       "t.yml:1:6: key: expected one of keep, tag, drop, got a "
                       "secret value\n");
}
END_TEST

START_TEST(test_quoted_values_are_escaped_and_cut)
{
    opttest_bind_fails(opttest_all_options, struct t_all,
                       "i: \"a\\\"b\\\\c\\nd\\te\\x01\"\n",
                       "t.yml:1:4: i: expected an integer, got "
                       "\"a\\\"b\\\\c\\nd\\te\\x01\"\n");
    opttest_bind_fails(
        opttest_all_options, struct t_all,
        "i: "
        "0123456789012345678901234567890123456789012345678901234567"
        "89012é45\n",
        "t.yml:1:4: i: expected an integer, got "
        "\"0123456789012345678901234567890123456789012345678901234567"
        "89012\"...\n");
}
END_TEST

START_TEST(test_options_error_formats_what_it_knows)
{
    struct errlist errs = {0};
    struct conf_tree *tree =
        conftree_load_string("f.yml", "a:\n  b: 1\n", 10, &errs);
    const struct conf_node *a = conftree_get(tree->root, "a");
    const struct conf_node *b = conftree_get(a, "b");
    struct opt_ctx ctx = {.errs = &errs, .path = "x.a", .file = "g.yml"};

    ck_assert_int_eq(options_error(&ctx, b, "b", "bad %d", 1), -EINVAL);
    options_error(&ctx, b, NULL, "no key");
    ctx.at = a;
    options_error(&ctx, NULL, "c", "at fallback");
    ctx.at = NULL;
    options_error(&ctx, NULL, "c", "file only");
    ctx.file = NULL;
    ctx.path = NULL;
    options_error(&ctx, NULL, "c", "key only");
    options_error(&ctx, NULL, NULL, "bare");
    ctx.path = "";
    options_error(&ctx, b, NULL, "empty path");
    char *all = opttest_joined(&errs);
    ck_assert_str_eq(all, "f.yml:2:6: x.a.b: bad 1\n"
                          "f.yml:2:6: x.a: no key\n"
                          "f.yml:2:3: x.a.c: at fallback\n"
                          "g.yml: x.a.c: file only\n"
                          "c: key only\n"
                          "bare\n"
                          "f.yml:2:6: empty path\n");
    free(all);
    conftree_destroy(tree);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_bind_returns_only_its_own_errors)
{
    struct t_conf c = {0};
    struct errlist errs = {0};
    struct conf_tree *tree = conftree_load_string("t.yml", "x: 1\n", 5, &errs);
    struct opt_ctx ctx = {.errs = &errs};

    errlist_add(&errs, "earlier");
    ck_assert_uint_eq(options_bind(opttest_conf_options, tree->root, &c, &ctx),
                      3);
    ck_assert_uint_eq(errs.count, 4);
    options_fini(opttest_conf_options, &c);
    conftree_destroy(tree);
    errlist_fini(&errs);
}
END_TEST

/* ---- broken configs: tests/data/config/<case>.yml + <case>.expected ---- */

static char *
read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct buf b;
    char chunk[4096];
    size_t n;
    buf_init(&b, 0);
    (void)buf_append_str(&b, "");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        (void)buf_append(&b, chunk, n);
    fclose(f);
    return b.data;
}

/* Loads and binds one case the way `logship check` would; errors (owned). */
static char *
check_config(const char *name)
{
    struct errlist errs = {0};
    struct t_conf c = {0};
    struct conf_tree *tree = conftree_load_file(name, &errs);
    if (tree != NULL) {
        struct opt_ctx ctx = {.errs = &errs, .file = tree->path};
        options_bind(opttest_conf_options, tree->root, &c, &ctx);
        options_fini(opttest_conf_options, &c);
    }
    char *all = opttest_joined(&errs);
    conftree_destroy(tree);
    errlist_fini(&errs);
    return all;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yml names in the current directory, sorted (owned). */
static char **
list_cases(size_t *count)
{
    DIR *dir = opendir(".");
    ck_assert_ptr_nonnull(dir);
    char **names = NULL;
    const struct dirent *de;
    *count = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".yml") == 0) {
            names = xrealloc(names, (*count + 1) * sizeof(*names));
            names[(*count)++] = xstrdup(de->d_name);
        }
    }
    closedir(dir);
    qsort(names, *count, sizeof(*names), compare_names);
    return names;
}

START_TEST(test_broken_configs_give_the_expected_messages)
{
    size_t count, failures = 0;

    ck_assert_int_eq(chdir(TEST_DATADIR "/config"), 0);
    unsetenv("LOGSHIP_TEST_UNSET");
    setenv("LOGSHIP_TEST_HOST", "http://es:9200", 1);
    char **names = list_cases(&count);
    ck_assert_uint_ge(count, 20);
    for (size_t i = 0; i < count; i++) {
        char *expected_path =
            xasprintf("%.*s.expected", (int)(strlen(names[i]) - 4), names[i]);
        char *expected = read_all(expected_path);
        char *got = check_config(names[i]);
        if (strcmp(got, expected) != 0) {
            fprintf(stderr, "%s:\n--- expected\n%s--- got\n%s", names[i],
                    expected, got);
            failures++;
        }
        free(got);
        free(expected);
        free(expected_path);
        free(names[i]);
    }
    free(names);
    ck_assert_uint_eq(failures, 0);
}
END_TEST

static Suite *
options_errors_suite(void)
{
    Suite *s = suite_create("options_errors");
    TCase *tc = tcase_create("messages");
    tcase_add_test(tc, test_unknown_key_reported_at_the_key);
    tcase_add_test(tc, test_unknown_key_suggests_a_close_name);
    tcase_add_test(tc, test_unknown_key_far_from_all_names_gets_no_hint);
    tcase_add_test(tc, test_required_missing_reported_at_the_mapping);
    tcase_add_test(tc, test_required_null_reported_at_the_key);
    tcase_add_test(tc, test_required_in_absent_section_reported_at_the_parent);
    tcase_add_test(tc, test_required_inside_list_items_named_by_index);
    tcase_add_test(tc, test_required_with_null_root_names_the_file);
    tcase_add_test(tc, test_required_with_no_position_at_all);
    tcase_add_test(tc, test_wrong_types_say_what_was_expected);
    tcase_add_test(tc, test_ranges_are_in_the_message);
    tcase_add_test(tc, test_integer_overflow_is_a_type_error);
    tcase_add_test(tc, test_enum_suggests_a_close_name);
    tcase_add_test(tc, test_bad_list_items_named_by_index);
    tcase_add_test(tc, test_section_list_items_must_be_mappings);
    tcase_add_test(tc, test_strmap_values_must_be_scalars);
    tcase_add_test(tc, test_root_must_be_a_mapping);
    tcase_add_test(tc, test_required_section_missing_reported_once);
    tcase_add_test(tc, test_many_errors_from_one_bind);
    tcase_add_test(tc, test_secret_values_never_appear_in_messages);
    tcase_add_test(tc, test_quoted_values_are_escaped_and_cut);
    tcase_add_test(tc, test_options_error_formats_what_it_knows);
    tcase_add_test(tc, test_bind_returns_only_its_own_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("configs");
    tcase_add_test(tc, test_broken_configs_give_the_expected_messages);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(options_errors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
