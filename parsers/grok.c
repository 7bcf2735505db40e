/*
 * The "grok" stage: Logstash-style %{NAME:field:type} patterns. init
 * builds a pattern library (built-in, then patterns_dir, then
 * pattern_definitions; later definitions win), expands each pattern into
 * one PCRE2 regex with generated group names, compiles it, and drops the
 * library. From then on it is the regex machinery of pcre_util.c: first
 * match wins, captures of "" or "-" set nothing, typed captures convert
 * (or stay strings, tagged _logship_type_failure). init runs on the main
 * thread; apply on workers, without allocating.
 */
#include "config.h"

#include "stages.h"

#include "patterns.h"
#include "pcre_util.h"
#include "xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct grok_conf {
    char *field;   /* owned */
    char *pattern; /* owned */
    struct strlist patterns;
    struct strmap pattern_definitions;
    struct strlist patterns_dir;
    struct strmap ip_fields;
};

static const struct opt grok_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "message",
     .offset = offsetof(struct grok_conf, field),
     .help = "the field to match"},
    {.name = "pattern",
     .type = OPT_STRING,
     .offset = offsetof(struct grok_conf, pattern),
     .help = "a grok pattern: %{NAME}, %{NAME:field} or "
             "%{NAME:field:int|float|bool|string}, fields dotted or as "
             "[a][b] (give pattern or patterns)"},
    {.name = "patterns",
     .type = OPT_STRLIST,
     .offset = offsetof(struct grok_conf, patterns),
     .help = "grok patterns tried in order; the first that matches wins"},
    {.name = "pattern_definitions",
     .type = OPT_STRMAP,
     .offset = offsetof(struct grok_conf, pattern_definitions),
     .help = "NAME → regex: custom patterns, which replace the built-in and "
             "patterns_dir ones of the same name"},
    {.name = "patterns_dir",
     .type = OPT_STRLIST,
     .offset = offsetof(struct grok_conf, patterns_dir),
     .help = "directories of pattern files (NAME regex per line), loaded "
             "in order after the built-in patterns; files in name order"},
    {.name = "ip_fields",
     .type = OPT_STRMAP,
     .offset = offsetof(struct grok_conf, ip_fields),
     .help = "captured field → field: when the captured value is an IPv4 "
             "or IPv6 address it is also set in the second field (e.g. "
             "{source.address: source.ip}, which logship setup maps as "
             "ip); a host name or anything else sets only the first"},
    {.name = NULL},
};

/* Builds the library: built-in, directories, then definitions. */
static int
grok_load_library(const struct grok_conf *conf, struct patterns *lib,
                  struct errbuf *err)
{
    int rc = patterns_load_builtin(lib, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < conf->patterns_dir.count; i++) {
        struct errbuf dir_err;
        rc = patterns_load_dir(lib, conf->patterns_dir.items[i], &dir_err);
        if (rc < 0)
            return errbuf_set(err, "patterns_dir: %s", dir_err.msg);
    }
    const struct strmap *defs = &conf->pattern_definitions;
    for (size_t i = 0; i < defs->count; i++) {
        const char *name = defs->keys[i];
        if (!patterns_valid_name(name, strlen(name)))
            return errbuf_set(err,
                              "pattern_definitions.%s: a pattern name is "
                              "letters, digits and _ only",
                              name);
        char *origin = xasprintf("pattern_definitions.%s", name);
        patterns_define(lib, name, defs->values[i], origin);
        free(origin);
    }
    return 0;
}

/* Expands and compiles one grok pattern into set (for
 * pcre_util_stage_build; arg is the library). */
static int
grok_compile(void *arg, struct pcre_util_set *set, const char *pattern,
             const char *what, struct errbuf *err)
{
    struct patterns *lib = arg;
    struct patterns_expansion exp;
    int rc = patterns_expand(lib, pattern, what, &exp, err);
    if (rc < 0)
        return rc;
    struct errbuf re_err;
    rc = pcre_util_compile(set, exp.regex, exp.len, what, &re_err);
    if (rc < 0) {
        errbuf_set(err, "%s in the expanded regex", re_err.msg);
    } else {
        size_t index = (size_t)rc;
        pcre2_code *code = set->patterns[index].utf.code;
        for (size_t i = 0; i < exp.ncaptures; i++) {
            char group[32];
            snprintf(group, sizeof(group), "g%zu", i + 1);
            int n = pcre2_substring_number_from_name(code, (PCRE2_SPTR)group);
            assert(n > 0); /* expansion wrote the group */
            const struct patterns_capture *c = &exp.captures[i];
            pcre_util_add_capture(set, index, (uint32_t)n, c->field,
                                  strlen(c->field), c->type);
        }
        rc = 0;
    }
    patterns_expansion_fini(&exp);
    return rc;
}

static int
grok_init(struct stage *st, struct errbuf *err)
{
    const struct grok_conf *conf = st->conf;
    int rc = pcre_util_check_patterns(conf->pattern, &conf->patterns, err);
    if (rc < 0)
        return rc;
    struct patterns *lib = patterns_create();
    rc = grok_load_library(conf, lib, err);
    if (rc == 0)
        rc = pcre_util_stage_build(st, conf->field, conf->pattern,
                                   &conf->patterns, grok_compile, lib, err);
    patterns_destroy(lib);
    for (size_t i = 0; rc == 0 && i < conf->ip_fields.count; i++) {
        const char *from = conf->ip_fields.keys[i];
        const char *to = conf->ip_fields.values[i];
        if (to[0] == '\0' || strcmp(to, from) == 0)
            rc = errbuf_set(err, "ip_fields.%s: give another field to set",
                            from);
        else if (pcre_util_add_ip_copy(st->state, from, to) == 0)
            rc = errbuf_set(err, "ip_fields.%s: no pattern captures %s", from,
                            from);
        if (rc < 0) {
            pcre_util_stage_fini(st);
            return rc;
        }
    }
    return rc;
}

const struct stage_type stage_grok = {
    .name = "grok",
    .options = grok_options,
    .conf_size = sizeof(struct grok_conf),
    .summary = "Logstash-style %{NAME:field:type} patterns from the built-in "
               "library, pattern files and the config",
    .init = grok_init,
    .worker_new = pcre_util_stage_worker_new,
    .worker_free = pcre_util_stage_worker_free,
    .apply = pcre_util_stage_apply,
    .fini = pcre_util_stage_fini,
};
