/*
 * Declarative option tables (key, type, default, offsetof, help) that bind a
 * YAML mapping into a module's conf struct, as nginx and Fluent Bit do. The
 * same tables validate, apply defaults and produce the reference text, so
 * docs cannot drift from the code. Errors read
 * "file:line:column: key.path: what is wrong"; binding goes on after an
 * error so that `logship check` can print every one.
 *
 * A key with a null value (`key:`, `key: ~`) counts as absent: it gets its
 * default. A required key that is absent is reported at the mapping that
 * should hold it; one that is null, at its own key. An absent OPT_SECTION is
 * bound as an empty mapping (defaults, and its own required keys reported),
 * unless the section itself is required and missing.
 */
#ifndef LOGSHIP_OPTIONS_H
#define LOGSHIP_OPTIONS_H

#include "conftree.h"
#include "errbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Storage for each option type at `offset` in the conf struct:
 *   OPT_STRING       char *            (owned; NULL when absent, no default)
 *   OPT_INT          int64_t           (range min..max when max > min)
 *   OPT_BOOL         bool
 *   OPT_SIZE         uint64_t bytes    ("5MiB", "512KB", "100")
 *   OPT_DURATION     int64_t ms        ("500ms", "2s", "1m", "1h", "7d"; plain
 *                                       number = seconds)
 *   OPT_ENUM         int               (index into `names`; exact match)
 *   OPT_STRLIST      struct strlist    (a sequence of scalars, or one scalar)
 *   OPT_STRMAP       struct strmap     (a mapping of scalars; nested mappings
 *                                       are flattened to dotted keys)
 *   OPT_SECTION      a nested struct bound with `sub`
 *   OPT_SECTION_LIST struct seclist    (a sequence of mappings bound with
 *                                       `sub`)
 *   OPT_CUSTOM       whatever `bind` writes; `fini` frees it. bind is only
 *                    called for a present, non-null value: when the key is
 *                    absent, dst stays zeroed and the owner applies its
 *                    default after binding.
 *
 * Sizes and durations are whole numbers (write 1536MiB, not 1.5GiB; 1500ms,
 * not 1.5s), never negative, with optional blanks before the unit. Size
 * units: B, KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of
 * 1024), any case. Duration units: ms, s, m, h, d, lower case. Booleans:
 * true/false, yes/no, on/off, any case, quoted or not.
 *
 * Defaults (`def`) are parsed by the same parsers; a bad default is a
 * programming error and asserts. OPT_STRLIST and OPT_STRMAP defaults are
 * YAML ("[a, b]", "{k: v}"). OPT_SECTION and OPT_SECTION_LIST take no
 * default (the section's own table has them); for OPT_CUSTOM `def` is only
 * printed in the reference.
 */
enum opt_type {
    OPT_STRING,
    OPT_INT,
    OPT_BOOL,
    OPT_SIZE,
    OPT_DURATION,
    OPT_ENUM,
    OPT_STRLIST,
    OPT_STRMAP,
    OPT_SECTION,
    OPT_SECTION_LIST,
    OPT_CUSTOM,
};

enum opt_flag {
    OPT_REQUIRED = 1u << 0,
    OPT_SECRET = 1u << 1, /* never printed, not even at debug level */
};

struct strlist {
    char **items; /* owned, each owned */
    size_t count;
};

struct strmap {
    char **keys;   /* owned, each owned */
    char **values; /* owned, each owned */
    size_t count;
};

struct seclist {
    void *items; /* owned: count structs of `size` bytes */
    size_t count;
};

struct opt;

/*
 * Where binding happens: the key path so far ("inputs[0]") and where to
 * report errors that have no node of their own (a missing key). Only errs
 * is required; zero the rest at the top level, or set file to the tree's
 * path so that errors about a NULL root still name the file.
 */
struct opt_ctx {
    struct errlist *errs;       /* borrowed */
    const char *path;           /* borrowed: key path of the mapping bound */
    const char *file;           /* borrowed: for errors without a position */
    const struct conf_node *at; /* borrowed: the position of those errors */
};

struct opt_custom {
    /*
     * Binds node (present, not null) into dst; adds errors to ctx->errs and
     * returns 0 or -EINVAL. ctx is the enclosing mapping's (ctx->path is
     * its path), so name the key: options_error(ctx, node, opt->name, ...).
     */
    int (*bind)(const struct opt *opt, const struct conf_node *node, void *dst,
                const struct opt_ctx *ctx);
    /* Frees what bind stored, also after a failed bind (may be NULL). */
    void (*fini)(void *dst);
    const char *type_name; /* for the reference: "list of stages" */
};

struct opt {
    const char *name;
    enum opt_type type;
    const char *def; /* default as it would be written in YAML, or NULL */
    size_t offset;
    const char *help;
    unsigned flags;   /* enum opt_flag */
    int64_t min, max; /* OPT_INT, OPT_SIZE, OPT_DURATION: if max > min */
    const char *const *names;        /* OPT_ENUM: NULL-terminated */
    const struct opt *sub;           /* OPT_SECTION, OPT_SECTION_LIST */
    size_t sub_size;                 /* OPT_SECTION_LIST: sizeof one item */
    const struct opt_custom *custom; /* OPT_CUSTOM */
};

/*
 * Binds a mapping node into dst (zeroed by the caller) following table:
 * applies defaults, reports unknown keys, missing required keys and wrong
 * types to ctx->errs. node may be NULL (all defaults). Returns the number of
 * errors added.
 */
size_t options_bind(const struct opt *table, const struct conf_node *node,
                    void *dst, const struct opt_ctx *ctx);

/* Applies the defaults of table to dst (what binding an empty map does). */
void options_defaults(const struct opt *table, void *dst);

/* Frees everything options_bind stored in dst (also after errors). */
void options_fini(const struct opt *table, void *dst);

/*
 * Adds "file:line:column: path.key: message" for node to ctx->errs; key
 * may be NULL. Without node, the position is ctx->at's, else ctx->file
 * alone ("file: path.key: message"). Returns -EINVAL for convenience.
 */
int options_error(const struct opt_ctx *ctx, const struct conf_node *node,
                  const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses "5MiB", "10KB", "512" (bytes); returns 0 or -EINVAL. */
int options_parse_size(const char *s, uint64_t *bytes);
/* Parses "500ms", "2s", "1m", "1h", "7d", "30" (seconds); 0 or -EINVAL. */
int options_parse_duration(const char *s, int64_t *ms);
/* Parses true/false/yes/no/on/off; 0 or -EINVAL. */
int options_parse_bool(const char *s, bool *out);

/*
 * Writes the reference of a table as a Markdown list, one item per option
 * ("- `name` (type, default X, required): help"), indented by indent levels
 * of two spaces; sections list their table one level deeper. The defaults
 * of OPT_SECRET options are never printed.
 */
void options_help(const struct opt *table, FILE *out, int indent);

#endif
