/*
 * Unit tests for options.c: the size, duration and boolean parsers (tables
 * of good and bad input), binding and freeing every option type (run under
 * ASan to catch leaks), defaults, key paths, "did you mean", exact error
 * messages, several errors from one bind, the Markdown reference, and the
 * broken configs in tests/data/config (each *.yml against its *.expected).
 */
#include "config.h"

#include "options.h"

#include "buf.h"
#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a schema shaped like logship's own ---- */

static const char *const level_names[] = {"error", "warn", "info", "debug",
                                          NULL};
static const char *const action_names[] = {"keep", "tag", "drop", NULL};

/* OPT_CUSTOM example: blank-separated words. */
struct words {
    char **items; /* owned, each owned */
    size_t count;
};

static int words_binds, words_finis;

static int
words_bind(const struct opt *opt, const struct conf_node *node, void *dst,
           const struct opt_ctx *ctx)
{
    struct words *w = dst;

    words_binds++;
    ck_assert_ptr_nonnull(node);
    if (node->kind != CONF_SCALAR)
        return options_error(ctx, node, opt->name, "expected words, got a %s",
                             conftree_kind_name(node->kind));
    for (const char *p = node->value; *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            w->items = xrealloc(w->items, (w->count + 1) * sizeof(*w->items));
            w->items[w->count++] = xstrndup(p, len);
        }
        p += len + (p[len] == ' ');
    }
    return 0;
}

static void
words_fini(void *dst)
{
    struct words *w = dst;
    words_finis++;
    for (size_t i = 0; i < w->count; i++)
        free(w->items[i]);
    free(w->items);
    w->items = NULL;
    w->count = 0;
}

static const struct opt_custom words_custom = {
    .bind = words_bind,
    .fini = words_fini,
    .type_name = "words",
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

static const struct opt batch_options[] = {
    {.name = "max_bytes",
     .type = OPT_SIZE,
     .def = "5MiB",
     .offset = offsetof(struct t_batch, max_bytes),
     .help = "flush a batch at this size",
     .min = 1024,
     .max = 1 << 30},
    {.name = "flush",
     .type = OPT_DURATION,
     .def = "1s",
     .offset = offsetof(struct t_batch, flush_ms),
     .help = "flush a batch at least this often"},
    {0},
};

static const struct opt input_options[] = {
    {.name = "paths",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_input, paths),
     .help = "globs of the files to read",
     .flags = OPT_REQUIRED},
    {.name = "exclude",
     .type = OPT_STRLIST,
     .def = "['*.gz', '*.zip']",
     .offset = offsetof(struct t_input, exclude),
     .help = "globs to skip"},
    {.name = "max_line_bytes",
     .type = OPT_SIZE,
     .def = "1MiB",
     .offset = offsetof(struct t_input, max_line_bytes),
     .help = "longer lines are cut",
     .min = 1024,
     .max = 64 << 20},
    {.name = "close_inactive",
     .type = OPT_DURATION,
     .def = "5m",
     .offset = offsetof(struct t_input, close_inactive_ms),
     .help = "close files idle this long",
     .min = 1000,
     .max = 86400000},
    {.name = "fields",
     .type = OPT_STRMAP,
     .offset = offsetof(struct t_input, fields),
     .help = "fields added to every event"},
    {.name = "on_no_match",
     .type = OPT_ENUM,
     .def = "keep",
     .offset = offsetof(struct t_input, on_no_match),
     .help = "what to do with lines no parser matched",
     .names = action_names},
    {.name = "multiline",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct t_input, multiline),
     .help = "join indented lines"},
    {0},
};

static const struct opt output_options[] = {
    {.name = "hosts",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_output, hosts),
     .help = "Elasticsearch URLs",
     .flags = OPT_REQUIRED},
    {.name = "user",
     .type = OPT_STRING,
     .offset = offsetof(struct t_output, user),
     .help = "basic auth user"},
    {.name = "password",
     .type = OPT_STRING,
     .def = "changeme",
     .offset = offsetof(struct t_output, password),
     .help = "basic auth password",
     .flags = OPT_SECRET},
    {.name = "gzip",
     .type = OPT_BOOL,
     .def = "yes",
     .offset = offsetof(struct t_output, gzip),
     .help = "compress request bodies"},
    {.name = "workers",
     .type = OPT_INT,
     .def = "2",
     .offset = offsetof(struct t_output, workers),
     .help = "parallel bulk requests",
     .min = 1,
     .max = 64},
    {.name = "batch",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_output, batch),
     .help = "batching limits",
     .sub = batch_options},
    {0},
};

static const struct opt conf_options[] = {
    {.name = "inputs",
     .type = OPT_SECTION_LIST,
     .offset = offsetof(struct t_conf, inputs),
     .help = "files to ship",
     .flags = OPT_REQUIRED,
     .sub = input_options,
     .sub_size = sizeof(struct t_input)},
    {.name = "output",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_conf, output),
     .help = "where events go",
     .sub = output_options},
    {.name = "log_level",
     .type = OPT_ENUM,
     .def = "info",
     .offset = offsetof(struct t_conf, log_level),
     .names = level_names},
    {.name = "tags",
     .type = OPT_CUSTOM,
     .def = "none",
     .offset = offsetof(struct t_conf, tags),
     .help = "tags for every event",
     .custom = &words_custom},
    {0},
};

/* ---- helpers ---- */

struct bound {
    struct conf_tree *tree; /* owned */
    struct errlist errs;
    size_t nerrs; /* what options_bind returned */
};

