/*
 * The schema and helpers the options runners share (check_options.c,
 * check_options_errors.c): option tables shaped like logship's own (inputs
 * as a list of sections, an output with a nested batch section, enums, a
 * secret, and OPT_CUSTOM "words"), one table with every option type, and
 * binding YAML text against a table. Every helper fails the running Check
 * test on an unexpected error, so callers never check results.
 */
#ifndef LOGSHIP_TEST_OPTTEST_H
#define LOGSHIP_TEST_OPTTEST_H

#include "conftree.h"
#include "options.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* OPT_CUSTOM example: blank-separated words. */
struct words {
    char **items; /* owned, each owned */
    size_t count;
};

struct t_batch {
    uint64_t max_bytes;
    int64_t flush_ms;
};

struct t_input {
    struct strlist paths;
    struct strlist exclude;
    uint64_t max_line_bytes;
    int64_t close_inactive_ms;
    struct strmap fields;
    int on_no_match;
    bool multiline;
};

struct t_output {
    struct strlist hosts;
    char *user;     /* owned */
    char *password; /* owned */
    bool gzip;
    int64_t workers;
    struct t_batch batch;
};

struct t_conf {
    struct seclist inputs;
    struct t_output output;
    int log_level;
    struct words tags;
};

/* One member per option type, for opttest_all_options. */
struct t_all {
    char *s; /* owned */
    int64_t i;
    bool b;
    uint64_t size;
    int64_t dur;
    int e;
    struct strlist list;
    struct strmap map;
    struct t_batch sec;
    struct seclist items;
    struct words w;
};

/* The names of the "on_no_match"-like enums: keep, tag, drop. */
extern const char *const opttest_action_names[];
/* The "words" custom type; it counts its binds and finis. */
extern const struct opt_custom opttest_words_custom;
/* Calls of the words type's bind and fini; each forked test starts at 0. */
extern int opttest_words_binds, opttest_words_finis;

extern const struct opt opttest_batch_options[];  /* struct t_batch */
extern const struct opt opttest_output_options[]; /* struct t_output */
extern const struct opt opttest_conf_options[];   /* struct t_conf */
extern const struct opt opttest_all_options[];    /* struct t_all */

/* One bind of YAML text: the tree and the errors it left. */
struct opttest_bound {
    struct conf_tree *tree; /* owned */
    struct errlist errs;
    size_t nerrs; /* what options_bind returned */
};

/* Loads text (which must be valid YAML) as "t.yml" and binds it into dst. */
void opttest_bind_text(struct opttest_bound *b, const struct opt *table,
                       const char *text, void *dst);
/* Frees the tree and the errors of b (not what was bound into dst). */
void opttest_bound_fini(struct opttest_bound *b);
/* All messages, one per line; the caller frees the result. */
char *opttest_joined(const struct errlist *errs);
/* Binds text against table into a zeroed dst of size bytes, frees all, and
 * returns the messages joined; the caller frees the result. */
char *opttest_bind_errors(const struct opt *table, size_t size,
                          const char *text);
/* Asserts every default of opttest_conf_options outside the inputs. */
void opttest_check_defaults(const struct t_conf *c);

/* Asserts that binding text against table (into a type) gives exactly
 * the messages expected, one per line. */
#define opttest_bind_fails(table, type, text, expected)                        \
    do {                                                                       \
        char *got_ = opttest_bind_errors(table, sizeof(type), text);           \
        ck_assert_str_eq(got_, expected);                                      \
        free(got_);                                                            \
    } while (0)

#endif
