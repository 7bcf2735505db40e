/*
 * Line cutting on real files in temp dirs and on pipes: LF and CRLF,
 * empty lines, NUL bytes, the partial last line (carried, or emitted when
 * final), truncation at max_line_bytes, stream offsets of every event
 * checked against the bytes they point at, h->line_offset after each
 * fill, and the same events whatever the read size. Expected events come
 * from a tiny reference model of the rules in harvester.h.
 */
#include "config.h"

#include "chunk.h"
#include "event.h"
#include "evlist.h"
#include "harvester.h"
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

#define MIB (1024 * 1024)

/* Read sizes for the loop tests: tiny, around the line limit, and large. */
static const size_t read_sizes[] = {1, 2, 3, 7, 13, 63, 64, 65, 100, 4096};
#define NREAD_SIZES (sizeof(read_sizes) / sizeof(read_sizes[0]))

/*
 * The reference model: every line ends at \n (or at the end of data when
 * final); one trailing \r is dropped; empty lines are skipped; a line
 * longer than max keeps its first max bytes and is flagged truncated.
 */
static void
model_events(const char *data, size_t len, size_t max, bool final,
             struct evlist *out)
{
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(data + start, '\n', len - start);
        if (nl == NULL && !final)
            break;
        size_t end = nl != NULL ? (size_t)(nl - data) : len;
        size_t n = end - start;
        if (n > 0 && data[end - 1] == '\r')
            n--;
        unsigned flags = 0;
        if (n > max) {
            n = max;
            flags = EVENT_TRUNCATED;
        }
        if (n > 0)
            evlist_add(out, start, data + start, n, flags);
        start = end + 1;
    }
}

/* The stream offset just past the last \n in data[0, upto). */
static uint64_t
past_last_newline(const char *data, uint64_t upto)
{
    const char *nl = memrchr(data, '\n', upto);
    return nl != NULL ? (uint64_t)(nl - data) + 1 : 0;
}

/* A harvester with a one-chunk pool sized for its settings. */
struct hv {
    struct harvester h;
    struct chunk_pool *pool; /* owned */
    size_t fills;
};

static void
hv_init(struct hv *v, int fd, uint64_t offset, size_t read_bytes,
        size_t max_line_bytes)
{
    harvester_init(&v->h, fd, offset, read_bytes, max_line_bytes, NULL);
    v->pool = chunk_pool_create(
        1, harvester_chunk_bytes(read_bytes, max_line_bytes, 0));
    v->fills = 0;
}

static void
hv_fini(struct hv *v)
{
    harvester_fini(&v->h);
    chunk_pool_destroy(v->pool);
}

/* One fill; its events are appended to out. Returns the fill's result. */
static int
hv_fill(struct hv *v, bool final, struct evlist *out)
{
    struct chunk *c = chunk_pool_get(v->pool, 0);
    EXPECT(c != NULL, "chunk pool empty");
    int rc = harvester_fill(&v->h, c, final);
    if (rc >= 0)
        evlist_add_chunk(out, c);
    chunk_pool_put(c);
    v->fills++;
    return rc;
}

/*
 * Harvests v's fd, whose stream is data[0, len), from v's start offset to
 * EOF. Checks the status and line_offset after every fill, and every
 * event's offset.
 */
static void
hv_harvest(struct hv *v, const char *data, size_t len, bool final,
           struct evlist *out)
{
    for (;;) {
        uint64_t before = v->h.line_offset;
        int rc = hv_fill(v, final, out);
        EXPECT(rc == HARVESTER_MORE || rc == HARVESTER_EOF,
               "fill %zu returned %d", v->fills, rc);
        uint64_t want = rc == HARVESTER_EOF && final
                            ? len
                            : past_last_newline(data, v->h.read_offset);
        if (want < before)
            want = before; /* a nonzero start offset */
        EXPECT(v->h.line_offset == want,
               "fill %zu: line_offset %llu, want %llu (read_offset %llu)",
               v->fills, (unsigned long long)v->h.line_offset,
               (unsigned long long)want, (unsigned long long)v->h.read_offset);
        if (rc == HARVESTER_EOF)
            break;
    }
    EXPECT(v->h.read_offset == len, "read_offset %llu at EOF, want %zu",
           (unsigned long long)v->h.read_offset, len);
    evlist_assert_offsets(out, data, len);
}

