/*
 * Field operations: the "set", "rename", "remove", "copy" and "convert"
 * stages. Run on worker threads, with no allocation: new names and values
 * go to the scratch. Event fields are append-only with the last one
 * winning (event.h), so these stages never edit a field in place: they set
 * new names and event_remove() old ones.
 *
 * Names are dotted paths and operations take whole subtrees: renaming or
 * copying `a` moves `a.b` to `new.b`, and removing `a` removes `a.*`.
 * "message" means the raw text until a stage sets or removes it. rename
 * and copy overwrite: when the source exists, the destination's subtree is
 * removed before the source's fields are set there (so a.b → a leaves only
 * a's new value). "@timestamp" is never a destination: the encoder writes
 * it from the event time (use a time stage).
 *
 * set expands %{name} references from the event (a field's value as text,
 * or the raw message); a reference to an absent field fails the stage
 * (STAGE_NO_MATCH, nothing set, tag _logship_set_failure) rather than
 * writing a guess. "%{" with no closing "}" is literal text. A typed value
 * without references is converted once at init (an invalid one is a
 * configuration error); with references it is converted per event, and a
 * failure sets the string and tags _logship_type_failure. With override
 * false an existing field is left alone (STAGE_SKIPPED).
 *
 * convert leaves a value that does not convert as it is and fails the
 * stage (tag _logship_type_failure); the others are still converted. The
 * `ip` type is a check, not a field type: the text of an IPv4 or IPv6
 * address stays a string, and any other value is removed (an ip-mapped
 * field holding a host name would make Elasticsearch reject the whole
 * document) and fails the stage.
 * Stages with nothing to act on return STAGE_SKIPPED.
 */
#include "config.h"

#include "convert.h"
#include "stages.h"

#include "xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for "fields.<name>" in messages (longer names are cut). */
#define FIELDS_KEY_MAX 128

static const struct span fields_message = SPAN_LIT("message");
static const struct span fields_type_failure =
    SPAN_LIT("_logship_type_failure");

/*
 * True when name is prefix itself or lies under it (prefix.x). Inline
 * compares: copy runs this on every field of every access-log line.
 */
static inline bool
fields_under(struct span name, struct span prefix)
{
    return name.len >= prefix.len &&
           span_mem_eq(name.ptr, prefix.ptr, prefix.len) &&
           (name.len == prefix.len || name.ptr[prefix.len] == '.');
}

/*
 * Checks a destination name given under key ("field", "fields.a"):
 * neither empty nor "@timestamp" (or below). Returns 0 or -EINVAL.
 */
static int
fields_check_dest(const char *key, const char *name, struct errbuf *err)
{
    if (name[0] == '\0')
        return errbuf_set(err, "%s: the field name must not be empty", key);
    if (fields_under(span_str(name), SPAN_LIT("@timestamp")))
        return errbuf_set(err,
                          "%s: '%s': @timestamp is written from the event "
                          "time; set it with a time stage",
                          key, name);
    return 0;
}

/* ---- set ---- */

struct fields_set_conf {
    char *field; /* owned */
    char *value; /* owned */
    char *type;  /* owned */
    bool override;
};

static const struct opt fields_set_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_set_conf, field),
     .help = "field to set (a dotted path)"},
    {.name = "value",
     .type = OPT_STRING,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_set_conf, value),
     .help = "the value; %{name} is replaced by that field's value, and an "
             "absent field fails the stage"},
    {.name = "type",
     .type = OPT_STRING,
     .def = "string",
     .offset = offsetof(struct fields_set_conf, type),
     .help = "int | float | bool | string"},
    {.name = "override",
     .type = OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct fields_set_conf, override),
     .help = "replace the field when it exists already"},
    {0},
};

/* A piece of the value template: literal text or a %{reference}. */
struct fields_set_part {
    struct span text; /* borrowed: conf; the name for a reference */
    bool ref;
};

struct fields_set_state {
    struct span field;             /* borrowed: conf */
    struct fields_set_part *parts; /* owned array */
    size_t nparts;
    size_t nrefs;
    enum field_type type;
    struct span fixed; /* without references: the converted value */
    char *fixed_text;  /* owned: fixed's bytes */
};

