/*
 * Option tables → conf structs. Walks a mapping node against a table,
 * parses each value by its type, applies defaults, and reports every
 * unknown key, missing required key and wrong type as
 * "file:line:column: key.path: message", going on after each so that all
 * are reported. Pure: no I/O but options_help's FILE and no logging (errors
 * go to the caller's errlist). Main thread, while the config loads.
 */
#include "config.h"

#include "options.h"

#include "buf.h"
#include "xalloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Keys this long get no "did you mean" (and bound the distance rows). */
#define OPTIONS_SUGGEST_MAX_LEN 64
/* Scalars quoted in messages are cut after this many bytes. */
#define OPTIONS_QUOTE_MAX_BYTES 64

struct options_unit {
    const char *name; /* borrowed: a literal */
    uint64_t mult;
};

static const struct options_unit options_size_units[] = {
    {"B", 1},
    {"KB", 1000ULL},
    {"MB", 1000ULL * 1000},
    {"GB", 1000ULL * 1000 * 1000},
    {"TB", 1000ULL * 1000 * 1000 * 1000},
    {"KiB", 1ULL << 10},
    {"MiB", 1ULL << 20},
    {"GiB", 1ULL << 30},
    {"TiB", 1ULL << 40},
    {NULL, 0},
};

static const struct options_unit options_duration_units[] = {
    {"ms", 1},          {"s", 1000},         {"m", 60 * 1000},
    {"h", 3600 * 1000}, {"d", 86400 * 1000}, {NULL, 0},
};

static size_t options_bind_table(const struct opt *table,
                                 const struct conf_node *node, void *dst,
                                 const struct opt_ctx *ctx, bool report);

/* ---- parsing scalars ---- */

/* Parses digits, optional blanks and a unit (none: plain_mult), <= limit. */
static int
options_parse_unit(const char *s, const struct options_unit *units, bool icase,
                   uint64_t plain_mult, uint64_t limit, uint64_t *out)
{
    uint64_t n = 0, mult = plain_mult;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return -EINVAL;
        n = n * 10 + digit;
    }
    size_t blanks = strspn(s, " \t");
    if (blanks > 0 || *s != '\0') {
        s += blanks;
        mult = 0;
        for (const struct options_unit *u = units; u->name; u++) {
            if ((icase ? strcasecmp(s, u->name) : strcmp(s, u->name)) == 0)
                mult = u->mult;
        }
        if (mult == 0)
            return -EINVAL;
    }
    if (n > limit / mult)
        return -EINVAL;
    *out = n * mult;
    return 0;
}

int
options_parse_size(const char *s, uint64_t *bytes)
{
    return options_parse_unit(s, options_size_units, true, 1, UINT64_MAX,
                              bytes);
}

int
options_parse_duration(const char *s, int64_t *ms)
{
    uint64_t v;
    int rc = options_parse_unit(s, options_duration_units, false, 1000,
                                INT64_MAX, &v);
    if (rc == 0)
        *ms = (int64_t)v;
    return rc;
}

int
options_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -EINVAL;
}

/* Parses a decimal integer with an optional sign and nothing around it. */
static int
options_parse_int(const char *s, int64_t *out)
{
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    char *end;

    if (!isdigit((unsigned char)*digits))
        return -EINVAL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -EINVAL;
    *out = v;
    return 0;
}

static bool
options_in_range(const struct opt *opt, int64_t v)
{
    return opt->max <= opt->min || (v >= opt->min && v <= opt->max);
}

static bool
options_size_in_range(const struct opt *opt, uint64_t v)
{
    return opt->max <= opt->min ||
           (v >= (uint64_t)opt->min && v <= (uint64_t)opt->max);
}

static int
options_enum_index(const struct opt *opt, const char *s)
{
    assert(opt->names != NULL);
    for (int i = 0; opt->names[i] != NULL; i++) {
        if (strcmp(opt->names[i], s) == 0)
            return i;
    }
    return -1;
}

