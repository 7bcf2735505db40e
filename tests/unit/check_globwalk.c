/*
 * Pattern walking on real trees in temp dirs: `*`, `?`, `[...]`, `**` at
 * the start, middle and end, dotfiles, excludes by base name and by path
 * (and the pruning of `**` excludes), one report per path whatever the
 * number of patterns, deep and wide trees, symlink loops, missing and
 * unreadable directories, the directory list for the watcher and its
 * bound, pattern validation, and globwalk_match against the same rules.
 * Patterns are written with "{}" standing for the test's temp dir.
 */
#include "config.h"

#include "globwalk.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An unprivileged user and group for the permission tests under root. */
#define NOBODY 65534

struct found {
    char **paths; /* owned, each owned */
    size_t count;
    size_t cap;
};

/* Replaces each "{}" in s by dir; the caller frees the result. */
static char *
expand(const char *dir, const char *s)
{
    size_t dlen = strlen(dir);
    char *out = xmalloc(strlen(s) * (dlen + 1) + 1);
    char *w = out;
    while (*s != '\0') {
        if (s[0] == '{' && s[1] == '}') {
            memcpy(w, dir, dlen);
            w += dlen;
            s += 2;
        } else {
            *w++ = *s++;
        }
    }
    *w = '\0';
    return out;
}

/* Splits "a|b|c" (each with "{}" expanded) into list. */
static void
strlist_from(struct strlist *list, const char *dir, const char *spec)
{
    memset(list, 0, sizeof(*list));
    if (spec == NULL)
        return;
    char *all = expand(dir, spec);
    list->items = xcalloc(strlen(all) + 1, sizeof(*list->items));
    char *save = NULL;
    for (char *t = strtok_r(all, "|", &save); t != NULL;
         t = strtok_r(NULL, "|", &save))
        list->items[list->count++] = xstrdup(t);
    free(all);
}

static void
strlist_free(struct strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
}

/* Compiles the '|'-separated patterns and excludes; fails on error. */
static struct globwalk *
gw_new(const char *dir, const char *patterns, const char *excludes)
{
    struct strlist p, e;
    struct errbuf err = {{0}};
    strlist_from(&p, dir, patterns);
    strlist_from(&e, dir, excludes);
    struct globwalk *g = globwalk_create(&p, &e, &err);
    ck_assert_msg(g != NULL, "globwalk_create: %s", err.msg);
    strlist_free(&p);
    strlist_free(&e);
    return g;
}

/* Compiles and expects a failure; returns the message (static). */
static const char *
gw_error(const char *patterns, const char *excludes)
{
    static struct errbuf err;
    struct strlist p, e;
    strlist_from(&p, "", patterns);
    strlist_from(&e, "", excludes);
    struct globwalk *g = globwalk_create(&p, &e, &err);
    ck_assert_msg(g == NULL, "%s accepted", patterns);
    strlist_free(&p);
    strlist_free(&e);
    return err.msg;
}

static void
found_cb(void *arg, const char *path, const struct stat *st)
{
    struct found *f = arg;
    ck_assert_msg(S_ISREG(st->st_mode), "%s is not a regular file", path);
    if (f->count == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->paths = xrealloc(f->paths, f->cap * sizeof(*f->paths));
    }
    f->paths[f->count++] = xstrdup(path);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Returns the sorted list of the given absolute paths below dir, relative
 * to it and joined by spaces ("" for none); fails on a path outside dir
 * or a path listed twice. The caller frees it.
 */
static char *
relative_list(const char *dir, char **paths, size_t n)
{
    if (n > 1)
        qsort(paths, n, sizeof(*paths), cmp_str);
    size_t dlen = strlen(dir);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(paths[i]) + 1;
    char *out = xmalloc(total);
    char *w = out;
    *w = '\0';
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(paths[i], dir, dlen) == 0 &&
                          paths[i][dlen] == '/',
                      "%s is not below %s", paths[i], dir);
        ck_assert_msg(i == 0 || strcmp(paths[i - 1], paths[i]) != 0,
                      "%s reported twice", paths[i]);
        w += sprintf(w, "%s%s", i ? " " : "", paths[i] + dlen + 1);
    }
    return out;
}

