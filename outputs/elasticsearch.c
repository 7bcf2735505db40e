/*
 * The Elasticsearch / OpenSearch output: options, open/close, and the
 * hooks workers call per event (the bulk action line, with the index name
 * from the event's time and fields and a deterministic _id) and per batch
 * (gzip). Sending happens on the output thread (es_send.c).
 */
#include "config.h"

#include "outputs.h"

#include "docid.h"
#include "es_int.h"
#include "gzip.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const es_compression_names[] = {"gzip", "none", NULL};

#define ES_OPT(n, t, d, field, h)                                              \
    {                                                                          \
        .name = (n), .type = (t), .def = (d),                                  \
        .offset = offsetof(struct es_conf, field), .help = (h)                 \
    }

static const struct opt es_options[] = {
    OUTPUT_COMMON_OPTIONS(struct es_conf, "1s"),
    ES_OPT("hosts", OPT_STRLIST, "['http://localhost:9200']", hosts,
           "URLs of the cluster's nodes; requests go round-robin, a failing "
           "node is put aside with backoff"),
    ES_OPT("cloud_id", OPT_STRING, NULL, cloud_id,
           "Elastic Cloud id (replaces hosts)"),
    ES_OPT("index", OPT_STRING, "logs-%Y.%m.%d", index,
           "index name pattern: %Y %m %d %H %j %G %V of the event's "
           "@timestamp (UTC) and %{field} values"),
    ES_OPT("data_stream", OPT_STRING, NULL, data_stream,
           "write to this data stream (e.g. logs-nginx.access-default) "
           "instead of index"),
    ES_OPT("pipeline", OPT_STRING, NULL, pipeline, "ingest pipeline"),
    ES_OPT("document_id", OPT_BOOL, "true", document_id,
           "deterministic _id from the file identity and offset, sent with "
           "create: a replay gets 409 (counted as duplicates)"),
    {.name = "compression",
     .type = OPT_ENUM,
     .def = "gzip",
     .names = es_compression_names,
     .offset = offsetof(struct es_conf, compression),
     .help = "request body compression: gzip or none"},
    {.name = "compression_level",
     .type = OPT_INT,
     .def = "1",
     .min = 0,
     .max = 9,
     .offset = offsetof(struct es_conf, compression_level),
     .help = "gzip level, 1 (fastest) to 9"},
    {.name = "max_inflight",
     .type = OPT_INT,
     .def = "2",
     .min = 1,
     .max = 64,
     .offset = offsetof(struct es_conf, max_inflight),
     .help = "bulk requests in flight at once"},
    ES_OPT("timeout", OPT_DURATION, "60s", timeout_ms,
           "a bulk request taking longer is retried"),
    ES_OPT("connect_timeout", OPT_DURATION, "10s", connect_timeout_ms,
           "time to connect to a node"),
    ES_OPT("backoff_initial", OPT_DURATION, "250ms", backoff_initial_ms,
           "first retry delay (exponential with full jitter)"),
    ES_OPT("backoff_max", OPT_DURATION, "60s", backoff_max_ms,
           "longest retry delay"),
    {.name = "max_retries",
     .type = OPT_INT,
     .def = "-1",
     .min = -1,
     .max = 1000000,
     .offset = offsetof(struct es_conf, max_retries),
     .help = "retries of an event before it is dead-lettered (-1: forever)"},
    ES_OPT("username", OPT_STRING, NULL, username, "basic auth user"),
    {.name = "password",
     .type = OPT_STRING,
     .flags = OPT_SECRET,
     .offset = offsetof(struct es_conf, password),
     .help = "basic auth password (use ${VAR} or password_file)"},
    ES_OPT("password_file", OPT_STRING, NULL, password_file,
           "file holding the password"),
    {.name = "api_key",
     .type = OPT_STRING,
     .flags = OPT_SECRET,
     .offset = offsetof(struct es_conf, api_key),
     .help = "API key, sent as Authorization: ApiKey (base64 id:key, or "
             "id:key)"},
    ES_OPT("api_key_file", OPT_STRING, NULL, api_key_file,
           "file holding the API key"),
    ES_OPT("ca_file", OPT_STRING, NULL, ca_file, "CA certificates (PEM)"),
    ES_OPT("ca_path", OPT_STRING, NULL, ca_path,
           "directory of CA certificates"),
    ES_OPT("cert_file", OPT_STRING, NULL, cert_file, "client certificate"),
    ES_OPT("key_file", OPT_STRING, NULL, key_file, "client key"),
    ES_OPT("verify", OPT_BOOL, "true", verify,
           "verify the server's certificate and name (false logs a warning)"),
    ES_OPT("template_name", OPT_STRING, "logship", template_name,
           "logship setup: name of the index template"),
    ES_OPT("policy", OPT_STRING, NULL, policy,
           "logship setup: ILM (Elasticsearch) or ISM (OpenSearch) policy "
           "to create and attach"),
    {.name = "shards",
     .type = OPT_INT,
     .def = "1",
     .min = 1,
     .max = 1024,
     .offset = offsetof(struct es_conf, shards),
     .help = "logship setup: index.number_of_shards"},
    {.name = "replicas",
     .type = OPT_INT,
     .def = "-1",
     .min = -1,
     .max = 64,
     .offset = offsetof(struct es_conf, replicas),
     .help = "logship setup: index.number_of_replicas (-1: the cluster's "
             "default)"},
    {.name = "delete_after_days",
     .type = OPT_INT,
     .def = "0",
     .min = 0,
     .max = 36500,
     .offset = offsetof(struct es_conf, delete_after_days),
     .help = "logship setup: with a policy, delete indices this old (0: "
             "never)"},
    {0},
};

