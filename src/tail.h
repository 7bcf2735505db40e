/*
 * The `file` input: finds files from globs, follows them through rotation
 * (rename + create, copytruncate, delete), reads what is appended, and
 * resumes each from the registry's committed offset. Also the one-shot
 * reading of `logship backfill`. Runs on its input's thread; tail_destroy
 * runs on the main thread once the pipeline has drained, and commits the
 * final offsets.
 */
#ifndef LOGSHIP_TAIL_H
#define LOGSHIP_TAIL_H

#include "errbuf.h"

#include <stdbool.h>
#include <stdint.h>

struct input;
struct tail;

/* Compiles the input's globs and multiline rule; NULL and err on failure. */
struct tail *tail_create(struct input *in, struct errbuf *err);
/* Commits the offsets of everything acknowledged and frees t. */
void tail_destroy(struct tail *t);
/* Follows the input's files until the pipeline stops (`logship run`). */
int tail_run(struct tail *t);
/*
 * Reads each of paths once to its end (`logship backfill`), from the start
 * or, with resume, from the registry; up to max_open files at a time.
 * Returns the number of files that could not be read.
 */
int tail_run_files(struct tail *t, char *const *paths, size_t npaths,
                   bool resume, size_t max_open);

/* Progress of a backfill: bytes of the files read so far (compressed bytes
 * for .gz files) and in all. Any thread. */
void tail_progress(const struct tail *t, uint64_t *done, uint64_t *total);

#endif
