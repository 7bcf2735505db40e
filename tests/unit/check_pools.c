/*
 * The fixed pools: chunks and batches are recycled (emptied, keeping their
 * memory), a get on an empty pool waits for a put, chunk events grow past
 * their first allocation, and a batch's refs coalesce per range and finish
 * exactly the events the batch holds.
 */
#include "config.h"

#include "acktrack.h"
#include "batch.h"
#include "chunk.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_WAIT_MS 2000 /* upper bound only; never asserted */

/* A thread taking one chunk or batch from a pool, waiting forever. */
struct getter {
    struct chunk_pool *chunks;
    struct batch_pool *batches;
    pid_t tid;
    atomic_bool started;
    atomic_bool done;
    void *got;
};

static void *
getter_main(void *arg)
{
    struct getter *g = arg;
    g->tid = testutil_gettid();
    atomic_store(&g->started, true);
    if (g->chunks != NULL)
        g->got = chunk_pool_get(g->chunks, -1);
    else
        g->got = batch_pool_get(g->batches);
    atomic_store(&g->done, true);
    return NULL;
}

/* Starts g and returns once its thread sleeps (or seems to). */
static pthread_t
getter_start(struct getter *g)
{
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, getter_main, g), 0);
    while (!atomic_load(&g->started))
        sched_yield();
    testutil_wait_blocked(g->tid, BLOCK_WAIT_MS);
    return t;
}

