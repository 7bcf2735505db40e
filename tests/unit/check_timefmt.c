/*
 * Unit tests for timefmt.c and timefmt_zone.c: tables of (spec, input,
 * zone, now) with exact nanoseconds for every directive, the Apache and
 * ISO 8601 forms, epochs, syslog year inference across New Year both ways,
 * fixed and IANA zones (DST gaps and overlaps, the POSIX footer beyond the
 * last transition, Lord Howe's 30-minute DST), hand-made TZif files (v1,
 * v2 footers, corrupt ones), missing tzdata, four threads agreeing with
 * one, invalid inputs and compile errors. Expected values were computed
 * independently (Python's zoneinfo, fold=0) and are written as literals.
 */
#include "config.h"

#include "timefmt.h"

#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS           1000000000LL
#define FAIL         INT64_MIN           /* expected: -EINVAL */
#define E0           1795674081LL        /* 2026-11-26T06:21:21Z */
#define MIDNIGHT     1795651200LL        /* 2026-11-26T00:00:00Z */
#define NOW_NOV26    (1795694400LL * NS) /* 2026-11-26T12:00:00Z */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct parse_case {
    const char *spec;
    const char *input;
    const char *zone; /* NULL: UTC */
    int64_t now_ns;
    int64_t want_ns; /* or FAIL */
};

/* Parses one input; returns the ns or FAIL, failing on other errors. */
static int64_t
parse_one(const char *spec, const char *input, const char *zone_name,
          int64_t now_ns)
{
    struct errbuf err;
    struct timefmt *f = timefmt_compile(spec, &err);
    ck_assert_msg(f != NULL, "compile \"%s\": %s", spec, err.msg);
    struct timefmt_zone *zone = NULL;
    if (zone_name != NULL) {
        zone = timefmt_zone_load(zone_name, &err);
        ck_assert_msg(zone != NULL, "zone %s: %s", zone_name, err.msg);
    }
    int64_t ns = 12345;
    int rc = timefmt_parse(f, input, strlen(input), zone, now_ns, &ns);
    ck_assert_msg(rc == 0 || rc == -EINVAL, "rc %d", rc);
    if (rc < 0)
        ck_assert_int_eq(ns, 12345); /* untouched on failure */
    timefmt_zone_destroy(zone);
    timefmt_destroy(f);
    return rc == 0 ? ns : FAIL;
}

static void
run_cases(const struct parse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct parse_case *c = &cases[i];
        int64_t got = parse_one(c->spec, c->input, c->zone, c->now_ns);
        ck_assert_msg(got == c->want_ns,
                      "case %zu: \"%s\" with \"%s\" (zone %s): got %lld, "
                      "want %lld",
                      i, c->input, c->spec, c->zone ? c->zone : "UTC",
                      (long long)got, (long long)c->want_ns);
    }
}

/* ---- directives ---- */