/* Loads text (which must be valid YAML) and binds it into dst. */
static void
bind_text(struct bound *b, const struct opt *table, const char *text, void *dst)
{
    memset(b, 0, sizeof(*b));
    b->tree = conftree_load_string("t.yml", text, strlen(text), &b->errs);
    ck_assert_msg(b->tree != NULL, "%s", b->errs.count ? b->errs.msgs[0] : "");
    struct opt_ctx ctx = {.errs = &b->errs, .file = b->tree->path};
    b->nerrs = options_bind(table, b->tree->root, dst, &ctx);
    ck_assert_uint_eq(b->nerrs, b->errs.count);
}

/* All messages, one per line (owned). */
static char *
joined(const struct errlist *errs)
{
    struct buf out;
    buf_init(&out, 0);
    (void)buf_append_str(&out, "");
    for (size_t i = 0; i < errs->count; i++)
        (void)buf_printf(&out, "%s\n", errs->msgs[i]);
    return out.data;
}

static void
bound_fini(struct bound *b)
{
    conftree_destroy(b->tree);
    errlist_fini(&b->errs);
}

/* Binds text against table into a zeroed dst of size bytes; frees all. */
static char *
bind_errors(const struct opt *table, size_t size, const char *text)
{
    struct bound b;
    void *dst = xcalloc(1, size);
    bind_text(&b, table, text, dst);
    char *all = joined(&b.errs);
    options_fini(table, dst);
    free(dst);
    bound_fini(&b);
    return all;
}

#define ck_bind_fails(table, type, text, expected)                             \
    do {                                                                       \
        char *got_ = bind_errors(table, sizeof(type), text);                   \
        ck_assert_str_eq(got_, expected);                                      \
        free(got_);                                                            \
    } while (0)

#define ck_conf_fails(text, expected)                                          \
    ck_bind_fails(conf_options, struct t_conf, text, expected)

static const char minimal_conf[] = "inputs: [{paths: /var/log/*.log}]\n"
                                   "output: {hosts: http://es:9200}\n";

/* ---- parsers ---- */

static const struct {
    const char *text;
    uint64_t bytes;
} good_sizes[] = {
    {"0", 0},
    {"100", 100},
    {"1B", 1},
    {"1KB", 1000},
    {"1kb", 1000},
    {"512 KB", 512000},
    {"2MB", 2000000},
    {"3GB", 3000000000ULL},
    {"1TB", 1000000000000ULL},
    {"1KiB", 1024},
    {"5MiB", 5 << 20},
    {"5mib", 5 << 20},
    {"5 MiB", 5 << 20},
    {"1GiB", 1 << 30},
    {"2TiB", 2ULL << 40},
    {"007", 7},
    {"18446744073709551615", UINT64_MAX},
    {"16777215TiB", 16777215ULL << 40},
};

START_TEST(test_parse_size_accepts)
{
    uint64_t bytes = 42;
    ck_assert_msg(options_parse_size(good_sizes[_i].text, &bytes) == 0, "%s",
                  good_sizes[_i].text);
    ck_assert_uint_eq(bytes, good_sizes[_i].bytes);
}
END_TEST

static const char *const bad_sizes[] = {
    "",
    "-1",
    "+1",
    "-5MiB",
    "1.5MiB",
    "0.5KB",
    "5 apples",
    "MiB",
    " 5",
    "5 ",
    "5MiBs",
    "5Mi",
    "1K",
    "1M",
    "0x10",
    "1e3",
    "1,000",
    "18446744073709551616",
    "16777216TiB",
    "18446744073709551615KB",
};

START_TEST(test_parse_size_rejects)
{
    uint64_t bytes = 42;
    ck_assert_msg(options_parse_size(bad_sizes[_i], &bytes) == -EINVAL,
                  "\"%s\"", bad_sizes[_i]);
    ck_assert_uint_eq(bytes, 42);
}
END_TEST

static const struct {
    const char *text;
    int64_t ms;
} good_durations[] = {
    {"0", 0},
    {"30", 30000},
    {"0ms", 0},
    {"500ms", 500},
    {"2s", 2000},
    {"10 s", 10000},
    {"1m", 60000},
    {"1h", 3600000},
    {"7d", 604800000},
    {"9223372036854775807ms", INT64_MAX},
    {"106751991167d", 106751991167LL * 86400000},
};

START_TEST(test_parse_duration_accepts)
{
    int64_t ms = 42;
    ck_assert_msg(options_parse_duration(good_durations[_i].text, &ms) == 0,
                  "%s", good_durations[_i].text);
    ck_assert_int_eq(ms, good_durations[_i].ms);
}
END_TEST

static const char *const bad_durations[] = {
    "",
    "-1",
    "-1s",
    "+1s",
    "1.5s",
    "1S",
    "1H",
    "1w",
    "1us",
    "s",
    "1 ",
    "1h30m",
    "9223372036854775808ms",
    "9223372036854775807s",
    "106751991168d",
};

START_TEST(test_parse_duration_rejects)
{
    int64_t ms = 42;
    ck_assert_msg(options_parse_duration(bad_durations[_i], &ms) == -EINVAL,
                  "\"%s\"", bad_durations[_i]);
    ck_assert_int_eq(ms, 42);
}
END_TEST

static const struct {
    const char *text;
    bool value;
} good_bools[] = {
    {"true", true},   {"TRUE", true}, {"True", true}, {"yes", true},
    {"Yes", true},    {"on", true},   {"ON", true},   {"false", false},
    {"False", false}, {"no", false},  {"NO", false},  {"off", false},
    {"Off", false},
};

START_TEST(test_parse_bool_accepts)
{
    bool value = !good_bools[_i].value;
    ck_assert_msg(options_parse_bool(good_bools[_i].text, &value) == 0, "%s",
                  good_bools[_i].text);
    ck_assert(value == good_bools[_i].value);
}
END_TEST

static const char *const bad_bools[] = {
    "", "1", "0", "y", "n", "t", "f", "truee", " true", "true ", "enable", "~",
};

