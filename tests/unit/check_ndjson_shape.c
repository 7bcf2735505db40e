/*
 * Unit tests for ndjson.c's shape cache: an event with the field names of
 * an earlier one is written by replaying the recorded layout, so each case
 * checks that the replay writes exactly what the slow path would when
 * names change in reused memory, flags, values and tags change, static
 * and copied names alternate, and more shapes than the cache holds mix.
 */
#include "config.h"

#include "ndjson.h"
#include "ndjsontest.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

START_TEST(shape_cache_follows_no_message)
{
    struct field fs[] = {FI("a", "1")};
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    ndjsontest_check_event_with(&enc, &ev, TS0 ",\"a\":1,\"message\":\"m\"}\n");
    ev.flags = EVENT_NO_MESSAGE;
    ndjsontest_check_event_with(&enc, &ev, TS0 ",\"a\":1}\n");
    ev.flags = 0;
    ndjsontest_check_event_with(&enc, &ev, TS0 ",\"a\":1,\"message\":\"m\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(shape_cache_sees_new_names_at_same_address)
{
    /* Scratch memory is reused: same pointers, different bytes. */
    char names[2][8] = {"a.b", "c"};
    struct field fs[] = {
        {{names[0], 3}, SPAN_LIT("1"), FIELD_INT, false},
        {{names[1], 1}, SPAN_LIT("2"), FIELD_INT, false},
    };
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    ndjsontest_check_event_with(
        &enc, &ev, TS0 ",\"a\":{\"b\":1},\"c\":2,\"message\":\"m\"}\n");
    names[0][2] = 'x';
    ndjsontest_check_event_with(
        &enc, &ev, TS0 ",\"a\":{\"x\":1},\"c\":2,\"message\":\"m\"}\n");
    names[1][0] = 'a';
    ndjsontest_check_event_with(
        &enc, &ev, TS0 ",\"a\":{\"value\":2,\"x\":1},\"message\":\"m\"}\n");
    fs[1].name.len = 0;
    ndjsontest_check_event_with(
        &enc, &ev, TS0 ",\"\":2,\"a\":{\"x\":1},\"message\":\"m\"}\n");
    ev.nfields = 1;
    ndjsontest_check_event_with(&enc, &ev,
                                TS0 ",\"a\":{\"x\":1},\"message\":\"m\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

START_TEST(shape_cache_follows_flags_values_and_tags)
{
    struct field fs[] = {FS("log.offset", "7"), FS("msg", "x")};
    struct event ev = EVENT_OF(fs);
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    ndjsontest_check_event_with(&enc, &ev,
                                TS0
                                ",\"log\":{\"offset\":\"7\"},\"message\":\"m\","
                                "\"msg\":\"x\"}\n");
    ev.flags = EVENT_TRUNCATED;
    ndjsontest_check_event_with(
        &enc, &ev,
        TS0 ",\"log\":{\"flags\":[\"truncated\"],"
            "\"offset\":\"7\"},\"message\":\"m\",\"msg\":\"x\"}\n");
    ev.flags = EVENT_MULTILINE; /* same shape, other value */
    fs[1].value = SPAN_LIT("y\"");
    fs[0].type = FIELD_INT;
    ev.text = SPAN_LIT("t");
    ev.tags[0] = SPAN_LIT("k");
    ev.ntags = 1;
    ndjsontest_check_event_with(
        &enc, &ev,
        TS0 ",\"log\":{\"flags\":[\"multiline\"],"
            "\"offset\":7},\"message\":\"t\",\"msg\":\"y\\\"\","
            "\"tags\":[\"k\"]}\n");
    ev.flags = 0;
    ev.ntags = 0;
    ndjsontest_check_event_with(&enc, &ev,
                                TS0 ",\"log\":{\"offset\":7},\"message\":\"t\","
                                    "\"msg\":\"y\\\"\"}\n");
    ndjson_enc_fini(&enc);
}
END_TEST

/*
 * The same names as static fields (matched by address) and as scratch
 * copies (matched by bytes), alternating: one document, whichever way.
 */
START_TEST(shape_cache_static_and_copied_names_agree)
{
    char copy[2][16] = {"http.version", "user.name"};
    struct field fs[] = {
        {SPAN_LIT("http.version"), SPAN_LIT("1.1"), FIELD_STRING, true},
        {SPAN_LIT("user.name"), SPAN_LIT("u"), FIELD_STRING, true},
    };
    const char *name_doc = TS0 ",\"http\":{\"version\":\"1.1\"},"
                               "\"message\":\"m\",\"user\":{\"name\":\"u\"}}\n";
    const char *mail_doc = TS0 ",\"http\":{\"version\":\"1.1\"},"
                               "\"message\":\"m\",\"user\":{\"mail\":\"u\"}}\n";
    struct ndjson_enc enc;
    ndjson_enc_init(&enc);
    for (int round = 0; round < 8; round++) {
        bool stat = round % 2 == 0;
        if (round == 4) /* the copy changes: its cached shape must not match */
            memcpy(copy[1], "user.mail", 9);
        fs[0].name =
            stat ? SPAN_LIT("http.version") : (struct span){copy[0], 12};
        fs[1].name = stat ? SPAN_LIT("user.name") : (struct span){copy[1], 9};
        fs[0].static_name = fs[1].static_name = stat;
        struct event ev = EVENT_OF(fs);
        ndjsontest_check_event_with(&enc, &ev,
                                    stat || round < 4 ? name_doc : mail_doc);
    }
    ndjson_enc_fini(&enc);
}
END_TEST

/*
 * More shapes than the cache holds, in random order: every document from
 * the warm encoder (hits, misses, evictions) equals a fresh encoder's.
 */
START_TEST(shape_cache_many_shapes_interleaved)
{
    static const char *const names[] = {
        "http.request.method", "http.response.status_code", "user.name",
        "url.original", "source.address", "http.version", "log.level",
        "user_agent.original",
        /* the same length, first and last 8 bytes: only a full compare
         * tells them apart */
        "labels.xx.one.xx.tail", "labels.xx.two.xx.tail"};
    enum { NNAMES = sizeof(names) / sizeof(names[0]) };
    struct field fs[NNAMES];
    struct ndjson_enc warm, fresh;
    struct buf wb, fb;
    ndjson_enc_init(&warm);
    buf_init(&wb, 0);
    buf_init(&fb, 0);
    for (int round = 0; round < 3000; round++) {
        unsigned subset = (unsigned)ndjsontest_rand_below(1u << NNAMES);
        size_t n = 0;
        for (size_t i = 0; i < NNAMES; i++) {
            if (!(subset & (1u << i)))
                continue;
            fs[n].name = span_str(names[i]);
            fs[n].static_name = ndjsontest_rand_below(2); /* literals: either */
            fs[n].value =
                ndjsontest_rand_below(2) ? SPAN_LIT("x\"y") : SPAN_LIT("7");
            fs[n].type = fs[n].value.len == 1 ? FIELD_INT : FIELD_STRING;
            n++;
        }
        struct event ev = ndjsontest_event(fs, n);
        ev.flags = (unsigned)ndjsontest_rand_below(8) &
                   (EVENT_TRUNCATED | EVENT_MULTILINE | EVENT_NO_MESSAGE);
        buf_reset(&wb);
        buf_reset(&fb);
        ndjson_enc_init(&fresh);
        ck_assert_int_eq(ndjson_write_event(&warm, &wb, &ev), 0);
        ck_assert_int_eq(ndjson_write_event(&fresh, &fb, &ev), 0);
        ndjsontest_expect_bytes(wb.data, wb.len, fb.data, fb.len);
        ndjson_enc_fini(&fresh);
    }
    buf_fini(&wb);
    buf_fini(&fb);
    ndjson_enc_fini(&warm);
}
END_TEST

static Suite *
check_ndjson_shape_suite(void)
{
    Suite *s = suite_create("ndjson_shape");
    TCase *tc = tcase_create("shape_cache");
    tcase_add_test(tc, shape_cache_sees_new_names_at_same_address);
    tcase_add_test(tc, shape_cache_follows_flags_values_and_tags);
    tcase_add_test(tc, shape_cache_follows_no_message);
    tcase_add_test(tc, shape_cache_many_shapes_interleaved);
    tcase_add_test(tc, shape_cache_static_and_copied_names_agree);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_ndjson_shape_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
