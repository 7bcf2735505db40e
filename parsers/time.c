/*
 * The `time` stage: reads a field (or the message), tries each format in
 * order with timefmt, and sets @timestamp (ev->time_ns) or writes an ISO
 * 8601 UTC string into another field. Formats and the zone are compiled
 * and loaded once in init and shared read-only by every worker; apply
 * allocates only from the event's scratch. Each worker remembers its last
 * value and result: busy logs repeat the same second line after line.
 */
#include "config.h"

#include "stage.h"
#include "timefmt.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TIME_TARGET_TIMESTAMP "@timestamp"
#define TIME_CACHE_MAX_BYTES  64 /* longer values are not cached */

struct time_conf {
    char *field; /* owned */
    struct strlist formats;
    char *timezone; /* owned */
    char *target;   /* owned */
    bool remove_field;
};

struct time_state {
    struct timefmt **formats; /* owned: one per conf formats item */
    size_t count;
    struct timefmt_zone *zone; /* owned */
    struct span field;         /* borrowed: the conf's field */
    struct span target;        /* borrowed: the conf's target */
    bool to_timestamp;         /* target is @timestamp */
    size_t pure_count; /* formats [0, pure_count) ignore now: cacheable */
};

/*
 * Per-worker: the last value that parsed with a cacheable format. The
 * result is exact: formats before index failed on these very bytes, and
 * none of formats 0..index depends on anything but the bytes and the zone.
 */
struct time_worker {
    size_t len; /* of key; 0 when empty */
    size_t index;
    int64_t ns;
    char key[TIME_CACHE_MAX_BYTES];
};

static const struct opt time_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "timestamp",
     .offset = offsetof(struct time_conf, field),
     .help = "field holding the time (\"message\" reads the line)"},
    {.name = "formats",
     .type = OPT_STRLIST,
     .offset = offsetof(struct time_conf, formats),
     .flags = OPT_REQUIRED,
     .help = "formats tried in order: strftime-like (\"%d/%b/%Y:%H:%M:%S "
             "%z\"), ISO8601, UNIX, UNIX_MS, UNIX_US, UNIX_NS or SYSLOG"},
    {.name = "timezone",
     .type = OPT_STRING,
     .offset = offsetof(struct time_conf, timezone),
     .help = "zone of times without an offset: local (this machine's: $TZ, "
             "else /etc/localtime, else UTC; what Logstash and Filebeat "
             "assume), UTC, +02:00 or an IANA name (Europe/Paris). Default: "
             "the input's `timezone`, else local"},
    {.name = "target",
     .type = OPT_STRING,
     .def = TIME_TARGET_TIMESTAMP,
     .offset = offsetof(struct time_conf, target),
     .help = "@timestamp, or a field that gets YYYY-MM-DDTHH:MM:SS.mmmZ"},
    {.name = "remove_field",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct time_conf, remove_field),
     .help = "remove the source field after a successful parse"},
    {.name = NULL},
};

/* Frees the state made by time_init (also a partial one). */
static void
time_state_destroy(struct time_state *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++)
        timefmt_destroy(s->formats[i]);
    free(s->formats);
    timefmt_zone_destroy(s->zone);
    free(s);
}