START_TEST(test_parse_bool_rejects)
{
    bool value = true;
    ck_assert_msg(options_parse_bool(bad_bools[_i], &value) == -EINVAL,
                  "\"%s\"", bad_bools[_i]);
    ck_assert(value);
}
END_TEST

/* ---- binding every type ---- */

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

static const struct opt all_options[] = {
    {.name = "s", .type = OPT_STRING, .offset = offsetof(struct t_all, s)},
    {.name = "i", .type = OPT_INT, .offset = offsetof(struct t_all, i)},
    {.name = "b", .type = OPT_BOOL, .offset = offsetof(struct t_all, b)},
    {.name = "size", .type = OPT_SIZE, .offset = offsetof(struct t_all, size)},
    {.name = "dur",
     .type = OPT_DURATION,
     .offset = offsetof(struct t_all, dur)},
    {.name = "e",
     .type = OPT_ENUM,
     .offset = offsetof(struct t_all, e),
     .names = action_names},
    {.name = "list",
     .type = OPT_STRLIST,
     .offset = offsetof(struct t_all, list)},
    {.name = "map", .type = OPT_STRMAP, .offset = offsetof(struct t_all, map)},
    {.name = "sec",
     .type = OPT_SECTION,
     .offset = offsetof(struct t_all, sec),
     .sub = batch_options},
    {.name = "items",
     .type = OPT_SECTION_LIST,
     .offset = offsetof(struct t_all, items),
     .sub = batch_options,
     .sub_size = sizeof(struct t_batch)},
    {.name = "w",
     .type = OPT_CUSTOM,
     .offset = offsetof(struct t_all, w),
     .custom = &words_custom},
    {0},
};

static const char all_yaml[] = "s: hello\n"
                               "i: -42\n"
                               "b: on\n"
                               "size: 512KiB\n"
                               "dur: 250ms\n"
                               "e: drop\n"
                               "list: [a, 'b', \"c\"]\n"
                               "map: {k: v, n: {x: 1, y: {z: 2}}}\n"
                               "sec: {max_bytes: 2KiB}\n"
                               "items:\n"
                               "  - {flush: 3s}\n"
                               "  - {}\n"
                               "w: one two  three\n";

START_TEST(test_bind_every_type)
{
    struct t_all all = {0};
    struct bound b;

    bind_text(&b, all_options, all_yaml, &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_str_eq(all.s, "hello");
    ck_assert_int_eq(all.i, -42);
    ck_assert(all.b);
    ck_assert_uint_eq(all.size, 512 * 1024);
    ck_assert_int_eq(all.dur, 250);
    ck_assert_int_eq(all.e, 2);
    ck_assert_uint_eq(all.list.count, 3);
    ck_assert_str_eq(all.list.items[0], "a");
    ck_assert_str_eq(all.list.items[1], "b");
    ck_assert_str_eq(all.list.items[2], "c");
    ck_assert_uint_eq(all.map.count, 3);
    ck_assert_str_eq(all.map.keys[0], "k");
    ck_assert_str_eq(all.map.values[0], "v");
    ck_assert_str_eq(all.map.keys[1], "n.x");
    ck_assert_str_eq(all.map.values[1], "1");
    ck_assert_str_eq(all.map.keys[2], "n.y.z");
    ck_assert_str_eq(all.map.values[2], "2");
    ck_assert_uint_eq(all.sec.max_bytes, 2048);
    ck_assert_int_eq(all.sec.flush_ms, 1000);
    ck_assert_uint_eq(all.items.count, 2);
    const struct t_batch *items = all.items.items;
    ck_assert_int_eq(items[0].flush_ms, 3000);
    ck_assert_uint_eq(items[0].max_bytes, 5 << 20);
    ck_assert_int_eq(items[1].flush_ms, 1000);
    ck_assert_uint_eq(all.w.count, 3);
    ck_assert_str_eq(all.w.items[2], "three");
    options_fini(all_options, &all);
    ck_assert_ptr_null(all.s);
    ck_assert_ptr_null(all.list.items);
    ck_assert_ptr_null(all.map.keys);
    ck_assert_ptr_null(all.items.items);
    ck_assert_ptr_null(all.w.items);
    ck_assert_int_eq(words_finis, 1);
    bound_fini(&b);
}
END_TEST

START_TEST(test_bind_leaves_zero_for_absent_without_default)
{
    struct t_all all = {0};
    struct bound b;

    bind_text(&b, all_options, "{}", &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_ptr_null(all.s);
    ck_assert_int_eq(all.i, 0);
    ck_assert(!all.b);
    ck_assert_int_eq(all.e, 0);
    ck_assert_uint_eq(all.list.count, 0);
    ck_assert_uint_eq(all.map.count, 0);
    ck_assert_uint_eq(all.items.count, 0);
    ck_assert_uint_eq(all.sec.max_bytes, 5 << 20);
    ck_assert_uint_eq(all.w.count, 0);
    ck_assert_int_eq(words_binds, 0); /* absent: custom bind not called */
    options_fini(all_options, &all);
    bound_fini(&b);
}
END_TEST

static void
check_defaults(const struct t_conf *c)
{
    ck_assert_int_eq(c->log_level, 2);
    ck_assert_ptr_null(c->output.user);
    ck_assert_str_eq(c->output.password, "changeme");
    ck_assert(c->output.gzip);
    ck_assert_int_eq(c->output.workers, 2);
    ck_assert_uint_eq(c->output.batch.max_bytes, 5 << 20);
    ck_assert_int_eq(c->output.batch.flush_ms, 1000);
    ck_assert_uint_eq(c->tags.count, 0);
}

START_TEST(test_defaults_applied_when_absent)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options, minimal_conf, &c);
    ck_assert_uint_eq(b.nerrs, 0);
    check_defaults(&c);
    const struct t_input *in = c.inputs.items;
    ck_assert_uint_eq(c.inputs.count, 1);
    ck_assert_str_eq(in->paths.items[0], "/var/log/*.log");
    ck_assert_uint_eq(in->exclude.count, 2);
    ck_assert_str_eq(in->exclude.items[1], "*.zip");
    ck_assert_uint_eq(in->max_line_bytes, 1 << 20);
    ck_assert_int_eq(in->close_inactive_ms, 300000);
    ck_assert_int_eq(in->on_no_match, 0);
    ck_assert(!in->multiline);
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

START_TEST(test_null_value_counts_as_absent)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options,
              "inputs: [{paths: x, exclude: ~, max_line_bytes: }]\n"
              "output:\n  hosts: h\n  gzip:\n  workers: null\n  batch:\n"
              "log_level: ~\ntags:\n",
              &c);
    ck_assert_uint_eq(b.nerrs, 0);
    check_defaults(&c);
    ck_assert_int_eq(words_binds, 0);
    const struct t_input *in = c.inputs.items;
    ck_assert_uint_eq(in->exclude.count, 2);
    ck_assert_uint_eq(in->max_line_bytes, 1 << 20);
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

