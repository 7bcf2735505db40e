/*
 * Unit tests for gzip.c: round trips of empty, small, random and NDJSON
 * inputs at levels 0, 1, 6 and 9; the gzip header and trailer (CRC-32 and
 * size) checked byte by byte; one encoder reused across batches;
 * concatenated members; corrupt, truncated and trailing-garbage input
 * rejected; the output buffer's limit. Pure memory, no I/O.
 */
#include "config.h"

#include "gzip.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BIG_LEN (10 * 1024 * 1024)

static const int levels[] = {0, 1, 2, 6, 9}; /* 1-2: ISA-L if built in */

/* Deterministic pseudo-random bytes (xorshift64*). */
static void
fill_random(char *p, size_t len, uint64_t seed)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = (char)((x * UINT64_C(2685821657736338717)) >> 56);
    }
}

/* NDJSON shaped like our bulk bodies: an action line and a document. */
static char *
make_ndjson(size_t len)
{
    static const char *const paths[] = {"/", "/index.html", "/api/v1/items",
                                        "/static/app.js", "/login"};
    static const int codes[] = {200, 200, 200, 304, 404, 500};
    char *p = malloc(len + 1);
    size_t n = 0;
    for (unsigned i = 0; n < len; i++) {
        char line[512];
        int w = snprintf(
            line, sizeof(line),
            "{\"create\":{\"_index\":\"logs-2024.05.01\",\"_id\":\"id%08u\"}}\n"
            "{\"@timestamp\":\"2024-05-01T10:%02u:%02u.%03uZ\",\"host\":{"
            "\"name\":\"web-1\"},\"http\":{\"response\":{\"status_code\":%d}},"
            "\"log\":{\"offset\":%u},\"message\":\"10.0.%u.%u - - GET %s "
            "HTTP/1.1 %d %u\"}\n",
            i, i / 60 % 60, i % 60, i % 1000, codes[i % 6], i * 211, i % 256,
            i * 7 % 256, paths[i % 5], codes[i % 6], i * 37 % 9000);
        size_t take = (size_t)w < len - n ? (size_t)w : len - n;
        memcpy(p + n, line, take);
        n += take;
    }
    p[len] = '\0';
    return p;
}

/* Compresses in at level, checks the framing, decompresses, compares. */
static void
round_trip(int level, const char *in, size_t len)
{
    struct gzip_enc g;
    struct buf z, back;
    ck_assert_int_eq(gzip_enc_init(&g, level), 0);
    buf_init(&z, 0);
    buf_init(&back, 0);
    ck_assert_int_eq(gzip_compress(&g, in, len, &z), 0);

    const unsigned char *u = (const unsigned char *)z.data;
    ck_assert_uint_ge(z.len, 18);
    ck_assert_uint_eq(u[0], 0x1f);
    ck_assert_uint_eq(u[1], 0x8b);
    ck_assert_uint_eq(u[2], 8); /* deflate */
    const unsigned char *t = u + z.len - 8;
    uint32_t crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                   (uint32_t)t[3] << 24;
    uint32_t isize = (uint32_t)t[4] | (uint32_t)t[5] << 8 |
                     (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    ck_assert_uint_eq(crc, crc32(0, (const Bytef *)in, (uInt)len));
    ck_assert_uint_eq(isize, (uint32_t)len);

    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), 0);
    ck_assert_uint_eq(back.len, len);
    if (len)
        ck_assert(memcmp(back.data, in, len) == 0);
    buf_fini(&back);
    buf_fini(&z);
    gzip_enc_fini(&g);
}

START_TEST(round_trip_empty)
{
    round_trip(levels[_i], "", 0);
}
END_TEST

START_TEST(round_trip_small)
{
    round_trip(levels[_i], "a", 1);
    round_trip(levels[_i], "hello, world\n", 13);
}
END_TEST

START_TEST(round_trip_random_10mib)
{
    char *in = malloc(BIG_LEN);
    fill_random(in, BIG_LEN, 42);
    round_trip(levels[_i], in, BIG_LEN);
    free(in);
}
END_TEST

START_TEST(round_trip_ndjson_10mib_compresses)
{
    char *in = make_ndjson(BIG_LEN);
    round_trip(levels[_i], in, BIG_LEN);
    if (levels[_i] > 0) { /* stored blocks (level 0) only add framing */
        struct gzip_enc g;
        struct buf z;
        ck_assert_int_eq(gzip_enc_init(&g, levels[_i]), 0);
        buf_init(&z, 0);
        ck_assert_int_eq(gzip_compress(&g, in, BIG_LEN, &z), 0);
        ck_assert_uint_lt(z.len, BIG_LEN / 4);
        buf_fini(&z);
        gzip_enc_fini(&g);
    }
    free(in);
}
END_TEST

START_TEST(level_zero_stores)
{
    struct gzip_enc g;
    struct buf z;
    char *in = make_ndjson(100000);
    ck_assert_int_eq(gzip_enc_init(&g, 0), 0);
    buf_init(&z, 0);
    ck_assert_int_eq(gzip_compress(&g, in, 100000, &z), 0);
    ck_assert_uint_gt(z.len, 100000);
    buf_fini(&z);
    gzip_enc_fini(&g);
    free(in);
}
END_TEST

