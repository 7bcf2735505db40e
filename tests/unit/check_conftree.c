/*
 * Unit tests for conftree.c: node kinds and 1-based positions of keys and
 * values, nulls, duplicate and non-scalar keys, libyaml syntax errors with
 * their position, ${VAR} expansion (set with setenv inside each test),
 * aliases and their limits, and loading from files. Every error message is
 * compared byte for byte.
 */
#include "config.h"

#include "conftree.h"

#include "buf.h"
#include "xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct conf_tree *
load(const char *text)
{
    struct errlist errs = {0};
    struct conf_tree *tree =
        conftree_load_string("t.yml", text, strlen(text), &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "unexpected error: %s\n", errs.msgs[i]);
    ck_assert_uint_eq(errs.count, 0);
    ck_assert_ptr_nonnull(tree);
    errlist_fini(&errs);
    return tree;
}

/* Loads text that must fail; returns its errors, one per line (owned). */
static char *
load_errors(const char *text)
{
    struct errlist errs = {0};
    struct conf_tree *tree =
        conftree_load_string("t.yml", text, strlen(text), &errs);
    ck_assert_ptr_null(tree);
    char *all = xstrdup("");
    for (size_t i = 0; i < errs.count; i++) {
        char *next = xasprintf("%s%s\n", all, errs.msgs[i]);
        free(all);
        all = next;
    }
    errlist_fini(&errs);
    return all;
}

#define ck_load_fails(text, expected)                                          \
    do {                                                                       \
        char *got_ = load_errors(text);                                        \
        ck_assert_str_eq(got_, expected);                                      \
        free(got_);                                                            \
    } while (0)

/* Loads "v: <text>" and returns the expanded value of v (owned). */
static char *
value_of(const char *yaml)
{
    struct conf_tree *tree = load(yaml);
    const struct conf_node *v = conftree_get(tree->root, "v");
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->kind, CONF_SCALAR);
    char *value = xstrdup(v->value);
    conftree_destroy(tree);
    return value;
}

#define ck_value_eq(yaml, expected)                                            \
    do {                                                                       \
        char *got_ = value_of(yaml);                                           \
        ck_assert_str_eq(got_, expected);                                      \
        free(got_);                                                            \
    } while (0)

static void
ck_pos(const struct conf_node *n, unsigned line, unsigned column,
       unsigned key_line, unsigned key_column)
{
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->line, line);
    ck_assert_uint_eq(n->column, column);
    ck_assert_uint_eq(n->key_line, key_line);
    ck_assert_uint_eq(n->key_column, key_column);
}

static const char positions_yaml[] = "a: 1\n"
                                     "b:\n"
                                     "  c: \"x\"\n"
                                     "  d: [1, 22]\n"
                                     "e:\n"
                                     "  - f\n"
                                     "  - {g: h}\n";

/* ---- structure and positions ---- */