START_TEST(test_options_defaults_match_binding_nothing)
{
    struct t_conf c = {0};
    options_defaults(conf_options, &c);
    check_defaults(&c);
    ck_assert_uint_eq(c.inputs.count, 0);
    ck_assert_uint_eq(c.output.hosts.count, 0);
    options_fini(conf_options, &c);
}
END_TEST

START_TEST(test_string_takes_any_scalar)
{
    struct t_all all = {0};
    struct bound b;

    bind_text(&b, all_options, "s: 5\nb: \"true\"\ni: '7'\nsize: \"1KB\"\n",
              &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_str_eq(all.s, "5");
    ck_assert(all.b);
    ck_assert_int_eq(all.i, 7);
    ck_assert_uint_eq(all.size, 1000);
    options_fini(all_options, &all);
    bound_fini(&b);
}
END_TEST

START_TEST(test_strlist_takes_one_scalar)
{
    struct t_all all = {0};
    struct bound b;

    bind_text(&b, all_options, "list: /var/log/*.log\n", &all);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(all.list.count, 1);
    ck_assert_str_eq(all.list.items[0], "/var/log/*.log");
    options_fini(all_options, &all);
    bound_fini(&b);
}
END_TEST

START_TEST(test_strlist_empty_sequence_is_empty)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options,
              "inputs: [{paths: x, exclude: []}]\noutput: {hosts: h}\n", &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(((struct t_input *)c.inputs.items)->exclude.count, 0);
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

START_TEST(test_section_list_empty_sequence_is_present)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options, "inputs: []\noutput: {hosts: h}\n", &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_uint_eq(c.inputs.count, 0);
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

START_TEST(test_custom_bind_gets_node_and_fini_runs)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options, "inputs: []\noutput: {hosts: h}\ntags: a b\n",
              &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_int_eq(words_binds, 1);
    ck_assert_uint_eq(c.tags.count, 2);
    ck_assert_str_eq(c.tags.items[1], "b");
    options_fini(conf_options, &c);
    ck_assert_int_eq(words_finis, 1);
    bound_fini(&b);
}
END_TEST

START_TEST(test_custom_bind_names_its_key_under_the_mapping_path)
{
    static const struct opt inner[] = {
        {.name = "w", .type = OPT_CUSTOM, .custom = &words_custom},
        {0},
    };
    static const struct opt outer[] = {
        {.name = "sec", .type = OPT_SECTION, .sub = inner},
        {0},
    };
    ck_bind_fails(outer, struct words, "sec:\n  w: [a]\n",
                  "t.yml:2:6: sec.w: expected words, got a sequence\n");
}
END_TEST

START_TEST(test_fini_after_errors_frees_everything)
{
    struct t_all all = {0};
    struct bound b;

    bind_text(&b, all_options,
              "s: [x]\nlist: [a, [b], c]\nmap: {a: 1, b: [2], c: 3}\n"
              "items: [{flush: 1s}, 5, {flush: x}]\nsec: 3\nw: {}\n",
              &all);
    ck_assert_uint_eq(b.nerrs, 7);
    ck_assert_uint_eq(all.list.count, 2);
    ck_assert_uint_eq(all.map.count, 2);
    ck_assert_uint_eq(all.items.count, 3);
    options_fini(all_options, &all);
    bound_fini(&b);
}
END_TEST

START_TEST(test_strmap_flattening_keeps_document_order)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options,
              "inputs:\n"
              "  - paths: x\n"
              "    fields:\n"
              "      service: {name: api, version: '2'}\n"
              "      env: prod\n"
              "      'a.b': c\n"
              "output: {hosts: h}\n",
              &c);
    ck_assert_uint_eq(b.nerrs, 0);
    const struct strmap *m = &((struct t_input *)c.inputs.items)->fields;
    ck_assert_uint_eq(m->count, 4);
    ck_assert_str_eq(m->keys[0], "service.name");
    ck_assert_str_eq(m->values[0], "api");
    ck_assert_str_eq(m->keys[1], "service.version");
    ck_assert_str_eq(m->values[1], "2");
    ck_assert_str_eq(m->keys[2], "env");
    ck_assert_str_eq(m->keys[3], "a.b");
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

/* ---- messages ---- */

START_TEST(test_unknown_key_reported_at_the_key)
{
    ck_conf_fails("inputs: []\noutput: {hosts: h}\nbogus: 1\n",
                  "t.yml:3:1: bogus: unknown key\n");
}
END_TEST

