/*
 * File discovery for the `file` input: path patterns with `*`, `?`, `[...]`
 * per segment and `**` for any number of directories, minus excludes. A
 * scan walks from each pattern's static prefix directory and descends only
 * where the pattern can still match; globwalk_dirs() then says which
 * directories a watcher must watch to notice new matching files. Used by
 * one thread (the input thread that owns it); not thread-safe.
 *
 * Patterns:
 * - Relative patterns are made absolute against the current directory at
 *   create time, so every path reported is absolute. Empty and "."
 *   segments are dropped ("/a//./b" is "/a/b"); ".." is kept literally
 *   in the static prefix and never matches after it.
 * - Each segment is matched with fnmatch(3) (FNM_PATHNAME | FNM_PERIOD):
 *   `*` never matches a leading dot, so dotfiles need an explicit `.*`.
 * - `**` must be a whole segment (`a**b` is an error). It matches zero or
 *   more directories, none of whose names starts with a dot; a trailing
 *   `**` matches every file below its directory.
 * - Only regular files are reported (symlinks to regular files are
 *   followed; the reported path is the link's). Symlinks to directories
 *   are followed when a literal or glob segment matches them, never by the
 *   `**` self-repetition, and a directory whose device and inode equal one
 *   of its ancestors' is not entered: symlink and bind-mount loops end.
 *
 * Excludes are matched against the full path of a candidate file:
 * - without `/`: against its base name (`*.gz` excludes every .gz file);
 * - starting with `/`: against the whole path (FNM_PATHNAME per segment,
 *   `**` as above but also matching dot directories);
 * - relative with `/` ("archive/app*.log"): as if preceded by a `**`
 *   segment, i.e. against the trailing segments of the path at any depth.
 * Excludes never use FNM_PERIOD (`*.gz` also excludes ".x.gz"). A path
 * exclude ending in `**` prunes the walk: the directories it covers are
 * neither entered nor listed by globwalk_dirs().
 */
#ifndef LOGSHIP_GLOBWALK_H
#define LOGSHIP_GLOBWALK_H

#include "errbuf.h"
#include "options.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* globwalk_dirs() lists at most this many directories (per scan). */
#define GLOBWALK_MAX_DIRS 4096

struct globwalk;

/*
 * Compiles patterns and excludes (both borrowed; copied). Returns NULL and
 * fills err, naming the pattern, when one is empty, has `**` inside a
 * segment, has more than 63 segments from its first glob on, or when a
 * relative pattern cannot be resolved because getcwd() fails.
 */
struct globwalk *globwalk_create(const struct strlist *patterns,
                                 const struct strlist *excludes,
                                 struct errbuf *err);
void globwalk_destroy(struct globwalk *g);

/*
 * Walks the file system and calls found once for each regular file that
 * matches a pattern and no exclude, with stat(2) of it (symlinks followed).
 * path and st are valid during the call only; found must not call back
 * into g. A missing prefix directory is normal (files may appear later)
 * and reports nothing; a directory that exists but cannot be read is
 * skipped, with one warning per directory for the life of g. Returns the
 * number of files reported (never negative).
 */
int globwalk_scan(struct globwalk *g,
                  void (*found)(void *arg, const char *path,
                                const struct stat *st),
                  void *arg);

/*
 * Points *dirs at the directories to watch so that new matching files are
 * noticed, and returns how many there are: every pattern's prefix
 * directory (listed even when missing), then each directory the last scan
 * entered, at most GLOBWALK_MAX_DIRS in all (one warning when more were
 * entered). Before the first scan, the prefix directories only. The array
 * and strings stay valid until the next globwalk_scan or globwalk_destroy.
 */
size_t globwalk_dirs(struct globwalk *g, const char ***dirs);

/*
 * Says whether path (absolute, as a watcher reports it) matches a pattern
 * and no exclude. Purely lexical: nothing is stat'ed, so a name reached
 * through a symlinked directory under `**` matches here although a scan
 * would not enter that directory. Relative paths never match.
 */
bool globwalk_match(const struct globwalk *g, const char *path);

#endif
