/*
 * The command line of the real binary (LOGSHIP_BIN): usage errors and their
 * exit codes, help texts, and the smallest end-to-end path (stdin → parse →
 * JSON on stdout).
 */
#include "config.h"

#include "xalloc.h"

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cli_result {
    int status; /* exit code, or 128 + signal */
    char *out;  /* owned */
    char *err;  /* owned */
};

static char *
cli_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, mem);
    fclose(mem);
    fclose(f);
    return data;
}

/* Runs logship with argv (NULL-terminated) and input on stdin. */
static struct cli_result
cli_run(const char *input, ...)
{
    char dir[] = "/tmp/logship-cli-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *in_path = xasprintf("%s/in", dir);
    char *out_path = xasprintf("%s/out", dir);
    char *err_path = xasprintf("%s/err", dir);
    FILE *f = fopen(in_path, "wb");
    fputs(input ? input : "", f);
    fclose(f);

    const char *argv[32] = {LOGSHIP_BIN};
    size_t argc = 1;
    va_list ap;
    va_start(ap, input);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(open(in_path, O_RDONLY), 0);
        dup2(open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
        dup2(open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
        unsetenv("LOGSHIP_CONFIG");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    struct cli_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = cli_slurp(out_path);
    r.err = cli_slurp(err_path);
    unlink(in_path);
    unlink(out_path);
    unlink(err_path);
    rmdir(dir);
    free(in_path);
    free(out_path);
    free(err_path);
    return r;
}

static void
cli_free(struct cli_result *r)
{
    free(r->out);
    free(r->err);
}

START_TEST(no_arguments_is_a_usage_error)
{
    struct cli_result r = cli_run(NULL, NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "usage: logship <command>"));
    cli_free(&r);
}
END_TEST

START_TEST(unknown_command_is_a_usage_error)
{
    struct cli_result r = cli_run(NULL, "frobnicate", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.err, "logship: unknown command 'frobnicate'; "
                            "'logship help' lists them\n");
    cli_free(&r);
}
END_TEST

START_TEST(unknown_option_is_a_usage_error)
{
    struct cli_result r = cli_run(NULL, "run", "--bogus", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "logship run: unknown option\n"
                                        "'logship run --help' shows the "
                                        "usage.\n"));
    cli_free(&r);
}
END_TEST

START_TEST(unexpected_argument_is_a_usage_error)
{
    struct cli_result r = cli_run(NULL, "parse", "extra", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(
        strstr(r.err, "logship parse: unexpected argument 'extra'"));
    cli_free(&r);
}
END_TEST

START_TEST(backfill_without_files_is_a_usage_error)
{
    struct cli_result r = cli_run(NULL, "backfill", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "logship backfill: no file to read"));
    cli_free(&r);
}
END_TEST

START_TEST(help_lists_every_command)
{
    struct cli_result r = cli_run(NULL, "help", NULL);
    ck_assert_int_eq(r.status, 0);
    const char *names[] = {"run",   "backfill", "parse", "check",
                           "setup", "version",  "help"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char *needle = xasprintf("\n  %s ", names[i]);
        ck_assert_msg(strstr(r.out, needle) != NULL, "missing %s", names[i]);
        free(needle);
    }
    cli_free(&r);
}
END_TEST