/* A temp dir holding one file, removed by tmpfile_fini. */
struct tmpfile {
    char *dir;  /* owned */
    char *path; /* owned */
};

static void
tmpfile_init(struct tmpfile *f, const void *data, size_t len)
{
    f->dir = testutil_tempdir();
    f->path = testutil_path(f->dir, "input.log");
    testutil_write_file(f->path, data, len);
}

static int
tmpfile_open(const struct tmpfile *f)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static void
tmpfile_fini(struct tmpfile *f)
{
    testutil_rmtree(f->dir);
    free(f->path);
    free(f->dir);
}

/* Harvests data from a real file to EOF; out gets every event. */
static void
harvest_data(const char *data, size_t len, size_t read_bytes, size_t max,
             bool final, struct evlist *out)
{
    struct tmpfile f;
    tmpfile_init(&f, data, len);
    int fd = tmpfile_open(&f);
    struct hv v;
    hv_init(&v, fd, 0, read_bytes, max);
    hv_harvest(&v, data, len, final, out);
    hv_fini(&v);
    close(fd);
    tmpfile_fini(&f);
}

/* Harvests data and compares the events with the model's. */
static void
check_against_model(const char *data, size_t len, size_t read_bytes, size_t max,
                    bool final)
{
    struct evlist got = {0}, want = {0};
    char what[96];
    snprintf(what, sizeof(what), "read_bytes %zu, max %zu, final %d",
             read_bytes, max, final);
    harvest_data(data, len, read_bytes, max, final, &got);
    model_events(data, len, max, final, &want);
    evlist_assert_same(&got, &want, what);
    evlist_fini(&got);
    evlist_fini(&want);
}

/* Fails unless event i of l is text at offset with flags. */
static void
assert_event(const struct evlist *l, size_t i, uint64_t offset,
             const char *text, size_t len, unsigned flags)
{
    ck_assert_uint_gt(l->n, i);
    const struct ev *e = &l->v[i];
    ck_assert_uint_eq(e->offset, offset);
    ck_assert_uint_eq(e->flags, flags);
    ck_assert_uint_eq(e->len, len);
    ck_assert_mem_eq(e->text, text, len);
}

#define ASSERT_EVENT(l, i, offset, lit)                                        \
    assert_event((l), (i), (offset), (lit), sizeof(lit) - 1, 0)

START_TEST(lf_lines_become_events_at_their_offsets)
{
    static const char data[] = "alpha\nbeta\ngamma\n";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 64, false, &got);
    ck_assert_uint_eq(got.n, 3);
    ASSERT_EVENT(&got, 0, 0, "alpha");
    ASSERT_EVENT(&got, 1, 6, "beta");
    ASSERT_EVENT(&got, 2, 11, "gamma");
    evlist_fini(&got);
}
END_TEST

START_TEST(crlf_lines_drop_only_the_final_cr)
{
    static const char data[] = "one\r\ntwo\r\n\r\nth\rree\r\n";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 64, false, &got);
    ck_assert_uint_eq(got.n, 3);
    ASSERT_EVENT(&got, 0, 0, "one");
    ASSERT_EVENT(&got, 1, 5, "two");
    ASSERT_EVENT(&got, 2, 12, "th\rree");
    evlist_fini(&got);
}
END_TEST

START_TEST(empty_lines_skipped_offsets_still_right)
{
    static const char data[] = "\n\n\nx\n\r\n\ny\n\n";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 64, false, &got);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 0, 3, "x");
    ASSERT_EVENT(&got, 1, 8, "y");
    evlist_fini(&got);
}
END_TEST

START_TEST(nul_bytes_inside_lines_kept)
{
    static const char data[] = "a\0b\n\0\nc\0\0\r\n";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 64, false, &got);
    ck_assert_uint_eq(got.n, 3);
    ASSERT_EVENT(&got, 0, 0, "a\0b");
    ASSERT_EVENT(&got, 1, 4, "\0");
    ASSERT_EVENT(&got, 2, 6, "c\0\0");
    evlist_fini(&got);
}
END_TEST

