/*
 * The chunk pool: every chunk is allocated when the pool is made and
 * recycled, keeping its buffers' capacity, so steady-state reading does
 * not allocate. Any thread may get and put chunks.
 */
#include "config.h"
#include "chunk.h"

#include "queue.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>

struct chunk_pool {
    struct queue *free; /* owned: chunks not in use */
    struct chunk *all;  /* owned: the count chunks */
    size_t count;
};

struct chunk_pool *
chunk_pool_create(size_t count, size_t max_bytes)
{
    struct chunk_pool *pool = xcalloc(1, sizeof(*pool));
    pool->free = queue_create(count);
    pool->all = xcalloc(count, sizeof(*pool->all));
    pool->count = count;
    for (size_t i = 0; i < count; i++) {
        struct chunk *c = &pool->all[i];
        buf_init(&c->data, max_bytes);
        c->pool = pool;
        queue_push(pool->free, c);
    }
    return pool;
}

void
chunk_pool_destroy(struct chunk_pool *pool)
{
    if (pool == NULL)
        return;
    void *item;
    size_t n = 0;
    while (queue_pop(pool->free, &item, 0) == 0)
        n++;
    (void)n;
    for (size_t i = 0; i < pool->count; i++) {
        buf_fini(&pool->all[i].data);
        free(pool->all[i].events);
    }
    queue_destroy(pool->free);
    free(pool->all);
    free(pool);
}

struct chunk *
chunk_pool_get(struct chunk_pool *pool, int timeout_ms)
{
    void *item;
    if (queue_pop(pool->free, &item, timeout_ms) < 0)
        return NULL;
    return item;
}

void
chunk_pool_put(struct chunk *c)
{
    c->src = NULL;
    c->ack = NULL;
    c->nevents = 0;
    buf_reset(&c->data);
    queue_push(c->pool->free, c);
}

void
chunk_add_event(struct chunk *c, uint64_t offset, size_t start, size_t len,
                unsigned flags)
{
    if (c->nevents == c->cap_events) {
        c->cap_events = c->cap_events ? c->cap_events * 2 : 1024;
        c->events = xrealloc(c->events, c->cap_events * sizeof(*c->events));
    }
    struct chunk_event *e = &c->events[c->nevents++];
    e->offset = offset;
    e->start = (uint32_t)start;
    e->len = (uint32_t)len;
    e->flags = flags;
}