/* Parses an OPT_INT, OPT_SIZE or OPT_DURATION value within opt's range. */
static int
options_parse_ranged(const struct opt *opt, const char *text, void *field)
{
    int64_t i64 = 0;
    uint64_t u64 = 0;
    int rc;

    if (opt->type == OPT_SIZE) {
        rc = options_parse_size(text, &u64);
        if (rc == 0 && !options_size_in_range(opt, u64))
            rc = -EINVAL;
        if (rc == 0)
            *(uint64_t *)field = u64;
        return rc;
    }
    if (opt->type == OPT_INT)
        rc = options_parse_int(text, &i64);
    else
        rc = options_parse_duration(text, &i64);
    if (rc == 0 && !options_in_range(opt, i64))
        rc = -EINVAL;
    if (rc == 0)
        *(int64_t *)field = i64;
    return rc;
}

/* Parses text as opt's scalar type into field; -EINVAL when it won't fit. */
static int
options_parse_scalar(const struct opt *opt, const char *text, void *field)
{
    int index;

    switch (opt->type) {
    case OPT_STRING:
        *(char **)field = xstrdup(text);
        return 0;
    case OPT_INT:
    case OPT_SIZE:
    case OPT_DURATION:
        return options_parse_ranged(opt, text, field);
    case OPT_BOOL:
        return options_parse_bool(text, field);
    case OPT_ENUM:
        index = options_enum_index(opt, text);
        if (index < 0)
            return -EINVAL;
        *(int *)field = index;
        return 0;
    case OPT_STRLIST:
    case OPT_STRMAP:
    case OPT_SECTION:
    case OPT_SECTION_LIST:
    case OPT_CUSTOM:
        break;
    }
    assert(!"not a scalar option type");
    return -EINVAL;
}

/* ---- messages ---- */

/* Appends v with the largest unit that divides it: 1024 → "1KiB". */
static void
options_format_unit(struct buf *b, uint64_t v, const struct options_unit *units)
{
    const struct options_unit *best = &units[0];
    for (const struct options_unit *u = units; u->name; u++) {
        if (v % u->mult == 0 && u->mult > best->mult)
            best = u;
    }
    if (v == 0)
        best = &units[0];
    (void)buf_printf(b, "%" PRIu64 "%s", v / best->mult, best->name);
}

static void
options_format_range(struct buf *b, const struct opt *opt,
                     const struct options_unit *units, const char *sep)
{
    options_format_unit(b, (uint64_t)opt->min, units);
    (void)buf_append_str(b, sep);
    options_format_unit(b, (uint64_t)opt->max, units);
}

static void
options_format_names(struct buf *b, const struct opt *opt, const char *sep)
{
    assert(opt->names != NULL);
    for (size_t i = 0; opt->names[i] != NULL; i++)
        (void)buf_printf(b, "%s%s", i ? sep : "", opt->names[i]);
}

/* What a value of opt must be, for messages: "an integer between 1 and 64". */
static void
options_expected(struct buf *b, const struct opt *opt)
{
    bool range = opt->max > opt->min;

    switch (opt->type) {
    case OPT_STRING:
        (void)buf_append_str(b, "a string");
        break;
    case OPT_INT:
        (void)buf_append_str(b, "an integer");
        if (range)
            (void)buf_printf(b, " between %" PRId64 " and %" PRId64, opt->min,
                             opt->max);
        break;
    case OPT_BOOL:
        (void)buf_append_str(b, "true or false");
        break;
    case OPT_SIZE:
        (void)buf_append_str(b, range ? "a size between " : "a size like 5MiB");
        if (range)
            options_format_range(b, opt, options_size_units, " and ");
        break;
    case OPT_DURATION:
        (void)buf_append_str(b, range ? "a duration between "
                                      : "a duration like 10s");
        if (range)
            options_format_range(b, opt, options_duration_units, " and ");
        break;
    case OPT_ENUM:
        (void)buf_append_str(b, "one of ");
        options_format_names(b, opt, ", ");
        break;
    case OPT_STRLIST:
        (void)buf_append_str(b, "a string or a list of strings");
        break;
    case OPT_STRMAP:
        (void)buf_append_str(b, "a mapping of strings");
        break;
    case OPT_SECTION:
        (void)buf_append_str(b, "a mapping");
        break;
    case OPT_SECTION_LIST:
        (void)buf_append_str(b, "a list of mappings");
        break;
    case OPT_CUSTOM:
        (void)buf_append_str(b, opt->custom->type_name ? opt->custom->type_name
                                                       : "a valid value");
        break;
    }
}

