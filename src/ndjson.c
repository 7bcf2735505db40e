/*
 * Event documents on the worker hot path: an event's fields as one JSON
 * object, dotted names nested into objects by sorting (the slow path), and
 * the shape cache that replays the text between values for events with
 * the names of an earlier one (the fast path). Keys and values are written
 * by ndjson_str.c. Called by one worker thread per ndjson_enc; the
 * functions are otherwise pure. Must never allocate per event once the enc
 * is warm, call strlen on event data, or emit invalid JSON.
 */
#include "config.h"

#include "ndjson.h"
#include "ndjson_int.h"

#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NDJSON_SORT_RUN   8           /* insertion-sorted run before merging */
#define NDJSON_ORDER_MIN  64          /* first size of enc->order, in entries */
#define NDJSON_LITERAL    0x80000000u /* order entry: name is one key */
#define NDJSON_INDEX_MASK 0x7fffffffu

/*
 * Event documents. Every member comes from a "virtual field": index 0 is
 * the message taken from ev->text (absent with EVENT_NO_MESSAGE), 1..nfields
 * are ev->fields, nfields + 1 is log.flags from ev->flags. Sorting by (path,
 * index) then makes "the later one wins" a matter of keeping the last of equal
 * paths: the text is overridden by any real "message", and log.flags by
 * nothing.
 */
struct ndjson_entry {
    const char *name; /* borrowed: the field's name, or a literal */
    size_t len;
    uint32_t v;   /* virtual field index, | NDJSON_LITERAL */
    uint32_t dot; /* offset of the last '.', 0 if none */
};

/*
 * The shape cache. Everything but the values depends only on the field
 * names and two flags (log.flags present, EVENT_NO_MESSAGE): key order,
 * nesting, keys,
 * dropped duplicates. Parser stages produce the same names line after
 * line, so the slow path records the text between values as chunks, and
 * an event whose names match the last recorded ones (compared by content,
 * as scratch memory is reused) replays the chunks and writes only its
 * values. The buffers are reused, so a new shape allocates only while they
 * grow.
 */
#define NDJSON_STEP_END UINT32_MAX /* the last chunk: no value follows */

struct ndjson_step {
    size_t off, len; /* chunk bytes in shape->chunks */
    uint32_t v;      /* virtual field written after it, or NDJSON_STEP_END */
};

struct ndjson_shape {
    uint64_t hash;     /* ndjson_shape_hash() of the names */
    struct buf names;  /* per field: static name's address or NULL, length,
                          bytes */
    struct buf chunks; /* the text around the values */
    struct ndjson_step *steps; /* owned */
    size_t nsteps, cap_steps;
    size_t nfields;
    bool flagged;    /* log.flags was present */
    bool no_message; /* EVENT_NO_MESSAGE was set */
    bool has_tags;   /* a field took the "tags" key */
    bool valid;      /* recorded completely */
};

struct ndjson_emit {
    struct buf *out;                /* borrowed */
    const struct event *ev;         /* borrowed */
    const struct ndjson_entry *ent; /* borrowed: enc->order, sorted */
    size_t count;                   /* entries in ent */
    const char *open;         /* borrowed: path of the innermost open object */
    size_t open_len;          /* its length; 0 at the top level */
    size_t depth;             /* objects open below the top level */
    bool first;               /* nothing written yet in that object */
    struct ndjson_shape *rec; /* borrowed: shape being recorded, or NULL */
    size_t mark;              /* out->len where the current chunk began */
};

/* Returns virtual field v of ev (see above); valid while ev is. */
static inline struct field
ndjson_vfield(const struct event *ev, uint32_t v)
{
    static const struct span flag_values[4] = {
        SPAN_LIT("null"), /* not used: no flags, no field */
        SPAN_LIT("[\"truncated\"]"),
        SPAN_LIT("[\"multiline\"]"),
        SPAN_LIT("[\"truncated\",\"multiline\"]"),
    };
    v &= NDJSON_INDEX_MASK;
    if (v == 0)
        return (struct field){SPAN_LIT("message"), ev->text, FIELD_STRING,
                              true};
    if (v <= ev->nfields)
        return ev->fields[v - 1];
    unsigned f = ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE);
    return (struct field){SPAN_LIT("log.flags"), flag_values[f], FIELD_JSON,
                          true};
}

