/*
 * The fixture and helpers the registry runners share (check_registry.c,
 * check_registry_file.c): a fresh temp dir per test with the registry's
 * file names in it, opening a registry that must open, identities made
 * from first bytes, commits, offsets, and snapshots of the whole table.
 * Every helper fails the running Check test on an unexpected error, so
 * callers never check results. Call them from the test's own process only.
 */
#ifndef LOGSHIP_TEST_REGTEST_H
#define LOGSHIP_TEST_REGTEST_H

#include "fileid.h"
#include "registry.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The prune_after_s of registry_open() that keeps every entry. */
#define REGTEST_NO_PRUNE (-1)

/* The running test's files, made by regtest_setup(). */
struct regtest_files {
    char *dir;  /* owned: the temp dir, removed with all it holds */
    char *path; /* owned: dir/registry.json */
    char *bak;  /* owned: path.bak */
    char *tmp;  /* owned: path.tmp */
    char *lock; /* owned: path.lock */
};

extern struct regtest_files regtest;

/* Makes a fresh temp dir and names the registry's files in it. */
void regtest_setup(void);
/* Removes the temp dir and frees the names. */
void regtest_teardown(void);

/* Opens the registry at regtest.path, which must succeed. */
struct registry *regtest_open(int64_t prune_after_s);
/* The identity of a file on (dev, ino) that starts with first_bytes. */
struct fileid regtest_make_id(uint64_t dev, uint64_t ino,
                              const char *first_bytes);
/* Adds id at path p, commits offset, and releases the entry. */
void regtest_add_at(struct registry *reg, const struct fileid *id,
                    const char *p, uint64_t offset);
/* The committed offset of id, which must be in reg. */
uint64_t regtest_offset_of(struct registry *reg, const struct fileid *id);
/* Parses the JSON file p, which must be valid; the caller decrefs it. */
json_t *regtest_load_json(const char *p);

/* A copy of every entry's info, in the registry's order. */
struct regtest_snap {
    struct registry_info *infos; /* owned; each path owned */
    size_t count;
};

/* Copies the info of every entry of reg; free with regtest_snap_free(). */
struct regtest_snap regtest_snap_take(struct registry *reg);
/* Frees what regtest_snap_take() copied. */
void regtest_snap_free(struct regtest_snap *s);

#endif
