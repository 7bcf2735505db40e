/*
 * The Elasticsearch output thread: a libcurl multi loop with at most
 * max_inflight bulk requests over keep-alive connections, round-robin over
 * the hosts that are not put aside. Each response is read item by item:
 * indexed and duplicate items are done, rejected ones (429, 5xx) are sent
 * again alone after a backoff with full jitter, permanent failures go to
 * the dead-letter file with the engine's reason. Connection errors,
 * timeouts and whole-request 429/5xx retry the whole request, forever by
 * default. A 413 splits the request in halves. A batch is acknowledged
 * only once every one of its events is indexed, duplicate or
 * dead-lettered.
 *
 * Everything here runs on the output thread, except es_send_wakeup.
 */
#include "config.h"

#include "bulk_response.h"
#include "deadletter.h"
#include "es_int.h"
#include "gzip.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ES_SEND_POLL_MS      100
#define ES_SEND_LOG_EVERY_MS 10000

/* One batch on its way: how many of its requests are still open. */
struct es_batch {
    struct batch *b; /* owned until acknowledged */
    size_t open_requests;
};

/* One bulk request: all of a batch's items, or some of them. */
struct es_req {
    struct es_batch *eb; /* borrowed: shared by a batch's requests */
    uint32_t *items;     /* owned: batch item indices; NULL: all */
    size_t nitems;
    int attempt;
    int64_t not_before_ms;
    size_t host;
    struct buf body; /* owned: rebuilt body (subsets, Elasticsearch 6) */
    struct buf gz;   /* owned: its gzip */
    struct buf resp; /* owned: the response */
    CURL *easy;
    struct curl_slist *headers;
    char cerr[CURL_ERROR_SIZE];
    struct es_req *next; /* in the waiting list */
};

struct es_send {
    struct output *out; /* borrowed */
    struct es_state *st;
    const struct es_conf *conf;
    CURLM *multi;
    struct es_req *wait_head; /* owned list: requests waiting to be sent */
    struct es_req *wait_tail;
    size_t nwaiting;
    size_t inflight;
    struct gzip_enc gz;
    struct bulk_result result;
    struct ndjson_enc enc; /* for dead-letter records */
    struct buf line;       /* a dead-letter record */
    uint64_t rng;
    int64_t last_warn_ms;
    int64_t last_disk_ms;
};

void
es_send_wakeup(struct output *out)
{
    struct es_state *st = out->state;
    CURLM *m = atomic_load(&st->multi);
    if (m != NULL)
        curl_multi_wakeup(m); /* thread-safe by libcurl's contract */
}

/* xorshift64*: jitter only, not security. */
static uint64_t
es_send_rand(struct es_send *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ull;
}

/* Full jitter: a delay in [0, min(max, initial * 2^attempt)]. */
static int64_t
es_send_backoff(struct es_send *s, int attempt)
{
    int64_t cap = s->conf->backoff_initial_ms;
    for (int i = 0; i < attempt && cap < s->conf->backoff_max_ms; i++)
        cap *= 2;
    if (cap > s->conf->backoff_max_ms)
        cap = s->conf->backoff_max_ms;
    return cap > 0 ? (int64_t)(es_send_rand(s) % (uint64_t)(cap + 1)) : 0;
}

static void
es_send_enqueue(struct es_send *s, struct es_req *r)
{
    r->next = NULL;
    if (s->wait_tail != NULL)
        s->wait_tail->next = r;
    else
        s->wait_head = r;
    s->wait_tail = r;
    s->nwaiting++;
}

static struct es_req *
es_send_req_new(struct es_batch *eb, uint32_t *items, size_t nitems,
                int attempt)
{
    struct es_req *r = xcalloc(1, sizeof(*r));
    r->eb = eb;
    r->items = items;
    r->nitems = nitems;
    r->attempt = attempt;
    buf_init(&r->body, 0);
    buf_init(&r->gz, 0);
    buf_init(&r->resp, 64u << 20);
    eb->open_requests++;
    return r;
}

static void
es_send_req_free(struct es_req *r)
{
    buf_fini(&r->body);
    buf_fini(&r->gz);
    buf_fini(&r->resp);
    free(r->items);
    free(r);
}

/* The batch item index of the request's k-th item. */
static size_t
es_send_item(const struct es_req *r, size_t k)
{
    return r->items ? r->items[k] : k;
}

