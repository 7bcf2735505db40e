/*
 * Borrowed views of one event while one worker processes it. Nothing is
 * freed through these pointers: spans point into the chunk's read buffer,
 * into config memory, or into the worker's scratch, which is reset after
 * each event. That is how "no heap allocation per line" holds by design.
 */
#ifndef LOGSHIP_EVENT_H
#define LOGSHIP_EVENT_H

struct fileid;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
    /* name's bytes never change while the pipeline runs (config or
     * compiled-chain memory): the encoder may compare the pointer alone */
    bool static_name;
};

#define EVENT_MAX_TAGS 8

enum event_flag {
    EVENT_TRUNCATED = 1u << 0, /* the line was longer than max_line_bytes */
    EVENT_MULTILINE = 1u << 1,
    EVENT_NO_MESSAGE = 1u << 2, /* a stage removed `message`: do not write it */
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
    unsigned flags;          /* enum event_flag */
    const struct fileid *id; /* borrowed: the source's identity (doc ids) */
};

/*
 * Field operations for stages. Fields are appended, never searched on the
 * way in: where a name is set twice, the last one wins (the encoder and
 * event_get both honour that), so setting a field costs no scan.
 */

/* Empties ev for the next line, keeping its field array. */
void event_reset(struct event *ev);
/* Frees the field array. */
void event_fini(struct event *ev);
/* Sets name (a dotted path) to value; spans must outlive the event. */
void event_set(struct event *ev, struct span name, struct span value,
               enum field_type type);
/*
 * event_set() for a name in memory that lives and stays unchanged as long
 * as the pipeline (a string literal, the config, a compiled chain): the
 * encoder then recognises the event's shape by pointer. Never for names
 * in scratch or line memory.
 */
void event_set_static(struct event *ev, struct span name, struct span value,
                      enum field_type type);
/* The field last set under name, or NULL. */
const struct field *event_get(const struct event *ev, struct span name);
/*
 * The value of name as a string source: a field's value, or for "message"
 * the raw text when no stage set or removed it. Returns false when absent.
 */
bool event_value(const struct event *ev, struct span name, struct span *out,
                 enum field_type *type);
/* Removes name and everything under it (name.*); returns how many. */
size_t event_remove(struct event *ev, struct span name);
/* Adds a tag once (a repeat is ignored); false when EVENT_MAX_TAGS is hit. */
bool event_add_tag(struct event *ev, struct span tag);
/*
 * True when n bytes at a and b are equal. Inline word compares: field
 * names are short, and a memcmp call per name was a profile line.
 */
static inline bool
span_mem_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (a == b || n == 0)
        return true;
    for (; n >= 8; n -= 8, a += 8, b += 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v)
            return false;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* True when a and b hold the same bytes. */
static inline bool
span_eq(struct span a, struct span b)
{
    return a.len == b.len && span_mem_eq(a.ptr, b.ptr, a.len);
}
/* A span of a NUL-terminated string. */
static inline struct span
span_str(const char *s)
{
    return (struct span){s, strlen(s)};
}

#endif
