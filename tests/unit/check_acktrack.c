/*
 * Per-source acknowledgement tracking: the committed offset moves only
 * over a contiguous prefix of finished ranges, however ranges finish;
 * zero-event ranges; waiting for idle with a timeout and while another
 * thread finishes; and finishes racing from several threads.
 */
#include "config.h"

#include "acktrack.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_WAIT_MS 2000 /* upper bound only; never asserted */

START_TEST(new_tracker_is_idle_at_start_offset)
{
    struct acktrack *t = acktrack_create(1234);
    ck_assert_uint_eq(acktrack_committed(t), 1234);
    ck_assert(acktrack_idle(t));
    ck_assert(acktrack_wait_idle(t, 0));
    ck_assert(acktrack_wait_idle(t, -1));
    acktrack_destroy(t);
}
END_TEST

START_TEST(in_order_finishes_move_committed_range_by_range)
{
    struct acktrack *t = acktrack_create(0);
    struct ackrange *a = acktrack_add(t, 100, 2);
    struct ackrange *b = acktrack_add(t, 250, 1);
    ck_assert(!acktrack_idle(t));
    ck_assert_uint_eq(acktrack_committed(t), 0);
    ackrange_finish(a, 1);
    ck_assert_uint_eq(acktrack_committed(t), 0); /* a half done */
    ackrange_finish(a, 1);
    ck_assert_uint_eq(acktrack_committed(t), 100);
    ck_assert(!acktrack_idle(t));
    ackrange_finish(b, 1);
    ck_assert_uint_eq(acktrack_committed(t), 250);
    ck_assert(acktrack_idle(t));
    acktrack_destroy(t);
}
END_TEST

START_TEST(committed_moves_only_over_contiguous_prefix)
{
    struct acktrack *t = acktrack_create(10);
    struct ackrange *r1 = acktrack_add(t, 100, 3);
    struct ackrange *r2 = acktrack_add(t, 200, 2);
    struct ackrange *r3 = acktrack_add(t, 300, 1);
    ackrange_finish(r3, 1);
    ck_assert_uint_eq(acktrack_committed(t), 10);
    ackrange_finish(r1, 3);
    ck_assert_uint_eq(acktrack_committed(t), 100);
    ck_assert(!acktrack_idle(t));
    ackrange_finish(r2, 1);
    ck_assert_uint_eq(acktrack_committed(t), 100);
    ackrange_finish(r2, 1);
    ck_assert_uint_eq(acktrack_committed(t), 300);
    ck_assert(acktrack_idle(t));
    acktrack_destroy(t);
}
END_TEST

START_TEST(ranges_finished_in_reverse_commit_all_at_once)
{
    enum { N = 50 };
    struct acktrack *t = acktrack_create(0);
    struct ackrange *r[N];
    for (int i = 0; i < N; i++)
        r[i] = acktrack_add(t, (uint64_t)(i + 1) * 10, 1);
    for (int i = N - 1; i > 0; i--) {
        ackrange_finish(r[i], 1);
        ck_assert_uint_eq(acktrack_committed(t), 0);
    }
    ackrange_finish(r[0], 1);
    ck_assert_uint_eq(acktrack_committed(t), N * 10);
    ck_assert(acktrack_idle(t));
    acktrack_destroy(t);
}
END_TEST

START_TEST(zero_event_range_at_head_commits_at_once)
{
    struct acktrack *t = acktrack_create(0);
    acktrack_add(t, 50, 0); /* finished at once; never used */
    ck_assert_uint_eq(acktrack_committed(t), 50);
    ck_assert(acktrack_idle(t));
    acktrack_destroy(t);
}
END_TEST

START_TEST(zero_event_range_waits_for_ranges_before_it)
{
    struct acktrack *t = acktrack_create(0);
    struct ackrange *a = acktrack_add(t, 100, 1);
    acktrack_add(t, 150, 0);
    struct ackrange *c = acktrack_add(t, 200, 1);
    ck_assert_uint_eq(acktrack_committed(t), 0);
    ackrange_finish(a, 1);
    ck_assert_uint_eq(acktrack_committed(t), 150);
    ck_assert(!acktrack_idle(t));
    acktrack_add(t, 250, 0); /* behind c: waits for c */
    ck_assert_uint_eq(acktrack_committed(t), 150);
    ackrange_finish(c, 1);
    ck_assert_uint_eq(acktrack_committed(t), 250);
    ck_assert(acktrack_idle(t));
    acktrack_destroy(t);
}
END_TEST

START_TEST(destroy_frees_pending_ranges)
{
    /* LeakSanitizer fails this test if pending ranges leak. */
    struct acktrack *t = acktrack_create(0);
    acktrack_add(t, 10, 1);
    acktrack_add(t, 20, 0);
    acktrack_add(t, 30, 5);
    ck_assert_uint_eq(acktrack_committed(t), 0);
    acktrack_destroy(t);
}
END_TEST

