/*
 * A batch: the NDJSON body workers encode events into, where each item
 * starts (so an output can rebuild a body from failed items only), the
 * ackranges it holds events of, its compressed body, and its outcome
 * counts. Batches come from one fixed pool per pipeline: the pool's size is
 * the memory bound of everything downstream of the workers. A batch belongs
 * to one worker while it fills, then to the output, then to the pool.
 */
#ifndef LOGSHIP_BATCH_H
#define LOGSHIP_BATCH_H

#include "acktrack.h"
#include "buf.h"

#include <stddef.h>
#include <stdint.h>

struct batch_ref {
    struct ackrange *range; /* borrowed: owned by its source's acktrack */
    uint32_t count;         /* events of range in this batch */
};

struct batch {
    struct buf body;       /* owned: uncompressed NDJSON */
    uint32_t *item_starts; /* owned: offset in body of each item */
    size_t nitems;
    size_t cap_items;
    struct batch_ref *refs; /* owned */
    size_t nrefs;
    size_t cap_refs;
    struct buf gz; /* owned: compressed body, if the output wants one */
    int64_t first_event_ms; /* monotonic time the first item was added */
    /* Outcome counts, filled by the output before it acks the batch. */
    uint64_t n_indexed;
    uint64_t n_duplicate;
    uint64_t n_dead;
    struct batch_pool *pool; /* borrowed */
};

struct batch_pool;

/* Makes count batches whose bodies may grow to max_body_bytes each. */
struct batch_pool *batch_pool_create(size_t count, size_t max_body_bytes);
/* Frees the pool; every batch must have been put back. */
void batch_pool_destroy(struct batch_pool *pool);
/* Takes an empty batch, waiting while none is free. The caller owns it. */
struct batch *batch_pool_get(struct batch_pool *pool);
/* Empties b (keeping its memory) and returns it to the pool. */
void batch_pool_put(struct batch *b);

/* Records that the item starting at body offset start was added. */
void batch_add_item(struct batch *b, size_t start);
/* Records that one more event of range is in b. */
void batch_add_ref(struct batch *b, struct ackrange *range);
/* Finishes every event the batch holds (see acktrack.h). */
void batch_finish_refs(struct batch *b);

#endif
