/*
 * JSON writing straight into a buffer: string escaping with UTF-8 repair,
 * and whole documents from an event's fields with dotted names nested into
 * objects and no duplicate keys. Pure functions, no I/O; the output is
 * always valid JSON whatever bytes the log line holds. One struct
 * ndjson_enc per worker (it keeps reusable scratch and a time cache).
 */
#ifndef LOGSHIP_NDJSON_H
#define LOGSHIP_NDJSON_H

#include "buf.h"
#include "event.h"

#include <stdint.h>

/*
 * The shape cache: field layouts (names, flags) seen recently, so an event
 * like an earlier one is written without sorting and nesting its names.
 * Apache access logs alone have 16 (user, size, referrer, agent each `-`
 * or not); 64 in 4-way sets keep a few inputs' shapes per worker.
 */
#define NDJSON_SHAPE_SETS 16
#define NDJSON_SHAPE_WAYS 4

struct ndjson_entry; /* private to ndjson.c */
struct ndjson_shape;

struct ndjson_enc {
    struct ndjson_entry *order; /* owned: the members, sorted by path */
    size_t cap_order;
    struct ndjson_shape *shapes; /* owned: NDJSON_SHAPE_SETS x _WAYS layouts */
    unsigned char shape_victim[NDJSON_SHAPE_SETS]; /* next way to replace */
    int64_t cached_sec;   /* the second whose text is in cached_time */
    char cached_time[24]; /* "YYYY-MM-DDTHH:MM:SS." */
};

void ndjson_enc_init(struct ndjson_enc *enc);
void ndjson_enc_fini(struct ndjson_enc *enc);

/*
 * Appends s as a quoted JSON string. Control characters are escaped,
 * invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart, as the
 * Unicode standard recommends), NUL becomes \u0000. Returns 0 or -E2BIG
 * (the buffer is then left as it was).
 */
int ndjson_write_string(struct buf *out, const char *s, size_t len);

/*
 * Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" (quoted) for time_ns, UTC; times
 * before 1970 round down (floor) like later ones. The text of the last
 * second is cached in enc. Returns 0 or -E2BIG.
 */
int ndjson_write_time(struct ndjson_enc *enc, struct buf *out, int64_t time_ns);

/*
 * Appends the event as one JSON object and a newline:
 * {"@timestamp":...,<fields nested by dotted path, sorted>,"tags":[...]}.
 * Members are sorted by path with '.' below every other byte, so each
 * subtree is contiguous; field names and STRING values are escaped like
 * ndjson_write_string(), other types are copied verbatim (an empty one is
 * written as null).
 * - `message` is the event text unless a field named "message" exists
 *   (or EVENT_NO_MESSAGE is set: then only such a field is written); it
 *   takes its sorted place among the fields.
 * - Where two fields have the same path, the later one wins.
 * - Where a value and an object share a path ("a" and "a.b"), the value is
 *   written inside the object as "value" ({"a":{"value":..,"b":..}}); if a
 *   field "a.value" (or "a.value.*") exists too, it wins and a's value is
 *   dropped.
 * - A name with an empty segment ("", ".a", "a.", "a..b") is not split:
 *   it is one top-level key, spelled as given.
 * - Fields named "@timestamp" or "@timestamp.*" are skipped: time_ns is
 *   the one @timestamp (a time stage sets it from the log line).
 * - EVENT_TRUNCATED / EVENT_MULTILINE become the field log.flags, a JSON
 *   array ["truncated","multiline"] merged into any other log.* fields; it
 *   replaces a field of that name (the shipper's account of the line wins).
 * - ev->tags are written last, and only when no field's top-level key is
 *   "tags" (a "tags" field replaces them rather than merging).
 * Returns 0 or -E2BIG (the buffer is left as it was). Allocates only while
 * enc's scratch grows to the largest event seen and while the shape cache
 * fills; events with the field names of a cached shape skip the sorting.
 */
int ndjson_write_event(struct ndjson_enc *enc, struct buf *out,
                       const struct event *ev);

#endif
