/*
 * Input threads. An input thread reads into chunks from the pool,
 * registers each chunk's range with its source's acktrack, and pushes the
 * chunk to the workers. Standard input is read here; files are followed by
 * the tail (tail.c), which uses the same two steps (input_get_chunk,
 * input_emit). Reading stops when the pipeline stops, at end of input, or,
 * through the pool, while the workers are behind.
 */
#include "config.h"

#include "harvester.h"
#include "log.h"
#include "metrics.h"
#include "multiline.h"
#include "pipeline_int.h"
#include "source.h"
#include "tail.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int
input_init(struct input *in, struct pipeline *p, const struct input_conf *conf,
           size_t index, struct errbuf *err)
{
    in->conf = conf;
    in->p = p;
    in->index = index;
    in->chain = p->opts.chain != NULL ? p->opts.chain : conf->chain;
    in->nfields = conf->fields.count;
    in->fields = xcalloc(in->nfields + 1, sizeof(*in->fields));
    for (size_t i = 0; i < conf->fields.count; i++) {
        struct field *f = &in->fields[i];
        f->name = span_str(conf->fields.keys[i]);
        f->value = span_str(conf->fields.values[i]);
        f->type = FIELD_STRING;
    }
    if ((conf->type == INPUT_FILE && p->opts.mode == PIPELINE_RUN) ||
        p->opts.mode == PIPELINE_BACKFILL) {
        in->tail = tail_create(in, err);
        if (in->tail == NULL)
            return -EINVAL;
    }
    return 0;
}

void
input_fini(struct input *in)
{
    tail_destroy(in->tail);
    source_destroy(in->src);
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

struct chunk *
input_get_chunk(struct input *in)
{
    while (!atomic_load(&in->p->stopping)) {
        struct chunk *c = chunk_pool_get(in->p->chunks, 200);
        if (c != NULL)
            return c;
    }
    return NULL;
}

void
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
    c->read_time_ns = in->p->opts.read_time_ns ? in->p->opts.read_time_ns
                                               : timeutil_wall_ns();
    if (queue_push(in->p->work, c) < 0) {
        /* Only after the work queue closed, which follows every input's end. */
        log_error(in->conf->name, "work queue closed while reading");
        chunk_pool_put(c);
    }
}

/* Standard input cannot be replayed: its ids are unique to this run. */
static void
input_stdin_identity(struct fileid *id)
{
    memset(id, 0, sizeof(*id));
    if (getrandom(&id->ino, sizeof(id->ino), 0) < 0)
        id->ino = (uint64_t)timeutil_wall_ns() ^ (uint64_t)getpid();
    id->fingerprint = (uint64_t)timeutil_wall_ns();
}

/* Reads standard input to its end (or until the pipeline stops). */
static int
input_run_stdin(struct input *in)
{
    const struct service_conf *svc = &in->p->conf->service;
    struct harvester h;
    struct stat st;
    struct multiline *ml = NULL;
    const struct multiline_conf *mc = &in->conf->multiline;
    if (mc->start != NULL || mc->continuation != NULL) {
        struct errbuf err;
        ml = multiline_create(mc, &err); /* validated when the config loaded */
    }
    harvester_init(&h, STDIN_FILENO, 0, svc->read_bytes,
                   in->conf->max_line_bytes, ml);
    h.may_block = fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode);
    in->src = source_create(in, NULL, 0);
    input_stdin_identity(&in->src->id);
    int rc = 0;
    for (;;) {
        if (h.may_block && !input_wait_readable(in, STDIN_FILENO))
            break;
        struct chunk *c = input_get_chunk(in);
        if (c == NULL)
            break;
        uint64_t before = h.read_offset;
        rc = harvester_fill(&h, c, true);
        input_emit(in, in->src, c, harvester_done_offset(&h),
                   h.read_offset - before);
        if (rc < 0)
            log_errno(in->conf->name, rc, "reading standard input");
        if (rc < 0 || rc == HARVESTER_EOF || atomic_load(&in->p->stopping))
            break;
    }
    harvester_fini(&h);
    multiline_destroy(ml);
    return rc < 0 ? rc : 0;
}

void *
input_main(void *arg)
{
    struct input *in = arg;
    const struct pipeline_opts *o = &in->p->opts;
    if (o->mode == PIPELINE_BACKFILL) {
        int failed = tail_run_files(in->tail, o->files, o->nfiles, o->resume,
                                    in->p->nworkers > 0 ? in->p->nworkers : 1);
        atomic_fetch_add(&in->p->input_errors, failed);
    } else if (o->mode == PIPELINE_PARSE) {
        input_run_stdin(in);
    } else {
        switch ((enum input_kind)in->conf->type) {
        case INPUT_STDIN:
            input_run_stdin(in);
            break;
        case INPUT_FILE:
            tail_run(in->tail);
            break;
        }
    }
    /* The last input to finish closes the work queue: workers drain. */
    if (atomic_fetch_sub(&in->p->inputs_running, 1) == 1)
        queue_close(in->p->work);
    return NULL;
}
