/*
 * The registry's in-memory table: entries in insertion order plus a hash
 * on (dev, ino), the hold counts that keep pruning away from entries in
 * use, and the change counter that makes a save write only after changes.
 * One mutex guards it all and is held for pointer work and copies only,
 * never for I/O, so a commit from the ack path never waits on a disk.
 * Saves run one at a time under the save lock; the file format and the
 * atomic write are in registry_file.c.
 */
#include "config.h"
#include "registry.h"

#include "log.h"
#include "registry_int.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REGISTRY_WHO         "registry"
#define REGISTRY_MIN_BUCKETS 64

/* ---- the in-memory table (callers hold reg->lock) ---- */

static size_t
registry_bucket_of(const struct registry *reg, uint64_t dev, uint64_t ino)
{
    uint64_t h = ino ^ ((dev << 32) | (dev >> 32));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)(h & (reg->nbuckets - 1));
}

/* Rebuilds the hash chains for nbuckets buckets. */
static void
registry_rehash(struct registry *reg, size_t nbuckets)
{
    free(reg->buckets);
    reg->nbuckets = nbuckets;
    reg->buckets = xcalloc(nbuckets, sizeof(*reg->buckets));
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_entry *e = reg->entries[i];
        size_t b = registry_bucket_of(reg, e->id.dev, e->id.ino);
        e->bucket_next = reg->buckets[b];
        reg->buckets[b] = e;
    }
}

/* Appends e (taking ownership) to the table. */
static void
registry_insert(struct registry *reg, struct registry_entry *e)
{
    if (reg->count == reg->cap) {
        reg->cap = reg->cap ? reg->cap * 2 : REGISTRY_MIN_BUCKETS;
        reg->entries = xrealloc(reg->entries, reg->cap * sizeof(*reg->entries));
    }
    reg->entries[reg->count++] = e;
    if (reg->count > reg->nbuckets) {
        registry_rehash(reg, reg->nbuckets * 2);
        return;
    }
    size_t b = registry_bucket_of(reg, e->id.dev, e->id.ino);
    e->bucket_next = reg->buckets[b];
    reg->buckets[b] = e;
}

void
registry_entry_free(struct registry_entry *e)
{
    if (e == NULL)
        return;
    free(e->path);
    free(e);
}

/* Takes e out of its hash chain (it stays in the entries array). */
static void
registry_unchain(struct registry *reg, struct registry_entry *e)
{
    struct registry_entry **pp =
        &reg->buckets[registry_bucket_of(reg, e->id.dev, e->id.ino)];
    while (*pp != e)
        pp = &(*pp)->bucket_next;
    *pp = e->bucket_next;
}

static struct registry_entry *
registry_lookup(const struct registry *reg, const struct fileid *id)
{
    struct registry_entry *e =
        reg->buckets[registry_bucket_of(reg, id->dev, id->ino)];
    while (e != NULL && !fileid_same_file(&e->id, id))
        e = e->bucket_next;
    return e;
}

static bool
registry_expired(const struct registry *reg, const struct registry_entry *e,
                 int64_t now_s)
{
    return reg->prune_after_s >= 0 && e->holds == 0 && e->gone_since_s != 0 &&
           now_s - e->gone_since_s > reg->prune_after_s;
}

static size_t
registry_prune_locked(struct registry *reg, int64_t now_s)
{
    size_t kept = 0;
    size_t pruned = 0;
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_entry *e = reg->entries[i];
        if (registry_expired(reg, e, now_s)) {
            registry_unchain(reg, e);
            registry_entry_free(e);
            pruned++;
        } else {
            reg->entries[kept++] = e;
        }
    }
    reg->count = kept;
    if (pruned > 0)
        reg->change_seq++;
    return pruned;
}

void
registry_free_list(struct registry_entry **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        registry_entry_free(list[i]);
    free(list);
}