START_TEST(test_positions_of_values_are_one_based)
{
    struct conf_tree *tree = load(positions_yaml);
    const struct conf_node *root = tree->root, *b, *d, *e;

    ck_pos(root, 1, 1, 0, 0);
    ck_pos(conftree_get(root, "a"), 1, 4, 1, 1);
    b = conftree_get(root, "b");
    ck_pos(b, 3, 3, 2, 1);
    ck_pos(conftree_get(b, "c"), 3, 6, 3, 3);
    d = conftree_get(b, "d");
    ck_pos(d, 4, 6, 4, 3);
    ck_pos(d->children[0], 4, 7, 0, 0);
    ck_pos(d->children[1], 4, 10, 0, 0);
    e = conftree_get(root, "e");
    ck_pos(e, 6, 3, 5, 1);
    ck_pos(e->children[0], 6, 5, 0, 0);
    ck_pos(e->children[1], 7, 5, 0, 0);
    ck_pos(conftree_get(e->children[1], "g"), 7, 9, 7, 6);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_nested_maps_and_sequences_keep_kinds_and_order)
{
    struct conf_tree *tree = load(positions_yaml);
    const struct conf_node *root = tree->root;

    ck_assert_int_eq(root->kind, CONF_MAP);
    ck_assert_uint_eq(root->nchildren, 3);
    ck_assert_str_eq(root->children[0]->key, "a");
    ck_assert_str_eq(root->children[1]->key, "b");
    ck_assert_str_eq(root->children[2]->key, "e");
    ck_assert_int_eq(conftree_get(root, "b")->kind, CONF_MAP);
    const struct conf_node *d = conftree_get(conftree_get(root, "b"), "d");
    ck_assert_int_eq(d->kind, CONF_SEQ);
    ck_assert_uint_eq(d->nchildren, 2);
    ck_assert_str_eq(d->children[1]->value, "22");
    ck_assert_ptr_null(d->children[1]->key);
    const struct conf_node *e = conftree_get(root, "e");
    ck_assert_int_eq(e->children[0]->kind, CONF_SCALAR);
    ck_assert_int_eq(e->children[1]->kind, CONF_MAP);
    ck_assert_str_eq(conftree_get(e->children[1], "g")->value, "h");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_every_node_names_the_file)
{
    struct conf_tree *tree = load(positions_yaml);
    const struct conf_node *d =
        conftree_get(conftree_get(tree->root, "b"), "d");

    ck_assert_str_eq(tree->path, "t.yml");
    ck_assert_ptr_eq(tree->root->file, tree->path);
    ck_assert_ptr_eq(d->children[1]->file, tree->path);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_plain_flag_follows_quoting)
{
    struct conf_tree *tree = load("a: x\nb: 'x'\nc: \"x\"\nd: |\n  x\n");

    ck_assert(conftree_get(tree->root, "a")->plain);
    ck_assert(!conftree_get(tree->root, "b")->plain);
    ck_assert(!conftree_get(tree->root, "c")->plain);
    ck_assert(!conftree_get(tree->root, "d")->plain);
    ck_assert_str_eq(conftree_get(tree->root, "d")->value, "x\n");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_scalar_root_is_kept)
{
    struct conf_tree *tree = load("hello\n");
    ck_assert_int_eq(tree->root->kind, CONF_SCALAR);
    ck_assert_str_eq(tree->root->value, "hello");
    ck_pos(tree->root, 1, 1, 0, 0);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_get_finds_keys_only_in_mappings)
{
    struct conf_tree *tree = load("a: 1\nb: [x]\n");

    ck_assert_str_eq(conftree_get(tree->root, "a")->value, "1");
    ck_assert_ptr_null(conftree_get(tree->root, "c"));
    ck_assert_ptr_null(conftree_get(tree->root, "A"));
    ck_assert_ptr_null(conftree_get(conftree_get(tree->root, "b"), "x"));
    ck_assert_ptr_null(conftree_get(conftree_get(tree->root, "a"), "a"));
    ck_assert_ptr_null(conftree_get(NULL, "a"));
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_kind_names_for_messages)
{
    ck_assert_str_eq(conftree_kind_name(CONF_SCALAR), "scalar");
    ck_assert_str_eq(conftree_kind_name(CONF_MAP), "mapping");
    ck_assert_str_eq(conftree_kind_name(CONF_SEQ), "sequence");
}
END_TEST

START_TEST(test_destroy_accepts_null)
{
    conftree_destroy(NULL);
}
END_TEST

/* ---- nulls ---- */

static const char *const empty_documents[] = {
    "", "\n\n", "# only a comment\n", "---\n", "--- ~\n", "null\n",
};