/* Appends s quoted, with quotes and control characters escaped, maybe cut. */
static void
options_quote(struct buf *b, const char *s)
{
    size_t len = strlen(s), cut = len;
    if (len > OPTIONS_QUOTE_MAX_BYTES) {
        cut = OPTIONS_QUOTE_MAX_BYTES;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--; /* never cut a UTF-8 sequence */
    }
    (void)buf_append_str(b, "\"");
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            (void)buf_printf(b, "\\%c", c);
        else if (c == '\n')
            (void)buf_append_str(b, "\\n");
        else if (c == '\t')
            (void)buf_append_str(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            (void)buf_printf(b, "\\x%02x", c);
        else
            (void)buf_append(b, &c, 1);
    }
    (void)buf_append_str(b, cut < len ? "\"..." : "\"");
}

/* Appends what n is, for "got ...": a mapping, null, "text". */
static void
options_describe(struct buf *b, const struct opt *opt,
                 const struct conf_node *n)
{
    if (n->kind != CONF_SCALAR)
        (void)buf_printf(b, "a %s", conftree_kind_name(n->kind));
    else if (conftree_is_null(n))
        (void)buf_append_str(b, "null");
    else if (opt != NULL && (opt->flags & OPT_SECRET))
        (void)buf_append_str(b, "a secret value");
    else
        options_quote(b, n->value);
}

static void
options_vappend(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    assert(n >= 0);
    (void)buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

/* Adds "file:line:column: path.key: message"; each part only when known. */
static void
options_verror(const struct opt_ctx *ctx, const char *file, unsigned line,
               unsigned column, const char *key, const char *fmt, va_list ap)
{
    struct buf b;
    bool has_path = ctx->path != NULL && ctx->path[0] != '\0';

    buf_init(&b, 0);
    if (file != NULL && line > 0)
        (void)buf_printf(&b, "%s:%u:%u: ", file, line, column);
    else if (file != NULL)
        (void)buf_printf(&b, "%s: ", file);
    if (has_path && key != NULL)
        (void)buf_printf(&b, "%s.%s: ", ctx->path, key);
    else if (has_path || key != NULL)
        (void)buf_printf(&b, "%s: ", has_path ? ctx->path : key);
    options_vappend(&b, fmt, ap);
    errlist_add(ctx->errs, "%s", b.data);
    buf_fini(&b);
}

int
options_error(const struct opt_ctx *ctx, const struct conf_node *node,
              const char *key, const char *fmt, ...)
{
    const struct conf_node *at = node ? node : ctx->at;
    va_list ap;

    va_start(ap, fmt);
    if (at != NULL)
        options_verror(ctx, at->file, at->line, at->column, key, fmt, ap);
    else
        options_verror(ctx, ctx->file, 0, 0, key, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Like options_error, at the position of node's key. */
static void options_key_error(const struct opt_ctx *ctx,
                              const struct conf_node *node, const char *key,
                              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
options_key_error(const struct opt_ctx *ctx, const struct conf_node *node,
                  const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    options_verror(ctx, node->file, node->key_line, node->key_column, key, fmt,
                   ap);
    va_end(ap);
}

/* Reports "expected <what opt takes>, got <n><hint>" at n. */
static void
options_type_error(const struct opt *opt, const struct conf_node *n,
                   const struct opt_ctx *ctx, const char *hint)
{
    struct buf want, got;
    buf_init(&want, 0);
    buf_init(&got, 0);
    options_expected(&want, opt);
    options_describe(&got, opt, n);
    options_error(ctx, n, NULL, "expected %s, got %s%s", want.data, got.data,
                  hint ? hint : "");
    buf_fini(&want);
    buf_fini(&got);
}

/* ---- "did you mean" ---- */

/* Edit distance with transpositions, ignoring case; SIZE_MAX if too long. */
static size_t
options_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][OPTIONS_SUGGEST_MAX_LEN + 1];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];

    if (la > OPTIONS_SUGGEST_MAX_LEN || lb > OPTIONS_SUGGEST_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t d = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && before[j - 2] + 1 < d)
                d = before[j - 2] + 1;
            cur[j] = d;
        }
        size_t *spare = before;
        before = prev;
        prev = cur;
        cur = spare;
    }
    return prev[lb];
}

