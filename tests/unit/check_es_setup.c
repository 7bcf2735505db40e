/*
 * Unit tests for es_setup.c: golden bodies (tests/data/es_setup/, byte
 * for byte: the output must not drift between builds), the important
 * paths of each body read back with jansson, the differences between
 * versions and distributions, paths, and parameter checks. The
 * OpenSearch 2.19 template was also PUT to the integration-test node and
 * indexed into (data stream created, malformed numbers and IPs ignored).
 */
#include "config.h"

#include "es_setup.h"

#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const patterns[] = {"logs-logship-*"};

/* The parameters the golden files were made with. */
static struct es_setup_params
params(enum es_dist dist, int major, int minor, bool data_stream,
       const char *policy)
{
    struct es_setup_params p;
    es_setup_params_init(&p);
    p.name = "logship";
    p.index_patterns = patterns;
    p.n_index_patterns = 1;
    p.data_stream = data_stream;
    p.policy = policy;
    p.delete_after_days = 14;
    p.version.dist = dist;
    p.version.major = major;
    p.version.minor = minor;
    snprintf(p.version.number, sizeof(p.version.number), "%d.%d.0", major,
             minor);
    struct errbuf err;
    ck_assert_msg(es_setup_check(&p, &err) == 0, "%s", err.msg);
    return p;
}

/* Parses s (freed here) into a tree the caller decrefs. */
static json_t *
load(char *s)
{
    ck_assert_ptr_nonnull(s);
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    ck_assert_msg(j != NULL, "%s: %s", jerr.text, s);
    free(s);
    return j;
}

/* Follows a path of object keys: "template/settings". */
static json_t *
at(json_t *j, const char *path)
{
    char *copy = xstrdup(path);
    char *save = NULL;
    for (char *k = strtok_r(copy, "/", &save); k && j;
         k = strtok_r(NULL, "/", &save))
        j = json_object_get(j, k);
    free(copy);
    return j;
}

static const char *
str_at(json_t *j, const char *path)
{
    const char *s = json_string_value(at(j, path));
    ck_assert_msg(s != NULL, "no string at %s", path);
    return s;
}

/* Compares s (freed here) with the golden file, ignoring its last newline. */
static void
golden(char *s, const char *name)
{
    char *path = xasprintf("%s/es_setup/%s", TEST_DATADIR, name);
    size_t len;
    char *want = testutil_read_file(path, &len);
    if (len > 0 && want[len - 1] == '\n')
        want[len - 1] = '\0';
    ck_assert_msg(strcmp(s, want) == 0, "%s differs:\n%s", name, s);
    free(want);
    free(path);
    free(s);
}

START_TEST(golden_bodies_are_stable)
{
    struct es_setup_params p =
        params(ES_DIST_ELASTICSEARCH, 8, 15, true, "logship-policy");
    golden(es_setup_index_template(&p), "es8-data-stream-ilm.template.json");
    golden(es_setup_ilm_policy(&p), "es8-data-stream-ilm.policy.json");
    p = params(ES_DIST_OPENSEARCH, 2, 19, true, "logship-policy");
    golden(es_setup_index_template(&p), "os2-data-stream-ism.template.json");
    golden(es_setup_ism_policy(&p), "os2-data-stream-ism.policy.json");
    p = params(ES_DIST_ELASTICSEARCH, 6, 8, false, "logship-policy");
    golden(es_setup_index_template(&p), "es6-legacy-ilm.template.json");
    golden(es_setup_ilm_policy(&p), "es6-legacy-ilm.policy.json");
}
END_TEST

START_TEST(same_params_give_same_bytes)
{
    struct es_setup_params p =
        params(ES_DIST_OPENSEARCH, 2, 19, true, "logship-policy");
    char *a = es_setup_index_template(&p);
    char *b = es_setup_index_template(&p);
    ck_assert_str_eq(a, b);
    free(b);
    free(a);
}
END_TEST