/*
 * Fills e for name in one pass: the last dot, and whether the name has an
 * empty segment ("", ".a", "a.", "a..b") and so is written as one key.
 */
static inline void
ndjson_entry_set(struct ndjson_entry *e, struct span name, uint32_t v)
{
    const char *p = name.ptr;
    size_t len = name.len, dot = 0, i = 1;
    bool literal = len == 0 || p[0] == '.' || p[len - 1] == '.';
    uint64_t w;

    while (i < len) {
        if (len - i >= 8) { /* skip words without a dot */
            memcpy(&w, p + i, 8);
            w ^= NDJSON_SWAR_ONES * '.';
            if (!((w - NDJSON_SWAR_ONES) & ~w & NDJSON_SWAR_HIGHS)) {
                i += 8;
                continue;
            }
        }
        size_t stop = len - i >= 8 ? i + 8 : len;
        for (; i < stop; i++) {
            if (p[i] == '.') {
                literal |= p[i - 1] == '.';
                dot = i;
            }
        }
    }
    assert(len <= UINT32_MAX);
    e->name = p;
    e->len = len;
    e->v = v | (literal ? NDJSON_LITERAL : 0);
    e->dot = (uint32_t)dot;
}

/* Returns whether a nested name's first segment is seg. */
static inline bool
ndjson_first_segment_is(const struct ndjson_entry *e, const char *seg,
                        size_t seg_len)
{
    return e->len >= seg_len && memcmp(e->name, seg, seg_len) == 0 &&
           (e->len == seg_len || e->name[seg_len] == '.');
}

/* Returns the index of the first differing byte of two unequal words. */
static inline size_t
ndjson_first_diff(uint64_t a, uint64_t b)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(a ^ b) / 8;
#else
    (void)a;
    (void)b;
    return 0; /* the byte loop after the call finds it */
#endif
}

/* Sort weight of a name byte: '.' lowest when it separates segments. */
static inline unsigned
ndjson_weight(unsigned char c, bool literal)
{
    return c == '.' && !literal ? 0 : (unsigned)c + 1;
}

/* Orders entries by path ('.' lowest), then by virtual index. */
static inline int
ndjson_cmp(const struct ndjson_entry *a, const struct ndjson_entry *b)
{
    size_t n = a->len < b->len ? a->len : b->len, i = 0;
    bool la = a->v & NDJSON_LITERAL, lb = b->v & NDJSON_LITERAL;
    uint64_t wa8, wb8;

    if (la == lb) { /* equal bytes weigh the same: skip them fast */
        for (; i + 8 <= n; i += 8) {
            memcpy(&wa8, a->name + i, 8);
            memcpy(&wb8, b->name + i, 8);
            if (wa8 != wb8) {
                i += ndjson_first_diff(wa8, wb8);
                break;
            }
        }
    }
    while (i < n && a->name[i] == b->name[i] && (la == lb || a->name[i] != '.'))
        i++;
    if (i < n) {
        unsigned wa = ndjson_weight((unsigned char)a->name[i], la);
        unsigned wb = ndjson_weight((unsigned char)b->name[i], lb);
        return wa < wb ? -1 : 1;
    }
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    uint32_t ia = a->v & NDJSON_INDEX_MASK, ib = b->v & NDJSON_INDEX_MASK;
    return ia < ib ? -1 : ia > ib;
}

/* Merges src[lo, mid) and src[mid, hi) into dst[lo, hi). */
static void
ndjson_merge(const struct ndjson_entry *src, struct ndjson_entry *dst,
             size_t lo, size_t mid, size_t hi)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        dst[k++] = ndjson_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
    while (i < mid)
        dst[k++] = src[i++];
    while (j < hi)
        dst[k++] = src[j++];
}

/*
 * Sorts a[0, n) using tmp[0, n) as scratch: insertion-sorted runs, then a
 * bottom-up merge. No allocation; the total order makes stability moot.
 */
