/* The harvester tests' event list; see evlist.h. */
#include "config.h"

#include "evlist.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void
evlist_add(struct evlist *l, uint64_t offset, const char *text, size_t len,
           unsigned flags)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    struct ev *e = &l->v[l->n++];
    e->offset = offset;
    e->flags = flags;
    e->len = len;
    e->text = xmalloc(len + 1);
    memcpy(e->text, text, len);
    e->text[len] = '\0';
}

void
evlist_fini(struct evlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    *l = (struct evlist){0};
}

void
evlist_add_chunk(struct evlist *l, const struct chunk *c)
{
    for (size_t i = 0; i < c->nevents; i++) {
        const struct chunk_event *e = &c->events[i];
        EXPECT((size_t)e->start + e->len <= c->data.len,
               "event %zu [%u, +%u) outside chunk data of %zu bytes", i,
               e->start, e->len, c->data.len);
        evlist_add(l, e->offset, c->data.data + e->start, e->len, e->flags);
    }
}

/* Fails unless got and want hold the same events. */
void
evlist_assert_same(const struct evlist *got, const struct evlist *want,
                   const char *what)
{
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        const struct ev *g = &got->v[i], *w = &want->v[i];
        EXPECT(g->offset == w->offset && g->flags == w->flags &&
                   g->len == w->len && memcmp(g->text, w->text, w->len) == 0,
               "%s: event %zu is (offset %llu, flags %u, %zu bytes), "
               "want (offset %llu, flags %u, %zu bytes)",
               what, i, (unsigned long long)g->offset, g->flags, g->len,
               (unsigned long long)w->offset, w->flags, w->len);
    }
    EXPECT(got->n == want->n, "%s: %zu events, want %zu", what, got->n,
           want->n);
}

/*
 * True when text is what data holds from its start, except that a \r\n
 * of data may read \n in text (the lines of a multiline event of a CRLF
 * file are joined with \n alone).
 */
static bool
evlist_text_at(const char *data, size_t avail, const char *text, size_t len)
{
    size_t d = 0;
    for (size_t t = 0; t < len; t++, d++) {
        if (text[t] == '\n' && d + 1 < avail && data[d] == '\r' &&
            data[d + 1] == '\n')
            d++;
        if (d >= avail || data[d] != text[t])
            return false;
    }
    return true;
}

/* Fails unless each event's text is the data found at its offset. */
void
evlist_assert_offsets(const struct evlist *got, const char *data, size_t len)
{
    for (size_t i = 0; i < got->n; i++) {
        const struct ev *e = &got->v[i];
        EXPECT(e->offset <= len &&
                   evlist_text_at(data + e->offset, len - e->offset, e->text,
                                  e->len),
               "event %zu (offset %llu, %zu bytes) does not match the data "
               "at its offset",
               i, (unsigned long long)e->offset, e->len);
    }
}
