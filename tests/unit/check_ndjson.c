/*
 * Unit tests for ndjson.c's documents, byte-exact: nesting, sort order,
 * conflicts, duplicates, message/tags/log.flags, -E2BIG at every cut,
 * a warm encoder that stops allocating, and random names checked against
 * the documented rules (parsed with jansson) and against a fresh encoder.
 * The shape cache's own cases are in check_ndjson_shape.c.
 */
#include "config.h"

#include "ndjson.h"
#include "ndjsontest.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Encodes ev and checks the exact document and that it is strict JSON:
 * the first time the slow way (sorting, recording the shape), then twice
 * more through the shape cache, with the buffer reused.
 */
static void
test_check_event(const struct event *ev, const char *want)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    for (int round = 0; round < 3; round++) {
        buf_reset(&b);
        ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        ndjsontest_expect_bytes(b.data, b.len, want, strlen(want));
        ck_assert_int_eq(b.data[b.len], '\0');
    }
    json_error_t jerr;
    json_t *j = json_loadb(b.data, b.len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "jansson: %s in %s", jerr.text, b.data);
    json_decref(j);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}

START_TEST(event_minimal)
{
    struct event ev = ndjsontest_event(NULL, 0);
    ev.text = SPAN_LIT("hello \"world\"\n");
    test_check_event(&ev, TS0 ",\"message\":\"hello \\\"world\\\"\\n\"}\n");
}
END_TEST

START_TEST(event_nests_dotted_names)
{
    struct field fs[] = {FS("a.c", "x"),
                         FT("z", "true", FIELD_BOOL),
                         FI("a.b", "1"),
                         FS("b", "y"),
                         FI("http.response.status_code", "200"),
                         FS("http.request.method", "GET")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":1,\"c\":\"x\"},\"b\":\"y\","
                              "\"http\":{\"request\":{\"method\":\"GET\"},"
                              "\"response\":{\"status_code\":200}},"
                              "\"message\":\"m\",\"z\":true}\n");
}
END_TEST

