/*
 * File identity: what makes "the same file" across renames and restarts.
 * Device and inode find it; a fingerprint of its first bytes tells a
 * reused inode from the file we knew; a generation counter tells the
 * copytruncate'd restart of a file from its earlier life. Document ids are
 * derived from the identity and the event offset (docid.c), so the same
 * line always gets the same _id. Pure functions plus pread(2): any thread.
 */
#ifndef LOGSHIP_FILEID_H
#define LOGSHIP_FILEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Bytes hashed into the fingerprint once a file is at least this big. */
#define FILEID_FP_BYTES 1024
/* Room for fileid_format()'s longest output, NUL included. */
#define FILEID_FORMAT_LEN 96

struct fileid {
    uint64_t dev;
    uint64_t ino;
    uint64_t fingerprint;     /* hash of the first fingerprint_len bytes */
    uint32_t fingerprint_len; /* < FILEID_FP_BYTES only for small files */
    uint32_t generation;      /* increases each time truncation is seen */
};

/*
 * Returns the 64-bit hash of len bytes (FNV-1a 64 with a final avalanche
 * mix). Hashes are saved in the registry and feed document ids, so this
 * function must never change: a test pins its output.
 */
uint64_t fileid_hash_bytes(const void *p, size_t len);

/*
 * Identifies the open regular file fd: its device and inode (from st, or
 * from fstat(2) when st is NULL) and the fingerprint of its first
 * min(size, FILEID_FP_BYTES) bytes, read with pread(2) so the file offset
 * never moves; generation 0. Returns 0 or -errno.
 */
int fileid_of(int fd, const struct stat *st, struct fileid *out);

/*
 * Identifies a file from bytes the caller already has: the first n bytes of
 * its stream (for a .gz, of the uncompressed stream); at most
 * FILEID_FP_BYTES of them are used. Generation 0.
 */
void fileid_of_bytes(uint64_t dev, uint64_t ino, const void *first_bytes,
                     size_t n, struct fileid *out);

/*
 * True when the n bytes at first_bytes (the start of the stream) still
 * begin with the bytes known was fingerprinted from: false when there are
 * fewer than known->fingerprint_len of them or they differ.
 */
bool fileid_prefix_matches(const struct fileid *known, const void *first_bytes,
                           size_t n);

/*
 * Re-reads the first known->fingerprint_len bytes of fd and sets *matches
 * to whether they still hash to the fingerprint: false after truncation
 * below that length, a rewrite, or when the inode now holds another file.
 * Returns 0 or -errno (then *matches is untouched).
 */
int fileid_still_matches(int fd, const struct fileid *known, bool *matches);

/* True when a and b are the same identity, field by field. */
bool fileid_same_file(const struct fileid *a, const struct fileid *b);

/* Writes "dev:ino:fingerprint/len#generation" for logs (truncated to len). */
void fileid_format(const struct fileid *id, char *out, size_t len);

#endif
