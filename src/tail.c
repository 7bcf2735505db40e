/*
 * The file tail. One tail per `file` input, run on that input's thread.
 *
 * Files are known by identity (fileid.h), not by path: a scan (globwalk,
 * every scan_interval and when inotify says a directory changed) maps
 * paths to identities. A known identity at a new path was renamed; a path
 * whose identity changed had its old file rotated away, and the old file
 * is read to its end before it is closed. A file shorter than what was
 * read was truncated (copytruncate): its registry entry gets a new
 * generation and reading starts again at 0.
 *
 * Each open file has a harvester and a source (whose acktrack collects the
 * acknowledgements). Offsets reach the registry only from
 * acktrack_committed(), every registry.flush_interval: never ahead of what
 * the output acknowledged. A source outlives its file's reading (a retired
 * source) until every event of it is acknowledged.
 */
#include "config.h"

#include "tail.h"

#include "fileid.h"
#include "globwalk.h"
#include "harvester.h"
#include "log.h"
#include "metrics.h"
#include "multiline.h"
#include "pipeline_int.h"
#include "registry.h"
#include "source.h"
#include "timeutil.h"
#include "watch.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tailfile {
    char *path;                 /* owned: where it was last seen */
    struct registry_entry *reg; /* held: its registry entry */
    struct source *src;         /* owned: the current life's source */
    struct harvester h;         /* valid while fd >= 0 */
    int fd;                     /* -1 when closed */
    bool gz;
    bool dirty;           /* may have unread bytes */
    bool gone;            /* no longer at its path (rotated away or deleted) */
    bool seen;            /* found by the current scan */
    bool at_eof;          /* the last read found nothing more */
    bool initial;         /* found by the first scan (read_from applies) */
    bool failed;          /* could not be opened or read */
    int64_t last_data_ms; /* monotonic: the last read that returned bytes */
    uint64_t size_total;  /* its size when last seen */
    uint64_t gz_pos;      /* compressed bytes consumed so far (progress) */
    uint64_t ino;         /* of the open file */
    uint64_t resume_offset; /* where reading stopped when we closed it */
    uint64_t resume_ino;    /* the inode resume_offset belongs to */
};

/* A source whose reading ended, waiting for its last acknowledgements. */
struct retired {
    struct source *src;         /* owned */
    struct registry_entry *reg; /* held if holds, else borrowed from a file */
    bool holds;
};

#define TAIL_CHUNK_WAIT_MS 50

struct tail {
    struct input *in;        /* borrowed */
    struct pipeline *p;      /* borrowed */
    struct registry *reg;    /* borrowed: the pipeline's */
    struct globwalk *globs;  /* owned */
    struct watch *watch;     /* owned */
    struct multiline *ml;    /* owned, or NULL */
    struct tailfile **files; /* owned */
    size_t nfiles;
    size_t nopen;
    struct retired *retired; /* owned */
    size_t nretired;
    bool first_scan_done;
    bool rescan; /* the watch asked for a scan */
    int64_t next_scan_ms;
    int64_t next_poll_ms;
    int64_t next_commit_ms;
    size_t rr;    /* round-robin position for reading */
    bool final;   /* backfill: read partial last lines at EOF */
    bool resume;  /* backfill: start from the registry */
    bool starved; /* the last read found no free chunk */
    atomic_uint_fast64_t progress_done;
    atomic_uint_fast64_t progress_total;
};

static const struct input_conf *
tail_conf(const struct tail *t)
{
    return t->in->conf;
}

struct tail *
tail_create(struct input *in, struct errbuf *err)
{
    const struct input_conf *ic = in->conf;
    struct tail *t = xcalloc(1, sizeof(*t));
    t->in = in;
    t->p = in->p;
    t->reg = in->p->registry;
    if (ic->paths.count > 0) {
        t->globs = globwalk_create(&ic->paths, &ic->exclude, err);
        if (t->globs == NULL)
            goto fail;
    }
    if (ic->multiline.start != NULL || ic->multiline.continuation != NULL) {
        t->ml = multiline_create(&ic->multiline, err);
        if (t->ml == NULL)
            goto fail;
    }
    return t;
fail:
    tail_destroy(t);
    return NULL;
}

