/*
 * Allocation wrappers that abort when memory runs out, so callers never test
 * for NULL. xalloc_init() also hands them to jansson, so a NULL from jansson
 * always means bad input, never a lack of memory. Any thread may call these.
 * The one piece of per-thread state is the jansson arena (below).
 */
#ifndef LOGSHIP_XALLOC_H
#define LOGSHIP_XALLOC_H

#include <stddef.h>

struct scratch;

/* Installs the wrappers as jansson's and libdeflate's allocators; call
 * before any thread starts. */
void xalloc_init(void);
/*
 * While sc is set (NULL: unset), jansson allocates from this thread's sc
 * and frees nothing of it: the json stage parses a line into the worker's
 * scratch, reset after each event, so JSON lines cost no malloc once the
 * scratch is warm. Other threads (registry, bulk responses) are untouched.
 * Needs xalloc_init().
 */
void xalloc_json_arena(struct scratch *sc);

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* Returns a new string built like printf; the caller owns it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
