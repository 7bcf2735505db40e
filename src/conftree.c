/*
 * YAML → struct conf_node tree, built from libyaml's event API so that every
 * key and value keeps its position and every scalar its style. Expands
 * ${VAR} in values, copies aliases, rejects duplicate keys. libyaml's
 * problems become "file:line:column: message" here and never leave this
 * file. Main thread only, at load; the tree is read-only afterwards. Knows
 * no option names and gives no meaning to values: that is options.c's job.
 */
#include "config.h"

#include "conftree.h"

#include "buf.h"
#include "log.h"
#include "xalloc.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* Deeper than any real config; bounds the recursion of the builder. */
#define CONFTREE_MAX_DEPTH 64
/* What alias copies may add in total (the "billion laughs" bound). */
#define CONFTREE_MAX_ALIAS_BYTES (4u << 20)
/* A larger config file is a mistake (or /dev/zero). */
#define CONFTREE_MAX_FILE_BYTES (16u << 20)
/* Bytes read from a config file per read(2). */
#define CONFTREE_READ_BYTES 65536

struct conftree_anchor {
    char *name;             /* owned */
    struct conf_node *node; /* owned: a copy of the anchored node */
    size_t bytes;           /* what one more copy of node costs */
};

struct conftree_loader {
    yaml_parser_t parser;
    const char *file;                /* borrowed: the tree's path */
    const char *text;                /* borrowed: the whole input */
    size_t len;                      /* of text */
    struct errlist *errs;            /* borrowed */
    size_t nerrs;                    /* errors this load added */
    struct conftree_anchor *anchors; /* owned */
    size_t nanchors;
    /* borrowed from the start events: anchors of the open containers */
    const char *open[CONFTREE_MAX_DEPTH];
    unsigned depth;
    size_t alias_bytes; /* added by alias copies so far */
};

static int conftree_build(struct conftree_loader *ld, yaml_event_t *ev,
                          bool is_key, struct conf_node **out);
static int conftree_expand(struct conftree_loader *ld,
                           const struct conf_node *at, const char *s,
                           size_t len, struct buf *out, bool *substituted);

static void conftree_error(struct conftree_loader *ld, unsigned line,
                           unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
conftree_error(struct conftree_loader *ld, unsigned line, unsigned column,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    char *msg = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    errlist_add(ld->errs, "%s:%u:%u: %s", ld->file, line, column, msg);
    free(msg);
    ld->nerrs++;
}

/* Line and column (1-based, in characters) of a byte offset into text. */
static void
conftree_offset_position(const char *text, size_t len, size_t offset,
                         unsigned *line, unsigned *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

/* Reports the parser's error: reader errors carry an offset, others a mark. */
static void
conftree_syntax_error(struct conftree_loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    unsigned line, column;

    if (p->error == YAML_MEMORY_ERROR) {
        conftree_error(ld, 1, 1, "out of memory while parsing");
    } else if (p->error == YAML_READER_ERROR) {
        conftree_offset_position(ld->text, ld->len, p->problem_offset, &line,
                                 &column);
        if (p->problem_value >= 0)
            conftree_error(ld, line, column, "%s (#x%X)", problem,
                           (unsigned)p->problem_value);
        else
            conftree_error(ld, line, column, "%s", problem);
    } else {
        line = (unsigned)p->problem_mark.line + 1;
        column = (unsigned)p->problem_mark.column + 1;
        if (p->context)
            conftree_error(ld, line, column, "%s (%s)", problem, p->context);
        else
            conftree_error(ld, line, column, "%s", problem);
    }
}

/* Reads the next event; a syntax error is reported and stops the load. */
static int
conftree_next(struct conftree_loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev)) {
        conftree_syntax_error(ld);
        return -EINVAL;
    }
    return 0;
}

static struct conf_node *
conftree_node_new(const struct conftree_loader *ld, enum conf_kind kind,
                  yaml_mark_t mark)
{
    struct conf_node *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->file = ld->file;
    n->line = (unsigned)mark.line + 1;
    n->column = (unsigned)mark.column + 1;
    return n;
}

static void
conftree_node_free(struct conf_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nchildren; i++)
        conftree_node_free(n->children[i]);
    free(n->children);
    free(n->key);
    free(n->value);
    free(n);
}