/* Hashes the bytes before offset, for the registry (plain files only). */
static void
tail_check(const struct tailfile *f, uint64_t offset,
           struct registry_check *check)
{
    memset(check, 0, sizeof(*check));
    if (f != NULL && f->fd >= 0 && !f->gz)
        registry_check_bytes(f->fd, offset, check);
}

/* Saves what src's acktrack committed into its registry entry. */
static void
tail_commit_source(struct tail *t, struct source *src, struct registry_entry *e,
                   const struct tailfile *f)
{
    uint64_t off = acktrack_committed(src->acks);
    struct registry_check check;
    tail_check(f, off, &check);
    int rc = registry_commit(t->reg, e, src->id.generation, off,
                             check.len ? &check : NULL);
    if (rc < 0 && rc != -ESTALE && rc != -ERANGE)
        log_errno(tail_conf(t)->name, rc, "registry commit");
}

/*
 * Moves f's source to the retired list (this life of the file was read to
 * its end). With give_hold, f's registry hold goes with it (f is freed).
 */
static void
tail_retire(struct tail *t, struct tailfile *f, bool give_hold)
{
    if (f->src == NULL) {
        if (give_hold) {
            registry_release(t->reg, f->reg);
            f->reg = NULL;
        }
        return;
    }
    t->retired = xrealloc(t->retired, (t->nretired + 1) * sizeof(*t->retired));
    t->retired[t->nretired++] = (struct retired){f->src, f->reg, give_hold};
    f->src = NULL;
    if (give_hold)
        f->reg = NULL;
}

/* Commits every source; frees retired ones that are fully acknowledged. */
static void
tail_commit_all(struct tail *t)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        if (f->src != NULL)
            tail_commit_source(t, f->src, f->reg, f);
    }
    size_t kept = 0;
    for (size_t i = 0; i < t->nretired; i++) {
        struct retired *r = &t->retired[i];
        bool idle = acktrack_idle(r->src->acks);
        tail_commit_source(t, r->src, r->reg, NULL);
        if (idle) {
            source_destroy(r->src);
            if (r->holds)
                registry_release(t->reg, r->reg);
        } else
            t->retired[kept++] = *r;
    }
    t->nretired = kept;
}

static void
tail_close_fd(struct tail *t, struct tailfile *f)
{
    if (f->fd < 0)
        return;
    /* Reopened later, it goes on from here, not from the registry's
     * offset, which lags what was read but is not yet acknowledged. */
    f->resume_offset = harvester_done_offset(&f->h);
    f->resume_ino = f->h.gz ? 0 : f->ino;
    harvester_fini(&f->h);
    close(f->fd);
    f->fd = -1;
    t->nopen--;
}

/* Forgets f: its source waits in the retired list for its last acks. */
static void
tail_file_free(struct tail *t, struct tailfile *f)
{
    if (f->gone && f->reg != NULL) /* pruned after registry.prune_after */
        registry_mark_gone(t->reg, f->reg, time(NULL));
    tail_retire(t, f, true);
    tail_close_fd(t, f);
    free(f->path);
    free(f);
}

void
tail_destroy(struct tail *t)
{
    if (t == NULL)
        return;
    /* The pipeline has drained: commit everything it acknowledged. */
    tail_commit_all(t);
    for (size_t i = 0; i < t->nfiles; i++)
        tail_file_free(t, t->files[i]);
    t->nfiles = 0;
    tail_commit_all(t);
    for (size_t i = 0; i < t->nretired; i++) {
        source_destroy(t->retired[i].src);
        if (t->retired[i].holds)
            registry_release(t->reg, t->retired[i].reg);
    }
    free(t->retired);
    free(t->files);
    globwalk_destroy(t->globs);
    watch_destroy(t->watch);
    multiline_destroy(t->ml);
    free(t);
}

/* Reads the first bytes of a gzip file's uncompressed stream. */
static ssize_t
tail_gz_head(int fd, char *out, size_t n)
{
    int dupfd = dup(fd);
    if (dupfd < 0)
        return -errno;
    gzFile gz = gzdopen(dupfd, "rb");
    if (gz == NULL) {
        close(dupfd);
        return -ENOMEM;
    }
    int got = gzread(gz, out, (unsigned)n);
    gzclose(gz);
    return got < 0 ? -EBADMSG : got;
}

