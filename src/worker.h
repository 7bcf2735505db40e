/*
 * A worker thread: takes chunks from the work queue, turns each event into
 * a document in the current batch, and submits full batches (and partial
 * ones once the flush interval has passed) to the output. Everything here
 * is per-worker; workers share only the queues, the pools and atomics.
 */
#ifndef LOGSHIP_WORKER_H
#define LOGSHIP_WORKER_H

#include "event.h"
#include "ndjson.h"
#include "scratch.h"
#include "stages.h"

#include <pthread.h>

struct pipeline;
struct batch;

struct worker {
    struct pipeline *p; /* borrowed */
    pthread_t thread;
    struct ndjson_enc enc;
    struct event ev;           /* the event being processed; reused */
    struct scratch scratch;    /* bytes stages make; reset per event */
    struct chain_worker *cws;  /* owned: one per pipeline input */
    struct chain_trace *trace; /* owned: per-stage results (--explain) */
    size_t cap_trace;
    struct buf explain;   /* owned: --explain text of one event */
    void *out_state;      /* owned by the output type (worker_new) */
    struct batch *batch;  /* owned: the batch being filled, or NULL */
    char offset_text[24]; /* log.offset of the current event */
};

/* Prepares w for pipeline p (does not start a thread). */
void worker_init(struct worker *w, struct pipeline *p);
void worker_fini(struct worker *w);
/* The thread function: runs until the work queue is closed and drained. */
void *worker_main(void *arg);

#endif
