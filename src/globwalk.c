/*
 * Pattern walking. A pattern is a literal prefix directory plus segments
 * run as a small NFA whose state set is a bit mask: bit i means "segments
 * i.. must match what follows", bit nsegs means "matched"; a `**` segment
 * loops on itself and may also be skipped (the closure). A directory is
 * entered only while its state set has a bit below nsegs, so the walk
 * never strays from what the pattern can still match.
 *
 * Each directory is opened with O_PATH (search permission is enough for
 * literal lookups and fstatat), read once, and closed before its
 * subdirectories are entered: at most two descriptors are open however
 * deep the tree. The walk state lives in struct globwalk and is reused
 * across scans; a scan allocates only the strings it keeps (the listed
 * directories, and reported paths when there are several patterns).
 * Single-threaded.
 */
#include "config.h"

#include "globwalk.h"

#include "log.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Segments from the first glob on: bits 0..63 of the state mask. */
#define GLOBWALK_MAX_SEGS 63
/* Unreadable directories remembered so that each is warned about once. */
#define GLOBWALK_MAX_WARNED 256
#define GLOBWALK_WHO        "globwalk"

enum globwalk_seg_kind { GLOBWALK_LITERAL, GLOBWALK_GLOB, GLOBWALK_GLOBSTAR };

struct globwalk_seg {
    char *text; /* owned */
    enum globwalk_seg_kind kind;
};

struct globwalk_pat {
    char *prefix;              /* owned: absolute directory; NULL (exclude) */
    struct globwalk_seg *segs; /* owned */
    size_t nsegs;
};

/* A set of strings: open addressing, linear probing; owns its strings. */
struct globwalk_set {
    char **slots; /* owned, each owned or NULL */
    size_t cap;   /* a power of two, or 0 */
    size_t count;
};

struct globwalk_dirid {
    dev_t dev;
    ino_t ino;
};

/* The path components of a string, skipping empty and "." ones. */
struct globwalk_comps {
    const char *p; /* borrowed: the rest of the string */
    char comp[NAME_MAX + 1];
    bool too_long; /* the last component was longer than NAME_MAX */
};

struct globwalk {
    struct globwalk_pat *pats; /* owned */
    size_t npats;
    struct globwalk_pat *path_excludes; /* owned */
    size_t npath_excludes;
    char **name_excludes; /* owned, each owned */
    size_t nname_excludes;

    struct globwalk_set seen;   /* files reported by this scan */
    struct globwalk_set dirset; /* directories listed by this scan */
    const char **dirs;          /* owned array; strings borrowed from dirset */
    size_t ndirs;
    bool dirs_capped;     /* this scan entered more than GLOBWALK_MAX_DIRS */
    bool dirs_cap_warned; /* said so once */
    struct globwalk_set warned; /* unreadable directories warned about */

    /* Walk state, valid during globwalk_scan only. */
    char path[PATH_MAX]; /* the directory or file at hand */
    char *pending;       /* owned: subdirectories to enter: mask, name, NUL */
    size_t pending_len;
    size_t pending_cap;
    struct globwalk_dirid *ancestors; /* owned: the directories being walked */
    size_t depth;
    size_t ancestors_cap;
    void (*found)(void *arg, const char *path, const struct stat *st);
    void *found_arg; /* borrowed */
    int nfound;
};

/* FNV-1a: short strings, no adversary. */
static uint64_t
globwalk_set_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Returns the slot holding s, or the empty slot where it would go. */
static size_t
globwalk_set_slot(const struct globwalk_set *set, const char *s)
{
    size_t mask = set->cap - 1;
    size_t i = (size_t)globwalk_set_hash(s) & mask;
    while (set->slots[i] != NULL && strcmp(set->slots[i], s) != 0)
        i = (i + 1) & mask;
    return i;
}

static bool
globwalk_set_contains(const struct globwalk_set *set, const char *s)
{
    return set->cap > 0 && set->slots[globwalk_set_slot(set, s)] != NULL;
}

