/*
 * Events collected from harvester chunks, for the harvester tests: each
 * event's offset, flags and a copy of its text, so they outlive the chunk.
 * Shared by check_harvester.c and check_harvester_ml.c.
 */
#ifndef LOGSHIP_TEST_EVLIST_H
#define LOGSHIP_TEST_EVLIST_H

#include "chunk.h"

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Fails the test without the cost of a passing ck_assert in hot loops. */
#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

struct ev {
    uint64_t offset;
    unsigned flags;
    size_t len;
    char *text; /* owned: NUL-terminated copy */
};

struct evlist {
    struct ev *v; /* owned */
    size_t n;
    size_t cap;
};

/* Appends an event with a copy of text[0, len). */
void evlist_add(struct evlist *l, uint64_t offset, const char *text, size_t len,
                unsigned flags);
/* Frees l's events and empties it. */
void evlist_fini(struct evlist *l);
/* Copies c's events into l, failing the test if one lies outside c. */
void evlist_add_chunk(struct evlist *l, const struct chunk *c);
/* Fails the test unless got and want hold the same events; what names
 * the case in the message. */
void evlist_assert_same(const struct evlist *got, const struct evlist *want,
                        const char *what);
/* Fails the test unless each event's text is data[offset, +len). */
void evlist_assert_offsets(const struct evlist *got, const char *data,
                           size_t len);

#endif