START_TEST(partial_last_line_carried_until_its_newline)
{
    static const char first[] = "first\nsec";
    static const char rest[] = "ond\nthird\n";
    static const char all[] = "first\nsecond\nthird\n";
    struct tmpfile f;
    tmpfile_init(&f, first, sizeof(first) - 1);
    int fd = tmpfile_open(&f);
    struct hv v;
    hv_init(&v, fd, 0, 4096, 64);
    struct evlist got = {0};
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_EOF);
    ck_assert_uint_eq(got.n, 1);
    ASSERT_EVENT(&got, 0, 0, "first");
    ck_assert_uint_eq(v.h.line_offset, 6);
    /* Still no newline: nothing new, the carry survives another fill. */
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_EOF);
    ck_assert_uint_eq(got.n, 1);
    ck_assert_uint_eq(v.h.line_offset, 6);
    testutil_append_file(f.path, rest, sizeof(rest) - 1);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_EOF);
    ck_assert_uint_eq(got.n, 3);
    ASSERT_EVENT(&got, 1, 6, "second");
    ASSERT_EVENT(&got, 2, 13, "third");
    ck_assert_uint_eq(v.h.line_offset, sizeof(all) - 1);
    evlist_assert_offsets(&got, all, sizeof(all) - 1);
    evlist_fini(&got);
    hv_fini(&v);
    close(fd);
    tmpfile_fini(&f);
}
END_TEST

START_TEST(partial_last_line_emitted_when_final)
{
    static const char data[] = "first\nlast";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 64, true, &got);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 0, 0, "first");
    ASSERT_EVENT(&got, 1, 6, "last");
    evlist_fini(&got);

    static const char cr[] = "first\r\nlast\r";
    harvest_data(cr, sizeof(cr) - 1, 4096, 64, true, &got);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 1, 7, "last");
    evlist_fini(&got);
}
END_TEST

START_TEST(start_offset_is_added_to_event_offsets)
{
    static const char data[] = "skip me\nline\nnext\n";
    struct tmpfile f;
    tmpfile_init(&f, data, sizeof(data) - 1);
    int fd = tmpfile_open(&f);
    ck_assert_int_eq(lseek(fd, 8, SEEK_SET), 8);
    struct hv v;
    hv_init(&v, fd, 8, 7, 64);
    struct evlist got = {0};
    hv_harvest(&v, data, sizeof(data) - 1, false, &got);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 0, 8, "line");
    ASSERT_EVENT(&got, 1, 13, "next");
    evlist_fini(&got);
    hv_fini(&v);
    close(fd);
    tmpfile_fini(&f);
}
END_TEST

/* A line of exactly max bytes is kept whole at any read size. */
START_TEST(line_of_max_bytes_not_truncated)
{
    size_t rb = read_sizes[_i];
    char data[64 + 1 + 64 + 1 + 5 + 1];
    memset(data, 'a', 64);
    memcpy(data + 64, "\n", 1);
    memset(data + 65, 'b', 64);
    memcpy(data + 129, "\nnext\n", 7);
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, rb, 64, false, &got);
    ck_assert_uint_eq(got.n, 3);
    assert_event(&got, 0, 0, data, 64, 0);
    assert_event(&got, 1, 65, data + 65, 64, 0);
    ASSERT_EVENT(&got, 2, 130, "next");
    evlist_fini(&got);
}
END_TEST

/* max + 1 bytes: the first max are kept and flagged; the next line is right. */
START_TEST(line_of_max_plus_one_truncated_next_line_right)
{
    size_t rb = read_sizes[_i];
    char data[65 + 1 + 5 + 1];
    for (size_t i = 0; i < 65; i++)
        data[i] = (char)('a' + i % 26);
    memcpy(data + 65, "\nnext\n", 7);
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, rb, 64, false, &got);
    ck_assert_msg(got.n >= 1 && got.v[0].flags == EVENT_TRUNCATED &&
                      got.v[0].len == 64,
                  "read_bytes %zu: first event has %zu bytes, flags %u", rb,
                  got.n ? got.v[0].len : 0, got.n ? got.v[0].flags : 0);
    ck_assert_uint_eq(got.n, 2);
    assert_event(&got, 0, 0, data, 64, EVENT_TRUNCATED);
    ASSERT_EVENT(&got, 1, 66, "next");
    evlist_fini(&got);
}
END_TEST

