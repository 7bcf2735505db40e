/*
 * Unit tests for es_index.c: index name patterns. Compilation refuses what
 * Elasticsearch refuses (with the exact messages `logship check` prints);
 * expansion writes the event's UTC time (also before 1970) and its field
 * values made safe for an index name. The per-worker cache renders a
 * pattern's text once per hour (%H) or day and must give, in any order of
 * times and for any pattern, what gmtime_r and strftime give (the oracle
 * below, which is how names were made before the cache); names too long for
 * it, or with too many %{field} parts, are expanded part by part.
 */
#include "config.h"

#include "es_index.h"

#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

/* 2024-03-05T10:11:12Z, a Tuesday, day 65 of a leap year. */
#define T_2024_03_05 1709633472LL

/* Compiles pattern, which must be valid. */
static struct es_index *
compile_ok(const char *pattern)
{
    struct errbuf err;
    err.msg[0] = '\0';
    struct es_index *ix = es_index_compile(pattern, &err);
    ck_assert_msg(ix != NULL, "%s: %s", pattern, err.msg);
    return ix;
}

/* Compiles pattern, which must fail with exactly msg. */
static void
compile_fails(const char *pattern, const char *msg)
{
    struct errbuf err;
    err.msg[0] = '\0';
    struct es_index *ix = es_index_compile(pattern, &err);
    ck_assert_msg(ix == NULL, "%s: compiled", pattern);
    ck_assert_str_eq(err.msg, msg);
}

/*
 * Expands pattern for an event at time_ns with the given fields
 * (name/value pairs, NULL-terminated) with a fresh cache; returns the name
 * (the caller frees it).
 */
static char *
expand(const char *pattern, int64_t time_ns, const char *const *fields)
{
    struct es_index *ix = compile_ok(pattern);
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct event ev = {0};
    ev.time_ns = time_ns;
    for (size_t i = 0; fields != NULL && fields[i] != NULL; i += 2)
        event_set(&ev, span_str(fields[i]), span_str(fields[i + 1]),
                  FIELD_STRING);
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(es_index_expand(ix, &cache, &ev, &out), 0);
    char *s = xstrndup(out.data ? out.data : "", out.len);
    buf_fini(&out);
    event_fini(&ev);
    es_index_destroy(ix);
    return s;
}

static void
expand_is(const char *pattern, int64_t time_ns, const char *const *fields,
          const char *want)
{
    char *got = expand(pattern, time_ns, fields);
    ck_assert_msg(strcmp(got, want) == 0, "%s: expected \"%s\", got \"%s\"",
                  pattern, want, got);
    free(got);
}

/* Expands with an existing cache into out (reset first); returns out. */
static const char *
expand_cached(const struct es_index *ix, struct es_index_cache *cache,
              int64_t time_ns, struct buf *out)
{
    struct event ev = {0};
    ev.time_ns = time_ns;
    buf_reset(out);
    ck_assert_int_eq(es_index_expand(ix, cache, &ev, out), 0);
    ck_assert_int_eq(buf_append(out, "", 1), 0);
    return out->data;
}

/* ---- compilation ---- */

START_TEST(upper_case_is_refused)
{
    compile_fails("Logs-%Y", "\"Logs-%Y\": index names must be lower case");
    compile_fails("logs-%Y-ABC",
                  "\"logs-%Y-ABC\": index names must be lower case");
    compile_fails("logs-%{x}B", "\"logs-%{x}B\": index names must be lower "
                                "case");
}
END_TEST

static const char forbidden[] = "\\/*?\"<>| ,#:";

START_TEST(forbidden_characters_are_refused)
{
    char pattern[32];
    char msg[128];
    char c = forbidden[_i];
    snprintf(pattern, sizeof(pattern), "logs%cx-%%Y", c);
    snprintf(msg, sizeof(msg), "\"%s\": index names may not contain '%c'",
             pattern, c);
    compile_fails(pattern, msg);
}
END_TEST

START_TEST(bad_directives_are_refused)
{
    compile_fails("logs-%q", "\"logs-%q\": unknown directive %q (known: %Y "
                             "%y %m %d %H %j %G %V %{field})");
    compile_fails("logs-%M", "\"logs-%M\": unknown directive %M (known: %Y "
                             "%y %m %d %H %j %G %V %{field})");
    compile_fails("logs-%", "\"logs-%\": unknown directive %  (known: %Y %y "
                            "%m %d %H %j %G %V %{field})");
    compile_fails("logs-%{service.name",
                  "\"logs-%{service.name\": %{ without a field name and }");
    compile_fails("logs-%{}", "\"logs-%{}\": %{ without a field name and }");
}
END_TEST

