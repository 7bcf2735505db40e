/*
 * Growable byte buffer with a hard limit. Growth doubles, so appending n
 * bytes one at a time costs O(n); the limit bounds memory per buffer.
 */
#include "config.h"
#include "buf.h"

#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
buf_init(struct buf *b, size_t max_len)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_len = max_len;
}

void
buf_fini(struct buf *b)
{
    free(b->data);
    buf_init(b, b->max_len);
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return 0;
    if (b->max_len && (n > b->max_len || b->len > b->max_len - n))
        return -E2BIG;
    size_t need = b->len + n + 1; /* + 1 keeps room for a terminating NUL */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (b->max_len && cap > b->max_len + 1)
        cap = b->max_len + 1;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
    int rc = buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void
buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}