/* Keeps candidate in *best if it is the closest to word so far. */
static void
options_consider(const char *word, const char *candidate, const char **best,
                 size_t *best_distance)
{
    size_t d = options_distance(word, candidate);
    if (d < *best_distance) {
        *best = candidate;
        *best_distance = d;
    }
}

/* Returns " (did you mean \"x\"?)" (owned) for a close best, or NULL. */
static char *
options_hint(const char *word, const char *best, size_t distance)
{
    size_t len = strlen(word);
    if (best == NULL || distance >= len || distance > (len + 2) / 3)
        return NULL;
    return xasprintf(" (did you mean \"%s\"?)", best);
}

/* ---- binding ---- */

static char *
options_path_join(const char *path, const char *key)
{
    if (path == NULL || *path == '\0')
        return xstrdup(key);
    return xasprintf("%s.%s", path, key);
}

static void
options_bind_scalar(const struct opt *opt, const struct conf_node *n,
                    void *field, const struct opt_ctx *ctx)
{
    if (n->kind == CONF_SCALAR &&
        options_parse_scalar(opt, n->value, field) == 0)
        return;
    char *hint = NULL;
    if (opt->type == OPT_ENUM && n->kind == CONF_SCALAR &&
        !(opt->flags & OPT_SECRET)) {
        const char *best = NULL;
        size_t distance = SIZE_MAX;
        for (size_t i = 0; opt->names[i] != NULL; i++)
            options_consider(n->value, opt->names[i], &best, &distance);
        hint = options_hint(n->value, best, distance);
    }
    options_type_error(opt, n, ctx, hint);
    free(hint);
}

static void
options_strlist_add(struct strlist *l, const char *s)
{
    l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
    l->items[l->count++] = xstrdup(s);
}

static void
options_bind_strlist(const struct opt *opt, const struct conf_node *n,
                     void *field, const struct opt_ctx *ctx)
{
    if (n->kind == CONF_SCALAR) {
        options_strlist_add(field, n->value);
        return;
    }
    if (n->kind != CONF_SEQ) {
        options_type_error(opt, n, ctx, NULL);
        return;
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct conf_node *item = n->children[i];
        if (item->kind == CONF_SCALAR && !conftree_is_null(item)) {
            options_strlist_add(field, item->value);
            continue;
        }
        struct opt_ctx item_ctx = *ctx;
        struct buf got;
        char *path = xasprintf("%s[%zu]", ctx->path, i);
        item_ctx.path = path;
        buf_init(&got, 0);
        options_describe(&got, opt, item);
        options_error(&item_ctx, item, NULL, "expected a string, got %s",
                      got.data);
        buf_fini(&got);
        free(path);
    }
}

static void
options_strmap_add(struct strmap *m, const char *key, const char *value)
{
    m->keys = xrealloc(m->keys, (m->count + 1) * sizeof(*m->keys));
    m->values = xrealloc(m->values, (m->count + 1) * sizeof(*m->values));
    m->keys[m->count] = xstrdup(key);
    m->values[m->count++] = xstrdup(value);
}

static bool
options_strmap_has(const struct strmap *m, const char *key)
{
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->keys[i], key) == 0)
            return true;
    }
    return false;
}

