/*
 * A growable byte buffer with a hard size limit (curl dynbuf's "toobig"):
 * appends past max_len fail with -E2BIG and leave the buffer as it was.
 * buf_reset() empties it but keeps the capacity, so buffers reused across
 * batches stop allocating once warm. Not thread-safe; one owner at a time.
 */
#ifndef LOGSHIP_BUF_H
#define LOGSHIP_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
    char *data; /* owned */
    size_t len;
    size_t cap;
    size_t max_len; /* 0 = no limit */
};

void buf_init(struct buf *b, size_t max_len);
void buf_fini(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes; returns 0 or -E2BIG past max_len. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Cuts the buffer back to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);

/* Appends one byte; the caller has reserved room. */
static inline void
buf_put_unchecked(struct buf *b, char c)
{
    b->data[b->len++] = c;
}

/* Appends bytes; the caller has reserved room. */
static inline void
buf_put_bytes_unchecked(struct buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

#endif
