/*
 * bench/sink - a cheap Elasticsearch-compatible bulk sink for the benchmarks.
 *
 * It does what a cluster must do with a bulk request to answer it honestly
 * (inflate the body, find every action, answer one item per action) and
 * nothing else, so that nearly all the CPU of a benchmark run is logship's.
 * Its own CPU time is in its stats, so every run shows that it is small.
 *
 *   GET|HEAD /               an Elasticsearch 8.x info body
 *   POST|PUT [/<index>]/_bulk[?anything]
 *                            NDJSON, plain or Content-Encoding gzip/deflate;
 *                            answered
 *                            {"errors":false,"items":[{"create":{"status":
 *                            201}},...]}: what filter_path=errors,items.*.
 *                            status,... gives for a clean batch
 *   GET /_sink/stats         counters as JSON (see sink_stats_json)
 *   POST /_sink/reset        zero the counters
 *   POST /_sink/exit         answer, then exit 0
 *
 * Actions are counted by scanning lines: each action line ({"create":..},
 * {"index":..}, {"update":..}, {"delete":..}) is followed by a source line,
 * except delete. A body that breaks this gets a 400 and is counted in
 * bad_requests. With --latency, each source line's first "lsbt=<ns>"
 * (bench/gen --rate puts its CLOCK_MONOTONIC write time there) gives the
 * delay from the write to the moment the sink read that document; the
 * delays go into a 1 ms histogram reported as p50/p90/p99/max.
 *
 * Bodies are read whole (they are bounded by the shipper's batch size) and
 * inflated with libdeflate in one call: on the benchmark machine it inflates
 * our NDJSON at ~1100 MB/s against zlib's ~400 MB/s, and the sink shares
 * the two cores with logship, so every sink cycle is one logship lacks.
 * A whole body also makes the scan a plain loop over lines.
 *
 * One thread, level-triggered epoll, keep-alive HTTP/1.1 on 127.0.0.1,
 * Content-Length bodies only (what libcurl sends for a buffer; chunked
 * bodies get a 411). Port 0 picks a free port; the port is printed on
 * stdout and written to --port-file. SIGINT/SIGTERM: stats on stderr, exit.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libdeflate.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SINK_READ_BYTES (256u << 10) /* per read() of request heads */
#define SINK_HEAD_MAX   (64u << 10)  /* request line + headers */
#define SINK_BODY_MAX   (1ull << 30) /* larger bodies get a 413 */
#define SINK_HIST_MS    60000u       /* latency histogram range */
#define SINK_MAX_EVENTS 64
#define SINK_LAT_MARKER "lsbt="

enum sink_op { SINK_CREATE, SINK_INDEX, SINK_UPDATE, SINK_DELETE };
static const char *const sink_op_names[] = {"create", "index", "update",
                                            "delete"};
static const char *const sink_op_items[] = {
    "{\"create\":{\"status\":201}}", "{\"index\":{\"status\":201}}",
    "{\"update\":{\"status\":200}}", "{\"delete\":{\"status\":200}}"};

enum sink_enc { SINK_PLAIN, SINK_GZIP, SINK_DEFLATE };

struct sink_bytes {
    char *data; /* owned */
    size_t len;
    size_t cap;
};

/* What the scan of one bulk body found. */
struct sink_scan {
    bool bad; /* the body broke the action/source alternation */
    uint64_t actions, docs;
    struct sink_bytes ops; /* one enum sink_op byte per action */
};

enum sink_state { SINK_HEAD, SINK_BODY, SINK_WRITE };

struct sink_conn {
    int fd;
    enum sink_state state;
    struct sink_bytes in;   /* request head bytes (and what follows) */
    struct sink_bytes body; /* the request body, read whole */
    struct sink_bytes out;  /* the response being written */
    size_t out_off;
    uint64_t body_len; /* Content-Length */
    enum sink_enc enc; /* Content-Encoding */
    bool close_after;  /* Connection: close, or a fatal request error */
    bool is_bulk;      /* the body is a bulk request (else discarded) */
    bool exit_after;   /* POST /_sink/exit */
    struct sink_scan scan;
    char method[8];
    char path[256];
};

struct sink_stats {
    uint64_t requests, bulk_requests, bad_requests, actions, docs;
    uint64_t compressed_bytes, uncompressed_bytes, response_bytes;
    uint64_t connections;
    int64_t first_bulk_ns, last_bulk_ns; /* CLOCK_REALTIME */
    uint64_t lat_count, lat_missing, lat_over, lat_max_us;
    uint32_t lat_hist[SINK_HIST_MS];
};

