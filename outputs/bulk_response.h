/*
 * A _bulk response body → one outcome per item (the "Bulk item outcomes"
 * table of the architecture). Pure: no I/O, no logging. A struct
 * bulk_result belongs to the output thread and is reused for every batch:
 * its arrays grow only until they fit the largest batch seen, and error
 * texts go into one result-owned buffer, so a warm result allocates nothing
 * per item (jansson's tree, built for bodies with errors, does).
 */
#ifndef LOGSHIP_BULK_RESPONSE_H
#define LOGSHIP_BULK_RESPONSE_H

#include "buf.h"
#include "errbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error types and reasons are cut (at a UTF-8 boundary) to this length. */
#define BULK_ERROR_TEXT_MAX_BYTES 1024

/* The query string that gives the bodies bulk_response_parse() expects. */
#define BULK_FILTER_PATH                                                       \
    "filter_path=errors,items.*.status,items.*.error.type,"                    \
    "items.*.error.reason"

enum bulk_outcome {
    BULK_INDEXED,   /* 200/201: done */
    BULK_DUPLICATE, /* 409 on create: indexed before (a replay); done */
    BULK_RETRY,     /* overloaded or unavailable: send this item again */
    BULK_DEAD,      /* permanent: dead-letter it */
};

struct bulk_item {
    enum bulk_outcome outcome;
    int status;      /* the item's HTTP status */
    uint32_t type;   /* error.type: offset into text ("" if none) */
    uint32_t reason; /* error.reason: offset into text ("" if none) */
};

struct bulk_result {
    struct bulk_item *items; /* owned: count valid entries, cap allocated */
    size_t count;
    size_t cap;
    struct buf text; /* owned: NUL-terminated error types and reasons */
    size_t indexed;  /* counts per outcome, over count items */
    size_t duplicate;
    size_t retry;
    size_t dead;
    bool disk_full; /* an index is blocked by the flood-stage watermark */
    bool fast;      /* read by the "errors":false scan, without jansson */
};

void bulk_result_init(struct bulk_result *r);
/* Empties r (count 0, counters 0), keeping its memory. */
void bulk_result_reset(struct bulk_result *r);
void bulk_result_fini(struct bulk_result *r);

/*
 * Fills r (reset first) with the outcome of each of the nitems items of
 * the response body. Returns 0, or -EPROTO with a message in err when the
 * body is not a bulk response: not JSON, no items, a count other than
 * nitems, or an item of unknown shape. r is then empty.
 */
int bulk_response_parse(struct bulk_result *r, const char *body, size_t len,
                        size_t nitems, struct errbuf *err);

/* Item i's error type, "" if none; valid until r is next parsed or reset. */
const char *bulk_result_type(const struct bulk_result *r, size_t i);
/* Item i's error reason, "" if none; valid like bulk_result_type(). */
const char *bulk_result_reason(const struct bulk_result *r, size_t i);

/* The outcome's name: "indexed", "duplicate", "retry" or "dead". */
const char *bulk_outcome_name(enum bulk_outcome outcome);

#endif
