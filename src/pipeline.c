/*
 * Builds the pipeline from the config and runs it. Owns every part and the
 * order of shutdown: inputs stop, the last input closes the work queue,
 * workers drain and flush, the last worker closes the output queue, the
 * output drains and returns. Memory is bounded by the chunk pool (reading)
 * and the batch pool (everything after the workers): when the output is
 * slow, workers wait for batches, inputs wait for chunks, and the log files
 * are the buffer.
 */
#include "config.h"
#include "pipeline.h"

#include "deadletter.h"
#include "harvester.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "pipeline_int.h"
#include "registry.h"
#include "tail.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room above batch_max_bytes for the event that crosses it. */
#define PIPELINE_BATCH_SLACK_BYTES (16u << 20)

static size_t
pipeline_worker_count(const struct pipeline *p)
{
    if (p->opts.workers > 0)
        return (size_t)p->opts.workers;
    if (p->conf->service.workers > 0)
        return (size_t)p->conf->service.workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

static char *
pipeline_hostname(const struct conf *conf)
{
    if (conf->service.hostname != NULL)
        return xstrdup(conf->service.hostname);
    char name[256];
    if (gethostname(name, sizeof(name)) < 0)
        return xstrdup("localhost");
    name[sizeof(name) - 1] = '\0';
    return xstrdup(name);
}

/* True when some input reads files (or the mode is backfill). */
static bool
pipeline_needs_registry(const struct pipeline *p)
{
    if (p->opts.mode == PIPELINE_BACKFILL)
        return true;
    if (p->opts.mode == PIPELINE_PARSE)
        return false;
    const struct input_conf *ics = p->conf->inputs.items;
    for (size_t i = 0; i < p->conf->inputs.count; i++) {
        if (ics[i].type == INPUT_FILE)
            return true;
    }
    return false;
}

/* Opens the registry, making its directory (mode 0700) if needed. */
static int
pipeline_open_registry(struct pipeline *p, struct errbuf *err)
{
    const char *path = p->conf->registry.path;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        for (char *q = dir + 1; *q; q++) {
            if (*q == '/') {
                *q = '\0';
                mkdir(dir, 0700);
                *q = '/';
            }
        }
        mkdir(dir, 0700);
    }
    free(dir);
    int64_t prune_s = p->conf->registry.prune_after_ms / 1000;
    p->registry = registry_open(path, prune_s, err);
    return p->registry ? 0 : -EINVAL;
}

/* Chooses the inputs this mode runs. */
static int
pipeline_make_inputs(struct pipeline *p, struct errbuf *err)
{
    const struct conf *conf = p->conf;
    if (p->opts.mode != PIPELINE_RUN) {
        const struct input_conf *ic = &p->default_input;
        if (p->opts.mode == PIPELINE_BACKFILL && conf->inputs.count > 0)
            ic = conf->inputs.items;
        if (p->opts.input_name != NULL) {
            ic = conf_input(conf, p->opts.input_name);
            if (ic == NULL)
                return errbuf_set(err, "%s: no input named \"%s\"", conf->path,
                                  p->opts.input_name);
        }
        p->ninputs = 1;
        p->inputs = xcalloc(1, sizeof(*p->inputs));
        return input_init(&p->inputs[0], p, ic, 0, err);
    }
    if (conf->inputs.count == 0)
        return errbuf_set(err, "%s: inputs: no input is configured",
                          conf->path);
    const struct input_conf *ics = conf->inputs.items;
    p->ninputs = conf->inputs.count;
    p->inputs = xcalloc(p->ninputs, sizeof(*p->inputs));
    for (size_t i = 0; i < p->ninputs; i++) {
        if (input_init(&p->inputs[i], p, &ics[i], i, err) < 0)
            return -EINVAL;
    }
    return 0;
}

static void
pipeline_on_ack(void *arg, struct batch *b)
{
    struct pipeline *p = arg;
    if (p->dlq != NULL) {
        /* Dead-lettered events ride with batches: sync before acking. */
        int failures = 0;
        int rc;
        while ((rc = deadletter_sync(p->dlq)) < 0) {
            if (failures++ == 0)
                log_errno("dead-letter", rc, "%s: fsync failed; retrying",
                          deadletter_path(p->dlq));
            timeutil_sleep_ms(1000);
        }
    }
    metrics_add(&metrics.events_indexed, b->n_indexed);
    metrics_add(&metrics.events_duplicate, b->n_duplicate);
    metrics_add(&metrics.events_dead, b->n_dead);
    batch_finish_refs(b);
    batch_pool_put(b);
}

/* True when some input's chain may send events to the dead-letter file. */
static bool
pipeline_needs_dlq(const struct pipeline *p)
{
    for (size_t i = 0; i < p->ninputs; i++) {
        const struct chain *chain = p->inputs[i].chain;
        for (size_t s = 0; chain != NULL && s < chain->nstages; s++) {
            if (chain->stages[s].on_failure == STAGE_FAIL_DEAD_LETTER)
                return true;
        }
    }
    return false;
}

