/*
 * Line cutting. The chunk buffer starts with the carry (a pending
 * multiline event, then the partial line); new bytes are appended by each
 * read and scanned once with memchr. Offsets are kept explicitly per event
 * because truncation discards bytes, so buffer positions and stream
 * offsets part ways. A multiline event is contiguous in the buffer (its
 * lines with their newlines between them); a truncated line always ends
 * it. Never allocates once the chunk and carry buffers are warm.
 */
#include "config.h"

#include "harvester.h"

#include "event.h"
#include "multiline.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void
harvester_init(struct harvester *h, int fd, uint64_t offset, size_t read_bytes,
               size_t max_line_bytes, struct multiline *ml)
{
    memset(h, 0, sizeof(*h));
    h->fd = fd;
    h->read_offset = offset;
    h->line_offset = offset;
    h->read_bytes = read_bytes;
    h->max_line_bytes = max_line_bytes;
    h->ml = ml;
    size_t ml_max = ml ? multiline_max_bytes(ml) : 0;
    buf_init(&h->carry, max_line_bytes + ml_max + 2);
}

int
harvester_use_gzip(struct harvester *h)
{
    /* zlib reads from the fd's position, which a peek may have moved. */
    if (lseek(h->fd, 0, SEEK_SET) < 0)
        return -errno;
    int fd = dup(h->fd);
    if (fd < 0)
        return -errno;
    h->gz = gzdopen(fd, "rb");
    if (h->gz == NULL) {
        close(fd);
        return -ENOMEM;
    }
    gzbuffer(h->gz, 256 * 1024);
    if (h->read_offset > 0 &&
        gzseek(h->gz, (z_off_t)h->read_offset, SEEK_SET) < 0)
        return -EIO;
    return 0;
}

void
harvester_fini(struct harvester *h)
{
    if (h->gz != NULL)
        gzclose(h->gz);
    h->gz = NULL;
    buf_fini(&h->carry);
}

size_t
harvester_chunk_bytes(size_t read_bytes, size_t max_line_bytes,
                      size_t ml_max_bytes)
{
    return 2 * read_bytes + max_line_bytes + ml_max_bytes + 2;
}

bool
harvester_pending(const struct harvester *h)
{
    return h->carry.len > 0 || h->group_lines > 0;
}

uint64_t
harvester_done_offset(const struct harvester *h)
{
    return h->group_lines > 0 ? h->group_offset : h->line_offset;
}

/* Length of [start, end) without one trailing \r. */
static size_t
harvester_text_len(const struct chunk *c, size_t start, size_t end)
{
    size_t len = end - start;
    if (len > 0 && c->data.data[end - 1] == '\r')
        len--;
    return len;
}

/*
 * Removes each \r that ends a line inside p[0, len) (CRLF files), in place;
 * returns the new length. Each line of a multiline event then reads as a
 * line on its own does, and the event's lines are joined with \n alone, as
 * Filebeat joins them.
 */
static size_t
harvester_strip_crlf(char *p, size_t len)
{
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (p[r] == '\r' && r + 1 < len && p[r + 1] == '\n')
            continue;
        p[w++] = p[r];
    }
    return w;
}

/* Emits the pending multiline event (its lines end before c->data.len). */
static void
harvester_group_emit(struct harvester *h, struct chunk *c)
{
    if (h->group_lines == 0)
        return;
    size_t start = h->group_start;
    size_t end = start + h->group_len - 1; /* without the last \n */
    size_t len = harvester_text_len(c, start, end);
    /* The bytes are this event's alone: offsets come from the stream
     * position, not from the text, so the text may shrink. */
    if (h->group_crlf && h->group_lines > 1)
        len = harvester_strip_crlf(c->data.data + start, len);
    if (len > 0)
        chunk_add_event(c, h->group_offset, start, len,
                        h->group_lines > 1 ? EVENT_MULTILINE : 0);
    h->group_lines = 0;
    h->group_len = 0;
    h->group_crlf = false;
}

/*
 * Records the complete line [start, end) (end is its \n) at h->line_offset:
 * on its own, or into the pending multiline event.
 */
static void
harvester_line(struct harvester *h, struct chunk *c, size_t start, size_t end)
{
    size_t len = harvester_text_len(c, start, end);
    unsigned flags = 0;
    if (len > h->max_line_bytes) {
        len = h->max_line_bytes;
        flags = EVENT_TRUNCATED;
    }
    if (h->ml == NULL || flags != 0) {
        harvester_group_emit(h, c);
        if (len > 0)
            chunk_add_event(c, h->line_offset, start, len, flags);
        return;
    }
    size_t line_bytes = end + 1 - start;
    if (h->group_lines > 0 &&
        (multiline_starts(h->ml, c->data.data + start, len) ||
         h->group_lines >= multiline_max_lines(h->ml) ||
         h->group_len + line_bytes > multiline_max_bytes(h->ml)))
        harvester_group_emit(h, c);
    if (h->group_lines == 0) {
        if (len == 0)
            return; /* an empty line does not start an event */
        h->group_start = start;
        h->group_offset = h->line_offset;
    }
    h->group_lines++;
    h->group_len += line_bytes;
    if (len < end - start)
        h->group_crlf = true;
}

