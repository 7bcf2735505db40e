/*
 * Worker threads. Per event: the static fields, the parser chain, then the
 * document encoded straight into the batch body; per chunk: the counters.
 * No allocation per event once the field array, the encoder and the batch
 * buffers are warm. A partial batch goes out when the flush interval has
 * passed since its first event (or, with interval 0, as soon as no chunk
 * is waiting), so quiet inputs are not held back.
 */
#include "config.h"
#include "worker.h"

#include "log.h"
#include "metrics.h"
#include "pipeline_int.h"
#include "source.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
worker_init(struct worker *w, struct pipeline *p)
{
    memset(w, 0, sizeof(*w));
    w->p = p;
    ndjson_enc_init(&w->enc);
    w->cap_fields = 64;
    w->fields = xcalloc(w->cap_fields, sizeof(*w->fields));
    if (p->out.type->worker_new != NULL)
        w->out_state = p->out.type->worker_new(&p->out);
}

void
worker_fini(struct worker *w)
{
    if (w->out_state != NULL)
        w->p->out.type->worker_free(w->out_state);
    ndjson_enc_fini(&w->enc);
    free(w->fields);
}

/* Appends a field to the event; the array grows only while warming up. */
static struct field *
worker_add_field(struct worker *w, struct event *ev)
{
    if (ev->nfields == w->cap_fields) {
        w->cap_fields *= 2;
        w->fields = xrealloc(w->fields, w->cap_fields * sizeof(*w->fields));
        ev->fields = w->fields;
        ev->cap_fields = w->cap_fields;
    }
    return &ev->fields[ev->nfields++];
}

/* Fills ev from a chunk's event record with the fields every event has. */
static void
worker_make_event(struct worker *w, const struct chunk *c,
                  const struct chunk_event *ce, struct event *ev)
{
    const struct input *in = c->src->input;
    memset(ev, 0, sizeof(*ev));
    ev->text.ptr = c->data.data + ce->start;
    ev->text.len = ce->len;
    ev->offset = ce->offset;
    ev->time_ns = c->read_time_ns;
    ev->flags = ce->flags;
    ev->fields = w->fields;
    ev->cap_fields = w->cap_fields;

    struct field *f = worker_add_field(w, ev);
    *f = (struct field){SPAN_LIT("host.name"),
                        {w->p->hostname, strlen(w->p->hostname)},
                        FIELD_STRING};
    int n = snprintf(w->offset_text, sizeof(w->offset_text), "%" PRIu64,
                     ce->offset);
    f = worker_add_field(w, ev);
    *f = (struct field){
        SPAN_LIT("log.offset"), {w->offset_text, (size_t)n}, FIELD_INT};
    if (c->src->path != NULL) {
        f = worker_add_field(w, ev);
        *f = (struct field){SPAN_LIT("log.file.path"),
                            {c->src->path, strlen(c->src->path)},
                            FIELD_STRING};
    }
    for (size_t i = 0; i < in->nfields; i++)
        *worker_add_field(w, ev) = in->fields[i];
}

/* Sends the current batch to the output, if it holds anything. */
static void
worker_flush(struct worker *w)
{
    if (w->batch == NULL)
        return;
    pipeline_submit(w->p, w, w->batch);
    w->batch = NULL;
}

/* Encodes ev into the current batch; returns 0 or -E2BIG (too big alone). */
static int
worker_encode(struct worker *w, const struct event *ev)
{
    const struct output *out = &w->p->out;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (w->batch == NULL) {
            w->batch = batch_pool_get(w->p->batches);
            w->batch->first_event_ms = timeutil_mono_ms();
        }
        struct batch *b = w->batch;
        size_t start = b->body.len;
        int rc = 0;
        if (out->type->encode_action != NULL)
            rc = out->type->encode_action(out, w->out_state, ev, &b->body);
        if (rc == 0)
            rc = ndjson_write_event(&w->enc, &b->body, ev);
        if (rc == 0) {
            batch_add_item(b, start);
            return 0;
        }
        buf_truncate(&b->body, start);
        if (b->nitems == 0)
            return rc;
        worker_flush(w); /* full: send it and try once more in a new one */
    }
    return -E2BIG;
}

/* Turns every event of c into a document; then returns c to its pool. */
static void
worker_process(struct worker *w, struct chunk *c)
{
    const struct output_common *oc = output_common(&w->p->out);
    uint64_t truncated = 0;
    for (size_t i = 0; i < c->nevents; i++) {
        struct event ev;
        worker_make_event(w, c, &c->events[i], &ev);
        if (ev.flags & EVENT_TRUNCATED)
            truncated++;
        if (worker_encode(w, &ev) < 0) {
            metrics_add(&metrics.events_too_big, 1);
            log_error(c->src->input->conf->name,
                      "event at offset %" PRIu64 " does not fit in a batch "
                      "(batch_max_bytes); skipped",
                      ev.offset);
            ackrange_finish(c->ack, 1);
            continue;
        }
        batch_add_ref(w->batch, c->ack);
        if (w->batch->body.len >= oc->batch_max_bytes ||
            w->batch->nitems >= (size_t)oc->batch_max_events)
            worker_flush(w);
    }
    if (truncated)
        metrics_add(&metrics.events_truncated, truncated);
    chunk_pool_put(c);
}

/* How long to wait for the next chunk before the batch must go out. */
static int
worker_wait_ms(const struct worker *w)
{
    if (w->batch == NULL)
        return -1;
    int64_t interval = output_common(&w->p->out)->flush_interval_ms;
    int64_t left = w->batch->first_event_ms + interval - timeutil_mono_ms();
    return left < 0 ? 0 : (int)left;
}

void *
worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        void *item;
        int rc = queue_pop(w->p->work, &item, worker_wait_ms(w));
        if (rc == -ETIMEDOUT) {
            worker_flush(w);
            continue;
        }
        if (rc < 0)
            break;
        worker_process(w, item);
    }
    worker_flush(w);
    /* The last worker to finish closes the output queue: the output drains. */
    if (atomic_fetch_sub(&w->p->workers_running, 1) == 1) {
        queue_close(w->p->out_queue);
        if (w->p->out.type->wakeup != NULL)
            w->p->out.type->wakeup(&w->p->out);
    }
    return NULL;
}