/* Adds the scalars of map to m under "prefix.key", recursing into maps. */
static void
options_strmap_flatten(const struct opt *opt, const struct conf_node *map,
                       const char *prefix, struct strmap *m,
                       const struct opt_ctx *ctx)
{
    for (size_t i = 0; i < map->nchildren; i++) {
        const struct conf_node *child = map->children[i];
        char *key = prefix ? xasprintf("%s.%s", prefix, child->key)
                           : xstrdup(child->key);
        if (child->kind == CONF_MAP) {
            options_strmap_flatten(opt, child, key, m, ctx);
        } else if (child->kind == CONF_SEQ || conftree_is_null(child)) {
            struct buf got;
            buf_init(&got, 0);
            options_describe(&got, opt, child);
            options_error(ctx, child, key, "expected a string, got %s",
                          got.data);
            buf_fini(&got);
        } else if (options_strmap_has(m, key)) {
            options_key_error(ctx, child, NULL,
                              "duplicate key \"%s\" (nested keys are joined "
                              "with dots)",
                              key);
        } else {
            options_strmap_add(m, key, child->value);
        }
        free(key);
    }
}

static void
options_bind_seclist(const struct opt *opt, const struct conf_node *n,
                     void *field, const struct opt_ctx *ctx)
{
    struct seclist *sl = field;

    if (n->kind != CONF_SEQ) {
        options_type_error(opt, n, ctx, NULL);
        return;
    }
    assert(opt->sub != NULL && opt->sub_size > 0);
    sl->items = xcalloc(n->nchildren, opt->sub_size);
    sl->count = n->nchildren;
    for (size_t i = 0; i < n->nchildren; i++) {
        struct opt_ctx item_ctx = *ctx;
        char *path = xasprintf("%s[%zu]", ctx->path, i);
        item_ctx.path = path;
        item_ctx.at = n->children[i];
        options_bind_table(opt->sub, n->children[i],
                           (char *)sl->items + i * opt->sub_size, &item_ctx,
                           true);
        free(path);
    }
}

/*
 * Binds a present, non-null value n of opt into field. ctx->path is the
 * option's key path, except for OPT_CUSTOM (see options_bind_child).
 */
static void
options_bind_value(const struct opt *opt, const struct conf_node *n,
                   void *field, const struct opt_ctx *ctx)
{
    switch (opt->type) {
    case OPT_STRING:
    case OPT_INT:
    case OPT_BOOL:
    case OPT_SIZE:
    case OPT_DURATION:
    case OPT_ENUM:
        options_bind_scalar(opt, n, field, ctx);
        break;
    case OPT_STRLIST:
        options_bind_strlist(opt, n, field, ctx);
        break;
    case OPT_STRMAP:
        if (n->kind == CONF_MAP)
            options_strmap_flatten(opt, n, NULL, field, ctx);
        else
            options_type_error(opt, n, ctx, NULL);
        break;
    case OPT_SECTION:
        assert(opt->sub != NULL);
        options_bind_table(opt->sub, n, field, ctx, true);
        break;
    case OPT_SECTION_LIST:
        options_bind_seclist(opt, n, field, ctx);
        break;
    case OPT_CUSTOM:
        assert(opt->custom != NULL && opt->custom->bind != NULL);
        opt->custom->bind(opt, n, field, ctx);
        break;
    }
}

/* Binds a list or map default, written in YAML, as if it were the value. */
static void
options_bind_yaml_default(const struct opt *opt, void *field)
{
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs, .path = opt->name};
    struct conf_tree *tree =
        conftree_load_string(opt->name, opt->def, strlen(opt->def), &errs);

    assert(tree != NULL && tree->root != NULL && "bad default");
    options_bind_value(opt, tree->root, field, &ctx);
    assert(errs.count == 0 && "bad default");
    conftree_destroy(tree);
    errlist_fini(&errs);
}

/* Gives field opt's default; report: whether sections report required. */
static void
options_apply_default(const struct opt *opt, void *field,
                      const struct opt_ctx *ctx, bool report)
{
    switch (opt->type) {
    case OPT_STRING:
    case OPT_INT:
    case OPT_BOOL:
    case OPT_SIZE:
    case OPT_DURATION:
    case OPT_ENUM:
        if (opt->def != NULL && options_parse_scalar(opt, opt->def, field) < 0)
            assert(!"bad default");
        break;
    case OPT_STRLIST:
    case OPT_STRMAP:
        if (opt->def != NULL)
            options_bind_yaml_default(opt, field);
        break;
    case OPT_SECTION:
        assert(opt->def == NULL && opt->sub != NULL);
        options_bind_table(opt->sub, NULL, field, ctx, report);
        break;
    case OPT_SECTION_LIST:
        assert(opt->def == NULL);
        break;
    case OPT_CUSTOM:
        break; /* def is for the reference; the owner applies its default */
    }
}

