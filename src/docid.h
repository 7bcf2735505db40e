/*
 * Deterministic document ids: the same event (host, file identity, offset)
 * always gets the same _id, so a replay after a crash is answered with 409
 * on `create` instead of indexing the line twice. The id is SipHash-2-4
 * with a 128-bit output under a fixed public key, over an unambiguous
 * little-endian serialisation of the inputs, written as 22 characters of
 * base64url without padding. Pure, allocation-free, any thread. A caller
 * making many ids for one file hashes the host and identity once
 * (struct docid_prefix) and then only each offset: the same ids, cheaper.
 */
#ifndef LOGSHIP_DOCID_H
#define LOGSHIP_DOCID_H

#include "fileid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters of an id: ceil(128 / 6). */
#define DOCID_LEN 22

/*
 * Writes the id of the event at offset in the file id on host into out
 * (DOCID_LEN characters and a NUL). The result is the same on every
 * platform and in every version: changing it would re-index every replayed
 * line, so the golden vectors in check_docid.c pin it.
 */
void docid_make(const char *host, size_t host_len, const struct fileid *id,
                uint64_t offset, char out[DOCID_LEN + 1]);

/* SipHash state while bytes stream in (public for its size only). */
struct docid_sip {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;  /* the last 0..7 bytes, little-endian */
    unsigned ntail; /* bytes in tail */
    uint64_t total; /* bytes so far, mod 2^64 (only the low byte is used) */
};

/*
 * The hash of everything in an id but the offset: the host and the file
 * identity it was made from, and the SipHash state after them. Plain data:
 * copy it freely.
 */
struct docid_prefix {
    struct fileid id;     /* the identity hashed */
    struct docid_sip sip; /* after host_len, host and id */
};

/* Hashes host and id into p, for docid_prefix_make(). */
void docid_prefix_init(struct docid_prefix *p, const char *host,
                       size_t host_len, const struct fileid *id);
/*
 * True when p was made from an identity equal to id in every field the id
 * hashes (the host is the caller's to keep the same).
 */
static inline bool
docid_prefix_matches(const struct docid_prefix *p, const struct fileid *id)
{
    return p->id.dev == id->dev && p->id.ino == id->ino &&
           p->id.fingerprint == id->fingerprint &&
           p->id.fingerprint_len == id->fingerprint_len &&
           p->id.generation == id->generation;
}

/*
 * Writes the id of the event at offset into out, exactly as docid_make()
 * would with the host and identity p was made from.
 */
void docid_prefix_make(const struct docid_prefix *p, uint64_t offset,
                       char out[DOCID_LEN + 1]);

/*
 * Computes SipHash-2-4 with a 128-bit output (the reference algorithm,
 * bytes in the reference order) of len bytes at in under key. Exposed so
 * the tests can check it against the published test vectors.
 */
void docid_siphash128(const uint8_t key[16], const void *in, size_t len,
                      uint8_t out[16]);

#endif