START_TEST(every_directive_parses_exactly)
{
    static const struct parse_case cases[] = {
        {"%Y-%m-%d %H:%M:%S", "2026-11-26 06:21:21", NULL, 0, E0 * NS},
        {"%Y%m%d%H%M%S", "20261126062121", NULL, 0, E0 * NS},
        {"%Y-%m-%d %H:%M:%S", "2026-11-26 6:21:21", NULL, 0, E0 * NS},
        {"%d/%B/%Y", "26/november/2026", NULL, 0, MIDNIGHT * NS},
        {"%d %b %Y", "26 November 2026", NULL, 0, MIDNIGHT * NS},
        {"%d %h %Y", "26 NOV 2026", NULL, 0, MIDNIGHT * NS},
        {"%e.%m.%Y", " 6.11.2026", NULL, 0, 1793923200LL * NS},
        {"%e.%m.%Y", "6.11.2026", NULL, 0, 1793923200LL * NS},
        {"%e.%m.%Y", "06.11.2026", NULL, 0, 1793923200LL * NS},
        {"%y-%m-%d", "26-11-26", NULL, 0, MIDNIGHT * NS},
        {"%y-%m-%d", "69-01-01", NULL, 0, -31536000LL * NS},
        {"%y-%m-%d", "68-12-31", NULL, 0, 3124137600LL * NS},
        {"%Y %j", "2026 330", NULL, 0, MIDNIGHT * NS},
        {"%Y %j", "2024 366", NULL, 0, 1735603200LL * NS},
        {"%Y-%m-%d %I:%M:%S %p", "2026-11-26 12:00:00 AM", NULL, 0,
         MIDNIGHT * NS},
        {"%Y-%m-%d %I:%M:%S %p", "2026-11-26 12:30:00 PM", NULL, 0,
         (MIDNIGHT + 45000) * NS},
        {"%Y-%m-%d %I:%M:%S %p", "2026-11-26 06:21:21 pm", NULL, 0,
         (MIDNIGHT + 66081) * NS},
        {"%Y-%m-%d %l:%M:%S %p", "2026-11-26  6:21:21 AM", NULL, 0, E0 * NS},
        {"%Y-%m-%d %k:%M:%S", "2026-11-26  6:21:21", NULL, 0, E0 * NS},
        {"%Y-%m-%d|%k:%M:%S", "2026-11-26| 6:21:21", NULL, 0, E0 * NS},
        {"%a, %d %b %Y %H:%M:%S %z", "Thu, 26 Nov 2026 06:21:21 +0000", NULL, 0,
         E0 * NS},
        {"%A %d %B %Y", "THURSDAY 26 NOVEMBER 2026", NULL, 0, MIDNIGHT * NS},
        {"%a %d %b %Y", "Mon 26 Nov 2026", NULL, 0, MIDNIGHT * NS},
        {"%Y-%m-%d %H:%M:%S.%f", "2026-11-26 06:21:21.5", NULL, 0,
         E0 * NS + 500000000},
        {"%Y-%m-%d %H:%M:%S,%f", "2026-11-26 06:21:21,123456789", NULL, 0,
         E0 * NS + 123456789},
        {"%Y-%m-%d %H:%M:%S.%f", "2026-11-26 06:21:21.000001", NULL, 0,
         E0 * NS + 1000},
        {"%Y-%m-%d %H:%M:%S %Z", "2026-11-26 06:21:21 UTC", "Europe/Paris", 0,
         E0 * NS},
        {"%Y-%m-%d %H:%M:%S %Z", "2026-11-26 06:21:21 gmt", "Europe/Paris", 0,
         E0 * NS},
        {"%Y-%m-%d %H:%M:%S%Z", "2026-11-26 06:21:21Z", "Europe/Paris", 0,
         E0 * NS},
        {"%FT%T%z", "2026-11-26T07:21:21+01:00", NULL, 0, E0 * NS},
        {"%FT%T%z", "2026-11-26T07:21:21+01", NULL, 0, E0 * NS},
        {"%FT%T%z", "2026-11-26T06:21:21Z", "Europe/Paris", 0, E0 * NS},
        {"%s", "1795674081", NULL, 0, E0 * NS},
        {"%s.%f", "1795674081.25", NULL, 0, E0 * NS + 250000000},
        {"%s.%f", "-1.5", NULL, 0, -1500000000LL},
        {"%Y%%%m%%%d", "2026%11%26", NULL, 0, MIDNIGHT * NS},
        {"%d %b %Y", "26 \t Nov  2026", NULL, 0, MIDNIGHT * NS},
        {"[%d/%b/%Y]", "[26/Nov/2026]", NULL, 0, MIDNIGHT * NS},
        {"%Y-%m-%d", "2024-02-29", NULL, 0, 1709164800LL * NS},
        {"%Y-%m-%d %T", "1969-12-31 23:59:59", NULL, 0, -NS},
        {"%Y-%m-%d %T", "1969-12-31 00:00:00", NULL, 0, -86400 * NS},
        {"%Y-%m-%d", "1678-01-01", NULL, 0, -9214560000LL * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(apache_format_applies_its_offset)
{
    static const struct parse_case cases[] = {
        {"%d/%b/%Y:%H:%M:%S %z", "26/Nov/2026:06:21:21 +0100", NULL, 0,
         (E0 - 3600) * NS},
        {"%d/%b/%Y:%H:%M:%S %z", "26/Nov/2026:06:21:21 -0830", NULL, 0,
         (E0 + 30600) * NS},
        {"%d/%b/%Y:%H:%M:%S %z", "26/Nov/2026:06:21:21 +0000",
         "America/New_York", 0, E0 * NS},
        {"%d/%b/%Y:%H:%M:%S %z", "26/Nov/2026:06:21:21 +01:00", NULL, 0,
         (E0 - 3600) * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(leap_second_reads_as_last_nanosecond)
{
    static const struct parse_case cases[] = {
        {"%Y-%m-%d %H:%M:%S", "2016-12-31 23:59:60", NULL, 0,
         1483228799LL * NS + 999999999},
        {"ISO8601", "2016-12-31T23:59:60.5Z", NULL, 0,
         1483228799LL * NS + 999999999},
        {"%Y-%m-%d %H:%M:%S", "2016-12-31 23:59:61", NULL, 0, FAIL},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

/* ---- special specs ---- */

START_TEST(iso8601_variants)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2026-11-26T06:21:21Z", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26T06:21:21Z", "Europe/Paris", 0, E0 * NS},
        {"ISO8601", "2026-11-26T07:21:21.123456+01:00", NULL, 0,
         E0 * NS + 123456000},
        {"ISO8601", "2026-11-26 06:21:21,123", NULL, 0, E0 * NS + 123000000},
        {"ISO8601", "2026-11-26 07:21:21,123", "Europe/Paris", 0,
         E0 * NS + 123000000},
        {"ISO8601", "2026-11-26T07:21:21+0100", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26T07:21:21+01", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26T00:51:21-05:30", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26t06:21:21z", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26T06:21", NULL, 0, (E0 - 21) * NS},
        {"ISO8601", "2026-11-26", NULL, 0, MIDNIGHT * NS},
        {"ISO8601", "2026-11-26", "+02:00", 0, (MIDNIGHT - 7200) * NS},
        {"ISO8601", "2026-11-26 07:21:21 +0100", NULL, 0, E0 * NS},
        {"ISO8601", "2026-11-26T06:21:21.123456789Z", NULL, 0,
         E0 * NS + 123456789},
        {"ISO8601", "2026-11-26T06:21:21.1234567891Z", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T06:21:21Zjunk", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T06:21:21 Z", NULL, 0, FAIL},
        {"ISO8601", "2026-13-01T00:00:00Z", NULL, 0, FAIL},
        {"ISO8601", "2026-02-29T00:00:00Z", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T24:00:00Z", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T06:60:00Z", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T06:21:21.", NULL, 0, FAIL},
        {"ISO8601", "2026/11/26", NULL, 0, FAIL},
        {"ISO8601", " 2026-11-26", NULL, 0, FAIL},
        {"ISO8601", "2026-11-26T06:21:21+25:00", NULL, 0, FAIL},
        {"ISO8601", "26-11-26", NULL, 0, FAIL},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(epochs_of_each_unit)
{
    static const struct parse_case cases[] = {
        {"UNIX", "1795674081", NULL, 0, E0 * NS},
        {"UNIX", "1795674081.123", NULL, 0, E0 * NS + 123000000},
        {"UNIX", "1795674081.123456789", NULL, 0, E0 * NS + 123456789},
        {"UNIX", "0", "Europe/Paris", 0, 0},
        {"UNIX", "-1", NULL, 0, -NS},
        {"UNIX", "-1.5", NULL, 0, -1500000000LL},
        {"UNIX", "9223372036", NULL, 0, 9223372036LL * NS},
        {"UNIX", "9223372037", NULL, 0, FAIL},
        {"UNIX", "17956740811234567890", NULL, 0, FAIL},
        {"UNIX", "1795674081.", NULL, 0, FAIL},
        {"UNIX", "1795674081.1234567891", NULL, 0, FAIL},
        {"UNIX", "1e9", NULL, 0, FAIL},
        {"UNIX", "-", NULL, 0, FAIL},
        {"UNIX", "+1", NULL, 0, FAIL},
        {"UNIX_MS", "1795674081123", NULL, 0, 1795674081123000000LL},
        {"UNIX_MS", "1795674081123.456", NULL, 0, 1795674081123456000LL},
        {"UNIX_MS", "-1", NULL, 0, -1000000LL},
        {"UNIX_MS", "1.1234567", NULL, 0, FAIL},
        {"UNIX_US", "1795674081123456", NULL, 0, 1795674081123456000LL},
        {"UNIX_US", "1795674081123456.7", NULL, 0, 1795674081123456700LL},
        {"UNIX_US", "-2", NULL, 0, -2000LL},
        {"UNIX_NS", "1795674081123456789", NULL, 0, 1795674081123456789LL},
        {"UNIX_NS", "-5", NULL, 0, -5},
        {"UNIX_NS", "1.5", NULL, 0, FAIL},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(syslog_infers_the_year)
{
    const int64_t now_jan1 = 1798761605LL * NS;  /* 2027-01-01T00:00:05Z */
    const int64_t now_dec31 = 1798761598LL * NS; /* 2026-12-31T23:59:58Z */
    const int64_t now_late = 1798759800LL * NS;  /* 2026-12-31T23:30:00Z */
    const struct parse_case cases[] = {
        {"SYSLOG", "Nov 26 06:21:21", NULL, NOW_NOV26, E0 * NS},
        {"SYSLOG", "Nov  6 06:21:21", NULL, NOW_NOV26, 1793946081LL * NS},
        /* one month ahead: still this year */
        {"SYSLOG", "Dec 26 06:21:21", NULL, NOW_NOV26, 1798266081LL * NS},
        {"SYSLOG", "Jan 10 00:00:00", NULL, NOW_NOV26, 1768003200LL * NS},
        /* read in September: October is this year's, November last year's */
        {"SYSLOG", "Oct  1 00:00:00", NULL, 1789430400LL * NS,
         1790812800LL * NS},
        {"SYSLOG", "Nov  1 00:00:00", NULL, 1789430400LL * NS,
         1761955200LL * NS},
        /* a December line read on New Year's day: last year */
        {"SYSLOG", "Dec 31 23:59:58", NULL, now_jan1, 1798761598LL * NS},
        /* a January line read on New Year's Eve: next year */
        {"SYSLOG", "Jan  1 00:00:03", NULL, now_dec31, 1798761603LL * NS},
        /* now is December in UTC but January in Paris */
        {"SYSLOG", "Feb  1 00:00:00", NULL, now_late, 1769904000LL * NS},
        {"SYSLOG", "Feb  1 00:00:00", "Europe/Paris", now_late,
         1801436400LL * NS},
        {"%b %d %H:%M:%S %z", "Feb 01 00:00:00 +0100", NULL, now_late,
         1801436400LL * NS},
        {"SYSLOG", "Feb 29 00:00:00", NULL, 1773100800LL * NS, FAIL},
        {"SYSLOG", "Feb 29 00:00:00", NULL, 1710028800LL * NS,
         1709164800LL * NS},
        {"%d %b %H:%M:%S", "26 Nov 06:21:21", NULL, NOW_NOV26, E0 * NS},
        {"SYSLOG", "Foo 26 06:21:21", NULL, NOW_NOV26, FAIL},
        {"SYSLOG", "Nov 26 06:21:21 host", NULL, NOW_NOV26, FAIL},
        {"SYSLOG", "Nov 31 06:21:21", NULL, NOW_NOV26, FAIL},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

/* ---- zones ---- */

START_TEST(fixed_offset_zones)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2026-11-26 08:21:21", "+02:00", 0, E0 * NS},
        {"ISO8601", "2026-11-26 00:51:21", "-0530", 0, E0 * NS},
        {"ISO8601", "2026-11-26 08:21:21", "+02", 0, E0 * NS},
        {"ISO8601", "2026-11-26 06:21:21", "Z", 0, E0 * NS},
        {"ISO8601", "2026-11-26 06:21:21", "UTC", 0, E0 * NS},
        {"ISO8601", "2026-11-26 08:21:21", "Etc/GMT-2", 0, E0 * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(paris_summer_winter_gap_and_overlap)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2026-07-01 12:00:00", "Europe/Paris", 0,
         1782900000LL * NS},
        {"ISO8601", "2026-01-15 12:00:00", "Europe/Paris", 0,
         1768474800LL * NS},
        /* gap: 02:30 does not exist; read with +01:00 (before) */
        {"ISO8601", "2026-03-29 02:30:00", "Europe/Paris", 0,
         1774747800LL * NS},
        /* overlap: 02:30 happens twice; the first (+02:00) wins */
        {"ISO8601", "2026-10-25 02:30:00", "Europe/Paris", 0,
         1792888200LL * NS},
        {"ISO8601", "2026-10-25 03:00:00", "Europe/Paris", 0,
         1792893600LL * NS},
        {"ISO8601", "2026-10-25 01:59:59", "Europe/Paris", 0,
         1792886399LL * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(new_york_gap_and_overlap)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2026-07-04 12:00:00", "America/New_York", 0,
         1783180800LL * NS},
        {"ISO8601", "2026-03-08 02:30:00", "America/New_York", 0,
         1772955000LL * NS},
        {"ISO8601", "2026-11-01 01:30:00", "America/New_York", 0,
         1793511000LL * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(lord_howe_half_hour_dst)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2026-01-15 12:00:00", "Australia/Lord_Howe", 0,
         1768438800LL * NS},
        {"ISO8601", "2026-07-15 12:00:00", "Australia/Lord_Howe", 0,
         1784079000LL * NS},
        {"ISO8601", "2026-10-04 02:15:00", "Australia/Lord_Howe", 0,
         1791042300LL * NS},
        {"ISO8601", "2026-04-05 01:45:00", "Australia/Lord_Howe", 0,
         1775313900LL * NS},
        {"ISO8601", "2200-01-15 12:00:00", "Australia/Lord_Howe", 0,
         7259331600LL * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));
}
END_TEST

START_TEST(beyond_last_transition_uses_the_footer)
{
    static const struct parse_case cases[] = {
        {"ISO8601", "2100-07-01 12:00:00", "Europe/Paris", 0,
         4118119200LL * NS},
        {"ISO8601", "2100-01-01 12:00:00", "Europe/Paris", 0,
         4102484400LL * NS},
        {"ISO8601", "2100-03-28 02:30:00", "Europe/Paris", 0,
         4109880600LL * NS},
        {"ISO8601", "2100-10-31 02:30:00", "Europe/Paris", 0,
         4128625800LL * NS},
    };
    run_cases(cases, ARRAY_LEN(cases));

    /* Year 3000, past what int64 ns can hold: the zone API in seconds. */
    struct errbuf err;
    struct timefmt_zone *z = timefmt_zone_load("Europe/Paris", &err);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32503680000LL), 3600);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32519318400LL), 7200);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32511286800LL - 1), 3600);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32511286800LL), 7200);
    ck_assert_str_eq(timefmt_zone_name(z), "Europe/Paris");
    timefmt_zone_destroy(z);
}
END_TEST

/* Every 6 hours from `from` to 2037, a POSIX rule and a TZif table agree. */
static void
assert_same_offsets(const char *iana, const char *posix, int64_t from)
{
    struct errbuf err;
    struct timefmt_zone *a = timefmt_zone_load(iana, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    struct timefmt_zone *b = timefmt_zone_load(posix, &err);
    ck_assert_msg(b != NULL, "%s", err.msg);
    for (int64_t t = from; t < 2114380800LL; t += 6 * 3600) {
        ck_assert_msg(timefmt_zone_offset_at(a, t) ==
                          timefmt_zone_offset_at(b, t),
                      "%s vs %s at %lld", iana, posix, (long long)t);
        int64_t local = t + timefmt_zone_offset_at(a, t);
        ck_assert_int_eq(timefmt_zone_local_to_utc(a, local),
                         timefmt_zone_local_to_utc(b, local));
    }
    timefmt_zone_destroy(a);
    timefmt_zone_destroy(b);
}

START_TEST(posix_tz_strings_match_tzif_tables)
{
    const int64_t y2020 = 1577836800LL;
    assert_same_offsets("Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3", y2020);
    assert_same_offsets("America/New_York", "EST5EDT,M3.2.0,M11.1.0", y2020);
    assert_same_offsets("Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3",
                        y2020);
    assert_same_offsets("Australia/Lord_Howe",
                        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", y2020);
}
END_TEST

START_TEST(posix_rules_switch_at_the_right_second)
{
    static const struct {
        const char *tz;
        int64_t at;
        int32_t off;
    } cases[] = {
        /* J60 is March 1st even in a leap year (Feb 29 not counted) */
        {"XST3XDT,J60/2,J300/2", 1709269200LL - 1, -10800},
        {"XST3XDT,J60/2,J300/2", 1709269200LL, -7200},
        /* zero-based day 59 is Feb 29th in a leap year */
        {"XST3XDT,59/2,300/2", 1709182800LL - 1, -10800},
        {"XST3XDT,59/2,300/2", 1709182800LL, -7200},
        /* no rule: POSIX leaves it open, we use the US one */
        {"XST5XDT", 1772953200LL - 1, -18000},
        {"XST5XDT", 1772953200LL, -14400},
        {"XST5XDT4:30", 1772953200LL, -16200},
        /* America/Nuuk's: a negative and a midnight time (2030-03-31 and
         * 2030-10-27 at 01:00Z) */
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1901149200LL - 1, -7200},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1901149200LL, -3600},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1919293200LL - 1, -3600},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1919293200LL, -7200},
        /* southern hemisphere: DST across New Year */
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1893456000LL, 39600},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1909411200LL, 36000},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct errbuf err;
        struct timefmt_zone *z = timefmt_zone_load(cases[i].tz, &err);
        ck_assert_msg(z != NULL, "%s: %s", cases[i].tz, err.msg);
        ck_assert_msg(timefmt_zone_offset_at(z, cases[i].at) == cases[i].off,
                      "case %zu", i);
        timefmt_zone_destroy(z);
    }
}
END_TEST