size_t
registry_adopt(struct registry *reg, struct registry_entry **list, size_t count,
               int64_t now_s)
{
    size_t kept = 0;
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < count; i++) {
        struct registry_entry *e = list[i];
        if (registry_expired(reg, e, now_s)) {
            registry_entry_free(e);
            reg->change_seq++;
            continue;
        }
        if (registry_lookup(reg, &e->id) != NULL) {
            char id[FILEID_FORMAT_LEN];
            fileid_format(&e->id, id, sizeof(id));
            log_warn(REGISTRY_WHO,
                     "%s: entries[%zu]: identity %s listed twice;"
                     " keeping the first",
                     reg->path, i, id);
            registry_entry_free(e);
            reg->change_seq++;
            continue;
        }
        registry_insert(reg, e);
        kept++;
    }
    pthread_mutex_unlock(&reg->lock);
    free(list);
    return kept;
}

/* ---- open and close ---- */

/* Opens the directory of path and records the file names inside it. */
static int
registry_open_dir(struct registry *reg, const char *path, struct errbuf *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (base[0] == '\0')
        return errbuf_set(err, "registry path '%s' names a directory", path);
    char *dir = slash == NULL   ? xstrdup(".")
                : slash == path ? xstrdup("/")
                                : xstrndup(path, (size_t)(slash - path));
    reg->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (reg->dir_fd < 0) {
        char ebuf[128];
        errbuf_set(err, "registry directory '%s': %s", dir,
                   log_strerror(errno, ebuf, sizeof(ebuf)));
        free(dir);
        return -EINVAL;
    }
    free(dir);
    reg->name = xstrdup(base);
    reg->name_tmp = xasprintf("%s.tmp", base);
    reg->name_bak = xasprintf("%s.bak", base);
    reg->name_bak_tmp = xasprintf("%s.bak.tmp", base);
    reg->name_lock = xasprintf("%s.lock", base);
    return 0;
}

struct registry *
registry_open(const char *path, int64_t prune_after_s, struct errbuf *err)
{
    struct registry *reg = xcalloc(1, sizeof(*reg));
    reg->dir_fd = -1;
    reg->lock_fd = -1;
    if (registry_open_dir(reg, path, err) < 0) {
        registry_close(reg);
        return NULL;
    }
    pthread_mutex_init(&reg->lock, NULL);
    pthread_mutex_init(&reg->save_lock, NULL);
    reg->path = xstrdup(path);
    reg->prune_after_s = prune_after_s;
    registry_rehash(reg, REGISTRY_MIN_BUCKETS);
    /* Before loading: a registry in use by another process is not read. */
    if (registry_file_lock(reg, err) < 0) {
        registry_close(reg);
        return NULL;
    }
    /* Entries dropped at load count as changes (change_seq > saved_seq),
     * so the next save writes the file without them. */
    registry_file_load(reg);
    return reg;
}

void
registry_close(struct registry *reg)
{
    if (reg == NULL)
        return;
    if (reg->path != NULL) { /* fully opened */
        pthread_mutex_destroy(&reg->lock);
        pthread_mutex_destroy(&reg->save_lock);
    }
    registry_free_list(reg->entries, reg->count);
    free(reg->buckets);
    if (reg->dir_fd >= 0)
        close(reg->dir_fd);
    if (reg->lock_fd >= 0)
        close(reg->lock_fd); /* releases the flock */
    free(reg->path);
    free(reg->name);
    free(reg->name_tmp);
    free(reg->name_bak);
    free(reg->name_bak_tmp);
    free(reg->name_lock);
    free(reg);
}

/* ---- finding, adding, changing ---- */

/* Takes a hold on e (may be NULL) and notes it was seen; returns e. */
static struct registry_entry *
registry_hold(struct registry_entry *e, bool seen)
{
    if (e != NULL) {
        e->holds++;
        e->seen = e->seen || seen;
    }
    return e;
}

struct registry_entry *
registry_find(struct registry *reg, const struct fileid *id)
{
    pthread_mutex_lock(&reg->lock);
    struct registry_entry *e = registry_hold(registry_lookup(reg, id), true);
    pthread_mutex_unlock(&reg->lock);
    return e;
}

/* True when a is a better answer than b (NULL) to a lookup by content. */
static bool
registry_better(const struct registry_entry *a, const struct registry_entry *b)
{
    if (b == NULL)
        return true;
    if (a->id.fingerprint_len != b->id.fingerprint_len)
        return a->id.fingerprint_len > b->id.fingerprint_len;
    if ((a->gone_since_s == 0) != (b->gone_since_s == 0))
        return a->gone_since_s == 0;
    return a->updated_s > b->updated_s;
}