static struct sink_stats sink_stats;
static bool sink_latency; /* --latency */
static volatile sig_atomic_t sink_stop;
static struct libdeflate_decompressor *sink_dec; /* owned */
static struct sink_bytes sink_plain;             /* owned: the inflated body */

/* Aborts with a message: only for out-of-memory and setup failures. */
static void
sink_die(const char *what)
{
    fprintf(stderr, "sink: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Makes room for n more bytes in b. */
static void
sink_bytes_reserve(struct sink_bytes *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    b->data = realloc(b->data, cap);
    if (b->data == NULL)
        sink_die("realloc");
    b->cap = cap;
}

static void
sink_bytes_add(struct sink_bytes *b, const void *p, size_t n)
{
    if (n == 0)
        return; /* b->data may still be NULL */
    sink_bytes_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void
sink_bytes_str(struct sink_bytes *b, const char *s)
{
    sink_bytes_add(b, s, strlen(s));
}

/* Nanoseconds on a clock. */
static int64_t
sink_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the NDJSON scanner ------------------------------------------------ */

/* Reads the op of an action line; -1 when it is not one. */
static int
sink_scan_op(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i + 2 > n || p[i] != '{')
        return -1;
    i++;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] != '"')
        return -1;
    i++;
    for (int op = 0; op < 4; op++) {
        size_t len = strlen(sink_op_names[op]);
        if (i + len < n && memcmp(p + i, sink_op_names[op], len) == 0 &&
            p[i + len] == '"')
            return op;
    }
    return -1;
}

/* Records the delay of a source line from its lsbt= marker. */
static void
sink_scan_latency(const char *p, size_t n, int64_t now)
{
    const char *m = memmem(p, n, SINK_LAT_MARKER, 5);
    if (m == NULL) {
        sink_stats.lat_missing++;
        return;
    }
    int64_t t = 0;
    for (m += 5; m < p + n && *m >= '0' && *m <= '9'; m++)
        t = t * 10 + (*m - '0');
    int64_t d_us = (now - t) / 1000;
    if (d_us < 0)
        d_us = 0;
    sink_stats.lat_count++;
    if ((uint64_t)d_us > sink_stats.lat_max_us)
        sink_stats.lat_max_us = (uint64_t)d_us;
    if ((uint64_t)d_us / 1000 >= SINK_HIST_MS)
        sink_stats.lat_over++;
    else
        sink_stats.lat_hist[d_us / 1000]++;
}

/* Scans a whole NDJSON body: every action line is followed by a source
 * line, except delete; empty lines are skipped; the last newline may be
 * missing. */
static void
sink_scan(struct sink_scan *s, const char *p, size_t n)
{
    int64_t now = sink_latency ? sink_clock_ns(CLOCK_MONOTONIC) : 0;
    const char *end = p + n;
    bool want_source = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len == 0) {
            /* skipped */
        } else if (want_source) {
            want_source = false;
            s->docs++;
            if (sink_latency)
                sink_scan_latency(p, len, now);
        } else {
            int op = sink_scan_op(p, len);
            if (op < 0) {
                s->bad = true;
                return;
            }
            unsigned char c = (unsigned char)op;
            sink_bytes_add(&s->ops, &c, 1);
            s->actions++;
            want_source = op != SINK_DELETE;
        }
        p = nl ? nl + 1 : end;
    }
    if (want_source)
        s->bad = true;
}

/* Inflates a gzip (any number of members) or zlib body into sink_plain;
 * -EPROTO when it is corrupt. */
static int
sink_inflate(const unsigned char *in, size_t n, enum sink_enc enc)
{
    sink_plain.len = 0;
    if (enc == SINK_GZIP && n >= 18) { /* ISIZE: the last member's size */
        uint32_t isize;
        memcpy(&isize, in + n - 4, 4);
        sink_bytes_reserve(&sink_plain, le32toh(isize));
    }
    while (n > 0) {
        sink_bytes_reserve(&sink_plain, 4096);
        size_t in_used = 0, out_len = 0;
        char *out = sink_plain.data + sink_plain.len;
        size_t room = sink_plain.cap - sink_plain.len;
        enum libdeflate_result rc =
            enc == SINK_GZIP
                ? libdeflate_gzip_decompress_ex(sink_dec, in, n, out, room,
                                                &in_used, &out_len)
                : libdeflate_zlib_decompress_ex(sink_dec, in, n, out, room,
                                                &in_used, &out_len);
        if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
            sink_bytes_reserve(&sink_plain, sink_plain.cap); /* doubles */
            continue;
        }
        if (rc != LIBDEFLATE_SUCCESS)
            return -EPROTO;
        sink_plain.len += out_len;
        in += in_used;
        n -= in_used;
        if (enc != SINK_GZIP)
            break; /* a zlib stream has one member */
    }
    return 0;
}