/* A CRLF line whose text is max bytes: its \r is not part of the limit. */
START_TEST(crlf_line_of_max_bytes_not_truncated_at_any_read_size)
{
    size_t rb = (size_t)_i + 1; /* every split of the \r\n, and more */
    char data[16 + 2 + 6 + 1];
    memset(data, 'a', 16);
    memcpy(data + 16, "\r\nnext\r\n", 9);
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, rb, 16, false, &got);
    ck_assert_msg(got.n >= 1 && got.v[0].flags == 0 && got.v[0].len == 16,
                  "read_bytes %zu: first event has %zu bytes, flags %u", rb,
                  got.n ? got.v[0].len : 0, got.n ? got.v[0].flags : 0);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 1, 18, "next");
    evlist_fini(&got);
}
END_TEST

/* A \r that happens to be the last kept byte of a truncated line is text. */
START_TEST(truncated_line_keeps_max_bytes_when_cut_after_a_cr)
{
    static const char data[] = "abcdefg\rXYZXYZ";
    struct evlist got = {0};
    harvest_data(data, sizeof(data) - 1, 4096, 8, true, &got);
    ck_assert_uint_eq(got.n, 1);
    assert_event(&got, 0, 0, "abcdefg\r", 8, EVENT_TRUNCATED);
    evlist_fini(&got);
}
END_TEST

START_TEST(final_line_without_newline_truncated_when_over_long)
{
    static const char data[] = "ok\n0123456789abcdefghij";
    for (size_t k = 0; k < 2; k++) {
        size_t rb = k == 0 ? 7 : 4096;
        struct evlist got = {0};
        harvest_data(data, sizeof(data) - 1, rb, 8, true, &got);
        ck_assert_uint_eq(got.n, 2);
        ASSERT_EVENT(&got, 0, 0, "ok");
        assert_event(&got, 1, 3, "01234567", 8, EVENT_TRUNCATED);
        evlist_fini(&got);
    }
}
END_TEST

/* Writes "before\n", a line of line_len bytes, then "after1\nafter2\n". */
static char *
long_line_data(size_t line_len, size_t *len)
{
    *len = 7 + line_len + 1 + 14;
    char *data = xmalloc(*len + 1);
    memcpy(data, "before\n", 7);
    for (size_t i = 0; i < line_len; i++)
        data[7 + i] = (char)('A' + (i * 7 + i / 4093) % 58); /* no \n, \r */
    memcpy(data + 7 + line_len, "\nafter1\nafter2\n", 16);
    return data;
}

START_TEST(ten_mb_line_truncated_once_then_following_lines_right)
{
    size_t line_len = 10 * MIB, len;
    char *data = long_line_data(line_len, &len);
    struct tmpfile f;
    tmpfile_init(&f, data, len);
    int fd = tmpfile_open(&f);
    struct hv v;
    hv_init(&v, fd, 0, 64 * 1024, MIB);
    struct evlist got = {0};
    hv_harvest(&v, data, len, false, &got);
    ck_assert_uint_gt(v.fills, 100); /* the line spanned many reads */
    ck_assert_uint_eq(got.n, 4);
    ASSERT_EVENT(&got, 0, 0, "before");
    assert_event(&got, 1, 7, data + 7, MIB, EVENT_TRUNCATED);
    ASSERT_EVENT(&got, 2, 7 + line_len + 1, "after1");
    ASSERT_EVENT(&got, 3, 7 + line_len + 8, "after2");
    evlist_fini(&got);
    hv_fini(&v);
    close(fd);
    tmpfile_fini(&f);
    free(data);
}
END_TEST

