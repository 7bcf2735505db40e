/*
 * gzip framing with zlib. deflateInit2 with windowBits 15 + 16 selects the
 * gzip wrapper; deflateReset between batches keeps the ~256 KiB of zlib
 * state. deflateBound() after the reset covers the wrapper too, and zlib
 * documents that one deflate(Z_FINISH) into that much room completes the
 * stream. zlib allocates through xmalloc (so it cannot run out of memory
 * without the process aborting, as everywhere else). Workers call the
 * encoder; nothing here is shared between threads.
 */
#include "config.h"

#include "gzip.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GZIP_WINDOW_BITS   15 /* the largest window: best ratio per level */
#define GZIP_WRAPPER_GZIP  16 /* added to windowBits: gzip framing */
#define GZIP_MEM_LEVEL     8  /* zlib's default */
#define GZIP_INFLATE_CHUNK (64 * 1024)

static voidpf
gzip_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return xcalloc(items, size);
}

static void
gzip_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    free(p);
}

int
gzip_enc_init(struct gzip_enc *g, int level)
{
    memset(g, 0, sizeof(*g));
    if (level < 0 || level > 9)
        return -EINVAL;
    g->level = level;
    /* xalloc_init made libdeflate use xmalloc: NULL means a bad level. */
    g->c = libdeflate_alloc_compressor(level);
    return g->c ? 0 : -EINVAL;
}

void
gzip_enc_fini(struct gzip_enc *g)
{
    libdeflate_free_compressor(g->c);
    g->c = NULL;
}

int
gzip_compress(struct gzip_enc *g, const char *in, size_t len, struct buf *out)
{
    size_t bound = libdeflate_gzip_compress_bound(g->c, len);
    int rc = buf_reserve(out, bound);
    if (rc < 0)
        return rc;
    size_t n =
        libdeflate_gzip_compress(g->c, in, len, out->data + out->len, bound);
    if (n == 0) { /* cannot happen with the bound's room */
        if (!g->logged)
            log_error("gzip", "libdeflate_gzip_compress failed");
        g->logged = true;
        return -EIO;
    }
    out->len += n;
    out->data[out->len] = '\0'; /* buf keeps room for it */
    return 0;
}

/* Inflates members from zs->next_in until the input ends; see the header. */
static int
gzip_inflate_all(z_stream *zs, struct buf *out)
{
    for (;;) {
        int rc = buf_reserve(out, GZIP_INFLATE_CHUNK);
        if (rc < 0)
            return rc;
        zs->next_out = (Bytef *)out->data + out->len;
        zs->avail_out = GZIP_INFLATE_CHUNK;
        int zrc = inflate(zs, Z_NO_FLUSH);
        out->len += GZIP_INFLATE_CHUNK - zs->avail_out;
        out->data[out->len] = '\0';
        if (zrc == Z_STREAM_END) {
            if (zs->avail_in == 0)
                return 0;
            /* Another member follows: it must start with the gzip magic. */
            if (zs->avail_in < 2 || zs->next_in[0] != 0x1f ||
                zs->next_in[1] != 0x8b)
                return -EPROTO;
            inflateReset(zs);
        } else if (zrc == Z_BUF_ERROR) {
            if (zs->avail_out != 0) /* no progress with room left: truncated */
                return -EPROTO;
        } else if (zrc == Z_MEM_ERROR) {
            return -ENOMEM;
        } else if (zrc != Z_OK) {
            return -EPROTO;
        }
    }
}

int
gzip_decompress(const char *in, size_t len, struct buf *out)
{
    if (len < 2 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b)
        return -EPROTO;
    if (len > UINT_MAX)
        return -E2BIG;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    zs.zalloc = gzip_zalloc;
    zs.zfree = gzip_zfree;
    if (inflateInit2(&zs, GZIP_WINDOW_BITS + GZIP_WRAPPER_GZIP) != Z_OK)
        return -ENOMEM;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    int rc = gzip_inflate_all(&zs, out);
    inflateEnd(&zs);
    return rc;
}
