/*
 * A per-worker bump allocator, reset after each event: where stages put the
 * bytes they make (unescaped JSON strings, converted numbers, joined
 * values). This is the "no malloc per line" tool: blocks are kept across
 * resets, so a warm worker never allocates. Owned by one worker thread.
 */
#ifndef LOGSHIP_SCRATCH_H
#define LOGSHIP_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

struct scratch_block;

struct scratch {
    struct scratch_block *head; /* owned: list of blocks */
    struct scratch_block *cur;  /* borrowed: block being filled */
};

void scratch_init(struct scratch *sc);
void scratch_fini(struct scratch *sc);
/* Forgets every allocation, keeping the memory. */
void scratch_reset(struct scratch *sc);
/* Returns n bytes (8-byte aligned) valid until the next reset. */
void *scratch_alloc(struct scratch *sc, size_t n);
/* Bytes handed out since the last reset (with alignment padding). */
size_t scratch_used(const struct scratch *sc);
/* True when p lies in memory sc handed out (before or after a reset). */
bool scratch_owns(const struct scratch *sc, const void *p);
/* Copies len bytes and a terminating NUL; valid until the next reset. */
char *scratch_strndup(struct scratch *sc, const char *s, size_t len);
/* printf into scratch; returns the string, length in *len if not NULL. */
char *scratch_printf(struct scratch *sc, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
