/*
 * Unit tests for the `time` stage (parsers/time.c): bound from YAML text
 * through its own option table, initialised, then applied to events built
 * by hand. Checks @timestamp to the nanosecond, the note for --explain,
 * a target field, remove_field, skipped and no-match outcomes, format
 * order, the zone and year inference from the read time, and init errors.
 */
#include "config.h"

#include "conftree.h"
#include "event.h"
#include "options.h"
#include "scratch.h"
#include "stage.h"
#include "stages.h"
#include "stagetest.h"
#include "xalloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS      1000000000LL
#define E0      1795674081LL        /* 2026-11-26T06:21:21Z */
#define READ_NS (1798761605LL * NS) /* 2027-01-01T00:00:05Z */
#define APACHE  "%d/%b/%Y:%H:%M:%S %z"

/* Starts a new event read at read_ns, with field = value if field. */
static void
time_event(struct stagetest *fx, const char *field, const char *value,
           int64_t read_ns)
{
    stagetest_begin(fx, NULL, 0);
    fx->ev.time_ns = read_ns;
    if (field != NULL)
        event_set(&fx->ev, span_str(field), span_str(value), FIELD_STRING);
}

/* The value of a field as a NUL-terminated string in scratch, or NULL. */
static const char *
field_text(struct stagetest *fx, const char *name)
{
    const struct field *f = event_get(&fx->ev, span_str(name));
    return f ? scratch_strndup(&fx->sc, f->value.ptr, f->value.len) : NULL;
}

START_TEST(type_is_described)
{
    ck_assert_str_eq(stage_time.name, "time");
    ck_assert_str_eq(stage_time.failure_tag, "_logship_time_failure");
    ck_assert_ptr_nonnull(stage_time.summary);
    ck_assert_ptr_nonnull(stage_time.apply);
    const char *want[] = {"field", "formats", "timezone", "target",
                          "remove_field"};
    size_t n = 0;
    for (const struct opt *o = stage_time.options; o->name != NULL; o++, n++)
        ck_assert_str_eq(o->name, want[n]);
    ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(sets_timestamp_from_the_field)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time, "formats: ['" APACHE "']\n");
    time_event(&fx, "timestamp", "26/Nov/2026:06:21:21 +0100", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, (E0 - 3600) * NS);
    ck_assert_str_eq(fx.ctx.note, APACHE);
    /* the source field stays by default */
    ck_assert_str_eq(field_text(&fx, "timestamp"),
                     "26/Nov/2026:06:21:21 +0100");
    stagetest_close(&fx);
}
END_TEST

START_TEST(reads_the_message_text)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time, "field: message\nformats: ISO8601\n");
    time_event(&fx, NULL, NULL, READ_NS);
    fx.ev.text = span_str("2026-11-26T06:21:21.250Z");
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, E0 * NS + 250000000);
    stagetest_close(&fx);
}
END_TEST

START_TEST(timezone_applies_to_times_without_offset)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "formats: ISO8601\ntimezone: Europe/Paris\n");
    time_event(&fx, "timestamp", "2026-07-01 12:00:00", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1782900000LL * NS);
    /* an offset in the input wins over the zone */
    time_event(&fx, "timestamp", "2026-07-01 12:00:00Z", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1782907200LL * NS);
    stagetest_close(&fx);
}
END_TEST

/* Without timezone, times are in the machine's zone ($TZ at init). */
START_TEST(default_zone_is_the_machines)
{
    struct stagetest fx;
    ck_assert_int_eq(setenv("TZ", "Europe/Paris", 1), 0);
    stagetest_open_ok(&fx, &stage_time, "formats: ISO8601\n");
    ck_assert_int_eq(setenv("TZ", "UTC", 1), 0); /* loaded once, at init */
    time_event(&fx, "timestamp", "2026-07-01 12:00:00", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1782900000LL * NS);
    stagetest_close(&fx);
}
END_TEST

/* An input's timezone is the default of a stage that names none, over the
 * machine's; a stage's own timezone wins over both. */
START_TEST(input_zone_is_the_default_and_the_stage_zone_wins)
{
    struct stagetest fx;
    struct errbuf err = {{0}};
    ck_assert_int_eq(setenv("TZ", "Asia/Tokyo", 1), 0);
    ck_assert_int_eq(stagetest_open_in_zone(&fx, &stage_time,
                                            "formats: ISO8601\n",
                                            "Europe/Paris", &err),
                     0);
    time_event(&fx, "timestamp", "2026-07-01 12:00:00", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1782900000LL * NS); /* 10:00Z */
    stagetest_close(&fx);

    ck_assert_int_eq(stagetest_open_in_zone(&fx, &stage_time,
                                            "formats: ISO8601\n"
                                            "timezone: UTC\n",
                                            "Europe/Paris", &err),
                     0);
    time_event(&fx, "timestamp", "2026-07-01 12:00:00", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1782907200LL * NS); /* 12:00Z */
    stagetest_close(&fx);
    ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
}
END_TEST

