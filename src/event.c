/*
 * Field operations on an event. The field array belongs to the worker's
 * one event and grows only while warming up; values are borrowed spans.
 */
#include "config.h"

#include "event.h"

#include "xalloc.h"

#include <stdlib.h>

void
event_reset(struct event *ev)
{
    ev->text = (struct span){NULL, 0};
    ev->offset = 0;
    ev->time_ns = 0;
    ev->nfields = 0;
    ev->ntags = 0;
    ev->flags = 0;
}

void
event_fini(struct event *ev)
{
    free(ev->fields);
    ev->fields = NULL;
    ev->cap_fields = 0;
    ev->nfields = 0;
}

/* Appends a field; see event_set() and event_set_static(). */
static inline void
event_append(struct event *ev, struct span name, struct span value,
             enum field_type type, bool static_name)
{
    if (ev->nfields == ev->cap_fields) {
        ev->cap_fields = ev->cap_fields ? ev->cap_fields * 2 : 32;
        ev->fields = xrealloc(ev->fields, ev->cap_fields * sizeof(*ev->fields));
    }
    ev->fields[ev->nfields++] = (struct field){name, value, type, static_name};
    if (name.len == 7 && memcmp(name.ptr, "message", 7) == 0)
        ev->flags &= ~(unsigned)EVENT_NO_MESSAGE;
}

void
event_set(struct event *ev, struct span name, struct span value,
          enum field_type type)
{
    event_append(ev, name, value, type, false);
}

void
event_set_static(struct event *ev, struct span name, struct span value,
                 enum field_type type)
{
    event_append(ev, name, value, type, true);
}

const struct field *
event_get(const struct event *ev, struct span name)
{
    for (size_t i = ev->nfields; i-- > 0;) {
        if (span_eq(ev->fields[i].name, name))
            return &ev->fields[i];
    }
    return NULL;
}

bool
event_value(const struct event *ev, struct span name, struct span *out,
            enum field_type *type)
{
    const struct field *f = event_get(ev, name);
    if (f != NULL) {
        *out = f->value;
        if (type != NULL)
            *type = f->type;
        return true;
    }
    if (name.len == 7 && memcmp(name.ptr, "message", 7) == 0 &&
        !(ev->flags & EVENT_NO_MESSAGE)) {
        *out = ev->text;
        if (type != NULL)
            *type = FIELD_STRING;
        return true;
    }
    return false;
}

/* True when field is name itself or lies under it (name.x). Lengths and
 * the byte after the prefix first: they reject most fields cheaply. */
static inline bool
event_under(struct span field, struct span name)
{
    if (field.len < name.len ||
        (field.len > name.len && field.ptr[name.len] != '.'))
        return false;
    return span_mem_eq(field.ptr, name.ptr, name.len);
}

size_t
event_remove(struct event *ev, struct span name)
{
    size_t n = ev->nfields, kept = 0, i = 0;
    while (i < n && !event_under(ev->fields[i].name, name))
        i++; /* nothing moves before the first match */
    /* Then each run of kept fields between matches moves in one memmove
     * (copying field by field was a line of the parse profile). */
    for (kept = i; i < n;) {
        size_t run = ++i;
        while (run < n && !event_under(ev->fields[run].name, name))
            run++;
        memmove(&ev->fields[kept], &ev->fields[i],
                (run - i) * sizeof(*ev->fields));
        kept += run - i;
        i = run;
    }
    size_t removed = n - kept;
    ev->nfields = kept;
    if (name.len == 7 && memcmp(name.ptr, "message", 7) == 0) {
        ev->flags |= EVENT_NO_MESSAGE;
        removed++;
    }
    return removed;
}

bool
event_add_tag(struct event *ev, struct span tag)
{
    for (size_t i = 0; i < ev->ntags; i++) {
        if (span_eq(ev->tags[i], tag))
            return true;
    }
    if (ev->ntags == EVENT_MAX_TAGS)
        return false;
    ev->tags[ev->ntags++] = tag;
    return true;
}
