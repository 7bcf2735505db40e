/*
 * Inside the registry, shared by its two files: registry.c owns the
 * in-memory table and its mutexes; registry_file.c owns the JSON format,
 * the atomic file protocol and the lock file that keeps other processes
 * off the registry. Nothing outside them includes this.
 */
#ifndef LOGSHIP_REGISTRY_INT_H
#define LOGSHIP_REGISTRY_INT_H

#include "registry.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct registry_entry {
    struct fileid id;
    char *path; /* owned */
    uint64_t offset;
    struct registry_check check;
    int64_t updated_s;
    int64_t gone_since_s;
    bool gz;
    bool seen;                          /* found, added or seen since open */
    uint32_t holds;                     /* finds and adds not yet released */
    struct registry_entry *bucket_next; /* borrowed: hash chain */
};

struct registry {
    pthread_mutex_t lock;            /* everything up to save_lock */
    struct registry_entry **entries; /* owned, each owned; insertion order */
    size_t count;
    size_t cap;
    struct registry_entry **buckets; /* owned array of borrowed chains */
    size_t nbuckets;                 /* a power of two */
    uint64_t change_seq;             /* bumped by every change */
    uint64_t saved_seq;              /* change_seq of the last good save */
    int64_t prune_after_s;           /* < 0: never */
    int lock_fd; /* owned: <path>.lock, flock'd from open to close (set
                    before the registry is shared, so not under lock) */

    pthread_mutex_t save_lock; /* one save at a time; guards what follows */
    int dir_fd;                /* owned: the directory of path */
    char *path;                /* owned: as given, for messages */
    char *name;                /* owned: the file name inside dir_fd */
    char *name_tmp;            /* owned: name.tmp */
    char *name_bak;            /* owned: name.bak */
    char *name_bak_tmp;        /* owned: name.bak.tmp */
    char *name_lock;           /* owned: name.lock (never removed) */
    bool path_valid;           /* name holds a registry we loaded or wrote */
    int save_err;              /* the last save's -errno; 0 after success */
    int backup_err;            /* the same for the backup step */
};

/* registry.c */

/* Frees e (its path included); e may be NULL. */
void registry_entry_free(struct registry_entry *e);
/* Frees the first count entries of list, and list. */
void registry_free_list(struct registry_entry **list, size_t count);
/*
 * Moves parsed entries (list and each entry: taken) into the empty table,
 * dropping expired ones and duplicates; returns how many were kept.
 */
size_t registry_adopt(struct registry *reg, struct registry_entry **list,
                      size_t count, int64_t now_s);

/* registry_file.c */

/*
 * Takes the exclusive lock on <path>.lock (made mode 0600 if absent) that
 * keeps a second process off this registry, and writes our pid into it.
 * Sets reg->lock_fd, which registry_close() closes, releasing the lock.
 * Returns 0, or -EINVAL with err saying who holds it or what failed.
 */
int registry_file_lock(struct registry *reg, struct errbuf *err);

/* Loads <path>, or <path>.bak if it is bad, or nothing; logs which. Called
 * by registry_open() before the registry is shared. */
void registry_file_load(struct registry *reg);
/* Returns the registry file's text for count entries; the caller frees it. */
char *registry_file_format(const struct registry_entry *entries, size_t count);
/*
 * Replaces <path> with text atomically, refreshing <path>.bak first (see
 * registry_file.c). On failure sets *step to the step that failed and
 * returns -errno. The caller holds save_lock.
 */
int registry_file_write(struct registry *reg, const char *text,
                        const char **step);

#endif