/*
 * Appends child to parent's children; takes ownership of child. The array
 * doubles whenever nchildren reaches a power of two, so long sequences
 * cost O(n) without a capacity field.
 */
static void
conftree_node_give(struct conf_node *parent, struct conf_node *child)
{
    size_t n = parent->nchildren;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * n : 1;
        parent->children =
            xrealloc(parent->children, cap * sizeof(*parent->children));
    }
    parent->children[parent->nchildren++] = child;
}

static struct conf_node *
conftree_node_copy(const struct conf_node *src)
{
    struct conf_node *n = xmalloc(sizeof(*n));
    *n = *src;
    n->key = src->key ? xstrdup(src->key) : NULL;
    n->value = src->value ? xstrdup(src->value) : NULL;
    n->children = NULL;
    n->nchildren = 0;
    for (size_t i = 0; i < src->nchildren; i++)
        conftree_node_give(n, conftree_node_copy(src->children[i]));
    return n;
}

/* The memory a copy of n takes, roughly: what the alias bound counts. */
static size_t
conftree_node_bytes(const struct conf_node *n)
{
    size_t bytes = sizeof(*n) + sizeof(n) * n->nchildren;
    if (n->key)
        bytes += strlen(n->key) + 1;
    if (n->value)
        bytes += strlen(n->value) + 1;
    for (size_t i = 0; i < n->nchildren; i++)
        bytes += conftree_node_bytes(n->children[i]);
    return bytes;
}

/* Remembers a copy of node under name; a later anchor of the same name wins. */
static void
conftree_anchor_add(struct conftree_loader *ld, const char *name,
                    const struct conf_node *node)
{
    struct conftree_anchor *a;
    ld->anchors =
        xrealloc(ld->anchors, (ld->nanchors + 1) * sizeof(*ld->anchors));
    a = &ld->anchors[ld->nanchors++];
    a->name = xstrdup(name);
    a->node = conftree_node_copy(node);
    free(a->node->key);
    a->node->key = NULL;
    a->node->key_line = 0;
    a->node->key_column = 0;
    a->bytes = conftree_node_bytes(a->node);
}

static const struct conftree_anchor *
conftree_anchor_find(const struct conftree_loader *ld, const char *name)
{
    for (size_t i = ld->nanchors; i > 0; i--) {
        if (strcmp(ld->anchors[i - 1].name, name) == 0)
            return &ld->anchors[i - 1];
    }
    return NULL;
}

static bool
conftree_anchor_is_open(const struct conftree_loader *ld, const char *name)
{
    for (unsigned i = 0; i < ld->depth; i++) {
        if (ld->open[i] != NULL && strcmp(ld->open[i], name) == 0)
            return true;
    }
    return false;
}

/* Builds the copy an alias stands for; *out stays NULL after an error. */
static int
conftree_build_alias(struct conftree_loader *ld, const yaml_event_t *ev,
                     struct conf_node **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    unsigned line = (unsigned)ev->start_mark.line + 1;
    unsigned column = (unsigned)ev->start_mark.column + 1;

    if (conftree_anchor_is_open(ld, name)) {
        conftree_error(ld, line, column,
                       "alias *%s is inside the node it refers to", name);
        return 0;
    }
    const struct conftree_anchor *a = conftree_anchor_find(ld, name);
    if (a == NULL) {
        conftree_error(ld, line, column, "undefined alias *%s", name);
        return 0;
    }
    if (a->bytes > CONFTREE_MAX_ALIAS_BYTES - ld->alias_bytes) {
        conftree_error(ld, line, column, "aliases expand to more than %u MiB",
                       CONFTREE_MAX_ALIAS_BYTES >> 20);
        return -EINVAL;
    }
    ld->alias_bytes += a->bytes;
    *out = conftree_node_copy(a->node);
    return 0;
}

static bool
conftree_starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/*
 * Index of the "}" closing a "${" whose body starts at from, or len. Braces
 * nest: every "${" (a literal "$${" too) needs its own "}".
 */