START_TEST(template_mappings_follow_ecs)
{
    struct es_setup_params p =
        params(ES_DIST_ELASTICSEARCH, 8, 15, false, NULL);
    json_t *t = load(es_setup_index_template(&p));
    json_t *props = at(t, "template/mappings/properties");
    ck_assert_ptr_nonnull(props);
    ck_assert_str_eq(str_at(props, "@timestamp/type"), "date");
    ck_assert_str_eq(str_at(props, "message/type"), "text");
    ck_assert_str_eq(
        str_at(props, "http/properties/response/properties/status_code/type"),
        "long");
    ck_assert_str_eq(str_at(props, "http/properties/response/properties/body/"
                                   "properties/bytes/type"),
                     "long");
    ck_assert_str_eq(str_at(props, "source/properties/address/type"),
                     "keyword");
    ck_assert_str_eq(str_at(props, "source/properties/ip/type"), "ip");
    ck_assert_str_eq(str_at(props, "log/properties/offset/type"), "long");
    ck_assert_str_eq(str_at(props, "log/properties/level/type"), "keyword");
    ck_assert_str_eq(str_at(props, "log/properties/file/properties/path/type"),
                     "keyword");
    ck_assert_str_eq(str_at(props, "host/properties/name/type"), "keyword");
    ck_assert_str_eq(str_at(props, "process/properties/pid/type"), "long");
    ck_assert_str_eq(str_at(props, "url/properties/original/type"), "keyword");
    ck_assert_int_eq(
        json_integer_value(at(props, "url/properties/original/ignore_above")),
        8191);
    ck_assert_str_eq(str_at(props, "user_agent/properties/original/type"),
                     "keyword");
    ck_assert_str_eq(str_at(props, "event/properties/original/type"),
                     "keyword");
    ck_assert(json_is_false(at(props, "event/properties/original/index")));
    ck_assert(json_is_false(at(props, "event/properties/original/doc_values")));
    /* @timestamp must stay strict: data streams refuse ignore_malformed. */
    ck_assert_ptr_null(at(props, "@timestamp/ignore_malformed"));
    ck_assert(json_is_true(at(props, "http/properties/response/properties/"
                                     "status_code/ignore_malformed")));
    ck_assert(json_is_true(at(props, "source/properties/ip/ignore_malformed")));

    json_t *m = at(t, "template/mappings");
    ck_assert(json_is_false(json_object_get(m, "date_detection")));
    json_t *dyn = json_array_get(json_object_get(m, "dynamic_templates"), 0);
    ck_assert_str_eq(str_at(dyn, "strings_as_keyword/match_mapping_type"),
                     "string");
    ck_assert_str_eq(str_at(dyn, "strings_as_keyword/mapping/type"), "keyword");
    ck_assert_int_eq(
        json_integer_value(at(dyn, "strings_as_keyword/mapping/ignore_above")),
        1024);
    json_decref(t);
}
END_TEST

START_TEST(template_settings_and_shape)
{
    struct es_setup_params p =
        params(ES_DIST_ELASTICSEARCH, 8, 15, false, NULL);
    p.shards = 3;
    p.replicas = 0;
    p.priority = 250;
    json_t *t = load(es_setup_index_template(&p));
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(t, "index_patterns"), 0)),
                     "logs-logship-*");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "priority")), 250);
    ck_assert_ptr_null(json_object_get(t, "data_stream"));
    json_t *s = at(t, "template/settings");
    ck_assert_int_eq(
        json_integer_value(json_object_get(s, "index.number_of_shards")), 3);
    ck_assert_int_eq(
        json_integer_value(json_object_get(s, "index.number_of_replicas")), 0);
    ck_assert_ptr_null(json_object_get(s, "index.lifecycle.name"));
    json_decref(t);

    /* Defaults: replicas left to the cluster. */
    p = params(ES_DIST_ELASTICSEARCH, 8, 15, true, "pol");
    t = load(es_setup_index_template(&p));
    ck_assert(json_is_object(json_object_get(t, "data_stream")));
    ck_assert_int_eq(json_object_size(json_object_get(t, "data_stream")), 0);
    s = at(t, "template/settings");
    ck_assert_ptr_null(json_object_get(s, "index.number_of_replicas"));
    ck_assert_str_eq(str_at(s, "index.lifecycle.name"), "pol");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "priority")), 200);
    json_decref(t);
}
END_TEST

