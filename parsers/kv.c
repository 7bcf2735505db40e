/*
 * The "kv" stage: key=value pairs (and logfmt: `level=info msg="hello
 * world"`) → fields. Runs on worker threads; one pass over the text with a
 * byte-class table built at init, no allocation: keys and unquoted values
 * are slices of the text, and only quoted values holding escapes are
 * rewritten into the scratch.
 *
 * Grammar: pairs are separated by runs of field_split characters; a key
 * runs to the first value_split character (the rest of the pair, further
 * value_split characters included, is the value). A value starting with a
 * quote character runs to the matching unescaped quote, with \<quote> and
 * \\ unescaped (other backslashes are kept); whatever follows the closing
 * quote up to the next separator is ignored, and a quote never closed is
 * an ordinary character. Bare words (no value_split) are skipped, as are
 * pairs with an empty key; an empty value (`k=`, `k=""`) sets nothing.
 * include_keys, exclude_keys and types name keys as written in the text
 * (before target is prefixed). A line with no pair at all → STAGE_NO_MATCH
 * (pairs that were filtered out or empty still count as found).
 */
#include "config.h"

#include "convert.h"
#include "stages.h"

#include "xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

enum kv_class {
    KV_FIELD_SPLIT = 1u << 0,
    KV_VALUE_SPLIT = 1u << 1,
    KV_QUOTE = 1u << 2,
};

struct kv_conf {
    char *field;       /* owned */
    char *field_split; /* owned */
    char *value_split; /* owned */
    char *quotes;      /* owned */
    char *target;      /* owned: NULL for the top level */
    struct strlist include_keys;
    struct strlist exclude_keys;
    struct strmap types;
};

static const struct opt kv_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "message",
     .offset = offsetof(struct kv_conf, field),
     .help = "field holding the pairs"},
    {.name = "field_split",
     .type = OPT_STRING,
     .def = " ",
     .offset = offsetof(struct kv_conf, field_split),
     .help = "characters that separate pairs (any run of them)"},
    {.name = "value_split",
     .type = OPT_STRING,
     .def = "=",
     .offset = offsetof(struct kv_conf, value_split),
     .help = "characters that separate a key from its value"},
    {.name = "quotes",
     .type = OPT_STRING,
     .def = "\"'",
     .offset = offsetof(struct kv_conf, quotes),
     .help = "characters that quote a value (empty: none)"},
    {.name = "target",
     .type = OPT_STRING,
     .offset = offsetof(struct kv_conf, target),
     .help = "dotted prefix for the fields (default: the top level)"},
    {.name = "include_keys",
     .type = OPT_STRLIST,
     .offset = offsetof(struct kv_conf, include_keys),
     .help = "keep only these keys (default: all)"},
    {.name = "exclude_keys",
     .type = OPT_STRLIST,
     .offset = offsetof(struct kv_conf, exclude_keys),
     .help = "drop these keys"},
    {.name = "types",
     .type = OPT_STRMAP,
     .offset = offsetof(struct kv_conf, types),
     .help = "key: int | float | bool | string; a value that does not "
             "convert stays a string and the event is tagged "
             "_logship_type_failure"},
    {0},
};

struct kv_typed {
    struct span key; /* borrowed: conf */
    enum field_type type;
};

struct kv_state {
    struct span field;    /* borrowed: conf */
    struct span target;   /* borrowed: conf; empty for the top level */
    uint8_t cls[256];     /* enum kv_class bits per byte */
    struct span *include; /* owned array; items borrowed from conf */
    size_t ninclude;
    struct span *exclude; /* owned array; items borrowed from conf */
    size_t nexclude;
    struct kv_typed *typed; /* owned array */
    size_t ntyped;
};

static const struct span kv_type_failure = SPAN_LIT("_logship_type_failure");