/* The bytes of batch item i: its action line and document line. */
static void
es_send_item_bytes(const struct batch *b, size_t i, const char **p, size_t *len)
{
    size_t start = b->item_starts[i];
    size_t end = i + 1 < b->nitems ? b->item_starts[i + 1] : b->body.len;
    *p = b->body.data + start;
    *len = end - start;
}

/* A batch is finished when its last request is: acknowledge it. */
static void
es_send_req_done(struct es_send *s, struct es_req *r)
{
    struct es_batch *eb = r->eb;
    es_send_req_free(r);
    if (--eb->open_requests > 0)
        return;
    metrics_add(&metrics.batches_sent, 1);
    s->out->on_ack(s->out->ack_arg, eb->b);
    free(eb);
}

/* Copies the value of "key":"..." in a line we wrote (no escapes in it). */
static void
es_send_action_value(const char *line, size_t len, const char *key, char *out,
                     size_t cap)
{
    out[0] = '\0';
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = memmem(line, len, pat, strlen(pat));
    if (p == NULL)
        return;
    p += strlen(pat);
    const char *q = memchr(p, '"', (size_t)(line + len - p));
    size_t n = q ? (size_t)(q - p) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Writes batch item i to the dead-letter file with its error. */
static void
es_send_dead_letter(struct es_send *s, struct batch *b, size_t i, int status,
                    const char *type, const char *reason)
{
    const char *item;
    size_t len;
    es_send_item_bytes(b, i, &item, &len);
    const char *nl = memchr(item, '\n', len);
    size_t action_len = nl ? (size_t)(nl - item) : len;
    char index[512];
    es_send_action_value(item, action_len, "_index", index, sizeof(index));
    const char *doc = nl ? nl + 1 : item + len;
    size_t doc_len = (size_t)(item + len - doc);
    json_t *j = json_loadb(doc, doc_len, JSON_ALLOW_NUL, NULL);
    json_t *log = json_object_get(j, "log");
    const char *path = json_string_value(
        json_object_get(json_object_get(log, "file"), "path"));
    struct deadletter_entry e = {
        .time_ns = timeutil_wall_ns(),
        .index = index,
        .status = status,
        .error_type = type,
        .error_reason = reason,
        .document = doc,
        .document_len = doc_len,
        .path = path,
        .path_len = path ? strlen(path) : 0,
        .offset = (uint64_t)json_integer_value(json_object_get(log, "offset")),
    };
    buf_reset(&s->line);
    deadletter_format(&s->enc, &s->line, &e);
    json_decref(j);
    int rc;
    int failures = 0;
    while ((rc = deadletter_write(s->out->dlq, s->line.data, s->line.len)) <
           0) {
        if (failures++ == 0)
            log_errno(s->out->name, rc, "%s: cannot write; retrying",
                      deadletter_path(s->out->dlq));
        timeutil_sleep_ms(1000);
    }
    b->n_dead++;
}

/* Builds r's body when it is not the batch's own (a subset, or ES 6). */
static void
es_send_build(struct es_send *s, struct es_req *r, bool add_type)
{
    struct batch *b = r->eb->b;
    buf_reset(&r->body);
    for (size_t k = 0; k < r->nitems; k++) {
        const char *item;
        size_t len;
        es_send_item_bytes(b, es_send_item(r, k), &item, &len);
        /* Our action lines start {"create":{ or {"index":{ */
        const char *brace = add_type ? memchr(item + 1, '{', len - 1) : NULL;
        if (brace != NULL) {
            size_t head = (size_t)(brace - item) + 1;
            buf_append(&r->body, item, head);
            buf_append_str(&r->body, "\"_type\":\"_doc\",");
            buf_append(&r->body, item + head, len - head);
        } else {
            buf_append(&r->body, item, len);
        }
    }
    buf_reset(&r->gz);
    if (s->conf->compression == ES_COMPRESSION_GZIP)
        gzip_compress(&s->gz, r->body.data, r->body.len, &r->gz);
}

/* Picks a host that is not put aside; SIZE_MAX when none is. */
static size_t
es_send_pick_host(struct es_send *s, int64_t now, int64_t *wake_ms)
{
    for (size_t k = 0; k < s->st->nhosts; k++) {
        size_t i = (s->st->next_host + k) % s->st->nhosts;
        struct es_host *h = &s->st->hosts[i];
        if (h->down_until_ms <= now) {
            s->st->next_host = (i + 1) % s->st->nhosts;
            return i;
        }
        if (h->down_until_ms < *wake_ms)
            *wake_ms = h->down_until_ms;
    }
    return SIZE_MAX;
}

/*
 * Puts a host aside after a failure, for a growing time; why names the
 * host (or the URL it asked) itself, as es_http's messages do.
 */
static void
es_send_host_failed(struct es_send *s, struct es_host *h, const char *why)
{
    const struct es_conf *c = s->conf;
    h->backoff_ms = h->backoff_ms ? h->backoff_ms * 2 : c->backoff_initial_ms;
    if (h->backoff_ms > c->backoff_max_ms)
        h->backoff_ms = c->backoff_max_ms;
    h->down_until_ms = timeutil_mono_ms() + h->backoff_ms;
    h->known = false; /* ask the version again: it may be another node */
    if (!h->down_logged)
        log_error(s->out->name, "%s; retrying with backoff (up to %lld ms)",
                  why, (long long)c->backoff_max_ms);
    h->down_logged = true;
}

static void
es_send_host_ok(struct es_send *s, struct es_host *h)
{
    if (h->down_logged)
        log_info(s->out->name, "%s: reachable again", h->url);
    h->down_logged = false;
    h->backoff_ms = 0;
    h->down_until_ms = 0;
}

/* Starts r on host hi. */
static void
es_send_start(struct es_send *s, struct es_req *r, size_t hi)
{
    struct es_host *h = &s->st->hosts[hi];
    struct batch *b = r->eb->b;
    bool add_type = es_version_needs_type(&h->version);
    if (r->items != NULL || add_type)
        es_send_build(s, r, add_type);
    const struct buf *plain =
        (r->items != NULL || add_type) ? &r->body : &b->body;
    const struct buf *gz = (r->items != NULL || add_type) ? &r->gz : &b->gz;
    bool gzip = s->conf->compression == ES_COMPRESSION_GZIP && gz->len > 0;
    char *url = xasprintf("%s/_bulk?%s%s%s", h->url, BULK_FILTER_PATH,
                          s->conf->pipeline ? "&pipeline=" : "",
                          s->conf->pipeline ? s->conf->pipeline : "");
    r->host = hi;
    r->cerr[0] = '\0';
    buf_reset(&r->resp);
    r->easy = es_http_easy(s->out, url, r->cerr);
    free(url);
    r->headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    r->headers = curl_slist_append(r->headers, "Expect:");
    if (gzip)
        r->headers = curl_slist_append(r->headers, "Content-Encoding: gzip");
    if (s->st->auth_header != NULL)
        r->headers = curl_slist_append(r->headers, s->st->auth_header);
    const struct buf *send = gzip ? gz : plain;
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, send->data ? send->data : "");
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)send->len);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, &r->resp);
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    curl_multi_add_handle(s->multi, r->easy);
    metrics_add(&metrics.bytes_sent, send->len);
    s->inflight++;
}

