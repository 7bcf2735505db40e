/*
 * File identity on real files in a temp dir: the pinned hash, fingerprints
 * of small and large files, identity kept across rename, lost by rewrite
 * and truncation, kept by growth; the .gz case through fileid_of_bytes on
 * zlib-inflated bytes; formatting and field-by-field comparison.
 */
#include "config.h"

#include "fileid.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BIG_FILE_BYTES 5000

static char *dir;

static void
setup(void)
{
    dir = testutil_tempdir();
}

static void
teardown(void)
{
    testutil_rmtree(dir);
    free(dir);
}

/* Fills buf with bytes that differ at every position, from seed. */
static void
fill(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

static int
open_ro(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    return fd;
}

/* Identifies the file at path through a fresh descriptor. */
static struct fileid
id_of_path(const char *path)
{
    struct fileid id;
    int fd = open_ro(path);
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    close(fd);
    return id;
}

START_TEST(hash_output_is_pinned)
{
    /* FNV-1a 64 ("a" -> af63dc4c8601ec8c, "foobar" -> 85944171f73967e8,
     * the published vectors) followed by fmix64. These values are in every
     * saved registry and document id: they must never change. */
    ck_assert_uint_eq(fileid_hash_bytes("", 0), 0xefd01f60ba992926ULL);
    ck_assert_uint_eq(fileid_hash_bytes("a", 1), 0x82a2a958a9bece5bULL);
    ck_assert_uint_eq(fileid_hash_bytes("foobar", 6), 0x2c22194922d1672bULL);
    unsigned char all[1024];
    for (size_t i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)i;
    ck_assert_uint_eq(fileid_hash_bytes(all, sizeof(all)),
                      0xd7108d3b43b5e94aULL);
}
END_TEST

START_TEST(hash_depends_on_every_byte_and_the_length)
{
    unsigned char buf[300];
    fill(buf, sizeof(buf), 1);
    uint64_t h = fileid_hash_bytes(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] ^= 1;
        ck_assert_uint_ne(fileid_hash_bytes(buf, sizeof(buf)), h);
        buf[i] ^= 1;
    }
    ck_assert_uint_ne(fileid_hash_bytes(buf, sizeof(buf) - 1), h);
    unsigned char zeros[2] = {0, 0};
    ck_assert_uint_ne(fileid_hash_bytes(zeros, 1), fileid_hash_bytes(zeros, 2));
}
END_TEST

START_TEST(small_file_fingerprints_all_its_bytes)
{
    char *path = testutil_path(dir, "small.log");
    testutil_write_file(path, "hello\n", 6);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    struct fileid id = id_of_path(path);
    ck_assert_uint_eq(id.dev, (uint64_t)st.st_dev);
    ck_assert_uint_eq(id.ino, (uint64_t)st.st_ino);
    ck_assert_uint_eq(id.fingerprint_len, 6);
    ck_assert_uint_eq(id.fingerprint, fileid_hash_bytes("hello\n", 6));
    ck_assert_uint_eq(id.generation, 0);
    free(path);
}
END_TEST

START_TEST(large_file_fingerprints_its_first_kilobyte)
{
    unsigned char data[BIG_FILE_BYTES];
    fill(data, sizeof(data), 2);
    char *a = testutil_path(dir, "a.log");
    char *b = testutil_path(dir, "b.log");
    testutil_write_file(a, data, sizeof(data));
    data[FILEID_FP_BYTES] ^= 0xff; /* differs only past the fingerprint */
    testutil_write_file(b, data, sizeof(data));
    struct fileid ia = id_of_path(a);
    struct fileid ib = id_of_path(b);
    ck_assert_uint_eq(ia.fingerprint_len, FILEID_FP_BYTES);
    ck_assert_uint_eq(ia.fingerprint, fileid_hash_bytes(data, FILEID_FP_BYTES));
    ck_assert_uint_eq(ia.fingerprint, ib.fingerprint);
    ck_assert_uint_ne(ia.ino, ib.ino);
    ck_assert(!fileid_same_file(&ia, &ib));
    free(a);
    free(b);
}
END_TEST

START_TEST(given_stat_and_fstat_give_the_same_identity)
{
    char *path = testutil_path(dir, "x.log");
    testutil_write_file(path, "some text\n", 10);
    int fd = open_ro(path);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    struct fileid with, without;
    ck_assert_int_eq(fileid_of(fd, &st, &with), 0);
    ck_assert_int_eq(fileid_of(fd, NULL, &without), 0);
    ck_assert(fileid_same_file(&with, &without));
    close(fd);
    free(path);
}
END_TEST

START_TEST(fingerprinting_never_moves_the_file_offset)
{
    unsigned char data[BIG_FILE_BYTES];
    fill(data, sizeof(data), 3);
    char *path = testutil_path(dir, "x.log");
    testutil_write_file(path, data, sizeof(data));
    int fd = open_ro(path);
    char buf[3];
    ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
    struct fileid id;
    bool matches = false;
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(matches);
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 3);
    close(fd);
    free(path);
}
END_TEST

