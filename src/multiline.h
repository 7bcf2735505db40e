/*
 * Multiline rules: which lines begin an event and which continue the one
 * before (Java stack traces, Python tracebacks), with limits. The rule is
 * compiled once per input and used by that input's thread only (the
 * harvesters of one input share one match data).
 */
#ifndef LOGSHIP_MULTILINE_H
#define LOGSHIP_MULTILINE_H

#include "errbuf.h"
#include "options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct multiline_conf {
    char *start;        /* owned: a line matching this starts an event */
    char *continuation; /* owned: a line matching this continues one */
    bool negate;        /* continuation: a line NOT matching continues */
    int64_t max_lines;
    uint64_t max_bytes;
    int64_t timeout_ms; /* a pending event is sent after this quiet time */
};

extern const struct opt multiline_options[];

struct multiline;

/* Compiles conf's rule; NULL (and err) on a bad regex or a bad combination. */
struct multiline *multiline_create(const struct multiline_conf *conf,
                                   struct errbuf *err);
void multiline_destroy(struct multiline *ml);
/* True when the line begins a new event. Input thread only. */
bool multiline_starts(struct multiline *ml, const char *line, size_t len);
/* The limits. */
size_t multiline_max_lines(const struct multiline *ml);
size_t multiline_max_bytes(const struct multiline *ml);
int64_t multiline_timeout_ms(const struct multiline *ml);

#endif