/* ---- responses ---------------------------------------------------------- */

/* Queues a response with a JSON (or empty, for HEAD) body. */
static void
sink_respond(struct sink_conn *c, int status, const char *reason,
             const char *body, size_t len)
{
    char head[256];
    bool head_only = strcmp(c->method, "HEAD") == 0;
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "X-Elastic-Product: Elasticsearch\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     status, reason, len,
                     c->close_after ? "Connection: close\r\n" : "");
    c->out.len = 0;
    c->out_off = 0;
    sink_bytes_add(&c->out, head, (size_t)n);
    if (!head_only)
        sink_bytes_add(&c->out, body, len);
    c->state = SINK_WRITE;
}

static void
sink_respond_str(struct sink_conn *c, int status, const char *reason,
                 const char *body)
{
    sink_respond(c, status, reason, body, strlen(body));
}

/* The bulk response: one item per action, in order. */
static void
sink_respond_bulk(struct sink_conn *c)
{
    struct sink_scan *s = &c->scan;
    if (s->bad) {
        sink_stats.bad_requests++;
        sink_respond_str(c, 400, "Bad Request",
                         "{\"error\":{\"type\":\"illegal_argument_exception\","
                         "\"reason\":\"Malformed action/metadata line or "
                         "missing source\"},\"status\":400}");
        return;
    }
    struct sink_bytes body = {0};
    sink_bytes_reserve(&body, 32 + s->ops.len * 28);
    sink_bytes_str(&body, "{\"errors\":false,\"items\":[");
    for (size_t i = 0; i < s->ops.len; i++) {
        if (i > 0)
            body.data[body.len++] = ',';
        sink_bytes_str(&body, sink_op_items[(unsigned char)s->ops.data[i]]);
    }
    sink_bytes_str(&body, "]}");
    sink_stats.actions += s->actions;
    sink_stats.docs += s->docs;
    sink_stats.response_bytes += body.len;
    int64_t now = sink_clock_ns(CLOCK_REALTIME);
    if (sink_stats.first_bulk_ns == 0)
        sink_stats.first_bulk_ns = now;
    sink_stats.last_bulk_ns = now;
    sink_respond(c, 200, "OK", body.data, body.len);
    free(body.data);
}

/* Latency percentile q (0..1) in milliseconds from the histogram. */
static double
sink_percentile(double q)
{
    uint64_t total = sink_stats.lat_count;
    if (total == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)total);
    if (want >= total)
        want = total - 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < SINK_HIST_MS; i++) {
        seen += sink_stats.lat_hist[i];
        if (seen > want)
            return i + 0.5; /* the bucket's middle */
    }
    return (double)SINK_HIST_MS;
}

/* The counters as one JSON object. */
static void
sink_stats_json(struct sink_bytes *b)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char tmp[1024];
    const struct sink_stats *st = &sink_stats;
    snprintf(tmp, sizeof(tmp),
             "{\"requests\":%" PRIu64 ",\"bulk_requests\":%" PRIu64
             ",\"bad_requests\":%" PRIu64 ",\"actions\":%" PRIu64
             ",\"docs\":%" PRIu64 ",\"compressed_bytes\":%" PRIu64
             ",\"uncompressed_bytes\":%" PRIu64 ",\"response_bytes\":%" PRIu64
             ",\"connections\":%" PRIu64 ",\"first_bulk_unix_ns\":%" PRId64
             ",\"last_bulk_unix_ns\":%" PRId64
             ",\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"max_rss_kb\":%ld"
             ",\"latency_ms\":{\"count\":%" PRIu64 ",\"missing\":%" PRIu64
             ",\"over_range\":%" PRIu64
             ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f}}\n",
             st->requests, st->bulk_requests, st->bad_requests, st->actions,
             st->docs, st->compressed_bytes, st->uncompressed_bytes,
             st->response_bytes, st->connections, st->first_bulk_ns,
             st->last_bulk_ns,
             (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
             ru.ru_maxrss, st->lat_count, st->lat_missing, st->lat_over,
             sink_percentile(0.50), sink_percentile(0.90),
             sink_percentile(0.99), (double)st->lat_max_us / 1000.0);
    sink_bytes_str(b, tmp);
}

