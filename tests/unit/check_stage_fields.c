/*
 * Unit tests for the field operations (parsers/fields.c: set, rename,
 * remove, copy, convert) and the drop stage (parsers/drop.c). One table of
 * cases: stage, options, fields set before it runs, status, and the exact
 * document the encoder writes afterwards (keys sorted, so the comparison
 * is byte-exact and order-independent); then what a table cannot show:
 * types, zero-copy references, init errors, drop decisions.
 */
#include "config.h"

#include "stages.h"

#include "conftree.h"
#include "options.h"
#include "stagetest.h"
#include "xalloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- cases ---- */

#define MAX_PRE 8

struct pre_field {
    const char *name;
    const char *value;
    enum field_type type; /* FIELD_STRING unless given */
};

struct field_case {
    const struct stage_type *type;
    const char *yaml;
    struct pre_field pre[MAX_PRE]; /* set in order before the stage runs */
    int status;                    /* enum stage_status */
    const char *doc;               /* the document afterwards */
};

/* Every case runs on the line "l". */
static const struct field_case field_cases[] = {
    /* set */
    {&stage_set,
     "{field: a, value: x}",
     {{0}},
     STAGE_OK,
     "{\"a\":\"x\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: http.method, value: GET}",
     {{0}},
     STAGE_OK,
     "{\"http\":{\"method\":\"GET\"},\"message\":\"l\"}"},
    {&stage_set,
     "{field: n, value: ' +042', type: int}",
     {{0}},
     STAGE_OK,
     "{\"message\":\"l\",\"n\":42}"},
    {&stage_set,
     "{field: f, value: '3', type: float}",
     {{0}},
     STAGE_OK,
     "{\"f\":3.0,\"message\":\"l\"}"},
    {&stage_set,
     "{field: b, value: 'Yes', type: bool}",
     {{0}},
     STAGE_OK,
     "{\"b\":true,\"message\":\"l\"}"},
    {&stage_set,
     "{field: e, value: ''}",
     {{0}},
     STAGE_OK,
     "{\"e\":\"\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: message, value: replaced}",
     {{0}},
     STAGE_OK,
     "{\"message\":\"replaced\"}"},
    {&stage_set,
     "{field: url, value: 'http://%{host}:%{port}/%{p.q}'}",
     {{"host", "h", 0}, {"port", "80", FIELD_INT}, {"p.q", "x", 0}},
     STAGE_OK,
     "{\"host\":\"h\",\"message\":\"l\",\"p\":{\"q\":\"x\"},\"port\":80,"
     "\"url\":\"http://h:80/x\"}"},
    {&stage_set,
     "{field: m, value: '[%{message}]'}",
     {{0}},
     STAGE_OK,
     "{\"m\":\"[l]\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: a, value: '%{a}-%{a}'}",
     {{"a", "1", 0}},
     STAGE_OK,
     "{\"a\":\"1-1\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: a, value: '%{b}'}",
     {{"b", "[1]", FIELD_JSON}},
     STAGE_OK,
     "{\"a\":\"[1]\",\"b\":[1],\"message\":\"l\"}"},
    {&stage_set,
     "{field: x, value: 'a%{nope}b'}",
     {{0}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\"}"},
    {&stage_set,
     "{field: x, value: 'a%{b'}",
     {{0}},
     STAGE_OK,
     "{\"message\":\"l\",\"x\":\"a%{b\"}"},
    {&stage_set,
     "{field: x, value: '%{a}%{b'}",
     {{"a", "1", 0}},
     STAGE_OK,
     "{\"a\":\"1\",\"message\":\"l\",\"x\":\"1%{b\"}"},
    {&stage_set,
     "{field: x, value: '%%{a}}'}",
     {{"a", "1", 0}},
     STAGE_OK,
     "{\"a\":\"1\",\"message\":\"l\",\"x\":\"%1}\"}"},
    {&stage_set,
     "{field: n, value: '%{s}', type: int}",
     {{"s", " 7 ", 0}},
     STAGE_OK,
     "{\"message\":\"l\",\"n\":7,\"s\":\" 7 \"}"},
    {&stage_set,
     "{field: n, value: '%{s}0', type: int}",
     {{"s", "abc", 0}},
     STAGE_OK,
     "{\"message\":\"l\",\"n\":\"abc0\",\"s\":\"abc\","
     "\"tags\":[\"_logship_type_failure\"]}"},
    {&stage_set,
     "{field: a, value: new, override: false}",
     {{"a", "old", 0}},
     STAGE_SKIPPED,
     "{\"a\":\"old\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: a, value: new, override: false}",
     {{0}},
     STAGE_OK,
     "{\"a\":\"new\",\"message\":\"l\"}"},
    {&stage_set,
     "{field: message, value: new, override: false}",
     {{0}},
     STAGE_SKIPPED,
     "{\"message\":\"l\"}"},
    /* rename: whole subtrees, overwriting the destination */
    {&stage_rename,
     "fields: {a: b}",
     {{"a", "1", FIELD_INT}},
     STAGE_OK,
     "{\"b\":1,\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {a: n.m}",
     {{"a.x", "2", 0}, {"a.y.z", "3", 0}, {"ab", "4", 0}, {"x.a", "5", 0}},
     STAGE_OK,
     "{\"ab\":\"4\",\"message\":\"l\",\"n\":{\"m\":{\"x\":\"2\",\"y\":{\"z\":"
     "\"3\"}}},\"x\":{\"a\":\"5\"}}"},
    {&stage_rename,
     "fields: {a: b}",
     {{"a", "1", 0}, {"a", "2", 0}},
     STAGE_OK,
     "{\"b\":\"2\",\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {a: b}",
     {{"b", "old", 0}, {"b.c", "x", 0}, {"a", "new", 0}},
     STAGE_OK,
     "{\"b\":\"new\",\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {a.b: a}",
     {{"a.b", "1", 0}, {"a.c", "2", 0}},
     STAGE_OK,
     "{\"a\":\"1\",\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {a: b, b: c}",
     {{"a", "1", 0}},
     STAGE_OK,
     "{\"c\":\"1\",\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {x: b}",
     {{"a", "1", 0}},
     STAGE_SKIPPED,
     "{\"a\":\"1\",\"message\":\"l\"}"},
    {&stage_rename,
     "fields: {msg: message}",
     {{"msg", "hi", 0}},
     STAGE_OK,
     "{\"message\":\"hi\"}"},
    {&stage_rename,
     "fields: {message: event.original}",
     {{0}},
     STAGE_OK,
     "{\"event\":{\"original\":\"l\"}}"},
    {&stage_rename,
     "fields: {message: orig}",
     {{"message", "parsed", 0}},
     STAGE_OK,
     "{\"orig\":\"parsed\"}"},
    /* copy */
    {&stage_copy,
     "fields: {a: b}",
     {{"a", "1", 0}, {"a.x", "2", FIELD_INT}},
     STAGE_OK,
     "{\"a\":{\"value\":\"1\",\"x\":2},\"b\":{\"value\":\"1\",\"x\":2},"
     "\"message\":\"l\"}"},
    {&stage_copy,
     "fields: {message: event.original}",
     {{0}},
     STAGE_OK,
     "{\"event\":{\"original\":\"l\"},\"message\":\"l\"}"},
    {&stage_copy,
     "fields: {a: b}",
     {{"b.z", "9", 0}, {"a", "1", 0}},
     STAGE_OK,
     "{\"a\":\"1\",\"b\":\"1\",\"message\":\"l\"}"},
    {&stage_copy,
     "fields: {a: b}",
     {{"b", "9", 0}},
     STAGE_SKIPPED,
     "{\"b\":\"9\",\"message\":\"l\"}"},
    /* remove */
    {&stage_remove,
     "fields: [a]",
     {{"a", "1", 0}, {"a.b", "2", 0}, {"ab", "3", 0}},
     STAGE_OK,
     "{\"ab\":\"3\",\"message\":\"l\"}"},
    {&stage_remove,
     "fields: [a.b, c]",
     {{"a.b.c", "1", 0}, {"a.bc", "2", 0}, {"c", "3", 0}},
     STAGE_OK,
     "{\"a\":{\"bc\":\"2\"},\"message\":\"l\"}"},
    /* matches spread out: the kept ones stay in order (x's last wins) */
    {&stage_remove,
     "fields: [a]",
     {{"x", "1", 0},
      {"a", "1", 0},
      {"x", "2", 0},
      {"a.b", "2", 0},
      {"a", "5", 0},
      {"y", "3", 0},
      {"a", "9", 0},
      {"x", "3", 0}},
     STAGE_OK,
     "{\"message\":\"l\",\"x\":\"3\",\"y\":\"3\"}"},
    {&stage_remove,
     "fields: x",
     {{"a", "1", 0}},
     STAGE_SKIPPED,
     "{\"a\":\"1\",\"message\":\"l\"}"},
    {&stage_remove,
     "fields: message",
     {{"a", "1", 0}},
     STAGE_OK,
     "{\"a\":\"1\"}"},
    {&stage_remove,
     "fields: [message]",
     {{"message", "parsed", 0}},
     STAGE_OK,
     "{}"},
    /* convert */
    {&stage_convert,
     "fields: {n: int, f: float, b: bool, s: string}",
     {{"n", "42", 0}, {"f", "1", 0}, {"b", "TRUE", 0}, {"s", "5", FIELD_INT}},
     STAGE_OK,
     "{\"b\":true,\"f\":1.0,\"message\":\"l\",\"n\":42,\"s\":\"5\"}"},
    {&stage_convert,
     "fields: {n: int, m: int}",
     {{"n", "abc", 0}, {"m", "7", 0}},
     STAGE_NO_MATCH,
     "{\"m\":7,\"message\":\"l\",\"n\":\"abc\"}"},
    {&stage_convert,
     "fields: {n: int}",
     {{"a", "1", 0}},
     STAGE_SKIPPED,
     "{\"a\":\"1\",\"message\":\"l\"}"},
    {&stage_convert,
     "fields: {n: float}",
     {{"n", "3", FIELD_INT}},
     STAGE_OK,
     "{\"message\":\"l\",\"n\":3.0}"},
    {&stage_convert,
     "fields: {n: int}",
     {{"n", "1.5", FIELD_FLOAT}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\",\"n\":1.5}"},
    {&stage_convert,
     "fields: {a: string, b: bool}",
     {{"a", "[1]", FIELD_JSON}, {"b", "false", FIELD_BOOL}},
     STAGE_OK,
     "{\"a\":\"[1]\",\"b\":false,\"message\":\"l\"}"},
    {&stage_convert,
     "fields: {http.status: int}",
     {{"http.status", "404", 0}},
     STAGE_OK,
     "{\"http\":{\"status\":404},\"message\":\"l\"}"},
    /* convert: ip keeps an address as written and removes anything else */
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.ip", "192.0.2.1", 0}},
     STAGE_OK,
     "{\"message\":\"l\",\"source\":{\"ip\":\"192.0.2.1\"}}"},
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.ip", "2001:DB8:0:0::1", 0}},
     STAGE_OK,
     "{\"message\":\"l\",\"source\":{\"ip\":\"2001:DB8:0:0::1\"}}"},
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.address", "crawler.example.net", 0},
      {"source.ip", "crawler.example.net", 0}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\",\"source\":{\"address\":\"crawler.example.net\"}}"},
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.ip", "-", 0}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\"}"},
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.ip", "10.0.0.1", 0}, {"source.ip", "fe80::1%eth0", 0}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\"}"},
    {&stage_convert,
     "fields: {n: ip}",
     {{"n", "3232235777", FIELD_INT}},
     STAGE_NO_MATCH,
     "{\"message\":\"l\"}"},
    {&stage_convert,
     "fields: {a: ip, b: ip, n: int}",
     {{"a", "localhost", 0}, {"b", "::1", 0}, {"n", "7", 0}},
     STAGE_NO_MATCH,
     "{\"b\":\"::1\",\"message\":\"l\",\"n\":7}"},
    {&stage_convert,
     "fields: {source.ip: ip}",
     {{"source.address", "1.2.3.4", 0}},
     STAGE_SKIPPED,
     "{\"message\":\"l\",\"source\":{\"address\":\"1.2.3.4\"}}"},
};

