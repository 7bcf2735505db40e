/*
 * Parser chains: binding the `parsers` section (and the built-in formats)
 * into stages, and applying a chain to an event on a worker. A stage item
 * is a one-key mapping, `- grok: {pattern: ..., on_failure: tag}`; the
 * keys every stage has (name, on_failure, tag) are bound here, the rest by
 * the stage type's own option table. Chains are read-only once built.
 */
#include "config.h"

#include "stages.h"

#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char chain_builtin_yaml[];

struct chain_common {
    char *name;
    int on_failure;
    char *tag;
};

static const char *const chain_on_failure_names[] = {
    "tag", "drop", "dead_letter", "ignore", NULL};

const struct opt chain_common_options[] = {
    {.name = "name",
     .type = OPT_STRING,
     .offset = offsetof(struct chain_common, name),
     .help = "a name for this stage in logs and --explain"},
    {.name = "on_failure",
     .type = OPT_ENUM,
     .def = "tag",
     .names = chain_on_failure_names,
     .offset = offsetof(struct chain_common, on_failure),
     .help = "when the stage does not match: tag (keep the event, add "
             "`tag`), drop, dead_letter or ignore (go on as if it had "
             "matched: no tag, not counted as a parse failure)"},
    {.name = "tag",
     .type = OPT_STRING,
     .offset = offsetof(struct chain_common, tag),
     .help = "tag added on failure (default _logship_parse_failure; "
             "_logship_time_failure for time)"},
    {0},
};

static bool
chain_is_common_key(const char *key)
{
    for (const struct opt *o = chain_common_options; o->name != NULL; o++) {
        if (strcmp(o->name, key) == 0)
            return true;
    }
    return false;
}

/* A shallow view of a mapping with only (or without) the common keys. */
static struct conf_node
chain_view(const struct conf_node *map, bool common,
           const struct conf_node **storage)
{
    struct conf_node view = *map;
    view.children = (struct conf_node **)storage;
    view.nchildren = 0;
    for (size_t i = 0; i < map->nchildren; i++) {
        if (chain_is_common_key(map->children[i]->key) == common)
            storage[view.nchildren++] = map->children[i];
    }
    return view;
}

/*
 * Reports an init error. A message that starts with one of the stage's
 * keys ("pattern: ...") is placed at that key's value.
 */
static void
chain_init_error(const struct opt_ctx *ctx, const struct conf_node *value,
                 const char *msg)
{
    const char *colon = strstr(msg, ": ");
    if (colon != NULL && value != NULL && value->kind == CONF_MAP) {
        size_t klen = strcspn(msg, "[.:");
        for (size_t i = 0; i < value->nchildren; i++) {
            const struct conf_node *c = value->children[i];
            if (strlen(c->key) == klen && strncmp(c->key, msg, klen) == 0) {
                char *key = xstrndup(msg, (size_t)(colon - msg));
                options_error(ctx, c, key, "%s", colon + 2);
                free(key);
                return;
            }
        }
    }
    options_error(ctx, value, NULL, "%s", msg);
}

/* Binds and initialises one stage item; returns 0 or -EINVAL. */
static int
chain_bind_stage(struct stage *st, const struct conf_node *item,
                 const struct opt_ctx *ctx, const char *path,
                 const char *timezone)
{
    if (item->kind != CONF_MAP || item->nchildren != 1)
        return options_error(ctx, item, NULL,
                             "a stage is a mapping with one key, the stage "
                             "type (e.g. `- grok: {pattern: ...}`)");
    const struct conf_node *value = item->children[0];
    st->type = stages_find(value->key);
    if (st->type == NULL)
        return options_error(ctx, item, NULL,
                             "unknown stage type \"%s\" (known: regex, grok, "
                             "json, kv, time, set, rename, remove, copy, "
                             "convert, drop)",
                             value->key);
    struct opt_ctx sub = *ctx;
    char *subpath = xasprintf("%s.%s", path, value->key);
    sub.path = subpath;
    sub.at = value;
    struct conf_node empty = {.kind = CONF_MAP,
                              .line = value->line,
                              .column = value->column,
                              .file = value->file};
    const struct conf_node *map = conftree_is_null(value) ? &empty : value;
    int rc = 0;
    if (map->kind != CONF_MAP) {
        rc = options_error(ctx, value, value->key,
                           "expected a mapping of "
                           "the stage's options, got a %s",
                           conftree_kind_name(map->kind));
        goto out;
    }
    const struct conf_node **storage =
        xcalloc(map->nchildren + 1, sizeof(*storage));
    struct chain_common common = {0};
    struct conf_node cview = chain_view(map, true, storage);
    size_t errs = options_bind(chain_common_options, &cview, &common, &sub);
    struct conf_node tview = chain_view(map, false, storage);
    st->conf = xcalloc(1, st->type->conf_size);
    errs += options_bind(st->type->options, &tview, st->conf, &sub);
    free(storage);
    st->name = common.name ? common.name : xstrdup(st->type->name);
    st->on_failure = common.on_failure;
    st->tag = common.tag
                  ? common.tag
                  : xstrdup(st->type->failure_tag ? st->type->failure_tag
                                                  : "_logship_parse_failure");
    st->node = value;
    st->file = ctx->file;
    st->default_timezone = timezone;
    if (errs > 0) {
        rc = -EINVAL;
        goto out;
    }
    struct errbuf err = {{0}};
    if (st->type->init(st, &err) < 0) {
        chain_init_error(&sub, map == &empty ? NULL : value, err.msg);
        rc = -EINVAL;
    }
out:
    free(subpath);
    return rc;
}

