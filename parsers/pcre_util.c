/*
 * PCRE2 machinery shared by the regex and grok stages. Each pattern is
 * compiled twice: with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF for lines of
 * valid non-ASCII UTF-8, and in byte mode for pure-ASCII lines (the same
 * result, faster) and for lines that are not valid UTF-8 (matched byte by
 * byte: in UTF mode an invalid byte would match nothing, not even a dot,
 * so one stray Latin-1 byte would defeat every .* and GREEDYDATA). Both
 * are JIT-compiled when the library supports it. Compiled code is shared
 * by all workers; match data and the JIT stack are per worker
 * (pcre2api(3)). apply() runs on worker threads and must never allocate:
 * new bytes go to the scratch.
 */
#include "config.h"

#include "pcre_util.h"

#include "convert.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PCRE_UTIL_UTF_OPTIONS   (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
#define PCRE_UTIL_JIT_STACK_MIN (32u * 1024)
#define PCRE_UTIL_JIT_STACK_MAX (1024u * 1024)

struct pcre_util_worker {
    pcre2_match_data *md;      /* owned */
    pcre2_match_context *mctx; /* owned */
    pcre2_jit_stack *stack;    /* owned; NULL without JIT */
};

void
pcre_util_init(struct pcre_util_set *set, const char *field, const char *who)
{
    memset(set, 0, sizeof(*set));
    set->field = span_str(field);
    set->who = who;
    atomic_init(&set->warned, false);
}

void
pcre_util_fini(struct pcre_util_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        pcre2_code_free(set->patterns[i].utf.code);
        pcre2_code_free(set->patterns[i].ascii.code);
        free(set->patterns[i].captures);
        free(set->patterns[i].note);
    }
    free(set->patterns);
    for (size_t i = 0; i < set->nnames; i++)
        free(set->names[i]);
    free(set->names);
    set->patterns = NULL;
    set->names = NULL;
    set->count = 0;
    set->nnames = 0;
}

/* JIT-compiles code; false (logged once per set at debug) when unavailable. */
static bool
pcre_util_jit(struct pcre_util_set *set, pcre2_code *code)
{
    int rc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (rc == 0)
        return true;
    if (!set->jit_logged) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof(msg));
        log_debug(set->who, "no JIT (%s): using the PCRE2 interpreter",
                  (const char *)msg);
        set->jit_logged = true;
    }
    return false;
}

int
pcre_util_compile(struct pcre_util_set *set, const char *regex, size_t len,
                  const char *what, struct errbuf *err)
{
    int errcode;
    PCRE2_SIZE erroffset;
    pcre2_code *utf =
        pcre2_compile((PCRE2_SPTR)regex, len, PCRE_UTIL_UTF_OPTIONS, &errcode,
                      &erroffset, NULL);
    if (utf == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        return errbuf_set(err, "%s: %s at offset %zu", what, (const char *)msg,
                          (size_t)erroffset);
    }
    /* Byte mode refuses some patterns (\x{100}): those use UTF always. */
    pcre2_code *ascii =
        pcre2_compile((PCRE2_SPTR)regex, len, 0, &errcode, &erroffset, NULL);
    uint32_t ngroups = 0;
    (void)pcre2_pattern_info(utf, PCRE2_INFO_CAPTURECOUNT, &ngroups);
    if (ngroups + 1 > set->max_pairs)
        set->max_pairs = ngroups + 1;

    set->patterns =
        xrealloc(set->patterns, (set->count + 1) * sizeof(*set->patterns));
    struct pcre_util_pattern *p = &set->patterns[set->count];
    memset(p, 0, sizeof(*p));
    p->utf = (struct pcre_util_code){utf, pcre_util_jit(set, utf)};
    if (ascii != NULL)
        p->ascii = (struct pcre_util_code){ascii, pcre_util_jit(set, ascii)};
    p->note = xasprintf("pattern %zu", set->count);
    return (int)set->count++;
}

struct span
pcre_util_name(struct pcre_util_set *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->nnames; i++) {
        if (strlen(set->names[i]) == len &&
            memcmp(set->names[i], name, len) == 0)
            return (struct span){set->names[i], len};
    }
    set->names = xrealloc(set->names, (set->nnames + 1) * sizeof(*set->names));
    set->names[set->nnames] = xstrndup(name, len);
    return (struct span){set->names[set->nnames++], len};
}