START_TEST(bad_first_characters_are_refused)
{
    compile_fails("-logs", "\"-logs\": an index name may not be empty or "
                           "start with -, _ or +");
    compile_fails("_logs-%Y", "\"_logs-%Y\": an index name may not be empty "
                              "or start with -, _ or +");
    compile_fails("+logs", "\"+logs\": an index name may not be empty or "
                           "start with -, _ or +");
    compile_fails("", "\"\": an index name may not be empty or start with "
                      "-, _ or +");
}
END_TEST

START_TEST(valid_patterns_compile)
{
    static const char *const ok[] = {
        "logs",
        "logs-%Y.%m.%d",
        "logs-%{service.name}-%Y.%m",
        "%{event.dataset}",
        "logs-%y%j.%H",
        "logs-%G-w%V",
        "logs.a_b-c+d%%",
        "logs-%{Service.Name}", /* field names are not index text */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        es_index_destroy(compile_ok(ok[i]));
}
END_TEST

START_TEST(static_names)
{
    struct es_index *ix = compile_ok("logs-app");
    ck_assert_ptr_nonnull(es_index_static(ix));
    ck_assert_str_eq(es_index_static(ix), "logs-app");
    es_index_destroy(ix);
    static const char *const dynamic[] = {"logs-%Y", "logs-%{a}", "%d"};
    for (size_t i = 0; i < sizeof(dynamic) / sizeof(dynamic[0]); i++) {
        ix = compile_ok(dynamic[i]);
        ck_assert_ptr_null(es_index_static(ix));
        es_index_destroy(ix);
    }
}
END_TEST

/* Whatever es_index_static() says is the name is the name written. */
START_TEST(static_name_is_the_expanded_name)
{
    static const char *const patterns[] = {"logs-app", "a%%b", "x%%%%y"};
    const char *p = patterns[_i];
    struct es_index *ix = compile_ok(p);
    const char *name = es_index_static(ix);
    char *expanded = expand(p, T_2024_03_05 * NS, NULL);
    if (name != NULL)
        ck_assert_msg(strcmp(name, expanded) == 0,
                      "%s: es_index_static says \"%s\", events go to \"%s\"", p,
                      name, expanded);
    free(expanded);
    es_index_destroy(ix);
}
END_TEST

/* ---- expansion: time ---- */

START_TEST(time_directives)
{
    int64_t t = T_2024_03_05 * NS + 123456789;
    expand_is("logs-%Y.%m.%d", t, NULL, "logs-2024.03.05");
    expand_is("logs-%Y.%m.%d.%H", t, NULL, "logs-2024.03.05.10");
    expand_is("logs-%y-%j", t, NULL, "logs-24-065");
    expand_is("logs-%G.%V", t, NULL, "logs-2024.10");
    expand_is("a%%b-%Y", t, NULL, "a%b-2024");
    expand_is("logs", t, NULL, "logs");
}
END_TEST

START_TEST(iso_week_years)
{
    /* 2021-01-01 (a Friday) is in week 53 of 2020. */
    expand_is("w-%G.%V-%Y", 1609459200LL * NS, NULL, "w-2020.53-2021");
    /* 2024-12-30 (a Monday) is in week 1 of 2025. */
    expand_is("w-%G.%V-%Y", 1735516800LL * NS, NULL, "w-2025.01-2024");
    /* 2027-01-03 (a Sunday) still is in week 53 of 2026. */
    expand_is("w-%G.%V", 1798934400LL * NS, NULL, "w-2026.53");
}
END_TEST

START_TEST(times_are_utc_at_day_edges)
{
    /* 2024-02-29T23:59:59.999999999Z, then the next nanosecond. */
    int64_t t = 1709251199LL * NS + 999999999;
    expand_is("d-%Y.%m.%d.%H-%j", t, NULL, "d-2024.02.29.23-060");
    expand_is("d-%Y.%m.%d.%H-%j", t + 1, NULL, "d-2024.03.01.00-061");
}
END_TEST

START_TEST(negative_times)
{
    expand_is("t-%Y.%m.%d.%H", 0, NULL, "t-1970.01.01.00");
    /* One nanosecond before the epoch is in 1969, not in 1970. */
    expand_is("t-%Y.%m.%d.%H", -1, NULL, "t-1969.12.31.23");
    expand_is("t-%Y.%m.%d.%H", -NS, NULL, "t-1969.12.31.23");
    expand_is("t-%Y.%m.%d.%H", -3600 * NS, NULL, "t-1969.12.31.23");
    expand_is("t-%Y.%m.%d.%H", -3600 * NS - 1, NULL, "t-1969.12.31.22");
    /* 1900-01-01T00:00:00Z and a nanosecond before. */
    expand_is("t-%Y.%m.%d-%j", -2208988800LL * NS, NULL, "t-1900.01.01-001");
    expand_is("t-%Y.%m.%d-%j", -2208988800LL * NS - 1, NULL,
              "t-1899.12.31-365");
}
END_TEST

/* ---- expansion: fields ---- */

START_TEST(field_values)
{
    int64_t t = T_2024_03_05 * NS;
    const char *const f[] = {"service.name", "shop", NULL};
    expand_is("logs-%{service.name}-%Y.%m", t, f, "logs-shop-2024.03");
    const char *const two[] = {"a", "x", "b.c", "y", NULL};
    expand_is("%{a}-%{b.c}-%{a}", t, two, "x-y-x");
    /* The last value set under a name wins. */
    const char *const twice[] = {"a", "first", "a", "second", NULL};
    expand_is("l-%{a}", t, twice, "l-second");
}
END_TEST

START_TEST(field_values_are_lower_cased)
{
    const char *const f[] = {"service.name", "Web-Shop_EU.1", NULL};
    expand_is("logs-%{service.name}", 0, f, "logs-web-shop_eu.1");
}
END_TEST

START_TEST(forbidden_characters_in_values_become_underscores)
{
    char value[16];
    snprintf(value, sizeof(value), "a%cB", forbidden[_i]);
    const char *const f[] = {"k", value, NULL};
    expand_is("l-%{k}", 0, f, "l-a_b");
}
END_TEST

START_TEST(all_forbidden_characters_at_once)
{
    const char *const f[] = {"k", "My App/Prod: #1, \"x\" <a|b>*?\\", NULL};
    expand_is("l-%{k}", 0, f, "l-my_app_prod___1___x___a_b____");
}
END_TEST

START_TEST(absent_or_empty_fields_are_unknown)
{
    expand_is("logs-%{service.name}-%Y", 0, NULL, "logs-unknown-1970");
    const char *const empty[] = {"service.name", "", NULL};
    expand_is("logs-%{service.name}", 0, empty, "logs-unknown");
    /* A field with another name does not count. */
    const char *const other[] = {"service.names", "x", "service", "y", NULL};
    expand_is("logs-%{service.name}", 0, other, "logs-unknown");
}
END_TEST

START_TEST(message_is_the_line_when_no_stage_set_it)
{
    struct es_index *ix = compile_ok("l-%{message}");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct event ev = {0};
    ev.text = span_str("Raw Line");
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(es_index_expand(ix, &cache, &ev, &out), 0);
    ck_assert_int_eq(buf_append(&out, "", 1), 0);
    ck_assert_str_eq(out.data, "l-raw_line");
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

START_TEST(typed_values)
{
    struct es_index *ix = compile_ok("l-%{n}-%{b}");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct event ev = {0};
    event_set(&ev, SPAN_LIT("n"), SPAN_LIT("404"), FIELD_INT);
    event_set(&ev, SPAN_LIT("b"), SPAN_LIT("true"), FIELD_BOOL);
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(es_index_expand(ix, &cache, &ev, &out), 0);
    ck_assert_int_eq(buf_append(&out, "", 1), 0);
    ck_assert_str_eq(out.data, "l-404-true");
    buf_fini(&out);
    event_fini(&ev);
    es_index_destroy(ix);
}
END_TEST

/*
 * Elasticsearch and OpenSearch refuse an index name that Java's
 * String.toLowerCase changes, which includes non-ASCII capitals: a value
 * "CAFÉ" must not put "É" (C3 89) into the name.
 */
START_TEST(non_ascii_capitals_do_not_reach_the_name)
{
    const char *const f[] = {"k", "CAF\xc3\x89", NULL};
    char *got = expand("l-%{k}", 0, f);
    ck_assert_msg(strstr(got, "\xc3\x89") == NULL,
                  "\"%s\" keeps an upper-case letter", got);
    ck_assert_msg(strncmp(got, "l-caf", 5) == 0, "got \"%s\"", got);
    free(got);
}
END_TEST

/* ---- the output buffer ---- */

START_TEST(appends_to_what_is_there)
{
    struct es_index *ix = compile_ok("logs-%Y");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct event ev = {0};
    struct buf out;
    buf_init(&out, 0);
    ck_assert_int_eq(buf_append_str(&out, "{\"_index\":\""), 0);
    ck_assert_int_eq(es_index_expand(ix, &cache, &ev, &out), 0);
    ck_assert_int_eq(buf_append(&out, "", 1), 0);
    ck_assert_str_eq(out.data, "{\"_index\":\"logs-1970");
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

START_TEST(a_full_buffer_is_e2big)
{
    /* Each part kind in turn overflows a buffer limited to 8 bytes. */
    static const char *const patterns[] = {"abcdefghijk", "abcdef-%Y",
                                           "abcdef-%{k}", "ab-%{k}"};
    const char *const f[] = {"k", "long-value", NULL};
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        struct es_index *ix = compile_ok(patterns[i]);
        struct es_index_cache cache;
        es_index_cache_init(&cache);
        struct event ev = {0};
        for (size_t k = 0; f[k] != NULL; k += 2)
            event_set(&ev, span_str(f[k]), span_str(f[k + 1]), FIELD_STRING);
        struct buf out;
        buf_init(&out, 8);
        ck_assert_msg(es_index_expand(ix, &cache, &ev, &out) == -E2BIG, "%s",
                      patterns[i]);
        ck_assert_uint_le(out.len, 8);
        buf_fini(&out);
        event_fini(&ev);
        es_index_destroy(ix);
    }
}
END_TEST

/* ---- the per-second cache ---- */

START_TEST(cache_starts_empty)
{
    struct es_index_cache cache;
    memset(&cache, 0x5a, sizeof(cache));
    es_index_cache_init(&cache);
    ck_assert(cache.sec == INT64_MIN);
}
END_TEST

START_TEST(cache_holds_the_last_second)
{
    struct es_index *ix = compile_ok("c-%Y.%m.%d.%H");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct buf out;
    buf_init(&out, 0);
    int64_t t = T_2024_03_05 * NS; /* 10:11:12 */
    ck_assert_str_eq(expand_cached(ix, &cache, t, &out), "c-2024.03.05.10");
    ck_assert(cache.sec == T_2024_03_05);
    /* Within the hour the cached text is used: a cache claiming another
     * hour proves it, in this second and in the next ones. */
    ck_assert_uint_eq(cache.ends[0], strlen("c-2024.03.05.10"));
    cache.text[cache.ends[0] - 2] = '0';
    cache.text[cache.ends[0] - 1] = '7';
    ck_assert_str_eq(expand_cached(ix, &cache, t + 999999999, &out),
                     "c-2024.03.05.07");
    ck_assert_str_eq(expand_cached(ix, &cache, t + NS, &out),
                     "c-2024.03.05.07");
    ck_assert(cache.sec == T_2024_03_05 + 1);
    /* The next hour is computed again. */
    int64_t next_hour = (T_2024_03_05 / 3600 + 1) * 3600;
    ck_assert_str_eq(expand_cached(ix, &cache, next_hour * NS, &out),
                     "c-2024.03.05.11");
    ck_assert(cache.sec == next_hour);
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

START_TEST(cache_follows_time_in_any_order)
{
    struct es_index *ix = compile_ok("c-%Y.%m.%d.%H");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct buf out;
    buf_init(&out, 0);
    /* Back and forth over the epoch and over a year's end. */
    ck_assert_str_eq(expand_cached(ix, &cache, 0, &out), "c-1970.01.01.00");
    ck_assert_str_eq(expand_cached(ix, &cache, -1, &out), "c-1969.12.31.23");
    ck_assert(cache.sec == -1);
    ck_assert_str_eq(expand_cached(ix, &cache, NS - 1, &out),
                     "c-1970.01.01.00");
    ck_assert(cache.sec == 0);
    ck_assert_str_eq(expand_cached(ix, &cache, -NS + 1, &out),
                     "c-1969.12.31.23");
    ck_assert(cache.sec == -1);
    ck_assert_str_eq(expand_cached(ix, &cache, 1704067200LL * NS, &out),
                     "c-2024.01.01.00");
    ck_assert_str_eq(expand_cached(ix, &cache, 1704067199LL * NS, &out),
                     "c-2023.12.31.23");
    ck_assert_str_eq(expand_cached(ix, &cache, 1704067200LL * NS + 5, &out),
                     "c-2024.01.01.00");
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

START_TEST(caches_are_independent)
{
    struct es_index *ix = compile_ok("c-%Y");
    struct es_index_cache a, b;
    es_index_cache_init(&a);
    es_index_cache_init(&b);
    struct buf out;
    buf_init(&out, 0);
    ck_assert_str_eq(expand_cached(ix, &a, 0, &out), "c-1970");
    ck_assert_str_eq(expand_cached(ix, &b, T_2024_03_05 * NS, &out), "c-2024");
    ck_assert(a.sec == 0);
    ck_assert_str_eq(expand_cached(ix, &a, 0, &out), "c-1970");
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

/* ---- the cache against the old way ---- */

/* Field values in the events of the cache tests: each becomes "v". */
static const char *const cache_fields[] = {
    "a", "v", "b", "v", "c", "v", "d", "v", "e",  "v",
    "f", "v", "g", "v", "h", "v", "i", "v", NULL,
};

/*
 * The name for pattern at time_ns made the way names were made before the
 * cache: gmtime_r() of the second and one strftime() per directive; every
 * %{field} is written as "v" (what cache_fields makes of it).
 */
static void
oracle(const char *pattern, int64_t time_ns, char *out, size_t len)
{
    int64_t sec = time_ns / NS;
    if (time_ns < 0 && time_ns % NS != 0)
        sec--;
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        ck_abort_msg("gmtime_r(%" PRId64 ") failed", sec);
    size_t n = 0;
    /* Plain ifs in loops here: each ck_assert costs a write to the runner. */
    for (const char *p = pattern; *p != '\0'; p++) {
        if (n + 16 >= len)
            ck_abort_msg("%s: oracle buffer too small", pattern);
        if (*p != '%') {
            out[n++] = *p;
        } else if (p[1] == '%') {
            out[n++] = '%';
            p++;
        } else if (p[1] == '{') {
            out[n++] = 'v';
            p = strchr(p, '}');
        } else {
            char fmt[3] = {'%', p[1], '\0'};
            n += strftime(out + n, len - n, fmt, &tm);
            p++;
        }
    }
    out[n] = '\0';
}

/* An event at time_ns holding cache_fields. */
static void
cache_event(struct event *ev, int64_t time_ns)
{
    event_reset(ev);
    ev->time_ns = time_ns;
    for (size_t i = 0; cache_fields[i] != NULL; i += 2)
        event_set(ev, span_str(cache_fields[i]), span_str(cache_fields[i + 1]),
                  FIELD_STRING);
}

/*
 * Expands pattern at each of times[0..n) with one cache (so hits, window
 * changes and refreshes all happen) and fails at the first name that is not
 * the oracle's, or where es_index_name() disagrees with es_index_expand().
 */
static void
cache_agrees(const char *pattern, const int64_t *times, size_t n)
{
    struct es_index *ix = compile_ok(pattern);
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct event ev = {0};
    struct buf out;
    buf_init(&out, 0);
    char want[1024];
    for (size_t i = 0; i < n; i++) {
        oracle(pattern, times[i], want, sizeof(want));
        cache_event(&ev, times[i]);
        buf_reset(&out);
        if (es_index_expand(ix, &cache, &ev, &out) < 0 ||
            buf_append(&out, "", 1) < 0)
            ck_abort_msg("%s: expansion failed", pattern);
        if (strcmp(out.data, want) != 0)
            ck_abort_msg("%s at %" PRId64 " ns: got \"%s\", want \"%s\"",
                         pattern, times[i], out.data, want);
        size_t len = 0;
        const char *name = es_index_name(ix, &cache, times[i], &len);
        if (name != NULL && (len != strlen(want) || memcmp(name, want, len)))
            ck_abort_msg("%s at %" PRId64 " ns: es_index_name \"%.*s\"",
                         pattern, times[i], (int)len, name);
    }
    buf_fini(&out);
    event_fini(&ev);
    es_index_destroy(ix);
}

/* Patterns for the cache tests: every directive, with and without fields. */
static const char *const cache_patterns[] = {
    "all-%Y-%y-%m-%d-%H-%j-%G-%V-%%",
    "logs-%Y.%m.%d",
    "h-%H",
    "w-%G.%V",
    "f-%{a}-%Y.%m.%d-%{b}",
    "%{a}%{b}%{c}%{d}%{e}%{f}%{g}-%j",     /* 7 fields: the most cached */
    "%{a}%{b}%{c}%{d}%{e}%{f}%{g}%{h}-%d", /* 8: part by part */
    "only-%{a}",
    "static-name",
};
#define CACHE_NPATTERNS (sizeof(cache_patterns) / sizeof(cache_patterns[0]))

/* Boundaries (seconds) to cross: the epoch, days, a leap day, years. */
static const int64_t cache_edges[] = {
    0,           /* 1970-01-01 */
    86400,       /* 1970-01-02 */
    951782400,   /* 2000-02-29 */
    1709251200,  /* 2024-03-01, after a leap day */
    1704067200,  /* 2024-01-01 */
    1735516800,  /* 2024-12-30: ISO week 1 of 2025 */
    1735689600,  /* 2025-01-01 */
    1609459200,  /* 2021-01-01: ISO week 53 of 2020 */
    1798934400,  /* 2027-01-03: ISO week 53 of 2026 */
    -2208988800, /* 1900-01-01 */
    -86400,      /* 1969-12-31 */
    -9223372037, /* 1677-09-21: the earliest second of int64 ns */
    9223372036,  /* 2262-04-11: the last */
};
#define CACHE_NEDGES (sizeof(cache_edges) / sizeof(cache_edges[0]))

/* edge seconds + step_ns, kept within int64 nanoseconds. */
static int64_t
edge_plus(int64_t edge, int64_t step_ns)
{
    int64_t t;
    if (__builtin_mul_overflow(edge, NS, &t))
        t = edge < 0 ? INT64_MIN : INT64_MAX;
    if (__builtin_add_overflow(t, step_ns, &t))
        t = step_ns < 0 ? INT64_MIN : INT64_MAX;
    return t;
}

/* Around one boundary: forwards, backwards, and jumping over it. */
START_TEST(cache_agrees_across_boundaries)
{
    int64_t edge = cache_edges[_i];
    static const int64_t steps_ns[] = {
        -86400 * NS, -3600 * NS - 1, -2 * NS, -NS - 1, -NS,       -1,         0,
        1,           NS - 1,         NS,      2 * NS,  3600 * NS, 86400 * NS,
    };
    size_t nsteps = sizeof(steps_ns) / sizeof(steps_ns[0]);
    int64_t times[3 * 13];
    ck_assert_uint_eq(nsteps, 13);
    size_t n = 0;
    for (size_t k = 0; k < nsteps; k++)
        times[n++] = edge_plus(edge, steps_ns[k]);
    for (size_t k = nsteps; k-- > 0;)
        times[n++] = edge_plus(edge, steps_ns[k]);
    for (size_t k = 0; k < nsteps; k++)
        times[n++] = edge_plus(edge, steps_ns[k % 2 ? k : nsteps - 1 - k]);
    for (size_t p = 0; p < CACHE_NPATTERNS; p++)
        cache_agrees(cache_patterns[p], times, n);
}
END_TEST

/* Random times over the whole int64 nanosecond range, in random order. */
START_TEST(cache_agrees_at_random_times)
{
    enum { N = 20000 };
    int64_t *times = malloc(N * sizeof(*times));
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)_i;
    int64_t t = 1735689600LL * NS;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (i % 3 == 0)
            t = (int64_t)x; /* anywhere in 1677..2262 */
        else if (i % 3 == 1)
            t += (int64_t)(x % 100) * 1000000; /* a log's next line */
        else
            t -= (int64_t)(x % (2 * 86400)) * NS; /* back up to two days */
        times[i] = t;
    }
    times[0] = INT64_MIN;
    times[1] = INT64_MAX;
    for (size_t p = 0; p < CACHE_NPATTERNS; p++)
        cache_agrees(cache_patterns[p], times, N);
    free(times);
}
END_TEST

/* A pattern made of prefix_len 'x's and then suffix. */
static char *
long_pattern(size_t prefix_len, const char *suffix)
{
    char *p = xmalloc(prefix_len + strlen(suffix) + 1);
    memset(p, 'x', prefix_len);
    strcpy(p + prefix_len, suffix);
    return p;
}

/* Index names reach 255 bytes: they are cached; longer ones fall back. */
START_TEST(long_names_are_cached_or_expanded_part_by_part)
{
    /* "-%Y.%m.%d" writes 11 bytes; the cache holds ES_INDEX_CACHE_LEN. */
    static const struct {
        size_t prefix;
        const char *suffix;
        bool cached;
    } cases[] = {
        {244, "-%Y.%m.%d", true},  /* 255 bytes: the longest index name */
        {245, "-%Y.%m.%d", true},  /* 256: the cache is full */
        {246, "-%Y.%m.%d", false}, /* 257: part by part */
        {400, "-%Y.%m.%d", false},
        {400, "", false}, /* a static name, longer than the cache */
        {250, "-%{a}-%H-%{b}", true},
        {252, "-%{a}-%H-%{b}", false},
    };
    size_t i = (size_t)_i;
    char *pattern = long_pattern(cases[i].prefix, cases[i].suffix);
    struct es_index *ix = compile_ok(pattern);
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    int64_t t = T_2024_03_05 * NS;
    size_t len = 0;
    const char *name = es_index_name(ix, &cache, t, &len);
    ck_assert_int_eq(cache.fits, cases[i].cached);
    bool fields = strchr(cases[i].suffix, '{') != NULL;
    ck_assert_int_eq(name != NULL, cases[i].cached && !fields);
    /* Part by part or not, the names are the oracle's, hours later too. */
    int64_t times[] = {t, t + 1, t + 3600 * NS, t - 86400 * NS, t};
    cache_agrees(pattern, times, sizeof(times) / sizeof(times[0]));
    es_index_destroy(ix);
    free(pattern);
}
END_TEST

START_TEST(iso_week_year_changes_with_the_cache)
{
    struct es_index *ix = compile_ok("w-%G.%V");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct buf out;
    buf_init(&out, 0);
    int64_t monday = 1735516800LL * NS; /* 2024-12-30T00:00:00Z */
    ck_assert_str_eq(expand_cached(ix, &cache, monday - 1, &out), "w-2024.52");
    ck_assert_str_eq(expand_cached(ix, &cache, monday, &out), "w-2025.01");
    ck_assert_str_eq(expand_cached(ix, &cache, monday - NS, &out), "w-2024.52");
    /* Week 1 of 2025 ends on Sunday 2025-01-05. */
    int64_t week = 7 * 86400 * NS;
    ck_assert_str_eq(expand_cached(ix, &cache, monday + week - 1, &out),
                     "w-2025.01");
    ck_assert_str_eq(expand_cached(ix, &cache, monday + week, &out),
                     "w-2025.02");
    buf_fini(&out);
    es_index_destroy(ix);
}
END_TEST

START_TEST(name_is_only_for_names_without_fields)
{
    size_t len = 0;
    struct es_index *ix = compile_ok("logs-%Y.%m.%d");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    const char *name = es_index_name(ix, &cache, T_2024_03_05 * NS, &len);
    ck_assert_ptr_nonnull(name);
    ck_assert_uint_eq(len, 15);
    ck_assert(memcmp(name, "logs-2024.03.05", 15) == 0);
    ck_assert(cache.sec == T_2024_03_05);
    es_index_destroy(ix);

    ix = compile_ok("a%%b");
    es_index_cache_init(&cache);
    name = es_index_name(ix, &cache, 0, &len);
    ck_assert_ptr_nonnull(name);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(name, "a%b", 3) == 0);
    es_index_destroy(ix);

    ix = compile_ok("logs-%{a}-%Y");
    es_index_cache_init(&cache);
    len = 12345;
    ck_assert_ptr_null(es_index_name(ix, &cache, 0, &len));
    ck_assert_uint_eq(len, 12345);
    es_index_destroy(ix);
}
END_TEST

/* Up to ES_INDEX_CACHE_RUNS - 1 fields the text between them is cached. */
START_TEST(fields_beyond_the_cache_are_expanded_part_by_part)
{
    static const char *const patterns[] = {
        "%{a}%{b}%{c}%{d}%{e}%{f}%{g}-%j",
        "%{a}%{b}%{c}%{d}%{e}%{f}%{g}%{h}-%d",
    };
    int64_t t = T_2024_03_05 * NS;
    ck_assert_int_eq(ES_INDEX_CACHE_RUNS, 8);
    for (size_t i = 0; i < 2; i++) {
        struct es_index *ix = compile_ok(patterns[i]);
        struct es_index_cache cache;
        es_index_cache_init(&cache);
        size_t len;
        ck_assert_ptr_null(es_index_name(ix, &cache, t, &len));
        ck_assert_int_eq(cache.fits, i == 0);
        es_index_destroy(ix);
        cache_agrees(patterns[i], &t, 1);
    }
}
END_TEST

/* The cache belongs to one pattern; given another, it starts again. */
START_TEST(cache_follows_a_change_of_pattern)
{
    struct es_index *a = compile_ok("a-%Y.%m");
    struct es_index *b = compile_ok("b-%d");
    struct es_index_cache cache;
    es_index_cache_init(&cache);
    struct buf out;
    buf_init(&out, 0);
    int64_t t = T_2024_03_05 * NS;
    ck_assert_str_eq(expand_cached(a, &cache, t, &out), "a-2024.03");
    ck_assert_str_eq(expand_cached(b, &cache, t, &out), "b-05");
    ck_assert_str_eq(expand_cached(a, &cache, t + 1, &out), "a-2024.03");
    buf_fini(&out);
    es_index_destroy(a);
    es_index_destroy(b);
}
END_TEST

static Suite *
check_es_index_suite(void)
{
    Suite *s = suite_create("es_index");
    TCase *tc = tcase_create("compile");
    tcase_add_test(tc, upper_case_is_refused);
    tcase_add_loop_test(tc, forbidden_characters_are_refused, 0,
                        (int)strlen(forbidden));
    tcase_add_test(tc, bad_directives_are_refused);
    tcase_add_test(tc, bad_first_characters_are_refused);
    tcase_add_test(tc, valid_patterns_compile);
    tcase_add_test(tc, static_names);
    tcase_add_loop_test(tc, static_name_is_the_expanded_name, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("expand");
    tcase_add_test(tc, time_directives);
    tcase_add_test(tc, iso_week_years);
    tcase_add_test(tc, times_are_utc_at_day_edges);
    tcase_add_test(tc, negative_times);
    tcase_add_test(tc, field_values);
    tcase_add_test(tc, field_values_are_lower_cased);
    tcase_add_loop_test(tc, forbidden_characters_in_values_become_underscores,
                        0, (int)strlen(forbidden));
    tcase_add_test(tc, all_forbidden_characters_at_once);
    tcase_add_test(tc, absent_or_empty_fields_are_unknown);
    tcase_add_test(tc, message_is_the_line_when_no_stage_set_it);
    tcase_add_test(tc, typed_values);
    tcase_add_test(tc, non_ascii_capitals_do_not_reach_the_name);
    tcase_add_test(tc, appends_to_what_is_there);
    tcase_add_test(tc, a_full_buffer_is_e2big);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_add_test(tc, cache_starts_empty);
    tcase_add_test(tc, cache_holds_the_last_second);
    tcase_add_test(tc, cache_follows_time_in_any_order);
    tcase_add_test(tc, caches_are_independent);
    tcase_add_test(tc, iso_week_year_changes_with_the_cache);
    tcase_add_test(tc, name_is_only_for_names_without_fields);
    tcase_add_test(tc, cache_follows_a_change_of_pattern);
    tcase_add_test(tc, fields_beyond_the_cache_are_expanded_part_by_part);
    tcase_add_loop_test(tc, long_names_are_cached_or_expanded_part_by_part, 0,
                        7);
    suite_add_tcase(s, tc);

    tc = tcase_create("oracle");
    tcase_add_loop_test(tc, cache_agrees_across_boundaries, 0,
                        (int)CACHE_NEDGES);
    tcase_add_loop_test(tc, cache_agrees_at_random_times, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_es_index_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