/* Scans and returns relative_list of what was found. */
static char *
scan(struct globwalk *g, const char *dir)
{
    struct found f = {0};
    int n = globwalk_scan(g, found_cb, &f);
    ck_assert_int_eq(n, (int)f.count);
    char *list = relative_list(dir, f.paths, f.count);
    for (size_t i = 0; i < f.count; i++)
        free(f.paths[i]);
    free(f.paths);
    return list;
}

/* Returns globwalk_dirs as relative_list ("." for dir itself). */
static char *
dirs_list(struct globwalk *g, const char *dir)
{
    const char **dirs;
    size_t n = globwalk_dirs(g, &dirs);
    char **copy = xcalloc(n + 1, sizeof(*copy));
    for (size_t i = 0; i < n; i++)
        copy[i] = strcmp(dirs[i], dir) == 0 ? xasprintf("%s/.", dir)
                                            : xstrdup(dirs[i]);
    char *list = relative_list(dir, copy, n);
    for (size_t i = 0; i < n; i++)
        free(copy[i]);
    free(copy);
    return list;
}

/* Creates dir/rel and its missing parents. */
static void
make_dirs(const char *dir, const char *rel)
{
    char *path = testutil_path(dir, rel);
    for (char *p = path + strlen(dir) + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s",
                      path);
        *p = c;
        if (c == '\0')
            break;
    }
    free(path);
}

/* Creates the files of the space-separated list (with parents). */
static void
make_files(const char *dir, const char *list)
{
    char *copy = xstrdup(list);
    char *save = NULL;
    for (char *rel = strtok_r(copy, " ", &save); rel != NULL;
         rel = strtok_r(NULL, " ", &save)) {
        char *slash = strrchr(rel, '/');
        if (slash != NULL) {
            *slash = '\0';
            make_dirs(dir, rel);
            *slash = '/';
        }
        char *path = testutil_path(dir, rel);
        testutil_write_file(path, "line\n", 5);
        free(path);
    }
    free(copy);
}

/* Makes dir/rel a symlink to target. */
static void
make_link(const char *dir, const char *rel, const char *target)
{
    char *path = testutil_path(dir, rel);
    ck_assert_msg(symlink(target, path) == 0, "symlink %s", path);
    free(path);
}

/* Checks that scanning with patterns and excludes finds exactly expect. */
static void
expect_scan(const char *dir, const char *patterns, const char *excludes,
            const char *expect)
{
    struct globwalk *g = gw_new(dir, patterns, excludes);
    char *got = scan(g, dir);
    ck_assert_msg(strcmp(got, expect) == 0, "%s: got \"%s\", want \"%s\"",
                  patterns, got, expect);
    free(got);
    globwalk_destroy(g);
}

/* Sends stderr (the log) to a file until capture_end. */
static int
capture_begin(const char *path)
{
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert(saved >= 0 && fd >= 0);
    ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
    close(fd);
    return saved;
}

/* Restores stderr; returns what was logged (the caller frees it). */
static char *
capture_end(int saved, const char *path)
{
    ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
    close(saved);
    size_t len;
    return testutil_read_file(path, &len);
}

static size_t
count_substr(const char *s, const char *sub)
{
    size_t n = 0;
    for (const char *p = strstr(s, sub); p != NULL; p = strstr(p + 1, sub))
        n++;
    return n;
}

/* Under root, drops the effective ids so that permissions apply. */
static void
become_unprivileged(const char *dir)
{
    if (geteuid() != 0)
        return;
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_int_eq(setegid(NOBODY), 0);
    ck_assert_int_eq(seteuid(NOBODY), 0);
}

static void
become_privileged_again(void)
{
    if (getuid() != 0)
        return;
    ck_assert_int_eq(seteuid(0), 0);
    ck_assert_int_eq(setegid(0), 0);
}

