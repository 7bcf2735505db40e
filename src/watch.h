/*
 * "Something may have changed" notifications for the `file` input: inotify
 * watches on directories, turned into appeared / changed / gone / rescan
 * reports with full paths, or a polling mode that reports nothing (for NFS
 * and other file systems where inotify misses remote writes). Watching
 * directories is enough: inotify(7) reports events on the files inside a
 * watched directory through the directory's watch, with the file's name
 * (IN_MODIFY on an append included; checked by check_watch). Used by one
 * thread (the input thread that owns it); not thread-safe.
 *
 * The owner still rescans periodically: a report may be lost (queue
 * overflow, a directory that could not be watched) and is then replaced by
 * WATCH_RESCAN or by watch_polling_needed().
 */
#ifndef LOGSHIP_WATCH_H
#define LOGSHIP_WATCH_H

#include "errbuf.h"

#include <stdbool.h>
#include <stddef.h>

enum watch_kind {
    WATCH_CHANGED,  /* a file was written to, closed after writing, or had
                       its attributes changed (IN_MODIFY, IN_CLOSE_WRITE,
                       IN_ATTRIB) */
    WATCH_APPEARED, /* a name was created or moved in (IN_CREATE,
                       IN_MOVED_TO) */
    WATCH_GONE,     /* a name was deleted or moved out (IN_DELETE,
                       IN_MOVED_FROM) */
    WATCH_RESCAN,   /* reports were lost or the directory set changed: the
                       queue overflowed (path ""), a watched directory was
                       deleted, moved, unmounted or had its attributes
                       changed (its path; its watch is dropped), or a
                       subdirectory appeared, vanished or changed in a
                       watched directory (the subdirectory's path) */
};

struct watch;

/*
 * Makes a watcher: with use_inotify, an inotify instance (IN_NONBLOCK |
 * IN_CLOEXEC); without, polling mode. When the kernel refuses an inotify
 * instance because of a limit (EMFILE: fs.inotify.max_user_instances,
 * ENFILE, ENOMEM), logs a warning and returns a watcher in polling mode.
 * Returns NULL and fills err for any other failure.
 */
struct watch *watch_create(bool use_inotify, struct errbuf *err);
void watch_destroy(struct watch *w);

/* Returns the descriptor to poll(2) for readability, or -1 when polling. */
int watch_fd(const struct watch *w);

/*
 * Says whether the owner must scan every poll interval because watching
 * cannot be trusted to notice new files: polling mode, or a directory of
 * the current set could not be watched because of a kernel limit
 * (ENOSPC: fs.inotify.max_user_watches, or ENOMEM). Cleared by a
 * watch_set_dirs that watches every directory it is given.
 */
bool watch_polling_needed(const struct watch *w);

/* Returns how many directories are watched (0 in polling mode). */
size_t watch_count(const struct watch *w);

/*
 * Watches dir (a directory path, copied; the path reports are built
 * from). Returns 0 (also when already watched, and in polling mode),
 * -ENOSPC or -ENOMEM at a kernel limit (logged once per watcher; polling
 * is then needed), or another -errno without logging: -ENOENT, -ENOTDIR,
 * -EACCES for a directory that does not exist (yet) or cannot be watched.
 * The same directory reached by two paths (a symlink) is watched once and
 * reported under both paths.
 */
int watch_dir(struct watch *w, const char *dir);

/* Stops watching dir; returns 0, or -ENOENT when it was not watched. */
int watch_unwatch_dir(struct watch *w, const char *dir);

/*
 * Reconciles the watched directories to exactly dirs[0..n) (borrowed;
 * duplicates allowed): unwatches the others first, then watches the new
 * ones. Directories that cannot be watched are left out (and retried by
 * the next call); see watch_dir for which ones are logged. Does nothing in
 * polling mode.
 */
void watch_set_dirs(struct watch *w, const char *const *dirs, size_t n);

/*
 * Drains the inotify descriptor without blocking and calls cb once per
 * report, with the full path ("dir/name"; valid during the call only).
 * Consecutive identical reports are merged (an append's IN_MODIFY and
 * IN_CLOSE_WRITE give one WATCH_CHANGED). cb must not call back into w.
 * Returns the number of reports, 0 in polling mode, or -errno if reading
 * fails.
 */
int watch_read(struct watch *w,
               void (*cb)(void *arg, enum watch_kind kind, const char *path),
               void *arg);

#endif