START_TEST(opensearch_attaches_no_ilm)
{
    struct es_setup_params p = params(ES_DIST_OPENSEARCH, 2, 19, true, "pol");
    json_t *t = load(es_setup_index_template(&p));
    ck_assert_ptr_null(at(t, "template/settings/index.lifecycle.name"));
    ck_assert(json_is_object(json_object_get(t, "data_stream")));
    json_decref(t);
}
END_TEST

START_TEST(old_versions_get_legacy_templates)
{
    char *path;
    struct es_setup_params p = params(ES_DIST_ELASTICSEARCH, 7, 7, false, NULL);
    json_t *t = load(es_setup_index_template(&p));
    ck_assert_int_eq(json_integer_value(json_object_get(t, "order")), 200);
    ck_assert_ptr_null(json_object_get(t, "template"));
    ck_assert_str_eq(str_at(t, "mappings/properties/@timestamp/type"), "date");
    ck_assert_ptr_null(at(t, "mappings/_doc"));
    /* No ignore_malformed on ip before 7.13: 7.7 rejects the parameter. */
    ck_assert_ptr_null(at(t, "mappings/properties/source/properties/ip/"
                             "ignore_malformed"));
    json_decref(t);
    path = es_setup_template_path(&p);
    ck_assert_str_eq(path, "_template/logship");
    free(path);

    p = params(ES_DIST_ELASTICSEARCH, 6, 8, false, NULL);
    t = load(es_setup_index_template(&p));
    ck_assert_str_eq(str_at(t, "mappings/_doc/properties/message/type"),
                     "text");
    json_decref(t);

    p = params(ES_DIST_ELASTICSEARCH, 7, 8, false, NULL);
    path = es_setup_template_path(&p);
    ck_assert_str_eq(path, "_index_template/logship");
    free(path);
    p = params(ES_DIST_OPENSEARCH, 1, 3, false, NULL);
    path = es_setup_template_path(&p);
    ck_assert_str_eq(path, "_index_template/logship");
    free(path);
}
END_TEST

START_TEST(ip_ignore_malformed_by_version)
{
    static const struct {
        enum es_dist dist;
        int major, minor;
        bool lenient;
    } v[] = {
        {ES_DIST_ELASTICSEARCH, 7, 12, false},
        {ES_DIST_ELASTICSEARCH, 7, 13, true},
        {ES_DIST_ELASTICSEARCH, 9, 1, true},
        {ES_DIST_OPENSEARCH, 1, 3, false},
        {ES_DIST_OPENSEARCH, 2, 0, true},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct es_setup_params p =
            params(v[i].dist, v[i].major, v[i].minor, false, NULL);
        json_t *t = load(es_setup_index_template(&p));
        json_t *ip = at(t, "template/mappings/properties/source/properties/ip");
        ck_assert_ptr_nonnull(ip);
        ck_assert_msg(json_is_true(json_object_get(ip, "ignore_malformed")) ==
                          v[i].lenient,
                      "case %zu", i);
        json_decref(t);
    }
}
END_TEST

START_TEST(ilm_policy_phases)
{
    struct es_setup_params p =
        params(ES_DIST_ELASTICSEARCH, 8, 15, true, "logship-policy");
    json_t *j = load(es_setup_ilm_policy(&p));
    ck_assert_str_eq(str_at(j, "policy/phases/hot/actions/rollover/"
                               "max_primary_shard_size"),
                     "50gb");
    ck_assert_str_eq(str_at(j, "policy/phases/hot/actions/rollover/max_age"),
                     "30d");
    ck_assert_str_eq(str_at(j, "policy/phases/delete/min_age"), "14d");
    ck_assert(json_is_object(at(j, "policy/phases/delete/actions/delete")));
    json_decref(j);

    /* 7.9 to 7.12: data streams but no max_primary_shard_size. */
    p = params(ES_DIST_ELASTICSEARCH, 7, 12, true, "logship-policy");
    p.rollover_max_primary_shard_size = "10gb";
    p.rollover_max_age_days = 7;
    j = load(es_setup_ilm_policy(&p));
    ck_assert_str_eq(str_at(j, "policy/phases/hot/actions/rollover/max_size"),
                     "10gb");
    ck_assert_str_eq(str_at(j, "policy/phases/hot/actions/rollover/max_age"),
                     "7d");
    json_decref(j);

    /* Date-named indices have no alias to roll over; keep forever. */
    p = params(ES_DIST_ELASTICSEARCH, 8, 15, false, "logship-policy");
    p.delete_after_days = 0;
    j = load(es_setup_ilm_policy(&p));
    ck_assert_int_eq(json_object_size(at(j, "policy/phases/hot/actions")), 0);
    ck_assert_ptr_null(at(j, "policy/phases/delete"));
    json_decref(j);

    char *path = es_setup_policy_path(&p);
    ck_assert_str_eq(path, "_ilm/policy/logship-policy");
    free(path);
}
END_TEST