START_TEST(chunk_get_put_recycles)
{
    struct chunk_pool *pool = chunk_pool_create(2, 1024);
    struct chunk *a = chunk_pool_get(pool, 0);
    struct chunk *b = chunk_pool_get(pool, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_null(chunk_pool_get(pool, 0));
    chunk_pool_put(a);
    ck_assert_ptr_eq(chunk_pool_get(pool, 0), a);
    chunk_pool_put(b);
    chunk_pool_put(a);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(chunk_put_empties_and_keeps_memory)
{
    struct chunk_pool *pool = chunk_pool_create(1, 1024);
    struct chunk *c = chunk_pool_get(pool, 0);
    struct acktrack *t = acktrack_create(0);
    ck_assert_int_eq(buf_append(&c->data, "hello\nworld\n", 12), 0);
    chunk_add_event(c, 0, 0, 5, 0);
    chunk_add_event(c, 6, 6, 5, 0);
    c->ack = acktrack_add(t, 12, 2);
    c->src = (const struct source *)t; /* any non-NULL pointer */
    struct chunk_event *events = c->events;
    char *data = c->data.data;
    struct ackrange *r = c->ack;
    chunk_pool_put(c);
    c = chunk_pool_get(pool, 0);
    ck_assert_uint_eq(c->nevents, 0);
    ck_assert_uint_eq(c->data.len, 0);
    ck_assert_ptr_null(c->ack);
    ck_assert_ptr_null(c->src);
    ck_assert_ptr_eq(c->events, events); /* capacity kept */
    ck_assert_ptr_eq(c->data.data, data);
    ck_assert_uint_ge(c->cap_events, 2);
    chunk_pool_put(c);
    ackrange_finish(r, 2); /* the range outlives the chunk */
    ck_assert_uint_eq(acktrack_committed(t), 12);
    acktrack_destroy(t);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(chunk_data_is_bounded_by_max_bytes)
{
    struct chunk_pool *pool = chunk_pool_create(1, 16);
    struct chunk *c = chunk_pool_get(pool, 0);
    ck_assert_int_eq(buf_append(&c->data, "0123456789abcdef", 16), 0);
    ck_assert_int_eq(buf_append(&c->data, "x", 1), -E2BIG);
    ck_assert_uint_eq(c->data.len, 16);
    chunk_pool_put(c);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(chunk_events_grow_past_first_allocation)
{
    enum { N = 5000 };
    struct chunk_pool *pool = chunk_pool_create(1, 64);
    struct chunk *c = chunk_pool_get(pool, 0);
    for (size_t i = 0; i < N; i++)
        chunk_add_event(c, 1000 + i * 3, i, i % 7, (unsigned)i & 3);
    ck_assert_uint_eq(c->nevents, N);
    size_t bad = 0;
    for (size_t i = 0; i < N; i++) {
        const struct chunk_event *e = &c->events[i];
        bad += e->offset != 1000 + i * 3 || e->start != i || e->len != i % 7 ||
               e->flags != ((unsigned)i & 3);
    }
    ck_assert_uint_eq(bad, 0);
    chunk_pool_put(c);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(chunk_get_times_out_when_empty)
{
    struct chunk_pool *pool = chunk_pool_create(1, 64);
    struct chunk *c = chunk_pool_get(pool, -1);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(chunk_pool_get(pool, 0));
    ck_assert_ptr_null(chunk_pool_get(pool, 20));
    chunk_pool_put(c);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(chunk_get_blocks_until_put)
{
    struct chunk_pool *pool = chunk_pool_create(1, 64);
    struct chunk *c = chunk_pool_get(pool, 0);
    struct getter g = {.chunks = pool};
    pthread_t t = getter_start(&g);
    ck_assert(!atomic_load(&g.done)); /* only a put can end the wait */
    chunk_pool_put(c);
    pthread_join(t, NULL);
    ck_assert_ptr_eq(g.got, c);
    chunk_pool_put(c);
    chunk_pool_destroy(pool);
}
END_TEST

START_TEST(batch_get_put_recycles)
{
    struct batch_pool *pool = batch_pool_create(2, 1024);
    struct batch *a = batch_pool_get(pool);
    struct batch *b = batch_pool_get(pool);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    batch_pool_put(b);
    ck_assert_ptr_eq(batch_pool_get(pool), b);
    batch_pool_put(a);
    batch_pool_put(b);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_put_empties_and_keeps_memory)
{
    struct batch_pool *pool = batch_pool_create(1, 1024);
    struct batch *b = batch_pool_get(pool);
    struct acktrack *t = acktrack_create(0);
    struct ackrange *r = acktrack_add(t, 10, 2);
    ck_assert_int_eq(buf_append_str(&b->body, "{}\n{}\n"), 0);
    ck_assert_int_eq(buf_append_str(&b->gz, "gz"), 0);
    batch_add_item(b, 0);
    batch_add_item(b, 3);
    batch_add_ref(b, r);
    batch_add_ref(b, r);
    b->first_event_ms = 42;
    b->n_indexed = 1;
    b->n_duplicate = 2;
    b->n_dead = 3;
    char *body = b->body.data;
    uint32_t *starts = b->item_starts;
    struct batch_ref *refs = b->refs;
    batch_pool_put(b);
    b = batch_pool_get(pool);
    ck_assert_uint_eq(b->body.len, 0);
    ck_assert_uint_eq(b->gz.len, 0);
    ck_assert_uint_eq(b->nitems, 0);
    ck_assert_uint_eq(b->nrefs, 0);
    ck_assert_int_eq(b->first_event_ms, 0);
    ck_assert_uint_eq(b->n_indexed + b->n_duplicate + b->n_dead, 0);
    ck_assert_ptr_eq(b->body.data, body); /* capacity kept */
    ck_assert_ptr_eq(b->item_starts, starts);
    ck_assert_ptr_eq(b->refs, refs);
    batch_pool_put(b);
    ackrange_finish(r, 2);
    acktrack_destroy(t);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_get_blocks_until_put)
{
    struct batch_pool *pool = batch_pool_create(1, 64);
    struct batch *b = batch_pool_get(pool);
    struct getter g = {.batches = pool};
    pthread_t t = getter_start(&g);
    ck_assert(!atomic_load(&g.done)); /* only a put can end the wait */
    batch_pool_put(b);
    pthread_join(t, NULL);
    ck_assert_ptr_eq(g.got, b);
    batch_pool_put(b);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_items_grow_past_first_allocation)
{
    enum { N = 10000 };
    struct batch_pool *pool = batch_pool_create(1, 0);
    struct batch *b = batch_pool_get(pool);
    for (size_t i = 0; i < N; i++)
        batch_add_item(b, i * 5);
    ck_assert_uint_eq(b->nitems, N);
    size_t bad = 0;
    for (size_t i = 0; i < N; i++)
        bad += b->item_starts[i] != i * 5;
    ck_assert_uint_eq(bad, 0);
    batch_pool_put(b);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_add_ref_coalesces_consecutive_refs_of_a_range)
{
    struct batch_pool *pool = batch_pool_create(1, 0);
    struct batch *b = batch_pool_get(pool);
    struct acktrack *t = acktrack_create(0);
    struct ackrange *ra = acktrack_add(t, 10, 3);
    struct ackrange *rb = acktrack_add(t, 20, 3);
    batch_add_ref(b, ra);
    batch_add_ref(b, ra);
    batch_add_ref(b, rb);
    batch_add_ref(b, rb);
    batch_add_ref(b, rb);
    batch_add_ref(b, ra); /* not consecutive: a new ref */
    ck_assert_uint_eq(b->nrefs, 3);
    ck_assert_ptr_eq(b->refs[0].range, ra);
    ck_assert_uint_eq(b->refs[0].count, 2);
    ck_assert_ptr_eq(b->refs[1].range, rb);
    ck_assert_uint_eq(b->refs[1].count, 3);
    ck_assert_ptr_eq(b->refs[2].range, ra);
    ck_assert_uint_eq(b->refs[2].count, 1);
    batch_finish_refs(b);
    ck_assert_uint_eq(b->nrefs, 0);
    ck_assert_uint_eq(acktrack_committed(t), 20);
    ck_assert(acktrack_idle(t));
    batch_pool_put(b);
    acktrack_destroy(t);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_refs_grow_past_first_allocation)
{
    enum { N = 300 };
    struct batch_pool *pool = batch_pool_create(1, 0);
    struct batch *b = batch_pool_get(pool);
    struct acktrack *t = acktrack_create(0);
    for (uint64_t i = 0; i < N; i++) {
        struct ackrange *r = acktrack_add(t, (i + 1) * 10, 2);
        batch_add_ref(b, r);
        batch_add_ref(b, r);
    }
    ck_assert_uint_eq(b->nrefs, N);
    batch_finish_refs(b);
    ck_assert_uint_eq(acktrack_committed(t), N * 10);
    ck_assert(acktrack_idle(t));
    batch_pool_put(b);
    acktrack_destroy(t);
    batch_pool_destroy(pool);
}
END_TEST

START_TEST(batch_finish_refs_finishes_only_its_counts)
{
    /* Two batches share range a; a commits only when both have finished. */
    struct batch_pool *pool = batch_pool_create(2, 0);
    struct batch *b1 = batch_pool_get(pool);
    struct batch *b2 = batch_pool_get(pool);
    struct acktrack *t = acktrack_create(0);
    struct ackrange *ra = acktrack_add(t, 100, 3);
    struct ackrange *rb = acktrack_add(t, 200, 2);
    batch_add_ref(b1, ra);
    batch_add_ref(b1, ra);
    batch_add_ref(b2, ra);
    batch_add_ref(b2, rb);
    batch_add_ref(b2, rb);
    batch_finish_refs(b2);
    ck_assert_uint_eq(acktrack_committed(t), 0); /* 2 events of a left */
    ck_assert(!acktrack_idle(t));
    batch_finish_refs(b1);
    ck_assert_uint_eq(acktrack_committed(t), 200);
    ck_assert(acktrack_idle(t));
    batch_pool_put(b1);
    batch_pool_put(b2);
    acktrack_destroy(t);
    batch_pool_destroy(pool);
}
END_TEST

static Suite *
chunk_suite(void)
{
    Suite *s = suite_create("chunk");
    TCase *tc = tcase_create("chunk");
    tcase_add_test(tc, chunk_get_put_recycles);
    tcase_add_test(tc, chunk_put_empties_and_keeps_memory);
    tcase_add_test(tc, chunk_data_is_bounded_by_max_bytes);
    tcase_add_test(tc, chunk_events_grow_past_first_allocation);
    tcase_add_test(tc, chunk_get_times_out_when_empty);
    tcase_add_test(tc, chunk_get_blocks_until_put);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *
batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_add_test(tc, batch_get_put_recycles);
    tcase_add_test(tc, batch_put_empties_and_keeps_memory);
    tcase_add_test(tc, batch_get_blocks_until_put);
    tcase_add_test(tc, batch_items_grow_past_first_allocation);
    tcase_add_test(tc, batch_add_ref_coalesces_consecutive_refs_of_a_range);
    tcase_add_test(tc, batch_refs_grow_past_first_allocation);
    tcase_add_test(tc, batch_finish_refs_finishes_only_its_counts);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(chunk_suite());
    srunner_add_suite(sr, batch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
