/*
 * What the cluster is: the body of `GET /` → distribution (Elasticsearch
 * or OpenSearch) and version. The output asks once per connection and
 * adapts the few things that differ (the _type of 6.x, the setup bodies).
 * Pure: no I/O, no logging; any thread.
 */
#ifndef LOGSHIP_ES_VERSION_H
#define LOGSHIP_ES_VERSION_H

#include "errbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* The oldest Elasticsearch major we ship to (6.x still needs _type). */
#define ES_VERSION_MIN_ES_MAJOR 6

enum es_dist {
    ES_DIST_ELASTICSEARCH,
    ES_DIST_OPENSEARCH,
};

struct es_version {
    enum es_dist dist;
    int major;
    int minor;
    char number[32]; /* version.number as reported, e.g. "8.15.0" */
};

/*
 * Reads the `GET /` body into v. Returns 0; -EPROTO (with a message) for a
 * body that is not an Elasticsearch or OpenSearch root response;
 * -ENOTSUP for Elasticsearch older than 6.0.
 */
int es_version_parse(const char *body, size_t len, struct es_version *v,
                     struct errbuf *err);

/* True if bulk action lines need "_type":"_doc" (Elasticsearch 6.x). */
bool es_version_needs_type(const struct es_version *v);

/* True if v is at least major.minor of its own distribution. */
bool es_version_at_least(const struct es_version *v, int major, int minor);

/* "Elasticsearch" or "OpenSearch". */
const char *es_version_dist_name(enum es_dist dist);

#endif
