/*
 * The stdout output: NDJSON documents on standard output, exactly as the
 * Elasticsearch output would index them (the same encoder wrote them), or
 * indented with --pretty. Standard output going away (a closed pipe) is
 * fatal: the pipeline stops. Runs on the output thread.
 */
#include "config.h"
#include "outputs.h"

#include "ndjson_out.h"
#include "xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

struct stdout_conf {
    struct output_common common;
};

static const struct opt stdout_options[] = {
    OUTPUT_COMMON_OPTIONS(struct stdout_conf, "0"),
    {0},
};

static int
stdout_open(struct output *out, struct errbuf *err)
{
    (void)out;
    (void)err;
    return 0;
}

/* Re-indents each document; only `logship parse --pretty` uses this. */
static int
stdout_write_pretty(const struct batch *b)
{
    for (size_t i = 0; i < b->nitems; i++) {
        size_t start = b->item_starts[i];
        size_t end = i + 1 < b->nitems ? b->item_starts[i + 1] : b->body.len;
        json_error_t jerr;
        json_t *doc = json_loadb(b->body.data + start, end - start,
                                 JSON_ALLOW_NUL, &jerr);
        if (doc == NULL)
            return -EPROTO;
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (text == NULL)
            return -EPROTO;
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len] = '\n';
        int rc = ndjson_out_write_all(STDOUT_FILENO, text, len + 1);
        free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
stdout_write_batch(struct output *out, struct batch *b)
{
    if (out->pretty)
        return stdout_write_pretty(b);
    return ndjson_out_write_all(STDOUT_FILENO, b->body.data, b->body.len);
}

static int
stdout_run(struct output *out)
{
    return ndjson_out_run(out, false, stdout_write_batch);
}

static void
stdout_close(struct output *out)
{
    (void)out;
}

const struct output_type output_stdout = {
    .name = "stdout",
    .options = stdout_options,
    .conf_size = sizeof(struct stdout_conf),
    .open = stdout_open,
    .run = stdout_run,
    .close = stdout_close,
};
