/*
 * The bounded blocking queue: FIFO order across the ring's wraparound,
 * push blocking while full, pop timeouts, close waking blocked pushers and
 * poppers while pops still drain what is left, and many producers with
 * many consumers delivering each item exactly once.
 */
#include "config.h"

#include "queue.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_WAIT_MS 2000 /* upper bound only; never asserted */

/* Items are small integers disguised as pointers; never NULL. */
static void *
item(uintptr_t n)
{
    return (void *)(n + 1);
}

static uintptr_t
item_n(void *p)
{
    return (uintptr_t)p - 1;
}

/* A thread doing one push or pop, reporting its result. */
struct blocked_op {
    struct queue *q;
    void *item;
    int timeout_ms;
    pid_t tid;
    atomic_bool started;
    atomic_bool done;
    int rc;
};

static void *
blocked_push_main(void *arg)
{
    struct blocked_op *op = arg;
    op->tid = testutil_gettid();
    atomic_store(&op->started, true);
    op->rc = queue_push(op->q, op->item);
    atomic_store(&op->done, true);
    return NULL;
}

static void *
blocked_pop_main(void *arg)
{
    struct blocked_op *op = arg;
    op->tid = testutil_gettid();
    atomic_store(&op->started, true);
    op->rc = queue_pop(op->q, &op->item, op->timeout_ms);
    atomic_store(&op->done, true);
    return NULL;
}

/* Starts fn on op and returns once op's thread sleeps (or seems to). */
static pthread_t
start_blocked(void *(*fn)(void *), struct blocked_op *op)
{
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fn, op), 0);
    while (!atomic_load(&op->started))
        sched_yield();
    testutil_wait_blocked(op->tid, BLOCK_WAIT_MS);
    return t;
}

START_TEST(push_then_pop_keeps_fifo_order)
{
    struct queue *q = queue_create(4);
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(queue_push(q, item(i)), 0);
    ck_assert_uint_eq(queue_count(q), 4);
    for (uintptr_t i = 0; i < 4; i++) {
        void *p = NULL;
        ck_assert_int_eq(queue_pop(q, &p, 0), 0);
        ck_assert_uint_eq(item_n(p), i);
    }
    ck_assert_uint_eq(queue_count(q), 0);
    queue_destroy(q);
}
END_TEST

START_TEST(items_keep_fifo_order_across_wraparound)
{
    struct queue *q = queue_create(3);
    uintptr_t next_in = 0, next_out = 0;
    /* Fill levels 1, 2 and 3 in turn move head all around the ring. */
    for (int round = 0; round < 1000; round++) {
        size_t fill = (size_t)round % 3 + 1;
        for (size_t k = 0; k < fill; k++)
            ck_assert_int_eq(queue_push(q, item(next_in++)), 0);
        ck_assert_uint_eq(queue_count(q), fill);
        for (size_t k = 0; k < fill; k++) {
            void *p = NULL;
            ck_assert_int_eq(queue_pop(q, &p, 0), 0);
            ck_assert_uint_eq(item_n(p), next_out++);
        }
    }
    /* And with the ring kept partly full across the wrap. */
    ck_assert_int_eq(queue_push(q, item(next_in++)), 0);
    for (int k = 0; k < 100; k++) {
        void *p = NULL;
        ck_assert_int_eq(queue_push(q, item(next_in++)), 0);
        ck_assert_int_eq(queue_pop(q, &p, 0), 0);
        ck_assert_uint_eq(item_n(p), next_out++);
    }
    void *p = NULL;
    ck_assert_int_eq(queue_pop(q, &p, 0), 0);
    ck_assert_uint_eq(item_n(p), next_out++);
    ck_assert_uint_eq(next_in, next_out);
    queue_destroy(q);
}
END_TEST

START_TEST(capacity_one_alternates)
{
    struct queue *q = queue_create(1);
    for (uintptr_t i = 0; i < 10; i++) {
        void *p = NULL;
        ck_assert_int_eq(queue_push(q, item(i)), 0);
        ck_assert_uint_eq(queue_count(q), 1);
        ck_assert_int_eq(queue_pop(q, &p, 0), 0);
        ck_assert_uint_eq(item_n(p), i);
    }
    queue_destroy(q);
}
END_TEST