/* True when fd starts with the gzip magic bytes (by content, not name). */
static bool
tail_is_gzip(int fd)
{
    unsigned char magic[2];
    return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/*
 * Finds or makes f's registry entry and the offset to start at: the
 * committed offset if the bytes before it are unchanged, else 0 under a
 * new generation. start_at_end: a file not in the registry starts at its
 * end (read_from: tail on the first start).
 */
static int
tail_resolve(struct tail *t, struct tailfile *f, const struct stat *st,
             bool use_registry, bool start_at_end, struct fileid *id,
             uint64_t *offset)
{
    char head[FILEID_FP_BYTES];
    ssize_t n = 0;
    int rc = 0;
    if (f->gz) {
        n = tail_gz_head(f->fd, head, sizeof(head));
        if (n < 0)
            return (int)n;
        f->reg = registry_find_bytes(t->reg, (uint64_t)st->st_dev,
                                     (uint64_t)st->st_ino, head, (size_t)n);
        fileid_of_bytes((uint64_t)st->st_dev, (uint64_t)st->st_ino, head,
                        (size_t)n, id);
    } else {
        rc = registry_find_fd(t->reg, f->fd, st, &f->reg);
        if (rc == 0)
            rc = fileid_of(f->fd, st, id);
        if (rc < 0)
            return rc;
    }
    *offset = 0;
    if (f->reg == NULL) {
        f->reg = registry_add(t->reg, id, f->path, f->gz);
        if (start_at_end && !f->gz)
            *offset = (uint64_t)st->st_size;
        if (*offset > 0)
            registry_commit(t->reg, f->reg, id->generation, *offset, NULL);
        return 0;
    }
    struct registry_info info;
    registry_entry_info(t->reg, f->reg, &info);
    *id = info.id;
    registry_set_path(t->reg, f->reg, f->path);
    registry_mark_seen(t->reg, f->reg);
    if (!use_registry)
        return 0;
    bool same = true;
    if (!f->gz)
        rc = registry_check_matches(f->fd, info.offset, &info.check, &same);
    if (rc == 0 && same) {
        *offset = info.offset;
        return 0;
    }
    /* Shorter than what we read, or rewritten: a new life from 0. */
    registry_reset(t->reg, f->reg, id);
    return 0;
}

/* Opens f at its path; false when it cannot be (gone, unreadable). */
static bool
tail_open(struct tail *t, struct tailfile *f, bool use_registry,
          bool start_at_end)
{
    const struct input_conf *ic = tail_conf(t);
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            log_errno(ic->name, errno, "%s", f->path);
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    f->fd = fd;
    f->gz = tail_is_gzip(fd);
    struct fileid id;
    uint64_t offset = 0;
    struct registry_entry *held = f->reg;
    f->reg = NULL;
    int rc = tail_resolve(t, f, &st, use_registry, start_at_end, &id, &offset);
    registry_release(t->reg, held);
    if (rc < 0) {
        log_errno(ic->name, rc, "%s", f->path);
        close(fd);
        f->fd = -1;
        return false;
    }
    if (!f->gz && lseek(fd, (off_t)offset, SEEK_SET) < 0)
        offset = 0;
    t->nopen++;
    const struct service_conf *svc = &t->p->conf->service;
    harvester_init(&f->h, fd, offset, svc->read_bytes, ic->max_line_bytes,
                   t->ml);
    if (f->gz && harvester_use_gzip(&f->h) < 0) {
        log_error(ic->name, "%s: cannot read as gzip", f->path);
        tail_close_fd(t, f);
        return false;
    }
    bool same_life = f->src != NULL && f->src->id.generation == id.generation;
    if (same_life && f->resume_ino == (uint64_t)st.st_ino &&
        f->resume_offset > offset && !f->gz) {
        offset = f->resume_offset; /* closed by us; resume where we were */
        lseek(fd, (off_t)offset, SEEK_SET);
        f->h.read_offset = f->h.line_offset = offset;
    }
    f->ino = (uint64_t)st.st_ino;
    if (!same_life || acktrack_committed(f->src->acks) > offset) {
        tail_retire(t, f, false);
        f->src = source_create(t->in, f->path, offset);
        f->src->id = id;
    }
    f->dirty = true;
    f->at_eof = false;
    f->last_data_ms = timeutil_mono_ms();
    char idtext[FILEID_FORMAT_LEN];
    fileid_format(&id, idtext, sizeof(idtext));
    LOG_AT(t->final ? LL_DEBUG : LL_INFO, ic->name, 0,
           "%s: reading from offset %llu (%s%s)", f->path,
           (unsigned long long)offset, idtext, f->gz ? ", gzip" : "");
    return true;
}

static struct tailfile *
tail_add(struct tail *t, const char *path)
{
    struct tailfile *f = xcalloc(1, sizeof(*f));
    f->path = xstrdup(path);
    f->fd = -1;
    t->files = xrealloc(t->files, (t->nfiles + 1) * sizeof(*t->files));
    t->files[t->nfiles++] = f;
    return f;
}

static struct tailfile *
tail_find_path(struct tail *t, const char *path)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        if (!t->files[i]->gone && strcmp(t->files[i]->path, path) == 0)
            return t->files[i];
    }
    return NULL;
}

