/*
 * A chunk: a run of complete events cut from one source, in a read buffer
 * the input fills and a worker encodes. Chunks come from a fixed pool per
 * input; the pool's size bounds the input's memory, and an input that
 * finds the pool empty waits, which is how a slow output stops reading.
 * Once encoded, the worker puts the chunk back at once: acknowledgement is
 * tracked by the chunk's ackrange, which outlives it.
 */
#ifndef LOGSHIP_CHUNK_H
#define LOGSHIP_CHUNK_H

#include "acktrack.h"
#include "buf.h"

#include <stdint.h>

struct source;

struct chunk_event {
    uint64_t offset; /* in the source's byte stream */
    uint32_t start;  /* in chunk->data */
    uint32_t len;
    unsigned flags; /* enum event_flag */
};

struct chunk {
    const struct source *src;   /* borrowed: outlives every chunk of it */
    struct ackrange *ack;       /* borrowed: owned by src's acktrack */
    int64_t read_time_ns;       /* wall clock when the bytes were read */
    struct buf data;            /* owned: the bytes events point into */
    struct chunk_event *events; /* owned */
    size_t nevents;
    size_t cap_events;
    struct chunk_pool *pool; /* borrowed: where chunk_pool_put returns it */
};

struct chunk_pool;

/* Makes count chunks whose data may grow to max_bytes each. */
struct chunk_pool *chunk_pool_create(size_t count, size_t max_bytes);
/* Frees the pool; every chunk must have been put back. */
void chunk_pool_destroy(struct chunk_pool *pool);
/*
 * Takes an empty chunk, waiting up to timeout_ms (-1: forever). Returns
 * NULL on timeout. The caller owns the chunk until it is put back.
 */
struct chunk *chunk_pool_get(struct chunk_pool *pool, int timeout_ms);
/* Empties c and returns it to its pool (takes ownership). */
void chunk_pool_put(struct chunk *c);

/* Appends an event record; start and len index c->data. */
void chunk_add_event(struct chunk *c, uint64_t offset, size_t start, size_t len,
                     unsigned flags);

#endif
