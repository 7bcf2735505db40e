/*
 * Golden parser cases: every tests/data/parsers/<case>/ holds input.log,
 * parsers.yml (a config: hostname, inputs, parsers), args (the `logship
 * parse` arguments: --parser NAME or --input NAME) and the expected
 * output and exit status, and optionally tz (the zone the machine is in,
 * $TZ; UTC otherwise). Each case runs the real binary exactly as a
 * user would, so a new case is files and no C (tests/golden-update.sh
 * writes the expected files; read them before committing).
 */
#include "config.h"

#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char *
golden_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
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

/* Runs one case; returns a message on failure (caller frees) or NULL. */
static char *
golden_run(const char *dir)
{
    char *args_path = xasprintf("%s/args", dir);
    char *args = golden_slurp(args_path);
    free(args_path);
    if (args == NULL)
        return xasprintf("%s: no args file", dir);
    args[strcspn(args, "\n")] = '\0';
    /* The machine's zone is UTC unless the case names one (tz file). */
    char *tz_path = xasprintf("%s/tz", dir);
    char *tz = golden_slurp(tz_path);
    free(tz_path);
    if (tz != NULL)
        tz[strcspn(tz, "\n")] = '\0';
    char *cmd = xasprintf("cd '%s' && TZ='%s' '%s' parse -c parsers.yml %s "
                          "--read-time 2026-11-26T00:00:00Z < input.log "
                          "2>/dev/null",
                          dir, tz ? tz : "UTC", LOGSHIP_BIN, args);
    free(tz);
    FILE *p = popen(cmd, "r");
    char *got = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&got, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, mem);
    fclose(mem);
    int st = pclose(p);
    char *exp_path = xasprintf("%s/expected.ndjson", dir);
    char *st_path = xasprintf("%s/expected.status", dir);
    char *expected = golden_slurp(exp_path);
    char *exp_status = golden_slurp(st_path);
    char *msg = NULL;
    if (expected == NULL || exp_status == NULL)
        msg = xasprintf("%s: expected.ndjson or expected.status missing", dir);
    else if (strcmp(got, expected) != 0)
        msg = xasprintf("%s: output differs\nexpected:\n%sgot:\n%s", dir,
                        expected, got);
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != atoi(exp_status))
        msg = xasprintf("%s: exit status %d, expected %d", dir,
                        WIFEXITED(st) ? WEXITSTATUS(st) : -1, atoi(exp_status));
    free(args);
    free(cmd);
    free(got);
    free(exp_path);
    free(st_path);
    free(expected);
    free(exp_status);
    return msg;
}

START_TEST(every_golden_case_matches)
{
    const char *root = TEST_DATADIR "/parsers";
    DIR *d = opendir(root);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int cases = 0, failed = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *dir = xasprintf("%s/%s", root, de->d_name);
        char *msg = golden_run(dir);
        if (msg != NULL) {
            fprintf(stderr, "FAIL %s\n", msg);
            failed++;
        }
        free(msg);
        free(dir);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 13);
    ck_assert_msg(failed == 0, "%d of %d golden cases failed", failed, cases);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("parsers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_golden_case_matches);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