/* Releases r's transfer (after it completed). */
static void
es_send_release(struct es_send *s, struct es_req *r)
{
    curl_multi_remove_handle(s->multi, r->easy);
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    r->easy = NULL;
    r->headers = NULL;
    s->inflight--;
}

/* Sends r again later; past max_retries its items are dead-lettered. */
static void
es_send_retry(struct es_send *s, struct es_req *r, int status, const char *why)
{
    r->attempt++;
    if (s->conf->max_retries >= 0 && r->attempt > s->conf->max_retries) {
        for (size_t k = 0; k < r->nitems; k++)
            es_send_dead_letter(s, r->eb->b, es_send_item(r, k), status,
                                "logship_retries_exhausted", why);
        es_send_req_done(s, r);
        return;
    }
    r->not_before_ms = timeutil_mono_ms() + es_send_backoff(s, r->attempt);
    es_send_enqueue(s, r);
}

/* Logs a warning at most every ES_SEND_LOG_EVERY_MS. */
static bool
es_send_may_warn(struct es_send *s)
{
    int64_t now = timeutil_mono_ms();
    if (now - s->last_warn_ms < ES_SEND_LOG_EVERY_MS)
        return false;
    s->last_warn_ms = now;
    return true;
}

/* A 200: each item indexed, duplicate, retried alone, or dead-lettered. */
static void
es_send_items(struct es_send *s, struct es_req *r)
{
    struct batch *b = r->eb->b;
    struct errbuf err;
    bulk_result_reset(&s->result);
    if (bulk_response_parse(&s->result, r->resp.data ? r->resp.data : "",
                            r->resp.len, r->nitems, &err) < 0) {
        if (es_send_may_warn(s))
            log_warn(s->out->name,
                     "unreadable bulk response (%s); sending "
                     "the request again",
                     err.msg);
        es_send_retry(s, r, 502, "unreadable bulk response");
        return;
    }
    if (s->result.disk_full &&
        timeutil_mono_ms() - s->last_disk_ms > ES_SEND_LOG_EVERY_MS) {
        s->last_disk_ms = timeutil_mono_ms();
        log_error(s->out->name,
                  "the cluster refuses writes: flood-stage disk "
                  "watermark (index read-only / allow delete); free disk "
                  "space, then clear the block; retrying meanwhile");
    }
    uint32_t *retry = NULL;
    size_t nretry = 0;
    for (size_t k = 0; k < r->nitems; k++) {
        size_t i = es_send_item(r, k);
        const struct bulk_item *it = &s->result.items[k];
        switch (it->outcome) {
        case BULK_INDEXED:
            b->n_indexed++;
            break;
        case BULK_DUPLICATE:
            b->n_duplicate++;
            break;
        case BULK_DEAD:
            es_send_dead_letter(s, b, i, it->status,
                                bulk_result_type(&s->result, k),
                                bulk_result_reason(&s->result, k));
            break;
        case BULK_RETRY:
            if (retry == NULL)
                retry = xmalloc(r->nitems * sizeof(*retry));
            retry[nretry++] = (uint32_t)i;
            break;
        }
    }
    if (nretry > 0) {
        struct es_req *again =
            es_send_req_new(r->eb, retry, nretry, r->attempt);
        es_send_retry(s, again, s->result.items[0].status,
                      "items rejected again and again");
    }
    es_send_req_done(s, r);
}