START_TEST(year_is_inferred_from_the_read_time)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time, "formats: SYSLOG\n");
    /* a December line read on New Year's day is last year's */
    time_event(&fx, "timestamp", "Dec 31 23:59:58", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1798761598LL * NS);
    /* the same line read in December 2027 is that year's (so results of
     * yearless formats must not be cached by value) */
    time_event(&fx, "timestamp", "Dec 31 23:59:58", 1827619200LL * NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1830297598LL * NS);
    time_event(&fx, "timestamp", "Jan  1 00:00:03", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1798761603LL * NS);
    stagetest_close(&fx);
}
END_TEST

START_TEST(target_field_gets_iso_text)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "formats: UNIX_MS\ntarget: event.created\n");
    time_event(&fx, "timestamp", "1795674081123", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, READ_NS); /* @timestamp untouched */
    const struct field *f = event_get(&fx.ev, SPAN_LIT("event.created"));
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, FIELD_STRING);
    ck_assert_str_eq(field_text(&fx, "event.created"),
                     "2026-11-26T06:21:21.123Z");
    stagetest_close(&fx);
}
END_TEST

START_TEST(remove_field_after_success_only)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "field: ts\nformats: ISO8601\nremove_field: true\n");
    time_event(&fx, "ts", "2026-11-26T06:21:21Z", READ_NS);
    event_set(&fx.ev, SPAN_LIT("other"), SPAN_LIT("x"), FIELD_STRING);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, E0 * NS);
    ck_assert_ptr_null(event_get(&fx.ev, SPAN_LIT("ts")));
    ck_assert_ptr_nonnull(event_get(&fx.ev, SPAN_LIT("other")));

    time_event(&fx, "ts", "not a time", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_NO_MATCH);
    ck_assert_str_eq(field_text(&fx, "ts"), "not a time");
    stagetest_close(&fx);
}
END_TEST

START_TEST(remove_field_then_target_of_the_same_name)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "field: ts\ntarget: ts\nformats: UNIX\n"
                      "remove_field: true\n");
    time_event(&fx, "ts", "1795674081", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_str_eq(field_text(&fx, "ts"), "2026-11-26T06:21:21.000Z");
    stagetest_close(&fx);
}
END_TEST

#define LONG_TAIL "and a literal tail long enough to pass 64 bytes"

START_TEST(repeated_values_give_the_same_results)
{
    static const struct {
        const char *value;
        int64_t ns;
        const char *note;
    } seq[] = {
        {"2026-11-26T06:21:21Z", E0 * NS, "ISO8601"},
        {"2026-11-26T06:21:21Z", E0 * NS, "ISO8601"},
        {"2026-11-26T06:21:22Z", (E0 + 1) * NS, "ISO8601"},
        {"1795674081", E0 * NS, "UNIX"},
        {"1795674081", E0 * NS, "UNIX"},
        {"179567408", 179567408LL * NS, "UNIX"}, /* a prefix of the last */
        {"nope", 0, NULL},
        {"nope", 0, NULL},
        {"2026-11-26T06:21:21Z", E0 * NS, "ISO8601"},
        /* longer than the cache holds */
        {"26/11/2026 06:21:21 " LONG_TAIL, E0 * NS, "%d/%m/%Y %T " LONG_TAIL},
        {"26/11/2026 06:21:21 " LONG_TAIL, E0 * NS, "%d/%m/%Y %T " LONG_TAIL},
        {"26/11/2026 06:21:22 " LONG_TAIL, (E0 + 1) * NS,
         "%d/%m/%Y %T " LONG_TAIL},
        {"", 0, NULL},
    };
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "formats: [ISO8601, UNIX, '%d/%m/%Y %T " LONG_TAIL
                      "']\n");
    for (int pass = 0; pass < 2; pass++) {
        void *worker = fx.worker;
        if (pass == 1) /* the same without a worker cache */
            fx.worker = NULL;
        for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
            time_event(&fx, "timestamp", seq[i].value, READ_NS);
            enum stage_status st = stagetest_run(&fx);
            if (seq[i].note == NULL) {
                ck_assert_msg(st == STAGE_NO_MATCH, "step %zu", i);
                ck_assert_int_eq(fx.ev.time_ns, READ_NS);
                continue;
            }
            ck_assert_msg(st == STAGE_OK, "step %zu", i);
            ck_assert_int_eq(fx.ev.time_ns, seq[i].ns);
            ck_assert_str_eq(fx.ctx.note, seq[i].note);
        }
        fx.worker = worker;
    }
    stagetest_close(&fx);
}
END_TEST

START_TEST(absent_field_is_skipped)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time, "formats: ISO8601\n");
    time_event(&fx, "other", "2026-11-26T06:21:21Z", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_SKIPPED);
    ck_assert_int_eq(fx.ev.time_ns, READ_NS);
    ck_assert_ptr_null(fx.ctx.note);
    stagetest_close(&fx);
}
END_TEST