static const char sink_info_body[] =
    "{\"name\":\"bench-sink\",\"cluster_name\":\"bench\","
    "\"cluster_uuid\":\"YmVuY2gtc2luay0wMDAwMDA\",\"version\":{"
    "\"number\":\"8.15.0\",\"build_flavor\":\"default\",\"build_type\":"
    "\"tar\",\"build_hash\":\"1a77947f34deddb41af25e6f0ddb8e830159c179\","
    "\"build_date\":\"2024-08-05T10:05:34.233336849Z\",\"build_snapshot\":"
    "false,\"lucene_version\":\"9.11.1\",\"minimum_wire_compatibility_"
    "version\":\"7.17.0\",\"minimum_index_compatibility_version\":\"7.0.0\"},"
    "\"tagline\":\"You Know, for Search\"}\n";

/* Answers a request whose body has been read (or was empty). */
static void
sink_dispatch(struct sink_conn *c)
{
    const char *m = c->method;
    char *q = strchr(c->path, '?');
    if (q != NULL)
        *q = '\0';
    if (c->is_bulk) {
        sink_respond_bulk(c);
    } else if ((!strcmp(m, "GET") || !strcmp(m, "HEAD")) &&
               !strcmp(c->path, "/")) {
        sink_respond_str(c, 200, "OK", sink_info_body);
    } else if (!strcmp(m, "GET") && !strcmp(c->path, "/_sink/stats")) {
        struct sink_bytes b = {0};
        sink_stats_json(&b);
        sink_respond(c, 200, "OK", b.data, b.len);
        free(b.data);
    } else if (!strcmp(m, "POST") && !strcmp(c->path, "/_sink/reset")) {
        memset(&sink_stats, 0, sizeof(sink_stats));
        sink_respond_str(c, 200, "OK", "{\"acknowledged\":true}\n");
    } else if (!strcmp(m, "POST") && !strcmp(c->path, "/_sink/exit")) {
        c->exit_after = true;
        c->close_after = true;
        sink_respond_str(c, 200, "OK", "{\"acknowledged\":true}\n");
    } else {
        sink_respond_str(c, 404, "Not Found",
                         "{\"error\":{\"type\":\"resource_not_found_"
                         "exception\",\"reason\":\"bench sink: no such "
                         "endpoint\"},\"status\":404}");
    }
}

/* ---- request parsing ---------------------------------------------------- */

/* True when path (without its query) names a bulk endpoint. */
static bool
sink_is_bulk_path(const char *path)
{
    size_t n = strcspn(path, "?");
    return n >= 6 && memcmp(path + n - 6, "/_bulk", 6) == 0;
}

/* Reads one header line (without CRLF) into the request's fields. */
static int
sink_header(struct sink_conn *c, const char *h, size_t n)
{
    const char *colon = memchr(h, ':', n);
    if (colon == NULL)
        return -EPROTO;
    size_t klen = (size_t)(colon - h);
    const char *v = colon + 1;
    while (v < h + n && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t)(h + n - v);
    if (klen == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
        char *e;
        c->body_len = strtoull(v, &e, 10);
        if (e == v)
            return -EPROTO;
    } else if (klen == 16 && strncasecmp(h, "Content-Encoding", 16) == 0) {
        if (vlen >= 4 && strncasecmp(v, "gzip", 4) == 0)
            c->enc = SINK_GZIP;
        else if (vlen >= 7 && strncasecmp(v, "deflate", 7) == 0)
            c->enc = SINK_DEFLATE;
    } else if (klen == 10 && strncasecmp(h, "Connection", 10) == 0) {
        if (vlen >= 5 && strncasecmp(v, "close", 5) == 0)
            c->close_after = true;
    } else if (klen == 17 && strncasecmp(h, "Transfer-Encoding", 17) == 0) {
        return -ENOSYS;
    }
    return 0;
}