START_TEST(test_empty_or_null_document_gives_null_root)
{
    struct conf_tree *tree = load(empty_documents[_i]);
    ck_assert_ptr_null(tree->root);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_null_spellings_are_null_when_plain)
{
    struct conf_tree *tree =
        load("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: \"\"\ng: 'null'\n"
             "h: nUll\ni: none\nj: 0\nk: []\nl: {}\n");
    const char *nulls = "abcde", *others = "fghijkl";

    for (const char *k = nulls; *k; k++) {
        char key[2] = {*k, '\0'};
        ck_assert_msg(conftree_is_null(conftree_get(tree->root, key)), "%s",
                      key);
    }
    for (const char *k = others; *k; k++) {
        char key[2] = {*k, '\0'};
        ck_assert_msg(!conftree_is_null(conftree_get(tree->root, key)), "%s",
                      key);
    }
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_missing_node_counts_as_null)
{
    ck_assert(conftree_is_null(NULL));
}
END_TEST

/* ---- structural errors ---- */

START_TEST(test_duplicate_key_reported_at_second_key)
{
    ck_load_fails("a: 1\nb: 2\na: 3\n", "t.yml:3:1: duplicate key \"a\"\n");
}
END_TEST

START_TEST(test_duplicate_key_in_nested_flow_mapping)
{
    ck_load_fails("top:\n  m: {x: 1, y: 2, x: 3}\n",
                  "t.yml:2:19: duplicate key \"x\"\n");
}
END_TEST

START_TEST(test_same_key_in_different_mappings_is_fine)
{
    struct conf_tree *tree =
        load("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_every_semantic_error_is_reported)
{
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_load_fails("a: 1\n"
                  "a: 2\n"
                  "b: ${LOGSHIP_TEST_UNSET}\n"
                  "c:\n"
                  "  d: 1\n"
                  "  d: 2\n"
                  "e: *nowhere\n",
                  "t.yml:2:1: duplicate key \"a\"\n"
                  "t.yml:3:4: ${LOGSHIP_TEST_UNSET} is not set\n"
                  "t.yml:6:3: duplicate key \"d\"\n"
                  "t.yml:7:4: undefined alias *nowhere\n");
}
END_TEST

START_TEST(test_sequence_key_is_an_error)
{
    ck_load_fails("? [a, b]\n: 1\n",
                  "t.yml:1:3: a key must be a scalar, not a sequence\n");
}
END_TEST

START_TEST(test_mapping_key_is_an_error)
{
    ck_load_fails("x: 1\n? {a: b}\n: 1\n",
                  "t.yml:2:3: a key must be a scalar, not a mapping\n");
}
END_TEST

START_TEST(test_syntax_error_gives_problem_context_and_position)
{
    ck_load_fails("a: [1, 2\nb: 3\n",
                  "t.yml:2:2: did not find expected ',' or ']' (while "
                  "parsing a flow sequence)\n");
}
END_TEST

START_TEST(test_syntax_error_for_bad_indentation)
{
    ck_load_fails("a:\n  b: 1\n c: 2\n",
                  "t.yml:3:2: did not find expected key (while parsing a "
                  "block mapping)\n");
}
END_TEST

START_TEST(test_syntax_error_for_tab_indentation)
{
    ck_load_fails("a:\n\tb: 1\n", "t.yml:2:1: found character that cannot "
                                  "start any token (while scanning for the "
                                  "next token)\n");
}
END_TEST

START_TEST(test_syntax_error_without_context)
{
    ck_load_fails("a: b: c\n",
                  "t.yml:1:5: mapping values are not allowed in this "
                  "context\n");
}
END_TEST

START_TEST(test_syntax_error_stops_after_first)
{
    ck_load_fails("a: 1\na: 2\nb: [\n",
                  "t.yml:2:1: duplicate key \"a\"\n"
                  "t.yml:4:1: did not find expected node content (while "
                  "parsing a flow node)\n");
}
END_TEST

START_TEST(test_second_document_is_an_error)
{
    ck_load_fails("a: 1\n---\nb: 2\n",
                  "t.yml:2:1: more than one YAML document\n");
}
END_TEST

START_TEST(test_invalid_utf8_is_reported_where_it_is)
{
    ck_load_fails("a: 1\nbé: x\xff\n",
                  "t.yml:2:6: invalid leading UTF-8 octet (#xFF)\n");
}
END_TEST

START_TEST(test_nul_escape_in_value_is_rejected)
{
    ck_load_fails("a: \"x\\0y\"\n", "t.yml:1:4: NUL characters not allowed\n");
}
END_TEST

START_TEST(test_nesting_is_bounded)
{
    char text[512];
    size_t n = 0;
    for (int i = 0; i < 70; i++)
        text[n++] = '[';
    for (int i = 0; i < 70; i++)
        text[n++] = ']';
    text[n] = '\0';
    ck_load_fails(text, "t.yml:1:65: nested deeper than 64 levels\n");
    text[64] = '\0';
    memset(text, '[', 64);
    memset(text + 64, ']', 64);
    text[128] = '\0';
    conftree_destroy(load(text));
}
END_TEST

/* ---- ${VAR} expansion ---- */

START_TEST(test_env_expands_in_plain_quoted_and_block_scalars)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    ck_value_eq("v: ${LOGSHIP_TEST_A}\n", "val");
    ck_value_eq("v: '${LOGSHIP_TEST_A}'\n", "val");
    ck_value_eq("v: \"${LOGSHIP_TEST_A}\"\n", "val");
    ck_value_eq("v: |\n  x ${LOGSHIP_TEST_A}\n", "x val\n");
    ck_value_eq("v: >\n  ${LOGSHIP_TEST_A}\n", "val\n");
}
END_TEST

START_TEST(test_env_expands_inside_text_and_repeatedly)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    setenv("LOGSHIP_TEST_B", "other", 1);
    ck_value_eq("v: pre-${LOGSHIP_TEST_A}-post\n", "pre-val-post");
    ck_value_eq("v: ${LOGSHIP_TEST_A}${LOGSHIP_TEST_B}${LOGSHIP_TEST_A}\n",
                "valotherval");
    ck_value_eq("v: http://${LOGSHIP_TEST_A}:9200/\n", "http://val:9200/");
}
END_TEST