/* The parts of an action line around the index name and the _id. */
static const char es_head_create[] = "{\"create\":{\"_index\":\"";
static const char es_head_index[] = "{\"index\":{\"_index\":\"";
static const char es_id_key[] = "\",\"_id\":\"";
static const char es_line_end[] = "\"}}\n";

/* Per-worker state. */
struct es_worker {
    struct gzip_enc gz;
    struct es_index_cache cache;
    const char *host; /* borrowed: out->hostname, or "" */
    size_t host_len;
    bool have_prefix;           /* prefix holds the last identity's hash */
    struct docid_prefix prefix; /* keyed by the identity's value */
};

static int
es_check(const void *vconf, struct errbuf *err)
{
    const struct es_conf *conf = vconf;
    if (conf->data_stream != NULL) {
        struct es_index *ix = es_index_compile(conf->data_stream, err);
        if (ix == NULL)
            return -EINVAL;
        bool dynamic = es_index_static(ix) == NULL;
        es_index_destroy(ix);
        if (dynamic)
            return errbuf_set(err, "data_stream: a data stream name has no "
                                   "%% directives");
    } else {
        struct es_index *ix = es_index_compile(conf->index, err);
        if (ix == NULL)
            return -EINVAL;
        es_index_destroy(ix);
    }
    if (conf->cloud_id != NULL) {
        char *url = es_http_cloud_url(conf->cloud_id, err);
        if (url == NULL)
            return -EINVAL;
        free(url);
    }
    if (conf->password && conf->password_file)
        return errbuf_set(err, "give password or password_file, not both");
    if (conf->api_key && conf->api_key_file)
        return errbuf_set(err, "give api_key or api_key_file, not both");
    if ((conf->api_key || conf->api_key_file) &&
        (conf->username || conf->password || conf->password_file))
        return errbuf_set(err, "give basic auth or an API key, not both");
    return 0;
}

/* Reads a secret from a file, without its trailing newline. */
static char *
es_read_secret(const char *path, struct errbuf *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        char ebuf[128];
        errbuf_set(err, "%s: %s", path,
                   log_strerror(errno, ebuf, sizeof(ebuf)));
        return NULL;
    }
    char line[4096];
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (got == NULL) {
        errbuf_set(err, "%s: empty", path);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return xstrdup(line);
}

/* base64 of s (for "id:key" API keys). */
static char *
es_base64(const char *s)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    char *w = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        *w++ = tab[(v >> 18) & 63];
        *w++ = tab[(v >> 12) & 63];
        *w++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *w++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *w = '\0';
    return out;
}

static int
es_open_auth(struct es_state *st, const struct es_conf *conf,
             struct errbuf *err)
{
    if (conf->password_file) {
        st->password = es_read_secret(conf->password_file, err);
        if (st->password == NULL)
            return -EINVAL;
    } else if (conf->password) {
        st->password = xstrdup(conf->password);
    }
    char *key = NULL;
    if (conf->api_key_file) {
        key = es_read_secret(conf->api_key_file, err);
        if (key == NULL)
            return -EINVAL;
    } else if (conf->api_key) {
        key = xstrdup(conf->api_key);
    }
    if (key != NULL) {
        char *enc = strchr(key, ':') ? es_base64(key) : xstrdup(key);
        st->auth_header = xasprintf("Authorization: ApiKey %s", enc);
        free(enc);
        free(key);
    }
    return 0;
}

static int
es_open(struct output *out, struct errbuf *err)
{
    const struct es_conf *conf = out->conf;
    if (es_check(conf, err) < 0)
        return -EINVAL;
    struct es_state *st = xcalloc(1, sizeof(*st));
    out->state = st;
    st->out = out;
    st->index = es_index_compile(
        conf->data_stream ? conf->data_stream : conf->index, err);
    if (es_open_auth(st, conf, err) < 0)
        return -EINVAL;
    if (conf->cloud_id != NULL) {
        st->nhosts = 1;
        st->hosts = xcalloc(1, sizeof(*st->hosts));
        st->hosts[0].url = es_http_cloud_url(conf->cloud_id, err);
    } else {
        st->nhosts = conf->hosts.count;
        st->hosts = xcalloc(st->nhosts + 1, sizeof(*st->hosts));
        for (size_t i = 0; i < st->nhosts; i++) {
            char *u = xstrdup(conf->hosts.items[i]);
            size_t n = strlen(u);
            while (n > 0 && u[n - 1] == '/')
                u[--n] = '\0';
            st->hosts[i].url = u;
        }
    }
    if (!conf->verify)
        log_warn(out->name,
                 "verify: false: server certificates are not "
                 "checked; anyone on the path can read and change the data");
    return 0;
}