/* Starts the event "l" with the case's fields set. */
static void
begin_case(struct stagetest *h, const struct pre_field *pre)
{
    stagetest_begin(h, "l", 1);
    for (size_t i = 0; i < MAX_PRE && pre[i].name != NULL; i++)
        event_set(&h->ev, span_str(pre[i].name), span_str(pre[i].value),
                  pre[i].type);
}

START_TEST(operations_give_exact_documents)
{
    const struct field_case *c = &field_cases[_i];
    struct stagetest h;

    stagetest_open_ok(&h, c->type, c->yaml);
    begin_case(&h, c->pre);
    ck_assert_int_eq(stagetest_run(&h), c->status);
    ck_assert_str_eq(stagetest_doc(&h), c->doc);
    stagetest_close(&h);
}
END_TEST

START_TEST(set_values_have_their_types)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_set, "{field: n, value: '%{a}', type: float}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("a"), SPAN_LIT("2.5"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "n", "2.5", FIELD_FLOAT);
    stagetest_close(&h);

    stagetest_open_ok(&h, &stage_set, "{field: s, value: '%{a}'}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("a"), SPAN_LIT("true"), FIELD_BOOL);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "s", "true", FIELD_STRING);
    stagetest_close(&h);
}
END_TEST

/* A value that is one reference is the referenced bytes, not a copy. */
START_TEST(set_single_reference_is_not_copied)
{
    static const char value[] = "abc";
    struct stagetest h;

    stagetest_open_ok(&h, &stage_set, "{field: b, value: '%{a}'}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("a"), span_str(value), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    ck_assert_ptr_eq(event_get(&h.ev, SPAN_LIT("b"))->value.ptr, value);
    stagetest_close(&h);
}
END_TEST

/* Removing message hides the raw text from later stages; setting it back
 * brings a message again. */
START_TEST(removed_message_is_absent_until_set)
{
    struct stagetest rm, set, cp;
    struct span v;

    stagetest_open_ok(&rm, &stage_remove, "fields: message");
    stagetest_open_ok(&set, &stage_set, "{field: m, value: '%{message}'}");
    stagetest_open_ok(&cp, &stage_copy, "fields: {message: x}");
    stagetest_begin(&rm, "l", 1);
    ck_assert_int_eq(stagetest_run(&rm), STAGE_OK);
    ck_assert(!event_value(&rm.ev, SPAN_LIT("message"), &v, NULL));

    /* The other stages run on rm's event. */
    struct stage_ctx ctx = {.scratch = &rm.sc};
    ck_assert_int_eq(set.st.type->apply(&set.st, NULL, &rm.ev, &ctx),
                     STAGE_NO_MATCH);
    ck_assert_int_eq(cp.st.type->apply(&cp.st, NULL, &rm.ev, &ctx),
                     STAGE_SKIPPED);
    ck_assert_uint_eq(rm.ev.nfields, 0);
    event_set(&rm.ev, SPAN_LIT("message"), SPAN_LIT("back"), FIELD_STRING);
    ck_assert_str_eq(stagetest_doc(&rm), "{\"message\":\"back\"}");
    stagetest_close(&rm);
    stagetest_close(&set);
    stagetest_close(&cp);
}
END_TEST

START_TEST(rename_keeps_types_and_values)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_rename, "fields: {a: b}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("a"), SPAN_LIT("1.5"), FIELD_FLOAT);
    event_set(&h.ev, SPAN_LIT("a.j"), SPAN_LIT("[true]"), FIELD_JSON);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_field(&h, "b", "1.5", FIELD_FLOAT);
    stagetest_field(&h, "b.j", "[true]", FIELD_JSON);
    ck_assert_ptr_null(event_get(&h.ev, SPAN_LIT("a")));
    ck_assert_ptr_null(event_get(&h.ev, SPAN_LIT("a.j")));
    stagetest_close(&h);
}
END_TEST