static size_t
conftree_find_close(const char *s, size_t from, size_t len)
{
    unsigned depth = 1;
    size_t i = from;
    while (i < len) {
        if (conftree_starts_with(s + i, len - i, "${")) {
            depth++;
            i += 2;
        } else if (s[i] == '}' && --depth == 0) {
            return i;
        } else {
            i++;
        }
    }
    return len;
}

/* Appends the value of the ${...} at s[*pos] and moves *pos past it. */
static int
conftree_expand_ref(struct conftree_loader *ld, const struct conf_node *at,
                    const char *s, size_t len, size_t *pos, struct buf *out,
                    bool *substituted)
{
    size_t start = *pos, name = start + 2, j = name;
    while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
        j++;
    size_t close = conftree_find_close(s, j, len);
    if (close == len) {
        conftree_error(ld, at->line, at->column,
                       "unterminated \"${\": missing \"}\"");
        return -EINVAL;
    }
    bool has_default = conftree_starts_with(s + j, close - j, ":-");
    if (j == name || isdigit((unsigned char)s[name]) ||
        (s[j] != '}' && !has_default)) {
        conftree_error(ld, at->line, at->column, "bad substitution \"%.*s\"",
                       (int)(close + 1 - start), s + start);
        return -EINVAL;
    }
    char *var = xstrndup(s + name, j - name);
    const char *value = getenv(var);
    int rc = 0;
    if (has_default && (value == NULL || *value == '\0')) {
        rc =
            conftree_expand(ld, at, s + j + 2, close - j - 2, out, substituted);
    } else if (value == NULL) {
        conftree_error(ld, at->line, at->column, "${%s} is not set", var);
        rc = -EINVAL;
    } else {
        (void)buf_append_str(out, value);
    }
    free(var);
    *substituted = true;
    *pos = close + 1;
    return rc;
}

/* Appends s with ${...} expanded to out; errors are reported at `at`. */
static int
conftree_expand(struct conftree_loader *ld, const struct conf_node *at,
                const char *s, size_t len, struct buf *out, bool *substituted)
{
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(s + i, '$', len - i);
        size_t run = dollar ? (size_t)(dollar - (s + i)) : len - i;
        (void)buf_append(out, s + i, run);
        i += run;
        if (i == len)
            break;
        if (conftree_starts_with(s + i, len - i, "$${")) {
            (void)buf_append_str(out, "${");
            i += 3;
        } else if (conftree_starts_with(s + i, len - i, "${")) {
            int rc = conftree_expand_ref(ld, at, s, len, &i, out, substituted);
            if (rc < 0)
                return rc;
        } else {
            (void)buf_append_str(out, "$");
            i++;
        }
    }
    return 0;
}

static int
conftree_build_scalar(struct conftree_loader *ld, const yaml_event_t *ev,
                      bool is_key, struct conf_node **out)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    struct conf_node *n = conftree_node_new(ld, CONF_SCALAR, ev->start_mark);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    *out = n;

    if (memchr(text, '\0', len) != NULL) {
        conftree_error(ld, n->line, n->column, "NUL characters not allowed");
        n->value = xstrdup("");
        return 0;
    }
    if (is_key) {
        n->value = xstrndup(text, len);
        return 0;
    }
    struct buf value;
    bool substituted = false;
    buf_init(&value, 0);
    (void)conftree_expand(ld, n, text, len, &value, &substituted);
    n->value = value.data ? value.data : xstrdup("");
    if (substituted)
        n->plain = false;
    return 0;
}

/* Enters a container; a nesting limit error stops the load. */
static int
conftree_enter(struct conftree_loader *ld, const yaml_char_t *anchor,
               yaml_mark_t mark)
{
    if (ld->depth == CONFTREE_MAX_DEPTH) {
        conftree_error(ld, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
                       "nested deeper than %d levels", CONFTREE_MAX_DEPTH);
        return -EINVAL;
    }
    ld->open[ld->depth++] = (const char *)anchor;
    return 0;
}