static void
kv_fini(struct stage *st)
{
    struct kv_state *s = st->state;
    if (s == NULL)
        return;
    free(s->include);
    free(s->exclude);
    free(s->typed);
    free(s);
    st->state = NULL;
}

/* What each class is called in messages, by bit position. */
static const char *const kv_class_names[] = {"field_split", "value_split",
                                             "quotes"};

/*
 * Marks the bytes of the option `key` (chars) with class bit; a byte that
 * already has a class is an error. Returns 0 or -EINVAL.
 */
static int
kv_classify(struct kv_state *s, const char *key, const char *chars, uint8_t bit,
            struct errbuf *err)
{
    if (chars == NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)chars; *p; p++) {
        uint8_t other = s->cls[*p] & (uint8_t)~bit;
        if (other != 0) {
            size_t i = other & KV_FIELD_SPLIT ? 0 : 1;
            return errbuf_set(err, "%s: '%c' is also in %s", key, *p,
                              kv_class_names[i]);
        }
        s->cls[*p] |= bit;
    }
    return 0;
}

/* Spans of a strlist's items (an owned array of borrowed spans). */
static struct span *
kv_spans(const struct strlist *list)
{
    struct span *spans = xcalloc(list->count + 1, sizeof(*spans));
    for (size_t i = 0; i < list->count; i++)
        spans[i] = span_str(list->items[i]);
    return spans;
}

static int
kv_init_types(struct kv_state *s, const struct strmap *types,
              struct errbuf *err)
{
    s->typed = xcalloc(types->count + 1, sizeof(*s->typed));
    for (size_t i = 0; i < types->count; i++) {
        struct kv_typed *t = &s->typed[s->ntyped++];
        t->key = span_str(types->keys[i]);
        if (convert_type_parse(types->values[i], &t->type) < 0)
            return errbuf_set(err,
                              "types.%s: unknown type '%s' (expected int, "
                              "float, bool or string)",
                              types->keys[i], types->values[i]);
    }
    return 0;
}

static int
kv_init(struct stage *st, struct errbuf *err)
{
    const struct kv_conf *c = st->conf;
    struct kv_state *s = xcalloc(1, sizeof(*s));
    int rc = -EINVAL;

    st->state = s;
    if (c->field == NULL || c->field[0] == '\0')
        errbuf_set(err, "field: must not be empty");
    else if (c->field_split == NULL || c->field_split[0] == '\0')
        errbuf_set(err, "field_split: must not be empty");
    else if (c->value_split == NULL || c->value_split[0] == '\0')
        errbuf_set(err, "value_split: must not be empty");
    else if (kv_classify(s, "field_split", c->field_split, KV_FIELD_SPLIT,
                         err) == 0 &&
             kv_classify(s, "value_split", c->value_split, KV_VALUE_SPLIT,
                         err) == 0 &&
             kv_classify(s, "quotes", c->quotes, KV_QUOTE, err) == 0)
        rc = kv_init_types(s, &c->types, err);
    if (rc < 0) {
        kv_fini(st);
        return rc;
    }
    s->field = span_str(c->field);
    s->target = span_str(c->target != NULL ? c->target : "");
    s->include = kv_spans(&c->include_keys);
    s->ninclude = c->include_keys.count;
    s->exclude = kv_spans(&c->exclude_keys);
    s->nexclude = c->exclude_keys.count;
    return 0;
}

static bool
kv_in(const struct span *list, size_t n, struct span key)
{
    for (size_t i = 0; i < n; i++) {
        if (span_eq(list[i], key))
            return true;
    }
    return false;
}

/* The quoted value between open and close (exclusive), \q and \\ undone. */
static struct span
kv_unescape(struct scratch *sc, const char *open, const char *close, char q)
{
    char *d = scratch_alloc(sc, (size_t)(close - open));
    size_t n = 0;

    for (const char *p = open; p < close; p++) {
        if (p[0] == '\\' && p + 1 < close && (p[1] == q || p[1] == '\\'))
            p++;
        d[n++] = *p;
    }
    return (struct span){d, n};
}

