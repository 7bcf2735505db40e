/*
 * Setup bodies, built as jansson trees and dumped with JSON_COMPACT |
 * JSON_SORT_KEYS. The mapping follows ECS for the fields our parsers
 * fill: keyword for identifiers (source.address may be a host name, so
 * only source.ip is an ip), long for numbers, text only for message.
 * Other strings become keywords through a dynamic template, and date
 * detection is off: one log line that looks like a date must not make a
 * field a date and dead-letter every later line. Numbers and IPs ignore
 * malformed values (the field is dropped, the event kept) where the
 * version supports it. Version differences live here and nowhere else.
 */
#include "config.h"

#include "es_setup.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "xalloc.h"

#define ES_SETUP_NAME_MAX_LEN       255 /* Elasticsearch's limit, in bytes */
#define ES_SETUP_KEYWORD_MAX_BYTES  1024
#define ES_SETUP_URL_MAX_BYTES      8191 /* ECS: url.original */
#define ES_SETUP_PATH_MAX_BYTES     4096 /* PATH_MAX */
#define ES_SETUP_MAX_SHARDS         1024
#define ES_SETUP_TEMPLATE_VERSION   1 /* bump when the bodies change */
#define ES_SETUP_DEFAULT_PRIORITY   200
#define ES_SETUP_DEFAULT_SHARD_SIZE "50gb"
#define ES_SETUP_DEFAULT_MAX_AGE    30

void
es_setup_params_init(struct es_setup_params *p)
{
    memset(p, 0, sizeof(*p));
    p->shards = 1;
    p->replicas = -1;
    p->priority = ES_SETUP_DEFAULT_PRIORITY;
    p->rollover_max_primary_shard_size = ES_SETUP_DEFAULT_SHARD_SIZE;
    p->rollover_max_age_days = ES_SETUP_DEFAULT_MAX_AGE;
    p->version.dist = ES_DIST_ELASTICSEARCH;
    p->version.major = 8;
    strcpy(p->version.number, "8.0.0");
}

/* ---- checks ------------------------------------------------------------- */

/* Names: lowercase letters, digits, '.', '_', '-' (and '*' in patterns). */
static int
es_setup_check_name(const char *what, const char *s, bool pattern,
                    struct errbuf *err)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > ES_SETUP_NAME_MAX_LEN)
        return errbuf_set(err, "%s must be 1 to %d bytes", what,
                          ES_SETUP_NAME_MAX_LEN);
    if (s[0] == '_' || s[0] == '-' || s[0] == '.')
        return errbuf_set(err, "%s \"%s\" must not start with '_', '-' or '.'",
                          what, s);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
            c == '_' || c == '-' || (pattern && c == '*'))
            continue;
        return errbuf_set(err,
                          "%s \"%s\": only lowercase letters, digits, "
                          "'.', '_', '-'%s are allowed",
                          what, s, pattern ? " and '*'" : "");
    }
    return 0;
}

/* Sizes like "50gb": digits and a unit. */
static bool
es_setup_is_size(const char *s)
{
    static const char *const units[] = {"b", "kb", "mb", "gb", "tb", "pb"};
    size_t digits = s ? strspn(s, "0123456789") : 0;
    if (digits == 0)
        return false;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(s + digits, units[i]) == 0)
            return true;
    return false;
}

int
es_setup_check(const struct es_setup_params *p, struct errbuf *err)
{
    const struct es_version *v = &p->version;
    bool es = v->dist == ES_DIST_ELASTICSEARCH;
    if (es_setup_check_name("template name", p->name, false, err) < 0)
        return -EINVAL;
    if (p->n_index_patterns == 0)
        return errbuf_set(err, "at least one index pattern is needed");
    for (size_t i = 0; i < p->n_index_patterns; i++)
        if (es_setup_check_name("index pattern", p->index_patterns[i], true,
                                err) < 0)
            return -EINVAL;
    if (p->policy != NULL &&
        es_setup_check_name("policy name", p->policy, false, err) < 0)
        return -EINVAL;
    if (p->shards < 1 || p->shards > ES_SETUP_MAX_SHARDS)
        return errbuf_set(err, "shards must be 1 to %d", ES_SETUP_MAX_SHARDS);
    if (p->replicas < -1 || p->priority < 0 || p->delete_after_days < 0 ||
        p->rollover_max_age_days < 1)
        return errbuf_set(err, "replicas, priority, delete_after_days or "
                               "rollover_max_age_days out of range");
    if (!es_setup_is_size(p->rollover_max_primary_shard_size))
        return errbuf_set(err, "rollover size \"%s\" is not like \"50gb\"",
                          p->rollover_max_primary_shard_size
                              ? p->rollover_max_primary_shard_size
                              : "");
    if (es && p->data_stream && !es_version_at_least(v, 7, 9))
        return errbuf_set(err,
                          "data streams need Elasticsearch 7.9 or newer "
                          "(the cluster runs %s)",
                          v->number);
    if (es && p->policy != NULL && !es_version_at_least(v, 6, 6))
        return errbuf_set(err,
                          "ILM needs Elasticsearch 6.6 or newer (the "
                          "cluster runs %s)",
                          v->number);
    return 0;
}