/* Lines no longer than max, with CRLF, NULs, empty lines and a partial
 * last line: every read size gives the model's events. */
static char *
mixed_lines_data(size_t max, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *data = xmalloc(cap);
    uint32_t x = 2463534242u; /* xorshift32: the same bytes every run */
    for (int line = 0; line < 400; line++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t l = line % 9 == 0 ? 0 : x % (max + 1);
        bool crlf = (x >> 8) % 3 == 0;
        if (crlf && l == max)
            l--; /* keep the \r inside max; see the CRLF tests */
        for (size_t i = 0; i < l; i++)
            data[n++] = (x >> (i % 24)) % 11 == 0 ? '\0' : (char)('a' + i % 26);
        if (crlf)
            data[n++] = '\r';
        data[n++] = '\n';
    }
    memcpy(data + n, "partial", 7);
    *len = n + 7;
    return data;
}

START_TEST(small_and_large_reads_give_same_events)
{
    size_t rb = read_sizes[_i], len;
    char *data = mixed_lines_data(64, &len);
    check_against_model(data, len, rb, 64, false);
    check_against_model(data, len, rb, 64, true);
    free(data);
}
END_TEST

/* Lines around and far over max, LF and CRLF: truncation must not depend
 * on where reads happen to end. */
static char *
long_lines_data(size_t max, size_t *len)
{
    static const size_t lens[] = {1, 15, 16, 17, 18, 31, 32, 33, 47, 100};
    size_t cap = 16 * 1024, n = 0;
    char *data = xmalloc(cap);
    for (int rep = 0; rep < 3; rep++) {
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            size_t l = lens[k] * max / 16;
            for (size_t i = 0; i < l; i++)
                data[n++] = (char)('a' + (i + k) % 26);
            if ((k + (size_t)rep) % 2)
                data[n++] = '\r';
            data[n++] = '\n';
        }
    }
    *len = n;
    return data;
}

START_TEST(over_long_lines_truncated_at_any_read_size)
{
    size_t rb = read_sizes[_i], len;
    char *data = long_lines_data(16, &len);
    check_against_model(data, len, rb, 16, false);
    free(data);
}
END_TEST

START_TEST(every_event_offset_points_at_its_bytes)
{
    size_t len;
    char *data = mixed_lines_data(64, &len);
    for (size_t k = 0; k < NREAD_SIZES; k++) {
        struct evlist got = {0};
        /* hv_harvest checks every offset against data. */
        harvest_data(data, len, read_sizes[k], 64, true, &got);
        ck_assert_uint_gt(got.n, 300);
        evlist_fini(&got);
    }
    free(data);
}
END_TEST

START_TEST(line_offset_after_each_fill_is_past_last_complete_line)
{
    static const char data[] = "a\nbb\n\nccc\r\ndddddddddddddddddddddddd"
                               "ddddddddddddddd\ne\nunfinished";
    size_t len = sizeof(data) - 1;
    for (size_t rb = 1; rb <= 12; rb++) {
        struct tmpfile f;
        tmpfile_init(&f, data, len);
        int fd = tmpfile_open(&f);
        struct hv v;
        hv_init(&v, fd, 0, rb, 16);
        struct evlist got = {0};
        /* hv_harvest checks line_offset after every fill. */
        hv_harvest(&v, data, len, false, &got);
        ck_assert_uint_eq(v.h.line_offset, len - strlen("unfinished"));
        ck_assert_uint_ge(v.fills, len / rb);
        evlist_fini(&got);
        hv_fini(&v);
        close(fd);
        tmpfile_fini(&f);
    }
}
END_TEST

