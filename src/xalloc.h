/*
 * Allocation wrappers that abort when memory runs out, so callers never test
 * for NULL. xalloc_init() also hands them to jansson, so a NULL from jansson
 * always means bad input, never a lack of memory. Any thread may call these.
 */
#ifndef LOGSHIP_XALLOC_H
#define LOGSHIP_XALLOC_H

#include <stddef.h>

/* Installs the wrappers as jansson's and libdeflate's allocators; call
 * before any thread starts. */
void xalloc_init(void);

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* Returns a new string built like printf; the caller owns it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
