/*
 * The registry on real files in temp dirs: round trips (large numbers,
 * non-UTF-8 paths, the pinned v1 format), the atomic save and its backup,
 * every broken file in tests/data/registry/ falling back to the backup
 * with the expected message, pruning, holds, monotonic commits,
 * truncation generations, lookups by content, path and identity, the
 * offset check, commits racing saves while a reader keeps parsing, and
 * the lock that keeps a second open (in this process or another) off a
 * registry in use.
 */
#include "config.h"

#include "fileid.h"
#include "log.h"
#include "registry.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define DATADIR        TEST_DATADIR "/registry"
#define NO_PRUNE       (-1)
#define BIG_FILE_BYTES 5000
#define NOBODY_ID      65534 /* the unprivileged user of the root case */

static char *dir;
static char *path; /* dir/registry.json */
static char *bak;  /* path.bak */
static char *tmp;  /* path.tmp */
static char *lock; /* path.lock */
static int saved_stderr = -1;

static void
setup(void)
{
    dir = testutil_tempdir();
    path = testutil_path(dir, "registry.json");
    bak = xasprintf("%s.bak", path);
    tmp = xasprintf("%s.tmp", path);
    lock = xasprintf("%s.lock", path);
}

static void
teardown(void)
{
    testutil_rmtree(dir);
    free(dir);
    free(path);
    free(bak);
    free(tmp);
    free(lock);
}

static struct registry *
open_reg(int64_t prune_after_s)
{
    struct errbuf err = {{0}};
    struct registry *reg = registry_open(path, prune_after_s, &err);
    ck_assert_msg(reg != NULL, "registry_open: %s", err.msg);
    return reg;
}

static struct fileid
make_id(uint64_t dev, uint64_t ino, const char *first_bytes)
{
    struct fileid id;
    fileid_of_bytes(dev, ino, first_bytes, strlen(first_bytes), &id);
    return id;
}

/* Adds id at path, commits offset, and releases the entry. */
static void
add_at(struct registry *reg, const struct fileid *id, const char *p,
       uint64_t offset)
{
    struct registry_entry *e = registry_add(reg, id, p, false);
    ck_assert_int_eq(registry_commit(reg, e, id->generation, offset, NULL), 0);
    registry_release(reg, e);
}

static uint64_t
offset_of(struct registry *reg, const struct fileid *id)
{
    struct registry_entry *e = registry_find(reg, id);
    ck_assert_ptr_nonnull(e);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    registry_release(reg, e);
    return info.offset;
}

/* Sends stderr (where log lines go) to a file until capture_end(). */
static void
capture_start(void)
{
    char *log = testutil_path(dir, "stderr.log");
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
    char *log = testutil_path(dir, "stderr.log");
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

static json_t *
load_json(const char *p)
{
    json_error_t jerr;
    json_t *root = json_load_file(p, 0, &jerr);
    ck_assert_msg(root != NULL, "%s: %s", p, jerr.text);
    return root;
}

/* The "offset" of entries[index] in the registry file p. */
static uint64_t
file_offset(const char *p, size_t index)
{
    json_t *root = load_json(p);
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

/* ---- snapshots of the whole table ---- */

struct snap {
    struct registry_info *infos; /* owned; each path owned */
    size_t count;
};

static void
snap_add(const struct registry_info *info, void *arg)
{
    struct snap *s = arg;
    s->infos = xrealloc(s->infos, (s->count + 1) * sizeof(*s->infos));
    s->infos[s->count] = *info;
    s->infos[s->count].path = xstrdup(info->path);
    s->count++;
}

static struct snap
snap_take(struct registry *reg)
{
    struct snap s = {NULL, 0};
    registry_foreach(reg, snap_add, &s);
    return s;
}

static void
snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->count; i++)
        free((char *)s->infos[i].path);
    free(s->infos);
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
    struct registry *reg = open_reg(NO_PRUNE);
    char *log = capture_end();
    assert_contains(log, "registry.json: not found; starting with no offsets");
    ck_assert_uint_eq(registry_count(reg), 0);
    ck_assert(!registry_dirty(reg));
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert(!exists(path));
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 3);
    ck_assert(registry_dirty(reg));
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert(!registry_dirty(reg));
    ck_assert(exists(path));
    ck_assert(!exists(bak)); /* nothing valid to back up yet */
    ck_assert(!exists(tmp));
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(unusable_directory_fails_the_open)
{
    struct errbuf err = {{0}};
    char *p = testutil_path(dir, "no/such/dir/registry.json");
    ck_assert_ptr_null(registry_open(p, NO_PRUNE, &err));
    assert_contains(err.msg, "no/such/dir");
    assert_contains(err.msg, "No such file or directory");
    free(p);
    char *slash = xasprintf("%s/", dir);
    ck_assert_ptr_null(registry_open(slash, NO_PRUNE, &err));
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
                     path, pid);
}