START_TEST(test_env_expands_in_sequence_items)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    struct conf_tree *tree =
        load("- ${LOGSHIP_TEST_A}\n- \"${LOGSHIP_TEST_A}\"\n");
    ck_assert_str_eq(tree->root->children[0]->value, "val");
    ck_assert_str_eq(tree->root->children[1]->value, "val");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_env_default_used_when_unset)
{
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_value_eq("v: ${LOGSHIP_TEST_UNSET:-fallback}\n", "fallback");
    ck_value_eq("v: \"${LOGSHIP_TEST_UNSET:-a b:c}\"\n", "a b:c");
    ck_value_eq("v: x${LOGSHIP_TEST_UNSET:-}y\n", "xy");
}
END_TEST

START_TEST(test_env_default_used_when_empty)
{
    setenv("LOGSHIP_TEST_EMPTY", "", 1);
    ck_value_eq("v: ${LOGSHIP_TEST_EMPTY:-fallback}\n", "fallback");
}
END_TEST

START_TEST(test_env_default_ignored_when_set)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    ck_value_eq("v: ${LOGSHIP_TEST_A:-fallback}\n", "val");
}
END_TEST

START_TEST(test_env_empty_without_default_is_empty)
{
    setenv("LOGSHIP_TEST_EMPTY", "", 1);
    ck_value_eq("v: a${LOGSHIP_TEST_EMPTY}b\n", "ab");
    ck_value_eq("v: ${LOGSHIP_TEST_EMPTY}\n", "");
}
END_TEST

START_TEST(test_env_default_may_hold_variables)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_value_eq("v: ${LOGSHIP_TEST_UNSET:-${LOGSHIP_TEST_A}}\n", "val");
    ck_value_eq("v: ${LOGSHIP_TEST_UNSET:-x${LOGSHIP_TEST_UNSET:-y}z}\n",
                "xyz");
    ck_value_eq("v: ${LOGSHIP_TEST_UNSET:-a$${b}c}\n", "a${b}c");
}
END_TEST