/* Parses the request head in c->in[0..hlen); 0, or an HTTP status. */
static int
sink_parse_head(struct sink_conn *c, size_t hlen)
{
    char *p = c->in.data, *end = p + hlen;
    char *eol = memchr(p, '\r', hlen);
    char line[512];
    if (eol == NULL || (size_t)(eol - p) >= sizeof(line))
        return 400;
    memcpy(line, p, (size_t)(eol - p));
    line[eol - p] = '\0';
    if (sscanf(line, "%7s %255s HTTP/1.%*c", c->method, c->path) != 2)
        return 400;
    c->body_len = 0;
    c->enc = SINK_PLAIN;
    c->close_after = memmem(p, (size_t)(eol - p), "HTTP/1.0", 8) != NULL;
    for (p = eol + 2; p < end;) {
        char *e = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (e == NULL)
            e = end;
        if (e > p) {
            int rc = sink_header(c, p, (size_t)(e - p));
            if (rc == -ENOSYS)
                return 411;
            if (rc < 0)
                return 400;
        }
        p = e + 2;
    }
    c->is_bulk = (!strcmp(c->method, "POST") || !strcmp(c->method, "PUT")) &&
                 sink_is_bulk_path(c->path);
    return 0;
}

/* ---- body --------------------------------------------------------------- */

/* Inflates and scans a complete bulk body into c->scan. */
static void
sink_bulk_body(struct sink_conn *c)
{
    struct sink_scan *s = &c->scan;
    s->bad = false;
    s->actions = s->docs = 0;
    s->ops.len = 0;
    sink_stats.bulk_requests++;
    sink_stats.compressed_bytes += c->body.len;
    const char *plain = c->body.data;
    size_t len = c->body.len;
    if (c->enc != SINK_PLAIN) {
        if (sink_inflate((const unsigned char *)c->body.data, c->body.len,
                         c->enc) < 0) {
            s->bad = true;
            return;
        }
        plain = sink_plain.data;
        len = sink_plain.len;
    }
    sink_stats.uncompressed_bytes += len;
    sink_scan(s, plain, len);
}

/* Starts a request from a complete head (answering a bad one at once). */
static void
sink_start_request(struct sink_conn *c, size_t hlen)
{
    int status = sink_parse_head(c, hlen);
    memmove(c->in.data, c->in.data + hlen, c->in.len - hlen);
    c->in.len -= hlen;
    if (strncmp(c->path, "/_sink/", 7) != 0)
        sink_stats.requests++; /* the client's, not the harness's */
    if (status == 0 && c->body_len > SINK_BODY_MAX)
        status = 413;
    if (status != 0) {
        c->close_after = true;
        sink_respond_str(c, status,
                         status == 411   ? "Length Required"
                         : status == 413 ? "Payload Too Large"
                                         : "Bad Request",
                         "{\"error\":\"bad request (no chunked bodies, at "
                         "most 1 GiB)\"}");
        return;
    }
    /* Bytes that came with the head start the body. */
    size_t n = c->in.len < c->body_len ? c->in.len : (size_t)c->body_len;
    c->body.len = 0;
    sink_bytes_reserve(&c->body, (size_t)c->body_len);
    sink_bytes_add(&c->body, c->in.data, n);
    memmove(c->in.data, c->in.data + n, c->in.len - n);
    c->in.len -= n;
    c->state = SINK_BODY;
}

/* Advances c over the input it has; stops when a response is pending. */
static void
sink_process(struct sink_conn *c)
{
    while (c->state != SINK_WRITE) {
        if (c->state == SINK_HEAD) {
            char *e = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
            if (e == NULL) {
                if (c->in.len > SINK_HEAD_MAX) {
                    c->close_after = true;
                    sink_respond_str(c, 431,
                                     "Request Header Fields Too "
                                     "Large",
                                     "{\"status\":431}");
                }
                return;
            }
            sink_start_request(c, (size_t)(e + 4 - c->in.data));
        } else if (c->body.len == c->body_len) {
            if (c->is_bulk)
                sink_bulk_body(c);
            sink_dispatch(c);
        } else {
            return;
        }
    }
}

/* ---- connections and the loop ------------------------------------------ */

static void
sink_conn_close(int ep, struct sink_conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.data);
    free(c->body.data);
    free(c->out.data);
    free(c->scan.ops.data);
    free(c);
}