START_TEST(event_dot_sorts_below_every_byte)
{
    /* Plain byte order would split "a": "a-b" < "a.b" < "a0". */
    struct field fs[] = {FI("a0", "4"),   FI("a.b", "1"), FI("a-b", "2"),
                         FI("a.c", "3"),  FI("a!", "5"),  FI("a.b-", "6"),
                         FI("a.b.c", "7")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":{\"value\":1,\"c\":7},\"b-\":6,"
                              "\"c\":3},\"a!\":5,\"a-b\":2,\"a0\":4,"
                              "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_value_object_conflict)
{
    struct field fs[] = {FI("a", "1"), FI("a.b", "2")};
    struct event ev = EVENT_OF(fs);
    const char *want = TS0 ",\"a\":{\"value\":1,\"b\":2},\"message\":\"m\"}\n";
    test_check_event(&ev, want);
    struct field rev[] = {FI("a.b", "2"), FI("a", "1")};
    ev = EVENT_OF(rev);
    test_check_event(&ev, want);
}
END_TEST

START_TEST(event_deep_conflict_and_closing)
{
    struct field fs[] = {FI("a.b.d.e", "4"), FI("a", "1"), FI("a.b", "2"),
                         FI("a.b.c", "3"), FI("x.y", "5")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"value\":1,\"b\":{\"value\":2,"
                              "\"c\":3,\"d\":{\"e\":4}}},\"message\":\"m\","
                              "\"x\":{\"y\":5}}\n");
}
END_TEST

START_TEST(event_value_child_wins_over_value)
{
    struct field fs[] = {FI("a", "1"), FI("a.value", "2")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":{\"value\":2},\"message\":\"m\"}\n");
    struct field deep[] = {FI("a", "1"), FI("a.value.x", "2"), FI("a.b", "3"),
                           FI("a.valuex", "4")};
    ev = EVENT_OF(deep);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":3,\"value\":{\"x\":2},"
                              "\"valuex\":4},\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_duplicates_last_wins)
{
    struct field fs[] = {FI("a", "1"), FI("b", "2"), FI("a", "3")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"a\":3,\"b\":2,\"message\":\"m\"}\n");
    struct field nested[] = {FI("a.b", "1"), FI("a.b", "2"), FI("a.c", "3"),
                             FI("a.b", "4")};
    ev = EVENT_OF(nested);
    test_check_event(&ev, TS0 ",\"a\":{\"b\":4,\"c\":3},\"message\":\"m\"}\n");
    struct field conflict[] = {FI("a", "1"), FI("a.b", "2"), FI("a", "5")};
    ev = EVENT_OF(conflict);
    test_check_event(&ev,
                     TS0 ",\"a\":{\"value\":5,\"b\":2},\"message\":\"m\"}\n");
    struct field typed[] = {FI("n", "1"), FS("n", "one")};
    ev = EVENT_OF(typed);
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"n\":\"one\"}\n");
}
END_TEST

START_TEST(event_message_field_overrides_text)
{
    struct field fs[] = {FS("message", "parsed")};
    struct event ev = EVENT_OF(fs);
    ev.text = SPAN_LIT("raw line");
    test_check_event(&ev, TS0 ",\"message\":\"parsed\"}\n");
    struct field sub[] = {FI("message.len", "8")};
    ev = EVENT_OF(sub);
    ev.text = SPAN_LIT("raw line");
    test_check_event(&ev, TS0 ",\"message\":{\"value\":\"raw line\","
                              "\"len\":8}}\n");
}
END_TEST

START_TEST(event_message_sorted_among_fields)
{
    struct field fs[] = {FI("zzz", "1"), FI("messages", "4"), FI("aaa", "2"),
                         FI("m", "3"), FI("message0", "5")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"aaa\":2,\"m\":3,\"message\":\"m\","
                              "\"message0\":5,\"messages\":4,\"zzz\":1}\n");
}
END_TEST

START_TEST(event_tags_written_last)
{
    struct field fs[] = {FS("user", "u"), FI("a", "1")};
    struct event ev = EVENT_OF(fs);
    ev.tags[0] = SPAN_LIT("prod");
    ev.tags[1] = SPAN_LIT("we\"b\xff");
    ev.ntags = 2;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":\"m\",\"user\":\"u\","
                              "\"tags\":[\"prod\",\"we\\\"b" FFFD "\"]}\n");
    ev.ntags = 0;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":\"m\",\"user\":\"u\"}\n");
}
END_TEST

START_TEST(event_tags_field_replaces_tags)
{
    struct field fs[] = {FS("tags", "x"), FI("z", "1")};
    struct event ev = EVENT_OF(fs);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags\":\"x\",\"z\":1}\n");
    struct field sub[] = {FI("tags.k", "1")};
    ev = EVENT_OF(sub);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags\":{\"k\":1}}\n");
    struct field other[] = {FI("tagsx", "1"), FI("tags..k", "2")};
    ev = EVENT_OF(other);
    ev.tags[0] = SPAN_LIT("prod");
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"message\":\"m\",\"tags..k\":2,\"tagsx\":1,"
                              "\"tags\":[\"prod\"]}\n");
}
END_TEST

