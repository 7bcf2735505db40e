/*
 * The `GET /` body → distribution and version. OpenSearch says so in
 * version.distribution; Elasticsearch has no such member but always the
 * tagline "You Know, for Search" (and build_flavor since 6.3). Anything
 * else (a proxy's page, another product) is refused rather than guessed.
 */
#include "config.h"

#include "es_version.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ES_VERSION_TAGLINE "You Know, for Search"
/* What OpenSearch reports with compatibility.override_main_response_version. */
#define ES_VERSION_OS_COMPAT_MAJOR 7

/* Reads "major.minor[...]" from s; returns false if it does not start so. */
static bool
es_version_number(const char *s, int *major, int *minor)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return false;
    long ma = strtol(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9' || ma > 1000)
        return false;
    long mi = strtol(end + 1, &end, 10);
    if (mi > 1000 || (*end != '\0' && *end != '.' && *end != '-'))
        return false;
    *major = (int)ma;
    *minor = (int)mi;
    return true;
}

/* Finds the distribution; returns 0 or -EPROTO with err filled. */
static int
es_version_dist(const json_t *root, const json_t *version, enum es_dist *dist,
                struct errbuf *err)
{
    const json_t *d = json_object_get(version, "distribution");
    const char *tagline = json_string_value(json_object_get(root, "tagline"));
    if (d != NULL) {
        if (json_is_string(d) &&
            strcmp(json_string_value(d), "opensearch") == 0) {
            *dist = ES_DIST_OPENSEARCH;
            return 0;
        }
        errbuf_set(err,
                   "unknown distribution %.64s in the cluster's GET / "
                   "response",
                   json_is_string(d) ? json_string_value(d) : "(not a string)");
        return -EPROTO;
    }
    if ((tagline != NULL && strcmp(tagline, ES_VERSION_TAGLINE) == 0) ||
        json_is_string(json_object_get(version, "build_flavor"))) {
        *dist = ES_DIST_ELASTICSEARCH;
        return 0;
    }
    errbuf_set(err,
               "the cluster's GET / response is neither Elasticsearch "
               "nor OpenSearch (tagline %.64s)",
               tagline ? tagline : "missing");
    return -EPROTO;
}

/* Fills v from the parsed root object; see es_version_parse(). */
static int
es_version_read(const json_t *root, struct es_version *v, struct errbuf *err)
{
    const json_t *version = json_object_get(root, "version");
    const char *number = json_string_value(json_object_get(version, "number"));
    if (number == NULL) {
        errbuf_set(err, "the cluster's GET / response has no version.number");
        return -EPROTO;
    }
    int rc = es_version_dist(root, version, &v->dist, err);
    if (rc < 0)
        return rc;
    snprintf(v->number, sizeof(v->number), "%s", number);
    if (!es_version_number(number, &v->major, &v->minor)) {
        errbuf_set(err, "cannot read %s version %.31s",
                   es_version_dist_name(v->dist), number);
        return -EPROTO;
    }
    if (v->dist == ES_DIST_ELASTICSEARCH &&
        v->major < ES_VERSION_MIN_ES_MAJOR) {
        errbuf_set(err,
                   "Elasticsearch %s is not supported (6.0 or newer is "
                   "needed)",
                   v->number);
        return -ENOTSUP;
    }
    /*
     * OpenSearch in compatibility mode claims 7.10.2 and hides its real
     * version: assume the oldest OpenSearch, whose features all still work.
     */
    if (v->dist == ES_DIST_OPENSEARCH &&
        v->major >= ES_VERSION_OS_COMPAT_MAJOR) {
        v->major = 1;
        v->minor = 0;
    }
    return 0;
}

int
es_version_parse(const char *body, size_t len, struct es_version *v,
                 struct errbuf *err)
{
    memset(v, 0, sizeof(*v));
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (root == NULL) {
        errbuf_set(err, "the cluster's GET / response is not JSON (%.80s)",
                   jerr.text);
        return -EPROTO;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        errbuf_set(err, "the cluster's GET / response is not a JSON object");
        return -EPROTO;
    }
    int rc = es_version_read(root, v, err);
    json_decref(root);
    return rc;
}

bool
es_version_needs_type(const struct es_version *v)
{
    return v->dist == ES_DIST_ELASTICSEARCH && v->major == 6;
}

bool
es_version_at_least(const struct es_version *v, int major, int minor)
{
    return v->major > major || (v->major == major && v->minor >= minor);
}

const char *
es_version_dist_name(enum es_dist dist)
{
    switch (dist) {
    case ES_DIST_ELASTICSEARCH:
        return "Elasticsearch";
    case ES_DIST_OPENSEARCH:
        return "OpenSearch";
    }
    return "?";
}