/* A 413: the request is split in halves; a single item is dead-lettered. */
static void
es_send_split(struct es_send *s, struct es_req *r)
{
    if (r->nitems == 1) {
        es_send_dead_letter(s, r->eb->b, es_send_item(r, 0), 413,
                            "request_entity_too_large",
                            "a single document is larger than the "
                            "cluster's http.max_content_length");
        es_send_req_done(s, r);
        return;
    }
    size_t half = r->nitems / 2;
    for (int part = 0; part < 2; part++) {
        size_t from = part ? half : 0;
        size_t n = part ? r->nitems - half : half;
        uint32_t *items = xmalloc(n * sizeof(*items));
        for (size_t k = 0; k < n; k++)
            items[k] = (uint32_t)es_send_item(r, from + k);
        struct es_req *sub = es_send_req_new(r->eb, items, n, r->attempt);
        es_send_enqueue(s, sub);
    }
    es_send_req_done(s, r);
}

/* A whole-request 4xx other than 413 and 429. */
static void
es_send_rejected(struct es_send *s, struct es_req *r, long status)
{
    struct es_host *h = &s->st->hosts[r->host];
    const char *body = r->resp.data ? r->resp.data : "";
    if (status == 401 || status == 403 || status == 404 || status == 405) {
        /* Configuration: wrong credentials or URL. Never drop for that. */
        if (es_send_may_warn(s))
            log_error(s->out->name,
                      "%s: HTTP %ld on _bulk (%.200s); check "
                      "hosts and credentials; retrying",
                      h->url, status, body);
        es_send_retry(s, r, (int)status, "rejected");
        return;
    }
    for (size_t k = 0; k < r->nitems; k++)
        es_send_dead_letter(s, r->eb->b, es_send_item(r, k), (int)status,
                            "request_rejected", body);
    es_send_req_done(s, r);
}

/* A transfer completed (or failed): decide what becomes of its items. */
static void
es_send_completed(struct es_send *s, struct es_req *r, CURLcode code)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    es_send_release(s, r);
    struct es_host *h = &s->st->hosts[r->host];
    if (code != CURLE_OK) {
        struct errbuf why;
        errbuf_set(&why, "%s: %s", h->url,
                   r->cerr[0] ? r->cerr : curl_easy_strerror(code));
        es_send_host_failed(s, h, why.msg);
        es_send_retry(s, r, 503, "connection failed");
        return;
    }
    es_send_host_ok(s, h);
    if (status >= 200 && status < 300) {
        es_send_items(s, r);
    } else if (status == 413) {
        es_send_split(s, r);
    } else if (status == 429 || status >= 500) {
        if (es_send_may_warn(s))
            log_warn(s->out->name,
                     "%s: HTTP %ld on _bulk; retrying with "
                     "backoff",
                     h->url, status);
        es_send_retry(s, r, (int)status, "cluster overloaded or unavailable");
    } else {
        es_send_rejected(s, r, status);
    }
}