START_TEST(ism_policy_states)
{
    struct es_setup_params p =
        params(ES_DIST_OPENSEARCH, 2, 19, true, "logship-policy");
    json_t *j = load(es_setup_ism_policy(&p));
    ck_assert_str_eq(str_at(j, "policy/default_state"), "hot");
    json_t *tmpl = json_array_get(at(j, "policy/ism_template"), 0);
    ck_assert_str_eq(
        json_string_value(json_array_get(at(tmpl, "index_patterns"), 0)),
        "logs-logship-*");
    ck_assert_int_eq(json_integer_value(at(tmpl, "priority")), 200);
    json_t *states = at(j, "policy/states");
    ck_assert_uint_eq(json_array_size(states), 2);
    json_t *hot = json_array_get(states, 0);
    ck_assert_str_eq(str_at(hot, "name"), "hot");
    json_t *rollover = at(json_array_get(at(hot, "actions"), 0), "rollover");
    ck_assert_str_eq(str_at(rollover, "min_primary_shard_size"), "50gb");
    ck_assert_str_eq(str_at(rollover, "min_index_age"), "30d");
    json_t *tr = json_array_get(at(hot, "transitions"), 0);
    ck_assert_str_eq(str_at(tr, "state_name"), "delete");
    ck_assert_str_eq(str_at(tr, "conditions/min_rollover_age"), "14d");
    json_t *del = json_array_get(states, 1);
    ck_assert_str_eq(str_at(del, "name"), "delete");
    ck_assert(
        json_is_object(at(json_array_get(at(del, "actions"), 0), "delete")));
    json_decref(j);

    /* Before 2.4: min_size; date-named indices age from creation. */
    p = params(ES_DIST_OPENSEARCH, 2, 3, true, "logship-policy");
    j = load(es_setup_ism_policy(&p));
    hot = json_array_get(at(j, "policy/states"), 0);
    rollover = at(json_array_get(at(hot, "actions"), 0), "rollover");
    ck_assert_str_eq(str_at(rollover, "min_size"), "50gb");
    json_decref(j);

    p = params(ES_DIST_OPENSEARCH, 2, 19, false, "logship-policy");
    j = load(es_setup_ism_policy(&p));
    hot = json_array_get(at(j, "policy/states"), 0);
    ck_assert_uint_eq(json_array_size(at(hot, "actions")), 0);
    tr = json_array_get(at(hot, "transitions"), 0);
    ck_assert_str_eq(str_at(tr, "conditions/min_index_age"), "14d");
    json_decref(j);

    p.delete_after_days = 0;
    j = load(es_setup_ism_policy(&p));
    ck_assert_uint_eq(json_array_size(at(j, "policy/states")), 1);
    hot = json_array_get(at(j, "policy/states"), 0);
    ck_assert_uint_eq(json_array_size(at(hot, "transitions")), 0);
    json_decref(j);

    char *path = es_setup_policy_path(&p);
    ck_assert_str_eq(path, "_plugins/_ism/policies/logship-policy");
    free(path);
}
END_TEST

/* Runs es_setup_check on p expecting -EINVAL and msg_part. */
static void
expect_invalid(const struct es_setup_params *p, const char *msg_part)
{
    struct errbuf err = {{0}};
    ck_assert_int_eq(es_setup_check(p, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, msg_part) != NULL, "message '%s'", err.msg);
}