/*
 * A copied field that lands on the configured name gets that name as a
 * static one (config memory: the encoder may compare the pointer); a
 * subfield's name is built in the scratch and must never be static.
 */
START_TEST(copy_marks_only_config_names_static)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_copy, "fields: {a: b}");
    for (int round = 0; round < 2; round++) {
        stagetest_begin(&h, "l", 1);
        event_set(&h.ev, SPAN_LIT("a"), SPAN_LIT("1"), FIELD_STRING);
        event_set(&h.ev, SPAN_LIT("a.x"), SPAN_LIT("2"), FIELD_INT);
        ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
        const struct field *b = event_get(&h.ev, SPAN_LIT("b"));
        const struct field *bx = event_get(&h.ev, SPAN_LIT("b.x"));
        ck_assert_ptr_nonnull(b);
        ck_assert_ptr_nonnull(bx);
        ck_assert(b->static_name);
        ck_assert(!bx->static_name);
        ck_assert_str_eq(stagetest_doc(&h),
                         "{\"a\":{\"value\":\"1\",\"x\":2},\"b\":{\"value\":"
                         "\"1\",\"x\":2},\"message\":\"l\"}");
    }
    stagetest_close(&h);
}
END_TEST

START_TEST(convert_failure_leaves_the_field)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_convert, "fields: {n: bool}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("n"), SPAN_LIT("maybe"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    stagetest_field(&h, "n", "maybe", FIELD_STRING);
    ck_assert_uint_eq(h.ev.nfields, 1);
    ck_assert_uint_eq(h.ev.ntags, 0); /* the chain tags, not the stage */
    ck_assert_str_eq(stage_convert.failure_tag, "_logship_type_failure");
    stagetest_close(&h);
}
END_TEST

