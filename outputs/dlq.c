/*
 * Dead-letter NDJSON writer. Each line is built in a reused buffer with
 * our encoder (strings escaped and UTF-8 repaired by ndjson_write_string)
 * and appended with write(2) on an O_APPEND descriptor; a line that fails
 * half-written is cut off again so the file stays one JSON object per line.
 * The file is created 0600 (events may hold personal data) and its
 * directory fsync'd on creation, so dlq_flush()'s fsync covers the name
 * too. Output thread only; it must never drop a line silently.
 */
#include "config.h"

#include "dlq.h"

#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DLQ_FILE_MODE 0600

/* fsyncs the directory holding path; 0 or -errno. */
static int
dlq_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? xstrdup(".")
                : slash == path ? xstrdup("/")
                                : xstrndup(path, (size_t)(slash - path));
    int rc = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        rc = -errno;
    else if (fsync(fd) < 0 && errno != EINVAL) /* EINVAL: not supported */
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

struct dlq *
dlq_open(const char *path, struct errbuf *err)
{
    bool created = true;
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
    int fd = open(path, flags | O_EXCL, DLQ_FILE_MODE);
    if (fd < 0 && errno == EEXIST) {
        created = false;
        fd = open(path, flags, DLQ_FILE_MODE);
    }
    if (fd < 0) {
        errbuf_set(err, "dead-letter file %s: %s", path, strerror(errno));
        return NULL;
    }
    int rc = created ? dlq_sync_dir(path) : 0;
    if (rc < 0) {
        errbuf_set(err, "dead-letter file %s: syncing its directory: %s", path,
                   strerror(-rc));
        close(fd);
        return NULL;
    }
    struct dlq *d = xcalloc(1, sizeof(*d));
    d->fd = fd;
    buf_init(&d->line, 0);
    ndjson_enc_init(&d->enc);
    return d;
}

/* True if doc (trailing whitespace dropped) can be embedded verbatim. */
static bool
dlq_is_object(const char *doc, size_t len)
{
    return len >= 2 && doc[0] == '{' && doc[len - 1] == '}' &&
           memchr(doc, '\n', len) == NULL && memchr(doc, '\r', len) == NULL;
}

/* Appends the fields after "document"; 0 or -E2BIG. */
static int
dlq_format_log(struct buf *out, const struct dlq_entry *e)
{
    int rc = buf_append_str(out, ",\"log\":{");
    if (rc == 0 && e->path != NULL) {
        rc = buf_append_str(out, "\"file\":{\"path\":");
        if (rc == 0)
            rc = ndjson_write_string(out, e->path, e->path_len);
        if (rc == 0)
            rc = buf_append_str(out, "},");
    }
    if (rc == 0)
        rc = buf_printf(out, "\"offset\":%" PRIu64 "}}\n", e->offset);
    return rc;
}

int
dlq_format(struct ndjson_enc *enc, struct buf *out, const struct dlq_entry *e)
{
    size_t start = out->len;
    const char *type = e->error_type ? e->error_type : "";
    const char *reason = e->error_reason ? e->error_reason : "";
    size_t doc_len = e->document_len;
    while (doc_len > 0 && (e->document[doc_len - 1] == '\n' ||
                           e->document[doc_len - 1] == ' '))
        doc_len--;

    int rc = buf_append_str(out, "{\"@timestamp\":");
    if (rc == 0)
        rc = ndjson_write_time(enc, out, e->time_ns);
    if (rc == 0)
        rc = buf_append_str(out, ",\"index\":");
    if (rc == 0)
        rc = ndjson_write_string(out, e->index, strlen(e->index));
    if (rc == 0)
        rc = buf_printf(out, ",\"status\":%d,\"error\":{\"type\":", e->status);
    if (rc == 0)
        rc = ndjson_write_string(out, type, strlen(type));
    if (rc == 0)
        rc = buf_append_str(out, ",\"reason\":");
    if (rc == 0)
        rc = ndjson_write_string(out, reason, strlen(reason));
    if (rc == 0)
        rc = buf_append_str(out, "},\"document\":");
    if (rc == 0)
        rc = dlq_is_object(e->document, doc_len)
                 ? buf_append(out, e->document, doc_len)
                 : ndjson_write_string(out, e->document, doc_len);
    if (rc == 0)
        rc = dlq_format_log(out, e);
    if (rc < 0)
        buf_truncate(out, start);
    return rc;
}

/* Writes all of p; on failure removes what was written; 0 or -errno. */
static int
dlq_write_all(int fd, const char *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;
            off_t end = lseek(fd, 0, SEEK_END); /* O_APPEND: after our bytes */
            if (done > 0 && end >= (off_t)done &&
                ftruncate(fd, end - (off_t)done) < 0)
                return rc; /* the line stays torn; report the first error */
            return rc;
        }
        done += (size_t)n;
    }
    return 0;
}

int
dlq_write(struct dlq *d, const struct dlq_entry *e)
{
    buf_reset(&d->line);
    int rc = dlq_format(&d->enc, &d->line, e);
    if (rc < 0)
        return rc;
    return dlq_write_all(d->fd, d->line.data, d->line.len);
}

int
dlq_flush(struct dlq *d)
{
    if (fsync(d->fd) < 0)
        return -errno;
    return 0;
}

void
dlq_close(struct dlq *d)
{
    if (d == NULL)
        return;
    close(d->fd);
    ndjson_enc_fini(&d->enc);
    buf_fini(&d->line);
    free(d);
}