static void
fields_set_fini(struct stage *st)
{
    struct fields_set_state *s = st->state;
    if (s == NULL)
        return;
    free(s->parts);
    free(s->fixed_text);
    free(s);
    st->state = NULL;
}

/* Splits the value into literal and reference parts; 0 or -EINVAL. */
static int
fields_set_parse_template(struct fields_set_state *s, const char *value,
                          struct errbuf *err)
{
    const char *p = value;

    s->parts = xcalloc(strlen(value) + 1, sizeof(*s->parts));
    while (*p != '\0') {
        const char *open = strstr(p, "%{");
        const char *close = open != NULL ? strchr(open + 2, '}') : NULL;
        if (close == NULL) {
            s->parts[s->nparts++] =
                (struct fields_set_part){span_str(p), false};
            break;
        }
        if (close == open + 2)
            return errbuf_set(err, "value: empty reference %%{}");
        if (open > p)
            s->parts[s->nparts++] =
                (struct fields_set_part){{p, (size_t)(open - p)}, false};
        s->parts[s->nparts++] = (struct fields_set_part){
            {open + 2, (size_t)(close - open - 2)}, true};
        s->nrefs++;
        p = close + 1;
    }
    return 0;
}

/* Converts a value without references once, at init; 0 or -EINVAL. */
static int
fields_set_fix_value(struct fields_set_state *s, const char *value,
                     struct errbuf *err)
{
    struct scratch sc;
    struct span out;

    scratch_init(&sc);
    int rc = convert_value(span_str(value), s->type, &sc, &out);
    if (rc == 0) {
        s->fixed_text = xstrndup(out.ptr, out.len);
        s->fixed = (struct span){s->fixed_text, out.len};
    }
    scratch_fini(&sc);
    if (rc < 0)
        return errbuf_set(err, "value: '%s' is not a valid %s", value,
                          convert_type_name(s->type));
    return 0;
}

static int
fields_set_init(struct stage *st, struct errbuf *err)
{
    const struct fields_set_conf *c = st->conf;
    struct fields_set_state *s = xcalloc(1, sizeof(*s));
    int rc;

    st->state = s;
    rc = fields_check_dest("field", c->field, err);
    if (rc == 0 && convert_type_parse(c->type, &s->type) < 0)
        rc = errbuf_set(err,
                        "type: unknown type '%s' (expected int, float, bool "
                        "or string)",
                        c->type);
    if (rc == 0)
        rc = fields_set_parse_template(s, c->value, err);
    if (rc == 0 && s->nrefs == 0)
        rc = fields_set_fix_value(s, c->value, err);
    if (rc < 0) {
        fields_set_fini(st);
        return rc;
    }
    s->field = span_str(c->field);
    return 0;
}

/* Expands the template into the scratch; false when a reference is absent. */
static bool
fields_set_expand(const struct fields_set_state *s, const struct event *ev,
                  struct scratch *sc, struct span *out)
{
    struct span *vals = scratch_alloc(sc, s->nparts * sizeof(*vals));
    size_t len = 0;

    for (size_t i = 0; i < s->nparts; i++) {
        vals[i] = s->parts[i].text;
        if (s->parts[i].ref && !event_value(ev, vals[i], &vals[i], NULL))
            return false;
        len += vals[i].len;
    }
    if (s->nparts == 1) {
        *out = vals[0]; /* "%{x}" alone: the value itself, no copy */
        return true;
    }
    char *p = scratch_alloc(sc, len);
    out->ptr = p;
    out->len = len;
    for (size_t i = 0; i < s->nparts; i++) {
        memcpy(p, vals[i].ptr, vals[i].len);
        p += vals[i].len;
    }
    return true;
}

static enum stage_status
fields_set_apply(const struct stage *st, void *worker, struct event *ev,
                 struct stage_ctx *ctx)
{
    const struct fields_set_conf *c = st->conf;
    const struct fields_set_state *s = st->state;
    struct span value;
    enum field_type type = s->type;

    (void)worker;
    if (!c->override && event_value(ev, s->field, &value, NULL))
        return STAGE_SKIPPED;
    if (s->nrefs == 0) {
        event_set(ev, s->field, s->fixed, type);
        return STAGE_OK;
    }
    if (!fields_set_expand(s, ev, ctx->scratch, &value))
        return STAGE_NO_MATCH;
    if (convert_value(value, type, ctx->scratch, &value) < 0) {
        type = FIELD_STRING;
        event_add_tag(ev, fields_type_failure);
    }
    event_set(ev, s->field, value, type);
    return STAGE_OK;
}

