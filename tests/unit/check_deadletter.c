/*
 * Unit tests for deadletter.c. The record format: exact bytes of a
 * rejected bulk item and of a parse failure, the document embedded
 * verbatim (or as a string when it is not one JSON object), escaping of
 * reasons with quotes, newlines and invalid UTF-8. The file: created 0600
 * (its directory fsync'd then) and appended to, write failures (a full
 * device; a file size limit that cuts a record, which must be removed
 * again; a pipe that cannot be cut, after which the next record starts on
 * a new line), fsync only when something was written, and two threads
 * whose records never interleave. Files in a temp dir. fsync is counted by
 * defining it here: the test binary's definition wins over libc's.
 */
#include "config.h"

#include "deadletter.h"

#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 2024-05-01T10:00:00.123Z */
#define T0 INT64_C(1714557600123456789)

#define THREAD_RECORDS 10000
/* More than a pipe holds (64 KiB by default), and a little of it. */
#define PIPE_RECORD_BYTES (256u << 10)
#define PIPE_READ_BYTES   4096

static const char sample_doc[] =
    "{\"@timestamp\":\"2024-05-01T10:00:00.000Z\",\"http\":{\"response\":{"
    "\"status_code\":\"abc\"}},\"message\":\"caf\\u00e9 \\\"q\\\"\"}\n";

/* fsync calls made by the code under test, split by the kind of fd. */
static int fsyncs_file;
static int fsyncs_dir;

/* Counts, then does the real fsync (the system call: no libc lookup). */
int
fsync(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        fsyncs_dir++;
    else
        fsyncs_file++;
    return (int)syscall(SYS_fsync, fd);
}

static struct deadletter_entry
sample_entry(void)
{
    struct deadletter_entry e = {
        .time_ns = T0,
        .index = "logs-2024.05.01",
        .status = 400,
        .error_type = "mapper_parsing_exception",
        .error_reason = "failed to parse field [http.response.status_code]",
        .document = sample_doc,
        .document_len = sizeof(sample_doc) - 1,
        .path = "/var/log/app.log",
        .path_len = 16,
        .offset = 1234,
    };
    return e;
}

/* Formats e into a fresh string; the caller frees it. */
static char *
format(const struct deadletter_entry *e)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    ck_assert_int_eq(deadletter_format(&enc, &b, e), 0);
    char *s = xstrdup(b.data);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
    return s;
}

/* Formats e and appends it to d. */
static int
write_entry(struct deadletter *d, const struct deadletter_entry *e)
{
    char *line = format(e);
    int rc = deadletter_write(d, line, strlen(line));
    free(line);
    return rc;
}