struct registry_entry *
registry_find_bytes(struct registry *reg, uint64_t dev, uint64_t ino,
                    const void *first_bytes, size_t n)
{
    struct registry_entry *best = NULL;
    pthread_mutex_lock(&reg->lock);
    /* Hashing at most FILEID_FP_BYTES per candidate: CPU only, no I/O. */
    for (struct registry_entry *e =
             reg->buckets[registry_bucket_of(reg, dev, ino)];
         e != NULL; e = e->bucket_next) {
        if (e->id.dev == dev && e->id.ino == ino &&
            fileid_prefix_matches(&e->id, first_bytes, n) &&
            registry_better(e, best))
            best = e;
    }
    registry_hold(best, true);
    pthread_mutex_unlock(&reg->lock);
    return best;
}

int
registry_find_fd(struct registry *reg, int fd, const struct stat *st,
                 struct registry_entry **out)
{
    struct stat own;
    if (st == NULL) {
        if (fstat(fd, &own) < 0)
            return -errno;
        st = &own;
    }
    unsigned char head[FILEID_FP_BYTES];
    size_t got = 0;
    while (got < sizeof(head)) {
        ssize_t r = pread(fd, head + got, sizeof(head) - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *out = registry_find_bytes(reg, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                               head, got);
    return 0;
}

struct registry_entry *
registry_find_path(struct registry *reg, const char *path)
{
    struct registry_entry *best = NULL;
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_entry *e = reg->entries[i];
        if (strcmp(e->path, path) != 0)
            continue;
        if (best == NULL || ((e->gone_since_s == 0) != (best->gone_since_s == 0)
                                 ? e->gone_since_s == 0
                                 : e->updated_s >= best->updated_s))
            best = e;
    }
    registry_hold(best, false);
    pthread_mutex_unlock(&reg->lock);
    return best;
}

/* Sets e's path to a copy of path if it differs; returns true if so. */
static bool
registry_replace_path(struct registry_entry *e, const char *path)
{
    if (e->path != NULL && strcmp(e->path, path) == 0)
        return false;
    free(e->path);
    e->path = xstrdup(path);
    return true;
}

struct registry_entry *
registry_add(struct registry *reg, const struct fileid *id, const char *path,
             bool gz)
{
    int64_t now = time(NULL);
    pthread_mutex_lock(&reg->lock);
    struct registry_entry *e = registry_lookup(reg, id);
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        e->id = *id;
        e->gz = gz;
        registry_insert(reg, e);
        reg->change_seq++;
    }
    bool changed = registry_replace_path(e, path) || e->gone_since_s != 0;
    e->gone_since_s = 0;
    if (changed) {
        e->updated_s = now;
        reg->change_seq++;
    }
    registry_hold(e, true);
    pthread_mutex_unlock(&reg->lock);
    return e;
}

void
registry_release(struct registry *reg, struct registry_entry *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&reg->lock);
    assert(e->holds > 0);
    e->holds--;
    pthread_mutex_unlock(&reg->lock);
}

int
registry_commit(struct registry *reg, struct registry_entry *e,
                uint32_t generation, uint64_t offset,
                const struct registry_check *check)
{
    static const struct registry_check none = {0, 0};
    assert(check == NULL ||
           (check->len <= REGISTRY_CHECK_BYTES && check->len <= offset));
    int64_t now = time(NULL);
    int rc = 0;
    pthread_mutex_lock(&reg->lock);
    if (generation != e->id.generation) {
        rc = -ESTALE;
    } else if (offset < e->offset) {
        rc = -ERANGE;
    } else if (offset > e->offset ||
               (check != NULL &&
                (check->hash != e->check.hash || check->len != e->check.len))) {
        if (offset > e->offset && check == NULL)
            check = &none; /* the old check was for other bytes */
        e->offset = offset;
        if (check != NULL)
            e->check = *check;
        e->updated_s = now;
        reg->change_seq++;
    }
    pthread_mutex_unlock(&reg->lock);
    return rc;
}