static void
ndjson_sort(struct ndjson_entry *a, struct ndjson_entry *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += NDJSON_SORT_RUN) {
        size_t hi = n - lo < NDJSON_SORT_RUN ? n : lo + NDJSON_SORT_RUN;
        for (size_t i = lo + 1; i < hi; i++) {
            struct ndjson_entry v = a[i];
            size_t j = i;
            for (; j > lo && ndjson_cmp(&v, &a[j - 1]) < 0; j--)
                a[j] = a[j - 1];
            a[j] = v;
        }
    }
    struct ndjson_entry *src = a, *dst = tmp;
    for (size_t w = NDJSON_SORT_RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = n - lo < w ? n : lo + w;
            size_t hi = n - mid < w ? n : mid + w;
            ndjson_merge(src, dst, lo, mid, hi);
        }
        struct ndjson_entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

/*
 * Fills enc->order with the members to write and sorts it; returns the
 * count. Sets *has_tags when a field claims the top-level "tags" key.
 */
static size_t
ndjson_build_order(struct ndjson_enc *enc, const struct event *ev,
                   bool *has_tags)
{
    assert(ev->nfields < NDJSON_INDEX_MASK - 2);
    size_t need = 2 * (ev->nfields + 2); /* entries + merge scratch */
    if (enc->cap_order < need) {
        size_t cap = enc->cap_order ? enc->cap_order : NDJSON_ORDER_MIN;
        while (cap < need)
            cap *= 2;
        enc->order = xrealloc(enc->order, cap * sizeof(*enc->order));
        enc->cap_order = cap;
    }
    struct ndjson_entry *ent = enc->order;
    size_t n = 0;
    if (!(ev->flags & EVENT_NO_MESSAGE))
        ndjson_entry_set(&ent[n++], SPAN_LIT("message"), 0);
    *has_tags = false;
    for (size_t i = 0; i < ev->nfields; i++) {
        struct ndjson_entry *e = &ent[n];
        ndjson_entry_set(e, ev->fields[i].name, (uint32_t)(i + 1));
        if (!(e->v & NDJSON_LITERAL)) {
            if (ndjson_first_segment_is(e, "@timestamp", 10))
                continue; /* ev->time_ns is the one @timestamp */
            *has_tags |= ndjson_first_segment_is(e, "tags", 4);
        }
        n++;
    }
    if (ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE))
        ndjson_entry_set(&ent[n++], SPAN_LIT("log.flags"),
                         (uint32_t)(ev->nfields + 1));
    ndjson_sort(ent, ent + n, n);
    return n;
}

/* Appends bytes, keeping the NUL terminator; 0 or -E2BIG. */
static inline int
ndjson_put(struct buf *out, const char *p, size_t len)
{
    if (ndjson_reserve(out, len) < 0)
        return -E2BIG;
    ndjson_copy(out->data + out->len, p, len);
    out->len += len;
    out->data[out->len] = '\0';
    return 0;
}

/* Writes a member key, with the comma the object needs before it. */
static inline int
ndjson_put_key(struct ndjson_emit *em, const char *key, size_t len)
{
    int rc = ndjson_put_quoted(em->out, em->first ? 0 : ',', key, len, ':');
    em->first = false;
    return rc;
}

/* Writes a value as its type says; empty non-strings become null. */
static int
ndjson_put_value(struct buf *out, const struct field *f)
{
    switch (f->type) {
    case FIELD_STRING:
        return ndjson_put_quoted(out, 0, f->value.ptr, f->value.len, 0);
    case FIELD_INT:
    case FIELD_FLOAT:
    case FIELD_BOOL:
    case FIELD_JSON:
        if (f->value.len == 0)
            return ndjson_put(out, "null", 4);
        return ndjson_put(out, f->value.ptr, f->value.len);
    }
    return ndjson_put(out, "null", 4);
}

/* Records the output since the last value as a chunk, then value v. */
static void
ndjson_shape_step(struct ndjson_emit *em, uint32_t v)
{
    struct ndjson_shape *sh = em->rec;
    if (!sh)
        return;
    if (sh->nsteps == sh->cap_steps) {
        sh->cap_steps = sh->cap_steps ? 2 * sh->cap_steps : NDJSON_ORDER_MIN;
        sh->steps = xrealloc(sh->steps, sh->cap_steps * sizeof(*sh->steps));
    }
    struct ndjson_step *st = &sh->steps[sh->nsteps++];
    st->off = sh->chunks.len;
    st->len = em->out->len - em->mark;
    st->v = v;
    buf_append(&sh->chunks, em->out->data + em->mark, st->len); /* no limit */
}

