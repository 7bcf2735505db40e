/*
 * Index name patterns. A pattern compiles to a list of parts (literal,
 * time directive, field reference); expansion appends each part. The time
 * of an event is its @timestamp (UTC), so a backfill of last year's logs
 * lands in last year's indices.
 */
#include "config.h"

#include "es_index.h"

#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum es_part_kind { ES_PART_LITERAL, ES_PART_TIME, ES_PART_FIELD };

struct es_part {
    enum es_part_kind kind;
    char *text; /* owned: literal text or field name */
    size_t len;
    char directive; /* ES_PART_TIME: Y y m d H j G V */
};

struct es_index {
    struct es_part *parts; /* owned */
    size_t nparts;
    char *static_name; /* owned: the name when it has no directives */
};

/* Characters Elasticsearch refuses in index names. */
static bool
es_index_forbidden(char c)
{
    return strchr("\\/*?\"<>| ,#:", c) != NULL || c == '\0';
}

static void
es_index_add(struct es_index *ix, enum es_part_kind kind, const char *text,
             size_t len, char directive)
{
    ix->parts = xrealloc(ix->parts, (ix->nparts + 1) * sizeof(*ix->parts));
    struct es_part *p = &ix->parts[ix->nparts++];
    p->kind = kind;
    p->text = text ? xstrndup(text, len) : NULL;
    p->len = len;
    p->directive = directive;
}

/* Checks a literal run; returns 0 or fills err. */
static int
es_index_check_literal(const char *pattern, const char *s, size_t len,
                       struct errbuf *err)
{
    for (size_t i = 0; i < len; i++) {
        if (isupper((unsigned char)s[i]))
            return errbuf_set(err, "\"%s\": index names must be lower case",
                              pattern);
        if (es_index_forbidden(s[i]))
            return errbuf_set(err, "\"%s\": index names may not contain '%c'",
                              pattern, s[i]);
    }
    return 0;
}

/* Parses the directive at p (after '%'); returns its length or -EINVAL. */
static int
es_index_directive(struct es_index *ix, const char *pattern, const char *p,
                   struct errbuf *err)
{
    if (*p == '{') {
        const char *end = strchr(p, '}');
        if (end == NULL || end == p + 1)
            return errbuf_set(err, "\"%s\": %%{ without a field name and }",
                              pattern);
        es_index_add(ix, ES_PART_FIELD, p + 1, (size_t)(end - p - 1), 0);
        return (int)(end - p) + 1;
    }
    if (*p == '%') {
        es_index_add(ix, ES_PART_LITERAL, "%", 1, 0);
        return 1;
    }
    if (*p != '\0' && strchr("YymdHjGV", *p) != NULL) {
        es_index_add(ix, ES_PART_TIME, NULL, 0, *p);
        return 1;
    }
    return errbuf_set(err,
                      "\"%s\": unknown directive %%%c (known: %%Y %%y "
                      "%%m %%d %%H %%j %%G %%V %%{field})",
                      pattern, *p ? *p : ' ');
}

struct es_index *
es_index_compile(const char *pattern, struct errbuf *err)
{
    if (*pattern == '\0' || strchr("-_+", *pattern) != NULL)
        return errbuf_set(err,
                          "\"%s\": an index name may not be empty or "
                          "start with -, _ or +",
                          pattern),
               NULL;
    struct es_index *ix = xcalloc(1, sizeof(*ix));
    const char *p = pattern;
    bool dynamic = false;
    while (*p) {
        const char *pct = strchr(p, '%');
        size_t lit = pct ? (size_t)(pct - p) : strlen(p);
        if (lit > 0) {
            if (es_index_check_literal(pattern, p, lit, err) < 0)
                goto fail;
            es_index_add(ix, ES_PART_LITERAL, p, lit, 0);
        }
        p += lit;
        if (*p != '%')
            break;
        int n = es_index_directive(ix, pattern, p + 1, err);
        if (n < 0)
            goto fail;
        if (ix->parts[ix->nparts - 1].kind != ES_PART_LITERAL)
            dynamic = true;
        p += 1 + n;
    }
    if (!dynamic) { /* the literal parts, with %% already made '%' */
        struct buf name;
        buf_init(&name, 0);
        buf_append(&name, "", 0);
        for (size_t i = 0; i < ix->nparts; i++)
            buf_append(&name, ix->parts[i].text, ix->parts[i].len);
        ix->static_name = name.data;
    }
    return ix;
fail:
    es_index_destroy(ix);
    return NULL;
}

void
es_index_destroy(struct es_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->nparts; i++)
        free(ix->parts[i].text);
    free(ix->parts);
    free(ix->static_name);
    free(ix);
}

const char *
es_index_static(const struct es_index *ix)
{
    return ix->static_name;
}

void
es_index_cache_init(struct es_index_cache *c)
{
    c->sec = INT64_MIN;
    memset(&c->tm, 0, sizeof(c->tm));
}

/* Appends a field value made safe for an index name. */
static int
es_index_put_value(struct buf *out, struct span v)
{
    if (v.len == 0)
        return buf_append(out, "unknown", 7);
    if (buf_reserve(out, v.len) < 0)
        return -E2BIG;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char u = (unsigned char)v.ptr[i];
        if (u >= 0x80 && u < 0xc0)
            continue; /* a continuation byte: its character is written */
        /* Non-ASCII characters become one '_': Elasticsearch refuses any
         * upper-case letter, and we cannot lower-case Unicode here. */
        char c = u >= 0x80 ? '_' : (char)tolower(u);
        buf_put_unchecked(out, es_index_forbidden(c) ? '_' : c);
    }
    out->data[out->len] = '\0';
    return 0;
}

/* Appends one time directive of cache->tm. */
static int
es_index_put_time(struct buf *out, const struct tm *tm, char directive)
{
    char fmt[3] = {'%', directive, '\0'};
    char text[16];
    size_t n = strftime(text, sizeof(text), fmt, tm);
    return buf_append(out, text, n);
}

int
es_index_expand(const struct es_index *ix, struct es_index_cache *cache,
                const struct event *ev, struct buf *out)
{
    int64_t sec = ev->time_ns / 1000000000;
    if (ev->time_ns < 0 && ev->time_ns % 1000000000 != 0)
        sec--;
    if (sec != cache->sec) {
        time_t t = (time_t)sec;
        gmtime_r(&t, &cache->tm);
        cache->sec = sec;
    }
    for (size_t i = 0; i < ix->nparts; i++) {
        const struct es_part *p = &ix->parts[i];
        int rc = 0;
        struct span v = {NULL, 0};
        switch (p->kind) {
        case ES_PART_LITERAL:
            rc = buf_append(out, p->text, p->len);
            break;
        case ES_PART_TIME:
            rc = es_index_put_time(out, &cache->tm, p->directive);
            break;
        case ES_PART_FIELD:
            event_value(ev, (struct span){p->text, p->len}, &v, NULL);
            rc = es_index_put_value(out, v);
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}