/*
 * Cuts the complete lines in c->data from line_start; new bytes start at
 * scan. Returns where the next line starts.
 */
static size_t
harvester_cut(struct harvester *h, struct chunk *c, size_t line_start,
              size_t scan)
{
    for (;;) {
        char *data = c->data.data;
        size_t len = c->data.len;
        char *nl = scan < len ? memchr(data + scan, '\n', len - scan) : NULL;
        if (nl == NULL)
            break;
        size_t end = (size_t)(nl - data);
        if (h->skipping) {
            /* The rest of a truncated line: drop it from the buffer. */
            h->skipping = false;
            h->line_offset = h->read_offset - (len - end) + 1;
            memmove(data + line_start, nl + 1, len - end - 1);
            c->data.len = len - (end + 1 - line_start);
            scan = line_start;
            continue;
        }
        harvester_line(h, c, line_start, end);
        h->line_offset += end + 1 - line_start;
        line_start = end + 1;
        scan = line_start;
    }
    if (h->skipping) {
        c->data.len = line_start; /* still inside the truncated line */
    } else if (c->data.len - line_start > h->max_line_bytes + 1) {
        /* Over max even if its last byte is the \r of a CRLF: cut now, as
         * is (a \r inside the line is text). */
        harvester_group_emit(h, c);
        chunk_add_event(c, h->line_offset, line_start, h->max_line_bytes,
                        EVENT_TRUNCATED);
        line_start += h->max_line_bytes;
        c->data.len = line_start;
        h->skipping = true;
    }
    return line_start;
}

/* True when a read would not block; only asked of pipes and terminals. */
static bool
harvester_readable(const struct harvester *h)
{
    struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* One read of up to n bytes: >0 bytes, 0 end of stream, or -errno. */
static ssize_t
harvester_read(struct harvester *h, char *dst, size_t n)
{
    if (h->gz != NULL) {
        int got = gzread(h->gz, dst, (unsigned)n);
        int zerr = Z_OK;
        if (got <= 0)
            gzerror(h->gz, &zerr);
        if (got > 0 || (got == 0 && zerr == Z_OK))
            return got;
        /* A stream cut short reads as Z_BUF_ERROR, not as its end. */
        return zerr == Z_ERRNO ? -errno : -EBADMSG;
    }
    for (;;) {
        ssize_t got = read(h->fd, dst, n);
        if (got >= 0)
            return got;
        if (errno != EINTR)
            return -errno;
    }
}

/* Moves the pending event and partial line from c back into the carry. */
static void
harvester_keep(struct harvester *h, struct chunk *c, size_t line_start)
{
    size_t from = h->group_lines > 0 ? h->group_start : line_start;
    buf_append(&h->carry, c->data.data + from, c->data.len - from);
    c->data.len = from;
}

/*
 * Emits what is pending in c: the multiline event and, with partial_too,
 * the partial line as if it had its newline. Carries what is left.
 */
static void
harvester_finish(struct harvester *h, struct chunk *c, size_t line_start,
                 bool partial_too)
{
    if (partial_too && h->skipping) {
        h->skipping = false;
        h->line_offset = h->read_offset;
        c->data.len = line_start;
    } else if (partial_too && line_start < c->data.len) {
        size_t end = c->data.len;
        harvester_line(h, c, line_start, end);
        h->line_offset += end - line_start;
        line_start = end;
    }
    harvester_group_emit(h, c);
    harvester_keep(h, c, line_start);
}

/* Starts a fill: c gets the carry; returns where its partial line starts. */
static size_t
harvester_begin(struct harvester *h, struct chunk *c)
{
    buf_reset(&c->data);
    c->nevents = 0;
    buf_append(&c->data, h->carry.data, h->carry.len);
    buf_reset(&h->carry);
    h->group_start = 0;
    return h->group_len;
}

int
harvester_fill(struct harvester *h, struct chunk *c, bool final)
{
    size_t line_start = harvester_begin(h, c);
    int status = HARVESTER_MORE;
    size_t fresh = 0; /* bytes read by this call */
    while (fresh < h->read_bytes) {
        if (h->may_block && fresh > 0 && !harvester_readable(h)) {
            status = HARVESTER_AGAIN;
            break;
        }
        if (buf_reserve(&c->data, h->read_bytes) < 0)
            break;
        ssize_t n =
            harvester_read(h, c->data.data + c->data.len, h->read_bytes);
        if (n == -EAGAIN) {
            status = HARVESTER_AGAIN;
            break;
        }
        if (n < 0) {
            /* The events cut so far are complete: they may be handed out. */
            harvester_keep(h, c, line_start);
            return (int)n;
        }
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
    if (status == HARVESTER_EOF && final)
        harvester_finish(h, c, line_start, true);
    else
        harvester_keep(h, c, line_start);
    return status;
}

size_t
harvester_flush(struct harvester *h, struct chunk *c, bool partial_too)
{
    size_t line_start = harvester_begin(h, c);
    harvester_finish(h, c, line_start, partial_too);
    return c->nevents;
}
