/*
 * The top-level configuration (conf.c): defaults, the output bound by its
 * type, and one broken file per error in tests/data/conf/ with the exact
 * expected messages in a .expected file beside it (a new case is two files
 * and no C).
 */
#include "config.h"

#include "conf.h"
#include "output.h"
#include "stages.h"
#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct conf *
conf_from(const char *yaml)
{
    struct errlist errs = {0};
    struct conf *conf = conf_load_string("t.yml", yaml, &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "%s\n", errs.msgs[i]);
    errlist_fini(&errs);
    return conf;
}

START_TEST(empty_config_has_defaults_and_stdout)
{
    struct conf *conf = conf_from("");
    ck_assert_ptr_nonnull(conf);
    ck_assert_int_eq(conf->service.workers, 0);
    ck_assert_int_eq(conf->service.grace_period_ms, 10000);
    ck_assert_uint_eq(conf->service.read_bytes, 512 * 1024);
    ck_assert_uint_eq(conf->inputs.count, 0);
    ck_assert_str_eq(conf->output.type->name, "stdout");
    const struct output_common *oc = conf->output.conf;
    ck_assert_int_eq(oc->flush_interval_ms, 0);
    ck_assert_uint_eq(oc->batch_max_bytes, 5 * 1024 * 1024);
    ck_assert_int_eq(oc->batch_max_events, 50000);
    conf_destroy(conf);
}
END_TEST

START_TEST(inputs_and_file_output_bind)
{
    setenv("LOGSHIP_TEST_DIR", "/var/tmp", 1);
    struct conf *conf = conf_from(
        "service: {workers: 3, grace_period: 1500ms, log_level: debug}\n"
        "inputs:\n"
        "  - name: web\n"
        "    max_line_bytes: 64KiB\n"
        "    fields: {service: {name: shop}, event.dataset: shop.web}\n"
        "  - name: other\n"
        "output:\n"
        "  type: file\n"
        "  path: ${LOGSHIP_TEST_DIR}/out.ndjson\n"
        "  flush_interval: 2s\n");
    ck_assert_ptr_nonnull(conf);
    ck_assert_int_eq(conf->service.workers, 3);
    ck_assert_int_eq(conf->service.grace_period_ms, 1500);
    ck_assert_uint_eq(conf->inputs.count, 2);
    const struct input_conf *web = conf_input(conf, "web");
    ck_assert_ptr_nonnull(web);
    ck_assert_uint_eq(web->max_line_bytes, 65536);
    ck_assert_uint_eq(web->fields.count, 2);
    ck_assert_str_eq(web->fields.keys[0], "service.name");
    ck_assert_str_eq(web->fields.values[0], "shop");
    ck_assert_ptr_nonnull(conf_input(conf, "other"));
    ck_assert_ptr_null(conf_input(conf, "missing"));
    ck_assert_str_eq(conf->output.type->name, "file");
    const struct output_common *oc = conf->output.conf;
    ck_assert_int_eq(oc->flush_interval_ms, 2000);
    ck_assert_str_eq(oc->type, "file");
    conf_destroy(conf);
}
END_TEST

/* keep_message is on unless an input turns it off, input by input. */
START_TEST(keep_message_defaults_to_true_per_input)
{
    struct conf *conf = conf_from("inputs:\n"
                                  "  - name: raw\n"
                                  "  - name: parsed\n"
                                  "    parser: apache_combined\n"
                                  "    keep_message: false\n"
                                  "  - name: explicit\n"
                                  "    keep_message: yes\n");
    ck_assert_ptr_nonnull(conf);
    ck_assert(conf_input(conf, "raw")->keep_message);
    ck_assert(!conf_input(conf, "parsed")->keep_message);
    ck_assert(!conf_input(conf, "parsed")->event_original);
    ck_assert(conf_input(conf, "explicit")->keep_message);
    conf_destroy(conf);
}
END_TEST

/* The time stage of c (the last stage of each chain below). */
static const struct stage *
conf_time_stage(const struct chain *c)
{
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_ge(c->nstages, 1);
    ck_assert_str_eq(c->stages[c->nstages - 1].type->name, "time");
    return &c->stages[c->nstages - 1];
}