START_TEST(second_open_fails_naming_our_pid_until_the_first_closes)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 7);
    ck_assert_int_eq(registry_save(reg), 0);
    /* flock belongs to the open file description: a second open in the
     * same process is refused like another process would be. */
    struct errbuf err = {{0}};
    capture_start();
    ck_assert_ptr_null(registry_open(path, NO_PRUNE, &err));
    char *log = capture_end();
    char *want = in_use_message((long)getpid());
    ck_assert_str_eq(err.msg, want);
    ck_assert_str_eq(log, ""); /* refused before reading anything */
    ck_assert_ptr_null(registry_open(path, NO_PRUNE, &err)); /* still */
    registry_close(reg);
    reg = open_reg(NO_PRUNE);
    ck_assert_uint_eq(offset_of(reg, &id), 7);
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
    struct registry *reg = open_reg(NO_PRUNE);
    struct stat st;
    ck_assert_int_eq(stat(lock, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert(S_ISREG(st.st_mode));
    size_t len;
    char *text = testutil_read_file(lock, &len);
    char *want = xasprintf("%ld\n", (long)getpid());
    ck_assert_str_eq(text, want);
    free(text);
    ck_assert(open_with_cloexec(lock));
    registry_close(reg);
    ck_assert(!open_with_cloexec(lock));
    ck_assert(exists(lock)); /* never removed: no unlink race */

    /* A pid left by a process that died is no lock: it is replaced. */
    testutil_write_file(lock, "2147483646 left over\n", 21);
    reg = open_reg(NO_PRUNE);
    text = testutil_read_file(lock, &len);
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
    struct registry *reg = registry_open(path, NO_PRUNE, &err);
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
    ck_assert_ptr_null(registry_open(path, NO_PRUNE, &err));
    char *want = in_use_message((long)child);
    ck_assert_str_eq(err.msg, want);
    /* SIGKILL: no registry_close(); the kernel drops the lock. */
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct registry *reg = open_reg(NO_PRUNE);
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
    struct registry *reg = registry_open(p, NO_PRUNE, &err);
    if (reg != NULL)
        snprintf(err.msg, sizeof(err.msg), "opened");
    size_t n = strlen(err.msg);
    _exit(write(out, err.msg, n) == (ssize_t)n ? 0 : 3);
}

START_TEST(lock_file_that_cannot_be_made_fails_the_open_clearly)
{
    ck_assert_int_eq(mkdir(lock, 0700), 0); /* openat(O_RDWR) fails */
    struct errbuf err = {{0}};
    ck_assert_ptr_null(registry_open(path, NO_PRUNE, &err));
    char *want = xasprintf("registry lock file '%s': Is a directory", lock);
    ck_assert_str_eq(err.msg, want);
    free(want);

    char *ro = testutil_path(dir, "ro");
    ck_assert_int_eq(mkdir(ro, 0555), 0);
    ck_assert_int_eq(chmod(ro, 0555), 0);  /* whatever the umask */
    ck_assert_int_eq(chmod(dir, 0711), 0); /* nobody may pass through */
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
    struct registry *reg = open_reg(NO_PRUNE);
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "first bytes of file %d", i);
        struct fileid id =
            make_id(100 + (uint64_t)(i % 3), 1000 + (uint64_t)i, text);
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
    struct snap before = snap_take(reg);
    ck_assert_uint_eq(before.count, N);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    enum log_level saved = log_max_level;
    log_max_level = LL_ERROR; /* loading must not depend on the log level */
    reg = open_reg(NO_PRUNE);
    log_max_level = saved; /* the next tests read info lines, also unforked */
    ck_assert(!registry_dirty(reg));
    struct snap after = snap_take(reg);
    ck_assert_uint_eq(after.count, N);
    for (size_t i = 0; i < N; i++)
        assert_same_info(&before.infos[i], &after.infos[i]);
    ck_assert_str_eq(after.infos[7].path, "/logs/\xff\xfe-7.log");
    ck_assert_uint_eq(after.infos[3].offset, UINT64_MAX);
    snap_free(&before);
    snap_free(&after);
    registry_close(reg);
}
END_TEST

START_TEST(v1_file_loads_and_saves_byte_for_byte)
{
    copy_file(DATADIR "/good/v1.json", path);
    /* Keeps entries gone since 1700000000, drops the one gone since 1. */
    int64_t prune = (int64_t)time(NULL) - 1000;
    struct registry *reg = open_reg(prune);
    ck_assert_uint_eq(registry_count(reg), 3);
    ck_assert(registry_dirty(reg)); /* the pruned entry */
    struct snap s = snap_take(reg);
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
    snap_free(&s);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    size_t got_len, want_len;
    char *got = testutil_read_file(path, &got_len);
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
    testutil_write_file(path, text, strlen(text));
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = {1, 2, 3, 4, 0};
    ck_assert_uint_eq(offset_of(reg, &id), 9);
    registry_close(reg);
}
END_TEST

/* ---- the file protocol ---- */