/* ---- hand-made TZif files ---- */

static size_t
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/*
 * Writes a TZif header and block: one transition at 1e9 (2001-09-09
 * 01:46:40Z) from +01:00 to off2 (seconds), and leap records if asked
 * (each time value 4 or 8 bytes).
 */
static size_t
put_tzif_block(unsigned char *p, char version, unsigned tsize, uint32_t nleap,
               int32_t off2)
{
    size_t n = 0;
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    n = 20;
    uint32_t counts[6] = {0, 0, nleap, 1, 2, 8};
    for (int i = 0; i < 6; i++)
        n += put_be32(p + n, counts[i]);
    if (tsize == 8)
        n += put_be32(p + n, 0);
    n += put_be32(p + n, 1000000000);
    p[n++] = 1;
    n += put_be32(p + n, 3600);
    p[n++] = 0;
    p[n++] = 0;
    n += put_be32(p + n, (uint32_t)off2);
    p[n++] = 1;
    p[n++] = 4;
    memcpy(p + n, "ABC\0DEF\0", 8);
    n += 8;
    for (uint32_t i = 0; i < nleap; i++) {
        memset(p + n, 0, tsize + 4);
        n += tsize + 4;
    }
    return n;
}

/* Writes dir/name with a v2 file (both blocks) and footer. */
/* Writes n bytes of data as zone dir/name. */
static void
write_zone(const char *dir, const char *name, const void *data, size_t n)
{
    char *path = testutil_path(dir, name);
    testutil_write_file(path, data, n);
    free(path);
}

