/*
 * inotify on directories. Each watched directory is an entry (path, wd);
 * entries are kept in two arrays, sorted by path (for watch_dir and
 * watch_set_dirs) and by wd (to name the directory of an event). Two paths
 * to one directory share a wd, so an event is reported once per path.
 *
 * A watch we removed ourselves still delivers IN_IGNORED (and may have
 * events queued): events for a wd with no entry are dropped, so only
 * watches the kernel took away (directory deleted, moved or unmounted)
 * turn into WATCH_RESCAN. Wds are allocated cyclically by the kernel, so a
 * stale wd is not reused for a new directory soon. Single-threaded.
 */
#include "config.h"

#include "watch.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_WHO "watch"
#define WATCH_MASK                                                             \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |    \
     IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* Events that end a watch (IN_MOVE_SELF: we end it, its path is stale). */
#define WATCH_LOST_MASK                                                        \
    (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
/* One read(2) takes many events; one needs at most 16 + NAME_MAX + 1. */
#define WATCH_READ_BYTES 65536

struct watch_entry {
    char *dir; /* owned */
    int wd;
    bool keep; /* watch_set_dirs: in the new set */
};

struct watch {
    int fd;         /* owned: the inotify instance, or -1 when polling */
    bool limit_hit; /* a directory was refused for a kernel limit */
    bool limit_warned;
    struct watch_entry **by_dir; /* owned, each owned; sorted by dir */
    struct watch_entry **by_wd;  /* owned; entries borrowed; sorted by wd */
    size_t count;
    size_t cap;

    /* The last report of the current watch_read, to merge repeats. */
    bool have_last;
    enum watch_kind last_kind;
    char last_path[PATH_MAX + NAME_MAX + 2];
    char path[PATH_MAX + NAME_MAX + 2]; /* the report being built */
    char buf[WATCH_READ_BYTES];
};

struct watch *
watch_create(bool use_inotify, struct errbuf *err)
{
    struct watch *w = xcalloc(1, sizeof(*w));
    w->fd = -1;
    if (!use_inotify)
        return w;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd >= 0)
        return w;
    int e = errno;
    if (e == EMFILE || e == ENFILE || e == ENOMEM) {
        LOG_AT(LL_WARN, WATCH_WHO, e,
               "no inotify instance (fs.inotify.max_user_instances or the "
               "open file limit); polling for new files instead");
        return w;
    }
    char eb[128];
    errbuf_set(err, "inotify_init1: %s", log_strerror(e, eb, sizeof(eb)));
    free(w);
    return NULL;
}

void
watch_destroy(struct watch *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->count; i++) {
        free(w->by_dir[i]->dir);
        free(w->by_dir[i]);
    }
    free(w->by_dir);
    free(w->by_wd);
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}

int
watch_fd(const struct watch *w)
{
    return w->fd;
}

bool
watch_polling_needed(const struct watch *w)
{
    return w->fd < 0 || w->limit_hit;
}

size_t
watch_count(const struct watch *w)
{
    return w->count;
}

static int
watch_cmp_dir(const void *a, const void *b)
{
    const struct watch_entry *x = *(const struct watch_entry *const *)a;
    const struct watch_entry *y = *(const struct watch_entry *const *)b;
    return strcmp(x->dir, y->dir);
}

static int
watch_cmp_wd(const void *a, const void *b)
{
    const struct watch_entry *x = *(const struct watch_entry *const *)a;
    const struct watch_entry *y = *(const struct watch_entry *const *)b;
    return (x->wd > y->wd) - (x->wd < y->wd);
}

static int
watch_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the index of the first of by_dir[0..n) not below dir. */
static size_t
watch_lower_dir(const struct watch *w, size_t n, const char *dir)
{
    size_t lo = 0;
    while (lo < n) {
        size_t mid = lo + (n - lo) / 2;
        if (strcmp(w->by_dir[mid]->dir, dir) < 0)
            lo = mid + 1;
        else
            n = mid;
    }
    return lo;
}

/* Returns the index in by_dir of dir, or w->count. */
static size_t
watch_find_dir(const struct watch *w, const char *dir)
{
    size_t i = watch_lower_dir(w, w->count, dir);
    if (i < w->count && strcmp(w->by_dir[i]->dir, dir) == 0)
        return i;
    return w->count;
}