static void
globwalk_set_grow(struct globwalk_set *set)
{
    struct globwalk_set old = *set;
    set->cap = old.cap ? 2 * old.cap : 64;
    set->slots = xcalloc(set->cap, sizeof(*set->slots));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i] != NULL)
            set->slots[globwalk_set_slot(set, old.slots[i])] = old.slots[i];
    }
    free(old.slots);
}

/* Adds a copy of s; returns it, or NULL when s was already there. */
static const char *
globwalk_set_add(struct globwalk_set *set, const char *s)
{
    if (2 * (set->count + 1) > set->cap)
        globwalk_set_grow(set);
    size_t i = globwalk_set_slot(set, s);
    if (set->slots[i] != NULL)
        return NULL;
    set->slots[i] = xstrdup(s);
    set->count++;
    return set->slots[i];
}

/* Empties the set, keeping its slots. */
static void
globwalk_set_clear(struct globwalk_set *set)
{
    for (size_t i = 0; i < set->cap && set->count > 0; i++) {
        if (set->slots[i] != NULL) {
            free(set->slots[i]);
            set->slots[i] = NULL;
            set->count--;
        }
    }
}

static void
globwalk_set_fini(struct globwalk_set *set)
{
    globwalk_set_clear(set);
    free(set->slots);
}

/* Moves to the next component; false at the end of the string. */
static bool
globwalk_comps_next(struct globwalk_comps *it)
{
    for (;;) {
        while (*it->p == '/')
            it->p++;
        if (*it->p == '\0')
            return false;
        const char *start = it->p;
        it->p = strchrnul(start, '/');
        size_t len = (size_t)(it->p - start);
        if (len == 1 && start[0] == '.')
            continue;
        it->too_long = len > NAME_MAX;
        if (it->too_long)
            len = NAME_MAX;
        memcpy(it->comp, start, len);
        it->comp[len] = '\0';
        return true;
    }
}

/* Adds to m the states reached by skipping `**` segments. */
static uint64_t
globwalk_closure(const struct globwalk_pat *p, uint64_t m)
{
    for (size_t i = 0; i < p->nsegs; i++) {
        if ((m >> i & 1) && p->segs[i].kind == GLOBWALK_GLOBSTAR)
            m |= (uint64_t)1 << (i + 1);
    }
    return m;
}

/*
 * Returns the closed state set after the component name. With period, `*`
 * and `**` do not match a leading dot; star_repeat false forbids a `**`
 * from consuming name (a symlinked directory).
 */
static uint64_t
globwalk_step(const struct globwalk_pat *p, uint64_t m, const char *name,
              bool period, bool star_repeat)
{
    uint64_t out = 0;
    int flags = FNM_PATHNAME | (period ? FNM_PERIOD : 0);
    for (size_t i = 0; i < p->nsegs; i++) {
        if (!(m >> i & 1))
            continue;
        const struct globwalk_seg *s = &p->segs[i];
        switch (s->kind) {
        case GLOBWALK_GLOBSTAR:
            if (star_repeat && !(period && name[0] == '.'))
                out |= (uint64_t)1 << i;
            break;
        case GLOBWALK_LITERAL:
            if (strcmp(s->text, name) == 0)
                out |= (uint64_t)1 << (i + 1);
            break;
        case GLOBWALK_GLOB:
            if (fnmatch(s->text, name, flags) == 0)
                out |= (uint64_t)1 << (i + 1);
            break;
        }
    }
    return globwalk_closure(p, out);
}

static bool
globwalk_accepts(const struct globwalk_pat *p, uint64_t m)
{
    return (m >> p->nsegs & 1) != 0;
}

/* Can something below a directory in state m still match? */
static bool
globwalk_may_descend(const struct globwalk_pat *p, uint64_t m)
{
    return (m & (((uint64_t)1 << p->nsegs) - 1)) != 0;
}

