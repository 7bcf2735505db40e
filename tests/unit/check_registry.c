/*
 * The registry's in-memory table (registry.c) on real files in temp dirs:
 * pruning, holds, monotonic commits, truncation generations, lookups by
 * content, path and identity, the offset check, and commits racing saves
 * while a reader keeps parsing. The file format, the atomic save, broken
 * files and the lock are tested in check_registry_file.c.
 */
#include "config.h"

#include "fileid.h"
#include "registry.h"
#include "regtest.h"
#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BIG_FILE_BYTES 5000

/* ---- pruning and holds ---- */

START_TEST(entries_gone_too_long_are_pruned_in_memory_at_save_and_at_load)
{
    int64_t now = time(NULL);
    struct registry *reg = regtest_open(100);
    struct fileid a = regtest_make_id(1, 1, "a"),
                  b = regtest_make_id(1, 2, "b"),
                  c = regtest_make_id(1, 3, "c");
    regtest_add_at(reg, &a, "/l/a", 1);
    regtest_add_at(reg, &b, "/l/b", 1);
    regtest_add_at(reg, &c, "/l/c", 1);
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
    json_t *root = regtest_load_json(regtest.path);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "entries")), 1);
    json_decref(root);
    registry_close(reg);

    reg = regtest_open(10); /* b has been gone 50 s */
    ck_assert_uint_eq(registry_count(reg), 0);
    ck_assert(registry_dirty(reg));
    registry_close(reg);
}
END_TEST

START_TEST(held_entries_are_never_pruned)
{
    int64_t now = time(NULL);
    struct registry *reg = regtest_open(0);
    struct fileid a = regtest_make_id(1, 1, "a");
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
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid a = regtest_make_id(1, 1, "a");
    struct registry_entry *e = registry_add(reg, &a, "/l/a", false);
    registry_mark_gone(reg, e, 1);
    registry_release(reg, e);
    ck_assert_uint_eq(registry_prune(reg, time(NULL)), 0);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);
    reg = regtest_open(REGTEST_NO_PRUNE);
    ck_assert_uint_eq(registry_count(reg), 1);
    registry_close(reg);
}
END_TEST

START_TEST(gone_since_keeps_the_first_time_until_seen)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid a = regtest_make_id(1, 1, "a");
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
    struct fileid a = regtest_make_id(1, 1, "a"),
                  b = regtest_make_id(1, 2, "b"),
                  c = regtest_make_id(1, 3, "c");
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    regtest_add_at(reg, &a, "/l/a", 1);
    regtest_add_at(reg, &b, "/l/b", 1);
    regtest_add_at(reg, &c, "/l/c", 1);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    reg = regtest_open(REGTEST_NO_PRUNE);
    struct registry_entry *ea = registry_find(reg, &a); /* found: seen */
    struct registry_entry *eb = registry_find_path(reg, "/l/b"); /* not */
    registry_mark_seen(reg, eb);
    registry_release(reg, eb);
    ck_assert_uint_eq(registry_mark_unseen_gone(reg, 5000), 1);
    ck_assert_uint_eq(registry_mark_unseen_gone(reg, 6000), 0);
    struct regtest_snap s = regtest_snap_take(reg);
    ck_assert_int_eq(s.infos[0].gone_since_s, 0);
    ck_assert_int_eq(s.infos[1].gone_since_s, 0);
    ck_assert_int_eq(s.infos[2].gone_since_s, 5000);
    regtest_snap_free(&s);
    registry_release(reg, ea);
    registry_close(reg);
}
END_TEST

/* ---- commits and truncation ---- */

START_TEST(commit_moves_only_forward)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
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
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "old first bytes");
    struct registry_entry *e = registry_add(reg, &id, "/l/a", false);
    ck_assert_int_eq(registry_commit(reg, e, 0, 500, NULL), 0);
    struct fileid fresh = regtest_make_id(1, 2, "new");
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
    reg = regtest_open(REGTEST_NO_PRUNE);
    ck_assert_uint_eq(regtest_offset_of(reg, &fresh), 3);
    registry_close(reg);
}
END_TEST

/* ---- lookups ---- */

START_TEST(adding_a_known_identity_returns_the_same_entry)
{
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid id = regtest_make_id(1, 2, "abc");
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
    char *log = testutil_path(regtest.dir, "app.log");
    testutil_write_file(log, data, 100);
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    struct fileid id;
    ck_assert_int_eq(fileid_of(fd, NULL, &id), 0);
    struct registry_check check;
    ck_assert_int_eq(registry_check_bytes(fd, 100, &check), 0);
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct registry_entry *e = registry_add(reg, &id, log, false);
    ck_assert_int_eq(registry_commit(reg, e, 0, 100, &check), 0);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    testutil_append_file(log, data + 100, sizeof(data) - 100);
    reg = regtest_open(REGTEST_NO_PRUNE);
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
    char *gzpath = testutil_path(regtest.dir, "old.log.gz");
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

    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct registry_entry *e = registry_add(reg, &id, gzpath, true);
    ck_assert_int_eq(registry_commit(reg, e, 0, 3000, &check), 0);
    registry_release(reg, e);
    ck_assert_int_eq(registry_save(reg), 0);
    registry_close(reg);

    reg = regtest_open(REGTEST_NO_PRUNE);
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
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid short_id = regtest_make_id(1, 2, "abcdefghij");
    struct fileid long_id = regtest_make_id(1, 2, "abcdefghijklmnopqrst");
    regtest_add_at(reg, &short_id, "/l/old", 5);
    regtest_add_at(reg, &long_id, "/l/new", 6);
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
    struct registry *reg = regtest_open(REGTEST_NO_PRUNE);
    struct fileid old = regtest_make_id(1, 2, "old");
    struct fileid cur = regtest_make_id(1, 3, "cur");
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
    char *log = testutil_path(regtest.dir, "app.log");
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
        if (!race_read(regtest.path, cur, COMMITTERS * PER_COMMITTER)) {
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
        if (!race_read(regtest.path, cur, COMMITTERS * PER_COMMITTER))
            atomic_fetch_add(&r->bad_files, 1);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

START_TEST(commits_racing_saves_never_go_backwards_or_tear_a_file)
{
    static struct race r;
    r.reg = regtest_open(REGTEST_NO_PRUNE);
    for (int t = 0; t < COMMITTERS; t++) {
        for (int j = 0; j < PER_COMMITTER; j++) {
            char text[32];
            snprintf(text, sizeof(text), "t%d-%d", t, j);
            struct fileid id =
                regtest_make_id(9, (uint64_t)(t * 100 + j), text);
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
    ck_assert(race_read(regtest.path, last, COMMITTERS * PER_COMMITTER));
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
    tcase_add_checked_fixture(tc, regtest_setup, regtest_teardown);
    tcase_set_timeout(tc, 60);
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