START_TEST(event_truncated_flag_merges_into_log)
{
    struct field fs[] = {FI("log.offset", "42"),
                         FS("log.file.path", "/var/log/x")};
    struct event ev = EVENT_OF(fs);
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev, TS0 ",\"log\":{\"file\":{\"path\":\"/var/log/x\"},"
                              "\"flags\":[\"truncated\"],\"offset\":42},"
                              "\"message\":\"m\"}\n");
    ev.flags = EVENT_TRUNCATED | EVENT_MULTILINE;
    test_check_event(&ev, TS0 ",\"log\":{\"file\":{\"path\":\"/var/log/x\"},"
                              "\"flags\":[\"truncated\",\"multiline\"],"
                              "\"offset\":42},\"message\":\"m\"}\n");
    ev = ndjsontest_event(NULL, 0);
    ev.flags = EVENT_MULTILINE;
    test_check_event(&ev, TS0 ",\"log\":{\"flags\":[\"multiline\"]},"
                              "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_flags_beat_log_flags_field)
{
    struct field fs[] = {FS("log.flags", "user")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev,
                     TS0 ",\"log\":{\"flags\":\"user\"},\"message\":\"m\"}\n");
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev, TS0 ",\"log\":{\"flags\":[\"truncated\"]},"
                              "\"message\":\"m\"}\n");
    struct field val[] = {FS("log", "x")};
    ev = EVENT_OF(val);
    ev.flags = EVENT_TRUNCATED;
    test_check_event(&ev,
                     TS0 ",\"log\":{\"value\":\"x\","
                         "\"flags\":[\"truncated\"]},\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_timestamp_fields_skipped)
{
    struct field fs[] = {FS("@timestamp", "2020-01-01"),
                         FI("@timestamp.x", "1"), FS("@version", "1"),
                         FS("@timestampx", "y")};
    struct event ev = EVENT_OF(fs);
    ev.time_ns = INT64_C(1795674081123000000);
    test_check_event(&ev, "{\"@timestamp\":\"2026-11-26T06:21:21.123Z\","
                          "\"@timestampx\":\"y\",\"@version\":\"1\","
                          "\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_empty_segments_are_one_key)
{
    struct field fs[] = {FI("a..b", "1"), FI(".a", "2"),  FI("a.", "3"),
                         FI("", "4"),     FI("a.b", "5"), FI("a", "6"),
                         FI(".", "7"),    FI("..", "8")};
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"\":4,\".\":7,\"..\":8,\".a\":2,"
                              "\"a\":{\"value\":6,\"b\":5},\"a.\":3,"
                              "\"a..b\":1,\"message\":\"m\"}\n");
}
END_TEST

START_TEST(event_escapes_names_and_values)
{
    struct field fs[] = {
        FS("we\"ird\x01\xff", "v\n\xc3"),
        FS("x.\"q\".\\", "\xe2\x82\xac"),
        FS("x.tab\t", "\0"),
    };
    struct event ev = EVENT_OF(fs);
    ev.text = (struct span){"a\0\xed\xa0\x80", 5};
    test_check_event(&ev,
                     TS0 ",\"message\":\"a\\u0000" FFFD FFFD FFFD "\","
                         "\"we\\\"ird\\u0001" FFFD "\":\"v\\n" FFFD "\","
                         "\"x\":{\"\\\"q\\\"\":{\"\\\\\":\"\xe2\x82\xac\"},"
                         "\"tab\\t\":\"\\u0000\"}}\n");
}
END_TEST

START_TEST(event_types_copied_verbatim)
{
    struct field fs[] = {
        FI("i", "-12"),
        FT("f", "1.5e3", FIELD_FLOAT),
        FT("b", "false", FIELD_BOOL),
        FT("j", "{\"k\":[1,2]}", FIELD_JSON),
        FI("e", ""),
        FS("s", ""),
    };
    struct event ev = EVENT_OF(fs);
    test_check_event(&ev, TS0 ",\"b\":false,\"e\":null,\"f\":1.5e3,\"i\":-12,"
                              "\"j\":{\"k\":[1,2]},\"message\":\"m\","
                              "\"s\":\"\"}\n");
}
END_TEST

START_TEST(event_null_empty_spans)
{
    /* Empty spans may carry a NULL pointer; none may be dereferenced. */
    struct field fs[] = {
        {{NULL, 0}, {NULL, 0}, FIELD_STRING, false},
        {SPAN_LIT("n"), {NULL, 0}, FIELD_INT, false},
        {{NULL, 0}, {NULL, 0}, FIELD_JSON, false},
    };
    struct event ev = EVENT_OF(fs);
    ev.text = (struct span){NULL, 0};
    ev.tags[0] = (struct span){NULL, 0};
    ev.ntags = 1;
    test_check_event(&ev, TS0 ",\"\":null,\"message\":\"\",\"n\":null,"
                              "\"tags\":[\"\"]}\n");
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_string(&b, NULL, 0), 0);
    ck_assert_str_eq(b.data, "\"\"");
    buf_fini(&b);
}
END_TEST

START_TEST(event_no_message_flag)
{
    struct event ev = ndjsontest_event(NULL, 0);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 "}\n");
    struct field fs[] = {FI("a", "1"), FI("message.len", "3")};
    ev = EVENT_OF(fs);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 ",\"a\":1,\"message\":{\"len\":3}}\n");
    struct field msg[] = {FS("message", "set again")};
    ev = EVENT_OF(msg);
    ev.flags = EVENT_NO_MESSAGE;
    test_check_event(&ev, TS0 ",\"message\":\"set again\"}\n");
}
END_TEST