void
pcre_util_add_capture(struct pcre_util_set *set, size_t pattern, uint32_t group,
                      const char *name, size_t len, enum field_type type)
{
    struct pcre_util_pattern *p = &set->patterns[pattern];
    p->captures =
        xrealloc(p->captures, (p->ncaptures + 1) * sizeof(*p->captures));
    p->captures[p->ncaptures++] = (struct pcre_util_capture){
        .group = group,
        .name = pcre_util_name(set, name, len),
        .type = type,
    };
}

size_t
pcre_util_add_ip_copy(struct pcre_util_set *set, const char *from,
                      const char *to)
{
    struct span from_name = span_str(from), to_name = {NULL, 0};
    size_t n = 0;
    for (size_t i = 0; i < set->count; i++) {
        struct pcre_util_pattern *p = &set->patterns[i];
        for (size_t k = 0; k < p->ncaptures; k++) {
            if (!span_eq(p->captures[k].name, from_name))
                continue;
            if (to_name.len == 0)
                to_name = pcre_util_name(set, to, strlen(to));
            p->captures[k].ip_to = to_name;
            n++;
        }
    }
    return n;
}

struct pcre_util_worker *
pcre_util_worker_create(const struct pcre_util_set *set)
{
    struct pcre_util_worker *w = xcalloc(1, sizeof(*w));
    w->md = pcre2_match_data_create(set->max_pairs ? set->max_pairs : 1, NULL);
    w->mctx = pcre2_match_context_create(NULL);
    if (w->md == NULL || w->mctx == NULL)
        abort(); /* PCRE2 allocates with malloc: out of memory */
    w->stack = pcre2_jit_stack_create(PCRE_UTIL_JIT_STACK_MIN,
                                      PCRE_UTIL_JIT_STACK_MAX, NULL);
    if (w->stack != NULL)
        pcre2_jit_stack_assign(w->mctx, NULL, w->stack);
    return w;
}

void
pcre_util_worker_destroy(struct pcre_util_worker *w)
{
    if (w == NULL)
        return;
    pcre2_jit_stack_free(w->stack);
    pcre2_match_context_free(w->mctx);
    pcre2_match_data_free(w->md);
    free(w);
}

/* Sets the fields of a pattern that matched with rc groups. */
static void
pcre_util_set_fields(const struct pcre_util_pattern *p, const PCRE2_SIZE *ov,
                     uint32_t rc, const char *subject, struct event *ev,
                     struct scratch *sc)
{
    for (size_t i = 0; i < p->ncaptures; i++) {
        const struct pcre_util_capture *c = &p->captures[i];
        if (c->group >= rc || ov[2 * c->group] == PCRE2_UNSET)
            continue;
        struct span v = {subject + ov[2 * c->group],
                         ov[2 * c->group + 1] - ov[2 * c->group]};
        if (v.len == 0 || (v.len == 1 && v.ptr[0] == '-'))
            continue;
        enum field_type type = c->type;
        if (type != FIELD_STRING && convert_value(v, type, sc, &v) < 0) {
            type = FIELD_STRING;
            (void)event_add_tag(ev, SPAN_LIT(PCRE_UTIL_TYPE_FAILURE_TAG));
        }
        event_set_static(ev, c->name, v, type); /* the set owns the name */
        /* A pointer copy and an address check: cheaper by far than a copy
         * and a convert stage scanning the fields. */
        if (c->ip_to.len != 0 && type == FIELD_STRING && convert_ip(v) == 0)
            event_set_static(ev, c->ip_to, v, FIELD_STRING);
    }
}

/* Logs a match error once per set: they repeat per line. */
static void
pcre_util_warn(const struct pcre_util_set *set, int rc)
{
    atomic_bool *warned = (atomic_bool *)&set->warned; /* set is not const */
    if (atomic_exchange(warned, true))
        return;
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof(msg));
    log_warn(set->who, "matching failed (%s); counted as no match",
             (const char *)msg);
}

/* True when no byte of s has the high bit set: 32 bytes a round (SSE2 on
 * x86-64, else 64-bit words), since every line pays for it. */
static bool
pcre_util_is_ascii(const char *s, size_t len)
{
    size_t i = 0;
#ifdef __SSE2__
    __m128i va = _mm_setzero_si128(), vb = _mm_setzero_si128();
    for (; i + 32 <= len; i += 32) {
        va = _mm_or_si128(va, _mm_loadu_si128((const __m128i *)(s + i)));
        vb = _mm_or_si128(vb, _mm_loadu_si128((const __m128i *)(s + i + 16)));
    }
    if (_mm_movemask_epi8(_mm_or_si128(va, vb)) != 0)
        return false;
#endif
    uint64_t a = 0, b = 0, w[4];
    for (; i + sizeof(w) <= len; i += sizeof(w)) {
        memcpy(w, s + i, sizeof(w));
        a |= w[0] | w[1];
        b |= w[2] | w[3];
    }
    for (; i + 8 <= len; i += 8) {
        memcpy(w, s + i, 8);
        a |= w[0];
    }
    if (i < len && len >= 8) { /* the last 8 bytes, overlapping: no loop */
        memcpy(w, s + len - 8, 8);
        b |= w[0];
    } else {
        for (; i < len; i++)
            b |= (unsigned char)s[i];
    }
    return ((a | b) & UINT64_C(0x8080808080808080)) == 0;
}