/* ---- index template ----------------------------------------------------- */

static json_t *
es_setup_keyword(int ignore_above)
{
    return json_pack("{s:s, s:i}", "type", "keyword", "ignore_above",
                     ignore_above);
}

/* A typed field that drops malformed values if the version can. */
static json_t *
es_setup_lenient(const char *type, bool ignore_malformed)
{
    json_t *f = json_pack("{s:s}", "type", type);
    if (ignore_malformed)
        json_object_set_new(f, "ignore_malformed", json_true());
    return f;
}

/* {"properties": {name: field}} for one level of nesting. */
static json_t *
es_setup_object(const char *name, json_t *field)
{
    return json_pack("{s:{s:o}}", "properties", name, field);
}

/* The ECS mapping of the fields logship and its parsers write. */
static json_t *
es_setup_properties(const struct es_version *v)
{
    bool ip_lenient = v->dist == ES_DIST_ELASTICSEARCH
                          ? es_version_at_least(v, 7, 13)
                          : es_version_at_least(v, 2, 0);
    json_t *http = json_pack(
        "{s:{s:{s:{s:o, s:o}}}}", "properties", "response", "properties",
        "status_code", es_setup_lenient("long", true), "body",
        es_setup_object("bytes", es_setup_lenient("long", true)));
    json_t *log = json_pack(
        "{s:{s:o, s:o, s:o}}", "properties", "offset",
        es_setup_lenient("long", false), "level",
        es_setup_keyword(ES_SETUP_KEYWORD_MAX_BYTES), "file",
        es_setup_object("path", es_setup_keyword(ES_SETUP_PATH_MAX_BYTES)));
    json_t *source = json_pack("{s:{s:o, s:o}}", "properties", "address",
                               es_setup_keyword(ES_SETUP_KEYWORD_MAX_BYTES),
                               "ip", es_setup_lenient("ip", ip_lenient));
    return json_pack(
        "{s:{s:s}, s:{s:s}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "@timestamp", "type", "date", "message", "type", "text", "event",
        es_setup_object("original",
                        json_pack("{s:s, s:b, s:b}", "type", "keyword", "index",
                                  0, "doc_values", 0)),
        "host",
        es_setup_object("name", es_setup_keyword(ES_SETUP_KEYWORD_MAX_BYTES)),
        "http", http, "log", log, "process",
        es_setup_object("pid", es_setup_lenient("long", true)), "source",
        source, "url",
        es_setup_object("original", es_setup_keyword(ES_SETUP_URL_MAX_BYTES)),
        "user_agent",
        es_setup_object("original",
                        es_setup_keyword(ES_SETUP_KEYWORD_MAX_BYTES)));
}

static json_t *
es_setup_mappings(const struct es_setup_params *p)
{
    json_t *strings = json_pack("[{s:{s:s, s:o}}]", "strings_as_keyword",
                                "match_mapping_type", "string", "mapping",
                                es_setup_keyword(ES_SETUP_KEYWORD_MAX_BYTES));
    json_t *m =
        json_pack("{s:b, s:o, s:o}", "date_detection", 0, "dynamic_templates",
                  strings, "properties", es_setup_properties(&p->version));
    if (p->version.dist == ES_DIST_ELASTICSEARCH && p->version.major == 6)
        return json_pack("{s:o}", "_doc", m); /* 6.x: one mapping type */
    return m;
}

static json_t *
es_setup_settings(const struct es_setup_params *p)
{
    json_t *s = json_pack("{s:i}", "index.number_of_shards", p->shards);
    if (p->replicas >= 0)
        json_object_set_new(s, "index.number_of_replicas",
                            json_integer(p->replicas));
    /* OpenSearch: the ISM policy's ism_template attaches it instead. */
    if (p->policy != NULL && p->version.dist == ES_DIST_ELASTICSEARCH)
        json_object_set_new(s, "index.lifecycle.name", json_string(p->policy));
    return s;
}

static json_t *
es_setup_patterns(const struct es_setup_params *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_index_patterns; i++)
        json_array_append_new(a, json_string(p->index_patterns[i]));
    return a;
}

/* True if the cluster only has the legacy _template API. */
static bool
es_setup_legacy(const struct es_version *v)
{
    return v->dist == ES_DIST_ELASTICSEARCH && !es_version_at_least(v, 7, 8);
}