/* A rich event for the limit and reuse tests. */
static struct field test_rich_fields[] = {
    FS("log.file.path", "/var/log/app.log"),
    FI("log.offset", "1234"),
    FS("http.request.method", "GET"),
    FI("http.response.status_code", "200"),
    FS("user", "bob \xff"),
    FI("a", "1"),
    FI("a.b.c", "2"),
    FS("message", "parsed \"text\""),
    FI("a..b", "3"),
};

static struct event
test_rich_event(void)
{
    struct event ev = EVENT_OF(test_rich_fields);
    ev.time_ns = INT64_C(1795674081123456789);
    ev.flags = EVENT_TRUNCATED | EVENT_MULTILINE;
    ev.tags[0] = SPAN_LIT("t1");
    ev.tags[1] = SPAN_LIT("t2");
    ev.ntags = 2;
    return ev;
}

/*
 * Cuts the output at every possible byte with max_len: each cut fails with
 * -E2BIG and leaves "pre"; the exact fit succeeds. A warm encoder fails in
 * the shape replay; a fresh one fails while recording, and must then
 * still write the event correctly.
 */
static void
test_check_event_limits(const struct event *ev, bool warm)
{
    struct ndjson_enc enc;
    struct buf full;
    ndjson_enc_init(&enc);
    buf_init(&full, 0);
    ck_assert_int_eq(ndjson_write_event(&enc, &full, ev), 0);
    for (size_t max = 3; max <= 3 + full.len; max++) {
        struct buf b;
        if (!warm) {
            ndjson_enc_fini(&enc);
            ndjson_enc_init(&enc);
        }
        buf_init(&b, max);
        ck_assert_int_eq(buf_append(&b, "pre", 3), 0);
        int rc = ndjson_write_event(&enc, &b, ev);
        if (max < 3 + full.len) {
            ck_assert_int_eq(rc, -E2BIG);
            ck_assert_uint_eq(b.len, 3);
            ck_assert_str_eq(b.data, "pre");
            buf_fini(&b);
            buf_init(&b, 0);
            ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        } else {
            ck_assert_int_eq(rc, 0);
            buf_truncate(&b, 3);
            ck_assert_int_eq(ndjson_write_event(&enc, &b, ev), 0);
        }
        ndjsontest_expect_bytes(b.data + (b.data[0] == 'p' ? 3 : 0),
                                b.len - (b.data[0] == 'p' ? 3 : 0), full.data,
                                full.len);
        buf_fini(&b);
    }
    buf_fini(&full);
    ndjson_enc_fini(&enc);
}