void
registry_reset(struct registry *reg, struct registry_entry *e,
               struct fileid *id)
{
    int64_t now = time(NULL);
    pthread_mutex_lock(&reg->lock);
    assert(id->dev == e->id.dev && id->ino == e->id.ino);
    /* Wraps after 2^32 truncations of one file: accepted. */
    e->id.generation++;
    e->id.fingerprint = id->fingerprint;
    e->id.fingerprint_len = id->fingerprint_len;
    id->generation = e->id.generation;
    e->offset = 0;
    e->check.hash = 0;
    e->check.len = 0;
    e->updated_s = now;
    reg->change_seq++;
    pthread_mutex_unlock(&reg->lock);
}

void
registry_set_path(struct registry *reg, struct registry_entry *e,
                  const char *path)
{
    int64_t now = time(NULL);
    pthread_mutex_lock(&reg->lock);
    if (registry_replace_path(e, path)) {
        e->updated_s = now;
        reg->change_seq++;
    }
    pthread_mutex_unlock(&reg->lock);
}

void
registry_mark_gone(struct registry *reg, struct registry_entry *e,
                   int64_t now_s)
{
    pthread_mutex_lock(&reg->lock);
    if (e->gone_since_s == 0) {
        e->gone_since_s = now_s > 0 ? now_s : 1; /* 0 means "exists" */
        e->updated_s = now_s;
        reg->change_seq++;
    }
    pthread_mutex_unlock(&reg->lock);
}

void
registry_mark_seen(struct registry *reg, struct registry_entry *e)
{
    int64_t now = time(NULL);
    pthread_mutex_lock(&reg->lock);
    e->seen = true;
    if (e->gone_since_s != 0) {
        e->gone_since_s = 0;
        e->updated_s = now;
        reg->change_seq++;
    }
    pthread_mutex_unlock(&reg->lock);
}

size_t
registry_mark_unseen_gone(struct registry *reg, int64_t now_s)
{
    size_t marked = 0;
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_entry *e = reg->entries[i];
        if (!e->seen && e->holds == 0 && e->gone_since_s == 0) {
            e->gone_since_s = now_s > 0 ? now_s : 1;
            e->updated_s = now_s;
            marked++;
        }
    }
    if (marked > 0)
        reg->change_seq++;
    pthread_mutex_unlock(&reg->lock);
    return marked;
}

size_t
registry_prune(struct registry *reg, int64_t now_s)
{
    pthread_mutex_lock(&reg->lock);
    size_t n = registry_prune_locked(reg, now_s);
    pthread_mutex_unlock(&reg->lock);
    return n;
}

bool
registry_dirty(struct registry *reg)
{
    pthread_mutex_lock(&reg->lock);
    bool dirty = reg->change_seq != reg->saved_seq;
    pthread_mutex_unlock(&reg->lock);
    return dirty;
}

/*
 * Prunes and serialises the table under the lock (copying only; the JSON
 * is built outside it). Returns the text (owned by the caller) and sets
 * *seq to the change_seq it reflects, or returns NULL when nothing changed.
 */
static char *
registry_serialise(struct registry *reg, uint64_t *seq)
{
    int64_t now = time(NULL);
    pthread_mutex_lock(&reg->lock);
    registry_prune_locked(reg, now);
    if (reg->change_seq == reg->saved_seq) {
        pthread_mutex_unlock(&reg->lock);
        return NULL;
    }
    *seq = reg->change_seq;
    size_t count = reg->count;
    struct registry_entry *copy = xcalloc(count ? count : 1, sizeof(*copy));
    for (size_t i = 0; i < count; i++) {
        copy[i] = *reg->entries[i];
        copy[i].path = xstrdup(copy[i].path);
    }
    pthread_mutex_unlock(&reg->lock);
    char *text = registry_file_format(copy, count);
    for (size_t i = 0; i < count; i++)
        free(copy[i].path);
    free(copy);
    return text;
}