/* Runs the components left in it from state m; 0 when nothing matches. */
static uint64_t
globwalk_run(const struct globwalk_pat *p, uint64_t m,
             struct globwalk_comps *it, bool period)
{
    while (m != 0 && globwalk_comps_next(it)) {
        if (it->too_long)
            return 0;
        m = globwalk_step(p, m, it->comp, period, true);
    }
    return m;
}

/* Runs a path exclude over the whole of path. */
static uint64_t
globwalk_exclude_run(const struct globwalk_pat *p, const char *path)
{
    struct globwalk_comps it = {.p = path};
    return globwalk_run(p, globwalk_closure(p, 1), &it, false);
}

/* Is the file path (base name base) excluded? */
static bool
globwalk_excluded(const struct globwalk *g, const char *path, const char *base)
{
    for (size_t i = 0; i < g->nname_excludes; i++) {
        if (fnmatch(g->name_excludes[i], base, 0) == 0)
            return true;
    }
    for (size_t i = 0; i < g->npath_excludes; i++) {
        const struct globwalk_pat *p = &g->path_excludes[i];
        if (globwalk_accepts(p, globwalk_exclude_run(p, path)))
            return true;
    }
    return false;
}

/* Does a path exclude ending in `**` cover everything below dir? */
static bool
globwalk_pruned(const struct globwalk *g, const char *dir)
{
    for (size_t i = 0; i < g->npath_excludes; i++) {
        const struct globwalk_pat *p = &g->path_excludes[i];
        size_t last = p->nsegs - 1;
        if (p->segs[last].kind == GLOBWALK_GLOBSTAR &&
            (globwalk_exclude_run(p, dir) >> last & 1))
            return true;
    }
    return false;
}

/* Classifies a pattern segment; -1 for `**` inside a longer segment. */
static int
globwalk_seg_kind(const char *s)
{
    if (strcmp(s, "**") == 0)
        return GLOBWALK_GLOBSTAR;
    if (strstr(s, "**") != NULL)
        return -1;
    if (strpbrk(s, "*?[\\") != NULL)
        return GLOBWALK_GLOB;
    return GLOBWALK_LITERAL;
}

/* Appends the components of path to comps[*n] (no empty or "." ones). */
static void
globwalk_split(const char *path, char ***comps, size_t *n, size_t *cap)
{
    const char *p = path;
    while (*p != '\0') {
        const char *end = strchrnul(p, '/');
        size_t len = (size_t)(end - p);
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (*n == *cap) {
                *cap = *cap ? 2 * *cap : 16;
                *comps = xrealloc(*comps, *cap * sizeof(**comps));
            }
            (*comps)[(*n)++] = xstrndup(p, len);
        }
        p = *end == '/' ? end + 1 : end;
    }
}

/* Joins comps[0..k) into an absolute directory path. */
static char *
globwalk_join(char *const *comps, size_t k)
{
    size_t len = 1;
    for (size_t i = 0; i < k; i++)
        len += strlen(comps[i]) + 1;
    char *s = xmalloc(len + 1);
    char *w = s;
    for (size_t i = 0; i < k; i++) {
        *w++ = '/';
        w = stpcpy(w, comps[i]);
    }
    if (k == 0)
        *w++ = '/';
    *w = '\0';
    return s;
}

/* Checks the segments comps[from..n) that come from pattern text. */
static int
globwalk_check(const char *text, char *const *comps, size_t from, size_t n,
               struct errbuf *err)
{
    if (n == from)
        return errbuf_set(err, "path pattern \"%s\" names no file", text);
    for (size_t i = from; i < n; i++) {
        if (globwalk_seg_kind(comps[i]) < 0)
            return errbuf_set(err,
                              "path pattern \"%s\": \"**\" must be a whole "
                              "path segment",
                              text);
    }
    return 0;
}

/*
 * Appends the current directory's components to comps, as literal
 * prefix components whatever characters they hold. Returns 0 or -EINVAL.
 */
