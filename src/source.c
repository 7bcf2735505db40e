/*
 * Sources: the per-stream state shared by the input thread (which creates
 * ranges) and the workers (which read the path and input).
 */
#include "config.h"
#include "source.h"

#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct source *
source_create(const struct input *input, const char *path,
              uint64_t start_offset)
{
    struct source *src = xcalloc(1, sizeof(*src));
    src->input = input;
    src->path = path ? xstrdup(path) : NULL;
    src->path_span = (struct span){src->path, path ? strlen(path) : 0};
    src->acks = acktrack_create(start_offset);
    return src;
}

void
source_destroy(struct source *src)
{
    if (src == NULL)
        return;
    acktrack_destroy(src->acks);
    free(src->path);
    free(src);
}
