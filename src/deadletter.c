/*
 * Dead-letter file writer. Appends are serialised by a mutex so records
 * from several threads never interleave; fsync happens once per batch
 * acknowledgement at most (only when something was written), not per
 * record, so a parser that dead-letters everything slows shipping down
 * only a little.
 */
#include "config.h"

#include "deadletter.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct deadletter {
    pthread_mutex_t lock;
    int fd;
    char *path; /* owned */
    bool dirty; /* written since the last fsync */
    uint64_t count;
};

struct deadletter *
deadletter_open(const char *path, struct errbuf *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        char ebuf[128];
        errbuf_set(err, "dead-letter file %s: %s", path,
                   log_strerror(errno, ebuf, sizeof(ebuf)));
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

int
deadletter_write(struct deadletter *d, const char *record, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&d->lock);
    while (len > 0) {
        ssize_t n = write(d->fd, record, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        record += n;
        len -= (size_t)n;
    }
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