START_TEST(check_rejects_bad_params)
{
    struct es_setup_params base =
        params(ES_DIST_ELASTICSEARCH, 8, 15, false, NULL);
    struct es_setup_params p;
    static const char *const bad_pattern[] = {"logs-*", "Logs-*"};
    static const char *const comma_pattern[] = {"logs-a,logs-b"};
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';

    p = base;
    p.name = NULL;
    expect_invalid(&p, "template name must be 1 to 255 bytes");
    p.name = "";
    expect_invalid(&p, "template name must be 1 to 255 bytes");
    p.name = long_name;
    expect_invalid(&p, "template name must be 1 to 255 bytes");
    p.name = "Logship";
    expect_invalid(&p, "template name \"Logship\": only lowercase");
    p.name = "log/ship";
    expect_invalid(&p, "only lowercase");
    p.name = "logs-*";
    expect_invalid(&p, "only lowercase letters, digits, '.', '_', '-' are");
    p.name = "_logship";
    expect_invalid(&p, "must not start with");
    p = base;
    p.n_index_patterns = 0;
    expect_invalid(&p, "at least one index pattern");
    p.index_patterns = bad_pattern;
    p.n_index_patterns = 2;
    expect_invalid(&p, "index pattern \"Logs-*\"");
    p.index_patterns = comma_pattern;
    p.n_index_patterns = 1;
    expect_invalid(&p, "and '*' are allowed");
    p = base;
    p.policy = "Bad Policy";
    expect_invalid(&p, "policy name \"Bad Policy\"");
    p = base;
    p.shards = 0;
    expect_invalid(&p, "shards must be 1 to 1024");
    p = base;
    p.replicas = -2;
    expect_invalid(&p, "out of range");
    p = base;
    p.delete_after_days = -1;
    expect_invalid(&p, "out of range");
    p = base;
    p.rollover_max_primary_shard_size = "50 GB";
    expect_invalid(&p, "rollover size \"50 GB\"");
    p.rollover_max_primary_shard_size = "gb";
    expect_invalid(&p, "rollover size");
    p = params(ES_DIST_ELASTICSEARCH, 7, 8, false, NULL);
    p.data_stream = true;
    expect_invalid(&p, "data streams need Elasticsearch 7.9 or newer (the "
                       "cluster runs 7.8.0)");
    p = params(ES_DIST_ELASTICSEARCH, 6, 5, false, NULL);
    p.policy = "pol";
    expect_invalid(&p, "ILM needs Elasticsearch 6.6");
}
END_TEST

START_TEST(check_accepts_good_params)
{
    static const char *const two[] = {"logs-app-*", "app.logs_2024-*"};
    struct es_setup_params p;
    struct errbuf err;
    es_setup_params_init(&p);
    p.name = "logship-logs_1.0";
    p.index_patterns = two;
    p.n_index_patterns = 2;
    ck_assert_msg(es_setup_check(&p, &err) == 0, "%s", err.msg);
    p.version.dist = ES_DIST_OPENSEARCH;
    p.version.major = 1;
    p.data_stream = true;
    p.policy = "p";
    p.rollover_max_primary_shard_size = "1024mb";
    ck_assert_msg(es_setup_check(&p, &err) == 0, "%s", err.msg);
}
END_TEST

static Suite *
check_es_setup_suite(void)
{
    Suite *s = suite_create("es_setup");
    TCase *tc = tcase_create("bodies");
    tcase_add_test(tc, golden_bodies_are_stable);
    tcase_add_test(tc, same_params_give_same_bytes);
    tcase_add_test(tc, template_mappings_follow_ecs);
    tcase_add_test(tc, template_settings_and_shape);
    tcase_add_test(tc, opensearch_attaches_no_ilm);
    tcase_add_test(tc, old_versions_get_legacy_templates);
    tcase_add_test(tc, ip_ignore_malformed_by_version);
    tcase_add_test(tc, ilm_policy_phases);
    tcase_add_test(tc, ism_policy_states);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_add_test(tc, check_rejects_bad_params);
    tcase_add_test(tc, check_accepts_good_params);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_es_setup_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
