/*
 * The shared loop of the NDJSON outputs (stdout, file). A batch is
 * acknowledged only after it is written (and, for files, fsync'd): a write
 * error keeps the batch and retries it, so nothing is acknowledged that is
 * not on disk. Runs on the output thread.
 */
#include "config.h"
#include "ndjson_out.h"

#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "timeutil.h"

#include <errno.h>
#include <unistd.h>

#define NDJSON_OUT_RETRY_MS 1000

int
ndjson_out_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int
ndjson_out_run(struct output *out, bool retry_errors,
               int (*write_batch)(struct output *out, struct batch *b))
{
    void *item;
    int fatal = 0;
    while (queue_pop(out->queue, &item, -1) == 0) {
        struct batch *b = item;
        int rc = fatal ? fatal : write_batch(out, b);
        if (rc < 0 && !retry_errors) {
            if (!fatal)
                out->on_fatal(out->ack_arg, rc);
            fatal = rc;
            metrics_add(&metrics.events_failed, b->nitems);
            out->on_ack(out->ack_arg, b);
            continue;
        }
        int failures = 0;
        while (rc < 0) {
            if (failures++ == 0)
                log_errno(out->name, rc, "write failed; retrying every %d ms",
                          NDJSON_OUT_RETRY_MS);
            timeutil_sleep_ms(NDJSON_OUT_RETRY_MS);
            rc = write_batch(out, b);
        }
        if (failures > 0)
            log_info(out->name, "write succeeded after %d retries",
                     failures - 1);
        b->n_indexed = b->nitems;
        metrics_add(&metrics.batches_sent, 1);
        metrics_add(&metrics.bytes_sent, b->body.len);
        out->on_ack(out->ack_arg, b);
    }
    return fatal;
}