START_TEST(test_env_closing_brace_ends_at_first_match)
{
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_value_eq("v: ${LOGSHIP_TEST_UNSET:-a}b}\n", "ab}");
}
END_TEST

START_TEST(test_env_double_dollar_brace_is_literal)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    ck_value_eq("v: $${LOGSHIP_TEST_A}\n", "${LOGSHIP_TEST_A}");
    ck_value_eq("v: '$${'\n", "${");
    ck_value_eq("v: a$${b}${LOGSHIP_TEST_A}\n", "a${b}val");
}
END_TEST

START_TEST(test_env_lone_dollar_is_literal)
{
    ck_value_eq("v: '^GET (\\S+)$'\n", "^GET (\\S+)$");
    ck_value_eq("v: $\n", "$");
    ck_value_eq("v: $HOME\n", "$HOME");
    ck_value_eq("v: a$$b\n", "a$$b");
    ck_value_eq("v: 5$ $}\n", "5$ $}");
}
END_TEST

START_TEST(test_env_not_expanded_in_keys)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    struct conf_tree *tree = load("${LOGSHIP_TEST_A}: x\n");
    ck_assert_str_eq(tree->root->children[0]->key, "${LOGSHIP_TEST_A}");
    ck_assert_str_eq(tree->root->children[0]->value, "x");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_env_expanded_value_is_never_null)
{
    setenv("LOGSHIP_TEST_EMPTY", "", 1);
    setenv("LOGSHIP_TEST_NULL", "null", 1);
    struct conf_tree *tree =
        load("a: ${LOGSHIP_TEST_EMPTY}\nb: ${LOGSHIP_TEST_NULL}\nc: $${x}\n");
    const struct conf_node *a = conftree_get(tree->root, "a");
    ck_assert_str_eq(a->value, "");
    ck_assert(!a->plain);
    ck_assert(!conftree_is_null(a));
    ck_assert(!conftree_is_null(conftree_get(tree->root, "b")));
    ck_assert(conftree_get(tree->root, "c")->plain);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_env_unset_without_default_is_an_error)
{
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_load_fails("a: 1\nb: x-${LOGSHIP_TEST_UNSET}\n",
                  "t.yml:2:4: ${LOGSHIP_TEST_UNSET} is not set\n");
    ck_load_fails("a: \"${LOGSHIP_TEST_UNSET:-${LOGSHIP_TEST_UNSET}}\"\n",
                  "t.yml:1:4: ${LOGSHIP_TEST_UNSET} is not set\n");
}
END_TEST

START_TEST(test_env_unterminated_is_an_error)
{
    ck_load_fails("a: ${LOGSHIP_TEST_A\n",
                  "t.yml:1:4: unterminated \"${\": missing \"}\"\n");
    ck_load_fails("a: \"${X:-${Y}\"\n",
                  "t.yml:1:4: unterminated \"${\": missing \"}\"\n");
    ck_load_fails("a: ${\n", "t.yml:1:4: unterminated \"${\": missing \"}\"\n");
}
END_TEST

START_TEST(test_env_bad_names_are_errors)
{
    ck_load_fails("a: ${}\n", "t.yml:1:4: bad substitution \"${}\"\n");
    ck_load_fails("a: ${1X}\n", "t.yml:1:4: bad substitution \"${1X}\"\n");
    ck_load_fails("a: ${A B}\n", "t.yml:1:4: bad substitution \"${A B}\"\n");
    ck_load_fails("a: ${A-b}\n", "t.yml:1:4: bad substitution \"${A-b}\"\n");
    ck_load_fails("a: ${A:=b}\n", "t.yml:1:4: bad substitution \"${A:=b}\"\n");
}
END_TEST

