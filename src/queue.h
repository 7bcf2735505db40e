/*
 * A bounded blocking FIFO of pointers with close(), shared between threads.
 * A push hands over ownership of the item to whoever pops it. Once closed,
 * pushes fail with -EPIPE and pops drain what is left, then fail with
 * -EPIPE: that is how each stage of the pipeline learns to finish.
 */
#ifndef LOGSHIP_QUEUE_H
#define LOGSHIP_QUEUE_H

#include <stddef.h>

struct queue;

/* Returns a queue holding at most capacity items (capacity >= 1). */
struct queue *queue_create(size_t capacity);
/* Destroys an empty queue (asserts that it is empty). */
void queue_destroy(struct queue *q);

/* Blocks while full; takes ownership of item. Returns 0 or -EPIPE if closed. */
int queue_push(struct queue *q, void *item);
/*
 * Blocks up to timeout_ms (-1: forever) for an item. Returns 0 with *item
 * set (the caller now owns it), -ETIMEDOUT, or -EPIPE when closed and empty.
 */
int queue_pop(struct queue *q, void **item, int timeout_ms);
/* Wakes every waiter; later pushes fail, pops drain what is left. */
void queue_close(struct queue *q);
/* Number of items queued now (a snapshot, for metrics and tests). */
size_t queue_count(struct queue *q);

#endif