START_TEST(saved_files_are_mode_0600_even_over_a_stale_tmp)
{
    testutil_write_file(tmp, "garbage from a crash", 20);
    ck_assert_int_eq(chmod(tmp, 0644), 0);
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 1);
    ck_assert_int_eq(registry_save(reg), 0);
    add_at(reg, &id, "/l/a.log", 2);
    ck_assert_int_eq(registry_save(reg), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(bak, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert(!exists(tmp));
    json_t *root = load_json(path);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "version")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "entries")), 1);
    json_decref(root);
    registry_close(reg);
}
END_TEST

START_TEST(unchanged_registry_is_not_rewritten)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    struct stat first, second;
    ck_assert_int_eq(stat(path, &first), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_int_eq(stat(path, &second), 0);
    ck_assert_uint_eq(first.st_ino, second.st_ino);
    struct registry_entry *e = registry_find(reg, &id);
    ck_assert_int_eq(registry_commit(reg, e, 0, 10, NULL), 0); /* same */
    ck_assert(!registry_dirty(reg));
    ck_assert_int_eq(registry_commit(reg, e, 0, 11, NULL), 0);
    ck_assert(registry_dirty(reg));
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_int_eq(stat(path, &second), 0);
    ck_assert_uint_ne(first.st_ino, second.st_ino); /* a new file renamed */
    registry_close(reg);
}
END_TEST

START_TEST(backup_is_the_save_before_last)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    add_at(reg, &id, "/l/a.log", 20);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(path, 0), 20);
    ck_assert_uint_eq(file_offset(bak, 0), 10);
    add_at(reg, &id, "/l/a.log", 30);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(path, 0), 30);
    ck_assert_uint_eq(file_offset(bak, 0), 20);
    char *bak_tmp = xasprintf("%s.tmp", bak);
    ck_assert(!exists(tmp));
    ck_assert(!exists(bak_tmp));
    free(bak_tmp);
    registry_close(reg);
}
END_TEST

/* Saves offsets 10 then 20 for one entry: path has 20, .bak 10. */
static struct fileid
two_saves(void)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    add_at(reg, &id, "/l/a.log", 20);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    return id;
}

START_TEST(crash_leftovers_fall_back_to_the_backup)
{
    struct fileid id = two_saves();
    /* What a crash mid-write would leave if the protocol were broken. */
    size_t len;
    char *text = testutil_read_file(path, &len);
    testutil_write_file(path, text, len / 2);
    testutil_write_file(tmp, text, len / 3);
    free(text);
    capture_start();
    struct registry *reg = open_reg(NO_PRUNE);
    char *log = capture_end();
    ck_assert_uint_eq(offset_of(reg, &id), 10);
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
    testutil_write_file(path, "{\"version\": 1, \"entr", 20);
    size_t bak_len;
    char *bak_before = testutil_read_file(bak, &bak_len);
    capture_start();
    struct registry *reg = open_reg(NO_PRUNE);
    free(capture_end());
    add_at(reg, &id, "/l/a.log", 40);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(file_offset(path, 0), 40);
    char *bak_after = testutil_read_file(bak, &bak_len);
    ck_assert_str_eq(bak_before, bak_after); /* the corrupt file not linked */
    free(bak_after);
    add_at(reg, &id, "/l/a.log", 50);
    ck_assert_int_eq(registry_save(reg), 0); /* now path was ours: backed up */
    ck_assert_uint_eq(file_offset(bak, 0), 40);
    ck_assert_uint_eq(file_offset(path, 0), 50);
    free(bak_before);
    registry_close(reg);
}
END_TEST

/* Every tests/data/registry/<case>.json is rejected with the message in
 * <case>.expected, and the backup is loaded instead. */
START_TEST(broken_files_fall_back_to_the_backup_with_a_reason)
{
    struct fileid a = make_id(1, 2, "abc");
    struct fileid b = make_id(1, 3, "def");
    struct registry *reg = open_reg(NO_PRUNE);
    add_at(reg, &a, "/l/a.log", 111);
    add_at(reg, &b, "/l/b.log", 222);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    ck_assert_int_eq(rename(path, bak), 0);

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
        copy_file(src, path);
        capture_start();
        reg = open_reg(NO_PRUNE);
        char *log = capture_end();
        char *want =
            xasprintf("registry.json: %s; trying the backup", expected);
        ck_assert_msg(strstr(log, want) != NULL, "%s: expected '%s' in:\n%s",
                      de->d_name, want, log);
        ck_assert_msg(registry_count(reg) == 2, "%s: backup not loaded",
                      de->d_name);
        ck_assert_uint_eq(offset_of(reg, &b), 222);
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
    copy_file(DATADIR "/truncated.json", path);
    capture_start();
    struct registry *reg = open_reg(NO_PRUNE);
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
    copy_file(DATADIR "/wrong-version.json", path);
    copy_file(DATADIR "/garbage.json", bak);
    capture_start();
    struct registry *reg = open_reg(NO_PRUNE);
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
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(mkdir(tmp, 0700), 0); /* makes creating .tmp fail */
    capture_start();
    ck_assert_int_eq(registry_save(reg), -EISDIR);
    ck_assert_int_eq(registry_save(reg), -EISDIR);
    char *log = capture_end();
    ck_assert_uint_eq(count_of(log, "not saved (creating the .tmp file)"), 1);
    ck_assert(registry_dirty(reg));
    ck_assert(!exists(path));
    ck_assert_int_eq(rmdir(tmp), 0);
    capture_start();
    ck_assert_int_eq(registry_save(reg), 0);
    free(log);
    log = capture_end();
    assert_contains(log, "registry.json: saved again");
    ck_assert(!registry_dirty(reg));
    ck_assert_uint_eq(file_offset(path, 0), 10);
    registry_close(reg);
    free(log);
}
END_TEST

