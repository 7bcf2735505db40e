/*
 * Unit tests for dlq.c: the exact bytes of a line, the document embedded
 * verbatim (or as a string when it is not one JSON object), escaping of
 * reasons with quotes, newlines and invalid UTF-8, the file created 0600
 * and appended to, and write failures (a full device; a file size limit
 * that cuts a line, which must be removed again). Files in a temp dir.
 */
#include "config.h"

#include "dlq.h"

#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* 2024-05-01T10:00:00.123Z */
#define T0 INT64_C(1714557600123456789)

static const char doc[] =
    "{\"@timestamp\":\"2024-05-01T10:00:00.000Z\",\"http\":{\"response\":{"
    "\"status_code\":\"abc\"}},\"message\":\"caf\\u00e9 \\\"q\\\"\"}\n";

static struct dlq_entry
sample_entry(void)
{
    struct dlq_entry e = {
        .time_ns = T0,
        .index = "logs-2024.05.01",
        .status = 400,
        .error_type = "mapper_parsing_exception",
        .error_reason = "failed to parse field [http.response.status_code]",
        .document = doc,
        .document_len = sizeof(doc) - 1,
        .path = "/var/log/app.log",
        .path_len = 16,
        .offset = 1234,
    };
    return e;
}

/* Formats e into a fresh string; the caller frees it. */
static char *
format(const struct dlq_entry *e)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    ck_assert_int_eq(dlq_format(&enc, &b, e), 0);
    char *s = xstrdup(b.data);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
    return s;
}

START_TEST(line_bytes_are_exact)
{
    struct dlq_entry e = sample_entry();
    char *line = format(&e);
    ck_assert_str_eq(
        line,
        "{\"@timestamp\":\"2024-05-01T10:00:00.123Z\",\"index\":\"logs-2024."
        "05.01\",\"status\":400,\"error\":{\"type\":\"mapper_parsing_"
        "exception\",\"reason\":\"failed to parse field "
        "[http.response.status_code]\"},\"document\":{\"@timestamp\":\"2024-"
        "05-01T10:00:00.000Z\",\"http\":{\"response\":{\"status_code\":"
        "\"abc\"}},\"message\":\"caf\\u00e9 \\\"q\\\"\"},\"log\":{\"file\":{"
        "\"path\":\"/var/log/app.log\"},\"offset\":1234}}\n");
    free(line);
}
END_TEST

START_TEST(document_is_embedded_verbatim)
{
    /* 100 KB of document, no newline at its end this time. */
    struct buf big;
    buf_init(&big, 0);
    ck_assert_int_eq(buf_append_str(&big, "{\"a\":["), 0);
    for (int i = 0; i < 20000; i++)
        ck_assert_int_eq(buf_printf(&big, "%s%d", i ? "," : "", i), 0);
    ck_assert_int_eq(buf_append_str(&big, "],\"b\":\"\\u0000\\n\"}"), 0);
    struct dlq_entry e = sample_entry();
    e.document = big.data;
    e.document_len = big.len;
    char *line = format(&e);
    const char *at = strstr(line, ",\"document\":");
    ck_assert_ptr_nonnull(at);
    at += strlen(",\"document\":");
    ck_assert(memcmp(at, big.data, big.len) == 0);
    ck_assert_str_eq(at + big.len,
                     ",\"log\":{\"file\":{\"path\":\"/var/log/app.log\"},"
                     "\"offset\":1234}}\n");
    free(line);
    buf_fini(&big);
}
END_TEST

START_TEST(reason_is_escaped)
{
    struct dlq_entry e = sample_entry();
    e.error_type = "x\"y";
    e.error_reason = "bad \"value\"\nline2\t\\ \x01 \xff end \xc3\xa9";
    char *line = format(&e);
    ck_assert_msg(strstr(line, "\"error\":{\"type\":\"x\\\"y\",\"reason\":"
                               "\"bad \\\"value\\\"\\nline2\\t\\\\ \\u0001 "
                               "\xef\xbf\xbd end \xc3\xa9\"}") != NULL,
                  "%s", line);
    /* The line is one valid JSON object that decodes to the repaired text. */
    ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    ck_assert_msg(j != NULL, "%s: %s", line, jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(j, "error"), "reason")),
                     "bad \"value\"\nline2\t\\ \x01 \xef\xbf\xbd end \xc3\xa9");
    json_decref(j);
    free(line);
}
END_TEST

START_TEST(missing_texts_and_path)
{
    struct dlq_entry e = sample_entry();
    e.error_type = NULL;
    e.error_reason = NULL;
    e.path = NULL;
    e.offset = UINT64_MAX;
    e.document = "{}";
    e.document_len = 2;
    char *line = format(&e);
    ck_assert_str_eq(line, "{\"@timestamp\":\"2024-05-01T10:00:00.123Z\","
                           "\"index\":\"logs-2024.05.01\",\"status\":400,"
                           "\"error\":{\"type\":\"\",\"reason\":\"\"},"
                           "\"document\":{},\"log\":{\"offset\":"
                           "18446744073709551615}}\n");
    free(line);
}
END_TEST

