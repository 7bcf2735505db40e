/*
 * Multiline grouping and gzip reading through the harvester, on real files
 * in temp dirs: start and continuation rules (with and without negate),
 * the max_lines and max_bytes limits, the pending event flushed after the
 * multiline timeout (harvester_flush called directly, with and without
 * the partial line), the offset handed to the registry while an event is
 * pending, events spanning many 7-byte reads, a truncated line ending an
 * event; gzip files (harvester_use_gzip) with offsets in the uncompressed
 * stream, concatenated members, resuming at an uncompressed offset, a
 * descriptor whose position was moved, and a stream cut short.
 */
#include "config.h"

#include "chunk.h"
#include "errbuf.h"
#include "event.h"
#include "evlist.h"
#include "harvester.h"
#include "multiline.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1024 * 1024)

/* Read sizes for the loop tests: tiny, odd, and large. */
static const size_t read_sizes[] = {1, 2, 3, 7, 13, 64, 100, 4096};
#define NREAD_SIZES (sizeof(read_sizes) / sizeof(read_sizes[0]))

/* Fails unless event i of l is text (NUL-terminated) at offset with flags. */
static void
assert_event(const struct evlist *l, size_t i, uint64_t offset,
             const char *text, unsigned flags)
{
    EXPECT(l->n > i, "no event %zu (%zu events)", i, l->n);
    const struct ev *e = &l->v[i];
    size_t len = strlen(text);
    EXPECT(e->offset == offset && e->flags == flags && e->len == len &&
               memcmp(e->text, text, len) == 0,
           "event %zu is (offset %llu, flags %u, \"%.60s\" %zu bytes), want "
           "(offset %llu, flags %u, \"%.60s\" %zu bytes)",
           i, (unsigned long long)e->offset, e->flags, e->text, e->len,
           (unsigned long long)offset, flags, text, len);
}

/* ---- a harvester over a temp file, with an optional multiline rule */

struct mh {
    struct multiline_conf conf; /* the rule's settings (strings borrowed) */
    struct multiline *ml;       /* owned, or NULL */
    struct harvester h;
    struct chunk_pool *pool; /* owned */
    char *dir;               /* owned */
    char *path;              /* owned */
    int fd;
};

/* Default limits; set start or continuation (and negate) on the result. */
static struct multiline_conf
rule(const char *start, const char *continuation, bool negate)
{
    return (struct multiline_conf){
        .start = (char *)start,
        .continuation = (char *)continuation,
        .negate = negate,
        .max_lines = 500,
        .max_bytes = 2 * MIB,
        .timeout_ms = 5000,
    };
}

/* Writes data to a temp file (through zlib if gz) and opens it. */
static void
mh_file(struct mh *m, const char *data, size_t len, bool gz)
{
    m->dir = testutil_tempdir();
    m->path = testutil_path(m->dir, gz ? "input.log.gz" : "input.log");
    if (gz) {
        gzFile g = gzopen(m->path, "wb");
        ck_assert_ptr_nonnull(g);
        if (len > 0)
            ck_assert_int_eq(gzwrite(g, data, (unsigned)len), (int)len);
        ck_assert_int_eq(gzclose(g), Z_OK);
    } else {
        testutil_write_file(m->path, data, len);
    }
    m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(m->fd, 0);
}

/* Starts the harvester on m's open file at offset; conf may be NULL. */
static void
mh_start(struct mh *m, const struct multiline_conf *conf, uint64_t offset,
         size_t read_bytes, size_t max_line_bytes)
{
    m->ml = NULL;
    if (conf != NULL) {
        struct errbuf err;
        m->conf = *conf;
        m->ml = multiline_create(&m->conf, &err);
        EXPECT(m->ml != NULL, "multiline_create: %s", err.msg);
    }
    harvester_init(&m->h, m->fd, offset, read_bytes, max_line_bytes, m->ml);
    size_t ml_max = m->ml ? multiline_max_bytes(m->ml) : 0;
    m->pool = chunk_pool_create(
        1, harvester_chunk_bytes(read_bytes, max_line_bytes, ml_max));
}

