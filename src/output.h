/*
 * The output contract. An output type is a const table of functions; an
 * output instance holds its bound conf and the type's private state. Worker
 * threads call the optional per-event and per-batch hooks with their own
 * per-worker state; the output thread calls run(), which pops batches from
 * out->queue until it is closed and empty and hands each finished batch to
 * out->on_ack. Outputs never see the registry: the pipeline connects acks.
 */
#ifndef LOGSHIP_OUTPUT_H
#define LOGSHIP_OUTPUT_H

#include "batch.h"
#include "buf.h"
#include "errbuf.h"
#include "event.h"
#include "options.h"

#include <stdbool.h>

struct queue;
struct deadletter;

/* Options every output has; each type's conf struct starts with this. */
struct output_common {
    char *type; /* owned */
    int64_t flush_interval_ms;
    uint64_t batch_max_bytes;
    int64_t batch_max_events;
};

#define OUTPUT_COMMON_OPTIONS(conf_type, flush_default)                        \
    {.name = "type",                                                           \
     .type = OPT_STRING,                                                       \
     .offset = offsetof(conf_type, common.type),                               \
     .flags = OPT_REQUIRED,                                                    \
     .help = "output type"},                                                   \
        {.name = "flush_interval",                                             \
         .type = OPT_DURATION,                                                 \
         .def = (flush_default),                                               \
         .offset = offsetof(conf_type, common.flush_interval_ms),              \
         .help = "send a partial batch this long after its first event "       \
                 "(0: as soon as no more input is waiting)"},                  \
        {.name = "batch_max_bytes",                                            \
         .type = OPT_SIZE,                                                     \
         .def = "5MiB",                                                        \
         .min = 1024,                                                          \
         .max = 1073741824,                                                    \
         .offset = offsetof(conf_type, common.batch_max_bytes),                \
         .help = "send a batch once its uncompressed body reaches this size"}, \
    {                                                                          \
        .name = "batch_max_events", .type = OPT_INT, .def = "50000", .min = 1, \
        .max = 10000000,                                                       \
        .offset = offsetof(conf_type, common.batch_max_events),                \
        .help = "send a batch once it holds this many events"                  \
    }

struct output;

struct output_type {
    const char *name;
    const struct opt *options; /* includes OUTPUT_COMMON_OPTIONS */
    size_t conf_size;
    /* Optional: validates a bound conf beyond its options (`check`). */
    int (*check)(const void *conf, struct errbuf *err);
    /* Opens files or connections; on failure fills err. */
    int (*open)(struct output *out, struct errbuf *err);
    /* Optional, worker thread: per-worker state (a z_stream, a docid hash). */
    void *(*worker_new)(const struct output *out);
    void (*worker_free)(void *wstate);
    /* Optional, worker thread: writes what precedes an event (an action). */
    int (*encode_action)(const struct output *out, void *wstate,
                         const struct event *ev, struct buf *body);
    /* Optional, worker thread: prepares a full batch (compresses it). */
    int (*prepare)(const struct output *out, void *wstate, struct batch *b);
    /* Output thread: consumes out->queue until closed; returns 0 or -errno. */
    int (*run)(struct output *out);
    /* Optional: wakes run() after a push or a close (curl_multi_wakeup). */
    void (*wakeup)(struct output *out);
    void (*close)(struct output *out);
    /* Optional: `logship setup` (templates, policies); prints what it
     * does. Returns 0 or -errno. */
    int (*setup)(struct output *out, bool dry_run);
};

struct output {
    const struct output_type *type;
    const char *name;     /* borrowed: "stdout", "es/main" */
    const void *conf;     /* borrowed: bound conf (starts with output_common) */
    void *state;          /* owned by the type */
    struct queue *queue;  /* borrowed: batches submitted by workers */
    bool pretty;          /* stdout only: indent documents (logship parse) */
    const char *hostname; /* borrowed: host.name, part of document ids */
    struct deadletter *dlq; /* borrowed: the pipeline's dead-letter file */
    /* Called on the output thread with each finished batch (takes it). */
    void (*on_ack)(void *arg, struct batch *b);
    /* Called once when the output cannot go on (stdout closed). */
    void (*on_fatal)(void *arg, int err);
    void *ack_arg;
};

/* The common part of any output conf. */
static inline const struct output_common *
output_common(const struct output *out)
{
    return (const struct output_common *)out->conf;
}

#endif
