/*
 * Internals shared by the Elasticsearch output's files: the bound conf,
 * the state the output thread owns, and the functions between them.
 * elasticsearch.c: options, open/close, worker hooks (action lines, gzip).
 * es_send.c: the output thread (libcurl multi, retries, outcomes).
 * es_http.c: easy handles (URL, headers, auth, TLS) and cloud ids.
 */
#ifndef LOGSHIP_ES_INT_H
#define LOGSHIP_ES_INT_H

#include "es_index.h"
#include "es_version.h"
#include "output.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum es_compression { ES_COMPRESSION_GZIP, ES_COMPRESSION_NONE };

struct es_conf {
    struct output_common common;
    struct strlist hosts;
    char *cloud_id;    /* owned */
    char *index;       /* owned: index name pattern */
    char *data_stream; /* owned: data stream name (create only) */
    char *pipeline;    /* owned: ingest pipeline */
    bool document_id;  /* deterministic _id + create */
    int compression;   /* enum es_compression */
    int64_t compression_level;
    int64_t max_inflight;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    int64_t backoff_initial_ms;
    int64_t backoff_max_ms;
    int64_t max_retries; /* -1: forever */
    char *username;      /* owned */
    char *password;      /* owned, secret */
    char *password_file; /* owned */
    char *api_key;       /* owned, secret: "id:key" or base64 */
    char *api_key_file;  /* owned */
    char *ca_file;       /* owned */
    char *ca_path;       /* owned */
    char *cert_file;     /* owned */
    char *key_file;      /* owned */
    bool verify;
    /* logship setup */
    char *template_name; /* owned */
    char *policy;        /* owned: ILM / ISM policy name; NULL: none */
    int64_t shards;
    int64_t replicas;
    int64_t delete_after_days;
};

struct es_host {
    char *url;             /* owned: "https://host:9200", no trailing slash */
    int64_t down_until_ms; /* monotonic; 0: usable */
    int64_t backoff_ms;
    bool known; /* version read */
    bool down_logged;
    struct es_version version;
};

struct es_state {
    struct es_index *index; /* owned: compiled index pattern */
    struct es_host *hosts;  /* owned */
    size_t nhosts;
    size_t next_host;
    char *auth_header;        /* owned: "Authorization: ApiKey ..." or NULL */
    char *password;           /* owned: from password or password_file */
    const struct output *out; /* borrowed */
    _Atomic(CURLM *) multi;   /* borrowed: the output thread's, for wakeups */
};

/* `logship setup` (es_setup_run.c): 0, or -errno after printing why. */
int es_setup_run(struct output *out, bool dry_run);
/* Output thread main loop (es_send.c). */
int es_send_run(struct output *out);
/* Wakes es_send_run from another thread. */
void es_send_wakeup(struct output *out);

/* Prepares an easy handle for url + path with the conf's auth and TLS. */
CURL *es_http_easy(const struct output *out, const char *url,
                   char *errbuf_curl);
/* Decodes an Elastic Cloud id into an https URL; NULL and err if bad. */
char *es_http_cloud_url(const char *cloud_id, struct errbuf *err);
/* GET / on a host: fills host->version. 0 or -errno (err filled). */
int es_http_version(const struct output *out, struct es_host *host,
                    struct errbuf *err);
/*
 * A synchronous request (logship setup): method, url+path, body or NULL.
 * Fills *status and the response into resp. 0 or -errno (err filled).
 */
int es_http_request(const struct output *out, const char *method,
                    const char *url, const char *body, long *status,
                    struct buf *resp, struct errbuf *err);

#endif
