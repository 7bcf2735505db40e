/*
 * The registry file (registry_file.c) on real files in temp dirs: opening
 * with no file or an unusable directory, the lock that keeps a second open
 * (in this process or another) off a registry in use, round trips (large
 * numbers, non-UTF-8 paths, the pinned v1 format), the atomic save and its
 * backup, and every broken file in tests/data/registry/ falling back to the
 * backup with the expected message. The in-memory table is tested in
 * check_registry.c.
 */
#include "config.h"

#include "fileid.h"
#include "log.h"
#include "registry.h"
#include "regtest.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATADIR   TEST_DATADIR "/registry"
#define NOBODY_ID 65534 /* the unprivileged user of the root case */

static int saved_stderr = -1;

/* Sends stderr (where log lines go) to a file until capture_end(). */
static void
capture_start(void)
{
    char *log = testutil_path(regtest.dir, "stderr.log");
    saved_stderr = dup(STDERR_FILENO);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
    free(log);
}

/* Restores stderr and returns what was written; the caller frees it. */
static char *
capture_end(void)
{
    ck_assert_int_eq(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
    close(saved_stderr);
    char *log = testutil_path(regtest.dir, "stderr.log");
    size_t len;
    char *text = testutil_read_file(log, &len);
    unlink(log);
    free(log);
    return text;
}

static void
assert_contains(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "'%s' not found in:\n%s",
                  needle, text);
}

static size_t
count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The "offset" of entries[index] in the registry file p. */
static uint64_t
file_offset(const char *p, size_t index)
{
    json_t *root = regtest_load_json(p);
    json_t *e = json_array_get(json_object_get(root, "entries"), index);
    ck_assert_ptr_nonnull(e);
    json_t *off = json_object_get(e, "offset");
    ck_assert(json_is_integer(off));
    uint64_t v = (uint64_t)json_integer_value(off);
    json_decref(root);
    return v;
}

static void
copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = testutil_read_file(from, &len);
    testutil_write_file(to, data, len);
    free(data);
}

static bool
exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static void
assert_same_info(const struct registry_info *a, const struct registry_info *b)
{
    ck_assert(fileid_same_file(&a->id, &b->id));
    ck_assert_str_eq(a->path, b->path);
    ck_assert_uint_eq(a->offset, b->offset);
    ck_assert_uint_eq(a->check.hash, b->check.hash);
    ck_assert_uint_eq(a->check.len, b->check.len);
    ck_assert_int_eq(a->updated_s, b->updated_s);
    ck_assert_int_eq(a->gone_since_s, b->gone_since_s);
    ck_assert_int_eq(a->gz, b->gz);
}

/* ---- opening ---- */

START_TEST(missing_file_starts_empty_and_writes_nothing_until_a_change)
{
    capture_start();
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    char *log = capture_end();
    assert_contains(log, "registry.json: not found; starting with no offsets");
    ck_assert_uint_eq(registry_count(reg), 0);
    ck_assert(!registry_dirty(reg));
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert(!exists(regtest.path));
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 3);
    ck_assert(registry_dirty(reg));
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert(!registry_dirty(reg));
    ck_assert(exists(regtest.path));
    ck_assert(!exists(regtest.bak)); /* nothing valid to back up yet */
    ck_assert(!exists(regtest.tmp));
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(unusable_directory_fails_the_open)
{
    struct errbuf err = {{0}};
    char *p = testutil_path(regtest.dir, "no/such/dir/registry.json");
    ck_assert_ptr_null(registry_open(p, REGTEST_NO_PRUNE, &err));
    assert_contains(err.msg, "no/such/dir");
    assert_contains(err.msg, "No such file or directory");
    free(p);
    char *slash = xasprintf("%s/", regtest.dir);
    ck_assert_ptr_null(registry_open(slash, REGTEST_NO_PRUNE, &err));
    assert_contains(err.msg, "names a directory");
    free(slash);
}
END_TEST

/* ---- the lock: one process per registry ---- */

/* The message a registry_open() of path gets while pid holds it. */
static char *
in_use_message(long pid)
{
    return xasprintf("registry %s is in use by another logship process (pid "
                     "%ld); two instances sharing a registry would ship lines "
                     "twice",
                     regtest.path, pid);
}

