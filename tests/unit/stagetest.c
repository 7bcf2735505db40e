/*
 * The stage harness: binds options from YAML text the way the config
 * loader does (conftree, then options_bind), then drives the stage type's
 * callbacks directly, with no chain around them. Everything fails the
 * running Check test on error (ck_assert in the forked child).
 */
#include "config.h"

#include "stagetest.h"

#include "conftree.h"
#include "options.h"
#include "xalloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

int
stagetest_open(struct stagetest *t, const struct stage_type *type,
               const char *yaml, struct errbuf *err)
{
    return stagetest_open_in_zone(t, type, yaml, NULL, err);
}

int
stagetest_open_in_zone(struct stagetest *t, const struct stage_type *type,
                       const char *yaml, const char *zone, struct errbuf *err)
{
    struct errlist errs = {0};
    struct opt_ctx octx = {.errs = &errs, .file = "t.yml"};
    struct conf_tree *tree = NULL;

    memset(t, 0, sizeof(*t));
    t->st.type = type;
    t->st.name = xstrdup(type->name);
    t->st.conf = xcalloc(1, type->conf_size);
    t->st.default_timezone = zone;
    if (yaml[0] != '\0') {
        tree = conftree_load_string("t.yml", yaml, strlen(yaml), &errs);
        ck_assert_msg(tree != NULL, "%s", errs.count ? errs.msgs[0] : "");
    }
    size_t n = options_bind(type->options, tree ? tree->root : NULL, t->st.conf,
                            &octx);
    ck_assert_msg(n == 0, "%s", n ? errs.msgs[0] : "");
    errlist_fini(&errs);
    conftree_destroy(tree);
    scratch_init(&t->sc);
    t->ctx.scratch = &t->sc;
    ndjson_enc_init(&t->enc);
    buf_init(&t->out, 0);
    int rc = type->init(&t->st, err);
    t->inited = rc == 0;
    if (t->inited && type->worker_new != NULL)
        t->worker = type->worker_new(&t->st);
    return rc;
}

void
stagetest_open_ok(struct stagetest *t, const struct stage_type *type,
                  const char *yaml)
{
    struct errbuf err = {{0}};
    int rc = stagetest_open(t, type, yaml, &err);
    ck_assert_msg(rc == 0, "init: %s", err.msg);
}

void
stagetest_close(struct stagetest *t)
{
    if (t->worker != NULL)
        t->st.type->worker_free(t->worker);
    if (t->inited && t->st.type->fini != NULL)
        t->st.type->fini(&t->st);
    options_fini(t->st.type->options, t->st.conf);
    free(t->st.conf);
    free(t->st.name);
    event_fini(&t->ev);
    scratch_fini(&t->sc);
    ndjson_enc_fini(&t->enc);
    buf_fini(&t->out);
}

void
stagetest_init_fails(const struct stage_type *type, const char *yaml,
                     const char *msg)
{
    struct stagetest t;
    struct errbuf err = {{0}};
    ck_assert_int_lt(stagetest_open(&t, type, yaml, &err), 0);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_ptr_null(t.st.state);
    stagetest_close(&t);
}

void
stagetest_begin(struct stagetest *t, const char *line, size_t len)
{
    scratch_reset(&t->sc);
    event_reset(&t->ev);
    t->ev.text = (struct span){line, len};
    t->ctx.note = NULL;
}

enum stage_status
stagetest_run(struct stagetest *t)
{
    return t->st.type->apply(&t->st, t->worker, &t->ev, &t->ctx);
}

enum stage_status
stagetest_apply_len(struct stagetest *t, const char *line, size_t len)
{
    stagetest_begin(t, line, len);
    return stagetest_run(t);
}

enum stage_status
stagetest_apply(struct stagetest *t, const char *line)
{
    return stagetest_apply_len(t, line, strlen(line));
}

const char *
stagetest_doc(struct stagetest *t)
{
    static const char prefix[] = "{\"@timestamp\":\"1970-01-01T00:00:00.000Z\"";
    size_t plen = sizeof(prefix) - 1;

    buf_reset(&t->out);
    ck_assert_int_eq(ndjson_write_event(&t->enc, &t->out, &t->ev), 0);
    ck_assert_msg(strncmp(t->out.data, prefix, plen) == 0, "%s", t->out.data);
    ck_assert(t->out.len > plen + 1 && t->out.data[t->out.len - 1] == '\n');
    t->out.data[--t->out.len] = '\0';
    if (t->out.data[plen] == ',')
        plen++;
    t->out.data[plen - 1] = '{';
    return t->out.data + plen - 1;
}

const char *
stagetest_dump(struct stagetest *t)
{
    static const char *const types[] = {"", " (int)", " (float)", " (bool)",
                                        " (json)"};
    buf_reset(&t->out);
    (void)buf_append(&t->out, "", 0);
    for (size_t i = 0; i < t->ev.nfields; i++) {
        const struct field *f = &t->ev.fields[i];
        (void)buf_printf(&t->out, "%.*s=%.*s%s\n", (int)f->name.len,
                         f->name.ptr, (int)f->value.len, f->value.ptr,
                         types[f->type]);
    }
    for (size_t i = 0; i < t->ev.ntags; i++)
        (void)buf_printf(&t->out, "#%.*s\n", (int)t->ev.tags[i].len,
                         t->ev.tags[i].ptr);
    return t->out.data;
}

void
stagetest_field(const struct stagetest *t, const char *name, const char *value,
                enum field_type type)
{
    const struct field *f = event_get(&t->ev, span_str(name));
    ck_assert_msg(f != NULL, "no field %s", name);
    ck_assert_msg(span_eq(f->value, span_str(value)), "%s: '%.*s'", name,
                  (int)f->value.len, f->value.ptr);
    ck_assert_int_eq(f->type, type);
}

void
stagetest_match(struct stagetest *t, const char *line, const char *expected)
{
    ck_assert_int_eq(stagetest_apply(t, line), STAGE_OK);
    ck_assert_str_eq(stagetest_dump(t), expected);
}