START_TEST(line_bytes_are_exact)
{
    struct deadletter_entry e = sample_entry();
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

/* A parse failure has no index and no status: both keys are left out. */
START_TEST(parse_failure_bytes_are_exact)
{
    static const char event[] =
        "{\"@timestamp\":\"2024-05-01T10:00:00.000Z\",\"log\":{\"file\":{"
        "\"path\":\"/var/log/app.log\"},\"offset\":77},\"message\":\"garbage\"}"
        "\n";
    struct deadletter_entry e = {
        .time_ns = T0,
        .error_type = "parse_failure",
        .error_reason = "stage grok/nginx did not match",
        .document = event,
        .document_len = sizeof(event) - 1,
        .path = "/var/log/app.log",
        .path_len = 16,
        .offset = 77,
    };
    char *line = format(&e);
    ck_assert_str_eq(
        line,
        "{\"@timestamp\":\"2024-05-01T10:00:00.123Z\",\"error\":{\"type\":"
        "\"parse_failure\",\"reason\":\"stage grok/nginx did not match\"},"
        "\"document\":{\"@timestamp\":\"2024-05-01T10:00:00.000Z\",\"log\":{"
        "\"file\":{\"path\":\"/var/log/app.log\"},\"offset\":77},\"message\":"
        "\"garbage\"},\"log\":{\"file\":{\"path\":\"/var/log/app.log\"},"
        "\"offset\":77}}\n");
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
    struct deadletter_entry e = sample_entry();
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
    struct deadletter_entry e = sample_entry();
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
    struct deadletter_entry e = sample_entry();
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
    struct deadletter_entry e = sample_entry();
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

/* A record that does not fit leaves the buffer exactly as it was. */
START_TEST(format_too_big_leaves_buffer)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 100);
    ck_assert_int_eq(buf_append_str(&b, "kept"), 0);
    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(deadletter_format(&enc, &b, &e), -E2BIG);
    ck_assert_uint_eq(b.len, 4);
    ck_assert(memcmp(b.data, "kept", 4) == 0);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(file_is_created_0600_and_appended)
{
    umask(0);
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ck_assert_str_eq(deadletter_path(d), path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, 0);

    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(write_entry(d, &e), 0);
    e.offset = 99;
    ck_assert_int_eq(write_entry(d, &e), 0);
    ck_assert_uint_eq(deadletter_count(d), 2);
    ck_assert_int_eq(deadletter_sync(d), 0);
    deadletter_close(d);

    /* Reopening appends after what is there; the count starts again. */
    d = deadletter_open(path, &err);
    ck_assert_ptr_nonnull(d);
    e.offset = 7;
    ck_assert_int_eq(write_entry(d, &e), 0);
    ck_assert_uint_eq(deadletter_count(d), 1);
    deadletter_close(d);

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

/* The directory is fsync'd when the file is created, not when it exists. */
START_TEST(directory_is_synced_on_create)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    fsyncs_dir = 0;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ck_assert_int_eq(fsyncs_dir, 1);
    deadletter_close(d);
    d = deadletter_open(path, &err);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(fsyncs_dir, 1);
    deadletter_close(d);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(sync_fsyncs_only_when_dirty)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    fsyncs_file = 0;
    ck_assert_int_eq(deadletter_sync(d), 0);
    ck_assert_int_eq(fsyncs_file, 0);

    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(write_entry(d, &e), 0);
    ck_assert_int_eq(deadletter_sync(d), 0);
    ck_assert_int_eq(fsyncs_file, 1);
    ck_assert_int_eq(deadletter_sync(d), 0);
    ck_assert_int_eq(fsyncs_file, 1);

    /* Many records, one fsync. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(write_entry(d, &e), 0);
    ck_assert_int_eq(deadletter_sync(d), 0);
    ck_assert_int_eq(fsyncs_file, 2);

    /* Closing syncs what is unsynced, and only that. */
    ck_assert_int_eq(write_entry(d, &e), 0);
    deadletter_close(d);
    ck_assert_int_eq(fsyncs_file, 3);
    d = deadletter_open(path, &err);
    ck_assert_ptr_nonnull(d);
    deadletter_close(d);
    ck_assert_int_eq(fsyncs_file, 3);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

/* A failed fsync keeps the file dirty, so the next sync tries again. */
START_TEST(failed_sync_is_retried)
{
    struct errbuf err;
    struct deadletter *d = deadletter_open("/dev/null", &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ck_assert_int_eq(deadletter_sync(d), 0); /* clean: no fsync to fail */
    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(write_entry(d, &e), 0);
    ck_assert_int_eq(deadletter_sync(d), -EINVAL); /* a device: no fsync */
    ck_assert_int_eq(deadletter_sync(d), -EINVAL);
    deadletter_close(d);
}
END_TEST

START_TEST(existing_file_mode_is_kept)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    testutil_write_file(path, "old line\n", 9);
    ck_assert_int_eq(chmod(path, 0640), 0);
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_ptr_nonnull(d);
    deadletter_close(d);
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
    ck_assert_ptr_null(deadletter_open(path, &err));
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
    struct deadletter *d = deadletter_open("/dev/full", &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(write_entry(d, &e), -ENOSPC);
    ck_assert_uint_eq(deadletter_count(d), 0);
    /* Nothing was written, so nothing is synced (fsync of a device fails). */
    fsyncs_file = 0;
    ck_assert_int_eq(deadletter_sync(d), 0);
    ck_assert_int_eq(fsyncs_file, 0);
    deadletter_close(d);
}
END_TEST

/* A write cut short by the file size limit leaves no partial line behind. */
START_TEST(torn_line_is_removed)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_ptr_nonnull(d);
    struct deadletter_entry e = sample_entry();
    ck_assert_int_eq(write_entry(d, &e), 0);
    size_t len;
    char *before = testutil_read_file(path, &len);
    char *line = format(&e);

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
    int rc = deadletter_write(d, line, strlen(line));
    int reset = setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(set, 0);
    ck_assert_int_eq(reset, 0);
    ck_assert_int_eq(rc, -EFBIG);
    ck_assert_uint_eq(deadletter_count(d), 1);

    size_t after_len;
    char *after = testutil_read_file(path, &after_len);
    ck_assert_uint_eq(after_len, len);
    ck_assert_str_eq(after, before);
    free(after);

    /* The next record follows the last whole one. */
    ck_assert_int_eq(deadletter_write(d, line, strlen(line)), 0);
    deadletter_close(d);
    after = testutil_read_file(path, &after_len);
    char *want = xasprintf("%s%s", before, line);
    ck_assert_str_eq(after, want);
    free(want);
    free(after);
    free(line);
    free(before);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

struct pipe_writer {
    struct deadletter *d;
    const char *record;
    size_t len;
    int rc;
};

static void *
pipe_writer_main(void *arg)
{
    struct pipe_writer *w = arg;
    w->rc = deadletter_write(w->d, w->record, w->len);
    return NULL;
}

/* Reads exactly len bytes from fd into a fresh string; the caller frees. */
static char *
read_exactly(int fd, size_t len)
{
    char *p = xmalloc(len + 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    p[len] = '\0';
    return p;
}

/* Reads what non-blocking fd holds into a fresh string; caller frees. */
static char *
read_available(int fd, size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            ck_assert_int_eq(errno, EAGAIN); /* empty; a writer is there */
            break;
        }
        ck_assert_int_gt(n, 0);
        ck_assert_int_eq(buf_append(&b, chunk, (size_t)n), 0);
    }
    ck_assert_int_eq(buf_append(&b, "", 1), 0);
    *len = b.len - 1;
    return b.data; /* buf_fini would only free it */
}

/*
 * A pipe cannot be cut back: when its reader goes away in the middle of a
 * record, the error is returned and the next record starts on a new line,
 * so it is whole even though the torn part stays (as one broken line).
 */
START_TEST(torn_line_that_cannot_be_cut_is_ended)
{
    signal(SIGPIPE, SIG_IGN);
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.fifo");
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    int rfd = open(path, O_RDONLY | O_NONBLOCK); /* so opening won't block */
    ck_assert_int_ge(rfd, 0);
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ck_assert_int_eq(fcntl(rfd, F_SETFL, 0), 0);

    /* The reader takes a little of a record larger than the pipe, and
     * leaves: the writer has begun and cannot have finished. */
    char *big = xmalloc(PIPE_RECORD_BYTES);
    memset(big, 'x', PIPE_RECORD_BYTES - 1);
    big[PIPE_RECORD_BYTES - 1] = '\n';
    struct pipe_writer w = {.d = d, .record = big, .len = PIPE_RECORD_BYTES};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pipe_writer_main, &w), 0);
    free(read_exactly(rfd, PIPE_READ_BYTES));
    close(rfd);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(w.rc, -EPIPE);
    ck_assert_uint_eq(deadletter_count(d), 0);

    /* The pipe still holds the torn part: a new reader gets it first. */
    rfd = open(path, O_RDONLY | O_NONBLOCK);
    ck_assert_int_ge(rfd, 0);
    size_t torn_len;
    char *torn = read_available(rfd, &torn_len);
    ck_assert_uint_lt(torn_len, PIPE_RECORD_BYTES - PIPE_READ_BYTES);
    ck_assert_uint_eq(strspn(torn, "x"), torn_len);
    free(torn);
    struct deadletter_entry e = sample_entry();
    char *line = format(&e);
    size_t len = strlen(line);
    ck_assert_int_eq(deadletter_write(d, line, len), 0);
    ck_assert_int_eq(deadletter_write(d, line, len), 0);
    size_t got_len;
    char *got = read_available(rfd, &got_len);
    char *want = xasprintf("\n%s%s", line, line);
    ck_assert_str_eq(got, want);
    ck_assert_uint_eq(deadletter_count(d), 2);
    free(want);
    free(got);
    free(line);
    free(big);
    deadletter_close(d);
    close(rfd);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

struct thread_writer {
    struct deadletter *d;
    int id;
    int rc; /* the first failure, or 0 */
};

/* Writes THREAD_RECORDS records of about 1 KB, numbered, to w->d. */
static void *
thread_writer_main(void *arg)
{
    struct thread_writer *w = arg;
    struct ndjson_enc enc;
    struct buf doc, line;
    ndjson_enc_init(&enc);
    buf_init(&doc, 0);
    buf_init(&line, 0);
    char pad[1001];
    memset(pad, 'a' + w->id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    struct deadletter_entry e = sample_entry();
    for (int i = 0; i < THREAD_RECORDS && w->rc == 0; i++) {
        buf_reset(&doc);
        buf_reset(&line);
        buf_printf(&doc, "{\"thread\":%d,\"seq\":%d,\"pad\":\"%s\"}", w->id, i,
                   pad);
        e.document = doc.data;
        e.document_len = doc.len;
        e.offset = (uint64_t)i;
        w->rc = deadletter_format(&enc, &line, &e);
        if (w->rc == 0)
            w->rc = deadletter_write(w->d, line.data, line.len);
    }
    buf_fini(&line);
    buf_fini(&doc);
    ndjson_enc_fini(&enc);
    return NULL;
}

/* Checks one line of the threads' file; next[] is each thread's next seq. */
static void
check_thread_line(const char *p, size_t len, int next[2])
{
    json_error_t jerr;
    json_t *j = json_loadb(p, len, 0, &jerr);
    ck_assert_msg(j != NULL, "%.*s: %s", (int)len, p, jerr.text);
    json_t *d = json_object_get(j, "document");
    int id = (int)json_integer_value(json_object_get(d, "thread"));
    int seq = (int)json_integer_value(json_object_get(d, "seq"));
    ck_assert(id == 0 || id == 1);
    ck_assert_int_eq(seq, next[id]);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(d, "pad"))),
                      1000);
    next[id]++;
    json_decref(j);
}

