/*
 * Input threads. Today's input kind is standard input; the file tail
 * (tail.c) plugs in here too. An input thread reads into chunks from the
 * pool, registers each chunk's range with its source's acktrack, and pushes
 * the chunk to the workers. It stops reading when the pipeline stops, at
 * end of stream, or, through the pool, when the workers fall behind.
 */
#include "config.h"

#include "harvester.h"
#include "log.h"
#include "metrics.h"
#include "pipeline_int.h"
#include "source.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
input_init(struct input *in, struct pipeline *p, const struct input_conf *conf)
{
    in->conf = conf;
    in->p = p;
    in->nfields = conf->fields.count;
    in->fields = xcalloc(in->nfields + 1, sizeof(*in->fields));
    for (size_t i = 0; i < conf->fields.count; i++) {
        struct field *f = &in->fields[i];
        f->name.ptr = conf->fields.keys[i];
        f->name.len = strlen(conf->fields.keys[i]);
        f->value.ptr = conf->fields.values[i];
        f->value.len = strlen(conf->fields.values[i]);
        f->type = FIELD_STRING;
    }
}

void
input_fini(struct input *in)
{
    source_destroy(in->src);
    for (size_t i = 0; i < in->ndone_sources; i++)
        source_destroy(in->done_sources[i]);
    free(in->done_sources);
    free(in->fields);
}

/* Waits until fd is readable or the pipeline stops; false when stopping. */
static bool
input_wait_readable(struct input *in, int fd)
{
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = in->p->stop_fd, .events = POLLIN}};
    while (!atomic_load(&in->p->stopping)) {
        int n = poll(pfd, 2, -1);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0 && pfd[0].revents)
            return true;
    }
    return false;
}

/* Takes a free chunk, giving up when the pipeline stops. */
static struct chunk *
input_get_chunk(struct input *in)
{
    while (!atomic_load(&in->p->stopping)) {
        struct chunk *c = chunk_pool_get(in->p->chunks, 200);
        if (c != NULL)
            return c;
    }
    return NULL;
}

/* Gives a filled chunk to the workers, or back to the pool if empty. */
static void
input_emit(struct input *in, struct source *src, struct chunk *c,
           uint64_t end_offset, size_t nbytes)
{
    metrics_add(&metrics.bytes_read, nbytes);
    c->ack = acktrack_add(src->acks, end_offset, (uint32_t)c->nevents);
    if (c->nevents == 0) {
        chunk_pool_put(c);
        return;
    }
    metrics_add(&metrics.events_read, c->nevents);
    c->src = src;
    c->read_time_ns = timeutil_wall_ns();
    if (queue_push(in->p->work, c) < 0) {
        /* Only after the work queue closed, which follows every input's end. */
        log_error(in->conf->name, "work queue closed while reading");
        chunk_pool_put(c);
    }
}

/* Reads standard input to its end (or until the pipeline stops). */
static int
input_run_stdin(struct input *in)
{
    const struct service_conf *svc = &in->p->conf->service;
    struct harvester h;
    struct stat st;
    harvester_init(&h, STDIN_FILENO, 0, svc->read_bytes,
                   in->conf->max_line_bytes);
    h.may_block = fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode);
    in->src = source_create(in, NULL, 0);
    int rc = 0;
    for (;;) {
        if (h.may_block && !input_wait_readable(in, STDIN_FILENO))
            break;
        struct chunk *c = input_get_chunk(in);
        if (c == NULL)
            break;
        uint64_t before = h.read_offset;
        rc = harvester_fill(&h, c, true);
        if (rc < 0) {
            log_errno(in->conf->name, rc, "reading standard input");
            chunk_pool_put(c);
            break;
        }
        input_emit(in, in->src, c, h.line_offset, h.read_offset - before);
        if (rc == HARVESTER_EOF)
            break;
        if (atomic_load(&in->p->stopping))
            break;
    }
    harvester_fini(&h);
    return rc < 0 ? rc : 0;
}

/* Reads one file to its end (backfill). */
static int
input_run_file(struct input *in, const char *path)
{
    const struct service_conf *svc = &in->p->conf->service;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        log_errno(in->conf->name, e, "%s", path);
        return -e;
    }
    struct source *src = source_create(in, path, 0);
    struct harvester h;
    harvester_init(&h, fd, 0, svc->read_bytes, in->conf->max_line_bytes);
    int rc = 0;
    while (!atomic_load(&in->p->stopping)) {
        struct chunk *c = input_get_chunk(in);
        if (c == NULL)
            break;
        uint64_t before = h.read_offset;
        rc = harvester_fill(&h, c, true);
        if (rc < 0) {
            log_errno(in->conf->name, rc, "reading %s", path);
            chunk_pool_put(c);
            break;
        }
        input_emit(in, src, c, h.line_offset, h.read_offset - before);
        if (rc == HARVESTER_EOF)
            break;
    }
    harvester_fini(&h);
    close(fd);
    /* Workers and the output still use src: keep it until the end. */
    in->done_sources = xrealloc(
        in->done_sources, (in->ndone_sources + 1) * sizeof(*in->done_sources));
    in->done_sources[in->ndone_sources++] = src;
    return rc < 0 ? rc : 0;
}

void *
input_main(void *arg)
{
    struct input *in = arg;
    if (in->p->opts.mode == PIPELINE_BACKFILL) {
        for (size_t i = 0; i < in->p->opts.nfiles; i++) {
            if (input_run_file(in, in->p->opts.files[i]) < 0)
                atomic_fetch_add(&in->p->input_errors, 1);
        }
    } else {
        switch ((enum input_kind)in->conf->type) {
        case INPUT_STDIN:
            input_run_stdin(in);
            break;
        }
    }
    /* The last input to finish closes the work queue: workers drain. */
    if (atomic_fetch_sub(&in->p->inputs_running, 1) == 1)
        queue_close(in->p->work);
    return NULL;
}