START_TEST(star_matches_within_one_segment)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log b.log c.txt sub/d.log");
    expect_scan(dir, "{}/*.log", NULL, "a.log b.log");
    expect_scan(dir, "{}/*", NULL, "a.log b.log c.txt");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(question_mark_matches_exactly_one_character)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log a1.log a22.log");
    expect_scan(dir, "{}/a?.log", NULL, "a1.log");
    expect_scan(dir, "{}/a??.log", NULL, "a22.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(bracket_matches_listed_characters)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log b.log c.log x/a.log y/a.log");
    expect_scan(dir, "{}/[ab].log", NULL, "a.log b.log");
    expect_scan(dir, "{}/[!a].log", NULL, "b.log c.log");
    expect_scan(dir, "{}/[x-z]/a.log", NULL, "x/a.log y/a.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(relative_globstar_at_start_matches_at_any_depth)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log x/b.log x/y/c.log x/y/d.txt");
    ck_assert_int_eq(chdir(dir), 0);
    /* Relative patterns are made absolute: paths come back below dir. */
    expect_scan(dir, "**/*.log", NULL, "a.log x/b.log x/y/c.log");
    expect_scan(dir, "./x/*.log", NULL, "x/b.log");
    ck_assert_int_eq(chdir("/"), 0);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(globstar_in_middle_matches_zero_or_more_dirs)
{
    char *dir = testutil_tempdir();
    make_files(dir, "logs/a.log logs/x/b.log logs/x/y/c.log logs/x/e.txt "
                    "other/d.log");
    expect_scan(dir, "{}/logs/**/*.log", NULL,
                "logs/a.log logs/x/b.log logs/x/y/c.log");
    expect_scan(dir, "{}/**/x/*.log", NULL, "logs/x/b.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(globstar_at_end_matches_every_file_below)
{
    char *dir = testutil_tempdir();
    make_files(dir, "logs/a.log logs/x/e.txt logs/x/y/c.log logs/.h/f.log "
                    "logs/.dot other/d.log");
    expect_scan(dir, "{}/logs/**", NULL,
                "logs/a.log logs/x/e.txt logs/x/y/c.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(two_globstars_in_one_pattern)
{
    char *dir = testutil_tempdir();
    make_files(dir, "app/a.log x/app/b.log x/app/y/c.log x/b.log app.log "
                    "app/app/d.log");
    expect_scan(dir, "{}/**/app/**/*.log", NULL,
                "app/a.log app/app/d.log x/app/b.log x/app/y/c.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(dotfiles_need_an_explicit_dot)
{
    char *dir = testutil_tempdir();
    make_files(dir, ".h.log a.log .git/x.log sub/.h2.log sub/b.log");
    expect_scan(dir, "{}/*.log", NULL, "a.log");
    expect_scan(dir, "{}/**/*.log", NULL, "a.log sub/b.log");
    expect_scan(dir, "{}/?h.log", NULL, "");
    expect_scan(dir, "{}/.*.log", NULL, ".h.log");
    expect_scan(dir, "{}/**/.*.log", NULL, ".h.log sub/.h2.log");
    expect_scan(dir, "{}/.git/*.log", NULL, ".git/x.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(exclude_without_slash_matches_base_names)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log a.gz x/b.log x/b.gz x/y/c.gz");
    expect_scan(dir, "{}/**", "*.gz", "a.log x/b.log");
    expect_scan(dir, "{}/**", "*.gz|b.*", "a.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(exclude_with_slash_matches_the_full_path)
{
    char *dir = testutil_tempdir();
    make_files(dir, "b.log x/a.log x/y/a.log x/y/z/a.log");
    /* `*` stops at a slash (FNM_PATHNAME); `**` does not. */
    expect_scan(dir, "{}/**", "{}/x/*.log", "b.log x/y/a.log x/y/z/a.log");
    expect_scan(dir, "{}/**", "{}/x/**/a.log", "b.log");
    expect_scan(dir, "{}/**", "{}/*/y/*", "b.log x/a.log x/y/z/a.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(exclude_ending_in_globstar_prunes_the_walk)
{
    char *dir = testutil_tempdir();
    make_files(dir, "keep/a.log archive/b.log archive/old/c.log");
    struct globwalk *g = gw_new(dir, "{}/**/*.log", "{}/archive/**");
    char *got = scan(g, dir);
    ck_assert_str_eq(got, "keep/a.log");
    free(got);
    got = dirs_list(g, dir);
    ck_assert_str_eq(got, ". keep");
    free(got);
    globwalk_destroy(g);
    /* A pruned prefix directory is not listed, even before a scan. */
    g = gw_new(dir, "{}/archive/*.log|{}/keep/*.log", "{}/archive/**");
    got = dirs_list(g, dir);
    ck_assert_str_eq(got, "keep");
    free(got);
    got = scan(g, dir);
    ck_assert_str_eq(got, "keep/a.log");
    free(got);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(relative_exclude_with_slash_matches_at_any_depth)
{
    char *dir = testutil_tempdir();
    make_files(dir, "archive/a.log x/archive/b.log archive/sub/c.log d.log "
                    "xarchive/e.log");
    expect_scan(dir, "{}/**", "archive/*.log",
                "archive/sub/c.log d.log xarchive/e.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(path_matched_by_several_patterns_reported_once)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a.log b.log x/c.log");
    expect_scan(dir, "{}/*.log|{}/a.*|{}/**|{}/x/c.log|{}/*.log", NULL,
                "a.log b.log x/c.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(deep_tree_is_walked)
{
    char *dir = testutil_tempdir();
    char rel[512] = "";
    size_t depth = 100;
    for (size_t i = 0; i < depth; i++)
        strcat(rel, i ? "/d" : "d");
    char *file = xasprintf("%s/f.log", rel);
    make_files(dir, file);
    struct globwalk *g = gw_new(dir, "{}/**/*.log", NULL);
    char *got = scan(g, dir);
    ck_assert_str_eq(got, file);
    const char **dirs;
    ck_assert_uint_eq(globwalk_dirs(g, &dirs), depth + 1);
    free(got);
    globwalk_destroy(g);
    free(file);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(symlink_loops_under_globstar_end)
{
    char *dir = testutil_tempdir();
    make_files(dir, "a/f.log");
    make_link(dir, "a/up", "..");
    make_link(dir, "a/self", ".");
    make_link(dir, "a/link.log", "f.log");
    make_link(dir, "a/dangling.log", "nowhere");
    make_link(dir, "a/loop.log", "loop.log");
    /* Files behind symlinks are reported; directories are not entered. */
    expect_scan(dir, "{}/**/*.log", NULL, "a/f.log a/link.log");
    expect_scan(dir, "{}/**", NULL, "a/f.log a/link.log");
    /* Explicit segments follow them, but never into an ancestor. */
    expect_scan(dir, "{}/*/*/*/*.log", NULL, "");
    expect_scan(dir, "{}/a/*/a/f.log", NULL, "");
    expect_scan(dir, "{}/a/up/a/f.log", NULL, "a/up/a/f.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(symlinked_dir_entered_only_by_an_explicit_segment)
{
    char *dir = testutil_tempdir();
    make_files(dir, "real/app.log logs/x/app.log");
    make_link(dir, "logs/cur", "../real");
    expect_scan(dir, "{}/logs/*/app.log", NULL,
                "logs/cur/app.log logs/x/app.log");
    expect_scan(dir, "{}/logs/cur/app.log", NULL, "logs/cur/app.log");
    expect_scan(dir, "{}/logs/**/app.log", NULL, "logs/x/app.log");
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(missing_prefix_directory_is_not_an_error)
{
    char *dir = testutil_tempdir();
    struct globwalk *g = gw_new(dir, "{}/nope/*.log|{}/nope/**/x.log", NULL);
    char *got = scan(g, dir);
    ck_assert_str_eq(got, "");
    free(got);
    got = dirs_list(g, dir);
    ck_assert_str_eq(got, "nope");
    free(got);
    /* The files appear later. */
    make_files(dir, "nope/a.log nope/b/x.log");
    got = scan(g, dir);
    ck_assert_str_eq(got, "nope/a.log nope/b/x.log");
    free(got);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(thousand_files_in_one_directory)
{
    char *dir = testutil_tempdir();
    for (int i = 0; i < 1000; i++) {
        char *path = xasprintf("%s/f%04d.%s", dir, i, i % 5 ? "log" : "txt");
        testutil_write_file(path, "x", 1);
        free(path);
    }
    struct globwalk *g = gw_new(dir, "{}/*.log|{}/f*", NULL);
    struct found f = {0};
    ck_assert_int_eq(globwalk_scan(g, found_cb, &f), 1000);
    char *list = relative_list(dir, f.paths, f.count); /* no duplicates */
    ck_assert_uint_eq(f.count, 1000);
    ck_assert_str_eq(f.paths[0] + strlen(dir) + 1, "f0000.txt");
    ck_assert_str_eq(f.paths[999] + strlen(dir) + 1, "f0999.log");
    for (size_t i = 0; i < f.count; i++)
        free(f.paths[i]);
    free(f.paths);
    free(list);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(dirs_lists_prefixes_then_entered_directories)
{
    char *dir = testutil_tempdir();
    make_files(dir, "logs/x/y/a.log logs/.h/b.log app/a/app.log app/b/c.log "
                    "app/b/sub/app.log");
    make_dirs(dir, "logs/z");
    struct globwalk *g =
        gw_new(dir, "{}/logs/**/*.log|{}/other/*.log|{}/app/*/app.log", NULL);
    const char **dirs;
    size_t n = globwalk_dirs(g, &dirs);
    ck_assert_uint_eq(n, 3); /* before any scan: the prefixes, in order */
    char *want = xasprintf("%s/logs", dir);
    ck_assert_str_eq(dirs[0], want);
    free(want);
    char *got = dirs_list(g, dir);
    ck_assert_str_eq(got, "app logs other");
    free(got);
    got = scan(g, dir);
    ck_assert_str_eq(got, "app/a/app.log logs/x/y/a.log");
    free(got);
    got = dirs_list(g, dir);
    ck_assert_str_eq(got, "app app/a app/b logs logs/x logs/x/y logs/z other");
    free(got);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(dirs_bounded_with_one_warning)
{
    char *dir = testutil_tempdir();
    make_dirs(dir, "logs");
    for (int i = 0; i < GLOBWALK_MAX_DIRS + 10; i++) {
        char *sub = xasprintf("%s/logs/d%d", dir, i);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        free(sub);
    }
    char *log = testutil_path(dir, "stderr");
    struct globwalk *g = gw_new(dir, "{}/logs/**/*.log", NULL);
    int saved = capture_begin(log);
    globwalk_scan(g, found_cb, NULL);
    globwalk_scan(g, found_cb, NULL);
    char *logged = capture_end(saved, log);
    const char **dirs;
    ck_assert_uint_eq(globwalk_dirs(g, &dirs), GLOBWALK_MAX_DIRS);
    char *prefix = xasprintf("%s/logs", dir);
    ck_assert_str_eq(dirs[0], prefix);
    ck_assert_uint_eq(count_substr(logged, "more than 4096 directories"), 1);
    free(prefix);
    free(logged);
    free(log);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(unreadable_directory_skipped_with_one_warning)
{
    char *dir = testutil_tempdir();
    make_files(dir, "locked/a.log open/b.log");
    char *locked = testutil_path(dir, "locked");
    char *log = testutil_path(dir, "stderr");
    ck_assert_int_eq(chmod(locked, 0311), 0); /* search, no read */
    struct globwalk *g = gw_new(dir, "{}/*/*.log", NULL);
    int saved = capture_begin(log);
    become_unprivileged(dir);
    char *first = scan(g, dir);
    char *second = scan(g, dir);
    become_privileged_again();
    char *logged = capture_end(saved, log);
    ck_assert_str_eq(first, "open/b.log");
    ck_assert_str_eq(second, "open/b.log");
    ck_assert_uint_eq(count_substr(logged, "skipping directory"), 1);
    ck_assert_uint_eq(count_substr(logged, locked), 1);
    ck_assert_int_eq(chmod(locked, 0755), 0);
    free(first);
    free(second);
    free(logged);
    free(log);
    free(locked);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(literal_names_found_in_a_search_only_directory)
{
    char *dir = testutil_tempdir();
    make_files(dir, "locked/a.log locked/sub/b.log");
    char *locked = testutil_path(dir, "locked");
    char *log = testutil_path(dir, "stderr");
    ck_assert_int_eq(chmod(locked, 0311), 0);
    struct globwalk *g =
        gw_new(dir, "{}/locked/a.log|{}/*/sub/b.log|{}/locked/*.txt", NULL);
    int saved = capture_begin(log);
    become_unprivileged(dir);
    char *got = scan(g, dir);
    become_privileged_again();
    char *logged = capture_end(saved, log);
    /* Found without reading "locked"; only the `*.txt` needs to read it. */
    ck_assert_str_eq(got, "locked/a.log locked/sub/b.log");
    ck_assert_uint_eq(count_substr(logged, "skipping directory"), 1);
    ck_assert_int_eq(chmod(locked, 0755), 0);
    free(got);
    free(logged);
    free(log);
    free(locked);
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(bad_patterns_rejected_naming_the_pattern)
{
    const char *msg = gw_error("/var/a**b/x.log", NULL);
    ck_assert_msg(strstr(msg, "/var/a**b/x.log") && strstr(msg, "**"), "%s",
                  msg);
    msg = gw_error("/var/log/**x", NULL);
    ck_assert_msg(strstr(msg, "\"/var/log/**x\""), "%s", msg);
    msg = gw_error("/var/log/*.log", "/var/**.gz");
    ck_assert_msg(strstr(msg, "\"/var/**.gz\""), "%s", msg);
    msg = gw_error("/var/log/*.log|/", NULL);
    ck_assert_msg(strstr(msg, "\"/\" names no file"), "%s", msg);
    char deep[400] = "/x";
    for (int i = 0; i < 64; i++)
        strcat(deep, "/*");
    msg = gw_error(deep, NULL);
    ck_assert_msg(strstr(msg, "more than 63 segments"), "%s", msg);
    /* A long literal prefix is fine: only glob segments count. */
    strcpy(deep, "/x");
    for (int i = 0; i < 100; i++)
        strcat(deep, "/d");
    strcat(deep, "/*.log");
    struct globwalk *g = gw_new("", deep, "**.gz");
    globwalk_destroy(g);
}
END_TEST

START_TEST(empty_pattern_rejected)
{
    char *items[] = {"/var/log/*.log", ""};
    struct strlist p = {items, 1};
    struct strlist empty = {items + 1, 1};
    struct errbuf err = {{0}};
    ck_assert_ptr_null(globwalk_create(&empty, NULL, &err));
    ck_assert_str_eq(err.msg, "empty path pattern");
    ck_assert_ptr_null(globwalk_create(&p, &empty, &err));
    ck_assert_str_eq(err.msg, "empty exclude pattern");
}
END_TEST

START_TEST(match_agrees_with_patterns_and_excludes)
{
    char *dir = testutil_tempdir();
    struct globwalk *g =
        gw_new(dir, "{}/logs/**/*.log|{}/app/[ab].txt",
               "*.gz|{}/logs/old/**|{}/logs/tmp-*.log|skip/*.log");
    static const struct {
        const char *path;
        bool match;
    } cases[] = {
        {"{}/logs/a.log", true},        {"{}/logs/x/y/a.log", true},
        {"{}//logs/./x/a.log", true},   {"{}/logs/.x/a.log", false},
        {"{}/logs/.a.log", false},      {"{}/logs/a.txt", false},
        {"{}/logs/a.log.gz", false},    {"{}/logs/old/a.log", false},
        {"{}/logs/old/x/a.log", false}, {"{}/logs/tmp-1.log", false},
        {"{}/logs/x/tmp-1.log", true},  {"{}/logs/x/skip/a.log", false},
        {"{}/logs/skip/x/a.log", true}, {"{}/app/a.txt", true},
        {"{}/app/c.txt", false},        {"{}/app/x/a.txt", false},
        {"{}/other/a.log", false},      {"{}", false},
        {"logs/a.log", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *path = expand(dir, cases[i].path);
        ck_assert_msg(globwalk_match(g, path) == cases[i].match, "%s: %d",
                      cases[i].path, !cases[i].match);
        free(path);
    }
    globwalk_destroy(g);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

/* Checks that st is the target's (size 7) for both paths. */
static void
stat_cb(void *arg, const char *path, const struct stat *st)
{
    (void)path;
    ck_assert_int_eq(st->st_size, 7);
    ck_assert(S_ISREG(st->st_mode));
    (*(int *)arg)++;
}

START_TEST(found_gets_stat_of_the_file)
{
    char *dir = testutil_tempdir();
    char *file = testutil_path(dir, "a.log");
    testutil_write_file(file, "1234567", 7);
    make_link(dir, "b.log", "a.log");
    struct globwalk *g = gw_new(dir, "{}/*.log", NULL);
    int n = 0;
    ck_assert_int_eq(globwalk_scan(g, stat_cb, &n), 2);
    ck_assert_int_eq(n, 2);
    globwalk_destroy(g);
    free(file);
    testutil_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *
globwalk_suite(void)
{
    Suite *s = suite_create("globwalk");
    TCase *tc = tcase_create("globwalk");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, star_matches_within_one_segment);
    tcase_add_test(tc, question_mark_matches_exactly_one_character);
    tcase_add_test(tc, bracket_matches_listed_characters);
    tcase_add_test(tc, relative_globstar_at_start_matches_at_any_depth);
    tcase_add_test(tc, globstar_in_middle_matches_zero_or_more_dirs);
    tcase_add_test(tc, globstar_at_end_matches_every_file_below);
    tcase_add_test(tc, two_globstars_in_one_pattern);
    tcase_add_test(tc, dotfiles_need_an_explicit_dot);
    tcase_add_test(tc, exclude_without_slash_matches_base_names);
    tcase_add_test(tc, exclude_with_slash_matches_the_full_path);
    tcase_add_test(tc, exclude_ending_in_globstar_prunes_the_walk);
    tcase_add_test(tc, relative_exclude_with_slash_matches_at_any_depth);
    tcase_add_test(tc, path_matched_by_several_patterns_reported_once);
    tcase_add_test(tc, deep_tree_is_walked);
    tcase_add_test(tc, symlink_loops_under_globstar_end);
    tcase_add_test(tc, symlinked_dir_entered_only_by_an_explicit_segment);
    tcase_add_test(tc, missing_prefix_directory_is_not_an_error);
    tcase_add_test(tc, thousand_files_in_one_directory);
    tcase_add_test(tc, dirs_lists_prefixes_then_entered_directories);
    tcase_add_test(tc, dirs_bounded_with_one_warning);
    tcase_add_test(tc, unreadable_directory_skipped_with_one_warning);
    tcase_add_test(tc, literal_names_found_in_a_search_only_directory);
    tcase_add_test(tc, bad_patterns_rejected_naming_the_pattern);
    tcase_add_test(tc, empty_pattern_rejected);
    tcase_add_test(tc, match_agrees_with_patterns_and_excludes);
    tcase_add_test(tc, found_gets_stat_of_the_file);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(globwalk_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
