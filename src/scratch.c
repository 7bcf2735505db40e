/*
 * Bump allocation in blocks of at least 64 KiB. A request larger than a
 * block gets a block of its own size; blocks are never freed before
 * scratch_fini, so after warm-up the steady state allocates nothing.
 */
#include "config.h"

#include "scratch.h"

#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_BLOCK_BYTES (64u * 1024)

struct scratch_block {
    struct scratch_block *next; /* owned */
    size_t cap;
    size_t used;
    char data[];
};

void
scratch_init(struct scratch *sc)
{
    sc->head = NULL;
    sc->cur = NULL;
}

void
scratch_fini(struct scratch *sc)
{
    struct scratch_block *b = sc->head;
    while (b != NULL) {
        struct scratch_block *next = b->next;
        free(b);
        b = next;
    }
    scratch_init(sc);
}

void
scratch_reset(struct scratch *sc)
{
    for (struct scratch_block *b = sc->head; b != NULL; b = b->next)
        b->used = 0;
    sc->cur = sc->head;
}

void *
scratch_alloc(struct scratch *sc, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    for (struct scratch_block *b = sc->cur; b != NULL; b = b->next) {
        if (b->cap - b->used >= n) {
            sc->cur = b;
            void *p = b->data + b->used;
            b->used += n;
            return p;
        }
    }
    size_t cap = n > SCRATCH_BLOCK_BYTES ? n : SCRATCH_BLOCK_BYTES;
    struct scratch_block *b = xmalloc(sizeof(*b) + cap);
    b->cap = cap;
    b->used = n;
    /* Append so that the blocks before cur are reused after a reset. */
    b->next = NULL;
    struct scratch_block **tail = &sc->head;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = b;
    sc->cur = b;
    return b->data;
}

size_t
scratch_used(const struct scratch *sc)
{
    size_t n = 0;
    for (const struct scratch_block *b = sc->head; b != NULL; b = b->next)
        n += b->used;
    return n;
}

bool
scratch_owns(const struct scratch *sc, const void *p)
{
    const char *c = p;
    for (const struct scratch_block *b = sc->head; b != NULL; b = b->next) {
        /* Compared as integers: pointers into other objects may not be. */
        uintptr_t lo = (uintptr_t)b->data, at = (uintptr_t)c;
        if (at >= lo && at < lo + b->cap)
            return true;
    }
    return false;
}

char *
scratch_strndup(struct scratch *sc, const char *s, size_t len)
{
    char *p = scratch_alloc(sc, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
scratch_printf(struct scratch *sc, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = scratch_alloc(sc, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (len != NULL)
        *len = (size_t)n;
    return p;
}
