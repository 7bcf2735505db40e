/*
 * The configuration file as a tree of YAML nodes with their positions
 * (1-based line and column) and ${VAR} / ${VAR:-default} expanded in
 * scalars. No semantics here: options.c binds nodes into structs. Loaded
 * once on the main thread; read-only afterwards.
 *
 * Expansion, in every scalar value (plain, quoted or block; never in keys):
 * ${VAR} is the variable's value (an error when unset, empty when set but
 * empty); ${VAR:-default} uses default when VAR is unset or empty, like the
 * shell, and the default may itself hold ${...}; $${ is a literal ${; any
 * other $ is literal (regexes keep their $). VAR is [A-Za-z_][A-Za-z0-9_]*.
 * Inside flow collections ([...], {...}) YAML needs such values quoted.
 * Errors point at the start of the scalar.
 *
 * Anchors and aliases are supported: an alias is a deep copy of the anchored
 * node, positions included. An alias inside its own anchor is an error, and
 * copies may add at most a few MiB (the "billion laughs" bound). Merge keys
 * (<<) are not special: they are ordinary keys.
 */
#ifndef LOGSHIP_CONFTREE_H
#define LOGSHIP_CONFTREE_H

#include "errbuf.h"

#include <stdbool.h>
#include <stddef.h>

enum conf_kind { CONF_SCALAR, CONF_MAP, CONF_SEQ };

struct conf_node {
    enum conf_kind kind;
    char *key;   /* owned: the key when this node is a mapping value */
    char *value; /* owned: scalars only, after ${VAR} expansion */
    bool plain;  /* scalar was unquoted and held no ${VAR}: so `~`, `null`
                    and empty are null, while `${EMPTY}` is an empty string */
    struct conf_node **children; /* owned: map values or sequence items */
    size_t nchildren;
    unsigned line, column;         /* of the value, 1-based */
    unsigned key_line, key_column; /* of the key, 1-based; 0 if no key */
    const char *file;              /* borrowed: the tree's path */
};

struct conf_tree {
    char *path;             /* owned: as given, used in messages */
    struct conf_node *root; /* owned; NULL for an empty or null document */
};

/*
 * Loads and expands a YAML file. On failure returns NULL and adds each
 * problem (syntax, duplicate keys, undefined variables) to errs as
 * "file:line:column: message", or "path: strerror" when it cannot be read.
 * A syntax error stops the load; other problems are all reported.
 */
struct conf_tree *conftree_load_file(const char *path, struct errlist *errs);
/* Same from memory; name is used in messages. */
struct conf_tree *conftree_load_string(const char *name, const char *text,
                                       size_t len, struct errlist *errs);
/* Frees the tree and every node in it; NULL is a no-op. */
void conftree_destroy(struct conf_tree *tree);

/* Returns the value of key in a mapping node, or NULL. */
const struct conf_node *conftree_get(const struct conf_node *map,
                                     const char *key);
/* True for a plain scalar `~`, `null`, `Null`, `NULL` or empty, and NULL. */
bool conftree_is_null(const struct conf_node *node);
/* "scalar", "mapping" or "sequence", for messages. */
const char *conftree_kind_name(enum conf_kind kind);

#endif
