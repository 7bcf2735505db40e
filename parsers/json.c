/*
 * The "json" stage: a field holding a JSON object (a JSON log line) →
 * fields, nested objects flattened into dotted names ({"http":{"method":
 * "GET"}} → http.method). Runs on worker threads. jansson parses, with
 * its allocations made in the worker's scratch (xalloc_json_arena), so a
 * warm worker parses JSON lines without malloc. Everything the event keeps
 * is copied into the scratch before json_decref (correct with or without
 * the arena); arrays and objects deeper than max_depth are written
 * back as compact JSON (FIELD_JSON) through a per-worker buffer, with reals
 * in shortest round-trip form (jansson itself would write 17 digits:
 * 1.1 → 1.1000000000000001).
 *
 * Mapping: strings → FIELD_STRING (decoded; may hold NUL, lengths kept),
 * integers → FIELD_INT, reals → FIELD_FLOAT (always with '.' or an
 * exponent), true/false → FIELD_BOOL, null → no field, arrays and empty
 * objects → FIELD_JSON. Keys holding dots are kept as given, so they nest
 * like Elasticsearch's dotted keys. At the top level without a target, a
 * "message" member replaces the raw message (the point of JSON logs), and
 * "@timestamp" becomes the field "timestamp": the encoder writes
 * @timestamp from ev->time_ns, so a following time stage should parse
 * `timestamp`. An absent field → STAGE_SKIPPED. Not an object, or not
 * valid JSON → STAGE_NO_MATCH; so are integers outside jansson's range
 * (long long) and NUL in keys, which jansson refuses.
 */
#include "config.h"

#include "convert.h"
#include "stages.h"

#include "buf.h"
#include "xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

struct json_conf {
    char *field;  /* owned */
    char *target; /* owned: NULL or "" for the top level */
    int64_t max_depth;
};

static const struct opt json_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "message",
     .offset = offsetof(struct json_conf, field),
     .help = "field holding the JSON object"},
    {.name = "target",
     .type = OPT_STRING,
     .offset = offsetof(struct json_conf, target),
     .help = "dotted prefix for the parsed fields (default: the top level)"},
    {.name = "max_depth",
     .type = OPT_INT,
     .def = "16",
     .min = 1,
     .max = 64,
     .offset = offsetof(struct json_conf, max_depth),
     .help = "levels of objects flattened into dotted names; deeper objects "
             "are kept as JSON values"},
    {0},
};

struct json_state {
    struct span field;  /* borrowed: conf */
    struct span target; /* borrowed: conf; empty for the top level */
    size_t max_depth;
};

/* One parse's context while flattening into the event. */
struct json_walk {
    struct event *ev;   /* borrowed */
    struct scratch *sc; /* borrowed */
    struct buf *dump;   /* borrowed: the worker's buffer */
    size_t max_depth;
};

static void json_walk_object(struct json_walk *w, const json_t *obj,
                             struct span prefix, size_t depth);

static int
json_init(struct stage *st, struct errbuf *err)
{
    const struct json_conf *c = st->conf;

    if (c->field == NULL || c->field[0] == '\0')
        return errbuf_set(err, "field: must not be empty");
    struct json_state *s = xcalloc(1, sizeof(*s));
    s->field = span_str(c->field);
    s->target = span_str(c->target != NULL ? c->target : "");
    s->max_depth = (size_t)c->max_depth;
    st->state = s;
    return 0;
}

static void
json_fini(struct stage *st)
{
    free(st->state);
    st->state = NULL;
}

static void *
json_worker_new(const struct stage *st)
{
    (void)st;
    struct buf *b = xmalloc(sizeof(*b));
    buf_init(b, 0);
    return b;
}

static void
json_worker_free(void *worker)
{
    struct buf *b = worker;
    buf_fini(b);
    free(b);
}

/* ---- compact JSON for arrays and deep objects ---- */

/* Appends a JSON string; s is valid UTF-8 (jansson checked it). */
static void
json_dump_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    (void)buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        (void)buf_append(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            (void)buf_append(b, esc, 2);
        } else if (c == '\n') {
            (void)buf_append(b, "\\n", 2);
        } else if (c == '\t') {
            (void)buf_append(b, "\\t", 2);
        } else if (c == '\r') {
            (void)buf_append(b, "\\r", 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            (void)buf_append(b, esc, 6);
        }
    }
    (void)buf_append(b, s + run, len - run);
    (void)buf_append(b, "\"", 1);
}

/* Appends v as compact JSON (recursion is bounded by jansson's parser). */
static void
json_dump(struct buf *b, const json_t *v)
{
    const char *key;
    size_t key_len, i;
    json_t *item;
    char num[CONVERT_DOUBLE_MAX];
    bool first = true;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        (void)buf_append(b, "{", 1);
        json_object_keylen_foreach((json_t *)v, key, key_len, item)
        {
            if (!first)
                (void)buf_append(b, ",", 1);
            first = false;
            json_dump_string(b, key, key_len);
            (void)buf_append(b, ":", 1);
            json_dump(b, item);
        }
        (void)buf_append(b, "}", 1);
        break;
    case JSON_ARRAY:
        (void)buf_append(b, "[", 1);
        json_array_foreach(v, i, item)
        {
            if (i > 0)
                (void)buf_append(b, ",", 1);
            json_dump(b, item);
        }
        (void)buf_append(b, "]", 1);
        break;
    case JSON_STRING:
        json_dump_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        (void)buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        /* jansson refuses inf and nan, so this never writes nothing. */
        (void)buf_append(b, num,
                         convert_format_double(json_real_value(v), num));
        break;
    case JSON_TRUE:
        (void)buf_append_str(b, "true");
        break;
    case JSON_FALSE:
        (void)buf_append_str(b, "false");
        break;
    case JSON_NULL:
        (void)buf_append_str(b, "null");
        break;
    }
}