START_TEST(test_unknown_key_suggests_a_close_name)
{
    ck_conf_fails("inputs:\n"
                  "  - pahts: x\n"
                  "    paths: y\n"
                  "    on_nomatch: tag\n"
                  "    MULTILINE: true\n"
                  "output:\n"
                  "  hots: h\n"
                  "  hosts: h\n"
                  "  batch: {max_byte: 1KiB, flsh: 1s}\n"
                  "log-level: debug\n",
                  "t.yml:2:5: inputs[0].pahts: unknown key (did you mean "
                  "\"paths\"?)\n"
                  "t.yml:4:5: inputs[0].on_nomatch: unknown key (did you mean "
                  "\"on_no_match\"?)\n"
                  "t.yml:5:5: inputs[0].MULTILINE: unknown key (did you mean "
                  "\"multiline\"?)\n"
                  "t.yml:7:3: output.hots: unknown key (did you mean "
                  "\"hosts\"?)\n"
                  "t.yml:9:11: output.batch.max_byte: unknown key (did you "
                  "mean \"max_bytes\"?)\n"
                  "t.yml:9:27: output.batch.flsh: unknown key (did you mean "
                  "\"flush\"?)\n"
                  "t.yml:10:1: log-level: unknown key (did you mean "
                  "\"log_level\"?)\n");
}
END_TEST

START_TEST(test_unknown_key_far_from_all_names_gets_no_hint)
{
    ck_conf_fails("inputs: []\noutput: {hosts: h, x: 1, hostnames: 2, "
                  "workerz_and_more: 3}\n",
                  "t.yml:2:20: output.x: unknown key\n"
                  "t.yml:2:26: output.hostnames: unknown key\n"
                  "t.yml:2:40: output.workerz_and_more: unknown key\n");
}
END_TEST

START_TEST(test_required_missing_reported_at_the_mapping)
{
    ck_conf_fails("log_level: info\noutput:\n  user: u\n",
                  "t.yml:3:3: output.hosts: required key is missing\n"
                  "t.yml:1:1: inputs: required key is missing\n");
}
END_TEST

START_TEST(test_required_null_reported_at_the_key)
{
    ck_conf_fails("inputs:\noutput:\n  hosts: ~\n",
                  "t.yml:3:3: output.hosts: required key has no value\n"
                  "t.yml:1:1: inputs: required key has no value\n");
}
END_TEST

START_TEST(test_required_in_absent_section_reported_at_the_parent)
{
    ck_conf_fails("inputs: []\nlog_level: warn\n",
                  "t.yml:1:1: output.hosts: required key is missing\n");
}
END_TEST

START_TEST(test_required_inside_list_items_named_by_index)
{
    ck_conf_fails("inputs:\n  - paths: a\n  - {}\n  - exclude: b\n"
                  "output: {hosts: h}\n",
                  "t.yml:3:5: inputs[1].paths: required key is missing\n"
                  "t.yml:4:5: inputs[2].paths: required key is missing\n");
}
END_TEST

START_TEST(test_required_with_null_root_names_the_file)
{
    struct t_conf c = {0};
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs, .file = "empty.yml"};

    ck_assert_uint_eq(options_bind(conf_options, NULL, &c, &ctx), 2);
    ck_assert_str_eq(errs.msgs[0],
                     "empty.yml: inputs: required key is missing");
    ck_assert_str_eq(errs.msgs[1],
                     "empty.yml: output.hosts: required key is missing");
    check_defaults(&c);
    options_fini(conf_options, &c);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_required_with_no_position_at_all)
{
    struct t_output out = {0};
    struct errlist errs = {0};
    struct opt_ctx ctx = {.errs = &errs, .path = "output"};

    ck_assert_uint_eq(options_bind(output_options, NULL, &out, &ctx), 1);
    ck_assert_str_eq(errs.msgs[0], "output.hosts: required key is missing");
    options_fini(output_options, &out);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_wrong_types_say_what_was_expected)
{
    ck_bind_fails(all_options, struct t_all,
                  "s: {a: 1}\n"
                  "i: 1.5\n"
                  "b: maybe\n"
                  "size: 5 apples\n"
                  "dur: 5 minutes\n"
                  "e: maybe\n"
                  "list: {a: b}\n"
                  "map: [a]\n"
                  "sec: [1]\n"
                  "items: {a: 1}\n"
                  "w: [x]\n",
                  "t.yml:1:4: s: expected a string, got a mapping\n"
                  "t.yml:2:4: i: expected an integer, got \"1.5\"\n"
                  "t.yml:3:4: b: expected true or false, got \"maybe\"\n"
                  "t.yml:4:7: size: expected a size like 5MiB, got \"5 "
                  "apples\"\n"
                  "t.yml:5:6: dur: expected a duration like 10s, got \"5 "
                  "minutes\"\n"
                  "t.yml:6:4: e: expected one of keep, tag, drop, got "
                  "\"maybe\"\n"
                  "t.yml:7:7: list: expected a string or a list of strings, "
                  "got a mapping\n"
                  "t.yml:8:6: map: expected a mapping of strings, got a "
                  "sequence\n"
                  "t.yml:9:6: sec: expected a mapping, got a sequence\n"
                  "t.yml:10:8: items: expected a list of mappings, got a "
                  "mapping\n"
                  "t.yml:11:4: w: expected words, got a sequence\n");
}
END_TEST

START_TEST(test_ranges_are_in_the_message)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: x\n"
                  "    max_line_bytes: 100\n"
                  "    close_inactive: 2d\n"
                  "output:\n"
                  "  hosts: h\n"
                  "  workers: 0\n"
                  "  batch: {max_bytes: 2GiB}\n",
                  "t.yml:3:21: inputs[0].max_line_bytes: expected a size "
                  "between 1KiB and 64MiB, got \"100\"\n"
                  "t.yml:4:21: inputs[0].close_inactive: expected a duration "
                  "between 1s and 1d, got \"2d\"\n"
                  "t.yml:7:12: output.workers: expected an integer between 1 "
                  "and 64, got \"0\"\n"
                  "t.yml:8:22: output.batch.max_bytes: expected a size "
                  "between 1KiB and 1GiB, got \"2GiB\"\n");
}
END_TEST