static int
globwalk_cwd(const char *text, char ***comps, size_t *n, size_t *cap,
             struct errbuf *err)
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        char eb[128];
        return errbuf_set(err, "path pattern \"%s\": current directory: %s",
                          text, log_strerror(errno, eb, sizeof(eb)));
    }
    globwalk_split(cwd, comps, n, cap);
    return 0;
}

/* Moves comps[from..n) into p->segs, after an implied `**` if asked. */
static void
globwalk_take_segs(struct globwalk_pat *p, char **comps, size_t from, size_t n,
                   bool implied_star)
{
    p->segs = xcalloc(n - from + implied_star, sizeof(*p->segs));
    if (implied_star)
        p->segs[p->nsegs++] =
            (struct globwalk_seg){xstrdup("**"), GLOBWALK_GLOBSTAR};
    for (size_t i = from; i < n; i++) {
        struct globwalk_seg *s = &p->segs[p->nsegs++];
        s->kind = (enum globwalk_seg_kind)globwalk_seg_kind(comps[i]);
        s->text = comps[i];
        comps[i] = NULL;
    }
}

/*
 * Compiles text into p: an include (prefix = its leading literal
 * directories, made absolute) or a path exclude (no prefix; relative ones
 * get a leading `**`). Returns 0 or -EINVAL with err filled.
 */
static int
globwalk_compile(struct globwalk_pat *p, const char *text, bool exclude,
                 struct errbuf *err)
{
    char **comps = NULL;
    size_t n = 0, cap = 0, nlit = 0;
    int rc = -EINVAL;
    if (text[0] == '\0') {
        errbuf_set(err, "empty path pattern");
        goto out;
    }
    if (!exclude && text[0] != '/') {
        if (globwalk_cwd(text, &comps, &n, &cap, err) < 0)
            goto out;
        nlit = n;
    }
    globwalk_split(text, &comps, &n, &cap);
    if (globwalk_check(text, comps, nlit, n, err) < 0)
        goto out;
    size_t k = nlit;
    while (!exclude && k + 1 < n &&
           globwalk_seg_kind(comps[k]) == GLOBWALK_LITERAL)
        k++;
    bool implied_star = exclude && text[0] != '/';
    if (n - k + implied_star > GLOBWALK_MAX_SEGS) {
        errbuf_set(err, "path pattern \"%s\" has more than %d segments", text,
                   GLOBWALK_MAX_SEGS);
        goto out;
    }
    if (!exclude) {
        p->prefix = globwalk_join(comps, k);
        if (strlen(p->prefix) + 1 >= PATH_MAX) {
            errbuf_set(err, "path pattern \"%s\" is too long", text);
            goto out;
        }
    }
    globwalk_take_segs(p, comps, k, n, implied_star);
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(comps[i]);
    free(comps);
    return rc;
}

static void
globwalk_pat_fini(struct globwalk_pat *p)
{
    for (size_t i = 0; i < p->nsegs; i++)
        free(p->segs[i].text);
    free(p->segs);
    free(p->prefix);
}

/* Lists dir for watching unless listed already or the list is full. */
static void
globwalk_add_dir(struct globwalk *g, const char *dir)
{
    if (globwalk_set_contains(&g->dirset, dir))
        return;
    if (g->ndirs == GLOBWALK_MAX_DIRS) {
        g->dirs_capped = true;
        return;
    }
    g->dirs[g->ndirs++] = globwalk_set_add(&g->dirset, dir);
}

/* Starts a new directory list with the prefix directories. */
static void
globwalk_reset_dirs(struct globwalk *g)
{
    globwalk_set_clear(&g->dirset);
    g->ndirs = 0;
    g->dirs_capped = false;
    for (size_t i = 0; i < g->npats; i++) {
        if (!globwalk_pruned(g, g->pats[i].prefix))
            globwalk_add_dir(g, g->pats[i].prefix);
    }
}

