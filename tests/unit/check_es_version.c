/*
 * Unit tests for es_version.c with `GET /` bodies: OpenSearch 2.19.6 as
 * captured from the integration-test node, the others in the shape each
 * version returns (Elasticsearch 5.6, 6.8, 7.10 OSS, 7.17, 8.15, 9.1;
 * OpenSearch 1.3, 3.0 and compatibility mode), and bodies that are not a
 * cluster's root response.
 */
#include "config.h"

#include "es_version.h"

#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A root response with the given version members and tagline. */
#define ROOT(version_members, tagline)                                         \
    "{\n  \"name\" : \"node-1\",\n  \"cluster_name\" : \"logs\",\n"            \
    "  \"cluster_uuid\" : \"kB2vHn5HRxa9YIB5yH3J9g\",\n"                       \
    "  \"version\" : {\n" version_members "\n  },\n"                           \
    "  \"tagline\" : \"" tagline "\"\n}\n"

#define ES_TAGLINE "You Know, for Search"
#define OS_TAGLINE "The OpenSearch Project: https://opensearch.org/"

static const char es_5_6[] =
    ROOT("    \"number\" : \"5.6.16\",\n    \"build_hash\" : \"3a740d1\",\n"
         "    \"build_date\" : \"2019-03-13T15:33:36.565Z\",\n"
         "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"6.6.1\"",
         ES_TAGLINE);

static const char es_6_8[] = ROOT(
    "    \"number\" : \"6.8.23\",\n    \"build_flavor\" : \"default\",\n"
    "    \"build_type\" : \"docker\",\n    \"build_hash\" : \"4f67856\",\n"
    "    \"build_date\" : \"2022-01-06T21:30:50.087716Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"7.7.3\",\n"
    "    \"minimum_wire_compatibility_version\" : \"5.6.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"5.0.0\"",
    ES_TAGLINE);

static const char es_7_10_oss[] = ROOT(
    "    \"number\" : \"7.10.2\",\n    \"build_flavor\" : \"oss\",\n"
    "    \"build_type\" : \"tar\",\n"
    "    \"build_hash\" : \"747e1cc71def077253878a59143c1f785afa92b9\",\n"
    "    \"build_date\" : \"2021-01-13T00:42:12.435326Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"8.7.0\",\n"
    "    \"minimum_wire_compatibility_version\" : \"6.8.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"6.0.0-beta1\"",
    ES_TAGLINE);

static const char es_7_17[] = ROOT(
    "    \"number\" : \"7.17.25\",\n    \"build_flavor\" : \"default\",\n"
    "    \"build_type\" : \"docker\",\n"
    "    \"build_hash\" : \"f9b6b57d1d0f76e2d14291c04fb50abeb642cfbf\",\n"
    "    \"build_date\" : \"2024-10-16T22:06:36.904732810Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"8.11.3\",\n"
    "    \"minimum_wire_compatibility_version\" : \"6.8.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"6.0.0-beta1\"",
    ES_TAGLINE);

static const char es_8_15[] = ROOT(
    "    \"number\" : \"8.15.3\",\n    \"build_flavor\" : \"default\",\n"
    "    \"build_type\" : \"docker\",\n"
    "    \"build_hash\" : \"f97532e680b555c3a05e73a74c28afb666923018\",\n"
    "    \"build_date\" : \"2024-10-09T22:08:00.328917561Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"9.11.1\",\n"
    "    \"minimum_wire_compatibility_version\" : \"7.17.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"7.0.0\"",
    ES_TAGLINE);

static const char es_9_1[] = ROOT(
    "    \"number\" : \"9.1.0\",\n    \"build_flavor\" : \"default\",\n"
    "    \"build_type\" : \"docker\",\n"
    "    \"build_hash\" : \"5e94ac1e2e5e1b8b3a7a2e5d3c8e6c0fa1f6b0a2\",\n"
    "    \"build_date\" : \"2025-07-24T22:05:04.526302670Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"10.2.2\",\n"
    "    \"minimum_wire_compatibility_version\" : \"8.19.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"8.0.0\"",
    ES_TAGLINE);

static const char os_1_3[] = ROOT(
    "    \"distribution\" : \"opensearch\",\n    \"number\" : \"1.3.20\",\n"
    "    \"build_type\" : \"tar\",\n"
    "    \"build_hash\" : \"a9c5fb4c5b9b5c8e1d4a8a1e1c0e6e5f1a3b0c2d\",\n"
    "    \"build_date\" : \"2024-12-11T21:52:13.585213Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"8.10.1\",\n"
    "    \"minimum_wire_compatibility_version\" : \"6.8.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"6.0.0-beta1\"",
    OS_TAGLINE);