START_TEST(wait_idle_times_out_while_pending)
{
    struct acktrack *t = acktrack_create(0);
    struct ackrange *r = acktrack_add(t, 10, 1);
    ck_assert(!acktrack_wait_idle(t, 0));
    ck_assert(!acktrack_wait_idle(t, 20));
    ackrange_finish(r, 1);
    ck_assert(acktrack_wait_idle(t, 0));
    ck_assert(acktrack_wait_idle(t, -1));
    acktrack_destroy(t);
}
END_TEST

struct finisher {
    struct acktrack *t;
    struct ackrange **ranges;
    size_t nranges;
    pid_t waiter_tid; /* finish only once this thread sleeps */
};

static void *
finisher_main(void *arg)
{
    const struct finisher *f = arg;
    testutil_wait_blocked(f->waiter_tid, BLOCK_WAIT_MS);
    /* Last first, so the wake-up comes only with the final finish. */
    for (size_t i = f->nranges; i-- > 0;)
        ackrange_finish(f->ranges[i], 1);
    return NULL;
}

static void
wait_idle_while_thread_finishes(int timeout_ms)
{
    struct acktrack *t = acktrack_create(0);
    struct ackrange *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = acktrack_add(t, (uint64_t)(i + 1) * 100, 1);
    struct finisher f = {t, r, 3, testutil_gettid()};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, finisher_main, &f), 0);
    ck_assert(acktrack_wait_idle(t, timeout_ms));
    ck_assert_uint_eq(acktrack_committed(t), 300);
    pthread_join(th, NULL);
    acktrack_destroy(t);
}

START_TEST(wait_idle_returns_when_another_thread_finishes)
{
    wait_idle_while_thread_finishes(-1);
}
END_TEST

START_TEST(timed_wait_idle_returns_when_another_thread_finishes)
{
    wait_idle_while_thread_finishes(60000);
}
END_TEST

#define RACE_THREADS 4
#define RACE_RANGES  2000
#define RACE_EVENTS  (2 * RACE_THREADS) /* per range: two per thread */

struct racer {
    struct ackrange **ranges;
    struct acktrack *t;
    int id;
    atomic_int *errors;
};

static void *
racer_main(void *arg)
{
    const struct racer *r = arg;
    uint64_t last = 0;
    /* Half the threads go forwards, half backwards, some in one call of
     * two events and some in two calls of one. */
    for (size_t k = 0; k < RACE_RANGES; k++) {
        size_t i = r->id % 2 ? RACE_RANGES - 1 - k : k;
        if (r->id < RACE_THREADS / 2) {
            ackrange_finish(r->ranges[i], 2);
        } else {
            ackrange_finish(r->ranges[i], 1);
            ackrange_finish(r->ranges[i], 1);
        }
        uint64_t now = acktrack_committed(r->t);
        if (now < last || now % 7 != 0)
            atomic_fetch_add(r->errors, 1);
        last = now;
    }
    return NULL;
}

START_TEST(concurrent_finishes_commit_everything_once)
{
    struct acktrack *t = acktrack_create(0);
    struct ackrange **ranges = calloc(RACE_RANGES, sizeof(*ranges));
    ck_assert_ptr_nonnull(ranges);
    for (size_t i = 0; i < RACE_RANGES; i++)
        ranges[i] = acktrack_add(t, (uint64_t)(i + 1) * 7, RACE_EVENTS);
    atomic_int errors = 0;
    pthread_t th[RACE_THREADS];
    struct racer rc[RACE_THREADS];
    for (int k = 0; k < RACE_THREADS; k++) {
        rc[k] = (struct racer){ranges, t, k, &errors};
        ck_assert_int_eq(pthread_create(&th[k], NULL, racer_main, &rc[k]), 0);
    }
    for (int k = 0; k < RACE_THREADS; k++)
        pthread_join(th[k], NULL);
    ck_assert_int_eq(atomic_load(&errors), 0);
    ck_assert(acktrack_idle(t));
    ck_assert_uint_eq(acktrack_committed(t), (uint64_t)RACE_RANGES * 7);
    free(ranges);
    acktrack_destroy(t);
}
END_TEST

static Suite *
acktrack_suite(void)
{
    Suite *s = suite_create("acktrack");
    TCase *tc = tcase_create("acktrack");
    tcase_add_test(tc, new_tracker_is_idle_at_start_offset);
    tcase_add_test(tc, in_order_finishes_move_committed_range_by_range);
    tcase_add_test(tc, committed_moves_only_over_contiguous_prefix);
    tcase_add_test(tc, ranges_finished_in_reverse_commit_all_at_once);
    tcase_add_test(tc, zero_event_range_at_head_commits_at_once);
    tcase_add_test(tc, zero_event_range_waits_for_ranges_before_it);
    tcase_add_test(tc, destroy_frees_pending_ranges);
    tcase_add_test(tc, wait_idle_times_out_while_pending);
    tcase_add_test(tc, wait_idle_returns_when_another_thread_finishes);
    tcase_add_test(tc, timed_wait_idle_returns_when_another_thread_finishes);
    tcase_add_test(tc, concurrent_finishes_commit_everything_once);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(acktrack_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
