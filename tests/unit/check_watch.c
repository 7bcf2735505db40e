/*
 * inotify reports on real temp dirs: create, append, rename within, into
 * and out of a watched directory, delete, a watched directory deleted or
 * moved, subdirectories, reconciliation by watch_set_dirs, one directory
 * under two paths, queue overflow, and polling mode. inotify queues an
 * event during the system call that causes it, so a test waits with
 * poll() (200 ms per round) only to read what is already queued; "nothing
 * else was reported" is checked after a barrier: a file created in a
 * watched directory, whose report comes after every earlier event.
 */
#include "config.h"

#include "testutil.h"
#include "watch.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rounds of poll() before giving up on an expected report. */
#define WAIT_ROUNDS  25
#define WAIT_POLL_MS 200

struct report {
    enum watch_kind kind;
    char *path; /* owned */
};

struct reports {
    struct report *v; /* owned */
    size_t count;
    size_t cap;
};

static void
reports_cb(void *arg, enum watch_kind kind, const char *path)
{
    struct reports *r = arg;
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->count++] = (struct report){kind, xstrdup(path)};
}

static void
reports_clear(struct reports *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->v[i].path);
    r->count = 0;
}

static void
reports_fini(struct reports *r)
{
    reports_clear(r);
    free(r->v);
}

/* Returns the index of the first report (kind, path), or r->count. */
static size_t
reports_find(const struct reports *r, enum watch_kind kind, const char *path)
{
    size_t i = 0;
    while (i < r->count &&
           !(r->v[i].kind == kind && strcmp(r->v[i].path, path) == 0))
        i++;
    return i;
}

static size_t
reports_count(const struct reports *r, enum watch_kind kind, const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        n += r->v[i].kind == kind && strcmp(r->v[i].path, path) == 0;
    return n;
}

/* Counts the reports whose path starts with prefix. */
static size_t
reports_under(const struct reports *r, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        n += strncmp(r->v[i].path, prefix, strlen(prefix)) == 0;
    return n;
}

/* Reads reports into r until (kind, path) is among them. */
static bool
wait_for(struct watch *w, struct reports *r, enum watch_kind kind,
         const char *path)
{
    for (int round = 0; round < WAIT_ROUNDS; round++) {
        if (reports_find(r, kind, path) < r->count)
            return true;
        struct pollfd pfd = {.fd = watch_fd(w), .events = POLLIN};
        ck_assert_int_ge(poll(&pfd, 1, WAIT_POLL_MS), 0);
        ck_assert_int_ge(watch_read(w, reports_cb, r), 0);
    }
    return reports_find(r, kind, path) < r->count;
}

/* Asserts that (kind, dir/name) gets reported. */
static void
expect(struct watch *w, struct reports *r, enum watch_kind kind,
       const char *dir, const char *name)
{
    char *path = name ? testutil_path(dir, name) : xstrdup(dir);
    ck_assert_msg(wait_for(w, r, kind, path), "no report %d for %s", kind,
                  path);
    free(path);
}

/* Creates a new file in the watched dir and waits for its report. */
static void
barrier(struct watch *w, struct reports *r, const char *dir)
{
    static int seq;
    char *path = xasprintf("%s/barrier-%d", dir, seq++);
    testutil_write_file(path, "", 0);
    ck_assert_msg(wait_for(w, r, WATCH_APPEARED, path), "no barrier");
    free(path);
}

static struct watch *
watch_new(void)
{
    struct errbuf err = {{0}};
    struct watch *w = watch_create(true, &err);
    ck_assert_msg(w != NULL, "watch_create: %s", err.msg);
    ck_assert_int_ge(watch_fd(w), 0);
    return w;
}

/* Makes dir/name; returns the path (the caller frees it). */
static char *
make_dir(const char *dir, const char *name)
{
    char *path = testutil_path(dir, name);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    return path;
}

static void
write_in(const char *dir, const char *name, const char *data)
{
    char *path = testutil_path(dir, name);
    testutil_write_file(path, data, strlen(data));
    free(path);
}

static void
rename_in(const char *from_dir, const char *from, const char *to_dir,
          const char *to)
{
    char *a = testutil_path(from_dir, from);
    char *b = testutil_path(to_dir, to);
    ck_assert_int_eq(rename(a, b), 0);
    free(a);
    free(b);
}