START_TEST(push_blocks_when_full)
{
    struct queue *q = queue_create(2);
    ck_assert_int_eq(queue_push(q, item(0)), 0);
    ck_assert_int_eq(queue_push(q, item(1)), 0);
    struct blocked_op op = {.q = q, .item = item(2)};
    pthread_t t = start_blocked(blocked_push_main, &op);
    /* Nothing can complete the push but room in the queue. */
    ck_assert(!atomic_load(&op.done));
    ck_assert_uint_eq(queue_count(q), 2);
    void *p = NULL;
    ck_assert_int_eq(queue_pop(q, &p, 0), 0);
    ck_assert_uint_eq(item_n(p), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(op.rc, 0);
    for (uintptr_t i = 1; i <= 2; i++) {
        ck_assert_int_eq(queue_pop(q, &p, 0), 0);
        ck_assert_uint_eq(item_n(p), i);
    }
    queue_destroy(q);
}
END_TEST

START_TEST(pop_times_out)
{
    struct queue *q = queue_create(2);
    void *p = item(99);
    ck_assert_int_eq(queue_pop(q, &p, 0), -ETIMEDOUT);
    ck_assert_int_eq(queue_pop(q, &p, 20), -ETIMEDOUT);
    ck_assert_uint_eq(item_n(p), 99); /* untouched on failure */
    queue_destroy(q);
}
END_TEST

START_TEST(pop_with_timeout_gets_item_pushed_while_waiting)
{
    struct queue *q = queue_create(2);
    struct blocked_op op = {.q = q, .timeout_ms = 60000};
    pthread_t t = start_blocked(blocked_pop_main, &op);
    ck_assert_int_eq(queue_push(q, item(7)), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(op.rc, 0);
    ck_assert_uint_eq(item_n(op.item), 7);
    queue_destroy(q);
}
END_TEST

START_TEST(close_wakes_blocked_pop)
{
    struct queue *q = queue_create(2);
    struct blocked_op op = {.q = q, .timeout_ms = -1};
    pthread_t t = start_blocked(blocked_pop_main, &op);
    ck_assert(!atomic_load(&op.done));
    queue_close(q);
    pthread_join(t, NULL);
    ck_assert_int_eq(op.rc, -EPIPE);
    queue_destroy(q);
}
END_TEST

START_TEST(close_wakes_blocked_timed_pop)
{
    struct queue *q = queue_create(2);
    struct blocked_op op = {.q = q, .timeout_ms = 60000};
    pthread_t t = start_blocked(blocked_pop_main, &op);
    queue_close(q);
    pthread_join(t, NULL);
    ck_assert_int_eq(op.rc, -EPIPE);
    queue_destroy(q);
}
END_TEST

START_TEST(close_wakes_blocked_push)
{
    struct queue *q = queue_create(1);
    ck_assert_int_eq(queue_push(q, item(0)), 0);
    struct blocked_op op = {.q = q, .item = item(1)};
    pthread_t t = start_blocked(blocked_push_main, &op);
    ck_assert(!atomic_load(&op.done));
    queue_close(q);
    pthread_join(t, NULL);
    ck_assert_int_eq(op.rc, -EPIPE);
    /* The failed push left the queue as it was. */
    ck_assert_uint_eq(queue_count(q), 1);
    void *p = NULL;
    ck_assert_int_eq(queue_pop(q, &p, -1), 0);
    ck_assert_uint_eq(item_n(p), 0);
    ck_assert_int_eq(queue_pop(q, &p, -1), -EPIPE);
    queue_destroy(q);
}
END_TEST

START_TEST(push_after_close_fails)
{
    struct queue *q = queue_create(2);
    queue_close(q);
    ck_assert_int_eq(queue_push(q, item(0)), -EPIPE);
    ck_assert_uint_eq(queue_count(q), 0);
    queue_close(q); /* closing twice is harmless */
    queue_destroy(q);
}
END_TEST

START_TEST(pop_drains_after_close)
{
    struct queue *q = queue_create(4);
    for (uintptr_t i = 0; i < 3; i++)
        ck_assert_int_eq(queue_push(q, item(i)), 0);
    queue_close(q);
    void *p = NULL;
    ck_assert_int_eq(queue_pop(q, &p, -1), 0);
    ck_assert_uint_eq(item_n(p), 0);
    ck_assert_int_eq(queue_pop(q, &p, 0), 0);
    ck_assert_uint_eq(item_n(p), 1);
    ck_assert_int_eq(queue_pop(q, &p, 50), 0);
    ck_assert_uint_eq(item_n(p), 2);
    /* Closed and empty: -EPIPE at once, whatever the timeout. */
    ck_assert_int_eq(queue_pop(q, &p, -1), -EPIPE);
    ck_assert_int_eq(queue_pop(q, &p, 0), -EPIPE);
    ck_assert_int_eq(queue_pop(q, &p, 60000), -EPIPE);
    queue_destroy(q);
}
END_TEST

#define MPMC_THREADS 4
#define MPMC_ITEMS   100000
#define MPMC_CAP     64

struct mpmc {
    struct queue *q;
    atomic_int *seen; /* per item: times popped */
    atomic_uint_fast64_t sum;
    atomic_size_t popped;
    atomic_int errors; /* out of range or out of order */
    atomic_int push_failures;
};

struct mpmc_producer {
    struct mpmc *m;
    uintptr_t first; /* pushes first, first + MPMC_THREADS, ... */
};

static void *
mpmc_producer_main(void *arg)
{
    struct mpmc_producer *pr = arg;
    for (uintptr_t i = pr->first; i < MPMC_ITEMS; i += MPMC_THREADS) {
        if (queue_push(pr->m->q, item(i)) < 0)
            atomic_fetch_add(&pr->m->push_failures, 1);
    }
    return NULL;
}

static void *
mpmc_consumer_main(void *arg)
{
    struct mpmc *m = arg;
    uint64_t sum = 0;
    size_t n = 0;
    uintptr_t last[MPMC_THREADS];
    for (int k = 0; k < MPMC_THREADS; k++)
        last[k] = UINTPTR_MAX;
    void *p;
    /* No ck_assert per item: each one writes a mark to the parent. */
    while (queue_pop(m->q, &p, -1) == 0) {
        uintptr_t i = item_n(p);
        if (i >= MPMC_ITEMS) {
            atomic_fetch_add(&m->errors, 1);
            continue;
        }
        /* One producer's items reach any one consumer in order. */
        uintptr_t from = i % MPMC_THREADS;
        if (last[from] != UINTPTR_MAX && last[from] >= i)
            atomic_fetch_add(&m->errors, 1);
        last[from] = i;
        atomic_fetch_add(&m->seen[i], 1);
        sum += i;
        n++;
    }
    atomic_fetch_add(&m->sum, sum);
    atomic_fetch_add(&m->popped, n);
    return NULL;
}

START_TEST(many_producers_many_consumers_each_item_once)
{
    struct mpmc m = {.q = queue_create(MPMC_CAP)};
    m.seen = calloc(MPMC_ITEMS, sizeof(*m.seen));
    ck_assert_ptr_nonnull(m.seen);
    pthread_t prod[MPMC_THREADS], cons[MPMC_THREADS];
    struct mpmc_producer pr[MPMC_THREADS];
    for (int k = 0; k < MPMC_THREADS; k++) {
        ck_assert_int_eq(pthread_create(&cons[k], NULL, mpmc_consumer_main, &m),
                         0);
    }
    for (int k = 0; k < MPMC_THREADS; k++) {
        pr[k] = (struct mpmc_producer){.m = &m, .first = (uintptr_t)k};
        ck_assert_int_eq(
            pthread_create(&prod[k], NULL, mpmc_producer_main, &pr[k]), 0);
    }
    for (int k = 0; k < MPMC_THREADS; k++)
        pthread_join(prod[k], NULL);
    queue_close(m.q);
    for (int k = 0; k < MPMC_THREADS; k++)
        pthread_join(cons[k], NULL);
    ck_assert_int_eq(atomic_load(&m.push_failures), 0);
    ck_assert_int_eq(atomic_load(&m.errors), 0);
    ck_assert_uint_eq(atomic_load(&m.popped), MPMC_ITEMS);
    uint64_t want = (uint64_t)MPMC_ITEMS * (MPMC_ITEMS - 1) / 2;
    ck_assert_uint_eq(atomic_load(&m.sum), want);
    size_t not_once = 0;
    for (size_t i = 0; i < MPMC_ITEMS; i++)
        not_once += atomic_load(&m.seen[i]) != 1;
    ck_assert_uint_eq(not_once, 0);
    free(m.seen);
    queue_destroy(m.q);
}
END_TEST

static Suite *
queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, push_then_pop_keeps_fifo_order);
    tcase_add_test(tc, items_keep_fifo_order_across_wraparound);
    tcase_add_test(tc, capacity_one_alternates);
    tcase_add_test(tc, push_blocks_when_full);
    tcase_add_test(tc, pop_times_out);
    tcase_add_test(tc, pop_with_timeout_gets_item_pushed_while_waiting);
    tcase_add_test(tc, close_wakes_blocked_pop);
    tcase_add_test(tc, close_wakes_blocked_timed_pop);
    tcase_add_test(tc, close_wakes_blocked_push);
    tcase_add_test(tc, push_after_close_fails);
    tcase_add_test(tc, pop_drains_after_close);
    tcase_add_test(tc, many_producers_many_consumers_each_item_once);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(queue_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
