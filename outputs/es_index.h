/*
 * Index names from a pattern with the event's time and fields:
 * `logs-%Y.%m.%d`, `logs-%{service.name}-%Y.%m`. Compiled once (and
 * validated, for `logship check`); expanded per event on worker threads
 * into a caller's buffer, with a per-worker cache of the last second's
 * broken-down time. Pure: no I/O.
 */
#ifndef LOGSHIP_ES_INDEX_H
#define LOGSHIP_ES_INDEX_H

#include "buf.h"
#include "errbuf.h"
#include "event.h"

#include <stdint.h>
#include <time.h>

struct es_index;

/* Per-worker expansion state (a time cache). */
struct es_index_cache {
    int64_t sec; /* the second whose fields are in tm; INT64_MIN: none */
    struct tm tm;
};

/*
 * Compiles pattern. Literal parts must be a valid index name's: lower
 * case, none of \ / * ? " < > | space , #, not starting with - _ +.
 * Directives: %Y %y %m %d %H %j %G %V (ISO week year and week) %% and
 * %{field}. Returns NULL and fills err.
 */
struct es_index *es_index_compile(const char *pattern, struct errbuf *err);
void es_index_destroy(struct es_index *ix);
/* True when the name does not depend on the event (no directives). */
const char *es_index_static(const struct es_index *ix);

void es_index_cache_init(struct es_index_cache *c);
/*
 * Appends the name for ev to out. A field value is lower-cased, characters
 * an index name may not hold become '_', and an absent or empty field
 * becomes "unknown". Times are UTC. Returns 0 or -E2BIG.
 */
int es_index_expand(const struct es_index *ix, struct es_index_cache *cache,
                    const struct event *ev, struct buf *out);

#endif