static void
mh_open(struct mh *m, const char *data, size_t len,
        const struct multiline_conf *conf, size_t read_bytes)
{
    mh_file(m, data, len, false);
    mh_start(m, conf, 0, read_bytes, 64 * 1024);
}

static void
mh_close(struct mh *m)
{
    harvester_fini(&m->h);
    chunk_pool_destroy(m->pool);
    multiline_destroy(m->ml);
    close(m->fd);
    testutil_rmtree(m->dir);
    free(m->path);
    free(m->dir);
}

/* One fill; its events are appended to out. Returns the fill's result. */
static int
mh_fill(struct mh *m, bool final, struct evlist *out)
{
    struct chunk *c = chunk_pool_get(m->pool, 0);
    EXPECT(c != NULL, "chunk pool empty");
    int rc = harvester_fill(&m->h, c, final);
    if (rc >= 0)
        evlist_add_chunk(out, c);
    chunk_pool_put(c);
    return rc;
}

/* Fills until EOF (failing on an error); out gets every event. */
static void
mh_to_eof(struct mh *m, bool final, struct evlist *out)
{
    for (size_t fills = 0;; fills++) {
        int rc = mh_fill(m, final, out);
        EXPECT(rc == HARVESTER_MORE || rc == HARVESTER_EOF,
               "fill %zu returned %d", fills, rc);
        if (rc == HARVESTER_EOF)
            return;
        EXPECT(fills < 10 * 1000 * 1000, "no EOF after %zu fills", fills);
    }
}

/* What the tail does once the file was quiet for the multiline timeout. */
static size_t
mh_flush(struct mh *m, bool partial_too, struct evlist *out)
{
    struct chunk *c = chunk_pool_get(m->pool, 0);
    EXPECT(c != NULL, "chunk pool empty");
    size_t n = harvester_flush(&m->h, c, partial_too);
    EXPECT(n == c->nevents, "harvester_flush returned %zu for %zu events", n,
           c->nevents);
    evlist_add_chunk(out, c);
    chunk_pool_put(c);
    return n;
}

/* Harvests data with conf to EOF at read_bytes, then flushes what waits. */
static void
harvest_ml(const char *data, const struct multiline_conf *conf,
           size_t read_bytes, bool final, struct evlist *out)
{
    struct mh m;
    mh_open(&m, data, strlen(data), conf, read_bytes);
    mh_to_eof(&m, final, out);
    mh_flush(&m, true, out);
    EXPECT(!harvester_pending(&m.h), "something still pending after a flush");
    evlist_assert_offsets(out, data, strlen(data));
    mh_close(&m);
}

/* ---- multiline rules */