START_TEST(backup_failure_does_not_stop_saving)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    add_at(reg, &id, "/l/a.log", 10);
    ck_assert_int_eq(registry_save(reg), 0);
    char *bak_tmp = xasprintf("%s.tmp", bak);
    char *blocker = xasprintf("%s/x", bak_tmp);
    ck_assert_int_eq(mkdir(bak_tmp, 0700), 0);
    testutil_write_file(blocker, "x", 1); /* cannot be unlinked as a file */
    add_at(reg, &id, "/l/a.log", 20);
    capture_start();
    ck_assert_int_eq(registry_save(reg), 0);
    char *log = capture_end();
    assert_contains(log, "registry.json.bak: not refreshed");
    ck_assert_uint_eq(file_offset(path, 0), 20);
    ck_assert(!exists(bak));
    unlink(blocker);
    rmdir(bak_tmp);
    free(blocker);
    free(bak_tmp);
    free(log);
    registry_close(reg);
}
END_TEST

/* ---- pruning and holds ---- */

START_TEST(entries_gone_too_long_are_pruned_in_memory_at_save_and_at_load)
{
    int64_t now = time(NULL);
    struct registry *reg = open_reg(100);
    struct fileid a = make_id(1, 1, "a"), b = make_id(1, 2, "b"),
                  c = make_id(1, 3, "c");
    add_at(reg, &a, "/l/a", 1);
    add_at(reg, &b, "/l/b", 1);
    add_at(reg, &c, "/l/c", 1);
    struct registry_entry *e = registry_find(reg, &a);
    registry_mark_gone(reg, e, now - 1000);
    registry_release(reg, e);
    e = registry_find(reg, &b);
    registry_mark_gone(reg, e, now - 50);
    registry_release(reg, e);
    ck_assert_uint_eq(registry_prune(reg, now), 1);
    ck_assert_uint_eq(registry_count(reg), 2);
    ck_assert_ptr_null(registry_find(reg, &a));
    e = registry_find(reg, &c);
    registry_mark_gone(reg, e, now - 1000);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0); /* prunes c */
    ck_assert_uint_eq(registry_count(reg), 1);
    json_t *root = load_json(path);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "entries")), 1);
    json_decref(root);
    registry_close(reg);

    reg = open_reg(10); /* b has been gone 50 s */
    ck_assert_uint_eq(registry_count(reg), 0);
    ck_assert(registry_dirty(reg));
    registry_close(reg);
}
END_TEST

START_TEST(held_entries_are_never_pruned)
{
    int64_t now = time(NULL);
    struct registry *reg = open_reg(0);
    struct fileid a = make_id(1, 1, "a");
    struct registry_entry *e = registry_add(reg, &a, "/l/a", false);
    registry_mark_gone(reg, e, now - 1000);
    ck_assert_uint_eq(registry_prune(reg, now), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_uint_eq(registry_count(reg), 1);
    registry_release(reg, e);
    ck_assert_uint_eq(registry_prune(reg, now), 1);
    ck_assert_uint_eq(registry_count(reg), 0);
    registry_close(reg);
}
END_TEST

START_TEST(negative_prune_limit_keeps_everything)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid a = make_id(1, 1, "a");
    struct registry_entry *e = registry_add(reg, &a, "/l/a", false);
    registry_mark_gone(reg, e, 1);
    registry_release(reg, e);
    ck_assert_uint_eq(registry_prune(reg, time(NULL)), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    reg = open_reg(NO_PRUNE);
    ck_assert_uint_eq(registry_count(reg), 1);
    registry_close(reg);
}
END_TEST

START_TEST(gone_since_keeps_the_first_time_until_seen)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid a = make_id(1, 1, "a");
    struct registry_entry *e = registry_add(reg, &a, "/l/a", false);
    struct registry_info info;
    registry_mark_gone(reg, e, 100);
    registry_mark_gone(reg, e, 200);
    registry_entry_info(reg, e, &info);
    ck_assert_int_eq(info.gone_since_s, 100);
    registry_mark_seen(reg, e);
    registry_entry_info(reg, e, &info);
    ck_assert_int_eq(info.gone_since_s, 0);
    registry_mark_gone(reg, e, 300);
    registry_release(reg, e);
    e = registry_add(reg, &a, "/l/a", false); /* found again */
    registry_entry_info(reg, e, &info);
    ck_assert_int_eq(info.gone_since_s, 0);
    registry_release(reg, e);
    registry_close(reg);
}
END_TEST