static int
conftree_build_seq(struct conftree_loader *ld, const yaml_event_t *start,
                   struct conf_node **out)
{
    int rc = conftree_enter(ld, start->data.sequence_start.anchor,
                            start->start_mark);
    if (rc < 0)
        return rc;
    struct conf_node *seq = conftree_node_new(ld, CONF_SEQ, start->start_mark);
    for (;;) {
        yaml_event_t ev;
        struct conf_node *item = NULL;
        rc = conftree_next(ld, &ev);
        if (rc < 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        rc = conftree_build(ld, &ev, false, &item);
        if (rc < 0)
            break;
        if (item != NULL)
            conftree_node_give(seq, item);
    }
    ld->depth--;
    if (rc < 0) {
        conftree_node_free(seq);
        return rc;
    }
    *out = seq;
    return 0;
}

/* Makes val the value of key in map, unless key is bad or a duplicate. */
static void
conftree_map_give(struct conftree_loader *ld, struct conf_node *map,
                  struct conf_node *key, yaml_mark_t key_mark,
                  struct conf_node *val)
{
    unsigned line = (unsigned)key_mark.line + 1;
    unsigned column = (unsigned)key_mark.column + 1;

    if (key == NULL || val == NULL) {
        /* an error was reported while building them */
    } else if (key->kind != CONF_SCALAR) {
        conftree_error(ld, line, column, "a key must be a scalar, not a %s",
                       conftree_kind_name(key->kind));
    } else if (conftree_get(map, key->value) != NULL) {
        conftree_error(ld, line, column, "duplicate key \"%s\"", key->value);
    } else {
        val->key = key->value;
        key->value = NULL;
        val->key_line = line;
        val->key_column = column;
        conftree_node_give(map, val);
        val = NULL;
    }
    conftree_node_free(key);
    conftree_node_free(val);
}

static int
conftree_build_pair(struct conftree_loader *ld, struct conf_node *map,
                    yaml_event_t *key_ev)
{
    yaml_mark_t key_mark = key_ev->start_mark;
    struct conf_node *key = NULL, *val = NULL;
    yaml_event_t ev;

    int rc = conftree_build(ld, key_ev, true, &key);
    if (rc == 0)
        rc = conftree_next(ld, &ev);
    if (rc == 0)
        rc = conftree_build(ld, &ev, false, &val);
    if (rc < 0) {
        conftree_node_free(key);
        return rc;
    }
    conftree_map_give(ld, map, key, key_mark, val);
    return 0;
}

static int
conftree_build_map(struct conftree_loader *ld, const yaml_event_t *start,
                   struct conf_node **out)
{
    int rc =
        conftree_enter(ld, start->data.mapping_start.anchor, start->start_mark);
    if (rc < 0)
        return rc;
    struct conf_node *map = conftree_node_new(ld, CONF_MAP, start->start_mark);
    for (;;) {
        yaml_event_t ev;
        rc = conftree_next(ld, &ev);
        if (rc < 0)
            break;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        rc = conftree_build_pair(ld, map, &ev);
        if (rc < 0)
            break;
    }
    ld->depth--;
    if (rc < 0) {
        conftree_node_free(map);
        return rc;
    }
    *out = map;
    return 0;
}

/*
 * Builds the node that ev starts into *out and deletes ev. Returns < 0 when
 * the load must stop (syntax error, limits); other problems are reported,
 * counted in ld->nerrs, and may leave *out NULL.
 */
static int
conftree_build(struct conftree_loader *ld, yaml_event_t *ev, bool is_key,
               struct conf_node **out)
{
    const yaml_char_t *anchor = NULL;
    int rc;

    *out = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        rc = conftree_build_scalar(ld, ev, is_key, out);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        rc = conftree_build_seq(ld, ev, out);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        rc = conftree_build_map(ld, ev, out);
        break;
    case YAML_ALIAS_EVENT:
        rc = conftree_build_alias(ld, ev, out);
        break;
    default:
        assert(!"libyaml gave a non-node event where a node must be");
        rc = -EINVAL;
        break;
    }
    if (rc == 0 && anchor != NULL && *out != NULL)
        conftree_anchor_add(ld, (const char *)anchor, *out);
    yaml_event_delete(ev);
    return rc;
}