static void
write_v2(const char *dir, const char *name, const char *footer)
{
    unsigned char data[512];
    size_t n = put_tzif_block(data, '2', 4, 0, 7200);
    n += put_tzif_block(data + n, '2', 8, 0, 7200);
    n += (size_t)sprintf((char *)data + n, "\n%s\n", footer);
    write_zone(dir, name, data, n);
}

static char *
zone_error(const char *name)
{
    struct errbuf err;
    struct timefmt_zone *z = timefmt_zone_load(name, &err);
    ck_assert_msg(z == NULL, "%s loaded", name);
    return strdup(err.msg);
}

/* Asserts that loading name fails with "...: dir/name: why". */
static void
assert_bad_zone(const char *dir, const char *name, const char *why)
{
    char want[512];
    char *msg = zone_error(name);
    snprintf(want, sizeof(want), "time zone \"%s\": %s/%s: %s", name, dir, name,
             why);
    ck_assert_str_eq(msg, want);
    free(msg);
}

START_TEST(tzif_v1_and_v2_files_load)
{
    char *dir = testutil_tempdir();
    unsigned char data[512];
    struct errbuf err;

    ck_assert_int_eq(setenv("TZDIR", dir, 1), 0);
    write_zone(dir, "V1", data, put_tzif_block(data, 0, 4, 0, 7200));
    struct timefmt_zone *z = timefmt_zone_load("V1", &err);
    ck_assert_msg(z != NULL, "%s", err.msg);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 999999999), 3600);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 1000000000), 7200);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 4000000000LL), 7200);
    ck_assert_int_eq(timefmt_zone_local_to_utc(z, 999999999 + 3600), 999999999);
    /* local 02:46:40..03:46:39 does not exist: read with +01:00 */
    ck_assert_int_eq(timefmt_zone_local_to_utc(z, 1000000000 + 3600 + 60),
                     1000000060);
    timefmt_zone_destroy(z);

    /* v2: the 64-bit block and the footer's rule after the last change */
    write_v2(dir, "V2", "ABC-1DEF,M3.5.0,M10.5.0/3");
    z = timefmt_zone_load("V2", &err);
    ck_assert_msg(z != NULL, "%s", err.msg);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 999999999), 3600);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32503680000LL), 3600);
    ck_assert_int_eq(timefmt_zone_offset_at(z, 32519318400LL), 7200);
    timefmt_zone_destroy(z);
    unsetenv("TZDIR");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(corrupt_tzif_files_are_errors)
{
    char *dir = testutil_tempdir();
    unsigned char data[512];

    ck_assert_int_eq(setenv("TZDIR", dir, 1), 0);
    size_t n = put_tzif_block(data, 0, 4, 0, 7200);
    write_zone(dir, "Short", data, n - 1);
    assert_bad_zone(dir, "Short", "truncated");
    write_zone(dir, "Text", "hello\n", 6);
    assert_bad_zone(dir, "Text", "not a TZif file");
    n = put_tzif_block(data, 0, 4, 0, 100000); /* +27:46:40 */
    write_zone(dir, "Far", data, n);
    assert_bad_zone(dir, "Far", "bad local time type");
    n = put_tzif_block(data, 0, 4, 1, 7200);
    write_zone(dir, "Leap", data, n);
    assert_bad_zone(dir, "Leap",
                    "leap-second (\"right/\") zones are not supported");
    write_v2(dir, "BadFooter", "GARBAGE");
    assert_bad_zone(dir, "BadFooter", "unsupported TZ string in the footer");
    unsetenv("TZDIR");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(missing_tzdata_is_a_clear_error)
{
    ck_assert_int_eq(setenv("TZDIR", "/nonexistent/zoneinfo", 1), 0);
    char *msg = zone_error("Europe/Paris");
    ck_assert_str_eq(msg, "unknown time zone \"Europe/Paris\": no time zone "
                          "data in /nonexistent/zoneinfo (install tzdata)");
    free(msg);
    /* fixed offsets and UTC need no data */
    ck_assert_int_eq(parse_one("ISO8601", "2026-11-26 08:21:21", "+02:00", 0),
                     E0 * NS);
    ck_assert_int_eq(parse_one("ISO8601", "2026-11-26 06:21:21", "UTC", 0),
                     E0 * NS);
    unsetenv("TZDIR");
}
END_TEST

START_TEST(unknown_zones_are_clear_errors)
{
    static const struct {
        const char *name, *msg;
    } cases[] = {
        {"Mars/Base", "unknown time zone \"Mars/Base\""},
        {"Europe", "unknown time zone \"Europe\""},
        {"../../etc/passwd", "unknown time zone \"../../etc/passwd\""},
        {"Europe/../../etc/passwd",
         "unknown time zone \"Europe/../../etc/passwd\""},
        {"", "unknown time zone \"\""},
        {"+25:00", "bad time zone offset \"+25:00\" (expected +hh:mm, +hhmm "
                   "or +hh)"},
        {"+2", "bad time zone offset \"+2\" (expected +hh:mm, +hhmm or +hh)"},
        {"+02:0", "bad time zone offset \"+02:0\" (expected +hh:mm, +hhmm or "
                  "+hh)"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *msg = zone_error(cases[i].name);
        ck_assert_str_eq(msg, cases[i].msg);
        free(msg);
    }
}
END_TEST

/*
 * "local" follows $TZ in each of its forms, as the C library reads it, but
 * without tzset(): checked by the offset in January and July 2025.
 */
START_TEST(local_zone_follows_tz)
{
    static const struct {
        const char *tz;
        int32_t jan, jul;
    } cases[] = {
        {"Europe/Paris", 3600, 7200},
        {":Asia/Tokyo", 32400, 32400},
        {"/usr/share/zoneinfo/America/New_York", -18000, -14400},
        {"CET-1CEST,M3.5.0,M10.5.0/3", 3600, 7200},
        {"", 0, 0},
        {":", 0, 0},
    };
    const int64_t jan = 1736942400, jul = 1752580800; /* 15th, 12:00Z */
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        ck_assert_int_eq(setenv("TZ", cases[i].tz, 1), 0);
        struct errbuf err;
        struct timefmt_zone *z = timefmt_zone_load("local", &err);
        ck_assert_msg(z != NULL, "TZ=%s: %s", cases[i].tz, err.msg);
        ck_assert_int_eq(timefmt_zone_offset_at(z, jan), cases[i].jan);
        ck_assert_int_eq(timefmt_zone_offset_at(z, jul), cases[i].jul);
        ck_assert_str_eq(timefmt_zone_name(z), "local");
        timefmt_zone_destroy(z);
    }
    ck_assert_int_eq(setenv("TZ", "Mars/Base", 1), 0);
    char *msg = zone_error("local");
    ck_assert_str_eq(msg, "local time zone ($TZ=Mars/Base): unknown time "
                          "zone \"Mars/Base\"");
    free(msg);
    ck_assert_int_eq(setenv("TZ", "/nonexistent/zone", 1), 0);
    msg = zone_error("local");
    ck_assert_str_eq(msg, "local time zone: /nonexistent/zone: No such file "
                          "or directory");
    free(msg);
    /* Unset: /etc/localtime, or UTC without one; either way it loads. */
    unsetenv("TZ");
    struct errbuf err;
    struct timefmt_zone *z = timefmt_zone_load("local", &err);
    ck_assert_msg(z != NULL, "%s", err.msg);
    timefmt_zone_destroy(z);
    if (saved != NULL)
        setenv("TZ", saved, 1);
    free(saved);
}
END_TEST

/* ---- threads ---- */

#define THREAD_COUNT  4
#define THREAD_ROUNDS 2000

static const char *const thread_zones[THREAD_COUNT] = {
    "UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"};
static const char *const thread_inputs[][2] = {
    {"ISO8601", "2026-03-29 02:30:00"},
    {"ISO8601", "2026-10-25 02:30:00"},
    {"ISO8601", "2026-11-01 01:30:00"},
    {"ISO8601", "2026-10-04 02:15:00"},
    {"ISO8601", "2100-07-01 12:00:00"},
    {"ISO8601", "2026-07-01T12:00:00Z"},
    {"SYSLOG", "Dec 31 23:59:58"},
    {"SYSLOG", "Jan  1 00:00:03"},
    {"%d/%b/%Y:%H:%M:%S %z", "26/Nov/2026:06:21:21 +0100"},
    {"%Y-%m-%d %H:%M:%S", "1999-12-31 23:59:59"},
};
#define THREAD_NINPUTS ARRAY_LEN(thread_inputs)

struct thread_job {
    const struct timefmt_zone *zone;
    struct timefmt *const *formats;
    const int64_t *want;
    long mismatches;
};

static void *
thread_run(void *arg)
{
    struct thread_job *job = arg;
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        for (size_t i = 0; i < THREAD_NINPUTS; i++) {
            const char *s = thread_inputs[i][1];
            int64_t ns = FAIL;
            if (timefmt_parse(job->formats[i], s, strlen(s), job->zone,
                              1798761598LL * NS, &ns) < 0 ||
                ns != job->want[i])
                job->mismatches++;
        }
    }
    return NULL;
}