START_TEST(event_limit_every_cut_restores)
{
    struct event ev = test_rich_event();
    test_check_event_limits(&ev, true);
    test_check_event_limits(&ev, false);
    ev.ntags = 0;
    ev.flags = 0;
    test_check_event_limits(&ev, true);
    test_check_event_limits(&ev, false);
}
END_TEST

START_TEST(event_rich_exact)
{
    struct event ev = test_rich_event();
    test_check_event(
        &ev, "{\"@timestamp\":\"2026-11-26T06:21:21.123Z\","
             "\"a\":{\"value\":1,\"b\":{\"c\":2}},\"a..b\":3,"
             "\"http\":{\"request\":{\"method\":\"GET\"},"
             "\"response\":{\"status_code\":200}},"
             "\"log\":{\"file\":{\"path\":\"/var/log/app.log\"},"
             "\"flags\":[\"truncated\",\"multiline\"],\"offset\":1234},"
             "\"message\":\"parsed \\\"text\\\"\",\"user\":\"bob " FFFD "\","
             "\"tags\":[\"t1\",\"t2\"]}\n");
}
END_TEST

/* Checks objects g0..g<n-1> in the document hold keys in byte order. */
static void
test_check_groups_sorted(const struct buf *b, int n)
{
    json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(j);
    for (int g = 0; g < n; g++) {
        char key[16];
        snprintf(key, sizeof(key), "g%d", g);
        json_t *obj = json_object_get(j, key);
        ck_assert(json_is_object(obj));
        const char *k, *prev = "";
        json_t *v;
        json_object_foreach(obj, k, v)
        {
            ck_assert_msg(strcmp(prev, k) < 0, "%s after %s", k, prev);
            prev = k;
        }
    }
    /* The groups, @timestamp and message. */
    ck_assert_uint_eq(json_object_size(j), (size_t)n + 2);
    json_decref(j);
}

