/*
 * Unit tests for buf.c: appends, printf, reserve, the hard size limit
 * (-E2BIG leaves the content as it was), reset keeping capacity, and
 * truncate. Pure memory, no I/O.
 */
#include "config.h"

#include "buf.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Asserts b holds exactly the len bytes at s, NUL-terminated. */
static void
check_buf_content(const struct buf *b, const char *s, size_t len)
{
    ck_assert_uint_eq(b->len, len);
    ck_assert_ptr_nonnull(b->data);
    if (len)
        ck_assert_mem_eq(b->data, s, len);
    ck_assert_int_eq(b->data[len], '\0');
    ck_assert_uint_gt(b->cap, b->len);
}

START_TEST(init_is_empty)
{
    struct buf b;
    buf_init(&b, 123);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(b.max_len, 123);
    buf_fini(&b);
}
END_TEST

START_TEST(append_concatenates_and_terminates)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
    check_buf_content(&b, "abc", 3);
    ck_assert_int_eq(buf_append(&b, "d\0e", 3), 0);
    check_buf_content(&b, "abcd\0e", 6);
    ck_assert_int_eq(buf_append_str(&b, "fg"), 0);
    check_buf_content(&b, "abcd\0efg", 8);
    buf_fini(&b);
}
END_TEST

START_TEST(append_empty_allocates_terminator)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append(&b, "", 0), 0);
    check_buf_content(&b, "", 0);
    ck_assert_int_eq(buf_append_str(&b, ""), 0);
    check_buf_content(&b, "", 0);
    buf_fini(&b);
}
END_TEST

START_TEST(append_bytewise_grows)
{
    enum { N = 100000 };
    struct buf b;
    char *expect = malloc(N);
    buf_init(&b, 0);
    for (size_t i = 0; i < N; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        ck_assert_int_eq(buf_append(&b, &c, 1), 0);
    }
    check_buf_content(&b, expect, N);
    free(expect);
    buf_fini(&b);
}
END_TEST

START_TEST(append_without_limit_takes_1mib)
{
    size_t n = 1u << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append(&b, big, n), 0);
    ck_assert_int_eq(buf_append(&b, big, n), 0);
    ck_assert_uint_eq(b.len, 2 * n);
    ck_assert_int_eq(b.data[2 * n], '\0');
    free(big);
    buf_fini(&b);
}
END_TEST

START_TEST(printf_formats_and_appends)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "n="), 0);
    ck_assert_int_eq(buf_printf(&b, "%d/%s/%05.1f", 42, "x", 3.5), 0);
    check_buf_content(&b, "n=42/x/003.5", 12);
    ck_assert_int_eq(buf_printf(&b, "%s", ""), 0);
    check_buf_content(&b, "n=42/x/003.5", 12);
    buf_fini(&b);
}
END_TEST

START_TEST(printf_longer_than_first_capacity)
{
    char expect[1001];
    memset(expect, 'q', 1000);
    expect[1000] = '\0';
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "<"), 0);
    ck_assert_int_eq(buf_printf(&b, "%s>", expect), 0);
    ck_assert_uint_eq(b.len, 1002);
    ck_assert_int_eq(b.data[0], '<');
    ck_assert_mem_eq(b.data + 1, expect, 1000);
    ck_assert_str_eq(b.data + 1001, ">");
    buf_fini(&b);
}
END_TEST

START_TEST(reserve_makes_room_for_unchecked_puts)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "ab"), 0);
    ck_assert_int_eq(buf_reserve(&b, 1000), 0);
    ck_assert_uint_gt(b.cap - b.len, 1000); /* + 1 for the NUL */
    char *data = b.data;
    size_t cap = b.cap;
    for (int i = 0; i < 999; i++)
        buf_put_unchecked(&b, 'c');
    buf_put_bytes_unchecked(&b, "d", 1);
    b.data[b.len] = '\0';
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_uint_eq(b.len, 1002);
    ck_assert_int_eq(b.data[1001], 'd');
    /* Room already there: reserve neither moves nor grows. */
    ck_assert_int_eq(buf_reserve(&b, cap - b.len - 1), 0);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    buf_fini(&b);
}
END_TEST