START_TEST(threads_agree_with_one_thread)
{
    struct timefmt *formats[THREAD_NINPUTS];
    struct timefmt_zone *zones[THREAD_COUNT];
    int64_t want[THREAD_COUNT][THREAD_NINPUTS];
    struct thread_job jobs[THREAD_COUNT];
    pthread_t tids[THREAD_COUNT];
    struct errbuf err;

    for (size_t i = 0; i < THREAD_NINPUTS; i++) {
        formats[i] = timefmt_compile(thread_inputs[i][0], &err);
        ck_assert_ptr_nonnull(formats[i]);
    }
    for (int t = 0; t < THREAD_COUNT; t++) {
        zones[t] = timefmt_zone_load(thread_zones[t], &err);
        ck_assert_msg(zones[t] != NULL, "%s", err.msg);
        for (size_t i = 0; i < THREAD_NINPUTS; i++) {
            const char *s = thread_inputs[i][1];
            ck_assert_int_eq(timefmt_parse(formats[i], s, strlen(s), zones[t],
                                           1798761598LL * NS, &want[t][i]),
                             0);
        }
        jobs[t] = (struct thread_job){zones[t], formats, want[t], 0};
    }
    /* the zones differ, so the threads do not all compute the same thing */
    ck_assert_int_ne(want[0][0], want[1][0]);
    ck_assert_int_ne(want[2][2], want[0][2]);
    for (int t = 0; t < THREAD_COUNT; t++)
        ck_assert_int_eq(pthread_create(&tids[t], NULL, thread_run, &jobs[t]),
                         0);
    for (int t = 0; t < THREAD_COUNT; t++) {
        ck_assert_int_eq(pthread_join(tids[t], NULL), 0);
        ck_assert_int_eq(jobs[t].mismatches, 0);
    }
    for (int t = 0; t < THREAD_COUNT; t++)
        timefmt_zone_destroy(zones[t]);
    for (size_t i = 0; i < THREAD_NINPUTS; i++)
        timefmt_destroy(formats[i]);
}
END_TEST