/* Captured from tests/opensearch (the integration-test node). */
static const char os_2_19[] =
    "{\n  \"name\" : \"logship-it-node\",\n"
    "  \"cluster_name\" : \"logship-it\",\n"
    "  \"cluster_uuid\" : \"0dA14yuPRn2WC2U9MifJjg\",\n"
    "  \"version\" : {\n"
    "    \"distribution\" : \"opensearch\",\n"
    "    \"number\" : \"2.19.6\",\n"
    "    \"build_type\" : \"unknown\",\n"
    "    \"build_hash\" : \"97d3c13bf22a4a72ac11dc503fe44c97662b9161\",\n"
    "    \"build_date\" : \"2026-07-01T04:27:16.038403104Z\",\n"
    "    \"build_snapshot\" : false,\n"
    "    \"lucene_version\" : \"9.12.3\",\n"
    "    \"minimum_wire_compatibility_version\" : \"7.10.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"7.0.0\"\n"
    "  },\n"
    "  \"tagline\" : \"The OpenSearch Project: https://opensearch.org/\"\n"
    "}\n";

static const char os_3_0[] = ROOT(
    "    \"distribution\" : \"opensearch\",\n    \"number\" : \"3.0.0\",\n"
    "    \"build_type\" : \"tar\",\n"
    "    \"build_hash\" : \"dc4efa821904cc2d7ea7ef61c0f577d3fc0d8be9\",\n"
    "    \"build_date\" : \"2025-05-03T06:23:50.311109522Z\",\n"
    "    \"build_snapshot\" : false,\n    \"lucene_version\" : \"10.1.0\",\n"
    "    \"minimum_wire_compatibility_version\" : \"2.19.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"2.0.0\"",
    OS_TAGLINE);

/* compatibility.override_main_response_version: true */
static const char os_compat[] = ROOT(
    "    \"distribution\" : \"opensearch\",\n    \"number\" : \"7.10.2\",\n"
    "    \"build_type\" : \"tar\",\n    \"build_snapshot\" : false,\n"
    "    \"lucene_version\" : \"9.12.1\",\n"
    "    \"minimum_wire_compatibility_version\" : \"6.8.0\",\n"
    "    \"minimum_index_compatibility_version\" : \"6.0.0-beta1\"",
    OS_TAGLINE);

struct version_case {
    const char *body;
    enum es_dist dist;
    int major, minor;
    const char *number;
    bool needs_type;
};

static const struct version_case cases[] = {
    {es_6_8, ES_DIST_ELASTICSEARCH, 6, 8, "6.8.23", true},
    {es_7_10_oss, ES_DIST_ELASTICSEARCH, 7, 10, "7.10.2", false},
    {es_7_17, ES_DIST_ELASTICSEARCH, 7, 17, "7.17.25", false},
    {es_8_15, ES_DIST_ELASTICSEARCH, 8, 15, "8.15.3", false},
    {es_9_1, ES_DIST_ELASTICSEARCH, 9, 1, "9.1.0", false},
    {os_1_3, ES_DIST_OPENSEARCH, 1, 3, "1.3.20", false},
    {os_2_19, ES_DIST_OPENSEARCH, 2, 19, "2.19.6", false},
    {os_3_0, ES_DIST_OPENSEARCH, 3, 0, "3.0.0", false},
    {os_compat, ES_DIST_OPENSEARCH, 1, 0, "7.10.2", false},
};