/* Closes every open object past the first `depth`; keep_len is its path. */
static int
ndjson_close_to(struct ndjson_emit *em, size_t depth, size_t keep_len)
{
    size_t n = em->depth - depth;
    if (n) {
        if (ndjson_reserve(em->out, n) < 0)
            return -E2BIG;
        memset(em->out->data + em->out->len, '}', n);
        em->out->len += n;
        em->out->data[em->out->len] = '\0';
        em->first = false;
    }
    em->depth = depth;
    em->open_len = keep_len;
    return 0;
}

/*
 * Makes the object at nested path p[0, len) the innermost open one:
 * closes what isn't shared with the open path, then opens the rest one
 * segment at a time.
 */
static int
ndjson_open_path(struct ndjson_emit *em, const char *p, size_t len)
{
    const char *o = em->open;
    size_t olen = em->open_len, i = 0, depth = 0, keep = 0;

    /* Count the leading segments shared with the open path. */
    while (olen && len) {
        while (i < olen && i < len && o[i] == p[i] && o[i] != '.')
            i++;
        if ((i < olen && o[i] != '.') || (i < len && p[i] != '.'))
            break;
        depth++;
        keep = i;
        if (i == olen || i == len)
            break;
        i++;
    }
    if (ndjson_close_to(em, depth, keep) < 0)
        return -E2BIG;
    for (i = keep ? keep + 1 : 0; i < len;) {
        size_t seg = i;
        while (i < len && p[i] != '.')
            i++;
        if (ndjson_put_key(em, p + seg, i - seg) < 0 ||
            ndjson_put(em->out, "{", 1) < 0)
            return -E2BIG;
        em->first = true;
        em->depth++;
        i++;
    }
    em->open = p;
    em->open_len = len;
    return 0;
}

/* Returns whether two names are equal; either may be {NULL, 0}. */
static inline bool
ndjson_name_eq(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && span_mem_eq(a, b, a_len);
}

/* Returns whether entry i names a strict descendant of e. */
static inline bool
ndjson_is_below(const struct ndjson_emit *em, size_t i,
                const struct ndjson_entry *e)
{
    if (i >= em->count || (em->ent[i].v & NDJSON_LITERAL))
        return false;
    const struct ndjson_entry *d = &em->ent[i];
    return d->len > e->len && d->name[e->len] == '.' &&
           memcmp(d->name, e->name, e->len) == 0;
}

/* Returns whether the subtree after entry i has a member named "value". */
static bool
ndjson_has_value_child(const struct ndjson_emit *em, size_t i)
{
    const struct ndjson_entry *e = &em->ent[i];
    for (size_t j = i + 1; ndjson_is_below(em, j, e); j++) {
        const struct ndjson_entry *d = &em->ent[j];
        size_t end = e->len + 6; /* ".value" */
        if (d->len >= end && memcmp(d->name + e->len, ".value", 6) == 0 &&
            (d->len == end || d->name[end] == '.'))
            return true;
    }
    return false;
}

/*
 * Writes entry i: opens its parent objects, then the member. A value whose
 * path also has children becomes {"value":<v>,<children>}, unless a child
 * is itself named "value" (then that child wins and v is dropped).
 */
static int
ndjson_emit_entry(struct ndjson_emit *em, size_t i)
{
    const struct ndjson_entry *e = &em->ent[i];
    struct field f = ndjson_vfield(em->ev, e->v);
    const char *leaf = e->name;
    size_t leaf_len = e->len;

    if (e->v & NDJSON_LITERAL) {
        if (ndjson_close_to(em, 0, 0) < 0)
            return -E2BIG;
    } else {
        if (e->dot) {
            leaf = e->name + e->dot + 1;
            leaf_len = e->len - e->dot - 1;
        }
        if (ndjson_open_path(em, e->name, e->dot) < 0)
            return -E2BIG;
        if (ndjson_is_below(em, i + 1, e)) {
            if (ndjson_has_value_child(em, i))
                return 0;
            if (ndjson_put_key(em, leaf, leaf_len) < 0 ||
                ndjson_put(em->out, "{", 1) < 0)
                return -E2BIG;
            em->first = true;
            em->depth++;
            em->open = e->name;
            em->open_len = e->len;
            leaf = "value";
            leaf_len = 5;
        }
    }
    if (ndjson_put_key(em, leaf, leaf_len) < 0)
        return -E2BIG;
    ndjson_shape_step(em, e->v & NDJSON_INDEX_MASK);
    int rc = ndjson_put_value(em->out, &f);
    em->mark = em->out->len; /* value bytes aren't part of a chunk */
    return rc;
}