static void
es_close(struct output *out)
{
    struct es_state *st = out->state;
    if (st == NULL)
        return;
    es_index_destroy(st->index);
    for (size_t i = 0; i < st->nhosts; i++)
        free(st->hosts[i].url);
    free(st->hosts);
    free(st->auth_header);
    free(st->password);
    free(st);
    out->state = NULL;
}

static void *
es_worker_new(const struct output *out)
{
    const struct es_conf *conf = out->conf;
    struct es_worker *w = xcalloc(1, sizeof(*w));
    gzip_enc_init(&w->gz, (int)conf->compression_level);
    es_index_cache_init(&w->cache);
    w->host = out->hostname ? out->hostname : "";
    w->host_len = strlen(w->host);
    return w;
}

static void
es_worker_free(void *wstate)
{
    struct es_worker *w = wstate;
    gzip_enc_fini(&w->gz);
    free(w);
}

/*
 * Writes the _id of ev (DOCID_LEN characters and a NUL) to out. The host
 * and identity part of the hash is kept per worker and reused while events
 * come from the same identity; it is keyed by the identity's value, not
 * its address, so a source freed and another allocated in its place
 * cannot inherit its ids.
 */
static void
es_docid(struct es_worker *w, const struct event *ev, char *out)
{
    if (!w->have_prefix || !docid_prefix_matches(&w->prefix, ev->id)) {
        docid_prefix_init(&w->prefix, w->host, w->host_len, ev->id);
        w->have_prefix = true;
    }
    docid_prefix_make(&w->prefix, ev->offset, out);
}

/*
 * {"create":{"_index":"<index>","_id":"<id>"}} and a newline: one reserve
 * of the line's exact length, then unchecked writes. es_send.c inserts
 * "_type" for Elasticsearch 6 after the first inner '{', so that shape
 * must stay.
 */
static int
es_encode_action(const struct output *out, void *wstate, const struct event *ev,
                 struct buf *body)
{
    const struct es_conf *conf = out->conf;
    const struct es_state *st = out->state;
    struct es_worker *w = wstate;
    bool create = conf->document_id || conf->data_stream != NULL;
    bool with_id = conf->document_id && ev->id != NULL;
    const char *head = create ? es_head_create : es_head_index;
    size_t head_len =
        create ? sizeof(es_head_create) - 1 : sizeof(es_head_index) - 1;
    size_t rest = (with_id ? sizeof(es_id_key) - 1 + DOCID_LEN : 0) +
                  sizeof(es_line_end) - 1;
    size_t name_len = 0;
    const char *name =
        es_index_name(st->index, &w->cache, ev->time_ns, &name_len);
    if (name != NULL) {
        if (buf_reserve(body, head_len + name_len + rest) < 0)
            return -E2BIG;
        buf_put_bytes_unchecked(body, head, head_len);
        buf_put_bytes_unchecked(body, name, name_len);
    } else { /* %{field} parts: the name's length is known once written */
        int rc = buf_append(body, head, head_len);
        if (rc == 0)
            rc = es_index_expand(st->index, &w->cache, ev, body);
        if (rc == 0)
            rc = buf_reserve(body, rest);
        if (rc < 0)
            return rc;
    }
    if (with_id) {
        buf_put_bytes_unchecked(body, es_id_key, sizeof(es_id_key) - 1);
        /* The id's NUL lands where the line's end goes next. */
        es_docid(w, ev, body->data + body->len);
        body->len += DOCID_LEN;
    }
    buf_put_bytes_unchecked(body, es_line_end, sizeof(es_line_end) - 1);
    body->data[body->len] = '\0'; /* buf_reserve keeps room for it */
    return 0;
}

static int
es_prepare(const struct output *out, void *wstate, struct batch *b)
{
    const struct es_conf *conf = out->conf;
    struct es_worker *w = wstate;
    if (conf->compression != ES_COMPRESSION_GZIP)
        return 0;
    return gzip_compress(&w->gz, b->body.data, b->body.len, &b->gz);
}

const struct output_type output_elasticsearch = {
    .name = "elasticsearch",
    .options = es_options,
    .conf_size = sizeof(struct es_conf),
    .check = es_check,
    .open = es_open,
    .worker_new = es_worker_new,
    .worker_free = es_worker_free,
    .encode_action = es_encode_action,
    .prepare = es_prepare,
    .run = es_send_run,
    .setup = es_setup_run,
    .wakeup = es_send_wakeup,
    .close = es_close,
};