void
pipeline_dead_letter(struct pipeline *p, struct worker *w, const char *stage)
{
    struct buf doc, rec;
    buf_init(&doc, 0);
    buf_init(&rec, 0);
    ndjson_write_event(&w->enc, &doc, &w->ev);
    char reason[160];
    snprintf(reason, sizeof(reason), "stage %s did not match", stage);
    const struct field *path = event_get(&w->ev, SPAN_LIT("log.file.path"));
    struct deadletter_entry e = {
        .time_ns = p->opts.read_time_ns
                       ? p->opts.read_time_ns /* parse --read-time */
                       : timeutil_wall_ns(),
        .error_type = "parse_failure",
        .error_reason = reason,
        .document = doc.data,
        .document_len = doc.len,
        .path = path ? path->value.ptr : NULL,
        .path_len = path ? path->value.len : 0,
        .offset = w->ev.offset,
    };
    deadletter_format(&w->enc, &rec, &e);
    metrics_add(&metrics.events_dead, 1);
    if (p->dlq == NULL) { /* logship parse: show it instead */
        struct batch *b = w->batch;
        buf_append_str(&b->body, "# dead-letter: ");
        buf_append(&b->body, rec.data, rec.len);
    } else {
        int rc;
        int failures = 0;
        while ((rc = deadletter_write(p->dlq, rec.data, rec.len)) < 0) {
            if (failures++ == 0)
                log_errno("dead-letter", rc, "%s: write failed; retrying",
                          deadletter_path(p->dlq));
            timeutil_sleep_ms(1000);
        }
    }
    buf_fini(&rec);
    buf_fini(&doc);
}

static void
pipeline_on_fatal(void *arg, int err)
{
    struct pipeline *p = arg;
    atomic_store(&p->fatal, err);
    log_errno(p->out.name, err, "output failed; stopping");
    pipeline_stop(p);
}

/* Sizes the pools: they are the memory bound of the whole process. */
static void
pipeline_make_pools(struct pipeline *p)
{
    const struct service_conf *svc = &p->conf->service;
    const struct output_common *oc = p->conf->output.conf;
    size_t max_line = 0, max_ml = 0;
    for (size_t i = 0; i < p->ninputs; i++) {
        const struct input_conf *ic = p->inputs[i].conf;
        if (ic->max_line_bytes > max_line)
            max_line = ic->max_line_bytes;
        bool ml = ic->multiline.start || ic->multiline.continuation;
        if (ml && ic->multiline.max_bytes > max_ml)
            max_ml = ic->multiline.max_bytes;
    }
    size_t nchunks = svc->chunks > 0 ? (size_t)svc->chunks
                                     : 2 * p->nworkers + 2 * p->ninputs;
    size_t nbatches = svc->batches > 0 ? (size_t)svc->batches : p->nworkers + 4;
    p->chunks = chunk_pool_create(
        nchunks, harvester_chunk_bytes(svc->read_bytes, max_line, max_ml));
    p->work = queue_create(nchunks);
    p->batches = batch_pool_create(nbatches, oc->batch_max_bytes +
                                                 PIPELINE_BATCH_SLACK_BYTES);
    p->out_queue = queue_create(nbatches);
}

struct pipeline *
pipeline_create(const struct conf *conf, const struct pipeline_opts *opts,
                struct errbuf *err)
{
    struct pipeline *p = xcalloc(1, sizeof(*p));
    p->conf = conf;
    p->opts = *opts;
    p->hostname = pipeline_hostname(conf);
    p->hostname_span = span_str(p->hostname);
    conf_input_defaults(&p->default_input);
    p->default_input.name = "stdin";
    p->default_input.type = INPUT_STDIN;
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&p->lock, NULL);
    /* Waits use monotonic deadlines (timeutil_deadline): the condition
     * variable must use the same clock, or every wait times out at once. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->done_cond, &attr);
    pthread_condattr_destroy(&attr);
    p->nworkers = pipeline_worker_count(p);
    if (p->stop_fd < 0) {
        errbuf_set(err, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if (pipeline_needs_registry(p) && pipeline_open_registry(p, err) < 0)
        goto fail;
    if (pipeline_make_inputs(p, err) < 0)
        goto fail;
    if (opts->mode != PIPELINE_PARSE &&
        (pipeline_needs_dlq(p) ||
         strcmp(conf->output.type->name, "elasticsearch") == 0)) {
        p->dlq = deadletter_open(conf->service.dead_letter_path, err);
        if (p->dlq == NULL)
            goto fail;
    }
    pipeline_make_pools(p);

    p->out.type = conf->output.type;
    p->out.name = p->out.type->name;
    p->out.conf = conf->output.conf;
    p->out.queue = p->out_queue;
    p->out.pretty = opts->pretty;
    p->out.hostname = p->hostname;
    p->out.dlq = p->dlq;
    p->out.on_ack = pipeline_on_ack;
    p->out.on_fatal = pipeline_on_fatal;
    p->out.ack_arg = p;
    if (p->out.type->open(&p->out, err) < 0)
        goto fail;
    p->workers = xcalloc(p->nworkers, sizeof(*p->workers));
    for (size_t i = 0; i < p->nworkers; i++)
        worker_init(&p->workers[i], p);
    return p;
fail:
    pipeline_destroy(p);
    return NULL;
}

static void *
pipeline_output_main(void *arg)
{
    struct pipeline *p = arg;
    int rc = p->out.type->run(&p->out);
    pthread_mutex_lock(&p->lock);
    p->out_rc = rc;
    p->done = true;
    pthread_cond_broadcast(&p->done_cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int
pipeline_start(struct pipeline *p, struct errbuf *err)
{
    int rc = pthread_create(&p->out_thread, NULL, pipeline_output_main, p);
    if (rc != 0)
        return errbuf_set(err, "cannot start the output thread: %s",
                          strerror(rc));
    p->out_started = true;
    atomic_store(&p->workers_running, p->nworkers);
    for (size_t i = 0; i < p->nworkers; i++) {
        rc = pthread_create(&p->workers[i].thread, NULL, worker_main,
                            &p->workers[i]);
        if (rc != 0) /* a process that cannot start threads cannot go on */
            abort();
    }
    atomic_store(&p->inputs_running, p->ninputs);
    for (size_t i = 0; i < p->ninputs; i++) {
        rc = pthread_create(&p->inputs[i].thread, NULL, input_main,
                            &p->inputs[i]);
        if (rc != 0)
            abort();
        p->inputs[i].started = true;
    }
    return 0;
}