/* Loads the zone and compiles every format; 0 or -EINVAL with err set. */
static int
time_init(struct stage *st, struct errbuf *err)
{
    const struct time_conf *c = st->conf;
    struct errbuf why;

    if (c->formats.count == 0)
        return errbuf_set(err, "formats: at least one format is needed");
    if (c->field == NULL || c->field[0] == '\0')
        return errbuf_set(err, "field: must not be empty");
    if (c->target == NULL || c->target[0] == '\0')
        return errbuf_set(err, "target: must not be empty");
    struct time_state *s = xcalloc(1, sizeof(*s));
    s->field = span_str(c->field);
    s->target = span_str(c->target);
    s->to_timestamp = strcmp(c->target, TIME_TARGET_TIMESTAMP) == 0;
    const char *zone = c->timezone            ? c->timezone
                       : st->default_timezone ? st->default_timezone
                                              : "local";
    s->zone = timefmt_zone_load(zone, &why);
    if (s->zone == NULL) {
        time_state_destroy(s);
        return errbuf_set(err, "timezone: %s", why.msg);
    }
    s->formats = xcalloc(c->formats.count, sizeof(*s->formats));
    for (; s->count < c->formats.count; s->count++) {
        s->formats[s->count] =
            timefmt_compile(c->formats.items[s->count], &why);
        if (s->formats[s->count] == NULL) {
            size_t i = s->count;
            time_state_destroy(s);
            return errbuf_set(err, "formats[%zu]: %s", i, why.msg);
        }
    }
    while (s->pure_count < s->count &&
           !timefmt_uses_now(s->formats[s->pure_count]))
        s->pure_count++;
    st->state = s;
    return 0;
}

/* Makes a worker's empty cache. */
static void *
time_worker_new(const struct stage *st)
{
    (void)st;
    return xcalloc(1, sizeof(struct time_worker));
}

static void
time_worker_free(void *worker)
{
    free(worker);
}

/*
 * Tries the formats in order; returns the index of the first that parses
 * v (count when none does) and its result in *ns, from w's cache when v is
 * its last cacheable value. w may be NULL (no cache).
 */
static size_t
time_parse(const struct time_state *s, struct time_worker *w, struct span v,
           int64_t now_ns, int64_t *ns)
{
    size_t i;
    if (w != NULL && v.len > 0 && v.len == w->len &&
        memcmp(v.ptr, w->key, v.len) == 0) {
        *ns = w->ns;
        return w->index;
    }
    for (i = 0; i < s->count; i++) {
        if (timefmt_parse(s->formats[i], v.ptr, v.len, s->zone, now_ns, ns) ==
            0)
            break;
    }
    if (w != NULL && i < s->pure_count && v.len <= TIME_CACHE_MAX_BYTES) {
        memcpy(w->key, v.ptr, v.len);
        w->len = v.len;
        w->index = i;
        w->ns = *ns;
    }
    return i;
}

/* Parses the field with the first format that fits. */
static enum stage_status
time_apply(const struct stage *st, void *worker, struct event *ev,
           struct stage_ctx *ctx)
{
    const struct time_conf *c = st->conf;
    const struct time_state *s = st->state;
    struct span v;
    int64_t ns = 0;

    if (!event_value(ev, s->field, &v, NULL))
        return STAGE_SKIPPED;
    /* now = the read time, for yearless dates: before we change it. */
    size_t i = time_parse(s, worker, v, ev->time_ns, &ns);
    if (i == s->count)
        return STAGE_NO_MATCH;
    ctx->note = c->formats.items[i];
    if (c->remove_field)
        event_remove(ev, s->field);
    if (s->to_timestamp) {
        ev->time_ns = ns;
    } else {
        char *text = scratch_alloc(ctx->scratch, TIMEFMT_UTC_MS_LEN + 1);
        timefmt_format_utc_ms(ns, text);
        event_set(ev, s->target, (struct span){text, TIMEFMT_UTC_MS_LEN},
                  FIELD_STRING);
    }
    return STAGE_OK;
}

/* Frees the compiled formats and the zone. */
static void
time_fini(struct stage *st)
{
    time_state_destroy(st->state);
    st->state = NULL;
}

const struct stage_type stage_time = {
    .name = "time",
    .options = time_options,
    .conf_size = sizeof(struct time_conf),
    .summary = "parse a field into @timestamp (or an ISO 8601 field)",
    .failure_tag = "_logship_time_failure",
    .init = time_init,
    .worker_new = time_worker_new,
    .worker_free = time_worker_free,
    .apply = time_apply,
    .fini = time_fini,
};
