/*
 * Bounded blocking queue: a ring of pointers under one mutex with two
 * condition variables. Waits use CLOCK_MONOTONIC so a wall-clock jump never
 * stretches a flush interval. Any thread may call any function.
 */
#include "config.h"
#include "queue.h"

#include "timeutil.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    void **ring; /* owned; items are owned by the queue while queued */
    size_t capacity;
    size_t head;
    size_t count;
    bool closed;
};

struct queue *
queue_create(size_t capacity)
{
    assert(capacity >= 1);
    struct queue *q = xcalloc(1, sizeof(*q));
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, &attr);
    pthread_cond_init(&q->not_full, &attr);
    pthread_condattr_destroy(&attr);
    q->ring = xcalloc(capacity, sizeof(*q->ring));
    q->capacity = capacity;
    return q;
}

void
queue_destroy(struct queue *q)
{
    if (q == NULL)
        return;
    assert(q->count == 0);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q);
}

int
queue_push(struct queue *q, void *item)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity && !q->closed)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->closed) {
        pthread_mutex_unlock(&q->lock);
        return -EPIPE;
    }
    q->ring[(q->head + q->count) % q->capacity] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int
queue_pop(struct queue *q, void **item, int timeout_ms)
{
    struct timespec deadline;
    if (timeout_ms >= 0)
        deadline = timeutil_deadline(timeout_ms);
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->not_empty, &q->lock);
        } else if (pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline) ==
                   ETIMEDOUT) {
            if (q->count == 0 && !q->closed) {
                pthread_mutex_unlock(&q->lock);
                return -ETIMEDOUT;
            }
        }
    }
    if (q->count == 0) {
        pthread_mutex_unlock(&q->lock);
        return -EPIPE;
    }
    *item = q->ring[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void
queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t
queue_count(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
