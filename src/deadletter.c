/*
 * Dead-letter file: the record format and the writer. Records are built by
 * the caller (worker or output thread) with our encoder, so strings are
 * escaped and UTF-8 repaired like every document we ship. Appends are
 * serialised by a mutex, one write(2) per record on an O_APPEND
 * descriptor, and a record that fails half-written is cut off again, so the
 * file stays one JSON object per line. fsync happens once per batch
 * acknowledgement at most (only when something was written), not per
 * record, so a parser that dead-letters everything slows shipping down
 * only a little. The file is created 0600 (events may hold personal data)
 * and its directory fsync'd then, so deadletter_sync() covers the name too.
 */
#include "config.h"

#include "deadletter.h"

#include "log.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEADLETTER_FILE_MODE 0600

struct deadletter {
    pthread_mutex_t lock;
    int fd;
    char *path; /* owned */
    bool dirty; /* written since the last fsync */
    bool torn;  /* a partial record could not be cut off: start a new line */
    uint64_t count;
};

/* True if doc (trailing whitespace dropped) can be embedded verbatim. */
static bool
deadletter_is_object(const char *doc, size_t len)
{
    return len >= 2 && doc[0] == '{' && doc[len - 1] == '}' &&
           memchr(doc, '\n', len) == NULL && memchr(doc, '\r', len) == NULL;
}

/* Appends "index" and "status" when e has them; 0 or -E2BIG. */
static int
deadletter_format_item(struct buf *out, const struct deadletter_entry *e)
{
    int rc = 0;
    if (e->index != NULL) {
        rc = buf_append_str(out, ",\"index\":");
        if (rc == 0)
            rc = ndjson_write_string(out, e->index, strlen(e->index));
    }
    if (rc == 0 && e->status != 0)
        rc = buf_printf(out, ",\"status\":%d", e->status);
    return rc;
}

/* Appends the fields after "document"; 0 or -E2BIG. */
static int
deadletter_format_log(struct buf *out, const struct deadletter_entry *e)
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
deadletter_format(struct ndjson_enc *enc, struct buf *out,
                  const struct deadletter_entry *e)
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
        rc = deadletter_format_item(out, e);
    if (rc == 0)
        rc = buf_append_str(out, ",\"error\":{\"type\":");
    if (rc == 0)
        rc = ndjson_write_string(out, type, strlen(type));
    if (rc == 0)
        rc = buf_append_str(out, ",\"reason\":");
    if (rc == 0)
        rc = ndjson_write_string(out, reason, strlen(reason));
    if (rc == 0)
        rc = buf_append_str(out, "},\"document\":");
    if (rc == 0)
        rc = deadletter_is_object(e->document, doc_len)
                 ? buf_append(out, e->document, doc_len)
                 : ndjson_write_string(out, e->document, doc_len);
    if (rc == 0)
        rc = deadletter_format_log(out, e);
    if (rc < 0)
        buf_truncate(out, start);
    return rc;
}

/* fsyncs the directory holding path; 0 or -errno. */
static int
deadletter_sync_dir(const char *path)
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

/* Opens path, creating it if needed; fd or -errno, *created says which. */
static int
deadletter_open_fd(const char *path, bool *created)
{
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
    *created = true;
    int fd = open(path, flags | O_EXCL, DEADLETTER_FILE_MODE);
    if (fd < 0 && errno == EEXIST) {
        *created = false;
        fd = open(path, flags, DEADLETTER_FILE_MODE);
    }
    return fd < 0 ? -errno : fd;
}

struct deadletter *
deadletter_open(const char *path, struct errbuf *err)
{
    char ebuf[128];
    bool created;
    int fd = deadletter_open_fd(path, &created);
    if (fd < 0) {
        errbuf_set(err, "dead-letter file %s: %s", path,
                   log_strerror(-fd, ebuf, sizeof(ebuf)));
        return NULL;
    }
    int rc = created ? deadletter_sync_dir(path) : 0;
    if (rc < 0) {
        errbuf_set(err, "dead-letter file %s: syncing its directory: %s", path,
                   log_strerror(-rc, ebuf, sizeof(ebuf)));
        close(fd);
        unlink(path); /* so the next start creates and syncs it again */
        return NULL;
    }
    struct deadletter *d = xcalloc(1, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->fd = fd;
    d->path = xstrdup(path);
    return d;
}

void
deadletter_close(struct deadletter *d)
{
    if (d == NULL)
        return;
    deadletter_sync(d);
    close(d->fd);
    pthread_mutex_destroy(&d->lock);
    free(d->path);
    free(d);
}

/* Cuts the file back to size after a torn append; sets d->torn if not. */
static void
deadletter_cut(struct deadletter *d, off_t size)
{
    if (size >= 0 && ftruncate(d->fd, size) == 0)
        return;
    int rc = size < 0 ? -ESPIPE : -errno;
    log_errno("dead-letter", rc,
              "%s: cannot remove a partly written record; it stays as one "
              "broken line",
              d->path);
    d->torn = true;
}

/* Appends all of p (lock held); on failure removes what it wrote. */
static int
deadletter_append(struct deadletter *d, const char *p, size_t len)
{
    off_t size = lseek(d->fd, 0, SEEK_END); /* -1: not a regular file */
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(d->fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;
            if (done > 0)
                deadletter_cut(d, size);
            return rc;
        }
        done += (size_t)n;
    }
    return 0;
}

int
deadletter_write(struct deadletter *d, const char *record, size_t len)
{
    assert(len > 0 && record[len - 1] == '\n');
    pthread_mutex_lock(&d->lock);
    int rc = 0;
    if (d->torn) {
        rc = deadletter_append(d, "\n", 1);
        if (rc == 0)
            d->torn = false;
    }
    if (rc == 0)
        rc = deadletter_append(d, record, len);
    if (rc == 0) {
        d->dirty = true;
        d->count++;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int
deadletter_sync(struct deadletter *d)
{
    int rc = 0;
    pthread_mutex_lock(&d->lock);
    if (d->dirty) {
        if (fsync(d->fd) < 0)
            rc = -errno;
        else
            d->dirty = false;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

uint64_t
deadletter_count(struct deadletter *d)
{
    pthread_mutex_lock(&d->lock);
    uint64_t n = d->count;
    pthread_mutex_unlock(&d->lock);
    return n;
}

const char *
deadletter_path(const struct deadletter *d)
{
    return d->path;
}