/* Returns the index of the first entry of by_wd with wd, or w->count. */
static size_t
watch_find_wd(const struct watch *w, int wd)
{
    size_t lo = 0;
    size_t n = w->count;
    while (lo < n) {
        size_t mid = lo + (n - lo) / 2;
        if (w->by_wd[mid]->wd < wd)
            lo = mid + 1;
        else
            n = mid;
    }
    return lo < w->count && w->by_wd[lo]->wd == wd ? lo : w->count;
}

/* Sorts by_dir and rebuilds by_wd from it, after entries changed. */
static void
watch_reindex(struct watch *w)
{
    if (w->count > 0) {
        qsort(w->by_dir, w->count, sizeof(*w->by_dir), watch_cmp_dir);
        memcpy(w->by_wd, w->by_dir, w->count * sizeof(*w->by_wd));
        qsort(w->by_wd, w->count, sizeof(*w->by_wd), watch_cmp_wd);
    }
}

/* Ends the kernel watch wd unless another entry still uses it. */
static void
watch_release(struct watch *w, int wd)
{
    if (watch_find_wd(w, wd) == w->count)
        inotify_rm_watch(w->fd, wd); /* EINVAL if the kernel ended it */
}

/*
 * Adds the kernel watch for dir and appends its entry to by_dir (unsorted:
 * the caller reindexes). Returns 0 or -errno; logs a limit once.
 */
static int
watch_add(struct watch *w, const char *dir)
{
    int wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
    if (wd < 0) {
        int e = errno;
        if (e == ENOSPC || e == ENOMEM) {
            w->limit_hit = true;
            if (!w->limit_warned) {
                w->limit_warned = true;
                LOG_AT(LL_WARN, WATCH_WHO, e,
                       "cannot watch %s (fs.inotify.max_user_watches); "
                       "polling for new files instead",
                       dir);
            }
        }
        return -e;
    }
    if (w->count == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->by_dir = xrealloc(w->by_dir, w->cap * sizeof(*w->by_dir));
        w->by_wd = xrealloc(w->by_wd, w->cap * sizeof(*w->by_wd));
    }
    struct watch_entry *e = xcalloc(1, sizeof(*e));
    e->dir = xstrdup(dir);
    e->wd = wd;
    w->by_dir[w->count++] = e;
    return 0;
}

int
watch_dir(struct watch *w, const char *dir)
{
    if (w->fd < 0 || watch_find_dir(w, dir) < w->count)
        return 0;
    int rc = watch_add(w, dir);
    if (rc == 0)
        watch_reindex(w);
    return rc;
}

/*
 * Removes the entries whose keep flag equals keep, then ends the kernel
 * watches that no remaining entry uses.
 */
static void
watch_remove_marked(struct watch *w, bool keep)
{
    size_t n = 0;
    size_t nremoved = 0;
    for (size_t i = 0; i < w->count; i++) {
        if (w->by_dir[i]->keep == keep)
            w->by_wd[nremoved++] = w->by_dir[i]; /* by_wd as scratch */
        else
            w->by_dir[n++] = w->by_dir[i];
    }
    w->count = n;
    if (nremoved == 0)
        return;
    struct watch_entry **removed = xmalloc(nremoved * sizeof(*removed));
    memcpy(removed, w->by_wd, nremoved * sizeof(*removed));
    watch_reindex(w);
    for (size_t i = 0; i < nremoved; i++) {
        watch_release(w, removed[i]->wd);
        free(removed[i]->dir);
        free(removed[i]);
    }
    free(removed);
}

int
watch_unwatch_dir(struct watch *w, const char *dir)
{
    size_t i = watch_find_dir(w, dir);
    if (i == w->count)
        return -ENOENT;
    for (size_t j = 0; j < w->count; j++)
        w->by_dir[j]->keep = j == i;
    watch_remove_marked(w, true);
    return 0;
}

