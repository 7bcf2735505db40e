/*
 * Test helpers. Everything here fails the running Check test on error
 * (ck_assert in the forked child), so a broken temp dir shows up as a
 * failed test with its cause, not as a confusing assertion later.
 */
#include "config.h"

#include "testutil.h"

#include "timeutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TESTUTIL_POLL_MS 1

char *
testutil_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    char *dir = xasprintf("%s/logship-test.XXXXXX", base);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    return dir;
}

/* Removes one entry; nftw calls it children first (FTW_DEPTH). */
static int
testutil_rmtree_entry(const char *path, const struct stat *st, int type,
                      struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = type == FTW_DP ? rmdir(path) : unlink(path);
    ck_assert_msg(rc == 0, "removing %s: %s", path, strerror(errno));
    return 0;
}

void
testutil_rmtree(const char *dir)
{
    int rc = nftw(dir, testutil_rmtree_entry, 16, FTW_DEPTH | FTW_PHYS);
    ck_assert_msg(rc == 0, "removing %s: %s", dir, strerror(errno));
}

char *
testutil_path(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* Writes all of data to path opened with flags. */
static void
testutil_write_all(const char *path, int flags, const void *data, size_t len)
{
    int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    ck_assert_int_eq(close(fd), 0);
}

void
testutil_write_file(const char *path, const void *data, size_t len)
{
    testutil_write_all(path, O_TRUNC, data, len);
}

void
testutil_append_file(const char *path, const void *data, size_t len)
{
    testutil_write_all(path, O_APPEND, data, len);
}

char *
testutil_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    size_t cap = 4096;
    size_t n = 0;
    char *data = xmalloc(cap);
    for (;;) {
        if (cap - n < 2) {
            cap *= 2;
            data = xrealloc(data, cap);
        }
        ssize_t r = read(fd, data + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        ck_assert_msg(r >= 0, "read %s: %s", path, strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    data[n] = '\0';
    *len = n;
    return data;
}

pid_t
testutil_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* Returns the state letter of thread tid ('R', 'S', ...), or 0. */
static char
testutil_thread_state(pid_t tid)
{
    char path[64];
    char line[512];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (got == NULL)
        return 0;
    /* "tid (comm) S ...": comm may hold spaces and parens, so take the last
     * ')'. */
    char *paren = strrchr(line, ')');
    if (paren == NULL || paren[1] != ' ')
        return 0;
    return paren[2];
}

bool
testutil_wait_blocked(pid_t tid, int timeout_ms)
{
    int64_t deadline = timeutil_mono_ms() + timeout_ms;
    for (;;) {
        if (testutil_thread_state(tid) == 'S')
            return true;
        if (timeutil_mono_ms() >= deadline)
            return false;
        timeutil_sleep_ms(TESTUTIL_POLL_MS);
    }
}