static const struct opt *
options_find(const struct opt *table, const char *name)
{
    for (const struct opt *opt = table; opt->name != NULL; opt++) {
        if (strcmp(opt->name, name) == 0)
            return opt;
    }
    return NULL;
}

static void
options_unknown_key(const struct opt *table, const struct conf_node *child,
                    const struct opt_ctx *ctx)
{
    const char *best = NULL;
    size_t distance = SIZE_MAX;

    for (const struct opt *opt = table; opt->name != NULL; opt++)
        options_consider(child->key, opt->name, &best, &distance);
    char *hint = options_hint(child->key, best, distance);
    options_key_error(ctx, child, child->key, "unknown key%s",
                      hint ? hint : "");
    free(hint);
}

/*
 * Binds one entry of map: unknown key, null (absent) or a value. Custom
 * binds get the mapping's context (they name their key themselves), all
 * others the option's own key path.
 */
static void
options_bind_child(const struct opt *table, const struct conf_node *map,
                   const struct conf_node *child, void *dst,
                   const struct opt_ctx *ctx)
{
    const struct opt *opt = options_find(table, child->key);
    if (opt == NULL) {
        options_unknown_key(table, child, ctx);
        return;
    }
    if (conftree_is_null(child))
        return; /* absent: options_bind_absent gives the default */
    struct opt_ctx sub = *ctx;
    char *path = NULL;
    sub.at = map;
    if (opt->type != OPT_CUSTOM) {
        path = options_path_join(ctx->path, opt->name);
        sub.path = path;
        sub.at = child;
    }
    options_bind_value(opt, child, (char *)dst + opt->offset, &sub);
    free(path);
}

/* Gives opt its default unless map holds a value; reports it if required. */
static void
options_bind_absent(const struct opt *opt, const struct conf_node *map,
                    void *dst, const struct opt_ctx *ctx, bool report)
{
    const struct conf_node *child = conftree_get(map, opt->name);
    if (child != NULL && !conftree_is_null(child))
        return;
    bool required = (opt->flags & OPT_REQUIRED) != 0;
    struct opt_ctx sub = *ctx;
    char *path = options_path_join(ctx->path, opt->name);
    sub.path = path;
    sub.at = map ? map : ctx->at;
    if (required && report && child != NULL)
        options_key_error(&sub, child, NULL, "required key has no value");
    else if (required && report)
        options_error(&sub, NULL, NULL, "required key is missing");
    options_apply_default(opt, (char *)dst + opt->offset, &sub,
                          report && !required);
    free(path);
}

/*
 * Binds node (a mapping, null or NULL) into dst: values in document order,
 * then defaults. report: whether missing required keys are errors.
 */
static size_t
options_bind_table(const struct opt *table, const struct conf_node *node,
                   void *dst, const struct opt_ctx *ctx, bool report)
{
    size_t before = ctx->errs->count;

    if (conftree_is_null(node))
        node = NULL;
    if (node != NULL && node->kind != CONF_MAP) {
        struct buf got;
        buf_init(&got, 0);
        options_describe(&got, NULL, node);
        options_error(ctx, node, NULL, "expected a mapping, got %s", got.data);
        buf_fini(&got);
        node = NULL;
        report = false;
    }
    for (size_t i = 0; node != NULL && i < node->nchildren; i++)
        options_bind_child(table, node, node->children[i], dst, ctx);
    for (const struct opt *opt = table; opt->name != NULL; opt++)
        options_bind_absent(opt, node, dst, ctx, report);
    return ctx->errs->count - before;
}

size_t
options_bind(const struct opt *table, const struct conf_node *node, void *dst,
             const struct opt_ctx *ctx)
{
    assert(ctx != NULL && ctx->errs != NULL);
    return options_bind_table(table, node, dst, ctx, true);
}

void
options_defaults(const struct opt *table, void *dst)
{
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs};

    options_bind_table(table, NULL, dst, &ctx, false);
    assert(errs.count == 0 && "defaults reported errors");
    errlist_fini(&errs);
}