void
watch_set_dirs(struct watch *w, const char *const *dirs, size_t n)
{
    if (w->fd < 0)
        return;
    const char **want = xmalloc((n + 1) * sizeof(*want));
    if (n > 0) {
        memcpy(want, dirs, n * sizeof(*want));
        qsort(want, n, sizeof(*want), watch_cmp_str);
    }
    for (size_t i = 0; i < w->count; i++)
        w->by_dir[i]->keep = false;
    for (size_t j = 0; j < n; j++) {
        size_t i = watch_find_dir(w, want[j]);
        if (i < w->count)
            w->by_dir[i]->keep = true;
    }
    watch_remove_marked(w, false); /* first: frees watches at the limit */
    w->limit_hit = false;
    size_t sorted = w->count;
    for (size_t j = 0; j < n; j++) {
        bool repeat = j > 0 && strcmp(want[j - 1], want[j]) == 0;
        size_t i = watch_lower_dir(w, sorted, want[j]);
        bool have = i < sorted && strcmp(w->by_dir[i]->dir, want[j]) == 0;
        if (!repeat && !have)
            watch_add(w, want[j]);
    }
    watch_reindex(w);
    free(want);
}

/*
 * Calls cb for dir/name (just dir when name is empty) unless it repeats
 * the previous report. Returns 1 if reported, else 0.
 */
static int
watch_report(struct watch *w, enum watch_kind kind, const char *dir,
             const char *name,
             void (*cb)(void *arg, enum watch_kind kind, const char *path),
             void *arg)
{
    size_t dlen = strlen(dir);
    const char *sep =
        name[0] == '\0' || (dlen > 0 && dir[dlen - 1] == '/') ? "" : "/";
    snprintf(w->path, sizeof(w->path), "%s%s%s", dir, sep, name);
    if (w->have_last && w->last_kind == kind &&
        strcmp(w->last_path, w->path) == 0)
        return 0;
    w->have_last = true;
    w->last_kind = kind;
    memcpy(w->last_path, w->path, sizeof(w->path));
    cb(arg, kind, w->path);
    return 1;
}

/*
 * The watch wd ended or its path went stale: reports WATCH_RESCAN for each
 * path it had and drops them (ending the kernel watch if end_it).
 */
static int
watch_lost(struct watch *w, int wd, bool end_it,
           void (*cb)(void *arg, enum watch_kind kind, const char *path),
           void *arg)
{
    int reported = 0;
    for (size_t i = 0; i < w->count; i++) {
        struct watch_entry *e = w->by_dir[i];
        e->keep = e->wd == wd;
        if (e->keep)
            reported += watch_report(w, WATCH_RESCAN, e->dir, "", cb, arg);
    }
    if (end_it)
        inotify_rm_watch(w->fd, wd);
    watch_remove_marked(w, true);
    return reported;
}

/* Turns one event into reports; returns how many. */
static int
watch_event(struct watch *w, const struct inotify_event *ev, const char *name,
            void (*cb)(void *arg, enum watch_kind kind, const char *path),
            void *arg)
{
    if (ev->mask & IN_Q_OVERFLOW)
        return watch_report(w, WATCH_RESCAN, "", "", cb, arg);
    size_t i = watch_find_wd(w, ev->wd);
    if (i == w->count)
        return 0; /* a watch we ended: its IN_IGNORED or late events */
    if (ev->mask & WATCH_LOST_MASK)
        return watch_lost(w, ev->wd, (ev->mask & IN_MOVE_SELF) != 0, cb, arg);
    enum watch_kind kind;
    if (name[0] == '\0' || (ev->mask & IN_ISDIR))
        kind = WATCH_RESCAN; /* the directory itself, or a subdirectory */
    else if (ev->mask & (IN_CREATE | IN_MOVED_TO))
        kind = WATCH_APPEARED;
    else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
        kind = WATCH_GONE;
    else
        kind = WATCH_CHANGED;
    int reported = 0;
    for (; i < w->count && w->by_wd[i]->wd == ev->wd; i++)
        reported += watch_report(w, kind, w->by_wd[i]->dir, name, cb, arg);
    return reported;
}

int
watch_read(struct watch *w,
           void (*cb)(void *arg, enum watch_kind kind, const char *path),
           void *arg)
{
    if (w->fd < 0)
        return 0;
    int reported = 0;
    w->have_last = false;
    for (;;) {
        ssize_t n = read(w->fd, w->buf, sizeof(w->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return reported;
        if (n < 0)
            return -errno;
        size_t off = 0;
        struct inotify_event ev;
        while (off + sizeof(ev) <= (size_t)n) {
            memcpy(&ev, w->buf + off, sizeof(ev)); /* buf is not aligned */
            const char *name = ev.len > 0 ? w->buf + off + sizeof(ev) : "";
            off += sizeof(ev) + ev.len;
            reported += watch_event(w, &ev, name, cb, arg);
        }
    }
}
