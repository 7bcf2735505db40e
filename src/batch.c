/*
 * The batch pool. Batches are made once and recycled; their buffers keep
 * their capacity, so steady-state batching does not allocate.
 */
#include "config.h"
#include "batch.h"

#include "queue.h"
#include "xalloc.h"

#include <stdlib.h>

struct batch_pool {
    struct queue *free; /* owned: batches not in use */
    struct batch *all;  /* owned */
    size_t count;
};

struct batch_pool *
batch_pool_create(size_t count, size_t max_body_bytes)
{
    struct batch_pool *pool = xcalloc(1, sizeof(*pool));
    pool->free = queue_create(count);
    pool->all = xcalloc(count, sizeof(*pool->all));
    pool->count = count;
    for (size_t i = 0; i < count; i++) {
        struct batch *b = &pool->all[i];
        buf_init(&b->body, max_body_bytes);
        buf_init(&b->gz, 0);
        b->pool = pool;
        queue_push(pool->free, b);
    }
    return pool;
}

void
batch_pool_destroy(struct batch_pool *pool)
{
    if (pool == NULL)
        return;
    void *item;
    while (queue_pop(pool->free, &item, 0) == 0)
        ;
    for (size_t i = 0; i < pool->count; i++) {
        struct batch *b = &pool->all[i];
        buf_fini(&b->body);
        buf_fini(&b->gz);
        free(b->item_starts);
        free(b->refs);
    }
    queue_destroy(pool->free);
    free(pool->all);
    free(pool);
}

struct batch *
batch_pool_get(struct batch_pool *pool)
{
    void *item = NULL;
    queue_pop(pool->free, &item, -1);
    return item;
}

void
batch_pool_put(struct batch *b)
{
    buf_reset(&b->body);
    buf_reset(&b->gz);
    b->nitems = 0;
    b->nrefs = 0;
    b->first_event_ms = 0;
    b->n_indexed = b->n_duplicate = b->n_dead = 0;
    queue_push(b->pool->free, b);
}

void
batch_add_item(struct batch *b, size_t start)
{
    if (b->nitems == b->cap_items) {
        b->cap_items = b->cap_items ? b->cap_items * 2 : 4096;
        b->item_starts =
            xrealloc(b->item_starts, b->cap_items * sizeof(*b->item_starts));
    }
    b->item_starts[b->nitems++] = (uint32_t)start;
}

void
batch_add_ref(struct batch *b, struct ackrange *range)
{
    if (b->nrefs > 0 && b->refs[b->nrefs - 1].range == range) {
        b->refs[b->nrefs - 1].count++;
        return;
    }
    if (b->nrefs == b->cap_refs) {
        b->cap_refs = b->cap_refs ? b->cap_refs * 2 : 64;
        b->refs = xrealloc(b->refs, b->cap_refs * sizeof(*b->refs));
    }
    b->refs[b->nrefs].range = range;
    b->refs[b->nrefs].count = 1;
    b->nrefs++;
}

void
batch_finish_refs(struct batch *b)
{
    for (size_t i = 0; i < b->nrefs; i++)
        ackrange_finish(b->refs[i].range, b->refs[i].count);
    b->nrefs = 0;
}
