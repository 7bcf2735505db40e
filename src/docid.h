/*
 * Deterministic document ids: the same event (host, file identity, offset)
 * always gets the same _id, so a replay after a crash is answered with 409
 * on `create` instead of indexing the line twice. The id is SipHash-2-4
 * with a 128-bit output under a fixed public key, over an unambiguous
 * little-endian serialisation of the inputs, written as 22 characters of
 * base64url without padding. Pure, allocation-free, any thread.
 */
#ifndef LOGSHIP_DOCID_H
#define LOGSHIP_DOCID_H

#include "fileid.h"

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

/*
 * Computes SipHash-2-4 with a 128-bit output (the reference algorithm,
 * bytes in the reference order) of len bytes at in under key. Exposed so
 * the tests can check it against the published test vectors.
 */
void docid_siphash128(const uint8_t key[16], const void *in, size_t len,
                      uint8_t out[16]);

#endif
