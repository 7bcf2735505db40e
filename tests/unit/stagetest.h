/*
 * The harness the stage runners share (check_stage_*.c, check_regex.c,
 * check_grok.c): one stage bound from YAML text and initialised, one
 * worker, one event built from a line, and the result shown as the
 * document the encoder writes or as a list of fields. Every helper fails
 * the running Check test on an unexpected error, so callers never check
 * results. Call them from the test's own process only.
 */
#ifndef LOGSHIP_STAGETEST_H
#define LOGSHIP_STAGETEST_H

#include "buf.h"
#include "event.h"
#include "ndjson.h"
#include "scratch.h"
#include "stage.h"

#include <stdbool.h>
#include <stddef.h>

struct stagetest {
    struct stage st;      /* name and conf owned */
    void *worker;         /* owned: from worker_new, if the type has one */
    struct scratch sc;    /* the event's scratch, reset per event */
    struct event ev;      /* the event of the last stagetest_begin */
    struct stage_ctx ctx; /* of that event: note is the stage's */
    struct ndjson_enc enc;
    struct buf out; /* the text of stagetest_doc or stagetest_dump */
    bool inited;    /* init succeeded, so fini is due */
};

/*
 * Binds yaml (the options; "" for none) into a fresh stage of type, runs
 * init and, when it succeeds, worker_new; returns init's result. A YAML or
 * binding error fails the test. Close t with stagetest_close either way.
 */
int stagetest_open(struct stagetest *t, const struct stage_type *type,
                   const char *yaml, struct errbuf *err);
/* stagetest_open for a chain whose input sets timezone zone (or NULL). */
int stagetest_open_in_zone(struct stagetest *t, const struct stage_type *type,
                           const char *yaml, const char *zone,
                           struct errbuf *err);
/* Opens a stage whose configuration must be valid. */
void stagetest_open_ok(struct stagetest *t, const struct stage_type *type,
                       const char *yaml);
/* Frees the worker, what init made, the conf and the event. */
void stagetest_close(struct stagetest *t);
/* Opens a stage of type with yaml, which must fail init with exactly msg
 * and leave no state; then closes it. */
void stagetest_init_fails(const struct stage_type *type, const char *yaml,
                          const char *msg);

/* Starts a new event whose text is line (len bytes, borrowed). */
void stagetest_begin(struct stagetest *t, const char *line, size_t len);
/* Applies the stage to the current event; returns its status. */
enum stage_status stagetest_run(struct stagetest *t);
/* Starts an event with len bytes of line as its text and applies the stage. */
enum stage_status stagetest_apply_len(struct stagetest *t, const char *line,
                                      size_t len);
/* Starts an event with the string line as its text and applies the stage. */
enum stage_status stagetest_apply(struct stagetest *t, const char *line);

/*
 * The event as the encoder writes it, without @timestamp (time_ns must be
 * 0) and the newline: "{...}". Valid until the next call on t.
 */
const char *stagetest_doc(struct stagetest *t);
/*
 * The event's fields ("name=value", typed ones with " (int)" and the like)
 * then its tags ("#tag"), one per line. Valid until the next call on t.
 */
const char *stagetest_dump(struct stagetest *t);
/* Asserts the last field set under name has exactly value and type. */
void stagetest_field(const struct stagetest *t, const char *name,
                     const char *value, enum field_type type);
/* Applies the stage to line, which must match, and compares the dump of
 * the fields with expected. */
void stagetest_match(struct stagetest *t, const char *line,
                     const char *expected);

#endif
