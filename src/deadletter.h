/*
 * The dead-letter file: NDJSON records of events that could not be shipped
 * (a stage failed with on_failure: dead_letter, or the search engine
 * rejected the document for good), each with its error. Worker threads and
 * the output thread write to it; each record is one write(2) under a
 * mutex. Events are acknowledged only after the file is fsync'd
 * (deadletter_sync), so a dead-lettered line is never lost either.
 */
#ifndef LOGSHIP_DEADLETTER_H
#define LOGSHIP_DEADLETTER_H

#include "errbuf.h"

#include <stddef.h>
#include <stdint.h>

struct deadletter;

/* Opens (creating, mode 0600) path for appending; NULL and err on failure. */
struct deadletter *deadletter_open(const char *path, struct errbuf *err);
void deadletter_close(struct deadletter *d);
/* Appends one record (a JSON object and its newline). 0 or -errno. */
int deadletter_write(struct deadletter *d, const char *record, size_t len);
/* fsyncs if anything was written since the last sync. 0 or -errno. */
int deadletter_sync(struct deadletter *d);
/* Records written since the file was opened. */
uint64_t deadletter_count(struct deadletter *d);
/* The path, for messages. */
const char *deadletter_path(const struct deadletter *d);

#endif