/* The open file with this device and inode, if any. */
static struct tailfile *
tail_find_inode(struct tail *t, const struct stat *st)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        struct stat fst;
        if (f->fd >= 0 && fstat(f->fd, &fst) == 0 && fst.st_dev == st->st_dev &&
            fst.st_ino == st->st_ino)
            return f;
    }
    return NULL;
}

static void
tail_set_path(struct tail *t, struct tailfile *f, const char *path)
{
    log_info(tail_conf(t)->name, "%s: renamed to %s", f->path, path);
    free(f->path);
    f->path = xstrdup(path);
    if (f->src != NULL) {
        /* Events already read keep the old path; later ones the new. */
        tail_retire(t, f, false);
        uint64_t off = harvester_done_offset(&f->h);
        f->src = source_create(t->in, f->path, off);
        struct registry_info info;
        registry_entry_info(t->reg, f->reg, &info);
        f->src->id = info.id;
        /* The old source's range ends where the new one starts. */
    }
    registry_set_path(t->reg, f->reg, path);
    f->gone = false;
}

/* A scan found path (a regular file, stat'ed as st). */
static void
tail_found(void *arg, const char *path, const struct stat *st)
{
    struct tail *t = arg;
    struct tailfile *f = tail_find_inode(t, st);
    if (f != NULL) {
        if (strcmp(f->path, path) != 0) {
            struct tailfile *at = tail_find_path(t, path);
            if (at != NULL && at != f)
                at->gone = true; /* the file that was there rotated away */
            tail_set_path(t, f, path);
        }
        f->seen = true;
        f->gone = false;
        return;
    }
    f = tail_find_path(t, path);
    if (f != NULL && f->fd >= 0) {
        f->gone = true; /* another inode at its path: it rotated away */
        f = NULL;
    }
    if (f == NULL) {
        f = tail_add(t, path);
        f->dirty = true; /* to be opened */
        f->size_total = (uint64_t)st->st_size;
        f->initial = !t->first_scan_done;
        /* Open it now if we may: holding the fd, a rename before its first
         * read cannot hide it from us. */
        size_t max_open = (size_t)tail_conf(t)->max_open_files;
        if (!t->final && t->nopen < max_open) {
            bool at_end =
                f->initial && tail_conf(t)->read_from == READ_FROM_TAIL;
            if (!tail_open(t, f, true, at_end)) {
                f->dirty = false;
                f->failed = true;
            }
        }
    }
    f->seen = true;
    if (f->fd < 0 && (uint64_t)st->st_size != f->size_total) {
        f->dirty = true; /* a closed file that changed */
        f->size_total = (uint64_t)st->st_size;
    }
}

/* Frees files that are gone, read to their end, quiet and closed. */
static void
tail_forget_gone(struct tail *t)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        if (f->gone && f->fd < 0 && !f->dirty)
            tail_file_free(t, f);
        else
            t->files[kept++] = f;
    }
    t->nfiles = kept;
}

