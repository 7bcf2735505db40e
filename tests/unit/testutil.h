/*
 * Helpers shared by the Check runners: temp dirs, writing and reading
 * files, and waiting (without timing assertions) until a thread sleeps in
 * a blocking call. They fail the current test on any error, so callers
 * never check results. Call them from the test's own process only.
 */
#ifndef LOGSHIP_TESTUTIL_H
#define LOGSHIP_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Makes a fresh directory under $TMPDIR (or /tmp); the caller frees it. */
char *testutil_tempdir(void);
/* Removes dir and everything below it, without following symlinks. */
void testutil_rmtree(const char *dir);
/* Returns "dir/name"; the caller frees it. */
char *testutil_path(const char *dir, const char *name);

/* Creates or truncates path and writes len bytes of data to it. */
void testutil_write_file(const char *path, const void *data, size_t len);
/* Appends len bytes of data to path, creating it if needed. */
void testutil_append_file(const char *path, const void *data, size_t len);
/*
 * Returns the whole content of path, NUL-terminated (the NUL is not
 * counted in *len); the caller frees it.
 */
char *testutil_read_file(const char *path, size_t *len);

/* The calling thread's kernel id, for testutil_wait_blocked(). */
pid_t testutil_gettid(void);
/*
 * Waits up to timeout_ms until thread tid of this process is asleep (in a
 * futex, poll or read). Returns false if it never was: tests use this only
 * to make the interesting interleaving likely, never as an assertion.
 */
bool testutil_wait_blocked(pid_t tid, int timeout_ms);

#endif
