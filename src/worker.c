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
    scratch_init(&w->scratch);
    buf_init(&w->explain, 0);
    w->cws = xcalloc(p->ninputs, sizeof(*w->cws));
    for (size_t i = 0; i < p->ninputs; i++) {
        const struct chain *chain = p->inputs[i].chain;
        chain_worker_init(&w->cws[i], chain);
        if (chain != NULL && chain->nstages > w->cap_trace)
            w->cap_trace = chain->nstages;
    }
    w->trace = xcalloc(w->cap_trace + 1, sizeof(*w->trace));
    if (p->out.type->worker_new != NULL)
        w->out_state = p->out.type->worker_new(&p->out);
}

void
worker_fini(struct worker *w)
{
    if (w->out_state != NULL)
        w->p->out.type->worker_free(w->out_state);
    for (size_t i = 0; w->cws != NULL && i < w->p->ninputs; i++)
        chain_worker_fini(&w->cws[i]);
    free(w->cws);
    free(w->trace);
    buf_fini(&w->explain);
    ndjson_enc_fini(&w->enc);
    scratch_fini(&w->scratch);
    event_fini(&w->ev);
}

/* Decimal text of v in w->offset_text (snprintf is a profile line here). */
static struct span
worker_u64_text(struct worker *w, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021"
                                "22232425262728293031323334353637383940414243"
                                "44454647484950515253545556575859606162636465"
                                "66676869707172737475767778798081828384858687"
                                "888990919293949596979899";
    char *end = w->offset_text + sizeof(w->offset_text);
    char *p = end;
    while (v >= 100) { /* two digits per division: half the dependent work */
        p -= 2;
        memcpy(p, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return (struct span){p, (size_t)(end - p)};
}

/* Fills w->ev from a chunk's event record with the fields every event has. */
static void
worker_make_event(struct worker *w, const struct chunk *c,
                  const struct chunk_event *ce)
{
    const struct input *in = c->src->input;
    struct event *ev = &w->ev;
    event_reset(ev);
    scratch_reset(&w->scratch);
    ev->text.ptr = c->data.data + ce->start;
    ev->text.len = ce->len;
    ev->offset = ce->offset;
    ev->time_ns = c->read_time_ns;
    ev->flags = ce->flags;
    ev->id = &c->src->id;

    /* Names are literals or config: static for the encoder's shapes. */
    event_set_static(ev, SPAN_LIT("host.name"), w->p->hostname_span,
                     FIELD_STRING);
    event_set_static(ev, SPAN_LIT("log.offset"), worker_u64_text(w, ce->offset),
                     FIELD_INT);
    if (c->src->path != NULL)
        event_set_static(ev, SPAN_LIT("log.file.path"), c->src->path_span,
                         FIELD_STRING);
    for (size_t i = 0; i < in->nfields; i++)
        event_set_static(ev, in->fields[i].name, in->fields[i].value,
                         in->fields[i].type);
    if (in->conf->event_original)
        event_set_static(ev, SPAN_LIT("event.original"), ev->text,
                         FIELD_STRING);
}

/* The batch being filled, taking one from the pool if needed. */
static struct batch *
worker_batch(struct worker *w)
{
    if (w->batch == NULL) {
        w->batch = batch_pool_get(w->p->batches);
        w->batch->first_event_ms = timeutil_mono_ms();
    }
    return w->batch;
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

/*
 * Encodes w->ev (after the explain text, if any) into the current batch;
 * returns 0 or -E2BIG when the event does not fit even an empty batch.
 */
static int
worker_encode(struct worker *w)
{
    const struct output *out = &w->p->out;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct batch *b = worker_batch(w);
        size_t start = b->body.len;
        int rc = buf_append(&b->body, w->explain.data, w->explain.len);
        if (rc == 0 && out->type->encode_action != NULL)
            rc = out->type->encode_action(out, w->out_state, &w->ev, &b->body);
        if (rc == 0)
            rc = ndjson_write_event(&w->enc, &b->body, &w->ev);
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

static const char *
worker_status_name(enum stage_status status)
{
    switch (status) {
    case STAGE_OK:
        return "ok";
    case STAGE_NO_MATCH:
        return "no match";
    case STAGE_SKIPPED:
        return "skipped (field absent)";
    case STAGE_DROP:
        return "drop";
    }
    return "?";
}

/* Writes what each stage did as "# " lines (logship parse --explain). */
static void
worker_explain(struct worker *w, const struct chain_worker *cw,
               enum chain_result result)
{
    buf_reset(&w->explain);
    buf_printf(&w->explain, "# line at offset %" PRIu64 "\n", w->ev.offset);
    size_t n = cw->chain ? cw->chain->nstages : 0;
    if (n == 0)
        buf_printf(&w->explain, "#   (no parser stages)\n");
    for (size_t i = 0; i < n; i++) {
        const struct chain_trace *t = &w->trace[i];
        buf_printf(&w->explain, "#   %zu %-8s %s%s%s\n", i + 1,
                   cw->chain->stages[i].name, worker_status_name(t->status),
                   t->note ? ": " : "", t->note ? t->note : "");
        if (t->status == STAGE_DROP ||
            (t->status == STAGE_NO_MATCH && result != CHAIN_KEEP))
            break;
    }
    if (result == CHAIN_DROP)
        buf_printf(&w->explain, "#   => dropped\n");
    else if (result == CHAIN_DEAD_LETTER)
        buf_printf(&w->explain, "#   => dead-lettered\n");
}

/*
 * Runs the input's chain on w->ev; false when the event is not encoded
 * (dropped, or dead-lettered: then its ack rides with the current batch,
 * which is acknowledged only after the dead-letter file is fsync'd).
 */
static bool
worker_parse(struct worker *w, const struct chunk *c, uint64_t *failures)
{
    const struct input *in = c->src->input;
    struct chain_worker *cw = &w->cws[in->index];
    bool explain = w->p->opts.explain;
    bool failed;
    enum chain_result r = chain_apply(cw, &w->ev, &w->scratch,
                                      explain ? w->trace : NULL, &failed);
    if (failed)
        (*failures)++;
    if (explain)
        worker_explain(w, cw, r);
    if (r == CHAIN_KEEP) {
        /* Only a clean parse may drop the text: after a failure it is all
         * there is of the line. A message field a stage set still wins. */
        if (!failed && cw->chain != NULL && cw->chain->nstages > 0 &&
            !in->conf->keep_message)
            w->ev.flags |= EVENT_NO_MESSAGE;
        return true;
    }
    if (explain)
        buf_append(&worker_batch(w)->body, w->explain.data, w->explain.len);
    if (r == CHAIN_DROP) {
        metrics_add(&metrics.events_dropped, 1);
        ackrange_finish(c->ack, 1);
        return false;
    }
    struct batch *b = worker_batch(w);
    pipeline_dead_letter(w->p, w, cw->failed_stage);
    batch_add_ref(b, c->ack);
    return false;
}

/* Turns every event of c into a document; then returns c to its pool. */
static void
worker_process(struct worker *w, struct chunk *c)
{
    const struct output_common *oc = output_common(&w->p->out);
    uint64_t truncated = 0, failures = 0;
    for (size_t i = 0; i < c->nevents; i++) {
        worker_make_event(w, c, &c->events[i]);
        if (w->ev.flags & EVENT_TRUNCATED)
            truncated++;
        if (!worker_parse(w, c, &failures))
            continue;
        if (worker_encode(w) < 0) {
            metrics_add(&metrics.events_too_big, 1);
            log_error(c->src->input->conf->name,
                      "event at offset %" PRIu64 " does not fit in a batch "
                      "(batch_max_bytes); skipped",
                      w->ev.offset);
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
    if (failures)
        metrics_add(&metrics.events_parse_failed, failures);
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