START_TEST(test_range_bounds_are_inclusive)
{
    struct t_conf c = {0};
    struct bound b;

    bind_text(&b, conf_options,
              "inputs: [{paths: x, max_line_bytes: 1KiB}, {paths: y, "
              "max_line_bytes: 64MiB}]\noutput: {hosts: h, workers: 64}\n",
              &c);
    ck_assert_uint_eq(b.nerrs, 0);
    ck_assert_int_eq(c.output.workers, 64);
    options_fini(conf_options, &c);
    bound_fini(&b);
}
END_TEST

START_TEST(test_integer_overflow_is_a_type_error)
{
    ck_bind_fails(all_options, struct t_all, "i: 9223372036854775808\n",
                  "t.yml:1:4: i: expected an integer, got "
                  "\"9223372036854775808\"\n");
}
END_TEST

START_TEST(test_enum_suggests_a_close_name)
{
    ck_bind_fails(all_options, struct t_all, "e: Keep\n",
                  "t.yml:1:4: e: expected one of keep, tag, drop, got "
                  "\"Keep\" (did you mean \"keep\"?)\n");
    ck_bind_fails(all_options, struct t_all, "e: dorp\n",
                  "t.yml:1:4: e: expected one of keep, tag, drop, got "
                  "\"dorp\" (did you mean \"drop\"?)\n");
}
END_TEST

START_TEST(test_bad_list_items_named_by_index)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "  - paths: b\n"
                  "  - paths: [c, {d: e}, [f], ~]\n"
                  "output: {hosts: h}\n",
                  "t.yml:4:16: inputs[2].paths[1]: expected a string, got a "
                  "mapping\n"
                  "t.yml:4:24: inputs[2].paths[2]: expected a string, got a "
                  "sequence\n"
                  "t.yml:4:29: inputs[2].paths[3]: expected a string, got "
                  "null\n");
}
END_TEST

START_TEST(test_section_list_items_must_be_mappings)
{
    ck_conf_fails("inputs: [{paths: a}, /var/log, [x]]\noutput: {hosts: h}\n",
                  "t.yml:1:22: inputs[1]: expected a mapping, got "
                  "\"/var/log\"\n"
                  "t.yml:1:32: inputs[2]: expected a mapping, got a "
                  "sequence\n");
}
END_TEST

START_TEST(test_strmap_values_must_be_scalars)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "    fields:\n"
                  "      a: [1]\n"
                  "      b: {c: ~}\n"
                  "      d: {e: 1}\n"
                  "      d.e: 2\n"
                  "output: {hosts: h}\n",
                  "t.yml:4:10: inputs[0].fields.a: expected a string, got a "
                  "sequence\n"
                  "t.yml:5:14: inputs[0].fields.b.c: expected a string, got "
                  "null\n"
                  "t.yml:7:7: inputs[0].fields: duplicate key \"d.e\" (nested "
                  "keys are joined with dots)\n");
}
END_TEST

START_TEST(test_root_must_be_a_mapping)
{
    ck_conf_fails("[a, b]\n",
                  "t.yml:1:1: expected a mapping, got a sequence\n");
    ck_conf_fails("just text\n",
                  "t.yml:1:1: expected a mapping, got \"just text\"\n");
}
END_TEST

START_TEST(test_required_section_missing_reported_once)
{
    static const struct opt table[] = {
        {.name = "output",
         .type = OPT_SECTION,
         .offset = 0,
         .flags = OPT_REQUIRED,
         .sub = output_options},
        {0},
    };
    ck_bind_fails(table, struct t_output, "other: 1\n",
                  "t.yml:1:1: other: unknown key\n"
                  "t.yml:1:1: output: required key is missing\n");
}
END_TEST

START_TEST(test_many_errors_from_one_bind)
{
    ck_conf_fails("inputs:\n"
                  "  - paths: a\n"
                  "    max_line_bytes: lots\n"
                  "    on_no_match: maybe\n"
                  "  - exclude: x\n"
                  "output:\n"
                  "  hosts: [h]\n"
                  "  gzip: sometimes\n"
                  "  workers: 100\n"
                  "  batch: 5\n"
                  "tags: [x]\n"
                  "extra: 1\n",
                  "t.yml:3:21: inputs[0].max_line_bytes: expected a size "
                  "between 1KiB and 64MiB, got \"lots\"\n"
                  "t.yml:4:18: inputs[0].on_no_match: expected one of keep, "
                  "tag, drop, got \"maybe\"\n"
                  "t.yml:5:5: inputs[1].paths: required key is missing\n"
                  "t.yml:8:9: output.gzip: expected true or false, got "
                  "\"sometimes\"\n"
                  "t.yml:9:12: output.workers: expected an integer between 1 "
                  "and 64, got \"100\"\n"
                  "t.yml:10:10: output.batch: expected a mapping, got \"5\"\n"
                  "t.yml:11:7: tags: expected words, got a sequence\n"
                  "t.yml:12:1: extra: unknown key\n");
}
END_TEST

START_TEST(test_secret_values_never_appear_in_messages)
{
    static const struct opt table[] = {
        {.name = "key",
         .type = OPT_ENUM,
         .offset = 0,
         .flags = OPT_SECRET,
         .names = action_names},
        {0},
    };
    ck_bind_fails(table, int, "key: hunter2\n",
                  "t.yml:1:6: key: expected one of keep, tag, drop, got a "
                  "secret value\n");
    ck_bind_fails(table, int, "key: kep\n",
                  "t.yml:1:6: key: expected one of keep, tag, drop, got a "
                  "secret value\n");
}
END_TEST