START_TEST(event_warm_encoder_stops_allocating)
{
    enum { NFIELDS = 300 };
    static struct field fs[NFIELDS];
    static char names[NFIELDS][16];
    for (int i = 0; i < NFIELDS; i++) {
        /* Reverse order and shared prefixes, to exercise the merge sort. */
        int n = snprintf(names[i], sizeof(names[i]), "g%d.f%03d", i % 7,
                         NFIELDS - i);
        fs[i].name = (struct span){names[i], (size_t)n};
        fs[i].value = SPAN_LIT("1");
        fs[i].type = FIELD_INT;
    }
    struct event ev = ndjsontest_event(fs, NFIELDS);
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    /* Warm: the first replay reserves the worst case of its values once. */
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    struct ndjson_entry *order = enc.order;
    size_t cap_order = enc.cap_order;
    char *data = b.data;
    size_t cap = b.cap, len = b.len;
    for (int round = 0; round < 3; round++) {
        buf_reset(&b);
        ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
        ck_assert_ptr_eq(enc.order, order);
        ck_assert_uint_eq(enc.cap_order, cap_order);
        ck_assert_ptr_eq(b.data, data);
        ck_assert_uint_eq(b.cap, cap);
        ck_assert_uint_eq(b.len, len);
    }
    /* Fewer fields never shrink it. */
    ev.nfields = 3;
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    ck_assert_ptr_eq(enc.order, order);

    ev.nfields = NFIELDS;
    buf_reset(&b);
    ck_assert_int_eq(ndjson_write_event(&enc, &b, &ev), 0);
    test_check_groups_sorted(&b, 7);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

/* Returns whether a is a strict dotted descendant of b. */
static bool
test_is_below(struct span a, struct span b)
{
    return a.len > b.len && a.ptr[b.len] == '.' &&
           memcmp(a.ptr, b.ptr, b.len) == 0;
}

/* Returns whether name has an empty segment (written as one key). */
static bool
test_is_literal(struct span n)
{
    if (n.len == 0 || n.ptr[0] == '.' || n.ptr[n.len - 1] == '.')
        return true;
    for (size_t i = 0; i + 1 < n.len; i++)
        if (n.ptr[i] == '.' && n.ptr[i + 1] == '.')
            return true;
    return false;
}

/* Checks every object's keys are in byte order ("value" may lead). */
static void
test_check_key_order(json_t *obj, bool root)
{
    const char *k, *prev = NULL;
    size_t klen, prev_len = 0;
    json_t *v;
    json_object_keylen_foreach(obj, k, klen, v)
    {
        if (json_is_object(v))
            test_check_key_order(v, false);
        bool skip = (root && (!strcmp(k, "@timestamp") ||
                              (!strcmp(k, "tags") && json_is_array(v)))) ||
                    (!root && !prev && !strcmp(k, "value"));
        if (skip)
            continue;
        if (prev) {
            size_t n = prev_len < klen ? prev_len : klen;
            int c = memcmp(prev, k, n);
            ck_assert_msg(c < 0 || (c == 0 && prev_len < klen),
                          "key %s after %s", k, prev);
        }
        prev = k;
        prev_len = klen;
    }
}

/*
 * Checks the field at all[i] (the last of its name) is in the document:
 * at its path, or under "value" where it has children, or dropped only
 * when a child named "value" took its place.
 */
static void
test_check_field_present(json_t *root, const struct field *all, size_t n,
                         size_t i)
{
    struct span name = all[i].name;
    bool has_child = false;
    for (size_t k = 0; k < n; k++) {
        if (test_is_literal(all[k].name) || !test_is_below(all[k].name, name))
            continue;
        has_child = true;
        const char *rest = all[k].name.ptr + name.len;
        size_t rest_len = all[k].name.len - name.len;
        if (rest_len >= 6 && !memcmp(rest, ".value", 6) &&
            (rest_len == 6 || rest[6] == '.'))
            return; /* dropped for the child "value" */
    }
    json_t *node = root;
    const char *p = name.ptr, *end = name.ptr + name.len;
    while (!test_is_literal(name) && memchr(p, '.', (size_t)(end - p))) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        node = json_object_getn(node, p, (size_t)(dot - p));
        ck_assert_msg(json_is_object(node), "no object for %.*s", (int)name.len,
                      name.ptr);
        p = dot + 1;
    }
    node = json_object_getn(node, p, (size_t)(end - p));
    if (has_child)
        node = json_object_get(node, "value");
    ck_assert_msg(node != NULL, "%.*s missing", (int)name.len, name.ptr);
    char *got = json_dumps(node, JSON_ENCODE_ANY | JSON_COMPACT);
    char want[64];
    if (all[i].type == FIELD_STRING)
        snprintf(want, sizeof(want), "\"%.*s\"", (int)all[i].value.len,
                 all[i].value.ptr);
    else
        snprintf(want, sizeof(want), "%.*s", (int)all[i].value.len,
                 all[i].value.ptr);
    ck_assert_str_eq(got, want);
    free(got);
}

/* Builds a random dotted name from a few segments into d; returns it. */
static struct span
test_random_name(char *d, size_t size)
{
    static const char *const segs[] = {"a",    "b",       "value", "log",
                                       "tags", "message", "flags", "a-"};
    size_t nsegs = 1 + ndjsontest_rand_below(3), n = 0;
    for (size_t s = 0; s < nsegs; s++) {
        if (s > 0 || ndjsontest_rand_below(20) == 0)
            d[n++] = '.'; /* a leading dot now and then */
        if (ndjsontest_rand_below(20) == 0)
            continue; /* an empty segment */
        const char *seg =
            segs[ndjsontest_rand_below(sizeof(segs) / sizeof(*segs))];
        size_t len = strlen(seg);
        ck_assert_uint_lt(n + len, size);
        memcpy(d + n, seg, len);
        n += len;
    }
    return (struct span){d, n};
}