START_TEST(supported_versions_are_read)
{
    const struct version_case *c = &cases[_i];
    struct es_version v;
    struct errbuf err = {{0}};
    int rc = es_version_parse(c->body, strlen(c->body), &v, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_int_eq(v.dist, c->dist);
    ck_assert_int_eq(v.major, c->major);
    ck_assert_int_eq(v.minor, c->minor);
    ck_assert_str_eq(v.number, c->number);
    ck_assert_int_eq(es_version_needs_type(&v), c->needs_type);
}
END_TEST

/* Parses body expecting rc, with msg_part in the message. */
static void
expect_error(const char *body, int want_rc, const char *msg_part)
{
    struct es_version v;
    struct errbuf err = {{0}};
    int rc = es_version_parse(body, strlen(body), &v, &err);
    ck_assert_msg(rc == want_rc, "%s: rc %d (%s)", body, rc, err.msg);
    ck_assert_msg(strstr(err.msg, msg_part) != NULL, "%s: message '%s'", body,
                  err.msg);
}

START_TEST(old_elasticsearch_is_refused)
{
    expect_error(es_5_6, -ENOTSUP,
                 "Elasticsearch 5.6.16 is not supported (6.0 or newer is "
                 "needed)");
    expect_error(ROOT("\"number\":\"2.4.6\"", ES_TAGLINE), -ENOTSUP,
                 "Elasticsearch 2.4.6 is not supported");
}
END_TEST

START_TEST(unknown_bodies_are_refused)
{
    expect_error("", -EPROTO, "is not JSON");
    expect_error("<html><body>Welcome to nginx!</body></html>", -EPROTO,
                 "is not JSON");
    expect_error("[1,2]", -EPROTO, "is not a JSON object");
    expect_error("{\"status\":\"ok\"}", -EPROTO, "has no version.number");
    expect_error("{\"version\":\"8.15.0\"}", -EPROTO, "has no version.number");
    expect_error("{\"version\":{\"number\":8}}", -EPROTO,
                 "has no version.number");
    expect_error("{\"version\":{\"number\":\"1.0\"}}", -EPROTO,
                 "neither Elasticsearch nor OpenSearch (tagline missing)");
    expect_error("{\"version\":{\"number\":\"1.0\"},\"tagline\":\"Solr\"}",
                 -EPROTO, "(tagline Solr)");
    expect_error("{\"version\":{\"number\":\"8.1.0\",\"distribution\":"
                 "\"elasticsearch\"},\"tagline\":\"You Know, for Search\"}",
                 -EPROTO, "unknown distribution elasticsearch");
    expect_error("{\"version\":{\"number\":\"2.1.0\",\"distribution\":1}}",
                 -EPROTO, "unknown distribution (not a string)");
    expect_error(
        ROOT("\"number\":\"eight\",\"build_flavor\":\"default\"", ES_TAGLINE),
        -EPROTO, "cannot read Elasticsearch version eight");
    expect_error(
        ROOT("\"number\":\"8\",\"build_flavor\":\"default\"", ES_TAGLINE),
        -EPROTO, "cannot read Elasticsearch version 8");
    expect_error(
        ROOT("\"distribution\":\"opensearch\",\"number\":\"2.x\"", OS_TAGLINE),
        -EPROTO, "cannot read OpenSearch version 2.x");
}
END_TEST

START_TEST(version_suffixes_are_accepted)
{
    struct es_version v;
    struct errbuf err;
    const char *snap = ROOT("\"number\":\"9.2.0-SNAPSHOT\",\"build_flavor\":"
                            "\"default\"",
                            ES_TAGLINE);
    ck_assert_int_eq(es_version_parse(snap, strlen(snap), &v, &err), 0);
    ck_assert_int_eq(v.major, 9);
    ck_assert_int_eq(v.minor, 2);
    const char *beta = ROOT("\"distribution\":\"opensearch\",\"number\":\"3.0."
                            "0-beta1\"",
                            OS_TAGLINE);
    ck_assert_int_eq(es_version_parse(beta, strlen(beta), &v, &err), 0);
    ck_assert_int_eq(v.dist, ES_DIST_OPENSEARCH);
    ck_assert_int_eq(v.major, 3);
    ck_assert_str_eq(v.number, "3.0.0-beta1");
    /* No tagline: build_flavor alone says Elasticsearch. */
    const char *flavor = "{\"version\":{\"number\":\"7.17.0\",\"build_flavor\":"
                         "\"default\"}}";
    ck_assert_int_eq(es_version_parse(flavor, strlen(flavor), &v, &err), 0);
    ck_assert_int_eq(v.dist, ES_DIST_ELASTICSEARCH);
}
END_TEST

START_TEST(at_least_compares_major_then_minor)
{
    struct es_version v = {ES_DIST_ELASTICSEARCH, 7, 13, "7.13.0"};
    ck_assert(es_version_at_least(&v, 7, 13));
    ck_assert(es_version_at_least(&v, 7, 8));
    ck_assert(es_version_at_least(&v, 6, 99));
    ck_assert(!es_version_at_least(&v, 7, 14));
    ck_assert(!es_version_at_least(&v, 8, 0));
}
END_TEST

START_TEST(dist_names)
{
    ck_assert_str_eq(es_version_dist_name(ES_DIST_ELASTICSEARCH),
                     "Elasticsearch");
    ck_assert_str_eq(es_version_dist_name(ES_DIST_OPENSEARCH), "OpenSearch");
}
END_TEST

static Suite *
check_es_version_suite(void)
{
    Suite *s = suite_create("es_version");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, supported_versions_are_read, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, old_elasticsearch_is_refused);
    tcase_add_test(tc, unknown_bodies_are_refused);
    tcase_add_test(tc, version_suffixes_are_accepted);
    tcase_add_test(tc, at_least_compares_major_then_minor);
    tcase_add_test(tc, dist_names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_es_version_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
