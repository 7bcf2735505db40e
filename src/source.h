/*
 * A source: one stream events come from (a file, or standard input), with
 * what every event from it carries (the path, the input's static fields)
 * and its acknowledgement tracker. Made by the input thread; read-only for
 * workers; destroyed after every event from it is finished.
 */
#ifndef LOGSHIP_SOURCE_H
#define LOGSHIP_SOURCE_H

#include "acktrack.h"
#include "event.h"
#include "fileid.h"

#include <stdint.h>

struct input;

struct source {
    const struct input *input; /* borrowed: its parser chain and fields */
    char *path;                /* owned; NULL for standard input */
    struct span path_span;     /* of path */
    struct acktrack *acks;     /* owned */
    struct fileid id; /* identity for document ids (stdin: random per run) */
};

/* Makes a source reading from offset start_offset; path may be NULL. */
struct source *source_create(const struct input *input, const char *path,
                             uint64_t start_offset);
void source_destroy(struct source *src);

#endif