/* ---- errors ---- */

START_TEST(invalid_inputs_are_rejected)
{
    static const char *const apache[] = {
        "26/Foo/2026:06:21:21 +0100",
        "30/Feb/2026:06:21:21 +0100",
        "29/Feb/2026:06:21:21 +0100",
        "26/Nov/2026:06:21:21 +0100 junk",
        "",
        "26/Nov/2026:25:00:00 +0100",
        "26/Nov/2026:06:21:21",
        "26/Nov/2026:06:21:21 +0100x",
        "32/Nov/2026:06:21:21 +0100",
        "00/Nov/2026:06:21:21 +0100",
        "26/Nov/226:06:21:21 +0100",
        "26/Nov/2026:06:21:21 0100",
        "26/Nov/2026:06:21:21 +01:0",
        "26/Novem/2026:06:21:21 +0100",
        "26/Nov/2026:06:21:21+0100",
        "26/Nov/2026 06:21:21 +0100",
    };
    static const struct parse_case others[] = {
        {"%Y-%m-%d %I:%M %p", "2026-11-26 13:00 PM", NULL, 0, FAIL},
        {"%Y-%m-%d %I:%M %p", "2026-11-26 00:00 AM", NULL, 0, FAIL},
        {"%Y-%m-%d %I:%M %p", "2026-11-26 10:00 XM", NULL, 0, FAIL},
        {"%Y %j", "2026 366", NULL, 0, FAIL},
        {"%Y %j", "2026 0", NULL, 0, FAIL},
        {"%a %d %b %Y", "Xyz 26 Nov 2026", NULL, 0, FAIL},
        {"%Y-%m-%dT%H", "2026-11-26t06", NULL, 0, FAIL},
        {"%Y-%m-%d %H:%M:%S %Z", "2026-11-26 06:21:21 CET", NULL, 0, FAIL},
        {"%Y-%m-%d %H:%M:%S.%f", "2026-11-26 06:21:21.1234567891", NULL, 0,
         FAIL},
        {"%Y-%m-%d %H:%M:%S.%f", "2026-11-26 06:21:21.", NULL, 0, FAIL},
        {"%d %b %Y", "26Nov 2026", NULL, 0, FAIL},
        {"%Y-%m-%d", "1600-01-01", NULL, 0, FAIL}, /* before int64 ns */
        {"%Y-%m-%d", "2263-01-01", NULL, 0, FAIL}, /* after int64 ns */
        {"%s", "-", NULL, 0, FAIL},
    };
    for (size_t i = 0; i < ARRAY_LEN(apache); i++)
        ck_assert_msg(parse_one("%d/%b/%Y:%H:%M:%S %z", apache[i], NULL, 0) ==
                          FAIL,
                      "\"%s\" parsed", apache[i]);
    run_cases(others, ARRAY_LEN(others));

    struct errbuf err;
    struct timefmt *f = timefmt_compile("ISO8601", &err);
    int64_t ns = 7;
    ck_assert_int_eq(timefmt_parse(f, NULL, 0, NULL, 0, &ns), -EINVAL);
    ck_assert_int_eq(ns, 7);
    timefmt_destroy(f);
}
END_TEST