static void
chain_free_stage(struct stage *st)
{
    if (st->type != NULL && st->state != NULL && st->type->fini != NULL)
        st->type->fini(st);
    if (st->type != NULL && st->conf != NULL)
        options_fini(st->type->options, st->conf);
    free(st->conf);
    free(st->name);
    free(st->tag);
}

void
chain_destroy(struct chain *chain)
{
    if (chain == NULL)
        return;
    for (size_t i = 0; i < chain->nstages; i++)
        chain_free_stage(&chain->stages[i]);
    free(chain->stages);
    free(chain->timezone);
    free(chain->name);
    free(chain);
}

/*
 * Binds a sequence of stage items as the chain called name, its time
 * stages defaulting to timezone (NULL: their own default).
 */
static struct chain *
chain_bind(const char *name, const struct conf_node *seq,
           const struct opt_ctx *ctx, const char *timezone)
{
    char *path =
        xasprintf("%s%sparsers.%s", ctx->path, *ctx->path ? "." : "", name);
    struct chain *chain = xcalloc(1, sizeof(*chain));
    chain->name = xstrdup(name);
    chain->timezone = timezone ? xstrdup(timezone) : NULL;
    chain->seq = seq;
    int rc = 0;
    if (seq->kind != CONF_SEQ) {
        struct opt_ctx sub = *ctx;
        sub.path = "";
        rc = options_error(&sub, seq, path,
                           "expected a sequence of stages, got a %s",
                           conftree_kind_name(seq->kind));
        goto out;
    }
    chain->stages = xcalloc(seq->nchildren + 1, sizeof(*chain->stages));
    chain->nstages = seq->nchildren;
    for (size_t i = 0; i < seq->nchildren; i++) {
        char *ipath = xasprintf("%s[%zu]", path, i);
        struct opt_ctx sub = *ctx;
        sub.path = ipath;
        if (chain_bind_stage(&chain->stages[i], seq->children[i], &sub, ipath,
                             chain->timezone) < 0)
            rc = -EINVAL;
        free(ipath);
    }
out:
    free(path);
    if (rc < 0) {
        chain_destroy(chain);
        return NULL;
    }
    return chain;
}

static void
chainset_add(struct chainset *set, struct chain *chain)
{
    set->chains =
        xrealloc(set->chains, (set->count + 1) * sizeof(*set->chains));
    set->chains[set->count++] = chain;
}

static int
chainset_bind(const struct opt *opt, const struct conf_node *node, void *dst,
              const struct opt_ctx *ctx)
{
    struct chainset *set = dst;
    if (node->kind != CONF_MAP)
        return options_error(ctx, node, opt->name,
                             "expected a mapping of parser names to stage "
                             "lists, got a %s",
                             conftree_kind_name(node->kind));
    int rc = 0;
    for (size_t i = 0; i < node->nchildren; i++) {
        struct chain *chain =
            chain_bind(node->children[i]->key, node->children[i], ctx, NULL);
        if (chain == NULL)
            rc = -EINVAL;
        else
            chainset_add(set, chain);
    }
    return rc;
}

static void
chainset_fini_opt(void *dst)
{
    chainset_fini(dst);
}

const struct opt_custom chainset_custom = {
    .bind = chainset_bind,
    .fini = chainset_fini_opt,
    .type_name = "mapping of parser names to lists of stages",
};

void
chainset_fini(struct chainset *set)
{
    for (size_t i = 0; i < set->count; i++)
        chain_destroy(set->chains[i]);
    free(set->chains);
    conftree_destroy(set->builtin_tree);
    memset(set, 0, sizeof(*set));
}

static bool
chain_zone_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

