/* The registry runners' fixture and helpers; see regtest.h. */
#include "config.h"

#include "regtest.h"

#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct regtest_files regtest;

void
regtest_setup(void)
{
    regtest.dir = testutil_tempdir();
    regtest.path = testutil_path(regtest.dir, "registry.json");
    regtest.bak = xasprintf("%s.bak", regtest.path);
    regtest.tmp = xasprintf("%s.tmp", regtest.path);
    regtest.lock = xasprintf("%s.lock", regtest.path);
}

void
regtest_teardown(void)
{
    testutil_rmtree(regtest.dir);
    free(regtest.dir);
    free(regtest.path);
    free(regtest.bak);
    free(regtest.tmp);
    free(regtest.lock);
    regtest = (struct regtest_files){0};
}

struct registry *
regtest_open(int64_t prune_after_s)
{
    struct errbuf err = {{0}};
    struct registry *reg = registry_open(regtest.path, prune_after_s, &err);
    ck_assert_msg(reg != NULL, "registry_open: %s", err.msg);
    return reg;
}

struct fileid
regtest_make_id(uint64_t dev, uint64_t ino, const char *first_bytes)
{
    struct fileid id;
    fileid_of_bytes(dev, ino, first_bytes, strlen(first_bytes), &id);
    return id;
}

void
regtest_add_at(struct registry *reg, const struct fileid *id, const char *p,
               uint64_t offset)
{
    struct registry_entry *e = registry_add(reg, id, p, false);
    ck_assert_int_eq(registry_commit(reg, e, id->generation, offset, NULL), 0);
    registry_release(reg, e);
}

uint64_t
regtest_offset_of(struct registry *reg, const struct fileid *id)
{
    struct registry_entry *e = registry_find(reg, id);
    ck_assert_ptr_nonnull(e);
    struct registry_info info;
    registry_entry_info(reg, e, &info);
    registry_release(reg, e);
    return info.offset;
}

json_t *
regtest_load_json(const char *p)
{
    json_error_t jerr;
    json_t *root = json_load_file(p, 0, &jerr);
    ck_assert_msg(root != NULL, "%s: %s", p, jerr.text);
    return root;
}

/* registry_foreach()'s callback: appends a copy of info to the snap. */
static void
regtest_snap_add(const struct registry_info *info, void *arg)
{
    struct regtest_snap *s = arg;
    s->infos = xrealloc(s->infos, (s->count + 1) * sizeof(*s->infos));
    s->infos[s->count] = *info;
    s->infos[s->count].path = xstrdup(info->path);
    s->count++;
}

struct regtest_snap
regtest_snap_take(struct registry *reg)
{
    struct regtest_snap s = {NULL, 0};
    registry_foreach(reg, regtest_snap_add, &s);
    return s;
}

void
regtest_snap_free(struct regtest_snap *s)
{
    for (size_t i = 0; i < s->count; i++)
        free((char *)s->infos[i].path);
    free(s->infos);
}