/* An address stays the very bytes it was, as a string. */
START_TEST(convert_ip_keeps_the_value)
{
    static const char addr[] = "::ffff:192.0.2.1";
    struct stagetest h;

    stagetest_open_ok(&h, &stage_convert, "fields: {source.ip: ip}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("source.ip"), span_str(addr), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    ck_assert_uint_eq(h.ev.nfields, 1);
    ck_assert_ptr_eq(event_get(&h.ev, SPAN_LIT("source.ip"))->value.ptr, addr);
    stagetest_field(&h, "source.ip", addr, FIELD_STRING);
    ck_assert_ptr_null(h.ctx.note);
    stagetest_close(&h);
}
END_TEST

/* A value that is not an address is removed, the stage fails (the chain
 * tags) and --explain says why. */
START_TEST(convert_ip_failure_removes_the_field)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_convert, "fields: {source.ip: ip, n: int}");
    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("source.ip"), SPAN_LIT("www.example.com"),
              FIELD_STRING);
    event_set(&h.ev, SPAN_LIT("n"), SPAN_LIT("x"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    ck_assert_ptr_null(event_get(&h.ev, SPAN_LIT("source.ip")));
    stagetest_field(&h, "n", "x", FIELD_STRING);
    ck_assert_uint_eq(h.ev.nfields, 1);
    ck_assert_uint_eq(h.ev.ntags, 0);
    ck_assert_str_eq(h.ctx.note, "source.ip is not an IP address: removed");

    stagetest_begin(&h, "l", 1);
    event_set(&h.ev, SPAN_LIT("n"), SPAN_LIT("x"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), STAGE_NO_MATCH);
    ck_assert_str_eq(h.ctx.note, "n is not a valid int: kept");
    stagetest_close(&h);
}
END_TEST

/* ---- configuration errors ---- */

static const struct {
    const struct stage_type *type;
    const char *yaml;
    const char *msg; /* from init */
} init_errors[] = {
    {&stage_set, "{field: '@timestamp', value: x}",
     "field: '@timestamp': @timestamp is written from the event time; set "
     "it with a time stage"},
    {&stage_set, "{field: '', value: x}",
     "field: the field name must not be empty"},
    {&stage_set, "{field: n, value: abc, type: int}",
     "value: 'abc' is not a valid int"},
    {&stage_set, "{field: n, value: '', type: bool}",
     "value: '' is not a valid bool"},
    {&stage_set, "{field: n, value: x, type: json}",
     "type: unknown type 'json' (expected int, float, bool or string)"},
    {&stage_set, "{field: n, value: 'a%{}b'}", "value: empty reference %{}"},
    {&stage_rename, "fields: {a: a}", "fields.a: 'a' lies inside 'a'"},
    {&stage_rename, "fields: {a: a.b}", "fields.a: 'a.b' lies inside 'a'"},
    {&stage_rename, "fields: {a: '@timestamp.x'}",
     "fields.a: '@timestamp.x': @timestamp is written from the event time; "
     "set it with a time stage"},
    {&stage_rename, "fields: {}", "fields: no field given"},
    {&stage_copy, "fields: {message: message.copy}",
     "fields.message: 'message.copy' lies inside 'message'"},
    {&stage_copy, "fields: {a: ''}",
     "fields.a: the field name must not be empty"},
    {&stage_remove, "fields: []", "fields: no field given"},
    {&stage_remove, "fields: ['']", "fields: a field name must not be empty"},
    {&stage_convert, "fields: {a: int, b: number}",
     "fields.b: unknown type 'number' (expected int, float, bool, string or "
     "ip)"},
    {&stage_convert, "fields: {message: ip}",
     "fields.message: a failed ip check removes the field; copy the message "
     "to a field and check that"},
    {&stage_convert, "fields: {a: IP}",
     "fields.a: unknown type 'IP' (expected int, float, bool, string or ip)"},
    {&stage_convert, "fields: {}", "fields: no field given"},
    {&stage_drop, "pattern: 'a(b'",
     "pattern: missing closing parenthesis at offset 3"},
    {&stage_drop, "{pattern: a, field: ''}", "field: must not be empty"},
};

START_TEST(bad_configuration_fails_init)
{
    stagetest_init_fails(init_errors[_i].type, init_errors[_i].yaml,
                         init_errors[_i].msg);
}
END_TEST

/* Counts the binding errors of yaml against type's options. */
static size_t
bind_errors(const struct stage_type *type, const char *yaml)
{
    struct errlist errs = {0};
    struct opt_ctx octx = {.errs = &errs, .file = "t.yml"};
    struct conf_tree *tree =
        conftree_load_string("t.yml", yaml, strlen(yaml), &errs);
    ck_assert_ptr_nonnull(tree);
    void *conf = xcalloc(1, type->conf_size);
    size_t n = options_bind(type->options, tree->root, conf, &octx);
    options_fini(type->options, conf);
    free(conf);
    conftree_destroy(tree);
    errlist_fini(&errs);
    return n;
}

START_TEST(required_options_are_required)
{
    ck_assert_uint_eq(bind_errors(&stage_set, "{value: x}"), 1);
    ck_assert_uint_eq(bind_errors(&stage_set, "{field: x}"), 1);
    ck_assert_uint_eq(bind_errors(&stage_set, "{field: x, value: y}"), 0);
    ck_assert_uint_eq(bind_errors(&stage_rename, "{other: 1}"), 2);
    ck_assert_uint_eq(bind_errors(&stage_copy, "{fields: [a]}"), 1);
    ck_assert_uint_eq(bind_errors(&stage_remove, "{fields: {a: b}}"), 1);
    ck_assert_uint_eq(bind_errors(&stage_convert, "{field: a}"), 2);
    ck_assert_uint_eq(bind_errors(&stage_drop, "{negate: true}"), 1);
    ck_assert_uint_eq(bind_errors(&stage_drop, "{pattern: x, negate: 2}"), 1);
}
END_TEST

/* ---- drop ---- */

struct drop_case {
    const char *yaml;
    const char *level; /* a field "level", or NULL */
    const char *line;
    int status;
};

static const struct drop_case drop_cases[] = {
    {"pattern: DEBUG", NULL, "DEBUG x", STAGE_DROP},
    {"pattern: DEBUG", NULL, "INFO x", STAGE_OK},
    {"pattern: '^DEBUG'", NULL, "x DEBUG", STAGE_OK},
    {"pattern: '^$'", NULL, "", STAGE_DROP},
    {"{pattern: ERROR, negate: true}", NULL, "INFO x", STAGE_DROP},
    {"{pattern: ERROR, negate: true}", NULL, "ERROR x", STAGE_OK},
    {"{pattern: '^debug$', field: level}", "debug", "l", STAGE_DROP},
    {"{pattern: '^debug$', field: level}", "info", "debug", STAGE_OK},
    {"{pattern: '^debug$', field: level}", NULL, "debug", STAGE_SKIPPED},
    {"{pattern: x, field: level, negate: true}", NULL, "l", STAGE_SKIPPED},
    /* UTF-8: characters, not bytes; invalid bytes never match, never fail */
    {"pattern: 'caf.$'", NULL, "caf\xc3\xa9", STAGE_DROP},
    {"pattern: 'caf.$'", NULL, "caf\xff", STAGE_OK},
    {"pattern: 'caf.$'", NULL, "caf\xc3", STAGE_OK},
    {"pattern: DEBUG", NULL, "\xff\xfe DEBUG \xc3", STAGE_DROP},
    {"{pattern: 'caf.$', negate: true}", NULL, "caf\xff", STAGE_DROP},
    {"pattern: '(?i)debug'", NULL, "DeBuG", STAGE_DROP},
    /* a match that errors keeps the event, negate or not */
    {"pattern: '(*LIMIT_MATCH=10)(*NO_START_OPT)^(a|a)*b'", NULL,
     "aaaaaaaaaaaaaaaaaaaac", STAGE_NO_MATCH},
    {"{pattern: '(*LIMIT_MATCH=10)(*NO_START_OPT)^(a|a)*b', negate: true}",
     NULL, "aaaaaaaaaaaaaaaaaaaac", STAGE_NO_MATCH},
};

START_TEST(drop_decides_on_the_field)
{
    const struct drop_case *c = &drop_cases[_i];
    struct stagetest h;

    stagetest_open_ok(&h, &stage_drop, c->yaml);
    stagetest_begin(&h, c->line, strlen(c->line));
    if (c->level != NULL)
        event_set(&h.ev, SPAN_LIT("level"), span_str(c->level), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&h), c->status);
    ck_assert_uint_eq(h.ev.nfields, c->level != NULL);
    stagetest_close(&h);
}
END_TEST