/* Asks a host its version if it is not known; false when it is down. */
static bool
es_send_host_ready(struct es_send *s, size_t hi)
{
    struct es_host *h = &s->st->hosts[hi];
    if (h->known)
        return true;
    struct errbuf err;
    if (es_http_version(s->out, h, &err) < 0) {
        es_send_host_failed(s, h, err.msg);
        return false;
    }
    log_info(s->out->name, "%s: %s %s%s", h->url,
             es_version_dist_name(h->version.dist), h->version.number,
             es_version_needs_type(&h->version) ? " (sending _type: _doc)"
                                                : "");
    es_send_host_ok(s, h);
    return true;
}

/* Starts waiting requests that are due, while there is room in flight. */
static void
es_send_dispatch(struct es_send *s, int64_t *wake_ms)
{
    size_t max = (size_t)s->conf->max_inflight;
    struct es_req **pp = &s->wait_head;
    struct es_req *prev = NULL;
    while (*pp != NULL && s->inflight < max) {
        struct es_req *r = *pp;
        int64_t now = timeutil_mono_ms();
        if (r->not_before_ms > now) {
            if (r->not_before_ms < *wake_ms)
                *wake_ms = r->not_before_ms;
            prev = r;
            pp = &r->next;
            continue;
        }
        size_t hi = es_send_pick_host(s, now, wake_ms);
        if (hi == SIZE_MAX)
            return; /* every host is put aside */
        if (!es_send_host_ready(s, hi))
            continue; /* try another host (or wait) */
        *pp = r->next;
        if (s->wait_tail == r)
            s->wait_tail = prev;
        s->nwaiting--;
        es_send_start(s, r, hi);
    }
}

/* Takes new batches from the workers while there is room for them. */
static bool
es_send_take(struct es_send *s)
{
    size_t max = (size_t)s->conf->max_inflight;
    while (s->inflight + s->nwaiting < max) {
        void *item;
        int rc = queue_pop(s->out->queue, &item, 0);
        if (rc == -EPIPE)
            return false;
        if (rc < 0)
            break;
        struct es_batch *eb = xcalloc(1, sizeof(*eb));
        eb->b = item;
        es_send_enqueue(s, es_send_req_new(eb, NULL, eb->b->nitems, 0));
    }
    return true;
}

static void
es_send_init(struct es_send *s, struct output *out)
{
    memset(s, 0, sizeof(*s));
    s->out = out;
    s->st = out->state;
    s->conf = out->conf;
    s->multi = curl_multi_init();
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)s->conf->max_inflight);
    gzip_enc_init(&s->gz, (int)s->conf->compression_level);
    bulk_result_init(&s->result);
    ndjson_enc_init(&s->enc);
    buf_init(&s->line, 0);
    s->rng = (uint64_t)timeutil_wall_ns() | 1;
    atomic_store(&s->st->multi, s->multi);
}

static void
es_send_fini(struct es_send *s)
{
    atomic_store(&s->st->multi, NULL);
    curl_multi_cleanup(s->multi);
    gzip_enc_fini(&s->gz);
    bulk_result_fini(&s->result);
    ndjson_enc_fini(&s->enc);
    buf_fini(&s->line);
}

int
es_send_run(struct output *out)
{
    struct es_send s;
    es_send_init(&s, out);
    bool open = true;
    while (open || s.inflight > 0 || s.nwaiting > 0) {
        if (open)
            open = es_send_take(&s);
        int64_t now = timeutil_mono_ms();
        int64_t wake = now + ES_SEND_POLL_MS;
        es_send_dispatch(&s, &wake);
        int running;
        curl_multi_perform(s.multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s.multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct es_req *r;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
            es_send_completed(&s, r, msg->data.result);
        }
        es_send_dispatch(&s, &wake); /* what the completions made due */
        int64_t timeout = wake - timeutil_mono_ms();
        if (timeout < 0)
            timeout = 0;
        curl_multi_poll(s.multi, NULL, 0, (int)timeout, NULL);
    }
    es_send_fini(&s);
    return 0;
}
