/*
 * The whole pipeline in-process: standard input (a pipe) → workers → the
 * file output. Shutdown with events in flight must lose nothing that was
 * acknowledged and write nothing twice; a run to the end of input must
 * write every line exactly once, in order with one worker.
 */
#include "config.h"

#include "conf.h"
#include "metrics.h"
#include "pipeline.h"
#include "pipeline_int.h"
#include "source.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct writer {
    int fd;
    int nlines;
    int written;
};

/* Writes "line <i> <padding>\n" lines; stops quietly when the pipe closes. */
static void *
writer_main(void *arg)
{
    struct writer *w = arg;
    char line[128];
    for (int i = 0; i < w->nlines; i++) {
        int n = snprintf(line, sizeof(line), "line %06d %.*s\n", i, i % 50,
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        if (write(w->fd, line, (size_t)n) != n)
            break;
        w->written++;
    }
    close(w->fd);
    return NULL;
}

static struct conf *
pipeline_test_conf(const char *out_path, int workers)
{
    char *yaml = xasprintf(
        "service: {workers: %d, grace_period: 20s, read_buffer_size: 4KiB,\n"
        "          chunks: 4, batches: 3, hostname: testhost}\n"
        "inputs: [{name: t, type: stdin, fields: {service.name: svc}}]\n"
        "output: {type: file, path: '%s', batch_max_events: 7,\n"
        "         flush_interval: 5ms, fsync: false}\n",
        workers, out_path);
    struct errlist errs = {0};
    struct conf *conf = conf_load_string("test.yml", yaml, &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "%s\n", errs.msgs[i]);
    ck_assert_uint_eq(errs.count, 0);
    errlist_fini(&errs);
    free(yaml);
    return conf;
}

/* The byte offsets just past each line writer_main writes; caller frees. */
static uint64_t *
pipeline_line_ends(int n)
{
    uint64_t *ends = xcalloc((size_t)n, sizeof(*ends));
    uint64_t off = 0;
    for (int k = 0; k < n; k++) {
        off += 13 + (uint64_t)(k % 50);
        ends[k] = off;
    }
    return ends;
}

/*
 * Reads the output file: checks each document, returns the count and fills
 * seen[i] with how often line i appears and *in_order whether lines came in
 * increasing order.
 */
static size_t
pipeline_read_output(const char *path, int *seen, int nlines, bool *in_order)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    uint64_t *ends = pipeline_line_ends(nlines);
    char *line = NULL;
    size_t cap = 0, count = 0;
    int last = -1;
    *in_order = true;
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *doc = json_loads(line, 0, &jerr);
        ck_assert_msg(doc != NULL, "invalid JSON: %s", line);
        const char *msg = json_string_value(json_object_get(doc, "message"));
        ck_assert_ptr_nonnull(msg);
        int i = atoi(msg + 5);
        ck_assert_int_lt(i, nlines);
        json_t *log = json_object_get(doc, "log");
        /* log.offset is where line i starts: offsets up to ~700 kB
         * cross every power of ten the digit writer handles. */
        ck_assert_uint_eq(
            (uint64_t)json_integer_value(json_object_get(log, "offset")),
            (i ? ends[i - 1] : 0));
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(doc, "service"), "name")),
                         "svc");
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(doc, "host"), "name")),
                         "testhost");
        seen[i]++;
        if (i < last)
            *in_order = false;
        last = i;
        count++;
        json_decref(doc);
    }
    free(line);
    free(ends);
    fclose(f);
    return count;
}

/* Runs a pipeline on a pipe fed by a writer; stops it after stop_after_ms
 * (or lets it end with the input when negative). */
static void
pipeline_run_case(int workers, int nlines, int stop_after_ms, int *seen,
                  size_t *nout, bool *in_order, uint64_t *committed,
                  uint64_t *read_end)
{
    char *dir = testutil_tempdir();
    char *out_path = xasprintf("%s/out.ndjson", dir);
    struct conf *conf = pipeline_test_conf(out_path, workers);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_ge(dup2(fds[0], STDIN_FILENO), 0);
    close(fds[0]);
    struct writer w = {.fd = fds[1], .nlines = nlines};
    pthread_t wt;
    pthread_create(&wt, NULL, writer_main, &w);

    struct pipeline_opts opts = {.mode = PIPELINE_RUN};
    struct errbuf err;
    struct pipeline *p = pipeline_create(conf, &opts, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_int_eq(pipeline_start(p, &err), 0);
    if (stop_after_ms >= 0) {
        timeutil_sleep_ms(stop_after_ms);
        pipeline_stop(p);
    }
    ck_assert_int_eq(pipeline_wait(p), 0);
    close(STDIN_FILENO); /* the writer sees EPIPE if it is still going */
    pthread_join(wt, NULL);
    *committed = acktrack_committed(p->inputs[0].src->acks);
    *read_end = metrics_get(&metrics.bytes_read);
    pipeline_destroy(p);
    *nout = pipeline_read_output(out_path, seen, nlines, in_order);
    conf_destroy(conf);
    testutil_rmtree(dir);
    free(out_path);
    free(dir);
}

START_TEST(run_to_end_writes_every_line_once_in_order)
{
    int n = 20000;
    int *seen = xcalloc((size_t)n, sizeof(*seen));
    size_t nout;
    bool in_order;
    uint64_t committed, read_end;
    pipeline_run_case(1, n, -1, seen, &nout, &in_order, &committed, &read_end);
    ck_assert_uint_eq(nout, (size_t)n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert(in_order);
    uint64_t *ends = pipeline_line_ends(n);
    ck_assert_uint_eq(committed, ends[n - 1]);
    ck_assert_uint_eq(read_end, committed);
    free(ends);
    free(seen);
}
END_TEST

START_TEST(stop_in_flight_loses_nothing_acknowledged_writes_nothing_twice)
{
    int n = 400000;
    int *seen = xcalloc((size_t)n, sizeof(*seen));
    size_t nout;
    bool in_order;
    uint64_t committed, read_end;
    pipeline_run_case(2, n, 30, seen, &nout, &in_order, &committed, &read_end);
    /* Everything cut into events was drained and acknowledged before the
     * exit; only a partial line (less than one read) may be left behind. */
    ck_assert_uint_le(committed, read_end);
    ck_assert_uint_le(read_end - committed, 4096);
    ck_assert_uint_gt(nout, 0);
    /* Lines below the committed offset are each written once; none past it. */
    uint64_t *ends = pipeline_line_ends(n);
    for (int i = 0; i < n; i++) {
        if (ends[i] <= committed)
            ck_assert_msg(seen[i] == 1, "line %d written %d times", i, seen[i]);
        else
            ck_assert_msg(seen[i] == 0, "line %d past the commit point", i);
    }
    free(ends);
    free(seen);
}
END_TEST

static Suite *
pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("shutdown");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, run_to_end_writes_every_line_once_in_order);
    tcase_add_test(
        tc, stop_in_flight_loses_nothing_acknowledged_writes_nothing_twice);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    signal(SIGPIPE, SIG_IGN); /* the writer may outlive the read end */
    SRunner *sr = srunner_create(pipeline_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
