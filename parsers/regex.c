/*
 * The "regex" stage: PCRE2 named groups become fields. Patterns are
 * compiled (and JIT-compiled) once in init; the first pattern that matches
 * wins. A group's field is its entry in `fields`, else its name with every
 * "__" read as a dot (http__request__method → http.request.method), else
 * its name. Unnamed groups are ignored, and a group that did not take part
 * or captured "" or "-" sets nothing. `types` converts values (keyed by
 * group or field name). init runs on the main thread; apply on workers,
 * through pcre_util.c, without allocating.
 */
#include "config.h"

#include "stages.h"

#include "convert.h"
#include "pcre_util.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct regex_conf {
    char *field;   /* owned */
    char *pattern; /* owned */
    struct strlist patterns;
    struct strmap fields;
    struct strmap types;
};

static const struct opt regex_options[] = {
    {.name = "field",
     .type = OPT_STRING,
     .def = "message",
     .offset = offsetof(struct regex_conf, field),
     .help = "the field to match"},
    {.name = "pattern",
     .type = OPT_STRING,
     .offset = offsetof(struct regex_conf, pattern),
     .help = "a PCRE2 regex whose named groups become fields (give pattern "
             "or patterns)"},
    {.name = "patterns",
     .type = OPT_STRLIST,
     .offset = offsetof(struct regex_conf, patterns),
     .help = "regexes tried in order; the first that matches wins"},
    {.name = "fields",
     .type = OPT_STRMAP,
     .offset = offsetof(struct regex_conf, fields),
     .help = "group name → dotted field name; a group not listed names its "
             "field itself, with __ read as a dot (http__request__method)"},
    {.name = "types",
     .type = OPT_STRMAP,
     .offset = offsetof(struct regex_conf, types),
     .help = "group or field name → int, float, bool or string (also "
             "integer, double, boolean); a value that does not convert stays "
             "a string and the event is tagged _logship_type_failure"},
    {.name = NULL},
};

/* The value of key in m, or NULL. */
static const char *
regex_strmap_get(const struct strmap *m, const char *key)
{
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->keys[i], key) == 0)
            return m->values[i];
    }
    return NULL;
}

/* Checks the type names in conf->types. */
static int
regex_check_types(const struct regex_conf *conf, struct errbuf *err)
{
    for (size_t i = 0; i < conf->types.count; i++) {
        const char *v = conf->types.values[i];
        enum field_type type;
        if (convert_type_parse(v, &type) < 0)
            return errbuf_set(err,
                              "types.%s: expected int, float, bool or string",
                              conf->types.keys[i]);
    }
    return 0;
}

/* The field name of a group: `fields`, else the name with "__" → ".". */
static char *
regex_field_name(const struct regex_conf *conf, const char *group)
{
    const char *mapped = regex_strmap_get(&conf->fields, group);
    if (mapped != NULL)
        return xstrdup(mapped);
    char *out = xstrdup(group);
    char *w = out;
    for (const char *r = group; *r != '\0'; r++) {
        if (r[0] == '_' && r[1] == '_') {
            *w++ = '.';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return out;
}

/* The type of a group: `types` by group name, else by field name. */
static enum field_type
regex_type_of(const struct regex_conf *conf, const char *group,
              const char *field)
{
    const char *t = regex_strmap_get(&conf->types, group);
    if (t == NULL)
        t = regex_strmap_get(&conf->types, field);
    enum field_type type = FIELD_STRING;
    if (t != NULL)
        (void)convert_type_parse(t, &type);
    return type;
}

/* Adds a capture for every named group of pattern index. */
static void
regex_map_groups(const struct regex_conf *conf, struct pcre_util_set *set,
                 size_t index)
{
    pcre2_code *code = set->patterns[index].utf.code;
    uint32_t count = 0, entry_size = 0;
    PCRE2_SPTR table = NULL;
    (void)pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    (void)pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    (void)pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR entry = table + (size_t)i * entry_size;
        uint32_t group = ((uint32_t)entry[0] << 8) | entry[1];
        const char *name = (const char *)entry + 2;
        char *field = regex_field_name(conf, name);
        pcre_util_add_capture(set, index, group, field, strlen(field),
                              regex_type_of(conf, name, field));
        free(field);
    }
}

/* True when some pattern of set has a group called name. */
static bool
regex_has_group(const struct pcre_util_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++) {
        int n = pcre2_substring_number_from_name(set->patterns[i].utf.code,
                                                 (PCRE2_SPTR)name);
        if (n >= 0 || n == PCRE2_ERROR_NOUNIQUESUBSTRING)
            return true;
    }
    return false;
}

/* True when some group of set sets the field called name. */
static bool
regex_has_field(const struct pcre_util_set *set, const char *name)
{
    for (size_t i = 0; i < set->nnames; i++) {
        if (strcmp(set->names[i], name) == 0)
            return true;
    }
    return false;
}

/* Every key of `fields` must be a group, every key of `types` a group or
 * a field. */
static int
regex_check_keys(const struct regex_conf *conf, const struct pcre_util_set *set,
                 struct errbuf *err)
{
    for (size_t i = 0; i < conf->fields.count; i++) {
        const char *k = conf->fields.keys[i];
        if (conf->fields.values[i][0] == '\0')
            return errbuf_set(err, "fields.%s: expected a field name", k);
        if (!regex_has_group(set, k))
            return errbuf_set(err,
                              "fields.%s: no group named %s in the "
                              "pattern",
                              k, k);
    }
    for (size_t i = 0; i < conf->types.count; i++) {
        const char *k = conf->types.keys[i];
        if (!regex_has_group(set, k) && !regex_has_field(set, k))
            return errbuf_set(err, "types.%s: no group or field named %s", k,
                              k);
    }
    return 0;
}

/* Compiles one regex into set and maps its named groups (for
 * pcre_util_stage_build; arg is the conf). */
static int
regex_compile(void *arg, struct pcre_util_set *set, const char *re,
              const char *what, struct errbuf *err)
{
    const struct regex_conf *conf = arg;
    int rc = pcre_util_compile(set, re, strlen(re), what, err);
    if (rc < 0)
        return rc;
    regex_map_groups(conf, set, (size_t)rc);
    return 0;
}

static int
regex_init(struct stage *st, struct errbuf *err)
{
    struct regex_conf *conf = st->conf;
    int rc = pcre_util_check_patterns(conf->pattern, &conf->patterns, err);
    if (rc == 0)
        rc = regex_check_types(conf, err);
    if (rc == 0)
        rc = pcre_util_stage_build(st, conf->field, conf->pattern,
                                   &conf->patterns, regex_compile, conf, err);
    if (rc < 0)
        return rc;
    rc = regex_check_keys(conf, st->state, err);
    if (rc < 0)
        pcre_util_stage_fini(st);
    return rc;
}

const struct stage_type stage_regex = {
    .name = "regex",
    .options = regex_options,
    .conf_size = sizeof(struct regex_conf),
    .summary = "PCRE2 named groups become fields; the first pattern that "
               "matches wins",
    .init = regex_init,
    .worker_new = pcre_util_stage_worker_new,
    .worker_free = pcre_util_stage_worker_free,
    .apply = pcre_util_stage_apply,
    .fini = pcre_util_stage_fini,
};