START_TEST(entries_nobody_saw_since_open_are_marked_gone)
{
    struct fileid a = make_id(1, 1, "a"), b = make_id(1, 2, "b"),
                  c = make_id(1, 3, "c");
    struct registry *reg = open_reg(NO_PRUNE);
    add_at(reg, &a, "/l/a", 1);
    add_at(reg, &b, "/l/b", 1);
    add_at(reg, &c, "/l/c", 1);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    reg = open_reg(NO_PRUNE);
    struct registry_entry *ea = registry_find(reg, &a); /* found: seen */
    struct registry_entry *eb = registry_find_path(reg, "/l/b"); /* not */
    registry_mark_seen(reg, eb);
    registry_release(reg, eb);
    ck_assert_uint_eq(registry_mark_unseen_gone(reg, 5000), 1);
    ck_assert_uint_eq(registry_mark_unseen_gone(reg, 6000), 0);
    struct snap s = snap_take(reg);
    ck_assert_int_eq(s.infos[0].gone_since_s, 0);
    ck_assert_int_eq(s.infos[1].gone_since_s, 0);
    ck_assert_int_eq(s.infos[2].gone_since_s, 5000);
    snap_free(&s);
    registry_release(reg, ea);
    registry_close(reg);
}
END_TEST

/* ---- commits and truncation ---- */

START_TEST(commit_moves_only_forward)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    struct registry_entry *e = registry_add(reg, &id, "/l/a", false);
    struct registry_check check = {.hash = 42, .len = 100};
    ck_assert_int_eq(registry_commit(reg, e, 0, 100, &check), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    ck_assert_int_eq(registry_commit(reg, e, 0, 50, NULL), -ERANGE);
    ck_assert(!registry_dirty(reg));
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 100);
    ck_assert_uint_eq(info.check.hash, 42);
    ck_assert_int_eq(registry_commit(reg, e, 0, 200, NULL), 0);
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 200);
    ck_assert_uint_eq(info.check.len, 0); /* the old check was for 100 */
    registry_release(reg, e);
    registry_close(reg);
}
END_TEST

START_TEST(truncation_starts_a_new_generation_and_drops_stale_commits)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "old first bytes");
    struct registry_entry *e = registry_add(reg, &id, "/l/a", false);
    ck_assert_int_eq(registry_commit(reg, e, 0, 500, NULL), 0);
    struct fileid fresh = make_id(1, 2, "new");
    registry_reset(reg, e, &fresh);
    ck_assert_uint_eq(fresh.generation, 1);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    ck_assert(fileid_same_file(&info.id, &fresh));
    ck_assert_uint_eq(info.offset, 0);
    /* An ack for the old life of the file arrives late. */
    ck_assert_int_eq(registry_commit(reg, e, 0, 600, NULL), -ESTALE);
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 0);
    ck_assert_int_eq(registry_commit(reg, e, 1, 3, NULL), 0);
    ck_assert_ptr_null(registry_find(reg, &id));
    struct registry_entry *again = registry_find(reg, &fresh);
    ck_assert_ptr_eq(again, e);
    registry_release(reg, again);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    reg = open_reg(NO_PRUNE);
    ck_assert_uint_eq(offset_of(reg, &fresh), 3);
    registry_close(reg);
}
END_TEST

/* ---- lookups ---- */

START_TEST(adding_a_known_identity_returns_the_same_entry)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid id = make_id(1, 2, "abc");
    struct registry_entry *e1 = registry_add(reg, &id, "/l/a", false);
    ck_assert_int_eq(registry_commit(reg, e1, 0, 7, NULL), 0);
    struct registry_entry *e2 = registry_add(reg, &id, "/l/a.1", false);
    ck_assert_ptr_eq(e1, e2);
    ck_assert_uint_eq(registry_count(reg), 1);
    char *p = registry_entry_path(reg, e1);
    ck_assert_str_eq(p, "/l/a.1");
    free(p);
    struct registry_info info;
    registry_entry_info(reg, e2, &info);
    ck_assert_uint_eq(info.offset, 7);
    registry_release(reg, e1);
    registry_release(reg, e2);
    registry_close(reg);
}
END_TEST

