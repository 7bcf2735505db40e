/*
 * `logship setup` for the Elasticsearch output: asks the first reachable
 * host its version, then installs the lifecycle policy (if one is named)
 * and the index template (composable, or legacy before Elasticsearch 7.8)
 * built by es_setup.c. Idempotent: a template is replaced by the same one;
 * an existing ISM policy is left as it is (OpenSearch refuses a blind
 * overwrite). With dry_run the requests are printed, not sent.
 */
#include "config.h"

#include "es_int.h"
#include "es_setup.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The template's index pattern: the literal prefix, then '*'. */
static char *
es_setup_run_pattern(const struct es_conf *conf)
{
    if (conf->data_stream != NULL)
        return xstrdup(conf->data_stream);
    size_t prefix = strcspn(conf->index, "%");
    if (conf->index[prefix] == '\0')
        return xstrdup(conf->index); /* a fixed index name */
    return xasprintf("%.*s*", (int)prefix, conf->index);
}

/* Sends (or prints) one request; 0 on a 2xx, else -EIO with a message. */
static int
es_setup_run_send(struct output *out, const char *url, const char *method,
                  const char *body, bool dry_run, long *status)
{
    if (dry_run) {
        printf("%s %s\n%s\n\n", method, url, body ? body : "");
        *status = 200;
        return 0;
    }
    struct buf resp;
    buf_init(&resp, 1u << 20);
    struct errbuf err;
    int rc = es_http_request(out, method, url, body, status, &resp, &err);
    if (rc < 0)
        fprintf(stderr, "logship setup: %s\n", err.msg);
    else if (*status >= 300 && strcmp(method, "GET") != 0)
        fprintf(stderr, "logship setup: %s %s: HTTP %ld: %.500s\n", method, url,
                *status, resp.data ? resp.data : "");
    buf_fini(&resp);
    return rc < 0 || (*status >= 300 && strcmp(method, "GET") != 0) ? -EIO : 0;
}

/* Installs the lifecycle policy named in the conf. */
static int
es_setup_run_policy(struct output *out, const struct es_setup_params *p,
                    const char *base, bool dry_run)
{
    char *path = es_setup_policy_path(p);
    char *url = xasprintf("%s/%s", base, path);
    bool ism = p->version.dist == ES_DIST_OPENSEARCH;
    char *body = ism ? es_setup_ism_policy(p) : es_setup_ilm_policy(p);
    long status = 0;
    int rc = 0;
    if (ism && !dry_run &&
        es_setup_run_send(out, url, "GET", NULL, false, &status) == 0 &&
        status == 200) {
        printf("ISM policy %s exists; left as it is\n", p->policy);
    } else {
        rc = es_setup_run_send(out, url, "PUT", body, dry_run, &status);
        if (rc == 0 && !dry_run)
            printf("%s policy %s installed\n", ism ? "ISM" : "ILM", p->policy);
    }
    free(body);
    free(url);
    free(path);
    return rc;
}

int
es_setup_run(struct output *out, bool dry_run)
{
    const struct es_conf *conf = out->conf;
    struct es_state *st = out->state;
    struct es_setup_params p;
    es_setup_params_init(&p);
    struct es_host *host = NULL;
    for (size_t i = 0; i < st->nhosts && host == NULL; i++) {
        struct errbuf err;
        if (es_http_version(out, &st->hosts[i], &err) == 0)
            host = &st->hosts[i];
        else if (!dry_run || i + 1 == st->nhosts)
            fprintf(stderr, "logship setup: %s\n", err.msg);
    }
    if (host == NULL && !dry_run)
        return -EIO;
    if (host != NULL)
        p.version = host->version;
    else
        printf("# no host answered: assuming Elasticsearch 8\n");
    char *pattern = es_setup_run_pattern(conf);
    const char *patterns[] = {pattern};
    p.name = conf->template_name;
    p.index_patterns = patterns;
    p.n_index_patterns = 1;
    p.data_stream = conf->data_stream != NULL;
    p.shards = (int)conf->shards;
    p.replicas = (int)conf->replicas;
    p.policy = conf->policy;
    p.delete_after_days = (int)conf->delete_after_days;
    const char *base = host ? host->url : st->hosts[0].url;
    struct errbuf err;
    int rc = es_setup_check(&p, &err);
    if (rc < 0)
        fprintf(stderr, "logship setup: %s\n", err.msg);
    if (rc == 0 && p.policy != NULL)
        rc = es_setup_run_policy(out, &p, base, dry_run);
    if (rc == 0) {
        char *path = es_setup_template_path(&p);
        char *url = xasprintf("%s/%s", base, path);
        char *body = es_setup_index_template(&p);
        long status;
        rc = es_setup_run_send(out, url, "PUT", body, dry_run, &status);
        if (rc == 0 && !dry_run)
            printf("index template %s installed for %s%s\n", p.name, pattern,
                   p.data_stream ? " (data stream)" : "");
        free(body);
        free(url);
        free(path);
    }
    free(pattern);
    return rc;
}
