/*
 * The dead-letter file: one NDJSON line per event that Elasticsearch
 * refused for good (a 4xx item), with the reason and the document as sent,
 * so an operator can fix the mapping and replay it. Events are
 * acknowledged only after dlq_flush() has made their lines durable. Used
 * by the output thread only.
 */
#ifndef LOGSHIP_DLQ_H
#define LOGSHIP_DLQ_H

#include "buf.h"
#include "errbuf.h"
#include "ndjson.h"

#include <stddef.h>
#include <stdint.h>

struct dlq {
    int fd;
    struct buf line;       /* owned: the line being written, reused */
    struct ndjson_enc enc; /* owned: formats @timestamp */
};

/* One dead-lettered event; every pointer is borrowed for the call. */
struct dlq_entry {
    int64_t time_ns;        /* when it was dead-lettered (the caller's "now") */
    const char *index;      /* the target index or data stream */
    int status;             /* the item's HTTP status */
    const char *error_type; /* NULL = "" */
    const char *error_reason; /* NULL = "" */
    const char *document;     /* the document line as sent: one JSON object */
    size_t document_len;      /* a trailing newline is dropped */
    const char *path;         /* log.file.path; NULL for stdin */
    size_t path_len;
    uint64_t offset; /* log.offset */
};

/*
 * Opens (creating with mode 0600) path for appending. Returns the dlq, or
 * NULL with a message naming the path in err.
 */
struct dlq *dlq_open(const char *path, struct errbuf *err);

/*
 * Appends e as one line:
 * {"@timestamp":..,"index":..,"status":..,"error":{"type":..,"reason":..},
 *  "document":{..},"log":{"file":{"path":..},"offset":..}}
 * The document is embedded as it is when it looks like one JSON object,
 * else as a string. Returns 0 or -errno (a partly written line is cut off
 * again when the file allows it).
 */
int dlq_write(struct dlq *d, const struct dlq_entry *e);

/* Makes the lines written so far durable (fsync); returns 0 or -errno. */
int dlq_flush(struct dlq *d);

/* Closes the file (without fsync: call dlq_flush() first) and frees d. */
void dlq_close(struct dlq *d);

/* Formats e's line into out (appended, newline included); pure. */
int dlq_format(struct ndjson_enc *enc, struct buf *out,
               const struct dlq_entry *e);

#endif