/* Writes what it can of the response; false when the connection is done. */
static bool
sink_conn_write(int ep, struct sink_conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t n =
            write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return true;
        }
        if (n < 0)
            return false;
        c->out_off += (size_t)n;
    }
    if (c->exit_after)
        sink_stop = 1;
    if (c->close_after)
        return false;
    c->state = SINK_HEAD;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    return true;
}

/* Answers what the buffered input allows; false when c must be closed. */
static bool
sink_conn_pump(int ep, struct sink_conn *c)
{
    sink_process(c);
    while (c->state == SINK_WRITE) {
        if (!sink_conn_write(ep, c))
            return false;
        if (c->state == SINK_WRITE)
            return true; /* waits for EPOLLOUT */
        sink_process(c); /* a pipelined request may be buffered */
    }
    return true;
}

/* Handles readiness on a connection; false when it must be closed. */
static bool
sink_conn_event(int ep, struct sink_conn *c, uint32_t events)
{
    if (c->state == SINK_WRITE) {
        if (!sink_conn_write(ep, c))
            return false;
        return c->state == SINK_WRITE || sink_conn_pump(ep, c);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return true;
    /* A body is read straight into its buffer, never past its end. */
    struct sink_bytes *b = c->state == SINK_BODY ? &c->body : &c->in;
    size_t want = c->state == SINK_BODY ? (size_t)c->body_len - c->body.len
                                        : SINK_READ_BYTES;
    sink_bytes_reserve(b, want);
    ssize_t n = read(c->fd, b->data + b->len, want);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0)
        return false;
    b->len += (size_t)n;
    return sink_conn_pump(ep, c);
}

static void
sink_accept(int ep, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct sink_conn *c = calloc(1, sizeof(*c));
        if (c == NULL)
            sink_die("calloc");
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            sink_die("epoll_ctl");
        sink_stats.connections++;
    }
}

/* Binds 127.0.0.1:port; returns the listening socket and the real port. */
static int
sink_listen(int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        sink_die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
        sink_die("bind/listen 127.0.0.1");
    *bound = ntohs(a.sin_port);
    return fd;
}

static void
sink_on_signal(int sig)
{
    (void)sig;
    sink_stop = 1;
}

static const char sink_usage[] =
    "usage: sink [--port N] [--port-file FILE] [--latency]\n"
    "\n"
    "Elasticsearch-compatible bulk sink on 127.0.0.1 for benchmarks. Prints\n"
    "the port (0: any free one) on stdout. GET /_sink/stats: counters;\n"
    "POST /_sink/reset; POST /_sink/exit. --latency: read lsbt=<ns> markers\n"
    "(bench/gen --rate) from documents into a delay histogram.\n";

/* Parses argv; exits on --help or a usage error. */
static void
sink_parse_args(int argc, char **argv, int *port, const char **port_file)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"port-file", required_argument, NULL, 'f'},
        {"latency", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "p:f:lh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            *port = atoi(optarg);
            break;
        case 'f':
            *port_file = optarg;
            break;
        case 'l':
            sink_latency = true;
            break;
        case 'h':
            fputs(sink_usage, stdout);
            exit(0);
        default:
            fputs(sink_usage, stderr);
            exit(2);
        }
    }
    if (optind != argc || *port < 0 || *port > 65535) {
        fputs(sink_usage, stderr);
        exit(2);
    }
}

/* Announces the port on stdout and in port_file (written, then renamed). */
static void
sink_announce(int port, const char *port_file)
{
    printf("%d\n", port);
    fflush(stdout);
    if (port_file == NULL)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, port_file) < 0)
        sink_die(port_file);
}

int
main(int argc, char **argv)
{
    int port = 0;
    const char *port_file = NULL;
    sink_parse_args(argc, argv, &port, &port_file);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = sink_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sink_dec = libdeflate_alloc_decompressor();
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sink_dec == NULL || ep < 0)
        sink_die("setup");
    int lfd = sink_listen(port, &port);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    sink_announce(port, port_file);
    struct epoll_event evs[SINK_MAX_EVENTS];
    while (!sink_stop) {
        int n = epoll_wait(ep, evs, SINK_MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct sink_conn *c = evs[i].data.ptr;
            if (c == NULL)
                sink_accept(ep, lfd);
            else if (!sink_conn_event(ep, c, evs[i].events))
                sink_conn_close(ep, c);
        }
    }
    struct sink_bytes b = {0};
    sink_stats_json(&b);
    fwrite(b.data, 1, b.len, stderr);
    free(b.data);
    return 0;
}