START_TEST(second_open_fails_naming_our_pid_until_the_first_closes)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 7);
    ck_assert_int_eq(registry_save(reg), 0);
    /* flock belongs to the open file description: a second open in the
     * same process is refused like another process would be. */
    struct errbuf err = {{0}};
    capture_start();
    ck_assert_ptr_null(registry_open(regtest.path, REGTEST_NO_PRUNE, &err));
    char *log = capture_end();
    char *want = in_use_message((long)getpid());
    ck_assert_str_eq(err.msg, want);
    ck_assert_str_eq(log, ""); /* refused before reading anything */
    ck_assert_ptr_null(
        registry_open(regtest.path, REGTEST_NO_PRUNE, &err)); /* still */
    registry_close(reg);
    reg = regtest_open(REGTEST_NO_PRUNE);
    ck_assert_uint_eq(regtest_offset_of(reg, &id), 7);
    registry_close(reg);
    free(want);
    free(log);
}
END_TEST

/* True when this process has an fd open on p with FD_CLOEXEC set; fails
 * the test when it has one without. */
static bool
open_with_cloexec(const char *p)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    bool found = false;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char link[300], target[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, p) != 0)
            continue;
        int flags = fcntl(atoi(de->d_name), F_GETFD);
        ck_assert_msg(flags >= 0 && (flags & FD_CLOEXEC),
                      "%s: fd %s not "
                      "close-on-exec",
                      p, de->d_name);
        found = true;
    }
    closedir(d);
    return found;
}

START_TEST(lock_file_is_0600_close_on_exec_and_holds_the_pid)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct stat st;
    ck_assert_int_eq(stat(regtest.lock, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert(S_ISREG(st.st_mode));
    size_t len;
    char *text = testutil_read_file(regtest.lock, &len);
    char *want = xasprintf("%ld\n", (long)getpid());
    ck_assert_str_eq(text, want);
    free(text);
    ck_assert(open_with_cloexec(regtest.lock));
    registry_close(reg);
    ck_assert(!open_with_cloexec(regtest.lock));
    ck_assert(exists(regtest.lock)); /* never removed: no unlink race */

    /* A pid left by a process that died is no lock: it is replaced. */
    testutil_write_file(regtest.lock, "2147483646 left over\n", 21);
    reg = regtest_open(REGTEST_NO_PRUNE);
    text = testutil_read_file(regtest.lock, &len);
    ck_assert_str_eq(text, want);
    free(text);
    registry_close(reg);
    free(want);
}
END_TEST

/* In a child: opens the registry, reports 'y' or 'n' on ready, then waits
 * for EOF on hold (the parent's end closes when it exits, whatever
 * happens to it) or for SIGKILL. */
static void
lock_child(int ready, int hold)
{
    struct errbuf err;
    struct registry *reg = registry_open(regtest.path, REGTEST_NO_PRUNE, &err);
    char c = reg != NULL ? 'y' : 'n';
    if (write(ready, &c, 1) != 1)
        _exit(2);
    char b;
    while (read(hold, &b, 1) < 0 && errno == EINTR)
        continue;
    _exit(0);
}

START_TEST(lock_held_by_another_process_names_it_and_dies_with_it)
{
    int ready[2], hold[2];
    ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(hold, O_CLOEXEC), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(ready[0]);
        close(hold[1]);
        lock_child(ready[1], hold[0]);
    }
    close(ready[1]);
    close(hold[0]);
    char c = 0;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    ck_assert_int_eq(c, 'y');

    struct errbuf err = {{0}};
    ck_assert_ptr_null(registry_open(regtest.path, REGTEST_NO_PRUNE, &err));
    char *want = in_use_message((long)child);
    ck_assert_str_eq(err.msg, want);
    /* SIGKILL: no registry_close(); the kernel drops the lock. */
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    registry_close(reg);
    close(ready[0]);
    close(hold[1]);
    free(want);
}
END_TEST

/* In a child that cannot write to ro (root drops to nobody first): sends
 * registry_open()'s message for ro/registry.json to out. */
static void
unwritable_child(const char *ro, int out)
{
    if (geteuid() == 0 && (setgid(NOBODY_ID) < 0 || setuid(NOBODY_ID) < 0))
        _exit(2);
    char *p = xasprintf("%s/registry.json", ro);
    struct errbuf err = {{0}};
    struct registry *reg = registry_open(p, REGTEST_NO_PRUNE, &err);
    if (reg != NULL)
        snprintf(err.msg, sizeof(err.msg), "opened");
    size_t n = strlen(err.msg);
    _exit(write(out, err.msg, n) == (ssize_t)n ? 0 : 3);
}