/* ---- flattening into fields ---- */

/* v as compact JSON in the scratch. */
static struct span
json_dump_scratch(struct json_walk *w, const json_t *v)
{
    buf_reset(w->dump);
    json_dump(w->dump, v);
    char *p = scratch_alloc(w->sc, w->dump->len);
    memcpy(p, w->dump->data, w->dump->len);
    return (struct span){p, w->dump->len};
}

/* Decimal text of i in the scratch, without printf. */
static struct span
json_int_text(struct scratch *sc, json_int_t i)
{
    char tmp[24];
    size_t n = sizeof(tmp);
    uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;

    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (i < 0)
        tmp[--n] = '-';
    char *p = scratch_alloc(sc, sizeof(tmp) - n);
    memcpy(p, tmp + n, sizeof(tmp) - n);
    return (struct span){p, sizeof(tmp) - n};
}

/* Sets name from the value v found at depth (top-level members: 1). */
static void
json_walk_value(struct json_walk *w, struct span name, const json_t *v,
                size_t depth)
{
    struct span value;
    enum field_type type;
    char *p;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (depth < w->max_depth && json_object_size(v) > 0) {
            json_walk_object(w, v, name, depth + 1);
            return;
        }
        value = json_dump_scratch(w, v); /* too deep or empty: kept whole */
        type = FIELD_JSON;
        break;
    case JSON_ARRAY:
        value = json_dump_scratch(w, v);
        type = FIELD_JSON;
        break;
    case JSON_STRING:
        value.len = json_string_length(v);
        p = scratch_alloc(w->sc, value.len);
        memcpy(p, json_string_value(v), value.len);
        value.ptr = p;
        type = FIELD_STRING;
        break;
    case JSON_INTEGER:
        value = json_int_text(w->sc, json_integer_value(v));
        type = FIELD_INT;
        break;
    case JSON_REAL:
        p = scratch_alloc(w->sc, CONVERT_DOUBLE_MAX);
        value = (struct span){p, convert_format_double(json_real_value(v), p)};
        type = FIELD_FLOAT;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        value = json_is_true(v) ? SPAN_LIT("true") : SPAN_LIT("false");
        type = FIELD_BOOL;
        break;
    case JSON_NULL:
    default:
        return;
    }
    event_set(w->ev, name, value, type);
}

/*
 * The field name for key under prefix, in the scratch; root: prefix is
 * the top level itself (no target), where "@timestamp" is renamed.
 */
static struct span
json_name(struct json_walk *w, struct span prefix, bool root, const char *key,
          size_t key_len)
{
    if (root && key_len == 10 && memcmp(key, "@timestamp", 10) == 0)
        return SPAN_LIT("timestamp");
    size_t len = prefix.len + !root + key_len;
    char *p = scratch_alloc(w->sc, len);
    if (!root) {
        memcpy(p, prefix.ptr, prefix.len);
        p[prefix.len] = '.';
    }
    memcpy(p + len - key_len, key, key_len);
    return (struct span){p, len};
}

static void
json_walk_object(struct json_walk *w, const json_t *obj, struct span prefix,
                 size_t depth)
{
    bool root = depth == 1 && prefix.len == 0;
    const char *key;
    size_t key_len;
    json_t *v;

    json_object_keylen_foreach((json_t *)obj, key, key_len, v)
    {
        json_walk_value(w, json_name(w, prefix, root, key, key_len), v, depth);
    }
}

/* Cheap refusal of lines that cannot be an object, before jansson runs. */
static bool
json_may_be_object(struct span text)
{
    for (size_t i = 0; i < text.len; i++) {
        char c = text.ptr[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c == '{';
    }
    return false;
}

static enum stage_status
json_apply(const struct stage *st, void *worker, struct event *ev,
           struct stage_ctx *ctx)
{
    const struct json_state *s = st->state;
    struct span text;
    json_error_t error;

    if (!event_value(ev, s->field, &text, NULL))
        return STAGE_SKIPPED;
    if (!json_may_be_object(text))
        return STAGE_NO_MATCH;
    /* jansson's objects live in the scratch too: no malloc per line. */
    xalloc_json_arena(ctx->scratch);
    enum stage_status status = STAGE_NO_MATCH;
    json_t *root = json_loadb(text.ptr, text.len, JSON_ALLOW_NUL, &error);
    if (root != NULL && json_is_object(root)) {
        struct json_walk w = {
            .ev = ev,
            .sc = ctx->scratch,
            .dump = worker,
            .max_depth = s->max_depth,
        };
        json_walk_object(&w, root, s->target, 1);
        status = STAGE_OK;
    }
    json_decref(root);
    xalloc_json_arena(NULL);
    return status;
}

/* The "json" stage type (listed in parsers/stages.c). */
const struct stage_type stage_json = {
    .name = "json",
    .options = json_options,
    .conf_size = sizeof(struct json_conf),
    .summary = "parses a JSON object (a JSON log line) into fields",
    .init = json_init,
    .worker_new = json_worker_new,
    .worker_free = json_worker_free,
    .apply = json_apply,
    .fini = json_fini,
};