/* The "set" stage type (listed in parsers/stages.c). */
const struct stage_type stage_set = {
    .name = "set",
    .options = fields_set_options,
    .conf_size = sizeof(struct fields_set_conf),
    .summary = "sets a field to a value, with %{field} references",
    .failure_tag = "_logship_set_failure",
    .init = fields_set_init,
    .apply = fields_set_apply,
    .fini = fields_set_fini,
};

/* ---- rename and copy ---- */

struct fields_move_conf {
    struct strmap fields;
};

static const struct opt fields_rename_options[] = {
    {.name = "fields",
     .type = OPT_STRMAP,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_move_conf, fields),
     .help = "old: new; subfields move along (a.b → new.b)"},
    {0},
};

static const struct opt fields_copy_options[] = {
    {.name = "fields",
     .type = OPT_STRMAP,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_move_conf, fields),
     .help = "from: to; subfields are copied along (a.b → to.b)"},
    {0},
};

/* init's result: the names of conf->fields as spans, in order. */
struct fields_move_pair {
    struct span from; /* borrowed: conf */
    struct span to;   /* borrowed: conf */
};

static void
fields_move_fini(struct stage *st)
{
    free(st->state);
    st->state = NULL;
}

static int
fields_move_init(struct stage *st, struct errbuf *err)
{
    const struct fields_move_conf *c = st->conf;

    if (c->fields.count == 0)
        return errbuf_set(err, "fields: no field given");
    for (size_t i = 0; i < c->fields.count; i++) {
        const char *from = c->fields.keys[i], *to = c->fields.values[i];
        char key[FIELDS_KEY_MAX];
        snprintf(key, sizeof(key), "fields.%s", from);
        int rc = fields_check_dest(key, to, err);
        if (rc < 0)
            return rc;
        if (fields_under(span_str(to), span_str(from)))
            return errbuf_set(err, "%s: '%s' lies inside '%s'", key, to, from);
    }
    struct fields_move_pair *pairs = xcalloc(c->fields.count, sizeof(*pairs));
    for (size_t i = 0; i < c->fields.count; i++)
        pairs[i] = (struct fields_move_pair){span_str(c->fields.keys[i]),
                                             span_str(c->fields.values[i])};
    st->state = pairs;
    return 0;
}

/*
 * Sets to (and below) from the fields under from, the raw message counted
 * for "message"; with remove, from's subtree goes. to is config memory,
 * so a field that lands on to itself gets it as a static name (the
 * encoder's shape cache then compares the pointer); names below it are
 * built in the scratch. Returns how many fields were set (0: from is
 * absent and nothing changed).
 */
static size_t
fields_move_tree(struct event *ev, struct scratch *sc, struct span from,
                 struct span to, bool remove)
{
    bool raw = span_eq(from, fields_message) &&
               !(ev->flags & EVENT_NO_MESSAGE) &&
               event_get(ev, fields_message) == NULL;
    struct field *src = NULL;
    size_t n = 0;
    bool to_exists = false;

    /* Copy the sources out first: removing `to` may remove them too. */
    if (raw) {
        src = scratch_alloc(sc, (ev->nfields + 1) * sizeof(*src));
        src[n++] = (struct field){to, ev->text, FIELD_STRING, true};
    }
    for (size_t i = 0; i < ev->nfields; i++) {
        const struct field *fp = &ev->fields[i];
        to_exists |= fields_under(fp->name, to);
        if (!fields_under(fp->name, from))
            continue;
        struct field f = *fp;
        if (src == NULL)
            src = scratch_alloc(sc, (ev->nfields - i + 1) * sizeof(*src));
        size_t rest = f.name.len - from.len;
        struct span name = to;
        if (rest > 0) {
            char *p = scratch_alloc(sc, to.len + rest);
            memcpy(p, to.ptr, to.len);
            memcpy(p + to.len, f.name.ptr + from.len, rest);
            name = (struct span){p, to.len + rest};
        }
        src[n++] = (struct field){name, f.value, f.type, rest == 0};
    }
    if (n == 0)
        return 0;
    if (to_exists) /* the common case, a new name, skips a second scan */
        event_remove(ev, to);
    if (remove)
        event_remove(ev, from);
    for (size_t k = 0; k < n; k++) {
        if (src[k].static_name)
            event_set_static(ev, src[k].name, src[k].value, src[k].type);
        else
            event_set(ev, src[k].name, src[k].value, src[k].type);
    }
    return n;
}