/*
 * An input's timezone makes its own copy of the chain (built-in or from
 * `parsers`), shared by the inputs with the same zone; the stages see it
 * as their default, and a stage that names a zone keeps its own.
 */
START_TEST(input_timezone_gives_each_zone_its_chain)
{
    struct conf *conf = conf_from(
        "parsers:\n"
        "  mine:\n"
        "    - time: {field: t, formats: [ISO8601]}\n"
        "  pinned:\n"
        "    - time: {field: t, formats: [ISO8601], timezone: '+05:00'}\n"
        "inputs:\n"
        "  - {name: a, parser: nginx_error}\n"
        "  - {name: b, parser: nginx_error, timezone: America/New_York}\n"
        "  - {name: c, parser: nginx_error, timezone: America/New_York}\n"
        "  - {name: d, parser: nginx_error, timezone: UTC}\n"
        "  - {name: e, parser: mine}\n"
        "  - {name: f, parser: mine, timezone: Asia/Tokyo}\n"
        "  - {name: g, parser: pinned, timezone: Asia/Tokyo}\n");
    ck_assert_ptr_nonnull(conf);
    const struct chain *a = conf_input(conf, "a")->chain;
    const struct chain *b = conf_input(conf, "b")->chain;
    const struct chain *c = conf_input(conf, "c")->chain;
    const struct chain *d = conf_input(conf, "d")->chain;
    ck_assert_ptr_null(conf_time_stage(a)->default_timezone);
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_eq(b, c); /* one copy per zone */
    ck_assert_ptr_ne(b, d);
    ck_assert_str_eq(conf_time_stage(b)->default_timezone, "America/New_York");
    ck_assert_str_eq(conf_time_stage(d)->default_timezone, "UTC");
    ck_assert_str_eq(b->name, "nginx_error");

    const struct chain *e = conf_input(conf, "e")->chain;
    const struct chain *f = conf_input(conf, "f")->chain;
    ck_assert_ptr_ne(e, f);
    ck_assert(!f->builtin);
    ck_assert_str_eq(f->name, "mine");
    ck_assert_str_eq(conf_time_stage(f)->default_timezone, "Asia/Tokyo");

    /* A stage that names its zone still gets the input's as a default
     * (check_stage_time: its own wins). */
    const struct stage *g = conf_time_stage(conf_input(conf, "g")->chain);
    ck_assert_str_eq(g->default_timezone, "Asia/Tokyo");
    conf_destroy(conf);
}
END_TEST

static char *
conf_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return xstrdup("");
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, mem);
    fclose(mem);
    fclose(f);
    return data;
}

/* Every tests/data/conf/<case>.yml gives exactly <case>.expected. */
START_TEST(broken_configs_give_exact_messages)
{
    ck_assert_int_eq(chdir(TEST_DATADIR "/conf"), 0);
    unsetenv("LOGSHIP_TEST_UNSET_VAR");
    DIR *d = opendir(".");
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".yml") != 0)
            continue;
        char *expected_path =
            xasprintf("%.*s.expected", (int)(n - 4), de->d_name);
        char *expected = conf_slurp(expected_path);
        struct errlist errs = {0};
        struct conf *conf = conf_load(de->d_name, &errs);
        char *got = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&got, &len);
        for (size_t i = 0; i < errs.count; i++)
            fprintf(mem, "%s\n", errs.msgs[i]);
        fclose(mem);
        ck_assert_msg(strcmp(got, expected) == 0, "%s:\nexpected:\n%sgot:\n%s",
                      de->d_name, expected, got);
        ck_assert_msg(conf == NULL, "%s: loaded despite errors", de->d_name);
        errlist_fini(&errs);
        free(got);
        free(expected);
        free(expected_path);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 10);
}
END_TEST

static Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("bind");
    tcase_add_test(tc, empty_config_has_defaults_and_stdout);
    tcase_add_test(tc, inputs_and_file_output_bind);
    tcase_add_test(tc, keep_message_defaults_to_true_per_input);
    tcase_add_test(tc, input_timezone_gives_each_zone_its_chain);
    tcase_add_test(tc, broken_configs_give_exact_messages);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(conf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
