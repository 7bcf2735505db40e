/*
 * The parser stage contract. A stage type is a const table of functions; a
 * stage instance holds its bound conf and compiled state, shared read-only
 * by every worker after init. Per-worker mutable state (PCRE2 match data,
 * JIT stacks) comes from worker_new, because a compiled pattern may be
 * shared between threads but match data may not (pcre2api(3)).
 * apply() runs on worker threads for every event: it must not allocate
 * (new bytes go to the scratch) and must not block.
 */
#ifndef LOGSHIP_STAGE_H
#define LOGSHIP_STAGE_H

#include "errbuf.h"
#include "event.h"
#include "options.h"
#include "scratch.h"

#include <stddef.h>

enum stage_status {
    STAGE_OK,       /* applied (matched, parsed, converted) */
    STAGE_NO_MATCH, /* the input did not match or parse: on_failure applies */
    STAGE_SKIPPED,  /* nothing to do (the source field is absent) */
    STAGE_DROP,     /* drop the event (the `drop` stage) */
};

/* What the chain does when a stage returns STAGE_NO_MATCH. */
enum stage_on_failure {
    STAGE_FAIL_TAG,         /* keep the event, add the stage's tag */
    STAGE_FAIL_DROP,        /* drop the event (counted) */
    STAGE_FAIL_DEAD_LETTER, /* send it to the dead-letter file */
    STAGE_FAIL_IGNORE,      /* keep the event as it is */
};

struct stage;

/* Per-event context a stage may use besides the event. */
struct stage_ctx {
    struct scratch *scratch; /* borrowed: reset after each event */
    const char *note;        /* set by apply for --explain: what matched */
};

struct stage_type {
    const char *name;          /* as written in YAML: "regex" */
    const struct opt *options; /* keys accepted, bound into conf */
    size_t conf_size;          /* the core allocates, zeroes and binds conf */
    const char *summary;       /* one line for the reference */
    const char *failure_tag;   /* default tag on failure, or NULL for
                                  "_logship_parse_failure" */
    /* Compiles and validates; on failure fills err (no position: the
     * caller prefixes file:line:column: key). */
    int (*init)(struct stage *st, struct errbuf *err);
    /* Optional: per-worker state. */
    void *(*worker_new)(const struct stage *st);
    void (*worker_free)(void *worker);
    enum stage_status (*apply)(const struct stage *st, void *worker,
                               struct event *ev, struct stage_ctx *ctx);
    /* Optional: frees what init made (conf is freed by the core). */
    void (*fini)(struct stage *st);
};

struct stage {
    const struct stage_type *type;
    char *name;     /* owned: "grok" or the instance's `name` */
    void *conf;     /* owned: bound with type->options */
    void *state;    /* owned by the type: compiled patterns */
    int on_failure; /* enum stage_on_failure */
    char *tag;      /* owned: tag added on failure (STAGE_FAIL_TAG) */
    const struct conf_node *node; /* borrowed: position for messages */
    const char *file;             /* borrowed: the config path */
    /* borrowed: the chain's zone for times without an offset (an input's
     * `timezone`), or NULL; a time stage's own `timezone` wins */
    const char *default_timezone;
};

#endif
