/*
 * Borrowed views of one event while one worker processes it. Nothing is
 * freed through these pointers: spans point into the chunk's read buffer,
 * into config memory, or into the worker's scratch, which is reset after
 * each event. That is how "no heap allocation per line" holds by design.
 */
#ifndef LOGSHIP_EVENT_H
#define LOGSHIP_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct span {
    const char *ptr; /* borrowed */
    size_t len;
};

#define SPAN_LIT(s) ((struct span){(s), sizeof(s) - 1})

/*
 * How a field's value is written. INT and FLOAT values are the text of a
 * valid JSON number and BOOL is "true" or "false": stages validate and
 * canonicalise when they convert, so the encoder copies them verbatim. JSON
 * is a complete, valid JSON value (an object or array a stage produced).
 */
enum field_type {
    FIELD_STRING,
    FIELD_INT,
    FIELD_FLOAT,
    FIELD_BOOL,
    FIELD_JSON,
};

struct field {
    struct span name;  /* dotted path: "http.request.method" */
    struct span value; /* see enum field_type */
    enum field_type type;
};

#define EVENT_MAX_TAGS 8

enum event_flag {
    EVENT_TRUNCATED = 1u << 0, /* the line was longer than max_line_bytes */
    EVENT_MULTILINE = 1u << 1,
};

struct event {
    struct span text; /* the raw line(s); borrowed from the chunk */
    uint64_t offset;  /* file offset of the first byte */
    int64_t time_ns;  /* @timestamp, UTC; the read time until a stage sets it */
    struct field *fields; /* borrowed: worker scratch */
    size_t nfields;
    size_t cap_fields;
    struct span tags[EVENT_MAX_TAGS];
    size_t ntags;
    unsigned flags; /* enum event_flag */
};

#endif
