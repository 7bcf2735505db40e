/*
 * What the regex and grok stages share: compiling PCRE2 patterns (UTF-8
 * with invalid input allowed, JIT when available), the table that maps
 * capture groups to dotted field names and types, per-worker match data
 * and JIT stacks, applying the patterns to an event (first match wins),
 * and the stage callbacks built on these, from init to fini.
 * A pcre_util_set is built once by a stage's init on the main thread and
 * is read-only afterwards; workers share it and each has its own
 * pcre_util_worker. Applying never allocates: converted values go to the
 * event's scratch.
 */
#ifndef LOGSHIP_PCRE_UTIL_H
#define LOGSHIP_PCRE_UTIL_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include "errbuf.h"
#include "event.h"
#include "stage.h"

#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tag added when a capture does not convert to its type. */
#define PCRE_UTIL_TYPE_FAILURE_TAG "_logship_type_failure"

/* One capture group that becomes a field. */
struct pcre_util_capture {
    uint32_t group;       /* capture group number */
    struct span name;     /* borrowed: one of the set's names */
    enum field_type type; /* FIELD_STRING, FIELD_INT, FIELD_FLOAT, FIELD_BOOL */
    /* borrowed, one of the set's names; len 0: none. A string value that
     * is an IP address is also set here (grok's ip_fields). */
    struct span ip_to;
};

/* A compiled form of a pattern. */
struct pcre_util_code {
    pcre2_code *code; /* owned; NULL when this form could not be made */
    bool jit;         /* JIT-compiled */
};

/*
 * A pattern is compiled twice: in UTF mode (PCRE2_UTF |
 * PCRE2_MATCH_INVALID_UTF), used for valid UTF-8 lines holding non-ASCII
 * characters, and in byte mode, used for pure-ASCII lines and for lines
 * that are not valid UTF-8. On ASCII text both give the same result (what
 * can only match non-ASCII characters matches nothing either way), and
 * byte mode is markedly faster: UTF mode decodes and checks every
 * character a class or a dot looks at. On invalid UTF-8, byte mode lets .
 * and [^x] match the stray bytes (UTF mode would match nothing there), so
 * counts such as .{3} are in bytes on those lines only.
 */
struct pcre_util_pattern {
    struct pcre_util_code utf;          /* the reference form */
    struct pcre_util_code ascii;        /* byte mode, if it compiled */
    struct pcre_util_capture *captures; /* owned */
    size_t ncaptures;
    char *note; /* owned: "pattern N", for --explain */
};

struct pcre_util_set {
    struct span field;                  /* borrowed: the stage's conf */
    struct pcre_util_pattern *patterns; /* owned */
    size_t count;
    uint32_t max_pairs; /* ovector pairs the largest pattern needs */
    bool jit_logged;    /* "no JIT" was logged */
    char **names;       /* owned, each owned: field names, deduplicated */
    size_t nnames;
    atomic_bool warned; /* a match error was logged once */
    const char *who;    /* borrowed: the stage's name, for logs */
};

struct pcre_util_worker;

/* Empties set; field and who are borrowed and must outlive it. */
void pcre_util_init(struct pcre_util_set *set, const char *field,
                    const char *who);
/* Frees everything set owns (also after a failed build). */
void pcre_util_fini(struct pcre_util_set *set);

/*
 * Compiles regex (len bytes) as the set's next pattern, JIT-compiling it
 * when the library can (else the interpreter is used, logged once at
 * debug). On failure fills err with "what: message at offset N" and
 * returns -EINVAL; on success returns the pattern's index.
 */
int pcre_util_compile(struct pcre_util_set *set, const char *regex, size_t len,
                      const char *what, struct errbuf *err);

/* Returns a copy of name kept by set (stable until pcre_util_fini). */
struct span pcre_util_name(struct pcre_util_set *set, const char *name,
                           size_t len);

/*
 * Makes every capture of field `from` also set field `to` (copied into
 * set) when its value is an IPv4 or IPv6 address. Returns how many
 * captures, over all patterns, set `from` (0: the caller reports it).
 */
size_t pcre_util_add_ip_copy(struct pcre_util_set *set, const char *from,
                             const char *to);

/* Maps capture group to field name (copied into set) with type. */
void pcre_util_add_capture(struct pcre_util_set *set, size_t pattern,
                           uint32_t group, const char *name, size_t len,
                           enum field_type type);

/* Makes one worker's match data and JIT stack for set. */
struct pcre_util_worker *
pcre_util_worker_create(const struct pcre_util_set *set);
/* Frees a worker's state; NULL is a no-op. */
void pcre_util_worker_destroy(struct pcre_util_worker *w);

/*
 * Matches the set's source field against each pattern in turn; the first
 * that matches sets its fields and ctx->note. A group that did not take
 * part, or captured "" or "-", sets nothing. Typed captures are converted
 * with convert_value() (convert.h); a value that does not convert is kept
 * as a string and the event is tagged _logship_type_failure.
 * Returns STAGE_SKIPPED when the field is absent, STAGE_NO_MATCH when no
 * pattern matched (or matching failed, logged once), else STAGE_OK.
 */
enum stage_status pcre_util_apply(const struct pcre_util_set *set,
                                  struct pcre_util_worker *w, struct event *ev,
                                  struct stage_ctx *ctx);

/*
 * Fails with "give exactly one of pattern and patterns" unless exactly one
 * of pattern (may be NULL) and patterns (may be empty) is given.
 */
int pcre_util_check_patterns(const char *pattern,
                             const struct strlist *patterns,
                             struct errbuf *err);

/*
 * Builds st->state: a set matching field, into which compile adds pattern,
 * or else each item of patterns in order, given as what "pattern" or
 * "patterns[N]" for its messages. compile returns 0, or a negative errno
 * with err filled; then the set is freed, st->state is left alone and that
 * error is returned. arg is passed to compile.
 */
int pcre_util_stage_build(struct stage *st, const char *field,
                          const char *pattern, const struct strlist *patterns,
                          int (*compile)(void *arg, struct pcre_util_set *set,
                                         const char *pattern, const char *what,
                                         struct errbuf *err),
                          void *arg, struct errbuf *err);

/* The stage type callbacks once pcre_util_stage_build made st->state. */
void *pcre_util_stage_worker_new(const struct stage *st);
/* Frees a worker made by pcre_util_stage_worker_new. */
void pcre_util_stage_worker_free(void *worker);
/* Applies the set in st->state to ev (see pcre_util_apply). */
enum stage_status pcre_util_stage_apply(const struct stage *st, void *worker,
                                        struct event *ev,
                                        struct stage_ctx *ctx);
/* Frees st->state and sets it to NULL; a NULL state is a no-op. */
void pcre_util_stage_fini(struct stage *st);

#endif