/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlongs,
 * surrogates or code points past U+10FFFF), or 0. */
static size_t
pcre_util_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return n;
}

/* True when s is valid UTF-8. */
static bool
pcre_util_is_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = pcre_util_utf8_seq(p, end);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/*
 * The form of p to match s with: byte mode for ASCII lines (the same
 * result, faster) and for lines that are not valid UTF-8 (matched byte by
 * byte, so that . and [^x] still match what surrounds a stray byte), UTF
 * mode for the rest.
 */
static const struct pcre_util_code *
pcre_util_pick(const struct pcre_util_pattern *p, bool ascii, bool utf8)
{
    if (p->ascii.code != NULL && (ascii || !utf8))
        return &p->ascii;
    return &p->utf;
}

enum stage_status
pcre_util_apply(const struct pcre_util_set *set, struct pcre_util_worker *w,
                struct event *ev, struct stage_ctx *ctx)
{
    struct span subject;
    if (!event_value(ev, set->field, &subject, NULL))
        return STAGE_SKIPPED;
    const char *s = subject.ptr != NULL ? subject.ptr : "";
    bool ascii = pcre_util_is_ascii(s, subject.len);
    bool utf8 = ascii || pcre_util_is_utf8(s, subject.len);
    for (size_t i = 0; i < set->count; i++) {
        const struct pcre_util_pattern *p = &set->patterns[i];
        const struct pcre_util_code *c = pcre_util_pick(p, ascii, utf8);
        int rc = c->jit ? pcre2_jit_match(c->code, (PCRE2_SPTR)s, subject.len,
                                          0, 0, w->md, w->mctx)
                        : pcre2_match(c->code, (PCRE2_SPTR)s, subject.len, 0, 0,
                                      w->md, w->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        if (rc < 0) {
            pcre_util_warn(set, rc);
            continue;
        }
        /* rc == 0 cannot happen: the match data fits every pattern. */
        pcre_util_set_fields(p, pcre2_get_ovector_pointer(w->md),
                             rc > 0 ? (uint32_t)rc : set->max_pairs, s, ev,
                             ctx->scratch);
        ctx->note = p->note;
        return STAGE_OK;
    }
    return STAGE_NO_MATCH;
}

int
pcre_util_check_patterns(const char *pattern, const struct strlist *patterns,
                         struct errbuf *err)
{
    if ((pattern != NULL) == (patterns->count > 0))
        return errbuf_set(err, "give exactly one of pattern and patterns");
    return 0;
}

int
pcre_util_stage_build(struct stage *st, const char *field, const char *pattern,
                      const struct strlist *patterns,
                      int (*compile)(void *arg, struct pcre_util_set *set,
                                     const char *pattern, const char *what,
                                     struct errbuf *err),
                      void *arg, struct errbuf *err)
{
    struct pcre_util_set *set = xmalloc(sizeof(*set));
    pcre_util_init(set, field, st->name);
    int rc = 0;
    if (pattern != NULL) {
        rc = compile(arg, set, pattern, "pattern", err);
    } else {
        for (size_t i = 0; i < patterns->count && rc == 0; i++) {
            char what[32];
            snprintf(what, sizeof(what), "patterns[%zu]", i);
            rc = compile(arg, set, patterns->items[i], what, err);
        }
    }
    if (rc < 0) {
        pcre_util_fini(set);
        free(set);
        return rc;
    }
    st->state = set;
    return 0;
}

void *
pcre_util_stage_worker_new(const struct stage *st)
{
    return pcre_util_worker_create(st->state);
}

void
pcre_util_stage_worker_free(void *worker)
{
    pcre_util_worker_destroy(worker);
}

enum stage_status
pcre_util_stage_apply(const struct stage *st, void *worker, struct event *ev,
                      struct stage_ctx *ctx)
{
    return pcre_util_apply(st->state, worker, ev, ctx);
}

void
pcre_util_stage_fini(struct stage *st)
{
    if (st->state == NULL)
        return;
    pcre_util_fini(st->state);
    free(st->state);
    st->state = NULL;
}