/* Writes ,"tags":[...] from ev->tags. */
static int
ndjson_put_tags(struct buf *out, const struct event *ev)
{
    assert(ev->ntags <= EVENT_MAX_TAGS);
    if (ndjson_put(out, ",\"tags\":[", 9) < 0)
        return -E2BIG;
    for (size_t i = 0; i < ev->ntags; i++) {
        const struct span *t = &ev->tags[i];
        if (ndjson_put_quoted(out, i ? ',' : 0, t->ptr, t->len, 0) < 0)
            return -E2BIG;
    }
    return ndjson_put(out, "]", 1);
}

/* Loads n (1..8) bytes at p as a little-endian-ish word; no over-read. */
static inline uint64_t
ndjson_load_upto8(const char *p, size_t n)
{
    uint64_t w = 0;
    uint32_t x, y;
    if (n >= 8) {
        memcpy(&w, p, 8);
    } else if (n >= 4) {
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        w = (uint64_t)x << 32 | y;
    } else {
        for (size_t i = 0; i < n; i++)
            w = w << 8 | (unsigned char)p[i];
    }
    return w;
}

/*
 * Hashes what makes a shape: the flags that change the layout and each
 * name's length and address (static names) or first and last 8 bytes.
 * Collisions only cost a compare.
 * In the same pass, *values_bound gets the most any replay can write for
 * the values of ev (every field's worst case, used or not, and the text).
 */
static uint64_t
ndjson_shape_hash(const struct event *ev, size_t *values_bound)
{
    const uint64_t mul = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t h = (ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE) ? 1 : 2) ^
                 (ev->flags & EVENT_NO_MESSAGE ? 4 : 8) ^ ev->nfields << 8;
    size_t values = ev->text.len, n = ev->nfields;
    for (size_t i = 0; i < n; i++) {
        const struct span *name = &ev->fields[i].name;
        uint64_t first = 0, last = 0;
        values += ev->fields[i].value.len;
        if (ev->fields[i].static_name) {
            first = (uint64_t)(uintptr_t)name->ptr; /* bytes unread */
        } else if (name->len) {
            first = ndjson_load_upto8(name->ptr, name->len);
            last = name->len > 8
                       ? ndjson_load_upto8(name->ptr + name->len - 8, 8)
                       : 0;
        }
        /* Independent products, summed: the multiplies overlap where a
         * chained hash waited for each (a line of the parse profile); the
         * index keeps the order in the hash. */
        h += (first ^ (last << 29 | last >> 35) ^ (name->len << 48) ^
              (i * UINT64_C(0x2545f4914f6cdd1d))) *
             mul;
    }
    h ^= h >> 31;
    h *= mul;
    h ^= h >> 29;
    /* Quotes or "null" per value, and log.flags' longest text. */
    *values_bound = values > NDJSON_WORST_CASE_MAX_LEN
                        ? SIZE_MAX
                        : values * NDJSON_ESC_MAX_LEN + 4 * (n + 1) + 32;
    return h;
}

/* Returns whether ev has exactly the names sh was recorded from. */
static bool
ndjson_shape_matches(const struct ndjson_shape *sh, const struct event *ev,
                     uint64_t hash)
{
    bool flagged = ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE);
    bool no_message = ev->flags & EVENT_NO_MESSAGE;
    if (!sh->valid || sh->hash != hash || sh->nfields != ev->nfields ||
        sh->flagged != flagged || sh->no_message != no_message)
        return false;
    const char *p = sh->names.data;
    for (size_t i = 0; i < ev->nfields; i++) {
        const struct field *f = &ev->fields[i];
        const char *ptr;
        size_t len;
        memcpy(&ptr, p, sizeof(ptr));
        memcpy(&len, p + sizeof(ptr), sizeof(len));
        p += sizeof(ptr) + sizeof(len);
        if (len != f->name.len)
            return false;
        if (!(f->static_name && ptr == f->name.ptr) &&
            !span_mem_eq(p, f->name.ptr, len))
            return false;
        p += len;
    }
    return true;
}

