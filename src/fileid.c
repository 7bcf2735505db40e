/*
 * File identity. The fingerprint hash is FNV-1a 64 (byte at a time, so the
 * same on every byte order) followed by the MurmurHash3 fmix64 finaliser:
 * plain FNV-1a leaves the high bits weakly mixed for short inputs, and the
 * finaliser makes every input bit affect every output bit. It is not a
 * cryptographic hash; it only has to tell different log files apart.
 * Reads use pread(2) only: the caller's file offset is never moved.
 */
#include "config.h"
#include "fileid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#define FILEID_FNV_OFFSET 0xcbf29ce484222325ULL
#define FILEID_FNV_PRIME  0x100000001b3ULL

/* MurmurHash3's 64-bit finaliser (public domain constants). */
static uint64_t
fileid_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t
fileid_hash_bytes(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = FILEID_FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= FILEID_FNV_PRIME;
    }
    return fileid_fmix64(h);
}

/*
 * Reads up to len bytes at offset 0; returns the count read (short only at
 * end of file) or -errno.
 */
static ssize_t
fileid_read_head(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
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
fileid_of(int fd, const struct stat *st, struct fileid *out)
{
    struct stat own;
    if (st == NULL) {
        if (fstat(fd, &own) < 0)
            return -errno;
        st = &own;
    }
    unsigned char head[FILEID_FP_BYTES];
    size_t want = FILEID_FP_BYTES;
    if (st->st_size >= 0 && (uint64_t)st->st_size < want)
        want = (size_t)st->st_size;
    /* A file that shrank since st was taken gives fewer bytes: use them. */
    ssize_t n = fileid_read_head(fd, head, want);
    if (n < 0)
        return (int)n;
    fileid_of_bytes((uint64_t)st->st_dev, (uint64_t)st->st_ino, head, (size_t)n,
                    out);
    return 0;
}

void
fileid_of_bytes(uint64_t dev, uint64_t ino, const void *first_bytes, size_t n,
                struct fileid *out)
{
    if (n > FILEID_FP_BYTES)
        n = FILEID_FP_BYTES;
    out->dev = dev;
    out->ino = ino;
    out->fingerprint = fileid_hash_bytes(first_bytes, n);
    out->fingerprint_len = (uint32_t)n;
    out->generation = 0;
}

bool
fileid_prefix_matches(const struct fileid *known, const void *first_bytes,
                      size_t n)
{
    if (n < known->fingerprint_len)
        return false;
    return fileid_hash_bytes(first_bytes, known->fingerprint_len) ==
           known->fingerprint;
}

int
fileid_still_matches(int fd, const struct fileid *known, bool *matches)
{
    unsigned char head[FILEID_FP_BYTES];
    size_t want = known->fingerprint_len;
    if (want > sizeof(head))
        want = sizeof(head); /* never for a valid identity */
    ssize_t n = fileid_read_head(fd, head, want);
    if (n < 0)
        return (int)n;
    *matches = fileid_prefix_matches(known, head, (size_t)n);
    return 0;
}

bool
fileid_same_file(const struct fileid *a, const struct fileid *b)
{
    return a->dev == b->dev && a->ino == b->ino &&
           a->fingerprint == b->fingerprint &&
           a->fingerprint_len == b->fingerprint_len &&
           a->generation == b->generation;
}

void
fileid_format(const struct fileid *id, char *out, size_t len)
{
    snprintf(
        out, len, "%" PRIu64 ":%" PRIu64 ":%016" PRIx64 "/%" PRIu32 "#%" PRIu32,
        id->dev, id->ino, id->fingerprint, id->fingerprint_len, id->generation);
}