const struct chain *
chainset_resolve(struct chainset *set, const char *name, const char *timezone,
                 const struct conf_node *node, const struct opt_ctx *ctx)
{
    /* The config's chains come first in set, so they hide a built-in
     * format of the same name. */
    const struct chain *base = NULL;
    for (size_t i = 0; i < set->count; i++) {
        const struct chain *c = set->chains[i];
        if (strcmp(c->name, name) != 0)
            continue;
        if (chain_zone_eq(c->timezone, timezone))
            return c;
        if (base == NULL && c->timezone == NULL)
            base = c;
    }
    const struct conf_node *seq = base ? base->seq : NULL;
    bool builtin = base ? base->builtin : true;
    if (seq == NULL) {
        if (set->builtin_tree == NULL) {
            struct errlist errs = {0};
            set->builtin_tree =
                conftree_load_string("(built-in formats)", chain_builtin_yaml,
                                     strlen(chain_builtin_yaml), &errs);
            errlist_fini(&errs);
        }
        seq = set->builtin_tree ? conftree_get(set->builtin_tree->root, name)
                                : NULL;
    }
    if (seq == NULL) {
        options_error(ctx, node, NULL,
                      "no parser named \"%s\" in `parsers` or the built-in "
                      "formats (%s)",
                      name, chain_builtin_names());
        return NULL;
    }
    struct opt_ctx sub = *ctx;
    if (builtin)
        sub.path = "(built-in)";
    else
        sub.path = ""; /* a config chain: errors at parsers.NAME */
    struct chain *chain = chain_bind(name, seq, &sub, timezone);
    if (chain == NULL)
        return NULL;
    chain->builtin = builtin;
    chainset_add(set, chain);
    return chain;
}

/* Quotes s as a YAML single-quoted scalar. */
static char *
chain_yaml_quote(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 2 : 1;
    char *q = xmalloc(n + 3);
    char *w = q;
    *w++ = '\'';
    for (const char *p = s; *p; p++) {
        *w++ = *p;
        if (*p == '\'')
            *w++ = '\'';
    }
    *w++ = '\'';
    *w = '\0';
    return q;
}

struct chain *
chain_single(const char *type, const char *pattern, struct errbuf *err)
{
    char *quoted = chain_yaml_quote(pattern);
    char *yaml = xasprintf("cli:\n  - %s:\n      pattern: %s\n", type, quoted);
    free(quoted);
    struct errlist errs = {0};
    struct conf_tree *tree =
        conftree_load_string("(command line)", yaml, strlen(yaml), &errs);
    struct chain *chain = NULL;
    if (tree != NULL) {
        struct opt_ctx ctx = {.errs = &errs, .path = "", .file = "--pattern"};
        chain = chain_bind("cli", conftree_get(tree->root, "cli"), &ctx, NULL);
    }
    if (errs.count > 0)
        errbuf_set(err, "%s", errs.msgs[0]);
    errlist_fini(&errs);
    conftree_destroy(tree);
    free(yaml);
    return chain;
}

void
chain_worker_init(struct chain_worker *cw, const struct chain *chain)
{
    cw->chain = chain;
    cw->failed_stage = NULL;
    size_t n = chain ? chain->nstages : 0;
    cw->states = xcalloc(n + 1, sizeof(*cw->states));
    for (size_t i = 0; i < n; i++) {
        const struct stage *st = &chain->stages[i];
        if (st->type->worker_new != NULL)
            cw->states[i] = st->type->worker_new(st);
    }
}

void
chain_worker_fini(struct chain_worker *cw)
{
    size_t n = cw->chain ? cw->chain->nstages : 0;
    for (size_t i = 0; i < n; i++) {
        const struct stage *st = &cw->chain->stages[i];
        if (cw->states[i] != NULL && st->type->worker_free != NULL)
            st->type->worker_free(cw->states[i]);
    }
    free(cw->states);
    cw->states = NULL;
}

enum chain_result
chain_apply(struct chain_worker *cw, struct event *ev, struct scratch *sc,
            struct chain_trace *trace, bool *failed)
{
    const struct chain *chain = cw->chain;
    *failed = false;
    if (chain == NULL)
        return CHAIN_KEEP;
    for (size_t i = 0; i < chain->nstages; i++) {
        const struct stage *st = &chain->stages[i];
        struct stage_ctx ctx = {.scratch = sc, .note = NULL};
        enum stage_status status = st->type->apply(st, cw->states[i], ev, &ctx);
        if (trace != NULL)
            trace[i] = (struct chain_trace){status, ctx.note};
        switch (status) {
        case STAGE_OK:
        case STAGE_SKIPPED:
            continue;
        case STAGE_DROP:
            return CHAIN_DROP;
        case STAGE_NO_MATCH:
            break;
        }
        /* An ignored failure is an outcome the config expects (the
         * built-in web formats' ip check on a host name client): not
         * counted, and it does not keep the message. */
        if (st->on_failure == STAGE_FAIL_IGNORE)
            continue;
        *failed = true;
        cw->failed_stage = st->name;
        switch ((enum stage_on_failure)st->on_failure) {
        case STAGE_FAIL_TAG:
            event_add_tag(ev, span_str(st->tag));
            break;
        case STAGE_FAIL_IGNORE:
            break;
        case STAGE_FAIL_DROP:
            return CHAIN_DROP;
        case STAGE_FAIL_DEAD_LETTER:
            return CHAIN_DEAD_LETTER;
        }
    }
    return CHAIN_KEEP;
}