/* Looks for files; notices renames, rotations and deletions. */
static void
tail_scan(struct tail *t)
{
    for (size_t i = 0; i < t->nfiles; i++)
        t->files[i]->seen = false;
    globwalk_scan(t->globs, tail_found, t);
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        if (!f->seen)
            f->gone = true; /* deleted, or renamed out of our globs */
        if (f->gone && f->fd < 0)
            f->dirty = false; /* nothing more will be read from it */
    }
    if (!t->first_scan_done) {
        registry_mark_unseen_gone(t->reg, time(NULL));
        t->first_scan_done = true;
    }
    if (t->watch != NULL) {
        const char **dirs;
        size_t n = globwalk_dirs(t->globs, &dirs);
        watch_set_dirs(t->watch, dirs, n);
    }
    tail_forget_gone(t);
}

/* Checks an open file for truncation; restarts it from 0 if so. */
static void
tail_check_truncation(struct tail *t, struct tailfile *f)
{
    struct stat st;
    if (f->gz || f->fd < 0 || fstat(f->fd, &st) < 0)
        return;
    if ((uint64_t)st.st_size >= f->h.read_offset)
        return;
    log_info(tail_conf(t)->name,
             "%s: truncated (size %lld < offset %llu); "
             "reading again from the start",
             f->path, (long long)st.st_size,
             (unsigned long long)f->h.read_offset);
    struct fileid id;
    if (fileid_of(f->fd, &st, &id) < 0)
        return;
    registry_reset(t->reg, f->reg, &id);
    tail_retire(t, f, false);
    harvester_fini(&f->h);
    lseek(f->fd, 0, SEEK_SET);
    const struct service_conf *svc = &t->p->conf->service;
    harvester_init(&f->h, f->fd, 0, svc->read_bytes,
                   tail_conf(t)->max_line_bytes, t->ml);
    f->src = source_create(t->in, f->path, 0);
    f->src->id = id;
    f->dirty = true;
}

/*
 * Reads one chunk from f and hands it out; returns bytes read. When no
 * chunk frees up within TAIL_CHUNK_WAIT_MS (the workers are behind), it
 * returns at once so that the loop goes on scanning: a file created and
 * rotated away meanwhile is still found and opened.
 */
static uint64_t
tail_read(struct tail *t, struct tailfile *f)
{
    struct chunk *c = chunk_pool_get(t->p->chunks, TAIL_CHUNK_WAIT_MS);
    if (c == NULL) {
        t->starved = true;
        return 0;
    }
    uint64_t before = f->h.read_offset;
    bool final = t->final || f->gz; /* archives do not grow */
    int rc = harvester_fill(&f->h, c, final);
    uint64_t got = f->h.read_offset - before;
    input_emit(t->in, f->src, c, harvester_done_offset(&f->h), got);
    uint64_t consumed = got;
    if (f->gz) { /* progress counts the compressed bytes */
        uint64_t pos = (uint64_t)gzoffset(f->h.gz);
        consumed = pos > f->gz_pos ? pos - f->gz_pos : 0;
        f->gz_pos = pos;
    }
    atomic_fetch_add(&t->progress_done, consumed);
    if (rc < 0) {
        log_errno(tail_conf(t)->name, rc, "reading %s", f->path);
        f->dirty = false;
        f->gone = true;
        f->failed = true; /* counted as unreadable by backfill */
        return got;
    }
    if (got > 0)
        f->last_data_ms = timeutil_mono_ms();
    if (rc == HARVESTER_EOF) {
        f->dirty = false;
        f->at_eof = true;
        tail_check_truncation(t, f);
    }
    return got;
}

/* Closes an open file that is at its end with nothing pending, to make
 * room under max_open_files. Returns false when none can be closed. */
static bool
tail_make_room(struct tail *t)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        if (f->fd >= 0 && f->at_eof && !f->dirty && !harvester_pending(&f->h)) {
            tail_close_fd(t, f);
            return true;
        }
    }
    return false;
}

