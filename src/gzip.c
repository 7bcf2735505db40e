/*
 * Batch gzip with ISA-L (levels 1-2, when built with it) or libdeflate,
 * and gzip decoding with zlib. Both compressors write the gzip wrapper
 * themselves and compress a whole buffer in one call, into room reserved
 * with libdeflate's bound (stored blocks, the worst case); should ISA-L
 * ever need more, libdeflate compresses the batch instead. Workers call
 * the encoder; nothing here is shared between threads.
 */
#include "config.h"

#include "gzip.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
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
#ifdef HAVE_ISAL
    if (level == 1 || level == 2) {
        g->isal_buf_size =
            level == 1 ? ISAL_DEF_LVL1_DEFAULT : ISAL_DEF_LVL2_DEFAULT;
        g->isal_buf = xmalloc(g->isal_buf_size);
    }
#endif
    /* xalloc_init made libdeflate use xmalloc: NULL means a bad level. */
    g->c = libdeflate_alloc_compressor(level);
    return g->c ? 0 : -EINVAL;
}

void
gzip_enc_fini(struct gzip_enc *g)
{
    libdeflate_free_compressor(g->c);
    g->c = NULL;
    free(g->isal_buf);
    g->isal_buf = NULL;
}

const char *
gzip_enc_engine(const struct gzip_enc *g)
{
    return g->isal_buf != NULL ? "isa-l" : "libdeflate";
}

#ifdef HAVE_ISAL
/*
 * Compresses with ISA-L into room bytes at d; returns the size, or 0 when
 * the room was not enough or ISA-L refused (the caller then uses
 * libdeflate, so this never loses a batch).
 */
static size_t
gzip_isal(struct gzip_enc *g, const char *in, size_t len, char *d, size_t room)
{
    struct isal_zstream zs;
    if (len > UINT32_MAX || room > UINT32_MAX)
        return 0;
    isal_deflate_stateless_init(&zs);
    zs.level = (uint32_t)g->level;
    zs.level_buf = g->isal_buf;
    zs.level_buf_size = (uint32_t)g->isal_buf_size;
    zs.gzip_flag = IGZIP_GZIP;
    zs.end_of_stream = 1;
    zs.flush = NO_FLUSH;
    zs.next_in = (uint8_t *)(uintptr_t)in;
    zs.avail_in = (uint32_t)len;
    zs.next_out = (uint8_t *)d;
    zs.avail_out = (uint32_t)room;
    int rc = isal_deflate_stateless(&zs);
    if (rc != COMP_OK) {
        if (rc != STATELESS_OVERFLOW && !g->logged)
            log_warn("gzip",
                     "isal_deflate_stateless failed (%d); using "
                     "libdeflate",
                     rc);
        g->logged |= rc != STATELESS_OVERFLOW;
        return 0;
    }
    return zs.total_out;
}
#endif

int
gzip_compress(struct gzip_enc *g, const char *in, size_t len, struct buf *out)
{
    size_t bound = libdeflate_gzip_compress_bound(g->c, len);
    int rc = buf_reserve(out, bound);
    if (rc < 0)
        return rc;
    size_t n = 0;
#ifdef HAVE_ISAL
    if (g->isal_buf != NULL)
        n = gzip_isal(g, in, len, out->data + out->len, bound);
#endif
    if (n == 0)
        n = libdeflate_gzip_compress(g->c, in, len, out->data + out->len,
                                     bound);
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