/* ---- freeing ---- */

static void
options_fini_field(const struct opt *opt, void *field)
{
    struct strlist *l = field;
    struct strmap *m = field;
    struct seclist *sl = field;

    switch (opt->type) {
    case OPT_STRING:
        free(*(char **)field);
        *(char **)field = NULL;
        break;
    case OPT_INT:
    case OPT_BOOL:
    case OPT_SIZE:
    case OPT_DURATION:
    case OPT_ENUM:
        break;
    case OPT_STRLIST:
        for (size_t i = 0; i < l->count; i++)
            free(l->items[i]);
        free(l->items);
        memset(l, 0, sizeof(*l));
        break;
    case OPT_STRMAP:
        for (size_t i = 0; i < m->count; i++) {
            free(m->keys[i]);
            free(m->values[i]);
        }
        free(m->keys);
        free(m->values);
        memset(m, 0, sizeof(*m));
        break;
    case OPT_SECTION:
        options_fini(opt->sub, field);
        break;
    case OPT_SECTION_LIST:
        for (size_t i = 0; i < sl->count; i++)
            options_fini(opt->sub, (char *)sl->items + i * opt->sub_size);
        free(sl->items);
        memset(sl, 0, sizeof(*sl));
        break;
    case OPT_CUSTOM:
        if (opt->custom->fini != NULL)
            opt->custom->fini(field);
        break;
    }
}

void
options_fini(const struct opt *table, void *dst)
{
    for (const struct opt *opt = table; opt->name != NULL; opt++)
        options_fini_field(opt, (char *)dst + opt->offset);
}

/* ---- reference ---- */

/* The type column of the reference: "integer, 1 to 64", "keep | drop". */
static void
options_help_type(struct buf *b, const struct opt *opt)
{
    static const char *const names[] = {
        [OPT_STRING] = "string",
        [OPT_INT] = "integer",
        [OPT_BOOL] = "boolean",
        [OPT_SIZE] = "size",
        [OPT_DURATION] = "duration",
        [OPT_ENUM] = NULL,
        [OPT_STRLIST] = "list of strings",
        [OPT_STRMAP] = "map of strings",
        [OPT_SECTION] = "section",
        [OPT_SECTION_LIST] = "list of sections",
        [OPT_CUSTOM] = NULL,
    };
    bool range = opt->max > opt->min;

    if (opt->type == OPT_ENUM)
        options_format_names(b, opt, " | ");
    else if (opt->type == OPT_CUSTOM)
        (void)buf_append_str(b, opt->custom->type_name ? opt->custom->type_name
                                                       : "custom");
    else
        (void)buf_append_str(b, names[opt->type]);
    if (range && opt->type == OPT_INT)
        (void)buf_printf(b, ", %" PRId64 " to %" PRId64, opt->min, opt->max);
    if (range && opt->type == OPT_SIZE) {
        (void)buf_append_str(b, ", ");
        options_format_range(b, opt, options_size_units, " to ");
    }
    if (range && opt->type == OPT_DURATION) {
        (void)buf_append_str(b, ", ");
        options_format_range(b, opt, options_duration_units, " to ");
    }
}

void
options_help(const struct opt *table, FILE *out, int indent)
{
    for (const struct opt *opt = table; opt->name != NULL; opt++) {
        struct buf b;
        bool secret = (opt->flags & OPT_SECRET) != 0;

        buf_init(&b, 0);
        options_help_type(&b, opt);
        if (opt->def != NULL && !secret)
            (void)buf_printf(&b, ", default %s", opt->def);
        if (opt->flags & OPT_REQUIRED)
            (void)buf_append_str(&b, ", required");
        if (secret)
            (void)buf_append_str(&b, ", secret");
        fprintf(out, "%*s- `%s` (%s)%s%s\n", indent * 2, "", opt->name, b.data,
                opt->help ? ": " : "", opt->help ? opt->help : "");
        buf_fini(&b);
        if (opt->type == OPT_SECTION || opt->type == OPT_SECTION_LIST)
            options_help(opt->sub, out, indent + 1);
    }
}
