/*
 * The parser side as the core sees it: the static table of stage types and
 * parser chains (the ordered stages an input runs on each event). The core
 * includes only this header from parsers/.
 *
 * A chain is built once from the config (shared, read-only afterwards);
 * each worker makes its own struct chain_worker (per-stage worker state)
 * and applies the chain to one event at a time.
 */
#ifndef LOGSHIP_STAGES_H
#define LOGSHIP_STAGES_H

#include "conftree.h"
#include "errbuf.h"
#include "event.h"
#include "options.h"
#include "scratch.h"
#include "stage.h"

#include <stdbool.h>
#include <stddef.h>

extern const struct stage_type stage_regex;
extern const struct stage_type stage_grok;
extern const struct stage_type stage_json;
extern const struct stage_type stage_kv;
extern const struct stage_type stage_set;
extern const struct stage_type stage_rename;
extern const struct stage_type stage_remove;
extern const struct stage_type stage_copy;
extern const struct stage_type stage_convert;
extern const struct stage_type stage_drop;
extern const struct stage_type stage_time;

/* The keys every stage item has besides its type's: name, on_failure, tag. */
extern const struct opt chain_common_options[];

/* NULL-terminated list of every stage type. */
extern const struct stage_type *const stages_table[];

/* Returns the stage type called name, or NULL. */
const struct stage_type *stages_find(const char *name);

struct chain {
    char *name;           /* owned */
    struct stage *stages; /* owned: nstages stages */
    size_t nstages;
    char *timezone; /* owned: the zone its time stages default to, or NULL */
    const struct conf_node *seq; /* borrowed: what it was bound from */
    bool builtin;                /* seq is a built-in format's */
};

/* All the chains of a config: its `parsers` and the built-in formats used. */
struct chainset {
    struct chain **chains; /* owned, each owned */
    size_t count;
    struct conf_tree *builtin_tree; /* owned: built-in formats, if loaded */
};

/* The option binder of the `parsers` section (a mapping name → stages). */
extern const struct opt_custom chainset_custom;

/*
 * Returns the chain called name: one of the config's, else a built-in
 * format (loaded into set on first use). With a timezone (an input's,
 * already checked), a copy of it whose time stages read times without an
 * offset in that zone unless they name their own; one copy per zone.
 * On failure returns NULL and adds an error for node to ctx.
 */
const struct chain *chainset_resolve(struct chainset *set, const char *name,
                                     const char *timezone,
                                     const struct conf_node *node,
                                     const struct opt_ctx *ctx);
/* Frees every chain. */
void chainset_fini(struct chainset *set);
/* Builds a one-stage chain from the command line (`parse --grok P`). */
struct chain *chain_single(const char *type, const char *pattern,
                           struct errbuf *err);
void chain_destroy(struct chain *chain);
/* The names of the built-in formats, comma-separated. */
const char *chain_builtin_names(void);

enum chain_result {
    CHAIN_KEEP,        /* encode the event */
    CHAIN_DROP,        /* drop it (a drop stage, or on_failure: drop) */
    CHAIN_DEAD_LETTER, /* a stage failed with on_failure: dead_letter */
};

/* What one stage did to one event, for `logship parse --explain`. */
struct chain_trace {
    enum stage_status status;
    const char *note; /* borrowed: stage-owned, may be NULL */
};

struct chain_worker {
    const struct chain *chain; /* borrowed */
    void **states;             /* owned: per-stage worker state */
    const char *failed_stage;  /* borrowed: name of the stage that failed */
};

/* Makes per-worker state for chain (NULL chain: no stages). */
void chain_worker_init(struct chain_worker *cw, const struct chain *chain);
void chain_worker_fini(struct chain_worker *cw);
/*
 * Applies every stage in order to ev. trace, if not NULL, receives one
 * entry per stage. Counts nothing: the caller counts results.
 * *failed is set when a stage did not match, unless its on_failure is
 * ignore.
 */
enum chain_result chain_apply(struct chain_worker *cw, struct event *ev,
                              struct scratch *sc, struct chain_trace *trace,
                              bool *failed);

#endif