/* Reads the stream: nothing, or exactly one document. */
static int
conftree_load_stream(struct conftree_loader *ld, struct conf_node **root)
{
    yaml_event_t ev;
    int rc = conftree_next(ld, &ev); /* stream start */
    if (rc < 0)
        return rc;
    yaml_event_delete(&ev);
    rc = conftree_next(ld, &ev); /* document start, or stream end */
    if (rc < 0 || ev.type == YAML_STREAM_END_EVENT) {
        if (rc == 0)
            yaml_event_delete(&ev);
        return rc;
    }
    yaml_event_delete(&ev);
    rc = conftree_next(ld, &ev);
    if (rc == 0)
        rc = conftree_build(ld, &ev, false, root);
    if (rc == 0)
        rc = conftree_next(ld, &ev); /* document end */
    if (rc < 0)
        return rc;
    yaml_event_delete(&ev);
    rc = conftree_next(ld, &ev); /* stream end, or another document */
    if (rc < 0)
        return rc;
    if (ev.type != YAML_STREAM_END_EVENT)
        conftree_error(ld, (unsigned)ev.start_mark.line + 1,
                       (unsigned)ev.start_mark.column + 1,
                       "more than one YAML document");
    yaml_event_delete(&ev);
    return 0;
}

struct conf_tree *
conftree_load_string(const char *name, const char *text, size_t len,
                     struct errlist *errs)
{
    struct conf_tree *tree = xcalloc(1, sizeof(*tree));
    struct conftree_loader ld;

    tree->path = xstrdup(name);
    memset(&ld, 0, sizeof(ld));
    ld.file = tree->path;
    ld.text = text;
    ld.len = len;
    ld.errs = errs;
    if (!yaml_parser_initialize(&ld.parser))
        abort(); /* libyaml's only failure here is out of memory */
    yaml_parser_set_input_string(
        &ld.parser, (const unsigned char *)(text ? text : ""), len);
    int rc = conftree_load_stream(&ld, &tree->root);
    yaml_parser_delete(&ld.parser);
    for (size_t i = 0; i < ld.nanchors; i++) {
        free(ld.anchors[i].name);
        conftree_node_free(ld.anchors[i].node);
    }
    free(ld.anchors);
    if (rc < 0 || ld.nerrs > 0) {
        conftree_destroy(tree);
        return NULL;
    }
    if (conftree_is_null(tree->root)) {
        conftree_node_free(tree->root);
        tree->root = NULL;
    }
    return tree;
}

/* Reads a whole file into out; returns 0 or a negative errno. */
static int
conftree_read_file(const char *path, struct buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    for (;;) {
        (void)buf_reserve(out, CONFTREE_READ_BYTES);
        ssize_t n = read(fd, out->data + out->len, CONFTREE_READ_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        out->len += (size_t)n;
        if (out->len > CONFTREE_MAX_FILE_BYTES) {
            rc = -EFBIG;
            break;
        }
    }
    close(fd);
    return rc;
}

struct conf_tree *
conftree_load_file(const char *path, struct errlist *errs)
{
    struct conf_tree *tree = NULL;
    struct buf text;
    char ebuf[128];

    buf_init(&text, 0);
    int rc = conftree_read_file(path, &text);
    if (rc < 0)
        errlist_add(errs, "%s: %s", path, log_strerror(rc, ebuf, sizeof(ebuf)));
    else
        tree = conftree_load_string(path, text.data, text.len, errs);
    buf_fini(&text);
    return tree;
}

void
conftree_destroy(struct conf_tree *tree)
{
    if (tree == NULL)
        return;
    conftree_node_free(tree->root);
    free(tree->path);
    free(tree);
}

const struct conf_node *
conftree_get(const struct conf_node *map, const char *key)
{
    if (map == NULL || map->kind != CONF_MAP)
        return NULL;
    for (size_t i = 0; i < map->nchildren; i++) {
        if (strcmp(map->children[i]->key, key) == 0)
            return map->children[i];
    }
    return NULL;
}

bool
conftree_is_null(const struct conf_node *node)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

    if (node == NULL)
        return true;
    if (node->kind != CONF_SCALAR || !node->plain)
        return false;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(*nulls); i++) {
        if (strcmp(node->value, nulls[i]) == 0)
            return true;
    }
    return false;
}

const char *
conftree_kind_name(enum conf_kind kind)
{
    switch (kind) {
    case CONF_SCALAR:
        return "scalar";
    case CONF_MAP:
        return "mapping";
    case CONF_SEQ:
        return "sequence";
    }
    return "node";
}
