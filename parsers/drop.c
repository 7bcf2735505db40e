/*
 * The "drop" stage: drops events whose field matches a PCRE2 pattern (or,
 * with negate, does not match it). The pattern is compiled once at init
 * (UTF, invalid UTF-8 in the line tolerated, JIT when available) and shared
 * read-only; each worker has its own match data (pcre2api(3): match data
 * may not be shared between threads). apply never allocates.
 *
 * An absent field drops nothing (STAGE_SKIPPED), negate or not: the stage
 * decides on what it can see. A match that fails with an error (a match or
 * depth limit) is not taken as "no match", which with negate would drop
 * the event: the event is kept and the stage fails (STAGE_NO_MATCH).
 */
#include "config.h"

#include "stages.h"

#include "xalloc.h"

#include <stddef.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Bytes of a PCRE2 error message we report. */
#define DROP_ERROR_MAX 256

struct drop_conf {
    char *field;   /* owned */
    char *pattern; /* owned */
    bool negate;
};

static const struct opt drop_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "message",
     .offset = offsetof(struct drop_conf, field),
     .help = "field to match"},
    {.name = "pattern",
     .type = OPT_STRING,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct drop_conf, pattern),
     .help = "PCRE2 pattern; a match drops the event"},
    {.name = "negate",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct drop_conf, negate),
     .help = "drop the events that do not match instead"},
    {0},
};

struct drop_state {
    struct span field; /* borrowed: conf */
    pcre2_code *code;  /* owned */
    bool negate;
};

static void
drop_fini(struct stage *st)
{
    struct drop_state *s = st->state;
    if (s == NULL)
        return;
    pcre2_code_free(s->code);
    free(s);
    st->state = NULL;
}

static int
drop_init(struct stage *st, struct errbuf *err)
{
    const struct drop_conf *c = st->conf;
    int error;
    PCRE2_SIZE offset;

    if (c->field == NULL || c->field[0] == '\0')
        return errbuf_set(err, "field: must not be empty");
    pcre2_code *code = pcre2_compile(
        (PCRE2_SPTR)c->pattern, PCRE2_ZERO_TERMINATED,
        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &error, &offset, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[DROP_ERROR_MAX];
        pcre2_get_error_message(error, msg, sizeof(msg));
        return errbuf_set(err, "pattern: %s at offset %zu", (char *)msg,
                          (size_t)offset);
    }
    /* Without JIT support PCRE2 interprets: slower, still correct. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    struct drop_state *s = xcalloc(1, sizeof(*s));
    s->field = span_str(c->field);
    s->code = code;
    s->negate = c->negate;
    st->state = s;
    return 0;
}

/* PCRE2's allocator hooks: abort on OOM like the rest of logship. */
static void *
drop_pcre2_malloc(size_t size, void *data)
{
    (void)data;
    return xmalloc(size);
}

static void
drop_pcre2_free(void *p, void *data)
{
    (void)data;
    free(p);
}

static void *
drop_worker_new(const struct stage *st)
{
    (void)st;
    /* The match data keeps a copy of the hooks: gc may go at once. */
    pcre2_general_context *gc =
        pcre2_general_context_create(drop_pcre2_malloc, drop_pcre2_free, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, gc);
    pcre2_general_context_free(gc);
    return md;
}

static void
drop_worker_free(void *worker)
{
    pcre2_match_data_free(worker);
}

static enum stage_status
drop_apply(const struct stage *st, void *worker, struct event *ev,
           struct stage_ctx *ctx)
{
    const struct drop_state *s = st->state;
    struct span v;

    (void)ctx;
    if (!event_value(ev, s->field, &v, NULL))
        return STAGE_SKIPPED;
    if (v.ptr == NULL)
        v.ptr = "";
    int rc = pcre2_match(s->code, (PCRE2_SPTR)v.ptr, v.len, 0, 0, worker, NULL);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
        return STAGE_NO_MATCH;
    return (rc >= 0) != s->negate ? STAGE_DROP : STAGE_OK;
}

/* The "drop" stage type (listed in parsers/stages.c). */
const struct stage_type stage_drop = {
    .name = "drop",
    .options = drop_options,
    .conf_size = sizeof(struct drop_conf),
    .summary = "drops events whose field matches a pattern (or does not)",
    .init = drop_init,
    .worker_new = drop_worker_new,
    .worker_free = drop_worker_free,
    .apply = drop_apply,
    .fini = drop_fini,
};