START_TEST(lock_file_that_cannot_be_made_fails_the_open_clearly)
{
    ck_assert_int_eq(mkdir(regtest.lock, 0700), 0); /* openat(O_RDWR) fails */
    struct errbuf err = {{0}};
    ck_assert_ptr_null(registry_open(regtest.path, REGTEST_NO_PRUNE, &err));
    char *want =
        xasprintf("registry lock file '%s': Is a directory", regtest.lock);
    ck_assert_str_eq(err.msg, want);
    free(want);

    char *ro = testutil_path(regtest.dir, "ro");
    ck_assert_int_eq(mkdir(ro, 0555), 0);
    ck_assert_int_eq(chmod(ro, 0555), 0);          /* whatever the umask */
    ck_assert_int_eq(chmod(regtest.dir, 0711), 0); /* nobody may pass through */
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(out[0]);
        unwritable_child(ro, out[1]);
    }
    close(out[1]);
    char msg[sizeof(err.msg) + 1];
    size_t got = 0;
    ssize_t n;
    while ((n = read(out[0], msg + got, sizeof(msg) - 1 - got)) > 0)
        got += (size_t)n;
    msg[got] = '\0';
    close(out[0]);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status %d", status);
    want = xasprintf("registry lock file '%s/registry.json.lock': Permission "
                     "denied (logship needs write access to the registry's "
                     "directory)",
                     ro);
    ck_assert_str_eq(msg, want);
    free(want);
    free(ro);
}
END_TEST

/* ---- round trips ---- */

START_TEST(many_entries_round_trip_exactly)
{
    enum { N = 1000 };
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "first bytes of file %d", i);
        struct fileid id =
            regtest_make_id(100 + (uint64_t)(i % 3), 1000 + (uint64_t)i, text);
        if (i == 4) {
            id.dev = UINT64_MAX;
            id.ino = UINT64_MAX - 1;
        }
        id.generation = (uint32_t)(i % 5);
        char *p = i % 7 == 0 ? xasprintf("/logs/\xff\xfe-%d.log", i)
                             : xasprintf("/logs/app-%d.log", i);
        struct registry_entry *e = registry_add(reg, &id, p, i % 2 == 1);
        uint64_t offset = i == 1   ? (uint64_t)INT64_MAX
                          : i == 2 ? 1ULL << 63
                          : i == 3 ? UINT64_MAX
                                   : (uint64_t)i * 1000 + 7;
        struct registry_check check = {
            .hash = (uint64_t)i * 0x9e3779b97f4a7c15ULL,
            .len = offset < REGISTRY_CHECK_BYTES ? (uint32_t)offset
                                                 : REGISTRY_CHECK_BYTES};
        ck_assert_int_eq(registry_commit(reg, e, id.generation, offset, &check),
                         0);
        if (i % 11 == 0)
            registry_mark_gone(reg, e, 1700000000 + i);
        registry_release(reg, e);
        free(p);
    }
    struct regtest_snap before = regtest_snap_take(reg);
    ck_assert_uint_eq(before.count, N);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    enum log_level saved = log_max_level;
    log_max_level = LL_ERROR; /* loading must not depend on the log level */
    reg = regtest_open(REGTEST_NO_PRUNE);
    log_max_level = saved; /* the next tests read info lines, also unforked */
    ck_assert(!registry_dirty(reg));
    struct regtest_snap after = regtest_snap_take(reg);
    ck_assert_uint_eq(after.count, N);
    for (size_t i = 0; i < N; i++)
        assert_same_info(&before.infos[i], &after.infos[i]);
    ck_assert_str_eq(after.infos[7].path, "/logs/\xff\xfe-7.log");
    ck_assert_uint_eq(after.infos[3].offset, UINT64_MAX);
    regtest_snap_free(&before);
    regtest_snap_free(&after);
    registry_close(reg);
}
END_TEST

