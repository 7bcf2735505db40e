/*
 * What the ndjson runners share (check_ndjson_str.c, check_ndjson.c,
 * check_ndjson_shape.c): a deterministic random source, so a failing case
 * reproduces, byte-exact comparison that shows both sides on failure, and
 * the small events and field literals the document tests are built from.
 * Every helper fails the running Check test on a mismatch, so callers
 * never check results. Call them from the test's own process only.
 */
#ifndef LOGSHIP_NDJSONTEST_H
#define LOGSHIP_NDJSONTEST_H

#include "event.h"
#include "ndjson.h"

#include <stddef.h>
#include <stdint.h>

#define FFFD "\xef\xbf\xbd" /* U+FFFD in UTF-8: what invalid bytes become */
#define TS0  "{\"@timestamp\":\"1970-01-01T00:00:00.000Z\""

/* Field literals: a string, an int, or any type t. */
#define FS(n, v)                                                               \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), FIELD_STRING, false                          \
    }
#define FI(n, v)                                                               \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), FIELD_INT, false                             \
    }
#define FT(n, v, t)                                                            \
    {                                                                          \
        SPAN_LIT(n), SPAN_LIT(v), t, false                                     \
    }

#define EVENT_OF(fs) ndjsontest_event((fs), sizeof(fs) / sizeof((fs)[0]))

/* Returns the next number of a fixed xorshift64* sequence. */
uint64_t ndjsontest_rand(void);
/* Returns a number of that sequence below n (n > 0). */
size_t ndjsontest_rand_below(size_t n);

/* Fails the test unless got[0, got_len) == want[0, want_len). */
void ndjsontest_expect_bytes(const char *got, size_t got_len, const char *want,
                             size_t want_len);

/* Returns an event with text "m" at time 0 holding the given fields. */
struct event ndjsontest_event(struct field *fields, size_t nfields);
/* Encodes ev with enc and fails the test unless the document is want. */
void ndjsontest_check_event_with(struct ndjson_enc *enc, const struct event *ev,
                                 const char *want);

#endif