START_TEST(pipe_returns_again_when_no_data_waiting)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    struct hv v;
    hv_init(&v, fds[0], 0, 4096, 64);
    v.h.may_block = true;
    struct evlist got = {0};
    ck_assert_int_eq(write(fds[1], "one\ntw", 6), 6);
    /* Data waiting: it is read, then the fill stops without blocking. */
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_AGAIN);
    ck_assert_uint_eq(got.n, 1);
    ASSERT_EVENT(&got, 0, 0, "one");
    ck_assert_uint_eq(v.h.line_offset, 4);
    /* Nothing waiting (the owner polls first; here O_NONBLOCK shows it). */
    ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_AGAIN);
    ck_assert_uint_eq(got.n, 1);
    ck_assert_uint_eq(v.h.line_offset, 4);
    ck_assert_int_eq(write(fds[1], "o\nthree\nfour", 12), 12);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_AGAIN);
    ck_assert_uint_eq(got.n, 3);
    ASSERT_EVENT(&got, 1, 4, "two");
    ASSERT_EVENT(&got, 2, 8, "three");
    ck_assert_uint_eq(v.h.line_offset, 14);
    close(fds[1]);
    ck_assert_int_eq(hv_fill(&v, true, &got), HARVESTER_EOF);
    ck_assert_uint_eq(got.n, 4);
    ASSERT_EVENT(&got, 3, 14, "four");
    ck_assert_uint_eq(v.h.line_offset, 18);
    evlist_fini(&got);
    hv_fini(&v);
    close(fds[0]);
}
END_TEST

START_TEST(pipe_more_when_a_read_fills_the_chunk)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    struct hv v;
    hv_init(&v, fds[0], 0, 4, 64);
    v.h.may_block = true;
    struct evlist got = {0};
    ck_assert_int_eq(write(fds[1], "one\ntwo\n", 8), 8);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_MORE);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_MORE);
    ck_assert_int_eq(hv_fill(&v, false, &got), HARVESTER_AGAIN);
    ck_assert_uint_eq(got.n, 2);
    ASSERT_EVENT(&got, 0, 0, "one");
    ASSERT_EVENT(&got, 1, 4, "two");
    evlist_fini(&got);
    hv_fini(&v);
    close(fds[1]);
    close(fds[0]);
}
END_TEST

START_TEST(read_error_returned_as_negative_errno)
{
    char *dir = testutil_tempdir();
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    struct hv v;
    hv_init(&v, fd, 0, 4096, 64);
    struct evlist got = {0};
    ck_assert_int_eq(hv_fill(&v, false, &got), -EISDIR);
    hv_fini(&v);
    close(fd);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *
harvester_suite(void)
{
    Suite *s = suite_create("harvester");
    TCase *tc = tcase_create("harvester");
    tcase_add_test(tc, lf_lines_become_events_at_their_offsets);
    tcase_add_test(tc, crlf_lines_drop_only_the_final_cr);
    tcase_add_test(tc, empty_lines_skipped_offsets_still_right);
    tcase_add_test(tc, nul_bytes_inside_lines_kept);
    tcase_add_test(tc, partial_last_line_carried_until_its_newline);
    tcase_add_test(tc, partial_last_line_emitted_when_final);
    tcase_add_test(tc, start_offset_is_added_to_event_offsets);
    tcase_add_loop_test(tc, line_of_max_bytes_not_truncated, 0, NREAD_SIZES);
    tcase_add_loop_test(tc, line_of_max_plus_one_truncated_next_line_right, 0,
                        NREAD_SIZES);
    tcase_add_loop_test(
        tc, crlf_line_of_max_bytes_not_truncated_at_any_read_size, 0, 24);
    tcase_add_test(tc, truncated_line_keeps_max_bytes_when_cut_after_a_cr);
    tcase_add_test(tc, final_line_without_newline_truncated_when_over_long);
    tcase_add_test(tc, ten_mb_line_truncated_once_then_following_lines_right);
    tcase_add_loop_test(tc, small_and_large_reads_give_same_events, 0,
                        NREAD_SIZES);
    tcase_add_loop_test(tc, over_long_lines_truncated_at_any_read_size, 0,
                        NREAD_SIZES);
    tcase_add_test(tc, every_event_offset_points_at_its_bytes);
    tcase_add_test(tc, line_offset_after_each_fill_is_past_last_complete_line);
    tcase_add_test(tc, pipe_returns_again_when_no_data_waiting);
    tcase_add_test(tc, pipe_more_when_a_read_fills_the_chunk);
    tcase_add_test(tc, read_error_returned_as_negative_errno);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(harvester_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