START_TEST(unparsable_value_is_no_match)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time, "formats: [ISO8601, '" APACHE "']\n");
    static const char *const bad[] = {"", "yesterday", "2026-11-26T06:21:21Zx",
                                      "26/Nov/2026:06:21:21"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_event(&fx, "timestamp", bad[i], READ_NS);
        ck_assert_int_eq(stagetest_run(&fx), STAGE_NO_MATCH);
        ck_assert_int_eq(fx.ev.time_ns, READ_NS);
    }
    stagetest_close(&fx);
}
END_TEST

START_TEST(formats_are_tried_in_order)
{
    struct stagetest fx;
    stagetest_open_ok(&fx, &stage_time,
                      "formats: ['%Y%m%d', UNIX, '" APACHE "']\n");
    time_event(&fx, "timestamp", "20261126", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 1795651200LL * NS);
    ck_assert_str_eq(fx.ctx.note, "%Y%m%d");
    time_event(&fx, "timestamp", "1795674081", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, E0 * NS);
    ck_assert_str_eq(fx.ctx.note, "UNIX");
    time_event(&fx, "timestamp", "26/Nov/2026:06:21:21 +0000", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, E0 * NS);
    ck_assert_str_eq(fx.ctx.note, APACHE);
    stagetest_close(&fx);

    /* the other way round, the same input is an epoch */
    stagetest_open_ok(&fx, &stage_time, "formats: [UNIX, '%Y%m%d']\n");
    time_event(&fx, "timestamp", "20261126", READ_NS);
    ck_assert_int_eq(stagetest_run(&fx), STAGE_OK);
    ck_assert_int_eq(fx.ev.time_ns, 20261126LL * NS);
    ck_assert_str_eq(fx.ctx.note, "UNIX");
    stagetest_close(&fx);
}
END_TEST

START_TEST(init_errors_name_the_option)
{
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"formats: [ISO8601, '%Y-%Q']\n",
         "formats[1]: unknown directive %Q in \"%Y-%Q\""},
        {"formats: ['%H:%M']\n", "formats[0]: no date in \"%H:%M\": it needs "
                                 "%m (or %b) and %d, %j with %Y, or %s"},
        {"formats: ISO8601\ntimezone: Mars/Base\n",
         "timezone: unknown time zone \"Mars/Base\""},
        {"formats: ISO8601\ntimezone: '+25:00'\n",
         "timezone: bad time zone offset \"+25:00\" (expected +hh:mm, +hhmm "
         "or +hh)"},
        {"formats: []\n", "formats: at least one format is needed"},
        {"formats: ISO8601\ntarget: ''\n", "target: must not be empty"},
        {"formats: ISO8601\nfield: ''\n", "field: must not be empty"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stagetest fx;
        struct errbuf err;
        ck_assert_int_lt(stagetest_open(&fx, &stage_time, cases[i].yaml, &err),
                         0);
        ck_assert_str_eq(err.msg, cases[i].msg);
        stagetest_close(&fx);
    }
}
END_TEST

START_TEST(formats_are_required)
{
    struct errlist errs = {0};
    const char *yaml = "field: ts\n";
    struct conf_tree *tree =
        conftree_load_string("t.yml", yaml, strlen(yaml), &errs);
    ck_assert_ptr_nonnull(tree);
    void *conf = xcalloc(1, stage_time.conf_size);
    struct opt_ctx octx = {.errs = &errs, .file = tree->path};
    ck_assert_uint_eq(options_bind(stage_time.options, tree->root, conf, &octx),
                      1);
    ck_assert_ptr_nonnull(strstr(errs.msgs[0], "formats"));
    options_fini(stage_time.options, conf);
    free(conf);
    conftree_destroy(tree);
    errlist_fini(&errs);
}
END_TEST

static Suite *
stage_time_suite(void)
{
    Suite *s = suite_create("stage_time");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, type_is_described);
    tcase_add_test(tc, sets_timestamp_from_the_field);
    tcase_add_test(tc, reads_the_message_text);
    tcase_add_test(tc, timezone_applies_to_times_without_offset);
    tcase_add_test(tc, default_zone_is_the_machines);
    tcase_add_test(tc, input_zone_is_the_default_and_the_stage_zone_wins);
    tcase_add_test(tc, year_is_inferred_from_the_read_time);
    tcase_add_test(tc, target_field_gets_iso_text);
    tcase_add_test(tc, remove_field_after_success_only);
    tcase_add_test(tc, remove_field_then_target_of_the_same_name);
    tcase_add_test(tc, repeated_values_give_the_same_results);
    tcase_add_test(tc, absent_field_is_skipped);
    tcase_add_test(tc, unparsable_value_is_no_match);
    tcase_add_test(tc, formats_are_tried_in_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("init");
    tcase_add_test(tc, init_errors_name_the_option);
    tcase_add_test(tc, formats_are_required);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    /* The stage's default zone is the machine's: make it the same here. */
    setenv("TZ", "UTC", 1);
    SRunner *sr = srunner_create(stage_time_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
