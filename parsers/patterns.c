/*
 * The grok pattern library: definitions from the built-in files, pattern
 * directories and the config (later ones replace earlier ones), and the
 * expansion of %{NAME:field:type} references into one PCRE2 regex with
 * generated group names (g1, g2, ...) and a table of their fields. Errors
 * name where the definition came from ("file:line"). Expansion recurses
 * with cycle detection and reuses the expansion of any definition that
 * makes no capture; its size is bounded. Used only by grok's init, on the
 * main thread.
 */
#include "config.h"

#include "patterns.h"

#include "buf.h"
#include "convert.h"
#include "log.h"
#include "options.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* References nest at most this deep (the C stack bounds recursion). */
#define PATTERNS_MAX_DEPTH 256

struct patterns_def {
    char *name;   /* owned */
    char *regex;  /* owned */
    char *origin; /* owned: "file:line" or "pattern_definitions.NAME" */
    char *memo;   /* owned: its expansion, kept when it makes no capture */
    size_t memo_len;
    bool active; /* being expanded: meeting it again is a cycle */
};

struct patterns {
    struct patterns_def *defs; /* owned */
    size_t count;
};

struct patterns *
patterns_create(void)
{
    return xcalloc(1, sizeof(struct patterns));
}

void
patterns_destroy(struct patterns *lib)
{
    if (lib == NULL)
        return;
    for (size_t i = 0; i < lib->count; i++) {
        free(lib->defs[i].name);
        free(lib->defs[i].regex);
        free(lib->defs[i].origin);
        free(lib->defs[i].memo);
    }
    free(lib->defs);
    free(lib);
}