START_TEST(limit_append_fails_and_leaves_content)
{
    struct buf b;
    buf_init(&b, 10);
    ck_assert_int_eq(buf_append(&b, "0123456", 7), 0);
    ck_assert_int_eq(buf_append(&b, "7890", 4), -E2BIG);
    check_buf_content(&b, "0123456", 7);
    ck_assert_int_eq(buf_append_str(&b, "789"), 0); /* exactly max_len */
    check_buf_content(&b, "0123456789", 10);
    ck_assert_int_eq(buf_append(&b, "x", 1), -E2BIG);
    ck_assert_int_eq(buf_append(&b, "", 0), 0);
    check_buf_content(&b, "0123456789", 10);
    ck_assert_uint_le(b.cap, b.max_len + 1);
    buf_fini(&b);
}
END_TEST

START_TEST(limit_printf_fails_and_leaves_content)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_printf(&b, "%d", 1234), 0);
    ck_assert_int_eq(buf_printf(&b, "%d", 56789), -E2BIG);
    check_buf_content(&b, "1234", 4);
    ck_assert_int_eq(buf_printf(&b, "%d", 5678), 0);
    check_buf_content(&b, "12345678", 8);
    buf_fini(&b);
}
END_TEST

START_TEST(limit_reserve_fails_past_max_len)
{
    struct buf b;
    buf_init(&b, 100);
    ck_assert_int_eq(buf_reserve(&b, 100), 0);
    ck_assert_int_eq(buf_reserve(&b, 101), -E2BIG);
    ck_assert_int_eq(buf_reserve(&b, (size_t)-1), -E2BIG);
    ck_assert_int_eq(buf_append_str(&b, "abc"), 0);
    ck_assert_int_eq(buf_reserve(&b, 97), 0);
    ck_assert_int_eq(buf_reserve(&b, 98), -E2BIG);
    check_buf_content(&b, "abc", 3);
    ck_assert_uint_le(b.cap, b.max_len + 1);
    buf_fini(&b);
}
END_TEST

START_TEST(limit_on_empty_buffer_allocates_nothing)
{
    struct buf b;
    buf_init(&b, 4);
    ck_assert_int_eq(buf_append(&b, "hello", 5), -E2BIG);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    buf_fini(&b);
}
END_TEST

START_TEST(reset_keeps_capacity)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append(&b, "some bytes", 10), 0);
    ck_assert_int_eq(buf_reserve(&b, 5000), 0);
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_int_eq(buf_append(&b, "new", 3), 0);
    check_buf_content(&b, "new", 3);
    ck_assert_ptr_eq(b.data, data);
    buf_fini(&b);
}
END_TEST

START_TEST(fini_allows_reuse_with_same_limit)
{
    struct buf b;
    buf_init(&b, 16);
    ck_assert_int_eq(buf_append_str(&b, "x"), 0);
    buf_fini(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(b.max_len, 16);
    ck_assert_int_eq(buf_append_str(&b, "0123456789abcdefg"), -E2BIG);
    ck_assert_int_eq(buf_append_str(&b, "0123456789abcdef"), 0);
    buf_fini(&b);
}
END_TEST

START_TEST(truncate_cuts_and_terminates)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "abcdef"), 0);
    buf_truncate(&b, 6);
    check_buf_content(&b, "abcdef", 6);
    buf_truncate(&b, 3);
    check_buf_content(&b, "abc", 3);
    buf_truncate(&b, 0);
    check_buf_content(&b, "", 0);
    ck_assert_int_eq(buf_append_str(&b, "z"), 0);
    check_buf_content(&b, "z", 1);
    buf_fini(&b);
}
END_TEST

static Suite *
check_buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, init_is_empty);
    tcase_add_test(tc, append_concatenates_and_terminates);
    tcase_add_test(tc, append_empty_allocates_terminator);
    tcase_add_test(tc, append_bytewise_grows);
    tcase_add_test(tc, append_without_limit_takes_1mib);
    tcase_add_test(tc, printf_formats_and_appends);
    tcase_add_test(tc, printf_longer_than_first_capacity);
    tcase_add_test(tc, reserve_makes_room_for_unchecked_puts);
    tcase_add_test(tc, reset_keeps_capacity);
    tcase_add_test(tc, fini_allows_reuse_with_same_limit);
    tcase_add_test(tc, truncate_cuts_and_terminates);
    suite_add_tcase(s, tc);

    tc = tcase_create("limit");
    tcase_add_test(tc, limit_append_fails_and_leaves_content);
    tcase_add_test(tc, limit_printf_fails_and_leaves_content);
    tcase_add_test(tc, limit_reserve_fails_past_max_len);
    tcase_add_test(tc, limit_on_empty_buffer_allocates_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_buf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
