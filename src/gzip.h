/*
 * Whole-batch gzip (RFC 1952): one struct gzip_enc per worker, made once,
 * so compressing allocates nothing once the output buffer is warm. A batch
 * is compressed in one call into room for the worst case. Levels 1 and 2
 * use ISA-L's igzip when logship is built with it (configure finds
 * libisal): on batches of our NDJSON here it runs 2.5x faster than
 * libdeflate's level 1 (609 vs 245 MB/s, ratio 8.2 vs 8.7), and gzip was
 * the largest item of the backfill profile. Level 0 and 3-9, and builds
 * without ISA-L, use libdeflate (1.5x zlib's speed at level 1 with 5%
 * smaller output); zlib stays for streaming (.gz input) and
 * gzip_decompress(). Not thread-safe: one owner per gzip_enc.
 * gzip_decompress() is for tests and the fault-injection server.
 */
#ifndef LOGSHIP_GZIP_H
#define LOGSHIP_GZIP_H

#include "buf.h"

#include <libdeflate.h>
#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#define GZIP_LEVEL_DEFAULT 1 /* fastest: the network is rarely the limit */

struct gzip_enc {
    struct libdeflate_compressor *c; /* owned */
    unsigned char *isal_buf; /* owned: ISA-L's level buffer; NULL: not used */
    size_t isal_buf_size;
    int level;
    bool logged; /* a compression error was logged already */
};

/*
 * Prepares g for level 0 (stored blocks) to 9 (smallest). Returns 0, or
 * -EINVAL for another level.
 */
int gzip_enc_init(struct gzip_enc *g, int level);
/* "isa-l" when g compresses with ISA-L, else "libdeflate". */
const char *gzip_enc_engine(const struct gzip_enc *g);
void gzip_enc_fini(struct gzip_enc *g);

/*
 * Appends len bytes at in to out as one gzip member. Returns 0; -E2BIG if
 * out's limit (or zlib's 4 GiB per call) cannot hold the worst case, with
 * out left as it was; -EIO if the compressor fails (logged the first time
 * only).
 */
int gzip_compress(struct gzip_enc *g, const char *in, size_t len,
                  struct buf *out);

/*
 * Appends the decompressed content of len bytes of gzip at in to out; one
 * or more concatenated members. Returns 0; -EPROTO for bytes that are not
 * complete gzip members (empty input, bad header or checksum, truncation,
 * trailing garbage); -E2BIG at out's limit. On error out may hold part of
 * the content.
 */
int gzip_decompress(const char *in, size_t len, struct buf *out);

#endif
