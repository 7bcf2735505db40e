/*
 * The dead-letter file: one NDJSON record per event that could not be
 * shipped (a stage failed with on_failure: dead_letter, or the search
 * engine rejected the document for good), each with its error and the
 * document. deadletter_format() builds a record (pure, any thread, the
 * caller's buffer); deadletter_write() appends it with one write(2) under a
 * mutex, so worker threads and the output thread never interleave. Events
 * are acknowledged only after deadletter_sync(), so a dead-lettered line
 * is never lost either.
 */
#ifndef LOGSHIP_DEADLETTER_H
#define LOGSHIP_DEADLETTER_H

#include "buf.h"
#include "errbuf.h"
#include "ndjson.h"

#include <stddef.h>
#include <stdint.h>

struct deadletter;

/* One dead-lettered event; every pointer is borrowed for the call. */
struct deadletter_entry {
    int64_t time_ns;   /* when it was dead-lettered (the caller's "now") */
    const char *index; /* the target index; NULL = none (parse failure) */
    int status;        /* the item's HTTP status; 0 = none (parse failure) */
    const char *error_type;   /* NULL = "" */
    const char *error_reason; /* NULL = "" */
    const char *document;     /* the document: one JSON object */
    size_t document_len;      /* a trailing newline is dropped */
    const char *path;         /* log.file.path; NULL for stdin */
    size_t path_len;
    uint64_t offset; /* log.offset */
};

/*
 * Appends e as one line, newline included, to out (pure):
 * {"@timestamp":..,"index":..,"status":..,"error":{"type":..,"reason":..},
 *  "document":{..},"log":{"file":{"path":..},"offset":..}}
 * "index" is left out when e->index is NULL, "status" when it is 0, and
 * "file" when e->path is NULL. The document is embedded as it is when it
 * looks like one JSON object, else as a string. Returns 0 or -E2BIG (out
 * is then left as it was).
 */
int deadletter_format(struct ndjson_enc *enc, struct buf *out,
                      const struct deadletter_entry *e);

/*
 * Opens path for appending, creating it with mode 0600 (and then fsyncing
 * its directory, so the name is as durable as the lines); NULL and a
 * message naming the path in err on failure.
 */
struct deadletter *deadletter_open(const char *path, struct errbuf *err);
/* Syncs what was written, closes the file and frees d (NULL is allowed). */
void deadletter_close(struct deadletter *d);
/*
 * Appends one record (whole lines, ending with a newline) with one
 * write(2) under the lock. Returns 0 or -errno; on failure a partly
 * written record is cut off again (where the file cannot be cut, the next
 * record starts on a new line), so no record is glued to a torn one.
 */
int deadletter_write(struct deadletter *d, const char *record, size_t len);
/* fsyncs if anything was written since the last sync. 0 or -errno. */
int deadletter_sync(struct deadletter *d);
/* Records written since the file was opened. */
uint64_t deadletter_count(struct deadletter *d);
/* The path, for messages; valid until deadletter_close(). */
const char *deadletter_path(const struct deadletter *d);

#endif
