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
#include <string.h>
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

/* Writes one line: a document indented, a `# ` line (--explain) as it is. */
static int
stdout_write_pretty_line(const char *line, size_t len)
{
    if (len == 0 || line[0] == '#')
        return ndjson_out_write_all(STDOUT_FILENO, line, len);
    json_error_t jerr;
    json_t *doc = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
    if (doc == NULL)
        return -EPROTO;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (text == NULL)
        return -EPROTO;
    size_t tlen = strlen(text);
    text = xrealloc(text, tlen + 2);
    text[tlen] = '\n';
    int rc = ndjson_out_write_all(STDOUT_FILENO, text, tlen + 1);
    free(text);
    return rc;
}

/*
 * Re-indents each document; only `logship parse --pretty` uses this. The
 * encoder never writes a raw newline inside a document, so lines are
 * documents or comments.
 */
static int
stdout_write_pretty(const struct batch *b)
{
    const char *p = b->body.data;
    const char *end = p + b->body.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        int rc = stdout_write_pretty_line(p, len);
        if (rc < 0)
            return rc;
        p += len;
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
