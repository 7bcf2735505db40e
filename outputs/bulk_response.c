/*
 * Bulk response parsing. Two paths:
 *
 * - Fast: with BULK_FILTER_PATH, a batch where everything was indexed is
 *   answered {"errors":false,"items":[{"create":{"status":201}},...]}.
 *   A small scanner accepts exactly that grammar (any JSON whitespace, the
 *   four op keys, statuses 200 and 201) and counts the items; anything else
 *   (another member, an escape, a 404 on delete, which Elasticsearch does
 *   not count as an error) makes it give up, and the body goes to the full
 *   path. So the fast path accepts only valid JSON, and never a body that
 *   the full path would read differently.
 * - Full: jansson builds the tree; each item is classified by status, op
 *   and error.type, and its error type and reason are copied (cut to
 *   BULK_ERROR_TEXT_MAX_BYTES) into the result's text buffer.
 *
 * Called by the output thread; one bulk_result per output.
 */
#include "config.h"

#include "bulk_response.h"

#include "xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define BULK_EXCERPT_MAX_BYTES 80         /* of a bad body, in error messages */
#define BULK_TEXT_MAX_BYTES    UINT32_MAX /* offsets into text are 32-bit */

static const char *const bulk_ops[] = {"create", "index", "update", "delete"};
static const size_t bulk_op_lens[] = {6, 5, 6, 6};

void
bulk_result_init(struct bulk_result *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->text, BULK_TEXT_MAX_BYTES);
    bulk_result_reset(r);
}

void
bulk_result_reset(struct bulk_result *r)
{
    r->count = 0;
    r->indexed = r->duplicate = r->retry = r->dead = 0;
    r->disk_full = false;
    r->fast = false;
    buf_reset(&r->text);
    buf_append(&r->text, "", 1); /* offset 0 is the empty string */
}

void
bulk_result_fini(struct bulk_result *r)
{
    free(r->items);
    buf_fini(&r->text);
    memset(r, 0, sizeof(*r));
}

const char *
bulk_result_type(const struct bulk_result *r, size_t i)
{
    return r->text.data + r->items[i].type;
}

const char *
bulk_result_reason(const struct bulk_result *r, size_t i)
{
    return r->text.data + r->items[i].reason;
}

const char *
bulk_outcome_name(enum bulk_outcome outcome)
{
    switch (outcome) {
    case BULK_INDEXED:
        return "indexed";
    case BULK_DUPLICATE:
        return "duplicate";
    case BULK_RETRY:
        return "retry";
    case BULK_DEAD:
        return "dead";
    }
    return "?";
}

/* Makes room for n items; grows only while warming up. */
static void
bulk_response_reserve(struct bulk_result *r, size_t n)
{
    if (n <= r->cap)
        return;
    size_t cap = r->cap * 2 > n ? r->cap * 2 : n;
    r->items = xrealloc(r->items, cap * sizeof(*r->items));
    r->cap = cap;
}

/* Appends the item with its outcome to r and counts it. */
static void
bulk_response_add(struct bulk_result *r, enum bulk_outcome outcome, int status,
                  uint32_t type, uint32_t reason)
{
    r->items[r->count++] = (struct bulk_item){outcome, status, type, reason};
    switch (outcome) {
    case BULK_INDEXED:
        r->indexed++;
        break;
    case BULK_DUPLICATE:
        r->duplicate++;
        break;
    case BULK_RETRY:
        r->retry++;
        break;
    case BULK_DEAD:
        r->dead++;
        break;
    }
}

/* ---- fast path ---------------------------------------------------------- */

struct bulk_scan {
    const char *p;   /* borrowed: the body */
    const char *end; /* borrowed */
};

