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