START_TEST(test_env_errors_point_at_each_value)
{
    unsetenv("LOGSHIP_TEST_UNSET");
    ck_load_fails("list:\n  - ok\n  - ${LOGSHIP_TEST_UNSET}\n  - "
                  "\"${LOGSHIP_TEST_UNSET}\"\n",
                  "t.yml:3:5: ${LOGSHIP_TEST_UNSET} is not set\n"
                  "t.yml:4:5: ${LOGSHIP_TEST_UNSET} is not set\n");
}
END_TEST

/* ---- anchors and aliases ---- */

START_TEST(test_alias_is_a_copy_of_the_anchored_node)
{
    struct conf_tree *tree =
        load("base: &b {x: 1, y: [2]}\none: *b\ntwo:\n  - *b\n");
    const struct conf_node *one = conftree_get(tree->root, "one");
    const struct conf_node *base = conftree_get(tree->root, "base");

    ck_assert_int_eq(one->kind, CONF_MAP);
    ck_assert_ptr_ne(one, base);
    ck_assert_str_eq(one->key, "one");
    ck_assert_uint_eq(one->key_line, 2);
    ck_assert_str_eq(conftree_get(one, "x")->value, "1");
    ck_assert_str_eq(conftree_get(one, "y")->children[0]->value, "2");
    ck_pos(conftree_get(one, "x"), 1, 14, 1, 11);
    const struct conf_node *item = conftree_get(tree->root, "two")->children[0];
    ck_assert_ptr_null(item->key);
    ck_assert_str_eq(conftree_get(item, "x")->value, "1");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_alias_of_expanded_scalar_and_as_key)
{
    setenv("LOGSHIP_TEST_A", "val", 1);
    struct conf_tree *tree =
        load("a: &s \"${LOGSHIP_TEST_A}\"\nb: *s\n*s : 5\n");
    ck_assert_str_eq(conftree_get(tree->root, "b")->value, "val");
    ck_assert_str_eq(conftree_get(tree->root, "val")->value, "5");
    ck_pos(conftree_get(tree->root, "val"), 3, 6, 3, 1);
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_anchor_redefined_uses_the_latest)
{
    struct conf_tree *tree = load("a: &x 1\nb: &x 2\nc: *x\n");
    ck_assert_str_eq(conftree_get(tree->root, "c")->value, "2");
    conftree_destroy(tree);
}
END_TEST

START_TEST(test_alias_undefined_is_an_error)
{
    ck_load_fails("a: *x\nb: &x 1\n", "t.yml:1:4: undefined alias *x\n");
}
END_TEST

START_TEST(test_alias_inside_its_anchor_is_an_error)
{
    ck_load_fails("a: &r\n  b: [*r]\n",
                  "t.yml:2:7: alias *r is inside the node it refers to\n");
}
END_TEST

