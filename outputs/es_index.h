/*
 * Index names from a pattern with the event's time and fields:
 * `logs-%Y.%m.%d`, `logs-%{service.name}-%Y.%m`. Compiled once (and
 * validated, for `logship check`); expanded per event on worker threads
 * into a caller's buffer. Each worker keeps a cache of the pattern's
 * literal and time text for the hour or day it last expanded, so an event
 * costs a copy, never a strftime(). Pure: no I/O.
 */
#ifndef LOGSHIP_ES_INDEX_H
#define LOGSHIP_ES_INDEX_H

#include "buf.h"
#include "errbuf.h"
#include "event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct es_index;

/* Bytes of cached text: Elasticsearch refuses index names over 255 bytes. */
#define ES_INDEX_CACHE_LEN 256
/* Runs of literal and time text cached: at most this many - 1 %{field}s. */
#define ES_INDEX_CACHE_RUNS 8

/*
 * Per-worker expansion state for one pattern. The text between %{field}
 * parts (the whole name when there are none) depends only on the event's
 * hour (with %H) or day, so it is rendered once per such window. A pattern
 * whose text does not fit is expanded part by part from tm instead.
 */
struct es_index_cache {
    int64_t sec;               /* the last second expanded; INT64_MIN: none */
    int64_t lo, hi;            /* text and tm hold for seconds [lo, hi) */
    const struct es_index *ix; /* borrowed: the pattern they are for */
    struct tm tm;              /* the window's UTC broken-down time */
    bool fits;                 /* text holds every run */
    uint16_t ends[ES_INDEX_CACHE_RUNS]; /* run k is text[ends[k-1], ends[k]) */
    char iso_year[16];                  /* %G, when the pattern has it */
    char iso_week[4];                   /* %V, when the pattern has it */
    char text[ES_INDEX_CACHE_LEN];
};

/*
 * Compiles pattern. Literal parts must be a valid index name's: lower
 * case, none of \ / * ? " < > | space , #, not starting with - _ +.
 * Directives: %Y %y %m %d %H %j %G %V (ISO week year and week) %% and
 * %{field}. Returns NULL and fills err.
 */
struct es_index *es_index_compile(const char *pattern, struct errbuf *err);
/* Frees ix; caches used with it must be initialised again before reuse. */
void es_index_destroy(struct es_index *ix);
/* The name when it does not depend on the event (no directives), or NULL. */
const char *es_index_static(const struct es_index *ix);

/* Empties c; the first expansion with any pattern fills it. */
void es_index_cache_init(struct es_index_cache *c);
/*
 * Appends the name for ev to out. A field value is lower-cased, characters
 * an index name may not hold become '_', and an absent or empty field
 * becomes "unknown". Times are UTC. Returns 0 or -E2BIG.
 */
int es_index_expand(const struct es_index *ix, struct es_index_cache *cache,
                    const struct event *ev, struct buf *out);
/*
 * The name for an event at time_ns when it depends on nothing else (no
 * %{field} parts) and fits the cache: sets *len and returns the name, which
 * is not NUL-terminated and stays valid until the next call with cache.
 * Otherwise returns NULL: use es_index_expand().
 */
const char *es_index_name(const struct es_index *ix,
                          struct es_index_cache *cache, int64_t time_ns,
                          size_t *len);

#endif