/* Levels 1-2 go to ISA-L exactly when the build has it; others never. */
START_TEST(engine_follows_level)
{
    struct gzip_enc g;
    for (int level = 0; level <= 9; level++) {
        ck_assert_int_eq(gzip_enc_init(&g, level), 0);
#ifdef HAVE_ISAL
        const char *want = level == 1 || level == 2 ? "isa-l" : "libdeflate";
#else
        const char *want = "libdeflate";
#endif
        ck_assert_str_eq(gzip_enc_engine(&g), want);
        gzip_enc_fini(&g);
    }
}
END_TEST

/*
 * Incompressible input at the fast levels: the output still fits the
 * worst-case room (stored blocks) and decodes, from ISA-L or its fallback.
 */
START_TEST(fast_levels_take_incompressible_input)
{
    static const size_t sizes[] = {1, 100, 65535, 65536, 65537, 1000003};
    char *in = malloc(1000003);
    fill_random(in, 1000003, 9);
    for (int level = 1; level <= 2; level++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            round_trip(level, in, sizes[i]);
    free(in);
}
END_TEST

START_TEST(bad_level_is_rejected)
{
    struct gzip_enc g;
    ck_assert_int_eq(gzip_enc_init(&g, -1), -EINVAL);
    gzip_enc_fini(&g);
    ck_assert_int_eq(gzip_enc_init(&g, 10), -EINVAL);
    gzip_enc_fini(&g);
}
END_TEST

/* One encoder, many batches: each output is a complete, separate member. */
START_TEST(encoder_is_reused_across_batches)
{
    struct gzip_enc g;
    struct buf z, back;
    char *a = make_ndjson(300000);
    char *b = malloc(5000);
    fill_random(b, 5000, 7);
    ck_assert_int_eq(gzip_enc_init(&g, GZIP_LEVEL_DEFAULT), 0);
    buf_init(&z, 0);
    buf_init(&back, 0);
    for (int round = 0; round < 3; round++) {
        const char *in = round == 1 ? b : a;
        size_t len = round == 1 ? 5000 : 300000;
        buf_reset(&z);
        buf_reset(&back);
        ck_assert_int_eq(gzip_compress(&g, in, len, &z), 0);
        ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), 0);
        ck_assert_uint_eq(back.len, len);
        ck_assert(memcmp(back.data, in, len) == 0);
    }
    buf_fini(&back);
    buf_fini(&z);
    gzip_enc_fini(&g);
    free(b);
    free(a);
}
END_TEST

START_TEST(compress_appends_to_out)
{
    struct gzip_enc g;
    struct buf z, back;
    ck_assert_int_eq(gzip_enc_init(&g, 6), 0);
    buf_init(&z, 0);
    buf_init(&back, 0);
    ck_assert_int_eq(buf_append_str(&z, "prefix"), 0);
    ck_assert_int_eq(gzip_compress(&g, "payload", 7, &z), 0);
    ck_assert(memcmp(z.data, "prefix\x1f\x8b", 8) == 0);
    ck_assert_int_eq(gzip_decompress(z.data + 6, z.len - 6, &back), 0);
    ck_assert_str_eq(back.data, "payload");
    buf_fini(&back);
    buf_fini(&z);
    gzip_enc_fini(&g);
}
END_TEST

START_TEST(concatenated_members_decompress_fully)
{
    struct gzip_enc g;
    struct buf z, back;
    ck_assert_int_eq(gzip_enc_init(&g, 1), 0);
    buf_init(&z, 0);
    buf_init(&back, 0);
    ck_assert_int_eq(gzip_compress(&g, "first\n", 6, &z), 0);
    ck_assert_int_eq(gzip_compress(&g, "", 0, &z), 0);
    char *big = make_ndjson(200000);
    ck_assert_int_eq(gzip_compress(&g, big, 200000, &z), 0);
    ck_assert_int_eq(gzip_compress(&g, "last\n", 5, &z), 0);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), 0);
    ck_assert_uint_eq(back.len, 6 + 200000 + 5);
    ck_assert(memcmp(back.data, "first\n", 6) == 0);
    ck_assert(memcmp(back.data + 6, big, 200000) == 0);
    ck_assert(memcmp(back.data + 200006, "last\n", 5) == 0);
    free(big);
    buf_fini(&back);
    buf_fini(&z);
    gzip_enc_fini(&g);
}
END_TEST

/* Compresses s into z (reset first) with a fresh level-6 encoder. */
static void
compress_str(struct buf *z, const char *s)
{
    struct gzip_enc g;
    ck_assert_int_eq(gzip_enc_init(&g, 6), 0);
    buf_reset(z);
    ck_assert_int_eq(gzip_compress(&g, s, strlen(s), z), 0);
    gzip_enc_fini(&g);
}