/*
 * With ev's shape just recorded in enc, encodes a copy with the same names
 * but other values, text, tags and flag bits, and checks the cached
 * encoding matches a fresh encoder's.
 */
static void
test_check_replay(struct ndjson_enc *enc, const struct event *ev)
{
    enum { MAX_FIELDS = 24 };
    struct field fs[MAX_FIELDS];
    char values[MAX_FIELDS][16];
    struct event other = *ev;
    ck_assert_uint_le(ev->nfields, MAX_FIELDS);
    for (size_t i = 0; i < ev->nfields; i++) {
        fs[i].name = ev->fields[i].name;
        fs[i].static_name = ev->fields[i].static_name;
        fs[i].type = ndjsontest_rand_below(2) ? FIELD_INT : FIELD_STRING;
        int len = snprintf(values[i], sizeof(values[i]), "%zu",
                           ndjsontest_rand_below(1000));
        fs[i].value = (struct span){values[i], (size_t)len};
    }
    other.fields = fs;
    other.text = SPAN_LIT("other \"text\"");
    other.ntags = ndjsontest_rand_below(3);
    if (other.flags & (EVENT_TRUNCATED | EVENT_MULTILINE))
        other.flags = (other.flags & EVENT_NO_MESSAGE) |
                      (1 + (unsigned)ndjsontest_rand_below(3));
    other.time_ns = (int64_t)ndjsontest_rand_below(1u << 30) * 1000000000;

    struct ndjson_enc fresh;
    struct buf warm_out, fresh_out;
    ndjson_enc_init(&fresh);
    buf_init(&warm_out, 0);
    buf_init(&fresh_out, 0);
    ck_assert_int_eq(ndjson_write_event(enc, &warm_out, &other), 0);
    ck_assert_int_eq(ndjson_write_event(&fresh, &fresh_out, &other), 0);
    ndjsontest_expect_bytes(warm_out.data, warm_out.len, fresh_out.data,
                            fresh_out.len);
    buf_fini(&warm_out);
    buf_fini(&fresh_out);
    ndjson_enc_fini(&fresh);
}

/* The stand-in field ndjson.c writes for ev->flags. */
static struct field
test_flags_field(unsigned flags)
{
    static const struct span values[] = {
        SPAN_LIT("null"),
        SPAN_LIT("[\"truncated\"]"),
        SPAN_LIT("[\"multiline\"]"),
        SPAN_LIT("[\"truncated\",\"multiline\"]"),
    };
    return (struct field){SPAN_LIT("log.flags"), values[flags & 3], FIELD_JSON,
                          false};
}

static void test_check_rules(json_t *root, const struct event *ev,
                             const struct field *all, size_t n);

/* Encodes one random event and checks it against the documented rules. */
static void
test_check_random_event(struct ndjson_enc *enc, struct buf *b)
{
    enum { MAX_FIELDS = 24 };
    struct field fs[MAX_FIELDS], all[MAX_FIELDS + 2];
    char names[MAX_FIELDS][32], values[MAX_FIELDS][16];
    size_t nf = ndjsontest_rand_below(MAX_FIELDS + 1), n = 0;
    bool no_message = ndjsontest_rand_below(4) == 0;
    if (!no_message)
        all[n++] = (struct field){SPAN_LIT("message"), SPAN_LIT("m"),
                                  FIELD_STRING, false};
    for (size_t i = 0; i < nf; i++) {
        fs[i].name = test_random_name(names[i], sizeof(names[i]));
        fs[i].static_name = false; /* names[] is rewritten every event */
        fs[i].type = ndjsontest_rand_below(2) ? FIELD_INT : FIELD_STRING;
        int len = snprintf(values[i], sizeof(values[i]),
                           fs[i].type == FIELD_INT ? "%zu" : "s%zu", i);
        fs[i].value = (struct span){values[i], (size_t)len};
        all[n++] = fs[i];
    }
    struct event ev = ndjsontest_event(fs, nf);
    ev.flags = (unsigned)ndjsontest_rand_below(4);
    if (ev.flags)
        all[n++] = test_flags_field(ev.flags);
    if (no_message)
        ev.flags |= EVENT_NO_MESSAGE;
    ev.ntags = ndjsontest_rand_below(3);
    ev.tags[0] = SPAN_LIT("t0");
    ev.tags[1] = SPAN_LIT("t1");

    buf_reset(b);
    ck_assert_int_eq(ndjson_write_event(enc, b, &ev), 0);
    test_check_replay(enc, &ev);
    json_error_t jerr;
    json_t *root = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root != NULL, "jansson: %s in %s", jerr.text, b->data);
    ck_assert_int_eq(b->data[b->len - 1], '\n');
    test_check_key_order(root, true);
    test_check_rules(root, &ev, all, n);
    json_decref(root);
}