struct globwalk *
globwalk_create(const struct strlist *patterns, const struct strlist *excludes,
                struct errbuf *err)
{
    struct globwalk *g = xcalloc(1, sizeof(*g));
    size_t npats = patterns ? patterns->count : 0;
    size_t nexcl = excludes ? excludes->count : 0;
    g->pats = xcalloc(npats + 1, sizeof(*g->pats));
    g->path_excludes = xcalloc(nexcl + 1, sizeof(*g->path_excludes));
    g->name_excludes = xcalloc(nexcl + 1, sizeof(*g->name_excludes));
    g->dirs = xcalloc(GLOBWALK_MAX_DIRS, sizeof(*g->dirs));
    for (size_t i = 0; i < npats; i++) {
        if (globwalk_compile(&g->pats[i], patterns->items[i], false, err) < 0)
            goto fail;
        g->npats++;
    }
    for (size_t i = 0; i < nexcl; i++) {
        const char *text = excludes->items[i];
        if (text[0] == '\0') {
            errbuf_set(err, "empty exclude pattern");
            goto fail;
        }
        if (strchr(text, '/') == NULL) {
            g->name_excludes[g->nname_excludes++] = xstrdup(text);
            continue;
        }
        struct globwalk_pat *p = &g->path_excludes[g->npath_excludes];
        int rc = globwalk_compile(p, text, true, err);
        g->npath_excludes++; /* compiled or not, p is freed with g */
        if (rc < 0)
            goto fail;
    }
    globwalk_reset_dirs(g);
    return g;
fail:
    globwalk_destroy(g);
    return NULL;
}

void
globwalk_destroy(struct globwalk *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i <= g->npats; i++) /* [npats]: failed or unused */
        globwalk_pat_fini(&g->pats[i]);
    for (size_t i = 0; i < g->npath_excludes; i++)
        globwalk_pat_fini(&g->path_excludes[i]);
    for (size_t i = 0; i < g->nname_excludes; i++)
        free(g->name_excludes[i]);
    free(g->pats);
    free(g->path_excludes);
    free(g->name_excludes);
    free(g->dirs);
    globwalk_set_fini(&g->seen);
    globwalk_set_fini(&g->dirset);
    globwalk_set_fini(&g->warned);
    free(g->pending);
    free(g->ancestors);
    free(g);
}

/* Warns about an unreadable directory, once per directory. */
static void
globwalk_warn_once(struct globwalk *g, const char *dir, int err)
{
    if (g->warned.count >= GLOBWALK_MAX_WARNED ||
        globwalk_set_add(&g->warned, dir) == NULL)
        return;
    LOG_AT(LL_WARN, GLOBWALK_WHO, err, "skipping directory %s%s", dir,
           g->warned.count == GLOBWALK_MAX_WARNED
               ? " (further unreadable directories are skipped silently)"
               : "");
}

/* Appends "/name" to g->path[0..len); returns the new length, or 0. */
static size_t
globwalk_path_add(struct globwalk *g, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    size_t sep = g->path[len - 1] == '/' ? 0 : 1;
    if (len + sep + nlen + 1 > sizeof(g->path)) {
        log_debug(GLOBWALK_WHO, "path too long below %s: %s", g->path, name);
        return 0;
    }
    if (sep)
        g->path[len] = '/';
    memcpy(g->path + len + sep, name, nlen + 1);
    return len + sep + nlen;
}

/* Remembers subdirectory name, to be entered in state m. */
static void
globwalk_push_pending(struct globwalk *g, uint64_t m, const char *name)
{
    size_t need = sizeof(m) + strlen(name) + 1;
    if (g->pending_len + need > g->pending_cap) {
        g->pending_cap = 2 * (g->pending_len + need);
        g->pending = xrealloc(g->pending, g->pending_cap);
    }
    memcpy(g->pending + g->pending_len, &m, sizeof(m));
    strcpy(g->pending + g->pending_len + sizeof(m), name);
    g->pending_len += need;
}