START_TEST(v1_file_loads_and_saves_byte_for_byte)
{
    copy_file(DATADIR "/good/v1.json", regtest.path);
    /* Keeps entries gone since 1700000000, drops the one gone since 1. */
    int64_t prune = (int64_t)time(NULL) - 1000;
    struct registry *reg = regtest_open(prune);
    ck_assert_uint_eq(registry_count(reg), 3);
    ck_assert(registry_dirty(reg)); /* the pruned entry */
    struct regtest_snap s = regtest_snap_take(reg);
    ck_assert_str_eq(s.infos[0].path, "/var/log/app.log");
    ck_assert_uint_eq(s.infos[0].id.dev, 0);
    ck_assert_uint_eq(s.infos[0].id.ino, UINT64_MAX);
    ck_assert_uint_eq(s.infos[0].id.fingerprint, UINT64_MAX);
    ck_assert_uint_eq(s.infos[0].id.generation, UINT32_MAX);
    ck_assert_uint_eq(s.infos[0].offset, INT64_MAX);
    ck_assert_uint_eq(s.infos[0].check.hash, 0x0123456789abcdefULL);
    ck_assert_uint_eq(s.infos[0].check.len, 256);
    ck_assert_int_eq(s.infos[0].gone_since_s, 1700000000);
    ck_assert(s.infos[0].gz);
    ck_assert_str_eq(s.infos[1].path, "/var/log/\xff.log");
    ck_assert_uint_eq(s.infos[1].offset, 1ULL << 63);
    ck_assert_str_eq(s.infos[2].path, "/var/log/caf\xc3\xa9 \"quoted\".log");
    regtest_snap_free(&s);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    size_t got_len, want_len;
    char *got = testutil_read_file(regtest.path, &got_len);
    char *want = testutil_read_file(DATADIR "/good/v1.saved.json", &want_len);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
}
END_TEST

START_TEST(unknown_keys_are_ignored)
{
    const char *text =
        "{\"version\": 1, \"written_by\": \"a later logship\", \"entries\": "
        "[{\"path\": \"/a\", \"dev\": 1, \"ino\": 2, \"fingerprint\": "
        "\"0000000000000003\", \"fingerprint_len\": 4, \"generation\": 0, "
        "\"offset\": 9, \"check_hash\": \"0000000000000000\", \"check_len\": "
        "0, \"updated\": 5, \"gone_since\": 0, \"gz\": false, \"note\": "
        "[1]}]}";
    testutil_write_file(regtest.path, text, strlen(text));
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = {1, 2, 3, 4, 0};
    ck_assert_uint_eq(regtest_offset_of(reg, &id), 9);
    registry_close(reg);
}
END_TEST

/* ---- the file protocol ---- */

START_TEST(saved_files_are_mode_0600_even_over_a_stale_tmp)
{
    testutil_write_file(regtest.tmp, "garbage from a crash", 20);
    ck_assert_int_eq(chmod(regtest.tmp, 0644), 0);
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 1);
    ck_assert_int_eq(registry_save(reg), 0);
    regtest_add_at(reg, &id, "/l/a.log", 2);
    ck_assert_int_eq(registry_save(reg), 0);
    struct stat st;
    ck_assert_int_eq(stat(regtest.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(regtest.bak, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert(!exists(regtest.tmp));
    json_t *root = regtest_load_json(regtest.path);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "version")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "entries")), 1);
    json_decref(root);
    registry_close(reg);
}
END_TEST

START_TEST(unchanged_registry_is_not_rewritten)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    struct stat first, second;
    ck_assert_int_eq(stat(regtest.path, &first), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_int_eq(stat(regtest.path, &second), 0);
    ck_assert_uint_eq(first.st_ino, second.st_ino);
    struct registry_entry *e = registry_find(reg, &id);
    ck_assert_int_eq(registry_commit(reg, e, 0, 10, NULL), 0); /* same */
    ck_assert(!registry_dirty(reg));
    ck_assert_int_eq(registry_commit(reg, e, 0, 11, NULL), 0);
    ck_assert(registry_dirty(reg));
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_int_eq(stat(regtest.path, &second), 0);
    ck_assert_uint_ne(first.st_ino, second.st_ino); /* a new file renamed */
    registry_close(reg);
}
END_TEST