bool
patterns_valid_name(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* The index of name (len bytes) in lib, or -1. */
static ssize_t
patterns_find(const struct patterns *lib, const char *name, size_t len)
{
    for (size_t i = 0; i < lib->count; i++) {
        const char *n = lib->defs[i].name;
        if (strncmp(n, name, len) == 0 && n[len] == '\0')
            return (ssize_t)i;
    }
    return -1;
}

void
patterns_define(struct patterns *lib, const char *name, const char *regex,
                const char *origin)
{
    ssize_t i = patterns_find(lib, name, strlen(name));
    struct patterns_def *d;
    if (i >= 0) {
        d = &lib->defs[i];
        free(d->regex);
        free(d->origin);
    } else {
        lib->defs = xrealloc(lib->defs, (lib->count + 1) * sizeof(*lib->defs));
        d = &lib->defs[lib->count++];
        memset(d, 0, sizeof(*d));
        d->name = xstrdup(name);
    }
    d->regex = xstrdup(regex);
    d->origin = xstrdup(origin);
    /* Any kept expansion may have used the old definition. */
    for (size_t k = 0; k < lib->count; k++) {
        free(lib->defs[k].memo);
        lib->defs[k].memo = NULL;
    }
}

static bool
patterns_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Adds the definition on one line (without its '\n'), if any. */
static int
patterns_load_line(struct patterns *lib, const char *origin, size_t lineno,
                   const char *p, const char *end, struct errbuf *err)
{
    if (end > p && end[-1] == '\r')
        end--;
    while (p < end && patterns_blank(*p))
        p++;
    if (p == end || *p == '#')
        return 0;
    const char *name = p;
    while (p < end && patterns_valid_name(p, 1))
        p++;
    size_t name_len = (size_t)(p - name);
    if (name_len == 0 || (p < end && !patterns_blank(*p)))
        return errbuf_set(err,
                          "%s:%zu: expected a pattern name ([A-Za-z0-9_]+), "
                          "blanks and a regex",
                          origin, lineno);
    while (p < end && patterns_blank(*p))
        p++;
    if (p == end)
        return errbuf_set(err, "%s:%zu: pattern %.*s has no regex", origin,
                          lineno, (int)name_len, name);
    char *n = xstrndup(name, name_len);
    char *re = xstrndup(p, (size_t)(end - p));
    char *where = xasprintf("%s:%zu", origin, lineno);
    patterns_define(lib, n, re, where);
    free(n);
    free(re);
    free(where);
    return 0;
}

int
patterns_load_text(struct patterns *lib, const char *origin, const char *text,
                   size_t len, struct errbuf *err)
{
    const char *p = text;
    const char *end = text + len;
    for (size_t lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        int rc = patterns_load_line(lib, origin, lineno, p, eol, err);
        if (rc < 0)
            return rc;
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
}

/* Fills err with "what: strerror(-rc)" and returns rc. */
static int
patterns_errno(struct errbuf *err, const char *what, int rc)
{
    char msg[128];
    errbuf_set(err, "%s: %s", what, log_strerror(rc, msg, sizeof(msg)));
    return rc;
}

int
patterns_load_file(struct patterns *lib, const char *path, struct errbuf *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return patterns_errno(err, path, -errno);
    struct buf text;
    buf_init(&text, 0);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        (void)buf_append(&text, chunk, n);
    int rc = ferror(f) ? patterns_errno(err, path, -EIO) : 0;
    fclose(f);
    if (rc == 0)
        rc = patterns_load_text(lib, path, text.data ? text.data : "", text.len,
                                err);
    buf_fini(&text);
    return rc;
}

static int
patterns_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of dir's regular files not starting with '.'. */
static int
patterns_list_dir(const char *dir, struct strlist *names, struct errbuf *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return patterns_errno(err, dir, -errno);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        bool regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!regular)
            continue;
        names->items =
            xrealloc(names->items, (names->count + 1) * sizeof(char *));
        names->items[names->count++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (names->count > 0)
        qsort(names->items, names->count, sizeof(char *), patterns_cmp_names);
    return 0;
}

int
patterns_load_dir(struct patterns *lib, const char *dir, struct errbuf *err)
{
    struct strlist names = {0};
    int rc = patterns_list_dir(dir, &names, err);
    for (size_t i = 0; i < names.count; i++) {
        if (rc == 0) {
            char *path = xasprintf("%s/%s", dir, names.items[i]);
            rc = patterns_load_file(lib, path, err);
            free(path);
        }
        free(names.items[i]);
    }
    free(names.items);
    return rc;
}

int
patterns_load_builtin(struct patterns *lib, struct errbuf *err)
{
    for (const struct patterns_builtin *b = patterns_builtin; b->name != NULL;
         b++) {
        int rc =
            patterns_load_text(lib, b->name, b->text, strlen(b->text), err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

size_t
patterns_count(const struct patterns *lib)
{
    return lib->count;
}

const char *
patterns_name(const struct patterns *lib, size_t i)
{
    return lib->defs[i].name;
}

const char *
patterns_get(const struct patterns *lib, const char *name)
{
    ssize_t i = patterns_find(lib, name, strlen(name));
    return i >= 0 ? lib->defs[i].regex : NULL;
}

/* ---- expansion ---- */

struct patterns_exp {
    struct patterns *lib;          /* borrowed */
    const char *what;              /* borrowed: "pattern", "patterns[1]" */
    struct patterns_capture *caps; /* owned until handed to the result */
    size_t ncaps;
    size_t stack[PATTERNS_MAX_DEPTH]; /* indices of the defs being expanded */
    size_t depth;
    struct errbuf *err; /* borrowed */
};

/*
 * Fills err with the place (the stage's pattern, or "origin: pattern
 * NAME" for a definition) and the message; returns -EINVAL.
 */
static int patterns_fail(const struct patterns_exp *exp,
                         const struct patterns_def *def, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
patterns_fail(const struct patterns_exp *exp, const struct patterns_def *def,
              const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (def == NULL)
        return errbuf_set(exp->err, "%s: %s", exp->what, msg);
    return errbuf_set(exp->err, "%s: pattern %s: %s", def->origin, def->name,
                      msg);
}

static int
patterns_too_big(const struct patterns_exp *exp)
{
    return errbuf_set(exp->err,
                      "%s: the expanded grok pattern is larger than %u bytes",
                      exp->what, PATTERNS_MAX_EXPANSION_BYTES);
}

/* Appends len bytes; -EINVAL (err filled) past the size limit. */
static int
patterns_put(const struct patterns_exp *exp, struct buf *out, const char *s,
             size_t len)
{
    return buf_append(out, s, len) < 0 ? patterns_too_big(exp) : 0;
}

/* The length of the escape at s: \x, or \Q...\E. */
static size_t
patterns_escape_len(const char *s, size_t len)
{
    if (len < 2)
        return len;
    if (s[1] != 'Q')
        return 2;
    for (size_t i = 2; i + 1 < len; i++) {
        if (s[i] == '\\' && s[i + 1] == 'E')
            return i + 2;
    }
    return len;
}

/* The length of the character class at s ("[...]"), or len. */
static size_t
patterns_class_len(const char *s, size_t len)
{
    size_t i = 1;
    if (i < len && s[i] == '^')
        i++;
    if (i < len && s[i] == ']')
        i++;
    while (i < len) {
        if (s[i] == '\\') {
            i += 2;
        } else if (s[i] == '[' && i + 1 < len && s[i + 1] == ':') {
            const char *close = NULL;
            for (size_t k = i + 2; k + 1 < len && close == NULL; k++) {
                if (s[k] == ':' && s[k + 1] == ']')
                    close = s + k;
            }
            i = close != NULL ? (size_t)(close - s) + 2 : i + 1;
        } else if (s[i] == ']') {
            return i + 1;
        } else {
            i++;
        }
    }
    return len;
}

/* A field name byte outside brackets: printable, no syntax characters. */
static bool
patterns_field_char(unsigned char c)
{
    return c > ' ' && c != 0x7f && strchr("[]{}:<>'\"\\", c) == NULL;
}

/* Appends a dotted name (no empty parts) to out; false when invalid. */
static bool
patterns_field_part(struct buf *out, const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!patterns_field_char((unsigned char)s[i]) ||
            (s[i] == '.' && s[i + 1] == '.'))
            return false;
    }
    if (out->len > 0)
        (void)buf_append(out, ".", 1);
    (void)buf_append(out, s, len);
    return true;
}

/* Parses a field name, dotted or [a][b]; returns it (owned) or NULL. */
static char *
patterns_field(const char *s, size_t len)
{
    struct buf out;
    buf_init(&out, 0);
    bool ok = len > 0;
    if (ok && s[0] == '[') {
        size_t i = 0;
        while (ok && i < len) {
            const char *close = memchr(s + i, ']', len - i);
            ok = s[i] == '[' && close != NULL &&
                 patterns_field_part(&out, s + i + 1,
                                     (size_t)(close - s) - i - 1);
            i = ok ? (size_t)(close - s) + 1 : len;
        }
    } else if (ok) {
        ok = patterns_field_part(&out, s, len);
    }
    if (!ok) {
        buf_fini(&out);
        return NULL;
    }
    return out.data;
}

/* Adds a capture and appends its group's opening "(?<gN>". */
static int
patterns_open_capture(struct patterns_exp *exp, char *field,
                      enum field_type type, struct buf *out)
{
    exp->caps = xrealloc(exp->caps, (exp->ncaps + 1) * sizeof(*exp->caps));
    exp->caps[exp->ncaps++] = (struct patterns_capture){field, type};
    char open[32];
    int n = snprintf(open, sizeof(open), "(?<g%zu>", exp->ncaps);
    return patterns_put(exp, out, open, (size_t)n);
}

/*
 * At '(' of s: a named group "(?<name>", "(?P<name>" or "(?'name'" becomes
 * a capture of name as a field. Sets *used to the bytes consumed (0 when
 * s is not a named group).
 */
static int
patterns_named_group(struct patterns_exp *exp, const struct patterns_def *def,
                     const char *s, size_t len, size_t *used, struct buf *out)
{
    size_t start;
    char close;
    *used = 0;
    if (len > 3 && memcmp(s, "(?<", 3) == 0 && s[3] != '=' && s[3] != '!') {
        start = 3;
        close = '>';
    } else if (len > 4 && memcmp(s, "(?P<", 4) == 0) {
        start = 4;
        close = '>';
    } else if (len > 3 && memcmp(s, "(?'", 3) == 0) {
        start = 3;
        close = '\'';
    } else {
        return 0;
    }
    const char *end = memchr(s + start, close, len - start);
    if (end == NULL)
        return 0; /* PCRE2 reports it */
    size_t name_len = (size_t)(end - s) - start;
    char *field = patterns_field(s + start, name_len);
    if (field == NULL)
        return patterns_fail(exp, def, "invalid field name in group %.*s",
                             (int)(name_len + start + 1), s);
    *used = (size_t)(end - s) + 1;
    return patterns_open_capture(exp, field, FIELD_STRING, out);
}

static int patterns_expand_text(struct patterns_exp *exp,
                                const struct patterns_def *def,
                                const char *text, size_t len, struct buf *out);

/* Fills err with the cycle that leads back to defs[idx]. */
static int
patterns_cycle(const struct patterns_exp *exp, size_t idx)
{
    const struct patterns_def *d = &exp->lib->defs[idx];
    struct buf path;
    buf_init(&path, 0);
    size_t from = 0;
    while (exp->stack[from] != idx)
        from++;
    for (size_t i = from; i < exp->depth; i++)
        (void)buf_printf(&path, "%s \u2192 ",
                         exp->lib->defs[exp->stack[i]].name);
    (void)buf_append_str(&path, d->name);
    int rc = errbuf_set(exp->err, "%s: pattern %s: cycle %s", d->origin,
                        d->name, path.data);
    buf_fini(&path);
    return rc;
}

/*
 * The expansion of defs[idx]: *text is kept by the library (*owned NULL)
 * when it makes no capture, else a fresh copy the caller frees (*owned).
 */
static int
patterns_expand_def(struct patterns_exp *exp, size_t idx, const char **text,
                    size_t *len, char **owned)
{
    struct patterns_def *d = &exp->lib->defs[idx];
    *owned = NULL;
    if (d->memo != NULL) {
        *text = d->memo;
        *len = d->memo_len;
        return 0;
    }
    if (d->active)
        return patterns_cycle(exp, idx);
    if (exp->depth == PATTERNS_MAX_DEPTH)
        return patterns_fail(exp, d, "references nest deeper than %d",
                             PATTERNS_MAX_DEPTH);
    d->active = true;
    exp->stack[exp->depth++] = idx;
    struct buf b;
    buf_init(&b, PATTERNS_MAX_EXPANSION_BYTES);
    size_t caps_before = exp->ncaps;
    int rc = patterns_put(exp, &b, "", 0);
    if (rc == 0)
        rc = patterns_expand_text(exp, d, d->regex, strlen(d->regex), &b);
    exp->depth--;
    d->active = false;
    if (rc < 0) {
        buf_fini(&b);
        return rc;
    }
    *text = b.data;
    *len = b.len;
    if (exp->ncaps == caps_before) {
        d->memo = b.data;
        d->memo_len = b.len;
    } else {
        *owned = b.data;
    }
    return 0;
}

/* A type of %{NAME:field:type}: convert.h's names, and long for int. */
static int
patterns_type(const char *s, size_t len, enum field_type *out)
{
    char name[16];
    if (len >= sizeof(name))
        return -EINVAL;
    memcpy(name, s, len);
    name[len] = '\0';
    if (strcmp(name, "long") == 0) {
        *out = FIELD_INT;
        return 0;
    }
    return convert_type_parse(name, out);
}

/* Checks the parts of "%{NAME:field:type}" and makes the field. */
static int
patterns_parse_ref(struct patterns_exp *exp, const struct patterns_def *def,
                   const char *ref, size_t ref_len, const char *colon[2],
                   char **field, enum field_type *type)
{
    const char *end = ref + ref_len - 1; /* at '}' */
    const char *name = ref + 2;
    const char *name_end = colon[0] != NULL ? colon[0] : end;
    *field = NULL;
    *type = FIELD_STRING;
    if (!patterns_valid_name(name, (size_t)(name_end - name)))
        return patterns_fail(exp, def, "malformed grok reference %.*s",
                             (int)ref_len, ref);
    if (colon[0] == NULL)
        return 0;
    const char *f_end = colon[1] != NULL ? colon[1] : end;
    *field = patterns_field(colon[0] + 1, (size_t)(f_end - colon[0] - 1));
    if (*field == NULL)
        return patterns_fail(exp, def, "invalid field name in %.*s",
                             (int)ref_len, ref);
    if (colon[1] != NULL &&
        patterns_type(colon[1] + 1, (size_t)(end - colon[1] - 1), type) < 0) {
        free(*field);
        *field = NULL;
        return patterns_fail(exp, def,
                             "unknown type in %.*s (expected int, float, "
                             "bool or string)",
                             (int)ref_len, ref);
    }
    return 0;
}

/* Finds the end of "%{...}" at s and the colons in it; false if absent. */
static bool
patterns_scan_ref(const char *s, size_t len, size_t *ref_len,
                  const char *colon[2])
{
    colon[0] = colon[1] = NULL;
    for (size_t i = 2; i < len; i++) {
        if (s[i] == '}') {
            *ref_len = i + 1;
            return true;
        }
        if (s[i] == ':') {
            if (colon[1] != NULL)
                return false;
            colon[colon[0] != NULL] = s + i;
        }
        if (s[i] == '{' || s[i] == '%')
            return false;
    }
    return false;
}

/* Expands the reference "%{...}" at s; *used is its length. */
static int
patterns_reference(struct patterns_exp *exp, const struct patterns_def *def,
                   const char *s, size_t len, size_t *used, struct buf *out)
{
    const char *colon[2];
    size_t ref_len;
    if (!patterns_scan_ref(s, len, &ref_len, colon)) {
        /* Show the reference up to its '}', or the first 40 bytes. */
        size_t show = len < 40 ? len : 40;
        const char *close = memchr(s, '}', show);
        if (close != NULL)
            show = (size_t)(close - s) + 1;
        return patterns_fail(exp, def, "malformed grok reference %.*s",
                             (int)show, s);
    }
    *used = ref_len;
    char *field;
    enum field_type type;
    int rc = patterns_parse_ref(exp, def, s, ref_len, colon, &field, &type);
    if (rc < 0)
        return rc;
    const char *name = s + 2;
    size_t name_len = (size_t)((colon[0] ? colon[0] : s + ref_len - 1) - name);
    ssize_t idx = patterns_find(exp->lib, name, name_len);
    if (idx < 0) {
        free(field);
        if (def == NULL)
            return errbuf_set(exp->err, "%s: undefined grok pattern %%{%.*s}",
                              exp->what, (int)name_len, name);
        return errbuf_set(exp->err,
                          "%s: pattern %s refers to undefined pattern %.*s",
                          def->origin, def->name, (int)name_len, name);
    }
    rc = field != NULL ? patterns_open_capture(exp, field, type, out)
                       : patterns_put(exp, out, "(?:", 3);
    const char *text = NULL;
    size_t text_len = 0;
    char *owned = NULL;
    if (rc == 0)
        rc = patterns_expand_def(exp, (size_t)idx, &text, &text_len, &owned);
    if (rc == 0)
        rc = patterns_put(exp, out, text, text_len);
    if (rc == 0)
        rc = patterns_put(exp, out, ")", 1);
    free(owned);
    return rc;
}

/* Expands text (a definition's regex, or the stage's when def is NULL). */
static int
patterns_expand_text(struct patterns_exp *exp, const struct patterns_def *def,
                     const char *text, size_t len, struct buf *out)
{
    size_t i = 0;
    while (i < len) {
        const char *s = text + i;
        size_t rest = len - i;
        size_t n = 1;
        int rc = 0;
        if (*s == '\\') {
            n = patterns_escape_len(s, rest);
        } else if (*s == '[') {
            n = patterns_class_len(s, rest);
        } else if (*s == '(') {
            rc = patterns_named_group(exp, def, s, rest, &n, out);
            if (rc == 0 && n > 0) {
                i += n;
                continue;
            }
            n = 1;
        } else if (*s == '%' && rest > 1 && s[1] == '{') {
            rc = patterns_reference(exp, def, s, rest, &n, out);
            if (rc == 0) {
                i += n;
                continue;
            }
        }
        if (rc == 0)
            rc = patterns_put(exp, out, s, n);
        if (rc < 0)
            return rc;
        i += n;
    }
    return 0;
}

int
patterns_expand(struct patterns *lib, const char *pattern, const char *what,
                struct patterns_expansion *out, struct errbuf *err)
{
    struct patterns_exp exp = {.lib = lib, .what = what, .err = err};
    struct buf b;
    buf_init(&b, PATTERNS_MAX_EXPANSION_BYTES);
    int rc = patterns_put(&exp, &b, "", 0);
    if (rc == 0)
        rc = patterns_expand_text(&exp, NULL, pattern, strlen(pattern), &b);
    memset(out, 0, sizeof(*out));
    out->captures = exp.caps;
    out->ncaptures = exp.ncaps;
    if (rc < 0) {
        buf_fini(&b);
        patterns_expansion_fini(out);
        return rc;
    }
    out->regex = b.data;
    out->len = b.len;
    return 0;
}

void
patterns_expansion_fini(struct patterns_expansion *exp)
{
    for (size_t i = 0; i < exp->ncaptures; i++)
        free(exp->captures[i].field);
    free(exp->captures);
    free(exp->regex);
    memset(exp, 0, sizeof(*exp));
}