/* Dumps j (stolen) as compact sorted text. */
static char *
es_setup_dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

char *
es_setup_index_template(const struct es_setup_params *p)
{
    if (es_setup_legacy(&p->version))
        return es_setup_dump(json_pack(
            "{s:o, s:i, s:o, s:o, s:i}", "index_patterns", es_setup_patterns(p),
            "order", p->priority, "settings", es_setup_settings(p), "mappings",
            es_setup_mappings(p), "version", ES_SETUP_TEMPLATE_VERSION));
    json_t *t = json_pack(
        "{s:o, s:i, s:{s:o, s:o}, s:i}", "index_patterns", es_setup_patterns(p),
        "priority", p->priority, "template", "settings", es_setup_settings(p),
        "mappings", es_setup_mappings(p), "version", ES_SETUP_TEMPLATE_VERSION);
    if (p->data_stream)
        json_object_set_new(t, "data_stream", json_object());
    return es_setup_dump(t);
}

char *
es_setup_template_path(const struct es_setup_params *p)
{
    return xasprintf(
        "%s/%s", es_setup_legacy(&p->version) ? "_template" : "_index_template",
        p->name);
}

/* ---- lifecycle policies ------------------------------------------------- */

char *
es_setup_ilm_policy(const struct es_setup_params *p)
{
    json_t *hot_actions = json_object();
    if (p->data_stream) {
        /* max_primary_shard_size is 7.13+; max_size counts all primaries. */
        const char *size_key = es_version_at_least(&p->version, 7, 13)
                                   ? "max_primary_shard_size"
                                   : "max_size";
        char *age = xasprintf("%dd", p->rollover_max_age_days);
        json_object_set_new(hot_actions, "rollover",
                            json_pack("{s:s, s:s}", size_key,
                                      p->rollover_max_primary_shard_size,
                                      "max_age", age));
        free(age);
    }
    json_t *phases = json_pack("{s:{s:s, s:o}}", "hot", "min_age", "0ms",
                               "actions", hot_actions);
    if (p->delete_after_days > 0) {
        char *age = xasprintf("%dd", p->delete_after_days);
        json_object_set_new(
            phases, "delete",
            json_pack("{s:s, s:{s:{}}}", "min_age", age, "actions", "delete"));
        free(age);
    }
    return es_setup_dump(json_pack("{s:{s:o}}", "policy", "phases", phases));
}

/* The ISM hot state: rollover for data streams, then maybe delete. */
static json_t *
es_setup_ism_hot(const struct es_setup_params *p)
{
    json_t *actions = json_array();
    if (p->data_stream) {
        /* min_primary_shard_size is OpenSearch 2.4+. */
        const char *size_key = es_version_at_least(&p->version, 2, 4)
                                   ? "min_primary_shard_size"
                                   : "min_size";
        char *age = xasprintf("%dd", p->rollover_max_age_days);
        json_array_append_new(actions,
                              json_pack("{s:{s:s, s:s}}", "rollover", size_key,
                                        p->rollover_max_primary_shard_size,
                                        "min_index_age", age));
        free(age);
    }
    json_t *transitions = json_array();
    if (p->delete_after_days > 0) {
        /* A rolled-over index ages from its rollover, as in ILM. */
        char *age = xasprintf("%dd", p->delete_after_days);
        json_array_append_new(
            transitions,
            json_pack("{s:s, s:{s:s}}", "state_name", "delete", "conditions",
                      p->data_stream ? "min_rollover_age" : "min_index_age",
                      age));
        free(age);
    }
    return json_pack("{s:s, s:o, s:o}", "name", "hot", "actions", actions,
                     "transitions", transitions);
}

char *
es_setup_ism_policy(const struct es_setup_params *p)
{
    json_t *states = json_pack("[o]", es_setup_ism_hot(p));
    if (p->delete_after_days > 0)
        json_array_append_new(states, json_pack("{s:s, s:[{s:{}}], s:[]}",
                                                "name", "delete", "actions",
                                                "delete", "transitions"));
    char *desc = xasprintf(
        "logship %s: %s%s", p->policy, p->data_stream ? "roll over, " : "",
        p->delete_after_days > 0 ? "delete when old" : "keep");
    json_t *policy = json_pack(
        "{s:{s:s, s:s, s:o, s:[{s:o, s:i}]}}", "policy", "description", desc,
        "default_state", "hot", "states", states, "ism_template",
        "index_patterns", es_setup_patterns(p), "priority", p->priority);
    free(desc);
    return es_setup_dump(policy);
}

char *
es_setup_policy_path(const struct es_setup_params *p)
{
    if (p->version.dist == ES_DIST_OPENSEARCH)
        return xasprintf("_plugins/_ism/policies/%s", p->policy);
    return xasprintf("_ilm/policy/%s", p->policy);
}
