/*
 * The file output: NDJSON documents appended to a file, each batch written
 * and fsync'd before it is acknowledged, so the registry never gets ahead
 * of what is on disk. Write errors (a full disk) are retried, never
 * dropped. The file is created mode 0600. Runs on the output thread.
 */
#include "config.h"
#include "outputs.h"

#include "log.h"
#include "ndjson_out.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

struct file_conf {
    struct output_common common;
    char *path; /* owned */
    bool fsync;
};

struct file_state {
    int fd;
};

static const struct opt file_options[] = {
    OUTPUT_COMMON_OPTIONS(struct file_conf, "1s"),
    {.name = "path",
     .type = OPT_STRING,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct file_conf, path),
     .help = "file the NDJSON documents are appended to (created mode 0600)"},
    {.name = "fsync",
     .type = OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct file_conf, fsync),
     .help = "fsync after each batch, before acknowledging it"},
    {0},
};

static int
file_open(struct output *out, struct errbuf *err)
{
    const struct file_conf *conf = out->conf;
    int fd = open(conf->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        char ebuf[128];
        return errbuf_set(err, "%s: %s", conf->path,
                          log_strerror(e, ebuf, sizeof(ebuf)));
    }
    /* A crash may have left a torn last line: start on a line of our own. */
    char last;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n' &&
        ndjson_out_write_all(fd, "\n", 1) < 0) {
        int e = errno;
        char ebuf[128];
        close(fd);
        return errbuf_set(err, "%s: %s", conf->path,
                          log_strerror(e, ebuf, sizeof(ebuf)));
    }
    struct file_state *st = xcalloc(1, sizeof(*st));
    st->fd = fd;
    out->state = st;
    return 0;
}

static int
file_write_batch(struct output *out, struct batch *b)
{
    const struct file_conf *conf = out->conf;
    struct file_state *st = out->state;
    off_t before = lseek(st->fd, 0, SEEK_END);
    if (before < 0)
        return -errno;
    int rc = ndjson_out_write_all(st->fd, b->body.data, b->body.len);
    if (rc == 0 && conf->fsync && fsync(st->fd) < 0)
        rc = -errno;
    /* A retry writes the whole batch again: drop any partial write first. */
    if (rc < 0 && ftruncate(st->fd, before) < 0)
        log_errno(out->name, errno, "%s: cannot undo a partial write",
                  conf->path);
    return rc;
}

static int
file_run(struct output *out)
{
    return ndjson_out_run(out, true, file_write_batch);
}

static void
file_close(struct output *out)
{
    struct file_state *st = out->state;
    if (st == NULL)
        return;
    close(st->fd);
    free(st);
    out->state = NULL;
}

const struct output_type output_file = {
    .name = "file",
    .options = file_options,
    .conf_size = sizeof(struct file_conf),
    .open = file_open,
    .run = file_run,
    .close = file_close,
};
