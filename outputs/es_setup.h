/*
 * Request bodies for `logship setup`: the index template (composable, or
 * legacy before Elasticsearch 7.8) with our ECS mappings, and the
 * lifecycle policy (ILM on Elasticsearch, ISM on OpenSearch). Pure: each
 * builder returns JSON text (compact, keys sorted, so the same parameters
 * always give the same bytes) and the request path; cmd_setup.c sends
 * them. Any thread.
 */
#ifndef LOGSHIP_ES_SETUP_H
#define LOGSHIP_ES_SETUP_H

#include "errbuf.h"
#include "es_version.h"

#include <stdbool.h>
#include <stddef.h>

struct es_setup_params {
    const char *name;                  /* borrowed: the template name */
    const char *const *index_patterns; /* borrowed: n_index_patterns */
    size_t n_index_patterns;
    bool data_stream;   /* the template makes data streams (ES 7.9+) */
    int shards;         /* index.number_of_shards */
    int replicas;       /* index.number_of_replicas; -1 = cluster default */
    int priority;       /* template priority (legacy: order) */
    const char *policy; /* borrowed: lifecycle policy name (ILM or ISM);
                           NULL = no lifecycle management */
    const char *rollover_max_primary_shard_size; /* borrowed: "50gb" */
    int rollover_max_age_days;                   /* rollover after */
    int delete_after_days;                       /* 0 = never delete */
    struct es_version version;                   /* the target cluster */
};

/*
 * Fills p with the defaults: 1 shard, cluster replicas, priority 200 (above
 * Elasticsearch's built-in logs-*-* template at 100), rollover at 50gb or
 * 30 days, no deletion, no policy, Elasticsearch 8.0. The caller sets
 * the name, the index patterns and the version.
 */
void es_setup_params_init(struct es_setup_params *p);

/*
 * Checks p against the naming rules and what p->version supports. Returns
 * 0, or -EINVAL with a message.
 */
int es_setup_check(const struct es_setup_params *p, struct errbuf *err);

/*
 * The builders below need p to have passed es_setup_check() (names are
 * then plain ASCII, which jansson always accepts).
 */

/*
 * The index template body; on Elasticsearch it attaches p->policy through
 * index.lifecycle.name. The caller frees it.
 */
char *es_setup_index_template(const struct es_setup_params *p);
/* "_index_template/<name>", or "_template/<name>" before ES 7.8. */
char *es_setup_template_path(const struct es_setup_params *p);

/*
 * The ILM policy body (Elasticsearch), named p->policy: hot (with rollover only
 * for data streams, since date-named indices have no rollover alias), then
 * delete after delete_after_days if set. The caller frees it.
 */
char *es_setup_ilm_policy(const struct es_setup_params *p);
/*
 * The ISM policy body (OpenSearch), same intent in OpenSearch states; its
 * ism_template attaches it to new indices matching the index patterns. The
 * caller frees it.
 */
char *es_setup_ism_policy(const struct es_setup_params *p);
/* "_ilm/policy/<policy>" or "_plugins/_ism/policies/<policy>". */
char *es_setup_policy_path(const struct es_setup_params *p);

#endif