/* Writes the members by replaying the recorded chunks around the values. */
static int
ndjson_shape_replay(const struct ndjson_shape *sh, struct buf *out,
                    const struct event *ev)
{
    for (size_t k = 0; k < sh->nsteps; k++) {
        const struct ndjson_step *st = &sh->steps[k];
        if (ndjson_put(out, sh->chunks.data + st->off, st->len) < 0)
            return -E2BIG;
        if (st->v == NDJSON_STEP_END)
            break;
        struct field f = ndjson_vfield(ev, st->v);
        if (ndjson_put_value(out, &f) < 0)
            return -E2BIG;
    }
    return 0;
}

/*
 * The replay when room for the worst case is reserved: no check per
 * write. d is where the members go; returns the new end.
 */
static char *
ndjson_replay_unchecked(const struct ndjson_shape *sh, char *d,
                        const struct event *ev)
{
    const char *chunks = sh->chunks.data;
    for (size_t k = 0;; k++) {
        const struct ndjson_step *st = &sh->steps[k];
        ndjson_copy(d, chunks + st->off, st->len);
        d += st->len;
        if (st->v == NDJSON_STEP_END)
            return d;
        /* A pointer, not ndjson_vfield's copy: copying the struct out was
         * the hottest line of the replay. */
        struct field tmp;
        const struct field *f = st->v - 1 < ev->nfields
                                    ? &ev->fields[st->v - 1]
                                    : (tmp = ndjson_vfield(ev, st->v), &tmp);
        const unsigned char *v = (const unsigned char *)f->value.ptr;
        if (f->type == FIELD_STRING) {
            *d++ = '"';
            if (f->value.len)
                d = ndjson_escape(d, v, v + f->value.len);
            *d++ = '"';
        } else if (f->value.len == 0) {
            memcpy(d, "null", 4);
            d += 4;
        } else {
            ndjson_copy(d, v, f->value.len);
            d += f->value.len;
        }
    }
}

/*
 * Replays sh for ev into out, unchecked when the worst case (the chunks
 * and values_bound, see ndjson_shape_hash) fits under the limit; else the
 * checked replay measures long values exactly.
 */