void
pipeline_stop(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    if (!atomic_load(&p->stopping))
        p->stop_ms = timeutil_mono_ms();
    atomic_store(&p->stopping, true);
    pthread_mutex_unlock(&p->lock);
    uint64_t one = 1;
    (void)!write(p->stop_fd, &one, sizeof(one));
}

void
pipeline_set_tick(struct pipeline *p, void (*tick)(void *arg), void *arg,
                  int64_t interval_ms)
{
    p->tick = tick;
    p->tick_arg = arg;
    p->tick_ms = interval_ms;
    p->next_tick_ms = timeutil_mono_ms() + interval_ms;
}

void
pipeline_progress(struct pipeline *p, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    for (size_t i = 0; i < p->ninputs; i++) {
        uint64_t d, t;
        if (p->inputs[i].tail == NULL)
            continue;
        tail_progress(p->inputs[i].tail, &d, &t);
        *done += d;
        *total += t;
    }
}

/* Calls the tick callback when it is due (with the lock released). */
static void
pipeline_maybe_tick(struct pipeline *p)
{
    if (p->tick == NULL || timeutil_mono_ms() < p->next_tick_ms)
        return;
    p->next_tick_ms = timeutil_mono_ms() + p->tick_ms;
    pthread_mutex_unlock(&p->lock);
    p->tick(p->tick_arg);
    pthread_mutex_lock(&p->lock);
}

int
pipeline_wait(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->done) {
        pipeline_maybe_tick(p);
        if (p->done)
            break;
        if (!atomic_load(&p->stopping)) {
            /* Wake now and then to notice a stop request. */
            struct timespec ts = timeutil_deadline(100);
            pthread_cond_timedwait(&p->done_cond, &p->lock, &ts);
            continue;
        }
        int64_t left =
            p->stop_ms + p->conf->service.grace_period_ms - timeutil_mono_ms();
        if (left <= 0) {
            pthread_mutex_unlock(&p->lock);
            return -ETIMEDOUT;
        }
        struct timespec ts = timeutil_deadline(left < 100 ? left : 100);
        pthread_cond_timedwait(&p->done_cond, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->ninputs; i++)
        pthread_join(p->inputs[i].thread, NULL);
    for (size_t i = 0; i < p->nworkers; i++)
        pthread_join(p->workers[i].thread, NULL);
    pthread_join(p->out_thread, NULL);
    p->out_started = false;
    int fatal = atomic_load(&p->fatal);
    return fatal ? fatal : p->out_rc;
}

void
pipeline_submit(struct pipeline *p, struct worker *w, struct batch *b)
{
    if (p->out.type->prepare != NULL)
        p->out.type->prepare(&p->out, w->out_state, b);
    queue_push(p->out_queue, b);
    if (p->out.type->wakeup != NULL)
        p->out.type->wakeup(&p->out);
}

int
pipeline_input_errors(struct pipeline *p)
{
    return atomic_load(&p->input_errors);
}

void
pipeline_destroy(struct pipeline *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; p->workers && i < p->nworkers; i++)
        worker_fini(&p->workers[i]);
    free(p->workers);
    if (p->out.state != NULL || p->out.type != NULL)
        if (p->out.type->close != NULL)
            p->out.type->close(&p->out);
    for (size_t i = 0; i < p->ninputs; i++)
        input_fini(&p->inputs[i]); /* the tails commit their last offsets */
    free(p->inputs);
    if (p->registry != NULL) {
        registry_save(p->registry);
        registry_close(p->registry);
    }
    queue_destroy(p->work);
    queue_destroy(p->out_queue);
    chunk_pool_destroy(p->chunks);
    batch_pool_destroy(p->batches);
    if (p->stop_fd >= 0)
        close(p->stop_fd);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->done_cond);
    deadletter_close(p->dlq);
    free(p->hostname);
    free(p);
}