START_TEST(non_object_document_becomes_string)
{
    struct dlq_entry e = sample_entry();
    static const char *const bad[] = {"not json", "{\"a\":1}\n{\"b\":2}", "",
                                      "[1]", "{"};
    static const char *const want[] = {
        "\"document\":\"not json\",",
        "\"document\":\"{\\\"a\\\":1}\\n{\\\"b\\\""
        ":2}\",",
        "\"document\":\"\",", "\"document\":\"[1]\",", "\"document\":\"{\","};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e.document = bad[i];
        e.document_len = strlen(bad[i]);
        char *line = format(&e);
        ck_assert_msg(strstr(line, want[i]) != NULL, "%s", line);
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        ck_assert_msg(j != NULL, "%s: %s", line, jerr.text);
        json_decref(j);
        free(line);
    }
}
END_TEST

START_TEST(file_is_created_0600_and_appended)
{
    umask(0);
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct dlq *d = dlq_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, 0);

    struct dlq_entry e = sample_entry();
    ck_assert_int_eq(dlq_write(d, &e), 0);
    e.offset = 99;
    ck_assert_int_eq(dlq_write(d, &e), 0);
    ck_assert_int_eq(dlq_flush(d), 0);
    dlq_close(d);

    /* Reopening appends after what is there. */
    d = dlq_open(path, &err);
    ck_assert_ptr_nonnull(d);
    e.offset = 7;
    ck_assert_int_eq(dlq_write(d, &e), 0);
    ck_assert_int_eq(dlq_flush(d), 0);
    dlq_close(d);

    size_t len;
    char *content = testutil_read_file(path, &len);
    e.offset = 1234;
    char *a = format(&e);
    e.offset = 99;
    char *b = format(&e);
    e.offset = 7;
    char *c = format(&e);
    char *want = xasprintf("%s%s%s", a, b, c);
    ck_assert_str_eq(content, want);
    free(want);
    free(c);
    free(b);
    free(a);
    free(content);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(existing_file_mode_is_kept)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    testutil_write_file(path, "old line\n", 9);
    ck_assert_int_eq(chmod(path, 0640), 0);
    struct errbuf err;
    struct dlq *d = dlq_open(path, &err);
    ck_assert_ptr_nonnull(d);
    dlq_close(d);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(st.st_size, 9);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(open_failure_names_the_path)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "missing/dead.ndjson");
    struct errbuf err;
    ck_assert_ptr_null(dlq_open(path, &err));
    char *want =
        xasprintf("dead-letter file %s: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
    free(want);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(write_error_is_returned)
{
    struct errbuf err;
    struct dlq *d = dlq_open("/dev/full", &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    struct dlq_entry e = sample_entry();
    ck_assert_int_eq(dlq_write(d, &e), -ENOSPC);
    dlq_close(d);
}
END_TEST

/* A write cut short by the file size limit leaves no partial line behind. */
START_TEST(torn_line_is_removed)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct dlq *d = dlq_open(path, &err);
    ck_assert_ptr_nonnull(d);
    struct dlq_entry e = sample_entry();
    ck_assert_int_eq(dlq_write(d, &e), 0);
    size_t len;
    char *before = testutil_read_file(path, &len);

    /*
     * This test runs in its own child. Check itself writes results to a
     * file, so no ck_assert may run while the soft limit is lowered.
     */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, low;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    low = old;
    low.rlim_cur = (rlim_t)len + 50;
    int set = setrlimit(RLIMIT_FSIZE, &low);
    int rc = dlq_write(d, &e);
    int reset = setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(set, 0);
    ck_assert_int_eq(reset, 0);
    ck_assert_int_eq(rc, -EFBIG);
    dlq_close(d);

    size_t after_len;
    char *after = testutil_read_file(path, &after_len);
    ck_assert_uint_eq(after_len, len);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

static Suite *
check_dlq_suite(void)
{
    Suite *s = suite_create("dlq");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, line_bytes_are_exact);
    tcase_add_test(tc, document_is_embedded_verbatim);
    tcase_add_test(tc, reason_is_escaped);
    tcase_add_test(tc, missing_texts_and_path);
    tcase_add_test(tc, non_object_document_becomes_string);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_test(tc, file_is_created_0600_and_appended);
    tcase_add_test(tc, existing_file_mode_is_kept);
    tcase_add_test(tc, open_failure_names_the_path);
    tcase_add_test(tc, write_error_is_returned);
    tcase_add_test(tc, torn_line_is_removed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_dlq_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