/* Reports the regular file name in dfd (path g->path[0..len)) once. */
static void
globwalk_report(struct globwalk *g, int dfd, size_t len, const char *name,
                struct stat *st, bool have_st)
{
    size_t flen = globwalk_path_add(g, len, name);
    if (flen == 0)
        return;
    if (globwalk_excluded(g, g->path, name))
        goto out;
    if (!have_st && fstatat(dfd, name, st, 0) < 0)
        goto out;
    if (!S_ISREG(st->st_mode))
        goto out;
    /* One pattern never reaches a path twice; several may. */
    if (g->npats > 1 && globwalk_set_add(&g->seen, g->path) == NULL)
        goto out;
    g->found(g->found_arg, g->path, st);
    g->nfound++;
out:
    g->path[len] = '\0';
}

/*
 * Handles the entry name (d_type type) of the directory dfd, reached in
 * state m: reports it if it is a matching file, queues it if it is a
 * directory where the pattern can still match. Symlinks are followed, but
 * a `**` never consumes a symlinked directory.
 */
static void
globwalk_entry(struct globwalk *g, const struct globwalk_pat *p, int dfd,
               size_t len, uint64_t m, const char *name, unsigned char type)
{
    uint64_t next = globwalk_step(p, m, name, true, true);
    if (next == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return;
    struct stat st;
    bool link = type == DT_LNK;
    bool have_st = false;
    if (type == DT_UNKNOWN || link) {
        if (!link && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return;
        link = link || S_ISLNK(st.st_mode);
        if (link && fstatat(dfd, name, &st, 0) < 0)
            return; /* dangling, or a loop of links */
        have_st = true;
        type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISREG(st.st_mode) ? DT_REG
                                     : DT_UNKNOWN;
    }
    if (type == DT_DIR) {
        if (link)
            next = globwalk_step(p, m, name, true, false);
        if (globwalk_may_descend(p, next))
            globwalk_push_pending(g, next, name);
    } else if (type == DT_REG && globwalk_accepts(p, next)) {
        globwalk_report(g, dfd, len, name, &st, have_st);
    }
}

/* Are all pending segments of m literal (no need to read the dir)? */
static bool
globwalk_literal_only(const struct globwalk_pat *p, uint64_t m)
{
    for (size_t i = 0; i < p->nsegs; i++) {
        if ((m >> i & 1) && p->segs[i].kind != GLOBWALK_LITERAL)
            return false;
    }
    return true;
}

/* Looks up the literal names pending in m directly, without readdir. */
static void
globwalk_lookup(struct globwalk *g, const struct globwalk_pat *p, int dfd,
                size_t len, uint64_t m)
{
    for (size_t i = 0; i < p->nsegs; i++) {
        if (!(m >> i & 1))
            continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = (m >> j & 1) && strcmp(p->segs[j].text, p->segs[i].text) == 0;
        if (!dup)
            globwalk_entry(g, p, dfd, len, m, p->segs[i].text, DT_UNKNOWN);
    }
}

/* Reads the directory dfd (path g->path[0..len)) and handles each entry. */
static void
globwalk_read(struct globwalk *g, const struct globwalk_pat *p, int dfd,
              size_t len, uint64_t m)
{
    int rfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
    if (d == NULL) {
        if (errno != ENOENT) /* removed since it was opened */
            globwalk_warn_once(g, g->path, errno);
        if (rfd >= 0)
            close(rfd);
        return;
    }
    const struct dirent *de;
    while ((de = readdir(d)) != NULL)
        globwalk_entry(g, p, dfd, len, m, de->d_name, de->d_type);
    closedir(d);
}

/* Is the directory st one of those being walked (a loop)? */
static bool
globwalk_push_ancestor(struct globwalk *g, const struct stat *st)
{
    for (size_t i = 0; i < g->depth; i++) {
        if (g->ancestors[i].dev == st->st_dev &&
            g->ancestors[i].ino == st->st_ino)
            return false;
    }
    if (g->depth == g->ancestors_cap) {
        g->ancestors_cap = g->ancestors_cap ? 2 * g->ancestors_cap : 32;
        g->ancestors =
            xrealloc(g->ancestors, g->ancestors_cap * sizeof(*g->ancestors));
    }
    g->ancestors[g->depth++] = (struct globwalk_dirid){st->st_dev, st->st_ino};
    return true;
}

/*
 * Walks the directory g->path[0..len) in state m: handles its entries
 * with the directory open, closes it, then enters the subdirectories.
 */
static void
globwalk_walk(struct globwalk *g, const struct globwalk_pat *p, size_t len,
              uint64_t m)
{
    if (g->npath_excludes > 0 && globwalk_pruned(g, g->path))
        return;
    int dfd = open(g->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            globwalk_warn_once(g, g->path, errno);
        return;
    }
    struct stat st;
    if (fstat(dfd, &st) < 0 || !globwalk_push_ancestor(g, &st)) {
        close(dfd);
        return;
    }
    globwalk_add_dir(g, g->path);
    size_t mark = g->pending_len;
    if (globwalk_literal_only(p, m))
        globwalk_lookup(g, p, dfd, len, m);
    else
        globwalk_read(g, p, dfd, len, m);
    close(dfd);
    size_t off = mark;
    while (off < g->pending_len) {
        uint64_t sub;
        memcpy(&sub, g->pending + off, sizeof(sub));
        const char *name = g->pending + off + sizeof(sub);
        off += sizeof(sub) + strlen(name) + 1;
        size_t sublen = globwalk_path_add(g, len, name);
        if (sublen > 0)
            globwalk_walk(g, p, sublen, sub); /* may move g->pending */
        g->path[len] = '\0';
    }
    g->pending_len = mark;
    g->depth--;
}

int
globwalk_scan(struct globwalk *g,
              void (*found)(void *arg, const char *path, const struct stat *st),
              void *arg)
{
    g->found = found;
    g->found_arg = arg;
    g->nfound = 0;
    globwalk_set_clear(&g->seen);
    globwalk_reset_dirs(g);
    for (size_t i = 0; i < g->npats; i++) {
        const struct globwalk_pat *p = &g->pats[i];
        strcpy(g->path, p->prefix); /* fits: checked at create */
        globwalk_walk(g, p, strlen(p->prefix), globwalk_closure(p, 1));
    }
    if (g->dirs_capped && !g->dirs_cap_warned) {
        g->dirs_cap_warned = true;
        log_warn(GLOBWALK_WHO,
                 "more than %d directories can hold matching files; only %d "
                 "are watched, new files in the others are found by the "
                 "periodic rescan",
                 GLOBWALK_MAX_DIRS, GLOBWALK_MAX_DIRS);
    }
    g->found = NULL;
    g->found_arg = NULL;
    return g->nfound;
}

size_t
globwalk_dirs(struct globwalk *g, const char ***dirs)
{
    *dirs = g->dirs;
    return g->ndirs;
}

/* Does path match the include pattern p (prefix literally, then the NFA)? */
static bool
globwalk_pat_match(const struct globwalk_pat *p, const char *path)
{
    struct globwalk_comps pre = {.p = p->prefix};
    struct globwalk_comps it = {.p = path};
    while (globwalk_comps_next(&pre)) {
        if (!globwalk_comps_next(&it) || strcmp(pre.comp, it.comp) != 0)
            return false;
    }
    return globwalk_accepts(p,
                            globwalk_run(p, globwalk_closure(p, 1), &it, true));
}

bool
globwalk_match(const struct globwalk *g, const char *path)
{
    if (path[0] != '/')
        return false;
    const char *base = strrchr(path, '/') + 1;
    for (size_t i = 0; i < g->npats; i++) {
        if (globwalk_pat_match(&g->pats[i], path))
            return !globwalk_excluded(g, path, base);
    }
    return false;
}