/* The subject is a span: a match cannot see bytes past it. */
START_TEST(drop_matches_only_the_span)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_drop, "pattern: 'ab$'");
    stagetest_begin(&h, "abc", 2);
    ck_assert_int_eq(stagetest_run(&h), STAGE_DROP);
    stagetest_begin(&h, "a\0b", 3);
    ck_assert_int_eq(stagetest_run(&h), STAGE_OK);
    stagetest_close(&h);
    stagetest_open_ok(&h, &stage_drop, "pattern: 'a\\x00b'");
    stagetest_begin(&h, "a\0b", 3);
    ck_assert_int_eq(stagetest_run(&h), STAGE_DROP);
    stagetest_close(&h);
}
END_TEST

/* Each worker has its own match data; one compiled pattern serves both. */
START_TEST(drop_workers_are_independent)
{
    struct stagetest h;

    stagetest_open_ok(&h, &stage_drop, "pattern: x");
    void *other = stage_drop.worker_new(&h.st);
    ck_assert_ptr_nonnull(other);
    ck_assert_ptr_ne(other, h.worker);
    stagetest_begin(&h, "x", 1);
    struct stage_ctx ctx = {.scratch = &h.sc};
    ck_assert_int_eq(stage_drop.apply(&h.st, other, &h.ev, &ctx), STAGE_DROP);
    ck_assert_int_eq(stagetest_run(&h), STAGE_DROP);
    stage_drop.worker_free(other);
    stagetest_close(&h);
}
END_TEST