START_TEST(backup_is_the_save_before_last)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    regtest_add_at(reg, &id, "/l/a.log", 20);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(regtest.path, 0), 20);
    ck_assert_uint_eq(file_offset(regtest.bak, 0), 10);
    regtest_add_at(reg, &id, "/l/a.log", 30);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(regtest.path, 0), 30);
    ck_assert_uint_eq(file_offset(regtest.bak, 0), 20);
    char *bak_tmp = xasprintf("%s.tmp", regtest.bak);
    ck_assert(!exists(regtest.tmp));
    ck_assert(!exists(bak_tmp));
    free(bak_tmp);
    registry_close(reg);
}
END_TEST

/* Saves offsets 10 then 20 for one entry: path has 20, .bak 10. */
static struct fileid
two_saves(void)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    regtest_add_at(reg, &id, "/l/a.log", 20);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    return id;
}

START_TEST(crash_leftovers_fall_back_to_the_backup)
{
    struct fileid id = two_saves();
    /* What a crash mid-write would leave if the protocol were broken. */
    size_t len;
    char *text = testutil_read_file(regtest.path, &len);
    testutil_write_file(regtest.path, text, len / 2);
    testutil_write_file(regtest.tmp, text, len / 3);
    free(text);
    capture_start();
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    char *log = capture_end();
    ck_assert_uint_eq(regtest_offset_of(reg, &id), 10);
    assert_contains(log, "registry.json: invalid JSON at line");
    assert_contains(log, "trying the backup");
    assert_contains(log, "registry.json.bak: loaded 1 entries");
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(save_after_a_fallback_keeps_the_good_backup)
{
    struct fileid id = two_saves();
    testutil_write_file(regtest.path, "{\"version\": 1, \"entr", 20);
    size_t bak_len;
    char *bak_before = testutil_read_file(regtest.bak, &bak_len);
    capture_start();
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    free(capture_end());
    regtest_add_at(reg, &id, "/l/a.log", 40);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(regtest.path, 0), 40);
    char *bak_after = testutil_read_file(regtest.bak, &bak_len);
    ck_assert_str_eq(bak_before, bak_after); /* the corrupt file not linked */
    free(bak_after);
    regtest_add_at(reg, &id, "/l/a.log", 50);
    ck_assert_int_eq(registry_save(reg), 0); /* now path was ours: backed up */
    ck_assert_uint_eq(file_offset(regtest.bak, 0), 40);
    ck_assert_uint_eq(file_offset(regtest.path, 0), 50);
    free(bak_before);
    registry_close(reg);
}
END_TEST

/* Every tests/data/registry/<case>.json is rejected with the message in
 * <case>.expected, and the backup is loaded instead. */
START_TEST(broken_files_fall_back_to_the_backup_with_a_reason)
{
    struct fileid a = regtest_make_id(1, 2, "abc");
    struct fileid b = regtest_make_id(1, 3, "def");
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    regtest_add_at(reg, &a, "/l/a.log", 111);
    regtest_add_at(reg, &b, "/l/b.log", 222);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    ck_assert_int_eq(rename(regtest.path, regtest.bak), 0);

    DIR *d = opendir(DATADIR);
    ck_assert_ptr_nonnull(d);
    size_t cases = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char *src = xasprintf("%s/%s", DATADIR, de->d_name);
        char *exp_path =
            xasprintf("%s/%.*s.expected", DATADIR, (int)(n - 5), de->d_name);
        size_t len;
        char *expected = testutil_read_file(exp_path, &len);
        while (len > 0 && expected[len - 1] == '\n')
            expected[--len] = '\0';
        copy_file(src, regtest.path);
        capture_start();
        reg = regtest_open(REGTEST_NO_PRUNE);
        char *log = capture_end();
        char *want =
            xasprintf("registry.json: %s; trying the backup", expected);
        ck_assert_msg(strstr(log, want) != NULL, "%s: expected '%s' in:\n%s",
                      de->d_name, want, log);
        ck_assert_msg(registry_count(reg) == 2, "%s: backup not loaded",
                      de->d_name);
        ck_assert_uint_eq(regtest_offset_of(reg, &b), 222);
        registry_close(reg);
        free(want);
        free(log);
        free(expected);
        free(exp_path);
        free(src);
        cases++;
    }
    closedir(d);
    ck_assert_uint_ge(cases, 30);
}
END_TEST

