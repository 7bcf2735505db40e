/*
 * The pipeline: inputs → chunks → workers (parse, encode) → batches →
 * output → acks. pipeline.c builds every part from the config, owns them,
 * and starts, stops and joins them in one order:
 *   stop inputs → close the work queue → workers drain and flush → close
 *   the output queue → the output drains → done.
 * The main thread creates, starts and waits; a signal thread may call
 * pipeline_stop().
 */
#ifndef LOGSHIP_PIPELINE_H
#define LOGSHIP_PIPELINE_H

#include "conf.h"
#include "errbuf.h"

struct chain;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pipeline_mode {
    PIPELINE_RUN,      /* the configured inputs, until stopped or they end */
    PIPELINE_PARSE,    /* standard input through one input's chain to stdout */
    PIPELINE_BACKFILL, /* files to their end through one input's chain */
};

struct pipeline_opts {
    enum pipeline_mode mode;
    const char *input_name; /* PARSE, BACKFILL: whose chain and fields */
    char **files;           /* BACKFILL: borrowed paths, read in order */
    size_t nfiles;
    bool resume;               /* BACKFILL: start files from the registry */
    bool pretty;               /* PARSE: indent documents */
    bool explain;              /* PARSE: say what each stage did */
    const struct chain *chain; /* PARSE, BACKFILL: overrides the input's */
    int64_t workers;           /* > 0 overrides service.workers */
    int64_t read_time_ns; /* PARSE: pretend lines were read then (0: now) */
};

struct pipeline;

/* Builds every part; on failure returns NULL and fills err. */
struct pipeline *pipeline_create(const struct conf *conf,
                                 const struct pipeline_opts *opts,
                                 struct errbuf *err);
/* Starts the threads. Returns 0 or -errno (err filled). */
int pipeline_start(struct pipeline *p, struct errbuf *err);
/* Asks the inputs to stop reading; the rest drains. Any thread. */
void pipeline_stop(struct pipeline *p);
/*
 * Waits until everything has drained. Once a stop has been asked, waits at
 * most the grace period; returns 0 when drained, -ETIMEDOUT when the grace
 * period ran out (threads are then still running: exit the process), or
 * the output's fatal error.
 */
int pipeline_wait(struct pipeline *p);
/*
 * Calls tick(arg) about every interval_ms while pipeline_wait waits (the
 * backfill progress bar). Set before pipeline_wait.
 */
void pipeline_set_tick(struct pipeline *p, void (*tick)(void *arg), void *arg,
                       int64_t interval_ms);
/* Bytes of the input files read so far and in all (backfill). */
void pipeline_progress(struct pipeline *p, uint64_t *done, uint64_t *total);
/* Files that could not be opened or read (backfill). */
int pipeline_input_errors(struct pipeline *p);
/* Frees a pipeline whose wait returned 0 (or that never started). */
void pipeline_destroy(struct pipeline *p);

#endif
