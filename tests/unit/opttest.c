/*
 * The options runners' schema and binding helpers; see opttest.h. The
 * tables are shaped like logship's own: a list of inputs, an output with
 * a nested section, an enum and a custom type.
 */
#include "config.h"

#include "opttest.h"

#include "buf.h"
#include "xalloc.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- a schema shaped like logship's own ---- */

static const char *const level_names[] = {"error", "warn", "info", "debug",
                                          NULL};
const char *const opttest_action_names[] = {"keep", "tag", "drop", NULL};

int opttest_words_binds, opttest_words_finis;

/* The custom type's bind: blank-separated words from one scalar. */
static int
opttest_words_bind(const struct opt *opt, const struct conf_node *node,
                   void *dst, const struct opt_ctx *ctx)
{
    struct words *w = dst;

    opttest_words_binds++;
    ck_assert_ptr_nonnull(node);
    if (node->kind != CONF_SCALAR)
        return options_error(ctx, node, opt->name, "expected words, got a %s",
                             conftree_kind_name(node->kind));
    for (const char *p = node->value; *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            w->items = xrealloc(w->items, (w->count + 1) * sizeof(*w->items));
            w->items[w->count++] = xstrndup(p, len);
        }
        p += len + (p[len] == ' ');
    }
    return 0;
}

static void
opttest_words_fini(void *dst)
{
    struct words *w = dst;
    opttest_words_finis++;
    for (size_t i = 0; i < w->count; i++)
        free(w->items[i]);
    free(w->items);
    w->items = NULL;
    w->count = 0;
}

const struct opt_custom opttest_words_custom = {
    .bind = opttest_words_bind,
    .fini = opttest_words_fini,
    .type_name = "words",
};

const struct opt opttest_batch_options[] = {
    {.name = "max_bytes",
     .type = OPT_SIZE,
     .def = "5MiB",
     .offset = offsetof(struct t_batch, max_bytes),
     .help = "flush a batch at this size",
     .min = 1024,
     .max = 1 << 30},
    {.name = "flush",
     .type = OPT_DURATION,
     .def = "1s",
     .offset = offsetof(struct t_batch, flush_ms),
     .help = "flush a batch at least this often"},
    {0},
};

static const struct opt input_options[] = {
    {.name = "paths",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_input, paths),
     .help = "globs of the files to read",
     .flags = OPT_REQUIRED},
    {.name = "exclude",
     .type = OPT_STRLIST,
     .def = "['*.gz', '*.zip']",
     .offset = offsetof(struct t_input, exclude),
     .help = "globs to skip"},
    {.name = "max_line_bytes",
     .type = OPT_SIZE,
     .def = "1MiB",
     .offset = offsetof(struct t_input, max_line_bytes),
     .help = "longer lines are cut",
     .min = 1024,
     .max = 64 << 20},
    {.name = "close_inactive",
     .type = OPT_DURATION,
     .def = "5m",
     .offset = offsetof(struct t_input, close_inactive_ms),
     .help = "close files idle this long",
     .min = 1000,
     .max = 86400000},
    {.name = "fields",
     .type = OPT_STRMAP,
     .offset = offsetof(struct t_input, fields),
     .help = "fields added to every event"},
    {.name = "on_no_match",
     .type = OPT_ENUM,
     .def = "keep",
     .offset = offsetof(struct t_input, on_no_match),
     .help = "what to do with lines no parser matched",
     .names = opttest_action_names},
    {.name = "multiline",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct t_input, multiline),
     .help = "join indented lines"},
    {0},
};

const struct opt opttest_output_options[] = {
    {.name = "hosts",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_output, hosts),
     .help = "Elasticsearch URLs",
     .flags = OPT_REQUIRED},
    {.name = "user",
     .type = OPT_STRING,
     .offset = offsetof(struct t_output, user),
     .help = "basic auth user"},
    {.name = "password",
     .type = OPT_STRING,
     .def = "changeme",
     .offset = offsetof(struct t_output, password),
     .help = "basic auth password",
     .flags = OPT_SECRET},
    {.name = "gzip",
     .type = OPT_BOOL,
     .def = "yes",
     .offset = offsetof(struct t_output, gzip),
     .help = "compress request bodies"},
    {.name = "workers",
     .type = OPT_INT,
     .def = "2",
     .offset = offsetof(struct t_output, workers),
     .help = "parallel bulk requests",
     .min = 1,
     .max = 64},
    {.name = "batch",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_output, batch),
     .help = "batching limits",
     .sub = opttest_batch_options},
    {0},
};

