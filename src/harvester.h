/*
 * One open stream being read: large read()s into a chunk, lines cut with
 * memchr, their stream offsets, CRLF, over-long lines truncated and
 * flagged, and the partial last line carried to the next chunk. The input
 * thread that owns the harvester is the only one to call it.
 */
#ifndef LOGSHIP_HARVESTER_H
#define LOGSHIP_HARVESTER_H

#include "buf.h"
#include "chunk.h"

#include <stdbool.h>
#include <stdint.h>

enum harvester_status {
    HARVESTER_MORE,  /* the chunk is full; more may be read at once */
    HARVESTER_AGAIN, /* nothing more to read now (a pipe or terminal) */
    HARVESTER_EOF,   /* end of the stream */
};

struct harvester {
    int fd;               /* borrowed: the owner opens and closes it */
    bool may_block;       /* a pipe or terminal: poll before reading again */
    uint64_t read_offset; /* stream offset of the next byte read() returns */
    uint64_t line_offset; /* stream offset where the pending line starts */
    struct buf carry;     /* owned: the pending partial line */
    bool skipping;        /* discarding the rest of a truncated line */
    size_t read_bytes;    /* size of each read() */
    size_t max_line_bytes;
};

/* Starts reading fd at stream offset offset. */
void harvester_init(struct harvester *h, int fd, uint64_t offset,
                    size_t read_bytes, size_t max_line_bytes);
void harvester_fini(struct harvester *h);

/*
 * Reads into c (emptied first) until it holds about read_bytes or nothing
 * more can be read, and records each complete line as an event. With
 * final, a last line without a newline is emitted at end of stream (one-shot
 * reading); otherwise it waits for its newline. Empty lines are skipped.
 * Returns an enum harvester_status, or -errno on a read error.
 * h->line_offset is then the end of what c covers.
 */
int harvester_fill(struct harvester *h, struct chunk *c, bool final);

/* Bytes needed by a chunk buffer for these settings. */
size_t harvester_chunk_bytes(size_t read_bytes, size_t max_line_bytes);

#endif