static int
ndjson_shape_write(const struct ndjson_shape *sh, struct buf *out,
                   const struct event *ev, size_t values_bound)
{
    size_t need = sh->chunks.len + values_bound;
    if (values_bound > NDJSON_WORST_CASE_MAX_LEN ||
        ndjson_reserve(out, need) < 0)
        return ndjson_shape_replay(sh, out, ev);
    char *d = ndjson_replay_unchecked(sh, out->data + out->len, ev);
    out->len = (size_t)(d - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* The cached shape of ev, or NULL. */
static const struct ndjson_shape *
ndjson_shape_find(const struct ndjson_enc *enc, const struct event *ev,
                  uint64_t hash)
{
    if (enc->shapes == NULL)
        return NULL;
    const struct ndjson_shape *set =
        &enc->shapes[(hash & (NDJSON_SHAPE_SETS - 1)) * NDJSON_SHAPE_WAYS];
    for (size_t i = 0; i < NDJSON_SHAPE_WAYS; i++)
        if (ndjson_shape_matches(&set[i], ev, hash))
            return &set[i];
    return NULL;
}

/*
 * Starts recording the shape of ev in its set of the cache, in an unused
 * way or else the next one in turn; returns it.
 */
static struct ndjson_shape *
ndjson_shape_begin(struct ndjson_enc *enc, const struct event *ev,
                   uint64_t hash)
{
    size_t nshapes = NDJSON_SHAPE_SETS * NDJSON_SHAPE_WAYS;
    if (enc->shapes == NULL) {
        enc->shapes = xcalloc(nshapes, sizeof(*enc->shapes));
        for (size_t i = 0; i < nshapes; i++) {
            buf_init(&enc->shapes[i].names, 0);
            buf_init(&enc->shapes[i].chunks, 0);
        }
    }
    size_t set = hash & (NDJSON_SHAPE_SETS - 1), way = 0;
    struct ndjson_shape *ways = &enc->shapes[set * NDJSON_SHAPE_WAYS];
    while (way < NDJSON_SHAPE_WAYS && ways[way].valid)
        way++;
    if (way == NDJSON_SHAPE_WAYS)
        way = enc->shape_victim[set]++ % NDJSON_SHAPE_WAYS;
    struct ndjson_shape *sh = &ways[way];
    buf_reset(&sh->names);
    buf_reset(&sh->chunks);
    sh->hash = hash;
    sh->nsteps = 0;
    sh->nfields = ev->nfields;
    sh->flagged = ev->flags & (EVENT_TRUNCATED | EVENT_MULTILINE);
    sh->no_message = ev->flags & EVENT_NO_MESSAGE;
    sh->valid = false;
    for (size_t i = 0; i < ev->nfields; i++) {
        const struct span *name = &ev->fields[i].name;
        /* A static name's address identifies it; NULL: compare bytes. */
        const char *ptr = ev->fields[i].static_name ? name->ptr : NULL;
        buf_append(&sh->names, &ptr, sizeof(ptr));
        buf_append(&sh->names, &name->len, sizeof(name->len));
        buf_append(&sh->names, name->ptr, name->len);
    }
    return sh;
}

/*
 * Writes the members the slow way: sort, nest, and record the shape for
 * the events that follow. Sets *has_tags as ndjson_build_order() does.
 */
static int
ndjson_put_members(struct ndjson_enc *enc, struct buf *out,
                   const struct event *ev, uint64_t hash, bool *has_tags)
{
    struct ndjson_emit em = {.out = out, .ev = ev, .mark = out->len};

    em.rec = ndjson_shape_begin(enc, ev, hash);
    em.count = ndjson_build_order(enc, ev, has_tags);
    em.ent = enc->order;
    for (size_t i = 0; i < em.count; i++) {
        const struct ndjson_entry *a = &em.ent[i], *b = a + 1;
        if (i + 1 < em.count &&
            ndjson_name_eq(a->name, a->len, b->name, b->len))
            continue; /* a later field with the same path wins */
        if (ndjson_emit_entry(&em, i) < 0)
            return -E2BIG;
    }
    if (ndjson_close_to(&em, 0, 0) < 0)
        return -E2BIG;
    ndjson_shape_step(&em, NDJSON_STEP_END);
    em.rec->has_tags = *has_tags;
    em.rec->valid = true;
    return 0;
}

/* Writes the whole document; the caller restores the buffer on error. */
static int
ndjson_put_event(struct ndjson_enc *enc, struct buf *out,
                 const struct event *ev)
{
    bool has_tags;

    if (ndjson_put(out, "{\"@timestamp\":", 14) < 0 ||
        ndjson_write_time(enc, out, ev->time_ns) < 0)
        return -E2BIG;
    size_t values_bound;
    uint64_t hash = ndjson_shape_hash(ev, &values_bound);
    const struct ndjson_shape *sh = ndjson_shape_find(enc, ev, hash);
    if (sh != NULL) {
        if (ndjson_shape_write(sh, out, ev, values_bound) < 0)
            return -E2BIG;
        has_tags = sh->has_tags;
    } else if (ndjson_put_members(enc, out, ev, hash, &has_tags) < 0) {
        return -E2BIG;
    }
    if (ev->ntags && !has_tags && ndjson_put_tags(out, ev) < 0)
        return -E2BIG;
    return ndjson_put(out, "}\n", 2);
}

int
ndjson_write_event(struct ndjson_enc *enc, struct buf *out,
                   const struct event *ev)
{
    size_t start = out->len;
    int rc = ndjson_put_event(enc, out, ev);
    if (rc < 0 && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

void
ndjson_enc_init(struct ndjson_enc *enc)
{
    enc->order = NULL;
    enc->cap_order = 0;
    enc->shapes = NULL;
    memset(enc->shape_victim, 0, sizeof(enc->shape_victim));
    enc->cached_sec = INT64_MIN; /* no real second: ns / 1e9 > INT64_MIN */
    memset(enc->cached_time, 0, sizeof(enc->cached_time));
}

void
ndjson_enc_fini(struct ndjson_enc *enc)
{
    for (size_t i = 0;
         enc->shapes != NULL && i < NDJSON_SHAPE_SETS * NDJSON_SHAPE_WAYS;
         i++) {
        buf_fini(&enc->shapes[i].names);
        buf_fini(&enc->shapes[i].chunks);
        free(enc->shapes[i].steps);
    }
    free(enc->shapes);
    free(enc->order);
    ndjson_enc_init(enc);
}
