/*
 * libcurl easy handles for the Elasticsearch output: URL, timeouts, auth
 * and TLS from the conf; the synchronous requests (GET / for the version,
 * `logship setup`); and Elastic Cloud ids. Credentials are handed to curl
 * and never logged.
 */
#include "config.h"

#include "es_int.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ES_HTTP_MAX_RESPONSE_BYTES (64u << 20)

static size_t
es_http_write(char *data, size_t size, size_t n, void *arg)
{
    struct buf *resp = arg;
    if (buf_append(resp, data, size * n) < 0)
        return 0; /* too big: curl fails the transfer */
    return size * n;
}

CURL *
es_http_easy(const struct output *out, const char *url, char *errbuf_curl)
{
    const struct es_conf *conf = out->conf;
    const struct es_state *st = out->state;
    CURL *e = curl_easy_init();
    if (e == NULL)
        abort(); /* only out of memory */
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf_curl);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)conf->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)conf->timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "logship/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, es_http_write);
    if (conf->username != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, conf->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, st->password ? st->password : "");
    }
    if (conf->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, conf->ca_file);
    if (conf->ca_path != NULL)
        curl_easy_setopt(e, CURLOPT_CAPATH, conf->ca_path);
    if (conf->cert_file != NULL)
        curl_easy_setopt(e, CURLOPT_SSLCERT, conf->cert_file);
    if (conf->key_file != NULL)
        curl_easy_setopt(e, CURLOPT_SSLKEY, conf->key_file);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, conf->verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, conf->verify ? 2L : 0L);
    return e;
}

int
es_http_request(const struct output *out, const char *method, const char *url,
                const char *body, long *status, struct buf *resp,
                struct errbuf *err)
{
    const struct es_state *st = out->state;
    char cerr[CURL_ERROR_SIZE] = "";
    CURL *e = es_http_easy(out, url, cerr);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
                                                   "application/json");
    h = curl_slist_append(h, "Expect:");
    if (st->auth_header != NULL)
        h = curl_slist_append(h, st->auth_header);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
    if (body != NULL)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    else if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(e);
    *status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    if (rc != CURLE_OK)
        return errbuf_set(err, "%s: %s", url,
                          cerr[0] ? cerr : curl_easy_strerror(rc)),
               -EIO;
    return 0;
}

int
es_http_version(const struct output *out, struct es_host *host,
                struct errbuf *err)
{
    struct buf resp;
    buf_init(&resp, ES_HTTP_MAX_RESPONSE_BYTES);
    long status;
    char *url = xasprintf("%s/", host->url);
    int rc = es_http_request(out, "GET", url, NULL, &status, &resp, err);
    if (rc == 0 && status != 200) {
        rc = errbuf_set(
            err, "%s: GET / answered HTTP %ld%s", host->url, status,
            status == 401 || status == 403 ? " (check the credentials)" : "");
    } else if (rc == 0) {
        struct errbuf perr;
        rc = es_version_parse(resp.data ? resp.data : "", resp.len,
                              &host->version, &perr);
        if (rc < 0)
            errbuf_set(err, "%s: %s", host->url, perr.msg);
        else
            host->known = true;
    }
    free(url);
    buf_fini(&resp);
    return rc;
}

/* Decodes standard base64 (padding optional); returns the length or -1. */
static long
es_http_unbase64(const char *in, char *out)
{
    long n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *in && *in != '='; in++) {
        const char *tab =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = strchr(tab, *in);
        if (p == NULL)
            return -1;
        acc = (acc << 6) | (uint32_t)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    return n;
}

char *
es_http_cloud_url(const char *cloud_id, struct errbuf *err)
{
    const char *colon = strchr(cloud_id, ':');
    const char *b64 = colon ? colon + 1 : cloud_id;
    char *dec = xmalloc(strlen(b64) + 1);
    long n = es_http_unbase64(b64, dec);
    char *dollar = n > 0 ? strchr(dec, '$') : NULL;
    if (dollar == NULL || dollar == dec || dollar[1] == '\0' ||
        dollar[1] == '$') {
        free(dec);
        errbuf_set(err, "cloud_id: not an Elastic Cloud id (name:base64 of "
                        "host$es-uuid$kibana-uuid)");
        return NULL;
    }
    *dollar = '\0';
    char *es = dollar + 1;
    char *end = strchr(es, '$');
    if (end != NULL)
        *end = '\0';
    char *port = strchr(dec, ':');
    char *url;
    if (port != NULL) {
        *port = '\0';
        url = xasprintf("https://%s.%s:%s", es, dec, port + 1);
    } else {
        url = xasprintf("https://%s.%s", es, dec);
    }
    free(dec);
    return url;
}