START_TEST(start_rule_groups_lines_until_the_next_start)
{
    static const char data[] = "2024-01-01 first\n"
                               "  at a\n"
                               "  at b\n"
                               "2024-01-02 second\n"
                               "2024-01-03 third\n"
                               "  at c\n";
    struct multiline_conf conf = rule("^\\d{4}-\\d{2}-\\d{2}", NULL, false);
    struct mh m;
    mh_open(&m, data, sizeof(data) - 1, &conf, 4096);
    struct evlist got = {0};
    mh_to_eof(&m, false, &got);
    /* The third event may still go on: it waits. */
    ck_assert_uint_eq(got.n, 2);
    assert_event(&got, 0, 0, "2024-01-01 first\n  at a\n  at b",
                 EVENT_MULTILINE);
    assert_event(&got, 1, 31, "2024-01-02 second", 0);
    ck_assert(harvester_pending(&m.h));
    ck_assert_uint_eq(mh_flush(&m, false, &got), 1);
    assert_event(&got, 2, 49, "2024-01-03 third\n  at c", EVENT_MULTILINE);
    ck_assert(!harvester_pending(&m.h));
    ck_assert_uint_eq(harvester_done_offset(&m.h), sizeof(data) - 1);
    evlist_assert_offsets(&got, data, sizeof(data) - 1);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

START_TEST(lines_before_the_first_start_form_their_own_event)
{
    static const char data[] = "orphan\n"
                               "  orphan continued\n"
                               "START one\n"
                               "  more\n";
    struct multiline_conf conf = rule("^START", NULL, false);
    struct evlist got = {0};
    harvest_ml(data, &conf, 4096, false, &got);
    ck_assert_uint_eq(got.n, 2);
    assert_event(&got, 0, 0, "orphan\n  orphan continued", EVENT_MULTILINE);
    assert_event(&got, 1, 26, "START one\n  more", EVENT_MULTILINE);
    evlist_fini(&got);
}
END_TEST

START_TEST(continuation_rule_joins_matching_lines)
{
    static const char data[] = "Exception in thread main\n"
                               "\tat com.example.A.run(A.java:1)\n"
                               "\tat com.example.B.run(B.java:2)\n"
                               "next event\n"
                               "another\n"
                               " continued\n";
    struct multiline_conf conf = rule(NULL, "^\\s", false);
    struct evlist got = {0};
    harvest_ml(data, &conf, 4096, false, &got);
    ck_assert_uint_eq(got.n, 3);
    assert_event(&got, 0, 0,
                 "Exception in thread main\n"
                 "\tat com.example.A.run(A.java:1)\n"
                 "\tat com.example.B.run(B.java:2)",
                 EVENT_MULTILINE);
    assert_event(&got, 1, 89, "next event", 0);
    assert_event(&got, 2, 100, "another\n continued", EVENT_MULTILINE);
    evlist_fini(&got);
}
END_TEST

START_TEST(continuation_rule_with_negate_joins_lines_that_do_not_match)
{
    /* negate: a line NOT matching the timestamp continues the event. */
    static const char data[] = "[10:00:01] request failed\n"
                               "Traceback (most recent call last):\n"
                               "  File \"x.py\", line 1\n"
                               "ValueError: bad\n"
                               "[10:00:02] ok\n"
                               "[10:00:03] ok again\n";
    struct multiline_conf conf =
        rule(NULL, "^\\[\\d\\d:\\d\\d:\\d\\d\\]", true);
    struct evlist got = {0};
    harvest_ml(data, &conf, 4096, false, &got);
    ck_assert_uint_eq(got.n, 3);
    assert_event(&got, 0, 0,
                 "[10:00:01] request failed\n"
                 "Traceback (most recent call last):\n"
                 "  File \"x.py\", line 1\n"
                 "ValueError: bad",
                 EVENT_MULTILINE);
    assert_event(&got, 1, 99, "[10:00:02] ok", 0);
    assert_event(&got, 2, 113, "[10:00:03] ok again", 0);
    evlist_fini(&got);

    /* The same rule without negate: matching lines continue instead. */
    conf.negate = false;
    harvest_ml(data, &conf, 4096, false, &got);
    ck_assert_uint_eq(got.n, 4);
    assert_event(&got, 0, 0, "[10:00:01] request failed", 0);
    assert_event(&got, 1, 26, "Traceback (most recent call last):", 0);
    assert_event(&got, 2, 61, "  File \"x.py\", line 1", 0);
    assert_event(&got, 3, 83,
                 "ValueError: bad\n[10:00:02] ok\n[10:00:03] ok again",
                 EVENT_MULTILINE);
    evlist_fini(&got);
}
END_TEST

START_TEST(max_lines_splits_an_event_at_any_read_size)
{
    /* One start line and 10 continuations, max_lines 4: 4 + 4 + 3. */
    char data[512];
    size_t n = (size_t)snprintf(data, sizeof(data), "START\n");
    for (int i = 1; i <= 10; i++)
        n += (size_t)snprintf(data + n, sizeof(data) - n, " c%02d\n", i);
    n += (size_t)snprintf(data + n, sizeof(data) - n, "START 2\n");
    struct multiline_conf conf = rule("^START", NULL, false);
    conf.max_lines = 4;
    size_t rb = read_sizes[_i];
    struct evlist got = {0};
    harvest_ml(data, &conf, rb, false, &got);
    ck_assert_uint_eq(got.n, 4);
    assert_event(&got, 0, 0, "START\n c01\n c02\n c03", EVENT_MULTILINE);
    assert_event(&got, 1, 21, " c04\n c05\n c06\n c07", EVENT_MULTILINE);
    assert_event(&got, 2, 41, " c08\n c09\n c10", EVENT_MULTILINE);
    assert_event(&got, 3, 56, "START 2", 0);
    evlist_fini(&got);
}
END_TEST

START_TEST(max_bytes_sends_an_event_before_it_grows_past_the_limit)
{
    /* 100-byte lines (101 with the newline), max_bytes 1024: 10 lines fit
     * (1010 bytes with their newlines), the 11th starts a new event. */
    char line[101];
    memset(line, 'x', 100);
    line[100] = '\n';
    size_t total = 25 * sizeof(line);
    char *data = xmalloc(total + 1);
    for (size_t i = 0; i < 25; i++) {
        memcpy(data + i * sizeof(line), line, sizeof(line));
        data[i * sizeof(line)] = i == 0 ? 'S' : ' ';
    }
    data[total] = '\0';
    struct multiline_conf conf = rule("^S", NULL, false);
    conf.max_bytes = 1024;
    for (size_t r = 0; r < NREAD_SIZES; r++) {
        struct evlist got = {0};
        harvest_ml(data, &conf, read_sizes[r], false, &got);
        ck_assert_uint_eq(got.n, 3);
        size_t lines[] = {10, 10, 5};
        uint64_t off = 0;
        for (size_t i = 0; i < 3; i++) {
            const struct ev *e = &got.v[i];
            ck_assert_uint_eq(e->offset, off);
            ck_assert_uint_eq(e->len, lines[i] * sizeof(line) - 1);
            ck_assert_uint_le(e->len + 1, conf.max_bytes);
            ck_assert_uint_eq(e->flags, EVENT_MULTILINE);
            off += lines[i] * sizeof(line);
        }
        evlist_fini(&got);
    }
    free(data);
}
END_TEST

START_TEST(flush_after_timeout_sends_the_pending_event_and_keeps_the_partial)
{
    static const char data[] = "2024 a\n"
                               "  cont\n"
                               "2024 b part";
    struct multiline_conf conf = rule("^\\d{4} ", NULL, false);
    struct mh m;
    mh_open(&m, data, sizeof(data) - 1, &conf, 4096);
    struct evlist got = {0};
    mh_to_eof(&m, false, &got);
    ck_assert_uint_eq(got.n, 0); /* "2024 a" may still be continued */
    ck_assert(harvester_pending(&m.h));
    /* Nothing is handed out yet: the registry may not pass the event. */
    ck_assert_uint_eq(harvester_done_offset(&m.h), 0);

    /* The timeout without partial lines: the event goes, the partial waits. */
    ck_assert_uint_eq(mh_flush(&m, false, &got), 1);
    assert_event(&got, 0, 0, "2024 a\n  cont", EVENT_MULTILINE);
    ck_assert(harvester_pending(&m.h));
    ck_assert_uint_eq(harvester_done_offset(&m.h), 14);
    /* A second flush has nothing new to send. */
    ck_assert_uint_eq(mh_flush(&m, false, &got), 0);

    /* line_timeout: the partial line goes too. */
    ck_assert_uint_eq(mh_flush(&m, true, &got), 1);
    assert_event(&got, 1, 14, "2024 b part", 0);
    ck_assert(!harvester_pending(&m.h));
    ck_assert_uint_eq(harvester_done_offset(&m.h), sizeof(data) - 1);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

START_TEST(flush_with_partial_joins_a_partial_continuation)
{
    static const char data[] = "2024 a\n"
                               "  cont\n"
                               "  partial continuation";
    struct multiline_conf conf = rule("^\\d{4} ", NULL, false);
    struct mh m;
    mh_open(&m, data, sizeof(data) - 1, &conf, 4096);
    struct evlist got = {0};
    mh_to_eof(&m, false, &got);
    ck_assert_uint_eq(got.n, 0);
    ck_assert_uint_eq(mh_flush(&m, true, &got), 1);
    assert_event(&got, 0, 0, "2024 a\n  cont\n  partial continuation",
                 EVENT_MULTILINE);
    ck_assert_uint_eq(harvester_done_offset(&m.h), sizeof(data) - 1);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

START_TEST(pending_event_carried_across_fills_until_its_next_line)
{
    static const char first[] = "START 1\n  a\n";
    static const char rest[] = "  b\nSTART 2\n";
    struct multiline_conf conf = rule("^START", NULL, false);
    struct mh m;
    mh_open(&m, first, sizeof(first) - 1, &conf, 4096);
    struct evlist got = {0};
    mh_to_eof(&m, false, &got);
    ck_assert_uint_eq(got.n, 0);
    ck_assert_uint_eq(harvester_done_offset(&m.h), 0);
    testutil_append_file(m.path, rest, sizeof(rest) - 1);
    mh_to_eof(&m, false, &got);
    ck_assert_uint_eq(got.n, 1);
    assert_event(&got, 0, 0, "START 1\n  a\n  b", EVENT_MULTILINE);
    ck_assert_uint_eq(harvester_done_offset(&m.h), 16);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

/* Builds a log of events of 1..60 lines each (start "E<n> ..."). */
static char *
make_events(size_t nevents)
{
    size_t cap = 1024, len = 0;
    char *p = xmalloc(cap);
    for (size_t e = 0; e < nevents; e++) {
        size_t lines = 1 + (e * 37) % 60;
        for (size_t l = 0; l < lines; l++) {
            char line[96];
            int w = l == 0 ? snprintf(line, sizeof(line), "E%zu begins\n", e)
                           : snprintf(line, sizeof(line),
                                      "    at frame %zu of event %zu\n", l, e);
            if (len + (size_t)w + 1 > cap) {
                cap *= 2;
                p = xrealloc(p, cap);
            }
            memcpy(p + len, line, (size_t)w);
            len += (size_t)w;
        }
    }
    p[len] = '\0';
    return p;
}

START_TEST(event_spanning_many_seven_byte_reads)
{
    char *data = make_events(40);
    struct multiline_conf conf = rule("^E\\d+ ", NULL, false);
    struct evlist want = {0}, got = {0};
    harvest_ml(data, &conf, 4096, false, &want);
    ck_assert_uint_eq(want.n, 40);
    for (size_t e = 0; e < want.n; e++) {
        char head[32];
        snprintf(head, sizeof(head), "E%zu begins", e);
        ck_assert_mem_eq(want.v[e].text, head, strlen(head));
        size_t lines = 1 + (e * 37) % 60;
        ck_assert_uint_eq(want.v[e].flags, lines > 1 ? EVENT_MULTILINE : 0);
    }
    /* 7 bytes per read: every event spans many reads and fills. */
    harvest_ml(data, &conf, 7, false, &got);
    evlist_assert_same(&got, &want, "read_bytes 7");
    evlist_fini(&got);
    /* At end of stream with final, the last event goes without a flush. */
    struct mh m;
    mh_open(&m, data, strlen(data), &conf, 7);
    mh_to_eof(&m, true, &got);
    ck_assert(!harvester_pending(&m.h));
    evlist_assert_same(&got, &want, "read_bytes 7, final");
    mh_close(&m);
    evlist_fini(&got);
    evlist_fini(&want);
    free(data);
}
END_TEST

START_TEST(crlf_lines_join_with_lf_at_every_read_size)
{
    /* A lone \r inside a line is text and stays. */
    static const char data[] = "2024-01-01 ERROR boom\r\n"
                               "Traceback (most recent call last):\r\n"
                               "  x = 1\r2\r\n"
                               "2024-01-01 INFO ok\r\n"
                               "2024-01-01 WARN last\r\n"
                               "  tail\r\n";
    struct multiline_conf conf = rule("^\\d{4}-", NULL, false);
    for (size_t r = 0; r < NREAD_SIZES; r++) {
        struct evlist got = {0};
        harvest_ml(data, &conf, read_sizes[r], false, &got);
        ck_assert_uint_eq(got.n, 3);
        assert_event(&got, 0, 0,
                     "2024-01-01 ERROR boom\n"
                     "Traceback (most recent call last):\n"
                     "  x = 1\r2",
                     EVENT_MULTILINE);
        assert_event(&got, 1, 70, "2024-01-01 INFO ok", 0);
        assert_event(&got, 2, 90, "2024-01-01 WARN last\n  tail",
                     EVENT_MULTILINE);
        evlist_fini(&got);
    }
}
END_TEST

START_TEST(same_events_at_every_read_size)
{
    char *data = make_events(25);
    struct multiline_conf conf = rule(NULL, "^\\s", false);
    struct evlist want = {0};
    harvest_ml(data, &conf, 1 << 20, false, &want);
    ck_assert_uint_eq(want.n, 25);
    for (size_t r = 0; r < NREAD_SIZES; r++) {
        struct evlist got = {0};
        char what[32];
        snprintf(what, sizeof(what), "read_bytes %zu", read_sizes[r]);
        harvest_ml(data, &conf, read_sizes[r], false, &got);
        evlist_assert_same(&got, &want, what);
        evlist_fini(&got);
    }
    evlist_fini(&want);
    free(data);
}
END_TEST

START_TEST(truncated_line_ends_the_pending_event)
{
    /* max_line_bytes 32: the long continuation is its own truncated event. */
    static const char data[] = "START\n"
                               "  short\n"
                               "  this continuation line is far too long to "
                               "keep whole\n"
                               "  after\n"
                               "START 2\n";
    struct multiline_conf conf = rule("^START", NULL, false);
    struct mh m;
    mh_file(&m, data, sizeof(data) - 1, false);
    mh_start(&m, &conf, 0, 4096, 32);
    struct evlist got = {0};
    mh_to_eof(&m, false, &got);
    mh_flush(&m, true, &got);
    ck_assert_uint_eq(got.n, 4);
    assert_event(&got, 0, 0, "START\n  short", EVENT_MULTILINE);
    assert_event(&got, 1, 14, "  this continuation line is far ",
                 EVENT_TRUNCATED);
    assert_event(&got, 2, 69, "  after", 0);
    assert_event(&got, 3, 77, "START 2", 0);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

/* ---- gzip */

/* Numbered lines "line 000001 ..." for the gzip tests. */
static char *
make_lines(size_t n, size_t *len)
{
    char *p = xmalloc(n * 40 + 1);
    size_t at = 0;
    for (size_t i = 1; i <= n; i++)
        at += (size_t)sprintf(p + at, "line %06zu of the gzip test\n", i);
    *len = at;
    return p;
}

/* Plain-line events of data (all lines complete) from offset on. */
static void
expected_lines(const char *data, size_t len, uint64_t from, struct evlist *out)
{
    size_t start = (size_t)from;
    while (start < len) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - data) : len;
        if (end > start)
            evlist_add(out, start, data + start, end - start, 0);
        start = end + 1;
    }
}

/* Harvests m (already started on a gzip file) to EOF, final like a .gz. */
static void
gz_harvest(struct mh *m, struct evlist *got)
{
    ck_assert_int_eq(harvester_use_gzip(&m->h), 0);
    mh_to_eof(m, true, got);
}

START_TEST(gzip_events_at_uncompressed_offsets)
{
    size_t rb = read_sizes[_i];
    size_t len;
    char *data = make_lines(rb < 64 ? 2000 : 20000, &len);
    struct mh m;
    mh_file(&m, data, len, true);
    mh_start(&m, NULL, 0, rb, 1024);
    struct evlist got = {0}, want = {0};
    gz_harvest(&m, &got);
    expected_lines(data, len, 0, &want);
    evlist_assert_same(&got, &want, "gzip");
    ck_assert_uint_eq(m.h.read_offset, len);
    evlist_fini(&got);
    evlist_fini(&want);
    mh_close(&m);
    free(data);
}
END_TEST

START_TEST(gzip_concatenated_members_read_through)
{
    size_t len;
    char *data = make_lines(3000, &len);
    /* Three members, cut mid-line: the line spans two members. */
    size_t cuts[] = {0, 12345, 12345 + 40000 + 7, len};
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "multi.gz");
    for (size_t i = 0; i < 3; i++) {
        gzFile g = gzopen(path, i == 0 ? "wb" : "ab");
        ck_assert_ptr_nonnull(g);
        unsigned n = (unsigned)(cuts[i + 1] - cuts[i]);
        ck_assert_int_eq(gzwrite(g, data + cuts[i], n), (int)n);
        ck_assert_int_eq(gzclose(g), Z_OK);
    }
    struct mh m = {0};
    m.dir = dir;
    m.path = path;
    m.fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(m.fd, 0);
    mh_start(&m, NULL, 0, 4096, 1024);
    struct evlist got = {0}, want = {0};
    gz_harvest(&m, &got);
    expected_lines(data, len, 0, &want);
    evlist_assert_same(&got, &want, "three gzip members");
    evlist_fini(&got);
    evlist_fini(&want);
    mh_close(&m);
    free(data);
}
END_TEST

START_TEST(gzip_resumes_at_an_uncompressed_offset)
{
    size_t len;
    char *data = make_lines(5000, &len);
    /* The start of line 3001: what the registry saved for a .gz. */
    const char *at = strstr(data, "line 003001 ");
    ck_assert_ptr_nonnull(at);
    uint64_t offset = (uint64_t)(at - data);
    struct mh m;
    mh_file(&m, data, len, true);
    mh_start(&m, NULL, offset, 4096, 1024);
    struct evlist got = {0}, want = {0};
    gz_harvest(&m, &got);
    expected_lines(data, len, offset, &want);
    ck_assert_uint_eq(want.n, 2000);
    evlist_assert_same(&got, &want, "gzip from line 3001");
    evlist_fini(&got);
    evlist_fini(&want);
    mh_close(&m);
    free(data);
}
END_TEST

START_TEST(gzip_multiline_event_spanning_members_and_reads)
{
    static const char part1[] = "E1 begins\n    at one\n    at tw";
    static const char part2[] = "o\n    at three\nE2 begins\n";
    char *dir = testutil_tempdir();
    char *path = testutil_path(dir, "ml.gz");
    const char *parts[] = {part1, part2};
    for (size_t i = 0; i < 2; i++) {
        gzFile g = gzopen(path, i == 0 ? "wb" : "ab");
        ck_assert_ptr_nonnull(g);
        ck_assert_int_gt(gzwrite(g, parts[i], (unsigned)strlen(parts[i])), 0);
        ck_assert_int_eq(gzclose(g), Z_OK);
    }
    struct mh m = {0};
    m.dir = dir;
    m.path = path;
    m.fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(m.fd, 0);
    struct multiline_conf conf = rule("^E\\d+ ", NULL, false);
    mh_start(&m, &conf, 0, 7, 1024);
    struct evlist got = {0};
    gz_harvest(&m, &got);
    ck_assert_uint_eq(got.n, 2);
    assert_event(&got, 0, 0, "E1 begins\n    at one\n    at two\n    at three",
                 EVENT_MULTILINE);
    assert_event(&got, 1, 45, "E2 begins", 0);
    evlist_fini(&got);
    mh_close(&m);
}
END_TEST

/*
 * The tail reads a .gz file's first bytes (its fingerprint) through a dup
 * of the descriptor, which moves the shared file position; the harvester
 * must still decompress from the start of the file, not pass compressed
 * bytes through as text.
 */
START_TEST(gzip_read_from_the_start_when_the_fd_position_moved)
{
    size_t len;
    char *data = make_lines(4000, &len);
    struct mh m;
    mh_file(&m, data, len, true);
    char junk[300];
    ck_assert_int_eq(read(m.fd, junk, sizeof(junk)), (int)sizeof(junk));
    mh_start(&m, NULL, 0, 4096, 1024);
    struct evlist got = {0}, want = {0};
    gz_harvest(&m, &got);
    expected_lines(data, len, 0, &want);
    evlist_assert_same(&got, &want, "gzip after the position moved");
    evlist_fini(&got);
    evlist_fini(&want);
    mh_close(&m);
    free(data);
}
END_TEST

/* A .gz cut short (an interrupted copy) is a read error, not an end. */
START_TEST(gzip_stream_cut_short_is_an_error_not_an_end)
{
    size_t len;
    char *data = make_lines(20000, &len);
    struct mh m;
    mh_file(&m, data, len, true);
    off_t size = lseek(m.fd, 0, SEEK_END);
    ck_assert_int_eq(truncate(m.path, size / 2), 0);
    lseek(m.fd, 0, SEEK_SET);
    mh_start(&m, NULL, 0, 4096, 1024);
    ck_assert_int_eq(harvester_use_gzip(&m.h), 0);
    struct evlist got = {0};
    int rc;
    size_t fills = 0;
    while ((rc = mh_fill(&m, true, &got)) == HARVESTER_MORE)
        EXPECT(++fills < 100000, "no end");
    ck_assert_int_lt(rc, 0);
    /* What was read before the cut are whole lines of the original. */
    evlist_assert_offsets(&got, data, len);
    for (size_t i = 0; i < got.n; i++)
        ck_assert_uint_eq(got.v[i].len, 28);
    evlist_fini(&got);
    mh_close(&m);
    free(data);
}
END_TEST

static Suite *
harvester_ml_suite(void)
{
    Suite *s = suite_create("harvester_ml");
    TCase *tc = tcase_create("multiline");
    tcase_add_test(tc, start_rule_groups_lines_until_the_next_start);
    tcase_add_test(tc, lines_before_the_first_start_form_their_own_event);
    tcase_add_test(tc, continuation_rule_joins_matching_lines);
    tcase_add_test(tc,
                   continuation_rule_with_negate_joins_lines_that_do_not_match);
    tcase_add_loop_test(tc, max_lines_splits_an_event_at_any_read_size, 0,
                        NREAD_SIZES);
    tcase_add_test(tc, max_bytes_sends_an_event_before_it_grows_past_the_limit);
    tcase_add_test(
        tc, flush_after_timeout_sends_the_pending_event_and_keeps_the_partial);
    tcase_add_test(tc, flush_with_partial_joins_a_partial_continuation);
    tcase_add_test(tc, pending_event_carried_across_fills_until_its_next_line);
    tcase_add_test(tc, event_spanning_many_seven_byte_reads);
    tcase_add_test(tc, same_events_at_every_read_size);
    tcase_add_test(tc, crlf_lines_join_with_lf_at_every_read_size);
    tcase_add_test(tc, truncated_line_ends_the_pending_event);
    suite_add_tcase(s, tc);

    TCase *gz = tcase_create("gzip");
    tcase_set_timeout(gz, 30);
    tcase_add_loop_test(gz, gzip_events_at_uncompressed_offsets, 0,
                        NREAD_SIZES);
    tcase_add_test(gz, gzip_concatenated_members_read_through);
    tcase_add_test(gz, gzip_resumes_at_an_uncompressed_offset);
    tcase_add_test(gz, gzip_multiline_event_spanning_members_and_reads);
    tcase_add_test(gz, gzip_read_from_the_start_when_the_fd_position_moved);
    tcase_add_test(gz, gzip_stream_cut_short_is_an_error_not_an_end);
    suite_add_tcase(s, gz);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(harvester_ml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