const struct opt opttest_conf_options[] = {
    {.name = "inputs",
     .type = OPT_SECTION_LIST,
     .offset = offsetof(struct t_conf, inputs),
     .help = "files to ship",
     .flags = OPT_REQUIRED,
     .sub = input_options,
     .sub_size = sizeof(struct t_input)},
    {.name = "output",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_conf, output),
     .help = "where events go",
     .sub = opttest_output_options},
    {.name = "log_level",
     .type = OPT_ENUM,
     .def = "info",
     .offset = offsetof(struct t_conf, log_level),
     .names = level_names},
    {.name = "tags",
     .type = OPT_CUSTOM,
     .def = "none",
     .offset = offsetof(struct t_conf, tags),
     .help = "tags for every event",
     .custom = &opttest_words_custom},
    {0},
};

const struct opt opttest_all_options[] = {
    {.name = "s", .type = OPT_STRING, .offset = offsetof(struct t_all, s)},
    {.name = "i", .type = OPT_INT, .offset = offsetof(struct t_all, i)},
    {.name = "b", .type = OPT_BOOL, .offset = offsetof(struct t_all, b)},
    {.name = "size", .type = OPT_SIZE, .offset = offsetof(struct t_all, size)},
    {.name = "dur",
     .type = OPT_DURATION,
     .offset = offsetof(struct t_all, dur)},
    {.name = "e",
     .type = OPT_ENUM,
     .offset = offsetof(struct t_all, e),
     .names = opttest_action_names},
    {.name = "list",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_all, list)},
    {.name = "map", .type = OPT_STRMAP, .offset = offsetof(struct t_all, map)},
    {.name = "sec",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_all, sec),
     .sub = opttest_batch_options},
    {.name = "items",
     .type = OPT_SECTION_LIST,
     .offset = offsetof(struct t_all, items),
     .sub = opttest_batch_options,
     .sub_size = sizeof(struct t_batch)},
    {.name = "w",
     .type = OPT_CUSTOM,
     .offset = offsetof(struct t_all, w),
     .custom = &opttest_words_custom},
    {0},
};

/* ---- helpers ---- */

void
opttest_bind_text(struct opttest_bound *b, const struct opt *table,
                  const char *text, void *dst)
{
    memset(b, 0, sizeof(*b));
    b->tree = conftree_load_string("t.yml", text, strlen(text), &b->errs);
    ck_assert_msg(b->tree != NULL, "%s", b->errs.count ? b->errs.msgs[0] : "");
    struct opt_ctx ctx = {.errs = &b->errs, .file = b->tree->path};
    b->nerrs = options_bind(table, b->tree->root, dst, &ctx);
    ck_assert_uint_eq(b->nerrs, b->errs.count);
}

char *
opttest_joined(const struct errlist *errs)
{
    struct buf out;
    buf_init(&out, 0);
    (void)buf_append_str(&out, "");
    for (size_t i = 0; i < errs->count; i++)
        (void)buf_printf(&out, "%s\n", errs->msgs[i]);
    return out.data;
}

void
opttest_bound_fini(struct opttest_bound *b)
{
    conftree_destroy(b->tree);
    errlist_fini(&b->errs);
}

char *
opttest_bind_errors(const struct opt *table, size_t size, const char *text)
{
    struct opttest_bound b;
    void *dst = xcalloc(1, size);
    opttest_bind_text(&b, table, text, dst);
    char *all = opttest_joined(&b.errs);
    options_fini(table, dst);
    free(dst);
    opttest_bound_fini(&b);
    return all;
}

void
opttest_check_defaults(const struct t_conf *c)
{
    ck_assert_int_eq(c->log_level, 2);
    ck_assert_ptr_null(c->output.user);
    ck_assert_str_eq(c->output.password, "changeme");
    ck_assert(c->output.gzip);
    ck_assert_int_eq(c->output.workers, 2);
    ck_assert_uint_eq(c->output.batch.max_bytes, 5 << 20);
    ck_assert_int_eq(c->output.batch.flush_ms, 1000);
    ck_assert_uint_eq(c->tags.count, 0);
}