/* Reads one chunk from each file that may have data, in turns. */
static bool
tail_read_round(struct tail *t, size_t max_open)
{
    bool progressed = false;
    size_t n = t->nfiles;
    for (size_t k = 0; k < n && !atomic_load(&t->p->stopping); k++) {
        struct tailfile *f = t->files[(t->rr + k) % n];
        if (!f->dirty)
            continue;
        if (f->fd < 0) {
            if (f->gone) {
                f->dirty = false;
                continue;
            }
            if (t->nopen >= max_open && !tail_make_room(t))
                continue;
            bool at_end = f->initial &&
                          tail_conf(t)->read_from == READ_FROM_TAIL &&
                          !t->final;
            if (!tail_open(t, f, !t->final || t->resume, at_end)) {
                f->dirty = false;
                f->failed = true;
                continue;
            }
        }
        tail_read(t, f);
        progressed = !t->starved;
    }
    if (n > 0)
        t->rr = (t->rr + 1) % n;
    return progressed;
}

/* Sends what a quiet file holds back: a multiline event, a partial line. */
static void
tail_flush_pending(struct tail *t, struct tailfile *f, int64_t quiet_ms)
{
    const struct input_conf *ic = tail_conf(t);
    bool group = f->h.group_lines > 0 && t->ml != NULL &&
                 quiet_ms >= multiline_timeout_ms(t->ml);
    bool partial = quiet_ms >= ic->line_timeout_ms;
    if (!group && !partial)
        return;
    struct chunk *c = input_get_chunk(t->in);
    if (c == NULL)
        return;
    harvester_flush(&f->h, c, partial);
    input_emit(t->in, f->src, c, harvester_done_offset(&f->h), 0);
}

/* Flushes quiet files, closes rotated and inactive ones. */
static void
tail_timers(struct tail *t, int64_t now)
{
    const struct input_conf *ic = tail_conf(t);
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        if (f->fd < 0 || !f->at_eof || f->dirty)
            continue;
        int64_t quiet = now - f->last_data_ms;
        if (harvester_pending(&f->h))
            tail_flush_pending(t, f, quiet);
        if (harvester_pending(&f->h))
            continue;
        struct stat st;
        if (f->gone && !f->gz && fstat(f->fd, &st) == 0 &&
            (uint64_t)st.st_size > f->h.read_offset) {
            f->dirty = true; /* written to after it was rotated: read on */
            continue;
        }
        if (f->gone && quiet >= ic->rotate_wait_ms) {
            log_info(ic->name,
                     "%s: rotated away and read to its end; "
                     "closing",
                     f->path);
            tail_close_fd(t, f);
            tail_retire(t, f, false);
        } else if (quiet >= ic->close_inactive_ms) {
            log_debug(ic->name, "%s: inactive; closing", f->path);
            tail_close_fd(t, f);
        }
    }
}

/* Every poll interval: open files that grew, or were deleted, or cut. */
static void
tail_poll_sizes(struct tail *t)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        struct tailfile *f = t->files[i];
        struct stat st;
        if (f->fd < 0 || f->gz || fstat(f->fd, &st) < 0)
            continue;
        if (st.st_nlink == 0)
            f->gone = true; /* deleted: read to its end, then close */
        if ((uint64_t)st.st_size != f->h.read_offset)
            f->dirty = true; /* grew (or was truncated: tail_read sees it) */
    }
}

static void
tail_watch_event(void *arg, enum watch_kind kind, const char *path)
{
    struct tail *t = arg;
    switch (kind) {
    case WATCH_CHANGED: {
        struct tailfile *f = tail_find_path(t, path);
        if (f != NULL)
            f->dirty = true;
        else if (globwalk_match(t->globs, path))
            t->rescan = true;
        break;
    }
    case WATCH_APPEARED:
    case WATCH_GONE:
    case WATCH_RESCAN:
        t->rescan = true;
        break;
    }
}

/* Commits acknowledged offsets and saves the registry when it changed. */
static void
tail_save(struct tail *t)
{
    tail_commit_all(t);
    registry_prune(t->reg, time(NULL));
    if (registry_dirty(t->reg))
        registry_save(t->reg);
}

/* Sleeps until the watch or the stop fd is readable, or timeout_ms. */
static void
tail_wait(struct tail *t, int64_t timeout_ms)
{
    struct pollfd pfd[2] = {
        {.fd = t->p->stop_fd, .events = POLLIN},
        {.fd = t->watch ? watch_fd(t->watch) : -1, .events = POLLIN}};
    if (timeout_ms < 0)
        timeout_ms = 0;
    poll(pfd, pfd[1].fd >= 0 ? 2 : 1, (int)timeout_ms);
}