int
registry_save(struct registry *reg)
{
    pthread_mutex_lock(&reg->save_lock);
    uint64_t seq = 0;
    char *text = registry_serialise(reg, &seq);
    if (text == NULL) {
        pthread_mutex_unlock(&reg->save_lock);
        return 0;
    }
    const char *step = "";
    int rc = registry_file_write(reg, text, &step);
    free(text);
    if (rc < 0 && rc != reg->save_err)
        log_errno(REGISTRY_WHO, rc, "%s: not saved (%s)", reg->path, step);
    if (rc == 0 && reg->save_err != 0)
        log_info(REGISTRY_WHO, "%s: saved again", reg->path);
    reg->save_err = rc;
    if (rc == 0) {
        pthread_mutex_lock(&reg->lock);
        reg->saved_seq = seq;
        pthread_mutex_unlock(&reg->lock);
    }
    pthread_mutex_unlock(&reg->save_lock);
    return rc;
}

/* ---- reading the state ---- */

static void
registry_info_of(const struct registry_entry *e, struct registry_info *out)
{
    out->id = e->id;
    out->path = NULL;
    out->offset = e->offset;
    out->check = e->check;
    out->updated_s = e->updated_s;
    out->gone_since_s = e->gone_since_s;
    out->gz = e->gz;
}

void
registry_entry_info(struct registry *reg, const struct registry_entry *e,
                    struct registry_info *out)
{
    pthread_mutex_lock(&reg->lock);
    registry_info_of(e, out);
    pthread_mutex_unlock(&reg->lock);
}

char *
registry_entry_path(struct registry *reg, const struct registry_entry *e)
{
    pthread_mutex_lock(&reg->lock);
    char *path = xstrdup(e->path);
    pthread_mutex_unlock(&reg->lock);
    return path;
}

size_t
registry_count(struct registry *reg)
{
    pthread_mutex_lock(&reg->lock);
    size_t n = reg->count;
    pthread_mutex_unlock(&reg->lock);
    return n;
}

void
registry_foreach(struct registry *reg,
                 void (*fn)(const struct registry_info *info, void *arg),
                 void *arg)
{
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_info info;
        registry_info_of(reg->entries[i], &info);
        info.path = reg->entries[i]->path;
        fn(&info, arg);
    }
    pthread_mutex_unlock(&reg->lock);
}

/* ---- checking the bytes before an offset ---- */

/* Reads the len bytes before offset; returns the count read or -errno. */
static ssize_t
registry_read_before(int fd, uint64_t offset, unsigned char *buf, size_t len)
{
    size_t got = 0;
    uint64_t start = offset - len;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(start + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int
registry_check_bytes(int fd, uint64_t offset, struct registry_check *out)
{
    unsigned char buf[REGISTRY_CHECK_BYTES];
    size_t len = offset < sizeof(buf) ? (size_t)offset : sizeof(buf);
    if (len == 0) {
        out->hash = 0; /* nothing to hash: a size check only */
        out->len = 0;
        return 0;
    }
    ssize_t n = registry_read_before(fd, offset, buf, len);
    if (n < 0)
        return (int)n;
    if ((size_t)n < len)
        return -ENODATA;
    out->hash = fileid_hash_bytes(buf, len);
    out->len = (uint32_t)len;
    return 0;
}

void
registry_check_from_bytes(const void *end_bytes, size_t n,
                          struct registry_check *out)
{
    size_t len = n < REGISTRY_CHECK_BYTES ? n : REGISTRY_CHECK_BYTES;
    out->hash = len == 0 ? 0
                         : fileid_hash_bytes(
                               (const unsigned char *)end_bytes + n - len, len);
    out->len = (uint32_t)len;
}

int
registry_check_matches(int fd, uint64_t offset,
                       const struct registry_check *known, bool *matches)
{
    unsigned char buf[REGISTRY_CHECK_BYTES];
    if (known->len > sizeof(buf) || known->len > offset) {
        *matches = false;
        return 0;
    }
    if (known->len == 0) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return -errno;
        *matches = st.st_size >= 0 && (uint64_t)st.st_size >= offset;
        return 0;
    }
    ssize_t n = registry_read_before(fd, offset, buf, known->len);
    if (n < 0)
        return (int)n;
    *matches = (size_t)n == known->len &&
               fileid_hash_bytes(buf, known->len) == known->hash;
    return 0;
}