START_TEST(create_reported_as_appeared)
{
    char *dir = testutil_tempdir();
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    write_in(dir, "a.log", "x\n");
    expect(w, &r, WATCH_APPEARED, dir, "a.log");
    reports_fini(&r);
    watch_destroy(w);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(append_reported_as_one_changed)
{
    char *dir = testutil_tempdir();
    char *file = testutil_path(dir, "a.log");
    testutil_write_file(file, "x\n", 2);
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    testutil_append_file(file, "y\n", 2); /* IN_MODIFY, IN_CLOSE_WRITE */
    expect(w, &r, WATCH_CHANGED, dir, "a.log");
    barrier(w, &r, dir);
    ck_assert_uint_eq(reports_count(&r, WATCH_CHANGED, file), 1);
    ck_assert_uint_eq(reports_under(&r, file), 1);
    ck_assert_int_eq(chmod(file, 0600), 0); /* IN_ATTRIB */
    expect(w, &r, WATCH_CHANGED, dir, "a.log");
    reports_fini(&r);
    watch_destroy(w);
    free(file);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(rename_within_dir_reported_as_gone_then_appeared)
{
    char *dir = testutil_tempdir();
    write_in(dir, "a.log", "x\n");
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    rename_in(dir, "a.log", dir, "a.log.1");
    expect(w, &r, WATCH_APPEARED, dir, "a.log.1");
    char *old = testutil_path(dir, "a.log");
    char *new = testutil_path(dir, "a.log.1");
    size_t gone = reports_find(&r, WATCH_GONE, old);
    ck_assert_uint_lt(gone, r.count);
    ck_assert_uint_lt(gone, reports_find(&r, WATCH_APPEARED, new));
    free(old);
    free(new);
    reports_fini(&r);
    watch_destroy(w);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(rename_into_and_out_of_a_watched_dir)
{
    char *dir = testutil_tempdir();
    char *in = make_dir(dir, "in");
    char *out = make_dir(dir, "out");
    write_in(out, "a.log", "x\n");
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, in), 0);
    rename_in(out, "a.log", in, "b.log");
    expect(w, &r, WATCH_APPEARED, in, "b.log");
    rename_in(in, "b.log", out, "c.log");
    expect(w, &r, WATCH_GONE, in, "b.log");
    barrier(w, &r, in);
    ck_assert_uint_eq(reports_under(&r, out), 0);
    reports_fini(&r);
    watch_destroy(w);
    free(in);
    free(out);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(delete_reported_as_gone)
{
    char *dir = testutil_tempdir();
    char *file = testutil_path(dir, "a.log");
    testutil_write_file(file, "x\n", 2);
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    ck_assert_int_eq(unlink(file), 0);
    expect(w, &r, WATCH_GONE, dir, "a.log");
    reports_fini(&r);
    watch_destroy(w);
    free(file);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(deleted_watched_dir_asks_for_rescan_and_is_dropped)
{
    char *dir = testutil_tempdir();
    char *sub = make_dir(dir, "sub");
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, sub), 0);
    ck_assert_uint_eq(watch_count(w), 1);
    ck_assert_int_eq(rmdir(sub), 0);
    expect(w, &r, WATCH_RESCAN, sub, NULL);
    ck_assert_uint_eq(reports_count(&r, WATCH_RESCAN, sub), 1);
    ck_assert_uint_eq(watch_count(w), 0);
    /* Recreated: watched again by the next reconciliation. */
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    const char *dirs[] = {sub};
    watch_set_dirs(w, dirs, 1);
    ck_assert_uint_eq(watch_count(w), 1);
    write_in(sub, "a.log", "x\n");
    expect(w, &r, WATCH_APPEARED, sub, "a.log");
    reports_fini(&r);
    watch_destroy(w);
    free(sub);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(moved_watched_dir_asks_for_rescan_and_is_dropped)
{
    char *dir = testutil_tempdir();
    char *sub = make_dir(dir, "sub");
    char *other = make_dir(dir, "other");
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, sub), 0);
    ck_assert_int_eq(watch_dir(w, other), 0);
    rename_in(dir, "sub", dir, "moved");
    expect(w, &r, WATCH_RESCAN, sub, NULL);
    ck_assert_uint_eq(watch_count(w), 1);
    /* Files in the moved directory are not reported under a stale path. */
    char *moved = testutil_path(dir, "moved");
    write_in(moved, "a.log", "x\n");
    barrier(w, &r, other);
    ck_assert_uint_eq(reports_under(&r, sub), 1);
    ck_assert_uint_eq(reports_under(&r, moved), 0);
    reports_fini(&r);
    watch_destroy(w);
    free(moved);
    free(sub);
    free(other);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(subdirectory_changes_ask_for_rescan)
{
    char *dir = testutil_tempdir();
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    char *sub = make_dir(dir, "new");
    expect(w, &r, WATCH_RESCAN, sub, NULL);
    ck_assert_int_eq(rmdir(sub), 0);
    reports_clear(&r);
    expect(w, &r, WATCH_RESCAN, sub, NULL);
    barrier(w, &r, dir);
    ck_assert_uint_eq(reports_under(&r, sub), 1);
    reports_fini(&r);
    watch_destroy(w);
    free(sub);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(set_dirs_reconciles_to_exactly_the_set)
{
    char *dir = testutil_tempdir();
    char *a = make_dir(dir, "a");
    char *b = make_dir(dir, "b");
    char *c = make_dir(dir, "c");
    char *missing = testutil_path(dir, "missing");
    struct watch *w = watch_new();
    struct reports r = {0};
    const char *first[] = {a, b};
    watch_set_dirs(w, first, 2);
    ck_assert_uint_eq(watch_count(w), 2);
    const char *second[] = {c, b, c, missing};
    watch_set_dirs(w, second, 4);
    ck_assert_uint_eq(watch_count(w), 2);
    ck_assert(!watch_polling_needed(w));
    write_in(a, "a.log", "x\n");
    write_in(b, "b.log", "x\n");
    write_in(c, "c.log", "x\n");
    expect(w, &r, WATCH_APPEARED, b, "b.log");
    expect(w, &r, WATCH_APPEARED, c, "c.log");
    barrier(w, &r, c);
    ck_assert_uint_eq(reports_under(&r, a), 0);
    /* The missing directory is picked up once it exists. */
    ck_assert_int_eq(mkdir(missing, 0755), 0);
    watch_set_dirs(w, second, 4);
    ck_assert_uint_eq(watch_count(w), 3);
    write_in(missing, "m.log", "x\n");
    expect(w, &r, WATCH_APPEARED, missing, "m.log");
    watch_set_dirs(w, NULL, 0);
    ck_assert_uint_eq(watch_count(w), 0);
    reports_fini(&r);
    watch_destroy(w);
    free(a);
    free(b);
    free(c);
    free(missing);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(watch_dir_results)
{
    char *dir = testutil_tempdir();
    char *missing = testutil_path(dir, "missing");
    char *file = testutil_path(dir, "file");
    testutil_write_file(file, "", 0);
    struct watch *w = watch_new();
    ck_assert_int_eq(watch_dir(w, dir), 0);
    ck_assert_int_eq(watch_dir(w, dir), 0);
    ck_assert_uint_eq(watch_count(w), 1);
    ck_assert_int_eq(watch_dir(w, missing), -ENOENT);
    ck_assert_int_eq(watch_dir(w, file), -ENOTDIR);
    ck_assert_uint_eq(watch_count(w), 1);
    ck_assert_int_eq(watch_unwatch_dir(w, dir), 0);
    ck_assert_int_eq(watch_unwatch_dir(w, dir), -ENOENT);
    ck_assert_uint_eq(watch_count(w), 0);
    watch_destroy(w);
    free(missing);
    free(file);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(unwatched_dir_reports_nothing)
{
    char *dir = testutil_tempdir();
    char *a = make_dir(dir, "a");
    char *b = make_dir(dir, "b");
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, a), 0);
    ck_assert_int_eq(watch_dir(w, b), 0);
    write_in(a, "early.log", "x\n"); /* queued before the unwatch */
    ck_assert_int_eq(watch_unwatch_dir(w, a), 0);
    write_in(a, "late.log", "x\n");
    barrier(w, &r, b);
    ck_assert_uint_eq(reports_under(&r, b), r.count);
    reports_fini(&r);
    watch_destroy(w);
    free(a);
    free(b);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(same_dir_under_two_paths_reported_under_both)
{
    char *dir = testutil_tempdir();
    char *real = make_dir(dir, "real");
    char *link = testutil_path(dir, "link");
    ck_assert_int_eq(symlink("real", link), 0);
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, real), 0);
    ck_assert_int_eq(watch_dir(w, link), 0);
    ck_assert_uint_eq(watch_count(w), 2);
    write_in(real, "a.log", "x\n");
    expect(w, &r, WATCH_APPEARED, real, "a.log");
    expect(w, &r, WATCH_APPEARED, link, "a.log");
    /* Unwatching one path keeps the shared kernel watch for the other. */
    ck_assert_int_eq(watch_unwatch_dir(w, link), 0);
    write_in(real, "b.log", "x\n");
    expect(w, &r, WATCH_APPEARED, real, "b.log");
    char *via_link = testutil_path(link, "b.log");
    ck_assert_uint_eq(reports_under(&r, via_link), 0);
    free(via_link);
    reports_fini(&r);
    watch_destroy(w);
    free(real);
    free(link);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

/* Returns fs.inotify.max_queued_events (16384 if it cannot be read). */
static long
max_queued_events(void)
{
    long n = 16384;
    FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "re");
    if (f != NULL) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 16384;
        fclose(f);
    }
    return n;
}

