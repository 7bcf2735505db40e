/*
 * Error message buffers. Messages are formatted where the context is known
 * (file:line:column, the key) and printed once, where the error is handled.
 */
#include "config.h"
#include "errbuf.h"

#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int
errbuf_set(struct errbuf *err, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

void
errlist_add(struct errlist *list, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    list->msgs = xrealloc(list->msgs, (list->count + 1) * sizeof(*list->msgs));
    list->msgs[list->count++] = msg;
}

void
errlist_fini(struct errlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->msgs[i]);
    free(list->msgs);
    list->msgs = NULL;
    list->count = 0;
}