static enum stage_status
fields_move_apply(const struct stage *st, struct event *ev, struct scratch *sc,
                  bool remove)
{
    const struct fields_move_conf *c = st->conf;
    const struct fields_move_pair *pairs = st->state;
    size_t moved = 0;

    for (size_t i = 0; i < c->fields.count; i++)
        moved += fields_move_tree(ev, sc, pairs[i].from, pairs[i].to, remove);
    return moved > 0 ? STAGE_OK : STAGE_SKIPPED;
}

static enum stage_status
fields_rename_apply(const struct stage *st, void *worker, struct event *ev,
                    struct stage_ctx *ctx)
{
    (void)worker;
    return fields_move_apply(st, ev, ctx->scratch, true);
}

static enum stage_status
fields_copy_apply(const struct stage *st, void *worker, struct event *ev,
                  struct stage_ctx *ctx)
{
    (void)worker;
    return fields_move_apply(st, ev, ctx->scratch, false);
}

/* The "rename" stage type (listed in parsers/stages.c). */
const struct stage_type stage_rename = {
    .name = "rename",
    .options = fields_rename_options,
    .conf_size = sizeof(struct fields_move_conf),
    .summary = "renames fields and their subfields",
    .init = fields_move_init,
    .apply = fields_rename_apply,
    .fini = fields_move_fini,
};

/* The "copy" stage type (listed in parsers/stages.c). */
const struct stage_type stage_copy = {
    .name = "copy",
    .options = fields_copy_options,
    .conf_size = sizeof(struct fields_move_conf),
    .summary = "copies fields and their subfields",
    .init = fields_move_init,
    .apply = fields_copy_apply,
    .fini = fields_move_fini,
};

/* ---- remove ---- */

struct fields_remove_conf {
    struct strlist fields;
};

static const struct opt fields_remove_options[] = {
    {.name = "fields",
     .type = OPT_STRLIST,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_remove_conf, fields),
     .help = "fields to remove with their subfields; \"message\" removes "
             "the raw text too"},
    {0},
};

static int
fields_remove_init(struct stage *st, struct errbuf *err)
{
    const struct fields_remove_conf *c = st->conf;

    if (c->fields.count == 0)
        return errbuf_set(err, "fields: no field given");
    for (size_t i = 0; i < c->fields.count; i++) {
        if (c->fields.items[i][0] == '\0')
            return errbuf_set(err, "fields: a field name must not be empty");
    }
    return 0;
}

static enum stage_status
fields_remove_apply(const struct stage *st, void *worker, struct event *ev,
                    struct stage_ctx *ctx)
{
    const struct fields_remove_conf *c = st->conf;
    size_t removed = 0;

    (void)worker;
    (void)ctx;
    for (size_t i = 0; i < c->fields.count; i++)
        removed += event_remove(ev, span_str(c->fields.items[i]));
    return removed > 0 ? STAGE_OK : STAGE_SKIPPED;
}

/* The "remove" stage type (listed in parsers/stages.c). */
const struct stage_type stage_remove = {
    .name = "remove",
    .options = fields_remove_options,
    .conf_size = sizeof(struct fields_remove_conf),
    .summary = "removes fields and their subfields",
    .init = fields_remove_init,
    .apply = fields_remove_apply,
};

/* ---- convert ---- */

struct fields_convert_conf {
    struct strmap fields;
};

static const struct opt fields_convert_options[] = {
    {.name = "fields",
     .type = OPT_STRMAP,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct fields_convert_conf, fields),
     .help = "field: int | float | bool | string | ip; a value that does not "
             "convert is left as it is and the stage fails. ip keeps an IPv4 "
             "or IPv6 address as the string it is (inet_pton syntax: no "
             "blanks, no %zone suffix); any other value (a host name, \"-\") "
             "is removed instead, since Elasticsearch rejects a whole "
             "document whose ip field is not an address, and the stage "
             "fails"},
    {0},
};