START_TEST(command_help_has_usage_and_examples)
{
    const char *names[] = {"run",   "backfill", "parse",
                           "check", "setup",    "version"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        struct cli_result r = cli_run(NULL, names[i], "--help", NULL);
        ck_assert_int_eq(r.status, 0);
        char *usage = xasprintf("usage: logship %s", names[i]);
        ck_assert_msg(strncmp(r.out, usage, strlen(usage)) == 0, "%s", r.out);
        ck_assert_ptr_nonnull(strstr(r.out, "Example"));
        free(usage);
        cli_free(&r);
        r = cli_run(NULL, "help", names[i], NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert_ptr_nonnull(strstr(r.out, "usage: logship"));
        cli_free(&r);
    }
}
END_TEST

START_TEST(version_names_the_libraries)
{
    struct cli_result r = cli_run(NULL, "version", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "logship " PACKAGE_VERSION "\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "libcurl "));
    ck_assert_ptr_nonnull(strstr(r.out, "pcre2 "));
    cli_free(&r);
}
END_TEST

START_TEST(check_of_a_missing_file_is_a_config_error)
{
    struct cli_result r =
        cli_run(NULL, "check", "-c", "/nonexistent/logship.yml", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(
        strstr(r.err, "/nonexistent/logship.yml: No such file or directory"));
    cli_free(&r);
}
END_TEST

START_TEST(check_prints_every_error)
{
    struct cli_result r =
        cli_run(NULL, "check", TEST_DATADIR "/cli/two-errors.yml", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.err, TEST_DATADIR
                     "/cli/two-errors.yml:2:3: "
                     "service.workerz: unknown key (did you mean "
                     "\"workers\"?)\n" TEST_DATADIR "/cli/two-errors.yml:5:19: "
                     "output.flush_interval: expected a duration "
                     "like 10s, got \"soon\"\n" TEST_DATADIR
                     "/cli/two-errors.yml: 2 errors\n");
    cli_free(&r);
}
END_TEST

START_TEST(check_of_a_valid_file_says_ok)
{
    struct cli_result r =
        cli_run(NULL, "check", "-c", TEST_DATADIR "/cli/valid.yml", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, TEST_DATADIR
                     "/cli/valid.yml: OK (1 input, output stdout)\n");
    cli_free(&r);
}
END_TEST

START_TEST(parse_prints_one_valid_document_per_line)
{
    const char input[] = "hello\r\nbad \xff utf8\n\ncontrol \x01 \"q\"\nlast";
    struct cli_result r = cli_run(input, "parse", NULL);
    ck_assert_int_eq(r.status, 0);
    const char *want[] = {"hello", "bad \xef\xbf\xbd utf8",
                          "control \x01 \"q\"", "last"};
    const long offsets[] = {0, 7, 19, 33};
    char *save = NULL;
    char *line = strtok_r(r.out, "\n", &save);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_ptr_nonnull(line);
        json_error_t jerr;
        json_t *doc = json_loads(line, 0, &jerr);
        ck_assert_msg(doc != NULL, "invalid JSON: %s", line);
        ck_assert_str_eq(json_string_value(json_object_get(doc, "message")),
                         want[i]);
        json_t *log = json_object_get(doc, "log");
        ck_assert_int_eq(json_integer_value(json_object_get(log, "offset")),
                         offsets[i]);
        ck_assert_ptr_nonnull(json_object_get(doc, "@timestamp"));
        json_decref(doc);
        line = strtok_r(NULL, "\n", &save);
    }
    ck_assert_ptr_null(line);
    cli_free(&r);
}
END_TEST

START_TEST(parse_pretty_indents)
{
    struct cli_result r = cli_run("x\n", "parse", "--pretty", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "{\n  \"@timestamp\": "));
    cli_free(&r);
}
END_TEST

START_TEST(setup_needs_an_elasticsearch_output)
{
    struct cli_result r =
        cli_run(NULL, "setup", "-c", TEST_DATADIR "/cli/valid.yml", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "needs an elasticsearch output"));
    cli_free(&r);
}
END_TEST

static Suite *
cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("usage");
    tcase_add_test(tc, no_arguments_is_a_usage_error);
    tcase_add_test(tc, unknown_command_is_a_usage_error);
    tcase_add_test(tc, unknown_option_is_a_usage_error);
    tcase_add_test(tc, unexpected_argument_is_a_usage_error);
    tcase_add_test(tc, backfill_without_files_is_a_usage_error);
    tcase_add_test(tc, help_lists_every_command);
    tcase_add_test(tc, command_help_has_usage_and_examples);
    tcase_add_test(tc, version_names_the_libraries);
    suite_add_tcase(s, tc);
    tc = tcase_create("commands");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, check_of_a_missing_file_is_a_config_error);
    tcase_add_test(tc, check_prints_every_error);
    tcase_add_test(tc, check_of_a_valid_file_says_ok);
    tcase_add_test(tc, parse_prints_one_valid_document_per_line);
    tcase_add_test(tc, parse_pretty_indents);
    tcase_add_test(tc, setup_needs_an_elasticsearch_output);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
