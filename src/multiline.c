/*
 * Multiline classification with PCRE2 (JIT). A `start` rule says which
 * lines begin events; a `continuation` rule says which lines belong to the
 * previous one (or, with negate, which do not). Lines may be invalid UTF-8,
 * hence PCRE2_MATCH_INVALID_UTF.
 */
#include "config.h"

#include "multiline.h"

#include "xalloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

const struct opt multiline_options[] = {
    {.name = "start",
     .type = OPT_STRING,
     .offset = offsetof(struct multiline_conf, start),
     .help = "regex: a line that matches begins a new event (e.g. "
             "'^\\d{4}-\\d{2}-\\d{2}' or '^Traceback|^\\S')"},
    {.name = "continuation",
     .type = OPT_STRING,
     .offset = offsetof(struct multiline_conf, continuation),
     .help = "regex: a line that matches continues the previous event "
             "(e.g. '^\\s' for Java stack traces)"},
    {.name = "negate",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct multiline_conf, negate),
     .help = "with continuation: a line that does NOT match continues"},
    {.name = "max_lines",
     .type = OPT_INT,
     .def = "500",
     .min = 1,
     .max = 1000000,
     .offset = offsetof(struct multiline_conf, max_lines),
     .help = "an event of this many lines is sent; the next line starts "
             "another"},
    {.name = "max_bytes",
     .type = OPT_SIZE,
     .def = "2MiB",
     .min = 1024,
     .max = 256 * 1048576,
     .offset = offsetof(struct multiline_conf, max_bytes),
     .help = "an event is sent before it would grow past this size"},
    {.name = "timeout",
     .type = OPT_DURATION,
     .def = "5s",
     .offset = offsetof(struct multiline_conf, timeout_ms),
     .help = "a pending event is sent when its file is quiet this long"},
    {0},
};

struct multiline {
    const struct multiline_conf *conf; /* borrowed: the loaded config */
    pcre2_code *re;                    /* owned */
    pcre2_match_data *md;              /* owned */
    bool is_start;
};

struct multiline *
multiline_create(const struct multiline_conf *conf, struct errbuf *err)
{
    if ((conf->start == NULL) == (conf->continuation == NULL)) {
        errbuf_set(err, "give exactly one of start and continuation");
        return NULL;
    }
    if (conf->start != NULL && conf->negate) {
        errbuf_set(err, "negate goes with continuation, not start");
        return NULL;
    }
    const char *pattern = conf->start ? conf->start : conf->continuation;
    int code;
    PCRE2_SIZE at;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &at, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(code, msg, sizeof(msg));
        errbuf_set(err, "%s: %s at offset %zu",
                   conf->start ? "start" : "continuation", (char *)msg,
                   (size_t)at);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back if no JIT */
    struct multiline *ml = xcalloc(1, sizeof(*ml));
    ml->conf = conf;
    ml->re = re;
    ml->md = pcre2_match_data_create_from_pattern(re, NULL);
    ml->is_start = conf->start != NULL;
    return ml;
}

void
multiline_destroy(struct multiline *ml)
{
    if (ml == NULL)
        return;
    pcre2_match_data_free(ml->md);
    pcre2_code_free(ml->re);
    free(ml);
}

bool
multiline_starts(struct multiline *ml, const char *line, size_t len)
{
    int rc = pcre2_match(ml->re, (PCRE2_SPTR)line, len, 0, 0, ml->md, NULL);
    bool matched = rc >= 0;
    if (ml->is_start)
        return matched;
    bool continues = matched != ml->conf->negate;
    return !continues;
}

size_t
multiline_max_lines(const struct multiline *ml)
{
    return (size_t)ml->conf->max_lines;
}

size_t
multiline_max_bytes(const struct multiline *ml)
{
    return (size_t)ml->conf->max_bytes;
}

int64_t
multiline_timeout_ms(const struct multiline *ml)
{
    return ml->conf->timeout_ms;
}
