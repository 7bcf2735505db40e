/*
 * Line cutting. The chunk buffer starts with the carried partial line; new
 * bytes are appended by read() and scanned once with memchr. Offsets are
 * kept explicitly per event because truncation discards bytes, so buffer
 * positions and stream offsets part ways. Never allocates once the chunk
 * and carry buffers are warm.
 */
#include "config.h"
#include "harvester.h"

#include "event.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void
harvester_init(struct harvester *h, int fd, uint64_t offset, size_t read_bytes,
               size_t max_line_bytes)
{
    memset(h, 0, sizeof(*h));
    h->fd = fd;
    h->read_offset = offset;
    h->line_offset = offset;
    h->read_bytes = read_bytes;
    h->max_line_bytes = max_line_bytes;
    buf_init(&h->carry, max_line_bytes + 1);
}

void
harvester_fini(struct harvester *h)
{
    buf_fini(&h->carry);
}

size_t
harvester_chunk_bytes(size_t read_bytes, size_t max_line_bytes)
{
    return 2 * read_bytes + max_line_bytes + 1;
}

/*
 * Records the line [start, end) of c->data (end excludes the \n): drops a
 * trailing \r, then keeps at most max_line_bytes, flagging the cut.
 */
static void
harvester_emit(struct harvester *h, struct chunk *c, size_t start, size_t end)
{
    size_t len = end - start;
    unsigned flags = 0;
    if (len > 0 && c->data.data[end - 1] == '\r')
        len--;
    if (len > h->max_line_bytes) {
        len = h->max_line_bytes;
        flags = EVENT_TRUNCATED;
    }
    if (len > 0)
        chunk_add_event(c, h->line_offset, start, len, flags);
}

/*
 * Cuts the complete lines in c->data[*line_start, len); new bytes start at
 * scan. Returns where the next line starts.
 */
static size_t
harvester_cut(struct harvester *h, struct chunk *c, size_t line_start,
              size_t scan)
{
    char *data = c->data.data;
    size_t len = c->data.len;
    while (scan < len) {
        char *nl = memchr(data + scan, '\n', len - scan);
        if (nl == NULL)
            break;
        size_t end = (size_t)(nl - data);
        if (h->skipping) {
            /* The rest of a truncated line: drop it from the buffer. */
            h->skipping = false;
            h->line_offset = h->read_offset - (len - end) + 1;
            memmove(data + line_start, nl + 1, len - end - 1);
            len -= end + 1 - line_start;
            c->data.len = len;
            scan = line_start;
            continue;
        }
        harvester_emit(h, c, line_start, end);
        h->line_offset += end + 1 - line_start;
        line_start = end + 1;
        scan = line_start;
    }
    if (h->skipping) {
        c->data.len = line_start; /* still inside the truncated line */
    } else if (len - line_start > h->max_line_bytes + 1) {
        /* Over max even if its last byte is the \r of a CRLF: cut now, as
         * is (a \r inside the line is text). */
        chunk_add_event(c, h->line_offset, line_start, h->max_line_bytes,
                        EVENT_TRUNCATED);
        line_start += h->max_line_bytes;
        c->data.len = line_start;
        h->skipping = true;
        return harvester_cut(h, c, line_start, line_start);
    }
    return line_start;
}

/* True when a read() would not block; only asked of pipes and terminals. */
static bool
harvester_readable(const struct harvester *h)
{
    struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

int
harvester_fill(struct harvester *h, struct chunk *c, bool final)
{
    buf_reset(&c->data);
    c->nevents = 0;
    if (buf_append(&c->data, h->carry.data, h->carry.len) < 0)
        return -E2BIG;
    buf_reset(&h->carry);
    size_t line_start = 0;
    int status = HARVESTER_MORE;
    size_t fresh = 0; /* bytes read by this call */
    while (fresh < h->read_bytes) {
        if (h->may_block && fresh > 0 && !harvester_readable(h)) {
            status = HARVESTER_AGAIN;
            break;
        }
        if (buf_reserve(&c->data, h->read_bytes) < 0)
            break;
        ssize_t n = read(h->fd, c->data.data + c->data.len, h->read_bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            status = HARVESTER_AGAIN;
            break;
        }
        if (n < 0)
            return -errno;
        if (n == 0) {
            status = HARVESTER_EOF;
            break;
        }
        size_t scan = c->data.len;
        fresh += (size_t)n;
        c->data.len += (size_t)n;
        h->read_offset += (uint64_t)n;
        line_start = harvester_cut(h, c, line_start, scan);
    }
    if (status == HARVESTER_EOF && final && !h->skipping &&
        line_start < c->data.len) {
        size_t end = c->data.len;
        harvester_emit(h, c, line_start, end);
        h->line_offset += end - line_start;
        line_start = end;
    }
    if (status == HARVESTER_EOF && final && h->skipping) {
        h->skipping = false;
        h->line_offset = h->read_offset;
    }
    buf_append(&h->carry, c->data.data + line_start, c->data.len - line_start);
    c->data.len = line_start;
    return status;
}