START_TEST(grown_file_is_found_by_its_first_bytes_after_a_restart)
{
    unsigned char data[BIG_FILE_BYTES];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)('a' + i % 26);
    data[99] = '\n';
    char *log = testutil_path(dir, "app.log");
    testutil_write_file(log, data, 100);
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    struct fileid id;
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    struct registry_check check;
    ck_assert_int_eq(registry_check_bytes(fd, 100, &check), 0);
    struct registry *reg = open_reg(NO_PRUNE);
    struct registry_entry *e = registry_add(reg, &id, log, false);
    ck_assert_int_eq(registry_commit(reg, e, 0, 100, &check), 0);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    testutil_append_file(log, data + 100, sizeof(data) - 100);
    reg = open_reg(NO_PRUNE);
    struct fileid now;
    ck_assert_int_eq(fileid_of(fd, NULL, &now), 0);
    ck_assert_ptr_null(registry_find(reg, &now)); /* a longer fingerprint */
    ck_assert_int_eq(registry_find_fd(reg, fd, NULL, &e), 0);
    ck_assert_ptr_nonnull(e);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 100);
    bool matches = false;
    ck_assert_int_eq(registry_check_matches(fd, 100, &info.check, &matches), 0);
    ck_assert(matches);
    registry_release(reg, e);

    int wfd = open(log, O_WRONLY | O_CLOEXEC);
    ck_assert_int_eq(pwrite(wfd, "X", 1, 0), 1); /* another file now */
    close(wfd);
    ck_assert_int_eq(registry_find_fd(reg, fd, NULL, &e), 0);
    ck_assert_ptr_null(e);
    registry_close(reg);
    close(fd);
    free(log);
}
END_TEST

START_TEST(gz_entry_is_found_by_its_inflated_first_bytes)
{
    unsigned char data[BIG_FILE_BYTES];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i % 10 == 9 ? '\n' : '0' + i % 10);
    char *gzpath = testutil_path(dir, "old.log.gz");
    gzFile gz = gzopen(gzpath, "wb");
    ck_assert_int_eq(gzwrite(gz, data, sizeof(data)), (int)sizeof(data));
    ck_assert_int_eq(gzclose(gz), Z_OK);
    struct stat st;
    ck_assert_int_eq(stat(gzpath, &st), 0);

    unsigned char inflated[BIG_FILE_BYTES];
    gz = gzopen(gzpath, "rb");
    ck_assert_int_eq(gzread(gz, inflated, sizeof(inflated)),
                     (int)sizeof(inflated));
    gzclose(gz);
    struct fileid id;
    fileid_of_bytes((uint64_t)st.st_dev, (uint64_t)st.st_ino, inflated,
                    sizeof(inflated), &id);
    struct registry_check check;
    registry_check_from_bytes(inflated, 3000, &check);
    ck_assert_uint_eq(check.len, REGISTRY_CHECK_BYTES);
    ck_assert_uint_eq(check.hash,
                      fileid_hash_bytes(inflated + 3000 - 256, 256));

    struct registry *reg = open_reg(NO_PRUNE);
    struct registry_entry *e = registry_add(reg, &id, gzpath, true);
    ck_assert_int_eq(registry_commit(reg, e, 0, 3000, &check), 0);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    reg = open_reg(NO_PRUNE);
    e = registry_find_bytes(reg, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
                            inflated, 2000);
    ck_assert_ptr_nonnull(e);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    ck_assert(info.gz);
    ck_assert_uint_eq(info.offset, 3000);
    ck_assert_uint_eq(info.check.hash, check.hash);
    registry_release(reg, e);
    /* The compressed bytes are not what was fingerprinted. */
    int fd = open(gzpath, O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(registry_find_fd(reg, fd, NULL, &e), 0);
    ck_assert_ptr_null(e);
    close(fd);
    registry_close(reg);
    free(gzpath);
}
END_TEST

START_TEST(content_lookup_prefers_the_longest_fingerprint)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid short_id = make_id(1, 2, "abcdefghij");
    struct fileid long_id = make_id(1, 2, "abcdefghijklmnopqrst");
    add_at(reg, &short_id, "/l/old", 5);
    add_at(reg, &long_id, "/l/new", 6);
    const char *text = "abcdefghijklmnopqrstuvwxyz";
    struct registry_entry *e = registry_find_bytes(reg, 1, 2, text, 26);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 6);
    registry_release(reg, e);
    e = registry_find_bytes(reg, 1, 2, "abcdefghijXXXXXXXXXXXX", 22);
    registry_entry_info(reg, e, &info);
    ck_assert_uint_eq(info.offset, 5);
    registry_release(reg, e);
    ck_assert_ptr_null(registry_find_bytes(reg, 1, 3, text, 26));
    ck_assert_ptr_null(registry_find_bytes(reg, 1, 2, "abc", 3));
    registry_close(reg);
}
END_TEST

