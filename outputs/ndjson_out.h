/*
 * What the stdout and file outputs share: writing a batch body to a file
 * descriptor completely, and the loop that pops batches, writes them and
 * acknowledges them.
 */
#ifndef LOGSHIP_NDJSON_OUT_H
#define LOGSHIP_NDJSON_OUT_H

#include "output.h"

/*
 * Pops batches from out->queue until it is closed and empty; write_batch
 * writes one (0 or -errno). With retry_errors a failed write is retried
 * every second until it succeeds (a full disk gets fixed; the log files are
 * the buffer meanwhile); without, the first error is fatal: it is reported
 * through out->on_fatal and the rest of the queue is discarded.
 */
int ndjson_out_run(struct output *out, bool retry_errors,
                   int (*write_batch)(struct output *out, struct batch *b));

/* Writes len bytes to fd, restarting after short writes and EINTR. */
int ndjson_out_write_all(int fd, const char *data, size_t len);

#endif
