/*
 * Abort-on-OOM allocation wrappers (the tmux/redis habit): an out-of-memory
 * log shipper cannot do anything useful, and a crash restarted by systemd
 * with a correct registry loses nothing.
 */
#include "config.h"
#include "xalloc.h"

#include "scratch.h"

#include <jansson.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
xalloc_die(size_t size)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "logship: out of memory (%zu bytes)\n",
                     size);
    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n);
    abort();
}

/* This thread's arena for jansson, or NULL: see xalloc_json_arena(). */
static _Thread_local struct scratch *xalloc_arena;

static void *
xalloc_json_malloc(size_t size)
{
    if (xalloc_arena != NULL)
        return scratch_alloc(xalloc_arena, size ? size : 1);
    return xmalloc(size);
}

static void
xalloc_json_free(void *p)
{
    /* Arena memory goes with the arena's reset; anything else (made before
     * the arena was set) is the heap's. */
    if (p != NULL && (xalloc_arena == NULL || !scratch_owns(xalloc_arena, p)))
        free(p);
}

void
xalloc_json_arena(struct scratch *sc)
{
    xalloc_arena = sc;
}

void
xalloc_init(void)
{
    json_set_alloc_funcs(xalloc_json_malloc, xalloc_json_free);
    libdeflate_set_memory_allocator(xmalloc, free);
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        xalloc_die(size);
    return p;
}

void *
xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        xalloc_die(count * size);
    return p;
}

void *
xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        xalloc_die(size);
    return p;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