START_TEST(test_alias_expansion_is_bounded)
{
    char text[2048];
    size_t n =
        (size_t)snprintf(text, sizeof(text),
                         "a: &a [\"xxxxxxxxxxxxxxxx\", 1, 2, 3, 4, 5, 6, "
                         "7, 8, 9]\n");
    for (char c = 'b'; c <= 'h'; c++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%c: &%c [", c, c);
        for (int i = 0; i < 10; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s*%c",
                                  i ? ", " : "", c - 1);
        n += (size_t)snprintf(text + n, sizeof(text) - n, "]\n");
    }
    char *errors = load_errors(text);
    ck_assert_msg(strstr(errors, "aliases expand to more than 4 MiB\n"), "%s",
                  errors);
    ck_assert_ptr_eq(strchr(errors, '\n'), errors + strlen(errors) - 1);
    free(errors);
}
END_TEST

/* ---- files ---- */

static char *
write_temp(const char *text)
{
    char *path = xstrdup("/tmp/check_conftree.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(test_load_file_names_the_file_in_nodes_and_errors)
{
    char *path = write_temp("a: 1\n");
    struct errlist errs = {0};
    struct conf_tree *tree = conftree_load_file(path, &errs);
    ck_assert_ptr_nonnull(tree);
    ck_assert_str_eq(tree->path, path);
    ck_assert_str_eq(tree->root->file, path);
    conftree_destroy(tree);
    unlink(path);
    free(path);

    path = write_temp("a: 1\na: 2\n");
    ck_assert_ptr_null(conftree_load_file(path, &errs));
    ck_assert_uint_eq(errs.count, 1);
    char *expected = xasprintf("%s:2:1: duplicate key \"a\"", path);
    ck_assert_str_eq(errs.msgs[0], expected);
    free(expected);
    errlist_fini(&errs);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_load_file_empty_gives_null_root)
{
    char *path = write_temp("");
    struct errlist errs = {0};
    struct conf_tree *tree = conftree_load_file(path, &errs);
    ck_assert_ptr_nonnull(tree);
    ck_assert_ptr_null(tree->root);
    ck_assert_uint_eq(errs.count, 0);
    conftree_destroy(tree);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_load_file_reads_large_files)
{
    size_t count = 20000; /* well past one read(2) of 64KiB */
    struct buf text;
    buf_init(&text, 0);
    ck_assert_int_eq(buf_append_str(&text, "items:\n"), 0);
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq(buf_printf(&text, "  - item%zu\n", i), 0);
    char *path = write_temp(text.data);
    struct errlist errs = {0};
    struct conf_tree *tree = conftree_load_file(path, &errs);
    ck_assert_ptr_nonnull(tree);
    const struct conf_node *items = conftree_get(tree->root, "items");
    ck_assert_uint_eq(items->nchildren, count);
    ck_assert_str_eq(items->children[count - 1]->value, "item19999");
    ck_assert_uint_eq(items->children[count - 1]->line, count + 1);
    conftree_destroy(tree);
    unlink(path);
    free(path);
    buf_fini(&text);
}
END_TEST

START_TEST(test_load_file_too_large_is_refused)
{
    char *path = write_temp("");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), (16 << 20) + 1), 0);
    fclose(f);
    struct errlist errs = {0};
    ck_assert_ptr_null(conftree_load_file(path, &errs));
    ck_assert_uint_eq(errs.count, 1);
    char *expected = xasprintf("%s: File too large", path);
    ck_assert_str_eq(errs.msgs[0], expected);
    free(expected);
    errlist_fini(&errs);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_load_file_missing_gives_strerror)
{
    struct errlist errs = {0};
    ck_assert_ptr_null(conftree_load_file("/nonexistent/x.yml", &errs));
    ck_assert_uint_eq(errs.count, 1);
    ck_assert_str_eq(errs.msgs[0],
                     "/nonexistent/x.yml: No such file or directory");
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_load_file_directory_gives_strerror)
{
    struct errlist errs = {0};
    ck_assert_ptr_null(conftree_load_file("/tmp", &errs));
    ck_assert_uint_eq(errs.count, 1);
    ck_assert_str_eq(errs.msgs[0], "/tmp: Is a directory");
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_errors_are_appended_to_existing_list)
{
    struct errlist errs = {0};
    errlist_add(&errs, "earlier");
    ck_assert_ptr_null(conftree_load_string("x.yml", "a: [", 4, &errs));
    ck_assert_uint_eq(errs.count, 2);
    ck_assert_str_eq(errs.msgs[0], "earlier");
    ck_assert_str_eq(errs.msgs[1], "x.yml:2:1: did not find expected node "
                                   "content (while parsing a flow node)");
    errlist_fini(&errs);
}
END_TEST