START_TEST(path_lookup_prefers_the_live_entry)
{
    struct registry *reg = open_reg(NO_PRUNE);
    struct fileid old = make_id(1, 2, "old");
    struct fileid cur = make_id(1, 3, "cur");
    struct registry_entry *eo = registry_add(reg, &old, "/l/app.log", false);
    struct registry_entry *ec = registry_add(reg, &cur, "/l/app.log", false);
    registry_mark_gone(reg, eo, 100);
    struct registry_entry *e = registry_find_path(reg, "/l/app.log");
    ck_assert_ptr_eq(e, ec);
    registry_release(reg, e);
    registry_set_path(reg, ec, "/l/app.log.1");
    e = registry_find_path(reg, "/l/app.log");
    ck_assert_ptr_eq(e, eo);
    registry_release(reg, e);
    e = registry_find_path(reg, "/l/app.log.1");
    ck_assert_ptr_eq(e, ec);
    registry_release(reg, e);
    ck_assert_ptr_null(registry_find_path(reg, "/l/other.log"));
    registry_release(reg, eo);
    registry_release(reg, ec);
    registry_close(reg);
}
END_TEST

/* ---- the offset check ---- */

START_TEST(offset_check_detects_changed_or_missing_bytes)
{
    unsigned char data[2000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 13);
    char *log = testutil_path(dir, "app.log");
    testutil_write_file(log, data, sizeof(data));
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    struct registry_check c1000, c100, c0, from;
    ck_assert_int_eq(registry_check_bytes(fd, 1000, &c1000), 0);
    ck_assert_uint_eq(c1000.len, REGISTRY_CHECK_BYTES);
    ck_assert_uint_eq(c1000.hash, fileid_hash_bytes(data + 1000 - 256, 256));
    registry_check_from_bytes(data, 1000, &from);
    ck_assert_uint_eq(from.hash, c1000.hash);
    ck_assert_uint_eq(from.len, c1000.len);
    ck_assert_int_eq(registry_check_bytes(fd, 100, &c100), 0);
    ck_assert_uint_eq(c100.len, 100);
    ck_assert_int_eq(registry_check_bytes(fd, 0, &c0), 0);
    ck_assert_uint_eq(c0.len, 0);
    ck_assert_int_eq(registry_check_bytes(fd, 2001, &from), -ENODATA);
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);

    bool m = false;
    ck_assert_int_eq(registry_check_matches(fd, 1000, &c1000, &m), 0);
    ck_assert(m);
    ck_assert_int_eq(registry_check_matches(fd, 1001, &c1000, &m), 0);
    ck_assert(!m); /* other bytes before that offset */
    int wfd = open(log, O_WRONLY | O_CLOEXEC);
    ck_assert_int_eq(pwrite(wfd, "?", 1, 999), 1);
    close(wfd);
    ck_assert_int_eq(registry_check_matches(fd, 1000, &c1000, &m), 0);
    ck_assert(!m);
    ck_assert_int_eq(registry_check_matches(fd, 100, &c100, &m), 0);
    ck_assert(m);
    ck_assert_int_eq(truncate(log, 50), 0);
    ck_assert_int_eq(registry_check_matches(fd, 100, &c100, &m), 0);
    ck_assert(!m);
    struct registry_check none = {0, 0};
    ck_assert_int_eq(registry_check_matches(fd, 50, &none, &m), 0);
    ck_assert(m); /* size check only */
    ck_assert_int_eq(registry_check_matches(fd, 51, &none, &m), 0);
    ck_assert(!m);
    close(fd);
    free(log);
}
END_TEST

/* ---- concurrency ---- */

enum { COMMITTERS = 4, PER_COMMITTER = 8, MIN_SAVES = 20, MIN_ROUNDS = 500 };

struct race {
    struct registry *reg;
    struct registry_entry *e[COMMITTERS][PER_COMMITTER];
    uint64_t final[COMMITTERS][PER_COMMITTER];
    atomic_int saves;
    atomic_bool stop;
    atomic_int save_errors; /* failed saves */
    atomic_int backwards;   /* an offset lower than in the save before */
    atomic_int bad_files;   /* saved or read files that did not parse */
    atomic_int reads;
};

struct committer {
    struct race *race;
    int index;
};

static void *
race_commit(void *arg)
{
    struct committer *c = arg;
    struct race *r = c->race;
    uint64_t offset = 0;
    for (int round = 1;; round++) {
        offset = (uint64_t)round * 10 + (uint64_t)c->index;
        for (int j = 0; j < PER_COMMITTER; j++)
            registry_commit(r->reg, r->e[c->index][j], 0, offset, NULL);
        if (round >= MIN_ROUNDS && atomic_load(&r->saves) >= MIN_SAVES)
            break;
    }
    for (int j = 0; j < PER_COMMITTER; j++)
        r->final[c->index][j] = offset;
    return NULL;
}

/* Reads the offsets of a saved file into out; false if it is invalid. */
static bool
race_read(const char *p, uint64_t *out, size_t count)
{
    json_error_t jerr;
    json_t *root = json_load_file(p, 0, &jerr);
    json_t *entries = json_object_get(root, "entries");
    bool ok = json_array_size(entries) == count;
    for (size_t k = 0; ok && k < count; k++) {
        json_t *off = json_object_get(json_array_get(entries, k), "offset");
        ok = json_is_integer(off);
        if (ok)
            out[k] = (uint64_t)json_integer_value(off);
    }
    json_decref(root);
    return ok;
}