/* What one field converts to: a field type, or a checked IP address. */
struct fields_convert_to {
    struct span name;     /* borrowed: conf */
    enum field_type type; /* FIELD_STRING for ip */
    bool ip;
    char *note; /* owned: --explain text when the field does not convert */
};

/* init's result: one target per field, in the order of conf->fields. */
struct fields_convert_state {
    struct fields_convert_to *to; /* owned array */
    size_t count;
};

static void
fields_convert_fini(struct stage *st)
{
    struct fields_convert_state *s = st->state;
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->to[i].note);
    free(s->to);
    free(s);
    st->state = NULL;
}

/* Parses the target of field name; 0 or -EINVAL. */
static int
fields_convert_parse(const char *name, const char *type,
                     struct fields_convert_to *to, struct errbuf *err)
{
    if (strcmp(type, "ip") == 0) {
        /* Removing "message" would remove the raw line itself. */
        if (strcmp(name, "message") == 0)
            return errbuf_set(err,
                              "fields.message: a failed ip check removes the "
                              "field; copy the message to a field and check "
                              "that");
        to->type = FIELD_STRING;
        to->ip = true;
        to->note = xasprintf("%s is not an IP address: removed", name);
        return 0;
    }
    if (convert_type_parse(type, &to->type) < 0)
        return errbuf_set(err,
                          "fields.%s: unknown type '%s' (expected int, "
                          "float, bool, string or ip)",
                          name, type);
    to->note = xasprintf("%s is not a valid %s: kept", name,
                         convert_type_name(to->type));
    return 0;
}

static int
fields_convert_init(struct stage *st, struct errbuf *err)
{
    const struct fields_convert_conf *c = st->conf;

    if (c->fields.count == 0)
        return errbuf_set(err, "fields: no field given");
    struct fields_convert_state *s = xcalloc(1, sizeof(*s));
    st->state = s;
    s->to = xcalloc(c->fields.count, sizeof(*s->to));
    s->count = c->fields.count;
    for (size_t i = 0; i < c->fields.count; i++) {
        s->to[i].name = span_str(c->fields.keys[i]);
        int rc = fields_convert_parse(c->fields.keys[i], c->fields.values[i],
                                      &s->to[i], err);
        if (rc < 0) {
            fields_convert_fini(st);
            return rc;
        }
    }
    return 0;
}

/*
 * Converts (or checks) one present field; false when it did not convert,
 * in which case an ip field is removed and any other is left as it is.
 */
static bool
fields_convert_one(struct event *ev, struct span value, enum field_type type,
                   const struct fields_convert_to *to, struct scratch *sc)
{
    if (to->ip) {
        if (type == FIELD_STRING && convert_ip(value) == 0)
            return true;
        event_remove(ev, to->name);
        return false;
    }
    if (type == to->type)
        return true;
    if (convert_value(value, to->type, sc, &value) < 0)
        return false;
    event_set_static(ev, to->name, value, to->type);
    return true;
}

static enum stage_status
fields_convert_apply(const struct stage *st, void *worker, struct event *ev,
                     struct stage_ctx *ctx)
{
    const struct fields_convert_conf *c = st->conf;
    const struct fields_convert_state *s = st->state;
    bool found = false, failed = false;

    (void)worker;
    for (size_t i = 0; i < c->fields.count; i++) {
        struct span value;
        enum field_type type;
        if (!event_value(ev, s->to[i].name, &value, &type))
            continue;
        found = true;
        if (!fields_convert_one(ev, value, type, &s->to[i], ctx->scratch)) {
            if (!failed)
                ctx->note = s->to[i].note;
            failed = true;
        }
    }
    if (failed)
        return STAGE_NO_MATCH;
    return found ? STAGE_OK : STAGE_SKIPPED;
}

/* The "convert" stage type (listed in parsers/stages.c). */
const struct stage_type stage_convert = {
    .name = "convert",
    .options = fields_convert_options,
    .conf_size = sizeof(struct fields_convert_conf),
    .summary = "converts fields to int, float, bool or string, or checks IP "
               "addresses",
    .failure_tag = "_logship_type_failure",
    .init = fields_convert_init,
    .apply = fields_convert_apply,
    .fini = fields_convert_fini,
};