START_TEST(queue_overflow_asks_for_rescan)
{
    char *dir = testutil_tempdir();
    char *p1 = testutil_path(dir, "1.log");
    char *p2 = testutil_path(dir, "2.log");
    int fd1 = open(p1, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    int fd2 = open(p2, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert(fd1 >= 0 && fd2 >= 0);
    struct watch *w = watch_new();
    struct reports r = {0};
    ck_assert_int_eq(watch_dir(w, dir), 0);
    /* Alternate files: the kernel merges only identical neighbours. */
    long writes = max_queued_events() / 2 + 10;
    for (long i = 0; i < writes; i++) {
        ck_assert_int_eq(write(fd1, "x", 1), 1);
        ck_assert_int_eq(write(fd2, "x", 1), 1);
    }
    ck_assert(wait_for(w, &r, WATCH_RESCAN, ""));
    close(fd1);
    close(fd2);
    reports_fini(&r);
    watch_destroy(w);
    free(p1);
    free(p2);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(polling_mode_has_no_fd_and_reports_nothing)
{
    char *dir = testutil_tempdir();
    struct errbuf err = {{0}};
    struct watch *w = watch_create(false, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(watch_fd(w), -1);
    ck_assert(watch_polling_needed(w));
    ck_assert_int_eq(watch_dir(w, dir), 0);
    const char *dirs[] = {dir};
    watch_set_dirs(w, dirs, 1);
    ck_assert_uint_eq(watch_count(w), 0);
    write_in(dir, "a.log", "x\n");
    struct reports r = {0};
    ck_assert_int_eq(watch_read(w, reports_cb, &r), 0);
    ck_assert_uint_eq(r.count, 0);
    watch_destroy(w);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(inotify_mode_needs_no_polling)
{
    char *dir = testutil_tempdir();
    struct watch *w = watch_new();
    ck_assert(!watch_polling_needed(w));
    ck_assert_int_eq(watch_dir(w, dir), 0);
    ck_assert(!watch_polling_needed(w));
    struct reports r = {0};
    ck_assert_int_eq(watch_read(w, reports_cb, &r), 0); /* nothing queued */
    watch_destroy(w);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *
watch_suite(void)
{
    Suite *s = suite_create("watch");
    TCase *tc = tcase_create("watch");
    tcase_add_test(tc, create_reported_as_appeared);
    tcase_add_test(tc, append_reported_as_one_changed);
    tcase_add_test(tc, rename_within_dir_reported_as_gone_then_appeared);
    tcase_add_test(tc, rename_into_and_out_of_a_watched_dir);
    tcase_add_test(tc, delete_reported_as_gone);
    tcase_add_test(tc, deleted_watched_dir_asks_for_rescan_and_is_dropped);
    tcase_add_test(tc, moved_watched_dir_asks_for_rescan_and_is_dropped);
    tcase_add_test(tc, subdirectory_changes_ask_for_rescan);
    tcase_add_test(tc, set_dirs_reconciles_to_exactly_the_set);
    tcase_add_test(tc, watch_dir_results);
    tcase_add_test(tc, unwatched_dir_reports_nothing);
    tcase_add_test(tc, same_dir_under_two_paths_reported_under_both);
    tcase_add_test(tc, queue_overflow_asks_for_rescan);
    tcase_add_test(tc, polling_mode_has_no_fd_and_reports_nothing);
    tcase_add_test(tc, inotify_mode_needs_no_polling);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(watch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
