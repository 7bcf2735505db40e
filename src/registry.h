/*
 * The registry: per file identity, the committed offset (every event
 * before it acknowledged), saved atomically to a JSON file so a restart
 * resumes where the last run's acknowledgements ended.
 * Threads: input threads find, add, reset and mark entries; the ack path
 * (output thread) commits offsets; any thread saves. One mutex, held only
 * for in-memory work (never across I/O), guards the entries; a second one
 * serialises saves. Entries are stable pointers with a hold count: every
 * find and add returns a held entry, registry_release() drops the hold,
 * and pruning frees only entries nobody holds.
 */
#ifndef LOGSHIP_REGISTRY_H
#define LOGSHIP_REGISTRY_H

#include "errbuf.h"
#include "fileid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Bytes before the committed offset whose hash is saved with it. */
#define REGISTRY_CHECK_BYTES 256
/* The "version" written to and accepted from the registry file. */
#define REGISTRY_VERSION 1

struct registry;
struct registry_entry;

/* What a restart checks: the hash of the len bytes just before an offset. */
struct registry_check {
    uint64_t hash; /* fileid_hash_bytes() of those bytes; 0 when len is 0 */
    uint32_t len;  /* min(offset, REGISTRY_CHECK_BYTES); 0: size check only */
};

/* A copy of one entry's state, taken under the lock. */
struct registry_info {
    struct fileid id;
    const char *path; /* borrowed: valid during a foreach callback; NULL
                         from registry_entry_info() */
    uint64_t offset;  /* committed; in the uncompressed stream when gz */
    struct registry_check check;
    int64_t updated_s;    /* wall clock of the last change */
    int64_t gone_since_s; /* 0 while the file exists */
    bool gz;
};

/*
 * Opens the registry at path for this process alone: takes an exclusive
 * flock on <path>.lock (held until registry_close), then loads the file,
 * or <path>.bak when it is corrupt, or starts empty (each case logged),
 * dropping entries gone for longer than prune_after_s (< 0: never).
 * Returns NULL with err filled when the directory of path cannot be
 * opened, the lock file cannot be made, or another open registry (in this
 * process or another) holds the lock; a bad file is never fatal.
 */
struct registry *registry_open(const char *path, int64_t prune_after_s,
                               struct errbuf *err);
/* Frees the registry without saving and releases its lock; no entry may be
 * used afterwards. */
void registry_close(struct registry *reg);

/* Returns the held entry with exactly this identity, or NULL. */
struct registry_entry *registry_find(struct registry *reg,
                                     const struct fileid *id);
/*
 * Finds the entry for an open plain file whose saved fingerprint still
 * matches its first bytes, however long the file has grown since: the way
 * to look a file up, since fileid_of() on a grown file gives a longer
 * fingerprint that registry_find() would miss. Reads with pread(2), then
 * calls registry_find_bytes(). Sets *out to the held entry or NULL.
 * Returns 0 or -errno from the read.
 */
int registry_find_fd(struct registry *reg, int fd, const struct stat *st,
                     struct registry_entry **out);
/*
 * Returns the held entry with this device and inode whose fingerprint
 * matches the n bytes at first_bytes (the start of the stream; for a .gz,
 * uncompressed), or NULL; the longest fingerprint wins.
 */
struct registry_entry *registry_find_bytes(struct registry *reg, uint64_t dev,
                                           uint64_t ino,
                                           const void *first_bytes, size_t n);
/*
 * Returns the held entry last seen at path (one not gone first, then the
 * most recently updated), or NULL: for rotation, where the path is all
 * that is left to compare.
 */
struct registry_entry *registry_find_path(struct registry *reg,
                                          const char *path);
/*
 * Returns a held new entry for id at offset 0 (path is copied; gz: offsets
 * are in the uncompressed stream), or the existing entry with exactly this
 * identity, its path updated and its gone mark cleared.
 */
struct registry_entry *registry_add(struct registry *reg,
                                    const struct fileid *id, const char *path,
                                    bool gz);
/* Drops a hold taken by a find or add (e may be NULL); e must not be used
 * afterwards. */
void registry_release(struct registry *reg, struct registry_entry *e);

/*
 * Moves e's committed offset forward to offset, with the check of the
 * bytes before it (NULL: unknown, size check only). Called once per
 * acknowledged chunk. Returns 0, -ESTALE (and changes nothing) when
 * generation is not e's (the ack belongs to the file's life before a
 * truncation), or -ERANGE when offset is behind the committed one.
 */
int registry_commit(struct registry *reg, struct registry_entry *e,
                    uint32_t generation, uint64_t offset,
                    const struct registry_check *check);
/*
 * Restarts e after truncation: takes id's fingerprint, moves the offset
 * back to 0, and gives e the next generation, which it also writes to
 * id->generation. id must have e's device and inode.
 */
void registry_reset(struct registry *reg, struct registry_entry *e,
                    struct fileid *id);
/* Records that e's file is now found at path (copied). */
void registry_set_path(struct registry *reg, struct registry_entry *e,
                       const char *path);
/*
 * Records that e's file was not found at now_s; the first such time is
 * kept, and pruning counts from it. Call it only once the file is closed.
 */
void registry_mark_gone(struct registry *reg, struct registry_entry *e,
                        int64_t now_s);
/* Records that e's file exists (again). */
void registry_mark_seen(struct registry *reg, struct registry_entry *e);
/*
 * Marks gone, at now_s, every entry not held that nobody found, added or
 * marked seen since the registry was opened: call it after the first full
 * scan, so files deleted while logship was down get pruned in time.
 * Returns how many were marked.
 */
size_t registry_mark_unseen_gone(struct registry *reg, int64_t now_s);
/* Frees entries not held and gone for longer than prune_after_s at now_s;
 * returns how many. */
size_t registry_prune(struct registry *reg, int64_t now_s);

/* True when something changed since the last successful save. */
bool registry_dirty(struct registry *reg);
/*
 * Prunes, then, if anything changed, writes the registry atomically (see
 * registry.c for the crash analysis). Logs a failure once per run of
 * failures. Returns 0 or -errno.
 */
int registry_save(struct registry *reg);

/* Copies e's state into out (path set to NULL). */
void registry_entry_info(struct registry *reg, const struct registry_entry *e,
                         struct registry_info *out);
/* Returns a copy of e's last known path; the caller frees it. */
char *registry_entry_path(struct registry *reg, const struct registry_entry *e);
/* The number of entries. */
size_t registry_count(struct registry *reg);
/*
 * Calls fn for each entry in insertion order, under the lock: fn must not
 * call the registry.
 */
void registry_foreach(struct registry *reg,
                      void (*fn)(const struct registry_info *info, void *arg),
                      void *arg);

/*
 * Computes the check for offset in fd with pread(2). Returns 0, -ENODATA
 * when the file is shorter than offset, or -errno.
 */
int registry_check_bytes(int fd, uint64_t offset, struct registry_check *out);
/*
 * Computes the check from end_bytes[0..n), the bytes just before the offset
 * (for a .gz, of the inflated stream); only the last REGISTRY_CHECK_BYTES
 * of them are used.
 */
void registry_check_from_bytes(const void *end_bytes, size_t n,
                               struct registry_check *out);
/*
 * Sets *matches to whether fd is at least offset bytes long and the
 * known->len bytes before offset hash to known->hash. Returns 0 or -errno.
 */
int registry_check_matches(int fd, uint64_t offset,
                           const struct registry_check *known, bool *matches);

#endif