static Suite *
conftree_suite(void)
{
    Suite *s = suite_create("conftree");
    TCase *tc = tcase_create("tree");
    tcase_add_test(tc, test_positions_of_values_are_one_based);
    tcase_add_test(tc, test_nested_maps_and_sequences_keep_kinds_and_order);
    tcase_add_test(tc, test_every_node_names_the_file);
    tcase_add_test(tc, test_plain_flag_follows_quoting);
    tcase_add_test(tc, test_scalar_root_is_kept);
    tcase_add_test(tc, test_get_finds_keys_only_in_mappings);
    tcase_add_test(tc, test_kind_names_for_messages);
    tcase_add_test(tc, test_destroy_accepts_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("nulls");
    tcase_add_loop_test(tc, test_empty_or_null_document_gives_null_root, 0,
                        sizeof(empty_documents) / sizeof(*empty_documents));
    tcase_add_test(tc, test_null_spellings_are_null_when_plain);
    tcase_add_test(tc, test_missing_node_counts_as_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_duplicate_key_reported_at_second_key);
    tcase_add_test(tc, test_duplicate_key_in_nested_flow_mapping);
    tcase_add_test(tc, test_same_key_in_different_mappings_is_fine);
    tcase_add_test(tc, test_every_semantic_error_is_reported);
    tcase_add_test(tc, test_sequence_key_is_an_error);
    tcase_add_test(tc, test_mapping_key_is_an_error);
    tcase_add_test(tc, test_syntax_error_gives_problem_context_and_position);
    tcase_add_test(tc, test_syntax_error_for_bad_indentation);
    tcase_add_test(tc, test_syntax_error_for_tab_indentation);
    tcase_add_test(tc, test_syntax_error_without_context);
    tcase_add_test(tc, test_syntax_error_stops_after_first);
    tcase_add_test(tc, test_second_document_is_an_error);
    tcase_add_test(tc, test_invalid_utf8_is_reported_where_it_is);
    tcase_add_test(tc, test_nul_escape_in_value_is_rejected);
    tcase_add_test(tc, test_nesting_is_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("env");
    tcase_add_test(tc, test_env_expands_in_plain_quoted_and_block_scalars);
    tcase_add_test(tc, test_env_expands_inside_text_and_repeatedly);
    tcase_add_test(tc, test_env_expands_in_sequence_items);
    tcase_add_test(tc, test_env_default_used_when_unset);
    tcase_add_test(tc, test_env_default_used_when_empty);
    tcase_add_test(tc, test_env_default_ignored_when_set);
    tcase_add_test(tc, test_env_empty_without_default_is_empty);
    tcase_add_test(tc, test_env_default_may_hold_variables);
    tcase_add_test(tc, test_env_closing_brace_ends_at_first_match);
    tcase_add_test(tc, test_env_double_dollar_brace_is_literal);
    tcase_add_test(tc, test_env_lone_dollar_is_literal);
    tcase_add_test(tc, test_env_not_expanded_in_keys);
    tcase_add_test(tc, test_env_expanded_value_is_never_null);
    tcase_add_test(tc, test_env_unset_without_default_is_an_error);
    tcase_add_test(tc, test_env_unterminated_is_an_error);
    tcase_add_test(tc, test_env_bad_names_are_errors);
    tcase_add_test(tc, test_env_errors_point_at_each_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("aliases");
    tcase_add_test(tc, test_alias_is_a_copy_of_the_anchored_node);
    tcase_add_test(tc, test_alias_of_expanded_scalar_and_as_key);
    tcase_add_test(tc, test_anchor_redefined_uses_the_latest);
    tcase_add_test(tc, test_alias_undefined_is_an_error);
    tcase_add_test(tc, test_alias_inside_its_anchor_is_an_error);
    tcase_add_test(tc, test_alias_expansion_is_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_load_file_names_the_file_in_nodes_and_errors);
    tcase_add_test(tc, test_load_file_empty_gives_null_root);
    tcase_add_test(tc, test_load_file_reads_large_files);
    tcase_add_test(tc, test_load_file_too_large_is_refused);
    tcase_add_test(tc, test_load_file_missing_gives_strerror);
    tcase_add_test(tc, test_load_file_directory_gives_strerror);
    tcase_add_test(tc, test_errors_are_appended_to_existing_list);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(conftree_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