/*
 * Checks the document against the rules: the last field of each name is
 * there, and ev->tags are unless a field took the "tags" key.
 */
static void
test_check_rules(json_t *root, const struct event *ev, const struct field *all,
                 size_t n)
{
    bool tags_field = false;
    for (size_t i = 0; i < n; i++) {
        bool last = true;
        for (size_t j = i + 1; j < n; j++)
            if (all[j].name.len == all[i].name.len &&
                !memcmp(all[j].name.ptr, all[i].name.ptr, all[i].name.len))
                last = false;
        if (last)
            test_check_field_present(root, all, n, i);
        tags_field |= !test_is_literal(all[i].name) && all[i].name.len >= 4 &&
                      !memcmp(all[i].name.ptr, "tags", 4) &&
                      (all[i].name.len == 4 || all[i].name.ptr[4] == '.');
    }
    if (ev->ntags && !tags_field) {
        json_t *tags = json_object_get(root, "tags");
        ck_assert(json_is_array(tags));
        ck_assert_uint_eq(json_array_size(tags), ev->ntags);
    }
}

START_TEST(event_fuzz_random_names)
{
    struct ndjson_enc enc;
    struct buf b;
    ndjson_enc_init(&enc);
    buf_init(&b, 0);
    for (int i = 0; i < 5000; i++)
        test_check_random_event(&enc, &b);
    buf_fini(&b);
    ndjson_enc_fini(&enc);
}
END_TEST

static Suite *
check_ndjson_suite(void)
{
    Suite *s = suite_create("ndjson");
    TCase *tc = tcase_create("event");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, event_minimal);
    tcase_add_test(tc, event_nests_dotted_names);
    tcase_add_test(tc, event_dot_sorts_below_every_byte);
    tcase_add_test(tc, event_value_object_conflict);
    tcase_add_test(tc, event_deep_conflict_and_closing);
    tcase_add_test(tc, event_value_child_wins_over_value);
    tcase_add_test(tc, event_duplicates_last_wins);
    tcase_add_test(tc, event_message_field_overrides_text);
    tcase_add_test(tc, event_message_sorted_among_fields);
    tcase_add_test(tc, event_tags_written_last);
    tcase_add_test(tc, event_tags_field_replaces_tags);
    tcase_add_test(tc, event_truncated_flag_merges_into_log);
    tcase_add_test(tc, event_flags_beat_log_flags_field);
    tcase_add_test(tc, event_timestamp_fields_skipped);
    tcase_add_test(tc, event_empty_segments_are_one_key);
    tcase_add_test(tc, event_escapes_names_and_values);
    tcase_add_test(tc, event_types_copied_verbatim);
    tcase_add_test(tc, event_null_empty_spans);
    tcase_add_test(tc, event_no_message_flag);
    tcase_add_test(tc, event_rich_exact);
    tcase_add_test(tc, event_limit_every_cut_restores);
    tcase_add_test(tc, event_warm_encoder_stops_allocating);
    tcase_add_test(tc, event_fuzz_random_names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_ndjson_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