START_TEST(two_threads_never_interleave)
{
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "dead.ndjson");
    struct errbuf err;
    struct deadletter *d = deadletter_open(path, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    struct thread_writer w[2] = {{.d = d, .id = 0}, {.d = d, .id = 1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_writer_main, &w[i]),
                         0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(w[i].rc, 0);
    }
    ck_assert_uint_eq(deadletter_count(d), 2 * THREAD_RECORDS);
    deadletter_close(d);

    size_t len;
    char *content = testutil_read_file(path, &len);
    int next[2] = {0, 0};
    size_t lines = 0;
    for (const char *p = content; p < content + len; lines++) {
        const char *nl = memchr(p, '\n', (size_t)(content + len - p));
        ck_assert_ptr_nonnull(nl);
        check_thread_line(p, (size_t)(nl - p), next);
        p = nl + 1;
    }
    ck_assert_uint_eq(lines, 2 * THREAD_RECORDS);
    ck_assert_int_eq(next[0], THREAD_RECORDS);
    ck_assert_int_eq(next[1], THREAD_RECORDS);
    free(content);
    testutil_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

static Suite *
check_deadletter_suite(void)
{
    Suite *s = suite_create("deadletter");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, line_bytes_are_exact);
    tcase_add_test(tc, parse_failure_bytes_are_exact);
    tcase_add_test(tc, document_is_embedded_verbatim);
    tcase_add_test(tc, reason_is_escaped);
    tcase_add_test(tc, missing_texts_and_path);
    tcase_add_test(tc, non_object_document_becomes_string);
    tcase_add_test(tc, format_too_big_leaves_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_test(tc, file_is_created_0600_and_appended);
    tcase_add_test(tc, directory_is_synced_on_create);
    tcase_add_test(tc, sync_fsyncs_only_when_dirty);
    tcase_add_test(tc, failed_sync_is_retried);
    tcase_add_test(tc, existing_file_mode_is_kept);
    tcase_add_test(tc, open_failure_names_the_path);
    tcase_add_test(tc, write_error_is_returned);
    tcase_add_test(tc, torn_line_is_removed);
    tcase_add_test(tc, torn_line_that_cannot_be_cut_is_ended);
    tcase_add_test(tc, two_threads_never_interleave);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_deadletter_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