START_TEST(identity_survives_rename)
{
    char *path = testutil_path(dir, "app.log");
    char *rotated = testutil_path(dir, "app.log.1");
    testutil_write_file(path, "line one\nline two\n", 18);
    struct fileid before = id_of_path(path);
    ck_assert_int_eq(rename(path, rotated), 0);
    testutil_write_file(path, "line one\nline two\n", 18); /* same bytes */
    struct fileid after = id_of_path(rotated);
    struct fileid newcomer = id_of_path(path);
    ck_assert(fileid_same_file(&before, &after));
    ck_assert(!fileid_same_file(&before, &newcomer)); /* another inode */
    int fd = open_ro(rotated);
    bool matches = false;
    ck_assert_int_eq(fileid_still_matches(fd, &before, &matches), 0);
    ck_assert(matches);
    close(fd);
    free(path);
    free(rotated);
}
END_TEST

START_TEST(rewritten_first_bytes_no_longer_match)
{
    char *path = testutil_path(dir, "app.log");
    testutil_write_file(path, "2024-01-01 first\n", 17);
    int fd = open_ro(path);
    struct fileid id;
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    /* Same inode, other content: what inode reuse or a rewrite looks like. */
    int wfd = open(path, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(wfd, 0);
    ck_assert_int_eq(pwrite(wfd, "2025", 4, 0), 4);
    close(wfd);
    bool matches = true;
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(!matches);
    struct fileid now;
    ck_assert_int_eq(fileid_of(fd, NULL, &now), 0);
    ck_assert_uint_eq(now.ino, id.ino);
    ck_assert(!fileid_same_file(&id, &now));
    close(fd);
    free(path);
}
END_TEST

START_TEST(truncated_file_no_longer_matches)
{
    unsigned char data[BIG_FILE_BYTES];
    fill(data, sizeof(data), 4);
    char *path = testutil_path(dir, "app.log");
    testutil_write_file(path, data, sizeof(data));
    int fd = open_ro(path);
    struct fileid id;
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    ck_assert_int_eq(truncate(path, FILEID_FP_BYTES), 0);
    bool matches = false;
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(matches); /* the fingerprinted bytes are all still there */
    ck_assert_int_eq(truncate(path, FILEID_FP_BYTES - 1), 0);
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(!matches);
    ck_assert_int_eq(truncate(path, 0), 0);
    matches = true;
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(!matches);
    close(fd);
    free(path);
}
END_TEST

START_TEST(small_file_still_matches_after_growing_past_a_kilobyte)
{
    unsigned char data[BIG_FILE_BYTES];
    fill(data, sizeof(data), 5);
    char *path = testutil_path(dir, "young.log");
    testutil_write_file(path, data, 100);
    struct fileid young = id_of_path(path);
    ck_assert_uint_eq(young.fingerprint_len, 100);
    testutil_append_file(path, data + 100, sizeof(data) - 100);
    int fd = open_ro(path);
    bool matches = false;
    ck_assert_int_eq(fileid_still_matches(fd, &young, &matches), 0);
    ck_assert(matches);
    struct fileid grown;
    ck_assert_int_eq(fileid_of(fd, NULL, &grown), 0);
    ck_assert_uint_eq(grown.fingerprint_len, FILEID_FP_BYTES);
    ck_assert(!fileid_same_file(&young, &grown)); /* so match by content */
    ck_assert(fileid_prefix_matches(&young, data, sizeof(data)));
    close(fd);
    free(path);
}
END_TEST

START_TEST(empty_file_has_an_empty_fingerprint)
{
    char *path = testutil_path(dir, "empty.log");
    testutil_write_file(path, "", 0);
    struct fileid id = id_of_path(path);
    ck_assert_uint_eq(id.fingerprint_len, 0);
    ck_assert_uint_eq(id.fingerprint, fileid_hash_bytes("", 0));
    testutil_append_file(path, "now some text\n", 14);
    int fd = open_ro(path);
    bool matches = false;
    ck_assert_int_eq(fileid_still_matches(fd, &id, &matches), 0);
    ck_assert(matches);
    close(fd);
    free(path);
}
END_TEST

/* Writes data to path as a gzip file with zlib. */
static void
write_gz(const char *path, const void *data, size_t len)
{
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

START_TEST(gz_fingerprint_is_of_the_uncompressed_bytes)
{
    unsigned char data[BIG_FILE_BYTES];
    fill(data, sizeof(data), 6);
    char *gzpath = testutil_path(dir, "old.log.gz");
    char *plain = testutil_path(dir, "old.log");
    write_gz(gzpath, data, sizeof(data));
    testutil_write_file(plain, data, sizeof(data));

    int fd = open_ro(gzpath);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    gzFile gz = gzdopen(dup(fd), "rb");
    ck_assert_ptr_nonnull(gz);
    unsigned char first[FILEID_FP_BYTES + 100];
    int n = gzread(gz, first, sizeof(first));
    ck_assert_int_eq(n, (int)sizeof(first));
    gzclose(gz);

    struct fileid id;
    fileid_of_bytes((uint64_t)st.st_dev, (uint64_t)st.st_ino, first, (size_t)n,
                    &id);
    ck_assert_uint_eq(id.dev, (uint64_t)st.st_dev);
    ck_assert_uint_eq(id.ino, (uint64_t)st.st_ino);
    ck_assert_uint_eq(id.fingerprint_len, FILEID_FP_BYTES); /* capped */
    ck_assert_uint_eq(id.generation, 0);
    struct fileid of_plain = id_of_path(plain);
    ck_assert_uint_eq(id.fingerprint, of_plain.fingerprint);
    struct fileid of_compressed;
    ck_assert_int_eq(fileid_of(fd, &st, &of_compressed), 0);
    ck_assert_uint_ne(id.fingerprint, of_compressed.fingerprint);
    close(fd);
    free(gzpath);
    free(plain);
}
END_TEST

START_TEST(prefix_match_needs_all_fingerprinted_bytes)
{
    struct fileid id;
    fileid_of_bytes(1, 2, "abcdef", 6, &id);
    ck_assert(fileid_prefix_matches(&id, "abcdef", 6));
    ck_assert(fileid_prefix_matches(&id, "abcdefgh", 8));
    ck_assert(!fileid_prefix_matches(&id, "abcde", 5));
    ck_assert(!fileid_prefix_matches(&id, "abcdeX", 6));
}
END_TEST

START_TEST(same_file_compares_every_field)
{
    struct fileid a = {.dev = 1,
                       .ino = 2,
                       .fingerprint = 3,
                       .fingerprint_len = 4,
                       .generation = 5};
    struct fileid b = a;
    ck_assert(fileid_same_file(&a, &b));
    b.dev++;
    ck_assert(!fileid_same_file(&a, &b));
    b = a;
    b.ino++;
    ck_assert(!fileid_same_file(&a, &b));
    b = a;
    b.fingerprint++;
    ck_assert(!fileid_same_file(&a, &b));
    b = a;
    b.fingerprint_len++;
    ck_assert(!fileid_same_file(&a, &b));
    b = a;
    b.generation++;
    ck_assert(!fileid_same_file(&a, &b));
}
END_TEST

START_TEST(format_shows_every_field)
{
    struct fileid id = {.dev = 2049,
                        .ino = 131074,
                        .fingerprint = 0xff,
                        .fingerprint_len = 10,
                        .generation = 3};
    char out[FILEID_FORMAT_LEN];
    fileid_format(&id, out, sizeof(out));
    ck_assert_str_eq(out, "2049:131074:00000000000000ff/10#3");
    struct fileid max = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX,
                         UINT32_MAX};
    fileid_format(&max, out, sizeof(out));
    ck_assert_str_eq(out, "18446744073709551615:18446744073709551615:"
                          "ffffffffffffffff/4294967295#4294967295");
    char small[8];
    fileid_format(&id, small, sizeof(small));
    ck_assert_str_eq(small, "2049:13");
}
END_TEST

START_TEST(read_errors_are_returned)
{
    struct fileid id;
    ck_assert_int_eq(fileid_of(-1, NULL, &id), -EBADF);
    char *path = testutil_path(dir, "w.log");
    testutil_write_file(path, "abc", 3);
    int wfd = open(path, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(wfd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(wfd, &st), 0);
    ck_assert_int_eq(fileid_of(wfd, &st, &id), -EBADF);
    fileid_of_bytes(1, 2, "abc", 3, &id);
    bool matches = true;
    ck_assert_int_eq(fileid_still_matches(wfd, &id, &matches), -EBADF);
    ck_assert(matches); /* untouched */
    close(wfd);
    free(path);
}
END_TEST

static Suite *
fileid_suite(void)
{
    Suite *s = suite_create("fileid");
    TCase *tc = tcase_create("fileid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hash_output_is_pinned);
    tcase_add_test(tc, hash_depends_on_every_byte_and_the_length);
    tcase_add_test(tc, small_file_fingerprints_all_its_bytes);
    tcase_add_test(tc, large_file_fingerprints_its_first_kilobyte);
    tcase_add_test(tc, given_stat_and_fstat_give_the_same_identity);
    tcase_add_test(tc, fingerprinting_never_moves_the_file_offset);
    tcase_add_test(tc, identity_survives_rename);
    tcase_add_test(tc, rewritten_first_bytes_no_longer_match);
    tcase_add_test(tc, truncated_file_no_longer_matches);
    tcase_add_test(tc, small_file_still_matches_after_growing_past_a_kilobyte);
    tcase_add_test(tc, empty_file_has_an_empty_fingerprint);
    tcase_add_test(tc, gz_fingerprint_is_of_the_uncompressed_bytes);
    tcase_add_test(tc, prefix_match_needs_all_fingerprinted_bytes);
    tcase_add_test(tc, same_file_compares_every_field);
    tcase_add_test(tc, format_shows_every_field);
    tcase_add_test(tc, read_errors_are_returned);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(fileid_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