START_TEST(corrupt_streams_are_rejected)
{
    static const char text[] = "some text that is long enough, long enough\n";
    struct buf z, back;
    buf_init(&z, 0);
    buf_init(&back, 0);

    /* A flipped byte in the deflate data or the CRC. */
    compress_str(&z, text);
    z.data[12] ^= 0x55;
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -EPROTO);
    compress_str(&z, text);
    z.data[z.len - 6] ^= 1;
    buf_reset(&back);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -EPROTO);
    /* A wrong size in the trailer. */
    compress_str(&z, text);
    z.data[z.len - 4] ^= 1;
    buf_reset(&back);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -EPROTO);
    /* Not gzip at all, and empty input. */
    buf_reset(&back);
    ck_assert_int_eq(gzip_decompress(text, sizeof(text) - 1, &back), -EPROTO);
    ck_assert_int_eq(gzip_decompress("", 0, &back), -EPROTO);
    ck_assert_int_eq(gzip_decompress("\x1f", 1, &back), -EPROTO);
    ck_assert_int_eq(gzip_decompress("\x1f\x8b", 2, &back), -EPROTO);
    buf_fini(&back);
    buf_fini(&z);
}
END_TEST

START_TEST(truncated_streams_are_rejected)
{
    struct buf z, back;
    buf_init(&z, 0);
    buf_init(&back, 0);
    compress_str(&z, "a line of text\nanother line of text\n");
    for (size_t cut = 0; cut < z.len; cut++) {
        buf_reset(&back);
        int rc = gzip_decompress(z.data, cut, &back);
        if (rc != -EPROTO)
            ck_abort_msg("cut at %zu of %zu: %d", cut, z.len, rc);
    }
    buf_reset(&back);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), 0);
    buf_fini(&back);
    buf_fini(&z);
}
END_TEST

START_TEST(trailing_garbage_is_rejected)
{
    struct buf z, back;
    buf_init(&z, 0);
    buf_init(&back, 0);
    compress_str(&z, "payload\n");
    ck_assert_int_eq(buf_append(&z, "\0\0\0", 3), 0);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -EPROTO);
    compress_str(&z, "payload\n");
    ck_assert_int_eq(buf_append(&z, "\x1f\x8bxxxxxxxxxxxx", 14), 0);
    buf_reset(&back);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -EPROTO);
    buf_fini(&back);
    buf_fini(&z);
}
END_TEST

START_TEST(compress_respects_buffer_limit)
{
    struct gzip_enc g;
    struct buf z;
    char *in = malloc(100000);
    fill_random(in, 100000, 3);
    ck_assert_int_eq(gzip_enc_init(&g, 1), 0);
    buf_init(&z, 50000);
    ck_assert_int_eq(buf_append_str(&z, "kept"), 0);
    ck_assert_int_eq(gzip_compress(&g, in, 100000, &z), -E2BIG);
    ck_assert_uint_eq(z.len, 4);
    ck_assert_str_eq(z.data, "kept");
    /* The encoder still works after the refusal. */
    ck_assert_int_eq(gzip_compress(&g, in, 1000, &z), 0);
    ck_assert_uint_eq((unsigned char)z.data[4], 0x1f);
    buf_fini(&z);
    gzip_enc_fini(&g);
    free(in);
}
END_TEST

START_TEST(decompress_respects_buffer_limit)
{
    struct buf z, back;
    char *in = make_ndjson(200000);
    buf_init(&z, 0);
    buf_init(&back, 100000);
    compress_str(&z, in);
    ck_assert_int_eq(gzip_decompress(z.data, z.len, &back), -E2BIG);
    ck_assert_uint_le(back.len, 100000);
    buf_fini(&back);
    buf_fini(&z);
    free(in);
}
END_TEST

static Suite *
check_gzip_suite(void)
{
    Suite *s = suite_create("gzip");
    int nlevels = (int)(sizeof(levels) / sizeof(levels[0]));
    TCase *tc = tcase_create("round_trip");
    tcase_set_timeout(tc, 60); /* level 9 on 10 MiB under sanitizers */
    tcase_add_loop_test(tc, round_trip_empty, 0, nlevels);
    tcase_add_loop_test(tc, round_trip_small, 0, nlevels);
    tcase_add_loop_test(tc, round_trip_random_10mib, 0, nlevels);
    tcase_add_loop_test(tc, round_trip_ndjson_10mib_compresses, 0, nlevels);
    tcase_add_test(tc, level_zero_stores);
    tcase_add_test(tc, bad_level_is_rejected);
    tcase_add_test(tc, engine_follows_level);
    tcase_add_test(tc, fast_levels_take_incompressible_input);
    tcase_add_test(tc, encoder_is_reused_across_batches);
    tcase_add_test(tc, compress_appends_to_out);
    suite_add_tcase(s, tc);

    tc = tcase_create("decompress");
    tcase_add_test(tc, concatenated_members_decompress_fully);
    tcase_add_test(tc, corrupt_streams_are_rejected);
    tcase_add_test(tc, truncated_streams_are_rejected);
    tcase_add_test(tc, trailing_garbage_is_rejected);
    tcase_add_test(tc, compress_respects_buffer_limit);
    tcase_add_test(tc, decompress_respects_buffer_limit);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_gzip_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