START_TEST(compile_errors_are_clear)
{
    static const struct {
        const char *spec, *msg;
    } cases[] = {
        {"%Y-%Q", "unknown directive %Q in \"%Y-%Q\""},
        {"%Y-%m-%d %", "lone % at the end of \"%Y-%m-%d %\""},
        {"", "empty time format"},
        {"%H:%M:%S", "no date in \"%H:%M:%S\": it needs %m (or %b) and %d, "
                     "%j with %Y, or %s"},
        {"hello", "no date in \"hello\": it needs %m (or %b) and %d, %j with "
                  "%Y, or %s"},
        {"%d/%m %I:%M", "%I and %l need %p in \"%d/%m %I:%M\""},
        {"%j %H", "%j needs %Y or %y in \"%j %H\""},
        {"%Y-%m-%d %\x01", "unknown directive %\\x01 in \"%Y-%m-%d %\x01\""},
        {"iso8601", "no date in \"iso8601\": it needs %m (or %b) and %d, %j "
                    "with %Y, or %s"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct errbuf err;
        ck_assert_ptr_null(timefmt_compile(cases[i].spec, &err));
        ck_assert_str_eq(err.msg, cases[i].msg);
    }
}
END_TEST

START_TEST(format_utc_ms_rounds_down)
{
    static const struct {
        int64_t ns;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {E0 * NS + 123456789, "2026-11-26T06:21:21.123Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {INT64_MAX, "2262-04-11T23:47:16.854Z"},
        {INT64_MIN, "1677-09-21T00:12:43.145Z"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char out[TIMEFMT_UTC_MS_LEN + 1];
        memset(out, 'x', sizeof(out));
        timefmt_format_utc_ms(cases[i].ns, out);
        ck_assert_str_eq(out, cases[i].text);
    }
}
END_TEST

static Suite *
timefmt_suite(void)
{
    Suite *s = suite_create("timefmt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_directive_parses_exactly);
    tcase_add_test(tc, apache_format_applies_its_offset);
    tcase_add_test(tc, leap_second_reads_as_last_nanosecond);
    tcase_add_test(tc, iso8601_variants);
    tcase_add_test(tc, epochs_of_each_unit);
    tcase_add_test(tc, syslog_infers_the_year);
    tcase_add_test(tc, fixed_offset_zones);
    tcase_add_test(tc, paris_summer_winter_gap_and_overlap);
    tcase_add_test(tc, new_york_gap_and_overlap);
    tcase_add_test(tc, lord_howe_half_hour_dst);
    tcase_add_test(tc, beyond_last_transition_uses_the_footer);
    tcase_add_test(tc, posix_tz_strings_match_tzif_tables);
    tcase_add_test(tc, posix_rules_switch_at_the_right_second);
    tcase_add_test(tc, tzif_v1_and_v2_files_load);
    tcase_add_test(tc, corrupt_tzif_files_are_errors);
    tcase_add_test(tc, missing_tzdata_is_a_clear_error);
    tcase_add_test(tc, unknown_zones_are_clear_errors);
    tcase_add_test(tc, local_zone_follows_tz);
    tcase_add_test(tc, threads_agree_with_one_thread);
    tcase_add_test(tc, invalid_inputs_are_rejected);
    tcase_add_test(tc, compile_errors_are_clear);
    tcase_add_test(tc, format_utc_ms_rounds_down);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(timefmt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