/*
 * Reads the value starting at p into *value; returns where the pair ends
 * (at a field separator or end).
 */
static const char *
kv_value(const struct kv_state *s, struct scratch *sc, const char *p,
         const char *end, struct span *value)
{
    const char *v = p;

    if (p < end && (s->cls[(unsigned char)*p] & KV_QUOTE)) {
        char q = *p;
        bool escaped = false;
        const char *i = p + 1;
        while (i < end && *i != q) {
            escaped |= *i == '\\';
            i += *i == '\\' && i + 1 < end ? 2 : 1;
        }
        if (i < end) {
            *value = escaped ? kv_unescape(sc, p + 1, i, q)
                             : (struct span){p + 1, (size_t)(i - p - 1)};
            while (i < end && !(s->cls[(unsigned char)*i] & KV_FIELD_SPLIT))
                i++;
            return i;
        }
    }
    while (p < end && !(s->cls[(unsigned char)*p] & KV_FIELD_SPLIT))
        p++;
    *value = (struct span){v, (size_t)(p - v)};
    return p;
}

/* Sets the field for one pair, filtered, prefixed and typed. */
static void
kv_emit(const struct kv_state *s, struct event *ev, struct scratch *sc,
        struct span key, struct span value)
{
    enum field_type type = FIELD_STRING;
    struct span name = key;

    if ((s->ninclude > 0 && !kv_in(s->include, s->ninclude, key)) ||
        kv_in(s->exclude, s->nexclude, key))
        return;
    for (size_t i = 0; i < s->ntyped; i++) {
        if (!span_eq(s->typed[i].key, key))
            continue;
        if (convert_value(value, s->typed[i].type, sc, &value) == 0)
            type = s->typed[i].type;
        else
            event_add_tag(ev, kv_type_failure);
        break;
    }
    if (s->target.len > 0) {
        char *p = scratch_alloc(sc, s->target.len + 1 + key.len);
        memcpy(p, s->target.ptr, s->target.len);
        p[s->target.len] = '.';
        memcpy(p + s->target.len + 1, key.ptr, key.len);
        name = (struct span){p, s->target.len + 1 + key.len};
    }
    event_set(ev, name, value, type);
}

static enum stage_status
kv_apply(const struct stage *st, void *worker, struct event *ev,
         struct stage_ctx *ctx)
{
    const struct kv_state *s = st->state;
    struct span text, value;
    size_t found = 0;

    (void)worker;
    if (!event_value(ev, s->field, &text, NULL))
        return STAGE_SKIPPED;
    const char *p = text.ptr, *end = text.ptr + text.len;
    while (p < end) {
        while (p < end && (s->cls[(unsigned char)*p] & KV_FIELD_SPLIT))
            p++;
        const char *k = p;
        while (p < end &&
               !(s->cls[(unsigned char)*p] & (KV_FIELD_SPLIT | KV_VALUE_SPLIT)))
            p++;
        if (p == end || !(s->cls[(unsigned char)*p] & KV_VALUE_SPLIT))
            continue; /* a bare word, or trailing separators */
        struct span key = {k, (size_t)(p - k)};
        p = kv_value(s, ctx->scratch, p + 1, end, &value);
        if (key.len == 0)
            continue;
        found++;
        if (value.len > 0)
            kv_emit(s, ev, ctx->scratch, key, value);
    }
    return found > 0 ? STAGE_OK : STAGE_NO_MATCH;
}

/* The "kv" stage type (listed in parsers/stages.c). */
const struct stage_type stage_kv = {
    .name = "kv",
    .options = kv_options,
    .conf_size = sizeof(struct kv_conf),
    .summary = "splits key=value pairs (logfmt) into fields",
    .init = kv_init,
    .apply = kv_apply,
    .fini = kv_fini,
};
