/*
 * Internals shared by pipeline.c, worker.c and input.c: the pipeline
 * struct. Nothing outside those files includes this.
 */
#ifndef LOGSHIP_PIPELINE_INT_H
#define LOGSHIP_PIPELINE_INT_H

#include "batch.h"
#include "chunk.h"
#include "conf.h"
#include "event.h"
#include "output.h"
#include "pipeline.h"
#include "queue.h"
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct input {
    const struct input_conf *conf; /* borrowed */
    const struct chain *chain;     /* borrowed: conf's, or the command's */
    size_t index;                  /* in pipeline->inputs */
    struct pipeline *p;            /* borrowed */
    struct field *fields;          /* owned array: static fields of events */
    size_t nfields;                /* spans point into conf memory */
    struct source *src;            /* owned: standard input's source */
    struct tail *tail;             /* owned: file inputs and backfill */
    pthread_t thread;
    bool started;
};

struct pipeline {
    const struct conf *conf; /* borrowed */
    struct pipeline_opts opts;
    char *hostname;                  /* owned */
    struct span hostname_span;       /* of hostname */
    struct input_conf default_input; /* for PARSE without --input */

    struct input *inputs; /* owned */
    size_t ninputs;
    atomic_size_t inputs_running;

    struct chunk_pool *chunks;  /* owned */
    struct queue *work;         /* owned: chunks for the workers */
    struct batch_pool *batches; /* owned */
    struct queue *out_queue;    /* owned: batches for the output */

    struct worker *workers; /* owned */
    size_t nworkers;
    atomic_size_t workers_running;

    struct output out;
    pthread_t out_thread;
    bool out_started;
    int out_rc;

    struct deadletter *dlq;    /* owned; NULL unless a chain dead-letters */
    struct registry *registry; /* owned; NULL without file inputs */

    atomic_bool stopping;
    int stop_fd; /* owned: eventfd, readable once pipeline_stop was called */
    int64_t stop_ms;         /* monotonic time of the first stop request */
    atomic_int fatal;        /* the output's fatal error, or 0 */
    atomic_int input_errors; /* files that could not be read */

    void (*tick)(void *arg); /* see pipeline_set_tick */
    void *tick_arg;
    int64_t tick_ms;
    int64_t next_tick_ms;

    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done; /* the output thread has returned */
};

/* Hands a batch to the output (prepares it first). Worker threads. */
void pipeline_submit(struct pipeline *p, struct worker *w, struct batch *b);
/* Writes w's current event to the dead-letter file (stage failure). */
void pipeline_dead_letter(struct pipeline *p, struct worker *w,
                          const char *stage);
/* Takes a free chunk, giving up (NULL) when the pipeline stops. */
struct chunk *input_get_chunk(struct input *in);
/* Gives a filled chunk to the workers (or back to the pool if empty). */
void input_emit(struct input *in, struct source *src, struct chunk *c,
                uint64_t end_offset, size_t nbytes);
/* The input thread function. */
void *input_main(void *arg);
/* Builds an input's static fields. */
int input_init(struct input *in, struct pipeline *p,
               const struct input_conf *conf, size_t index, struct errbuf *err);
void input_fini(struct input *in);

#endif