/* The soonest of the tail's timers, from now. */
static int64_t
tail_next_timeout(const struct tail *t, int64_t now)
{
    int64_t next = t->next_scan_ms;
    if (t->next_poll_ms < next)
        next = t->next_poll_ms;
    if (t->next_commit_ms < next)
        next = t->next_commit_ms;
    /* Quiet files with something pending are looked at every 100 ms. */
    for (size_t i = 0; i < t->nfiles; i++) {
        const struct tailfile *f = t->files[i];
        if (f->fd >= 0 && (harvester_pending(&f->h) || f->gone)) {
            if (now + 100 < next)
                next = now + 100;
            break;
        }
    }
    return next - now;
}

int
tail_run(struct tail *t)
{
    const struct input_conf *ic = tail_conf(t);
    struct errbuf err;
    t->watch = watch_create(!ic->poll, &err);
    if (t->watch == NULL) {
        log_warn(ic->name, "%s; polling every %lld ms instead", err.msg,
                 (long long)ic->poll_interval_ms);
    }
    int64_t now = timeutil_mono_ms();
    tail_scan(t); /* marks what it finds `initial` (read_from applies) */
    t->next_scan_ms = now + ic->scan_interval_ms;
    t->next_poll_ms = now + ic->poll_interval_ms;
    t->next_commit_ms = now + t->p->conf->registry.flush_interval_ms;
    while (!atomic_load(&t->p->stopping)) {
        now = timeutil_mono_ms();
        if (t->rescan || now >= t->next_scan_ms) {
            t->rescan = false;
            tail_scan(t);
            /* Without inotify, new files are found by scanning often. */
            bool polling = t->watch == NULL || watch_polling_needed(t->watch);
            int64_t every = ic->scan_interval_ms;
            if (polling && ic->poll_interval_ms < every)
                every = ic->poll_interval_ms;
            t->next_scan_ms = now + every;
        }
        if (now >= t->next_poll_ms) {
            tail_poll_sizes(t);
            t->next_poll_ms = now + ic->poll_interval_ms;
        }
        if (t->watch != NULL)
            watch_read(t->watch, tail_watch_event, t);
        t->starved = false;
        bool progressed = tail_read_round(t, (size_t)ic->max_open_files);
        tail_timers(t, now);
        if (now >= t->next_commit_ms) {
            tail_save(t);
            t->next_commit_ms = now + t->p->conf->registry.flush_interval_ms;
        }
        if (!progressed && !t->starved) /* starved: the chunk wait paced us */
            tail_wait(t, tail_next_timeout(t, now));
    }
    return 0;
}

int
tail_run_files(struct tail *t, char *const *paths, size_t npaths, bool resume,
               size_t max_open)
{
    t->final = true;
    t->resume = resume;
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        struct tailfile *f = tail_add(t, paths[i]);
        f->dirty = true;
        if (stat(paths[i], &st) == 0)
            atomic_fetch_add(&t->progress_total, (uint64_t)st.st_size);
    }
    int64_t next_commit = timeutil_mono_ms();
    for (;;) {
        if (atomic_load(&t->p->stopping))
            break;
        t->starved = false;
        bool progressed = tail_read_round(t, max_open);
        /* A file read to its end is done: close it to open the next. */
        for (size_t i = 0; i < t->nfiles; i++) {
            struct tailfile *f = t->files[i];
            if (f->fd >= 0 && f->at_eof && !f->dirty) {
                tail_close_fd(t, f);
                tail_retire(t, f, false);
            }
        }
        int64_t now = timeutil_mono_ms();
        if (now >= next_commit) {
            tail_save(t);
            next_commit = now + t->p->conf->registry.flush_interval_ms;
        }
        if (!progressed && !t->starved)
            break; /* every file read to its end */
    }
    int failed = 0;
    for (size_t i = 0; i < t->nfiles; i++)
        failed += t->files[i]->failed;
    return failed;
}

void
tail_progress(const struct tail *t, uint64_t *done, uint64_t *total)
{
    *done = atomic_load(&((struct tail *)t)->progress_done);
    *total = atomic_load(&((struct tail *)t)->progress_total);
}