static Suite *
stage_fields_suite(void)
{
    Suite *s = suite_create("stage_fields");
    TCase *tc = tcase_create("fields");
    tcase_add_loop_test(tc, operations_give_exact_documents, 0,
                        sizeof(field_cases) / sizeof(field_cases[0]));
    tcase_add_test(tc, set_values_have_their_types);
    tcase_add_test(tc, set_single_reference_is_not_copied);
    tcase_add_test(tc, removed_message_is_absent_until_set);
    tcase_add_test(tc, rename_keeps_types_and_values);
    tcase_add_test(tc, copy_marks_only_config_names_static);
    tcase_add_test(tc, convert_failure_leaves_the_field);
    tcase_add_test(tc, convert_ip_keeps_the_value);
    tcase_add_test(tc, convert_ip_failure_removes_the_field);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_add_loop_test(tc, bad_configuration_fails_init, 0,
                        sizeof(init_errors) / sizeof(init_errors[0]));
    tcase_add_test(tc, required_options_are_required);
    suite_add_tcase(s, tc);

    tc = tcase_create("drop");
    tcase_add_loop_test(tc, drop_decides_on_the_field, 0,
                        sizeof(drop_cases) / sizeof(drop_cases[0]));
    tcase_add_test(tc, drop_matches_only_the_span);
    tcase_add_test(tc, drop_workers_are_independent);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(stage_fields_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