START_TEST(test_quoted_values_are_escaped_and_cut)
{
    ck_bind_fails(all_options, struct t_all,
                  "i: \"a\\\"b\\\\c\\nd\\te\\x01\"\n",
                  "t.yml:1:4: i: expected an integer, got "
                  "\"a\\\"b\\\\c\\nd\\te\\x01\"\n");
    ck_bind_fails(all_options, struct t_all,
                  "i: "
                  "0123456789012345678901234567890123456789012345678901234567"
                  "89012é45\n",
                  "t.yml:1:4: i: expected an integer, got "
                  "\"0123456789012345678901234567890123456789012345678901234567"
                  "89012\"...\n");
}
END_TEST

START_TEST(test_options_error_formats_what_it_knows)
{
    struct errlist errs = {0};
    struct conf_tree *tree =
        conftree_load_string("f.yml", "a:\n  b: 1\n", 10, &errs);
    const struct conf_node *a = conftree_get(tree->root, "a");
    const struct conf_node *b = conftree_get(a, "b");
    struct opt_ctx ctx = {.errs = &errs, .path = "x.a", .file = "g.yml"};

    ck_assert_int_eq(options_error(&ctx, b, "b", "bad %d", 1), -EINVAL);
    options_error(&ctx, b, NULL, "no key");
    ctx.at = a;
    options_error(&ctx, NULL, "c", "at fallback");
    ctx.at = NULL;
    options_error(&ctx, NULL, "c", "file only");
    ctx.file = NULL;
    ctx.path = NULL;
    options_error(&ctx, NULL, "c", "key only");
    options_error(&ctx, NULL, NULL, "bare");
    ctx.path = "";
    options_error(&ctx, b, NULL, "empty path");
    char *all = joined(&errs);
    ck_assert_str_eq(all, "f.yml:2:6: x.a.b: bad 1\n"
                          "f.yml:2:6: x.a: no key\n"
                          "f.yml:2:3: x.a.c: at fallback\n"
                          "g.yml: x.a.c: file only\n"
                          "c: key only\n"
                          "bare\n"
                          "f.yml:2:6: empty path\n");
    free(all);
    conftree_destroy(tree);
    errlist_fini(&errs);
}
END_TEST

START_TEST(test_bind_returns_only_its_own_errors)
{
    struct t_conf c = {0};
    struct errlist errs = {0};
    struct conf_tree *tree = conftree_load_string("t.yml", "x: 1\n", 5, &errs);
    struct opt_ctx ctx = {.errs = &errs};

    errlist_add(&errs, "earlier");
    ck_assert_uint_eq(options_bind(conf_options, tree->root, &c, &ctx), 3);
    ck_assert_uint_eq(errs.count, 4);
    options_fini(conf_options, &c);
    conftree_destroy(tree);
    errlist_fini(&errs);
}
END_TEST

/* ---- reference ---- */

START_TEST(test_help_writes_a_markdown_reference)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    options_help(conf_options, out, 0);
    fclose(out);
    ck_assert_str_eq(
        text,
        "- `inputs` (list of sections, required): files to ship\n"
        "  - `paths` (list of strings, required): globs of the files to "
        "read\n"
        "  - `exclude` (list of strings, default ['*.gz', '*.zip']): globs "
        "to skip\n"
        "  - `max_line_bytes` (size, 1KiB to 64MiB, default 1MiB): longer "
        "lines are cut\n"
        "  - `close_inactive` (duration, 1s to 1d, default 5m): close files "
        "idle this long\n"
        "  - `fields` (map of strings): fields added to every event\n"
        "  - `on_no_match` (keep | tag | drop, default keep): what to do "
        "with lines no parser matched\n"
        "  - `multiline` (boolean, default false): join indented lines\n"
        "- `output` (section): where events go\n"
        "  - `hosts` (list of strings, required): Elasticsearch URLs\n"
        "  - `user` (string): basic auth user\n"
        "  - `password` (string, secret): basic auth password\n"
        "  - `gzip` (boolean, default yes): compress request bodies\n"
        "  - `workers` (integer, 1 to 64, default 2): parallel bulk "
        "requests\n"
        "  - `batch` (section): batching limits\n"
        "    - `max_bytes` (size, 1KiB to 1GiB, default 5MiB): flush a "
        "batch at this size\n"
        "    - `flush` (duration, default 1s): flush a batch at least this "
        "often\n"
        "- `log_level` (error | warn | info | debug, default info)\n"
        "- `tags` (words, default none): tags for every event\n");
    ck_assert_ptr_null(strstr(text, "changeme"));
    free(text);
}
END_TEST

START_TEST(test_help_indents_by_levels)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    options_help(batch_options, out, 2);
    fclose(out);
    ck_assert_str_eq(text, "    - `max_bytes` (size, 1KiB to 1GiB, default "
                           "5MiB): flush a batch at this size\n"
                           "    - `flush` (duration, default 1s): flush a "
                           "batch at least this often\n");
    free(text);
}
END_TEST

/* ---- broken configs: tests/data/config/<case>.yml + <case>.expected ---- */

static char *
read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct buf b;
    char chunk[4096];
    size_t n;
    buf_init(&b, 0);
    (void)buf_append_str(&b, "");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        (void)buf_append(&b, chunk, n);
    fclose(f);
    return b.data;
}