START_TEST(broken_file_without_backup_starts_empty)
{
    copy_file(DATADIR "/truncated.json", regtest.path);
    capture_start();
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    char *log = capture_end();
    ck_assert_uint_eq(registry_count(reg), 0);
    assert_contains(log, "registry.json: invalid JSON");
    assert_contains(log, "registry.json.bak: not found; starting with no "
                         "offsets");
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(broken_file_and_broken_backup_start_empty)
{
    copy_file(DATADIR "/wrong-version.json", regtest.path);
    copy_file(DATADIR "/garbage.json", regtest.bak);
    capture_start();
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    char *log = capture_end();
    ck_assert_uint_eq(registry_count(reg), 0);
    assert_contains(log, "registry.json: version 2 is not supported");
    assert_contains(log, "registry.json.bak: invalid JSON at line 1 column");
    assert_contains(log, "starting with no offsets");
    ck_assert_uint_eq(count_of(log, " error "), 2);
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(failed_save_is_logged_once_and_retried)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(mkdir(regtest.tmp, 0700),
                     0); /* makes creating .tmp fail */
    capture_start();
    ck_assert_int_eq(registry_save(reg), -EISDIR);
    ck_assert_int_eq(registry_save(reg), -EISDIR);
    char *log = capture_end();
    ck_assert_uint_eq(count_of(log, "not saved (creating the .tmp file)"), 1);
    ck_assert(registry_dirty(reg));
    ck_assert(!exists(regtest.path));
    ck_assert_int_eq(rmdir(regtest.tmp), 0);
    capture_start();
    ck_assert_int_eq(registry_save(reg), 0);
    free(log);
    log = capture_end();
    assert_contains(log, "registry.json: saved again");
    ck_assert(!registry_dirty(reg));
    ck_assert_uint_eq(file_offset(regtest.path, 0), 10);
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(backup_failure_does_not_stop_saving)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
    regtest_add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    char *bak_tmp = xasprintf("%s.tmp", regtest.bak);
    char *blocker = xasprintf("%s/x", bak_tmp);
    ck_assert_int_eq(mkdir(bak_tmp, 0700), 0);
    testutil_write_file(blocker, "x", 1); /* cannot be unlinked as a file */
    regtest_add_at(reg, &id, "/l/a.log", 20);
    capture_start();
    ck_assert_int_eq(registry_save(reg), 0);
    char *log = capture_end();
    assert_contains(log, "registry.json.bak: not refreshed");
    ck_assert_uint_eq(file_offset(regtest.path, 0), 20);
    ck_assert(!exists(regtest.bak));
    unlink(blocker);
    rmdir(bak_tmp);
    free(blocker);
    free(bak_tmp);
    free(log);
    registry_close(reg);
}
END_TEST

static Suite *
registry_file_suite(void)
{
    Suite *s = suite_create("registry_file");
    TCase *tc = tcase_create("registry_file");
    tcase_add_checked_fixture(tc, regtest_setup, regtest_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   missing_file_starts_empty_and_writes_nothing_until_a_change);
    tcase_add_test(tc, unusable_directory_fails_the_open);
    tcase_add_test(tc, second_open_fails_naming_our_pid_until_the_first_closes);
    tcase_add_test(tc, lock_file_is_0600_close_on_exec_and_holds_the_pid);
    tcase_add_test(tc, lock_held_by_another_process_names_it_and_dies_with_it);
    tcase_add_test(tc, lock_file_that_cannot_be_made_fails_the_open_clearly);
    tcase_add_test(tc, many_entries_round_trip_exactly);
    tcase_add_test(tc, v1_file_loads_and_saves_byte_for_byte);
    tcase_add_test(tc, unknown_keys_are_ignored);
    tcase_add_test(tc, saved_files_are_mode_0600_even_over_a_stale_tmp);
    tcase_add_test(tc, unchanged_registry_is_not_rewritten);
    tcase_add_test(tc, backup_is_the_save_before_last);
    tcase_add_test(tc, crash_leftovers_fall_back_to_the_backup);
    tcase_add_test(tc, save_after_a_fallback_keeps_the_good_backup);
    tcase_add_test(tc, broken_files_fall_back_to_the_backup_with_a_reason);
    tcase_add_test(tc, broken_file_without_backup_starts_empty);
    tcase_add_test(tc, broken_file_and_broken_backup_start_empty);
    tcase_add_test(tc, failed_save_is_logged_once_and_retried);
    tcase_add_test(tc, backup_failure_does_not_stop_saving);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(registry_file_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
