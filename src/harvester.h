/*
 * One open stream being read: large reads into a chunk (read(2), or zlib's
 * gzread for gzip files, whose offsets are in the uncompressed stream),
 * lines cut with memchr, their stream offsets, CRLF, over-long lines
 * truncated and flagged, multiline grouping, and the pending partial line
 * (and pending multiline event) carried to the next chunk. Only the input
 * thread that owns a harvester calls it.
 */
#ifndef LOGSHIP_HARVESTER_H
#define LOGSHIP_HARVESTER_H

#include "buf.h"
#include "chunk.h"

#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

struct multiline;

enum harvester_status {
    HARVESTER_MORE,  /* the chunk is full; more may be read at once */
    HARVESTER_AGAIN, /* nothing more to read now (a pipe or terminal) */
    HARVESTER_EOF,   /* end of the stream (for now, for a growing file) */
};

struct harvester {
    int fd;               /* borrowed: the owner opens and closes it */
    gzFile gz;            /* owned when not NULL: reading through zlib */
    bool may_block;       /* a pipe or terminal: poll before reading again */
    uint64_t read_offset; /* stream offset of the next byte read returns */
    uint64_t line_offset; /* stream offset where the pending line starts */
    struct buf carry;     /* owned: pending multiline event + partial line */
    bool skipping;        /* discarding the rest of a truncated line */
    size_t read_bytes;    /* size of each read */
    size_t max_line_bytes;

    struct multiline *ml;  /* borrowed: the input's rule, or NULL */
    size_t group_lines;    /* lines in the pending multiline event */
    size_t group_len;      /* its bytes in the carry, each line with its \n */
    uint64_t group_offset; /* its stream offset */
    size_t group_start;    /* during a fill: its index in the chunk */
    bool group_crlf;       /* one of its lines ended with \r\n */
};

/* Starts reading fd at stream offset offset; ml may be NULL. */
void harvester_init(struct harvester *h, int fd, uint64_t offset,
                    size_t read_bytes, size_t max_line_bytes,
                    struct multiline *ml);
/*
 * Switches to reading fd through zlib (gzip, concatenated members too),
 * skipping to the uncompressed offset h->read_offset. Returns 0 or -errno.
 */
int harvester_use_gzip(struct harvester *h);
void harvester_fini(struct harvester *h);

/*
 * Reads into c (emptied first) until it holds about read_bytes or nothing
 * more can be read, and records each complete event. With final, what is
 * pending at end of stream (a last line without newline, a multiline
 * event) is emitted too (one-shot reading); otherwise it waits. Empty
 * lines are skipped. Returns an enum harvester_status, or -errno.
 */
int harvester_fill(struct harvester *h, struct chunk *c, bool final);

/*
 * Emits into c (emptied first) whatever is pending: the multiline event
 * and, if partial_too, the partial last line (a file that stopped growing:
 * line_timeout). Returns the number of events.
 */
size_t harvester_flush(struct harvester *h, struct chunk *c, bool partial_too);

/* True when a multiline event or a partial line is waiting. */
bool harvester_pending(const struct harvester *h);

/* The offset up to which the chunks handed out cover the stream. */
uint64_t harvester_done_offset(const struct harvester *h);

/* Bytes a chunk buffer needs for these settings (ml_max_bytes 0: none). */
size_t harvester_chunk_bytes(size_t read_bytes, size_t max_line_bytes,
                             size_t ml_max_bytes);

#endif