/* Loads and binds one case the way `logship check` would; errors (owned). */
static char *
check_config(const char *name)
{
    struct errlist errs = {0};
    struct t_conf c = {0};
    struct conf_tree *tree = conftree_load_file(name, &errs);
    if (tree != NULL) {
        struct opt_ctx ctx = {.errs = &errs, .file = tree->path};
        options_bind(conf_options, tree->root, &c, &ctx);
        options_fini(conf_options, &c);
    }
    char *all = joined(&errs);
    conftree_destroy(tree);
    errlist_fini(&errs);
    return all;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yml names in the current directory, sorted (owned). */
static char **
list_cases(size_t *count)
{
    DIR *dir = opendir(".");
    ck_assert_ptr_nonnull(dir);
    char **names = NULL;
    const struct dirent *de;
    *count = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".yml") == 0) {
            names = xrealloc(names, (*count + 1) * sizeof(*names));
            names[(*count)++] = xstrdup(de->d_name);
        }
    }
    closedir(dir);
    qsort(names, *count, sizeof(*names), compare_names);
    return names;
}

START_TEST(test_broken_configs_give_the_expected_messages)
{
    size_t count, failures = 0;

    ck_assert_int_eq(chdir(TEST_DATADIR "/config"), 0);
    unsetenv("LOGSHIP_TEST_UNSET");
    setenv("LOGSHIP_TEST_HOST", "http://es:9200", 1);
    char **names = list_cases(&count);
    ck_assert_uint_ge(count, 20);
    for (size_t i = 0; i < count; i++) {
        char *expected_path =
            xasprintf("%.*s.expected", (int)(strlen(names[i]) - 4), names[i]);
        char *expected = read_all(expected_path);
        char *got = check_config(names[i]);
        if (strcmp(got, expected) != 0) {
            fprintf(stderr, "%s:\n--- expected\n%s--- got\n%s", names[i],
                    expected, got);
            failures++;
        }
        free(got);
        free(expected);
        free(expected_path);
        free(names[i]);
    }
    free(names);
    ck_assert_uint_eq(failures, 0);
}
END_TEST

static Suite *
options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parsers");
    tcase_add_loop_test(tc, test_parse_size_accepts, 0,
                        sizeof(good_sizes) / sizeof(*good_sizes));
    tcase_add_loop_test(tc, test_parse_size_rejects, 0,
                        sizeof(bad_sizes) / sizeof(*bad_sizes));
    tcase_add_loop_test(tc, test_parse_duration_accepts, 0,
                        sizeof(good_durations) / sizeof(*good_durations));
    tcase_add_loop_test(tc, test_parse_duration_rejects, 0,
                        sizeof(bad_durations) / sizeof(*bad_durations));
    tcase_add_loop_test(tc, test_parse_bool_accepts, 0,
                        sizeof(good_bools) / sizeof(*good_bools));
    tcase_add_loop_test(tc, test_parse_bool_rejects, 0,
                        sizeof(bad_bools) / sizeof(*bad_bools));
    suite_add_tcase(s, tc);

    tc = tcase_create("bind");
    tcase_add_test(tc, test_bind_every_type);
    tcase_add_test(tc, test_bind_leaves_zero_for_absent_without_default);
    tcase_add_test(tc, test_defaults_applied_when_absent);
    tcase_add_test(tc, test_null_value_counts_as_absent);
    tcase_add_test(tc, test_options_defaults_match_binding_nothing);
    tcase_add_test(tc, test_string_takes_any_scalar);
    tcase_add_test(tc, test_strlist_takes_one_scalar);
    tcase_add_test(tc, test_strlist_empty_sequence_is_empty);
    tcase_add_test(tc, test_section_list_empty_sequence_is_present);
    tcase_add_test(tc, test_custom_bind_gets_node_and_fini_runs);
    tcase_add_test(tc, test_custom_bind_names_its_key_under_the_mapping_path);
    tcase_add_test(tc, test_fini_after_errors_frees_everything);
    tcase_add_test(tc, test_strmap_flattening_keeps_document_order);
    tcase_add_test(tc, test_range_bounds_are_inclusive);
    suite_add_tcase(s, tc);

    tc = tcase_create("messages");
    tcase_add_test(tc, test_unknown_key_reported_at_the_key);
    tcase_add_test(tc, test_unknown_key_suggests_a_close_name);
    tcase_add_test(tc, test_unknown_key_far_from_all_names_gets_no_hint);
    tcase_add_test(tc, test_required_missing_reported_at_the_mapping);
    tcase_add_test(tc, test_required_null_reported_at_the_key);
    tcase_add_test(tc, test_required_in_absent_section_reported_at_the_parent);
    tcase_add_test(tc, test_required_inside_list_items_named_by_index);
    tcase_add_test(tc, test_required_with_null_root_names_the_file);
    tcase_add_test(tc, test_required_with_no_position_at_all);
    tcase_add_test(tc, test_wrong_types_say_what_was_expected);
    tcase_add_test(tc, test_ranges_are_in_the_message);
    tcase_add_test(tc, test_integer_overflow_is_a_type_error);
    tcase_add_test(tc, test_enum_suggests_a_close_name);
    tcase_add_test(tc, test_bad_list_items_named_by_index);
    tcase_add_test(tc, test_section_list_items_must_be_mappings);
    tcase_add_test(tc, test_strmap_values_must_be_scalars);
    tcase_add_test(tc, test_root_must_be_a_mapping);
    tcase_add_test(tc, test_required_section_missing_reported_once);
    tcase_add_test(tc, test_many_errors_from_one_bind);
    tcase_add_test(tc, test_secret_values_never_appear_in_messages);
    tcase_add_test(tc, test_quoted_values_are_escaped_and_cut);
    tcase_add_test(tc, test_options_error_formats_what_it_knows);
    tcase_add_test(tc, test_bind_returns_only_its_own_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("reference");
    tcase_add_test(tc, test_help_writes_a_markdown_reference);
    tcase_add_test(tc, test_help_indents_by_levels);
    suite_add_tcase(s, tc);

    tc = tcase_create("configs");
    tcase_add_test(tc, test_broken_configs_give_the_expected_messages);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