static void
bulk_scan_ws(struct bulk_scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/*
 * Skips whitespace, then consumes lit[0, n) if it comes next. Inline with
 * a constant n (bulk_scan_lit): one response holds a few items per event,
 * and strlen + memcmp calls per literal were a line of the bench profile.
 */
static inline bool
bulk_scan_litn(struct bulk_scan *s, const char *lit, size_t n)
{
    bulk_scan_ws(s);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

#define bulk_scan_lit(s, lit) bulk_scan_litn((s), (lit), sizeof(lit) - 1)

/* Consumes "status":200 or "status":201 (the only fast statuses). */
static bool
bulk_scan_status(struct bulk_scan *s, int *status)
{
    if (!bulk_scan_lit(s, "\"status\"") || !bulk_scan_lit(s, ":"))
        return false;
    if (bulk_scan_lit(s, "200"))
        *status = 200;
    else if (bulk_scan_lit(s, "201"))
        *status = 201;
    else
        return false;
    /* "2010" or "201.5" is some other number. */
    return s->p == s->end || (*s->p != '.' && (*s->p < '0' || *s->p > '9') &&
                              *s->p != 'e' && *s->p != 'E');
}

/* Consumes one {"<op>":{"status":20x}}. */
static bool
bulk_scan_item(struct bulk_scan *s, int *status)
{
    if (!bulk_scan_lit(s, "{"))
        return false;
    bulk_scan_ws(s);
    bool op = false;
    for (size_t i = 0; !op && i < sizeof(bulk_ops) / sizeof(bulk_ops[0]); i++) {
        size_t n = bulk_op_lens[i];
        if ((size_t)(s->end - s->p) >= n + 2 && s->p[0] == '"' &&
            memcmp(s->p + 1, bulk_ops[i], n) == 0 && s->p[n + 1] == '"') {
            s->p += n + 2;
            op = true;
        }
    }
    return op && bulk_scan_lit(s, ":") && bulk_scan_lit(s, "{") &&
           bulk_scan_status(s, status) && bulk_scan_lit(s, "}") &&
           bulk_scan_lit(s, "}");
}

/* Reads an all-indexed filtered body into r; false (r dirty) otherwise. */
static bool
bulk_response_fast(struct bulk_result *r, const char *body, size_t len,
                   size_t nitems)
{
    struct bulk_scan s = {body, body + len};
    if (!bulk_scan_lit(&s, "{") || !bulk_scan_lit(&s, "\"errors\"") ||
        !bulk_scan_lit(&s, ":") || !bulk_scan_lit(&s, "false") ||
        !bulk_scan_lit(&s, ",") || !bulk_scan_lit(&s, "\"items\"") ||
        !bulk_scan_lit(&s, ":") || !bulk_scan_lit(&s, "["))
        return false;
    bulk_response_reserve(r, nitems);
    if (!bulk_scan_lit(&s, "]")) {
        for (;;) {
            int status;
            if (r->count == nitems || !bulk_scan_item(&s, &status))
                return false;
            bulk_response_add(r, BULK_INDEXED, status, 0, 0);
            if (bulk_scan_lit(&s, "]"))
                break;
            if (!bulk_scan_lit(&s, ","))
                return false;
        }
    }
    if (!bulk_scan_lit(&s, "}"))
        return false;
    bulk_scan_ws(&s);
    return s.p == s.end && r->count == nitems;
}

/* ---- full path ---------------------------------------------------------- */

/* Writes a printable excerpt of the body's first bytes into out. */
static void
bulk_response_excerpt(const char *body, size_t len, char *out, size_t size)
{
    size_t n = len < BULK_EXCERPT_MAX_BYTES ? len : BULK_EXCERPT_MAX_BYTES;
    if (n > size - 4)
        n = size - 4;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)body[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    strcpy(out + n, n < len ? "..." : "");
}

/* Copies s (cut at a UTF-8 boundary) into r->text; returns its offset. */
static int
bulk_response_text(struct bulk_result *r, const json_t *s, uint32_t *off)
{
    *off = 0;
    if (!json_is_string(s))
        return 0;
    const char *p = json_string_value(s);
    size_t n = json_string_length(s);
    if (n == 0)
        return 0;
    if (n > BULK_ERROR_TEXT_MAX_BYTES) {
        n = BULK_ERROR_TEXT_MAX_BYTES;
        while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
            n--;
    }
    size_t at = r->text.len;
    if (buf_reserve(&r->text, n + 1) < 0)
        return -EPROTO;
    buf_put_bytes_unchecked(&r->text, p, n);
    buf_put_unchecked(&r->text, '\0');
    *off = (uint32_t)at;
    return 0;
}

/*
 * The outcome of one item, or -1 for a status no bulk item has. The order
 * matters: an overloaded node wins over the status it chose.
 */
static int
bulk_response_classify(const char *op, int status, const char *type,
                       const char *reason, bool *disk_full)
{
    if (status >= 200 && status < 300)
        return BULK_INDEXED;
    /* Elasticsearch's name, and OpenSearch's (which drops the prefix). */
    if (strcmp(type, "es_rejected_execution_exception") == 0 ||
        strcmp(type, "rejected_execution_exception") == 0)
        return BULK_RETRY;
    /*
     * Flood-stage watermark: 429 since 7.x, 403 "index read-only / allow
     * delete (api)" before. The block lifts when disk is freed: retry.
     */
    if (strcmp(type, "cluster_block_exception") == 0 &&
        (status == 429 || strstr(reason, "read-only-allow-delete") ||
         strstr(reason, "read-only / allow delete"))) {
        *disk_full = true;
        return BULK_RETRY;
    }
    if (status == 429 || status == 502 || status == 503 || status == 504)
        return BULK_RETRY;
    if (status == 409 && strcmp(op, "create") == 0 &&
        strcmp(type, "version_conflict_engine_exception") == 0)
        return BULK_DUPLICATE;
    if (status >= 400 && status < 500)
        return BULK_DEAD;
    if (status >= 500 && status < 600)
        return BULK_RETRY;
    return -1;
}

/* Reads items[i] into r; returns 0 or -EPROTO with err filled. */
static int
bulk_response_item(struct bulk_result *r, const json_t *item, size_t i,
                   struct errbuf *err)
{
    const char *op = NULL;
    const json_t *body = NULL;
    if (json_is_object(item) && json_object_size(item) == 1) {
        op = json_object_iter_key(json_object_iter((json_t *)item));
        body = json_object_iter_value(json_object_iter((json_t *)item));
    }
    bool known = false;
    for (size_t k = 0; op && k < sizeof(bulk_ops) / sizeof(bulk_ops[0]); k++)
        known = known || strcmp(op, bulk_ops[k]) == 0;
    if (!known || !json_is_object(body))
        return errbuf_set(err, "bulk response item %zu is not {\"<op>\":{...}}",
                          i);
    const json_t *status = json_object_get(body, "status");
    if (!json_is_integer(status) || json_integer_value(status) < 100 ||
        json_integer_value(status) > 599)
        return errbuf_set(err, "bulk response item %zu has no valid status", i);

    const json_t *error = json_object_get(body, "error");
    const json_t *type = NULL, *reason = error; /* ES 1.x: a string */
    if (json_is_object(error)) {
        type = json_object_get(error, "type");
        reason = json_object_get(error, "reason");
    } else if (error != NULL && !json_is_string(error) &&
               !json_is_null(error)) {
        return errbuf_set(err, "bulk response item %zu: bad error member", i);
    }
    uint32_t type_off, reason_off;
    if (bulk_response_text(r, type, &type_off) < 0 ||
        bulk_response_text(r, reason, &reason_off) < 0)
        return errbuf_set(err, "bulk response: error texts too long");

    int code = (int)json_integer_value(status);
    int outcome =
        bulk_response_classify(op, code, r->text.data + type_off,
                               r->text.data + reason_off, &r->disk_full);
    if (outcome < 0)
        return errbuf_set(err, "bulk response item %zu has status %d", i, code);
    bulk_response_add(r, (enum bulk_outcome)outcome, code, type_off,
                      reason_off);
    return 0;
}

/* Explains a body without an items array: a request-level error or junk. */
static int
bulk_response_no_items(const json_t *root, const char *body, size_t len,
                       struct errbuf *err)
{
    const json_t *error = json_object_get(root, "error");
    const json_t *type = json_object_get(error, "type");
    const json_t *reason = json_object_get(error, "reason");
    if (json_is_string(type))
        return errbuf_set(
            err, "bulk request failed: %s: %.300s", json_string_value(type),
            json_is_string(reason) ? json_string_value(reason) : "(no reason)");
    char excerpt[BULK_EXCERPT_MAX_BYTES + 4];
    bulk_response_excerpt(body, len, excerpt, sizeof(excerpt));
    return errbuf_set(err, "bulk response has no items array: %s", excerpt);
}

/* Reads the whole tree; see the file comment. */
static int
bulk_response_full(struct bulk_result *r, const char *body, size_t len,
                   size_t nitems, struct errbuf *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (root == NULL) {
        char excerpt[BULK_EXCERPT_MAX_BYTES + 4];
        bulk_response_excerpt(body, len, excerpt, sizeof(excerpt));
        errbuf_set(err, "bulk response is not JSON (%s at byte %d): %s",
                   jerr.text, jerr.position, excerpt);
        return -EPROTO;
    }
    int rc = 0;
    const json_t *items = json_object_get(root, "items");
    const json_t *errors = json_object_get(root, "errors");
    if (!json_is_array(items)) {
        rc = bulk_response_no_items(root, body, len, err);
    } else if (errors != NULL && !json_is_boolean(errors)) {
        rc = errbuf_set(err, "bulk response: \"errors\" is not a boolean");
    } else if (json_array_size(items) != nitems) {
        rc = errbuf_set(err, "bulk response has %zu items for %zu sent",
                        json_array_size(items), nitems);
    } else {
        bulk_response_reserve(r, nitems);
        for (size_t i = 0; rc == 0 && i < nitems; i++)
            rc = bulk_response_item(r, json_array_get(items, i), i, err);
    }
    json_decref(root);
    return rc < 0 ? -EPROTO : 0;
}

int
bulk_response_parse(struct bulk_result *r, const char *body, size_t len,
                    size_t nitems, struct errbuf *err)
{
    bulk_result_reset(r);
    if (bulk_response_fast(r, body, len, nitems)) {
        r->fast = true;
        return 0;
    }
    bulk_result_reset(r);
    if (len == 0) {
        errbuf_set(err, "bulk response is empty");
        return -EPROTO;
    }
    int rc = bulk_response_full(r, body, len, nitems, err);
    if (rc < 0)
        bulk_result_reset(r);
    return rc;
}