static void *
race_save(void *arg)
{
    struct race *r = arg;
    uint64_t prev[COMMITTERS * PER_COMMITTER] = {0};
    uint64_t cur[COMMITTERS * PER_COMMITTER];
    while (!atomic_load(&r->stop)) {
        if (registry_save(r->reg) != 0)
            atomic_fetch_add(&r->save_errors, 1);
        if (!race_read(path, cur, COMMITTERS * PER_COMMITTER)) {
            atomic_fetch_add(&r->bad_files, 1);
            continue;
        }
        for (size_t k = 0; k < COMMITTERS * PER_COMMITTER; k++) {
            if (cur[k] < prev[k])
                atomic_fetch_add(&r->backwards, 1);
            prev[k] = cur[k];
        }
        atomic_fetch_add(&r->saves, 1);
    }
    return NULL;
}

static void *
race_reader(void *arg)
{
    struct race *r = arg;
    uint64_t cur[COMMITTERS * PER_COMMITTER];
    while (!atomic_load(&r->stop)) {
        if (!race_read(path, cur, COMMITTERS * PER_COMMITTER))
            atomic_fetch_add(&r->bad_files, 1);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

START_TEST(commits_racing_saves_never_go_backwards_or_tear_a_file)
{
    static struct race r;
    r.reg = open_reg(NO_PRUNE);
    for (int t = 0; t < COMMITTERS; t++) {
        for (int j = 0; j < PER_COMMITTER; j++) {
            char text[32];
            snprintf(text, sizeof(text), "t%d-%d", t, j);
            struct fileid id = make_id(9, (uint64_t)(t * 100 + j), text);
            r.e[t][j] = registry_add(r.reg, &id, text, false);
        }
    }
    ck_assert_int_eq(registry_save(r.reg), 0); /* the reader needs a file */
    pthread_t saver, reader, committers[COMMITTERS];
    struct committer c[COMMITTERS];
    ck_assert_int_eq(pthread_create(&saver, NULL, race_save, &r), 0);
    ck_assert_int_eq(pthread_create(&reader, NULL, race_reader, &r), 0);
    for (int t = 0; t < COMMITTERS; t++) {
        c[t].race = &r;
        c[t].index = t;
        ck_assert_int_eq(
            pthread_create(&committers[t], NULL, race_commit, &c[t]), 0);
    }
    for (int t = 0; t < COMMITTERS; t++)
        pthread_join(committers[t], NULL);
    atomic_store(&r.stop, true);
    pthread_join(saver, NULL);
    pthread_join(reader, NULL);

    int save_errors = atomic_load(&r.save_errors);
    int bad_files = atomic_load(&r.bad_files);
    int backwards = atomic_load(&r.backwards);
    int saves = atomic_load(&r.saves);
    ck_assert_int_eq(save_errors, 0);
    ck_assert_int_eq(bad_files, 0);
    ck_assert_int_eq(backwards, 0);
    ck_assert_int_ge(saves, MIN_SAVES);
    ck_assert_int_eq(registry_save(r.reg), 0);
    uint64_t last[COMMITTERS * PER_COMMITTER];
    ck_assert(race_read(path, last, COMMITTERS * PER_COMMITTER));
    for (int t = 0; t < COMMITTERS; t++) {
        for (int j = 0; j < PER_COMMITTER; j++) {
            ck_assert_uint_eq(last[t * PER_COMMITTER + j], r.final[t][j]);
            registry_release(r.reg, r.e[t][j]);
        }
    }
    registry_close(r.reg);
}
END_TEST

static Suite *
registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, setup, teardown);
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
    tcase_add_test(
        tc, entries_gone_too_long_are_pruned_in_memory_at_save_and_at_load);
    tcase_add_test(tc, held_entries_are_never_pruned);
    tcase_add_test(tc, negative_prune_limit_keeps_everything);
    tcase_add_test(tc, gone_since_keeps_the_first_time_until_seen);
    tcase_add_test(tc, entries_nobody_saw_since_open_are_marked_gone);
    tcase_add_test(tc, commit_moves_only_forward);
    tcase_add_test(tc,
                   truncation_starts_a_new_generation_and_drops_stale_commits);
    tcase_add_test(tc, adding_a_known_identity_returns_the_same_entry);
    tcase_add_test(tc, grown_file_is_found_by_its_first_bytes_after_a_restart);
    tcase_add_test(tc, gz_entry_is_found_by_its_inflated_first_bytes);
    tcase_add_test(tc, content_lookup_prefers_the_longest_fingerprint);
    tcase_add_test(tc, path_lookup_prefers_the_live_entry);
    tcase_add_test(tc, offset_check_detects_changed_or_missing_bytes);
    tcase_add_test(tc, commits_racing_saves_never_go_backwards_or_tear_a_file);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(registry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
