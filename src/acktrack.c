/*
 * Ordered ranges awaiting acknowledgement, per source. One mutex per source,
 * taken once per range (a chunk of events), never per line. A finished
 * range at the head moves the committed offset and is freed; one finished
 * out of order waits for those before it.
 */
#include "config.h"
#include "acktrack.h"

#include "timeutil.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct ackrange {
    struct acktrack *track; /* borrowed: the owner */
    uint64_t end_offset;
    atomic_uint_fast32_t pending;
    bool finished;         /* under track->lock */
    struct ackrange *next; /* owned by the track's list */
};

struct acktrack {
    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct ackrange *head; /* owned: oldest pending range */
    struct ackrange *tail; /* borrowed */
    uint64_t committed;
};

struct acktrack *
acktrack_create(uint64_t start_offset)
{
    struct acktrack *t = xcalloc(1, sizeof(*t));
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->idle, &attr);
    pthread_condattr_destroy(&attr);
    t->committed = start_offset;
    return t;
}

void
acktrack_destroy(struct acktrack *t)
{
    if (t == NULL)
        return;
    struct ackrange *r = t->head;
    while (r != NULL) {
        struct ackrange *next = r->next;
        free(r);
        r = next;
    }
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->idle);
    free(t);
}

/* Pops finished ranges off the head; called with the lock held. */
static void
acktrack_advance(struct acktrack *t)
{
    while (t->head != NULL && t->head->finished) {
        struct ackrange *r = t->head;
        t->committed = r->end_offset;
        t->head = r->next;
        if (t->head == NULL)
            t->tail = NULL;
        free(r);
    }
    if (t->head == NULL)
        pthread_cond_broadcast(&t->idle);
}

struct ackrange *
acktrack_add(struct acktrack *t, uint64_t end_offset, uint32_t nevents)
{
    struct ackrange *r = xcalloc(1, sizeof(*r));
    r->track = t;
    r->end_offset = end_offset;
    atomic_init(&r->pending, nevents);
    pthread_mutex_lock(&t->lock);
    if (t->tail != NULL)
        t->tail->next = r;
    else
        t->head = r;
    t->tail = r;
    if (nevents == 0) {
        r->finished = true;
        acktrack_advance(t);
        r = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

void
ackrange_finish(struct ackrange *r, uint32_t count)
{
    uint_fast32_t before = atomic_fetch_sub(&r->pending, count);
    assert(before >= count);
    if (before != count)
        return;
    struct acktrack *t = r->track;
    pthread_mutex_lock(&t->lock);
    r->finished = true;
    acktrack_advance(t);
    pthread_mutex_unlock(&t->lock);
}

uint64_t
acktrack_committed(struct acktrack *t)
{
    pthread_mutex_lock(&t->lock);
    uint64_t off = t->committed;
    pthread_mutex_unlock(&t->lock);
    return off;
}

bool
acktrack_idle(struct acktrack *t)
{
    pthread_mutex_lock(&t->lock);
    bool idle = t->head == NULL;
    pthread_mutex_unlock(&t->lock);
    return idle;
}

bool
acktrack_wait_idle(struct acktrack *t, int timeout_ms)
{
    struct timespec deadline =
        timeutil_deadline(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&t->lock);
    while (t->head != NULL) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&t->idle, &t->lock);
        } else if (pthread_cond_timedwait(&t->idle, &t->lock, &deadline) ==
                   ETIMEDOUT) {
            break;
        }
    }
    bool idle = t->head == NULL;
    pthread_mutex_unlock(&t->lock);
    return idle;
}
