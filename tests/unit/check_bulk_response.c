/*
 * Unit tests for bulk_response.c. Bodies in tests/data/bulk/ are real
 * OpenSearch 2.19 responses (os2-*, captured from the node the integration
 * tests start) and Elasticsearch 6.8/8.x responses written in the shapes
 * those versions return (es6-*, es8-*). Every outcome rule of the
 * architecture's table, the "errors":false fast path and its near misses,
 * malformed bodies, error-text truncation, and reuse without growth.
 */
#include "config.h"

#include "bulk_response.h"

#include "testutil.h"
#include "xalloc.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bulk_case {
    const char *file;
    const char *outcomes; /* one letter per item: Indexed Dup Retry deaD */
    const char *statuses; /* space-separated */
    bool disk_full;
    bool fast;
};

static const struct bulk_case cases[] = {
    {"os2-all-created-filtered.json", "III", "201 201 201", false, true},
    {"os2-all-created-filtered-pretty.json", "II", "201 200", false, true},
    {"os2-all-created-full.json", "III", "201 201 201", false, false},
    {"es8-all-created-filtered.json", "IIII", "201 201 201 201", false, true},
    {"es8-all-created-full.json", "II", "201 201", false, false},
    {"os2-mixed-filtered.json", "IDXXIIX", "201 409 400 400 201 200 400", false,
     false},
    {"os2-mixed-full.json", "DDXXIIX", "409 409 400 400 200 200 400", false,
     false},
    {"es8-mixed-filtered.json", "IDRXRI", "201 409 429 400 503 201", false,
     false},
    {"es8-rejected-execution-429.json", "RRI", "429 429 201", false, false},
    {"os2-rejected-execution-429.json", "RI", "429 201", false, false},
    {"os2-flood-stage-filtered.json", "RI", "429 201", true, false},
    {"es8-flood-stage-filtered.json", "RR", "429 429", true, false},
    {"es6-flood-stage-403-full.json", "RI", "403 201", true, false},
    {"es8-item-5xx-filtered.json", "RRRRI", "500 502 504 507 201", false,
     false},
    {"os2-blocks-and-ops-filtered.json", "XXXII", "403 404 404 200 200", false,
     false},
    {"os2-delete-404-errors-false.json", "XI", "404 201", false, false},
    {"os2-invalid-index-filtered.json", "XI", "400 201", false, false},
};

static char
outcome_letter(enum bulk_outcome o)
{
    switch (o) {
    case BULK_INDEXED:
        return 'I';
    case BULK_DUPLICATE:
        return 'D';
    case BULK_RETRY:
        return 'R';
    case BULK_DEAD:
        return 'X';
    }
    return '?';
}

/* Reads tests/data/bulk/<name>; the caller frees it. */
static char *
read_body(const char *name, size_t *len)
{
    char *path = xasprintf("%s/bulk/%s", TEST_DATADIR, name);
    char *body = testutil_read_file(path, len);
    free(path);
    return body;
}

/* Parses s (a C string) expecting -EPROTO; returns the message. */
static void
expect_eproto(const char *s, size_t nitems, const char *msg_part)
{
    struct bulk_result r;
    struct errbuf err = {{0}};
    bulk_result_init(&r);
    int rc = bulk_response_parse(&r, s, strlen(s), nitems, &err);
    ck_assert_msg(rc == -EPROTO, "%s: rc %d", s, rc);
    ck_assert_uint_eq(r.count, 0);
    ck_assert_uint_eq(r.indexed + r.duplicate + r.retry + r.dead, 0);
    ck_assert_msg(strstr(err.msg, msg_part) != NULL, "%s: message '%s'", s,
                  err.msg);
    bulk_result_fini(&r);
}

/* Parses s expecting success; checks the outcome letters and fast flag. */
static void
expect_outcomes(const char *s, const char *outcomes, bool fast)
{
    struct bulk_result r;
    struct errbuf err = {{0}};
    bulk_result_init(&r);
    size_t n = strlen(outcomes);
    int rc = bulk_response_parse(&r, s, strlen(s), n, &err);
    ck_assert_msg(rc == 0, "%s: %s", s, err.msg);
    ck_assert_uint_eq(r.count, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(outcome_letter(r.items[i].outcome) == outcomes[i],
                      "%s: item %zu is %s", s, i,
                      bulk_outcome_name(r.items[i].outcome));
    ck_assert_msg(r.fast == fast, "%s: fast %d", s, r.fast);
    bulk_result_fini(&r);
}

START_TEST(data_files_give_expected_outcomes)
{
    const struct bulk_case *c = &cases[_i];
    size_t len, n = strlen(c->outcomes);
    char *body = read_body(c->file, &len);
    struct bulk_result r;
    struct errbuf err = {{0}};
    bulk_result_init(&r);
    int rc = bulk_response_parse(&r, body, len, n, &err);
    ck_assert_msg(rc == 0, "%s: %s", c->file, err.msg);
    ck_assert_uint_eq(r.count, n);

    size_t want[4] = {0};
    const char *st = c->statuses;
    for (size_t i = 0; i < n; i++) {
        char *next;
        long status = strtol(st, &next, 10);
        st = next;
        ck_assert_msg(outcome_letter(r.items[i].outcome) == c->outcomes[i],
                      "%s: item %zu is %s (%s)", c->file, i,
                      bulk_outcome_name(r.items[i].outcome),
                      bulk_result_type(&r, i));
        ck_assert_int_eq(r.items[i].status, status);
        want[r.items[i].outcome]++;
        /* Failures carry their type; successes carry none. */
        if (r.items[i].outcome == BULK_INDEXED)
            ck_assert_str_eq(bulk_result_type(&r, i), "");
        else if (r.items[i].status != 404) /* a 404 delete has no error */
            ck_assert_str_ne(bulk_result_type(&r, i), "");
    }
    ck_assert_uint_eq(r.indexed, want[BULK_INDEXED]);
    ck_assert_uint_eq(r.duplicate, want[BULK_DUPLICATE]);
    ck_assert_uint_eq(r.retry, want[BULK_RETRY]);
    ck_assert_uint_eq(r.dead, want[BULK_DEAD]);
    ck_assert_int_eq(r.disk_full, c->disk_full);
    ck_assert_int_eq(r.fast, c->fast);
    bulk_result_fini(&r);
    free(body);
}
END_TEST

START_TEST(error_types_and_reasons_are_copied)
{
    size_t len;
    char *body = read_body("os2-mixed-full.json", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 7, &err), 0);
    free(body); /* the texts must not point into the body */
    ck_assert_str_eq(bulk_result_type(&r, 1),
                     "version_conflict_engine_exception");
    ck_assert_str_eq(bulk_result_reason(&r, 1),
                     "[AAAAAAAAAAAAAAAAAAAAAA]: version conflict, document "
                     "already exists (current version [1])");
    ck_assert_str_eq(bulk_result_type(&r, 2), "mapper_parsing_exception");
    ck_assert_str_eq(bulk_result_reason(&r, 2),
                     "failed to parse field [http.response.status_code] of "
                     "type [long] in document with id "
                     "'HHHHHHHHHHHHHHHHHHHHHH'. Preview of field's value: "
                     "'abc'");
    ck_assert_str_eq(bulk_result_type(&r, 3),
                     "strict_dynamic_mapping_exception");
    ck_assert_str_eq(bulk_result_type(&r, 4), "");
    ck_assert_str_eq(bulk_result_reason(&r, 4), "");
    bulk_result_fini(&r);
}
END_TEST

START_TEST(escaped_reason_is_decoded)
{
    static const char body[] =
        "{\"errors\":true,\"items\":[{\"create\":{\"status\":400,\"error\":{"
        "\"type\":\"illegal_argument_exception\",\"reason\":\"For input "
        "string: \\\"abc\\\"\\n\\u00e9\\ud83d\\ude00\"}}}]}";
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, strlen(body), 1, &err), 0);
    ck_assert_str_eq(bulk_result_reason(&r, 0),
                     "For input string: \"abc\"\n\xc3\xa9\xf0\x9f\x98\x80");
    bulk_result_fini(&r);
}
END_TEST

START_TEST(long_texts_are_cut_at_utf8_boundary)
{
    /* "x" then 600 "é": byte 1024 is inside an é, so the cut is at 1023. */
    char reason[1 + 1200 + 1];
    reason[0] = 'x';
    for (int i = 0; i < 600; i++)
        memcpy(reason + 1 + 2 * i, "\xc3\xa9", 2);
    reason[1201] = '\0';
    char type[2001];
    memset(type, 't', 2000);
    type[2000] = '\0';
    char *body = xasprintf("{\"errors\":true,\"items\":[{\"index\":{\"status\":"
                           "400,\"error\":{\"type\":\"%s\",\"reason\":\"%s\"}}}"
                           "]}",
                           type, reason);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, strlen(body), 1, &err), 0);
    ck_assert_uint_eq(strlen(bulk_result_reason(&r, 0)), 1023);
    ck_assert(memcmp(bulk_result_reason(&r, 0), reason, 1023) == 0);
    ck_assert_uint_eq(strlen(bulk_result_type(&r, 0)), 1024);
    ck_assert_int_eq(r.items[0].outcome, BULK_DEAD);
    bulk_result_fini(&r);
    free(body);
}
END_TEST

START_TEST(count_mismatch_is_rejected)
{
    size_t len;
    char *body = read_body("os2-all-created-filtered.json", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 4, &err), -EPROTO);
    ck_assert_str_eq(err.msg, "bulk response has 3 items for 4 sent");
    ck_assert_uint_eq(r.count, 0);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 2, &err), -EPROTO);
    ck_assert_str_eq(err.msg, "bulk response has 3 items for 2 sent");
    ck_assert_uint_eq(r.count, 0);
    ck_assert_uint_eq(r.indexed, 0);
    free(body);

    body = read_body("os2-mixed-full.json", &len);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 8, &err), -EPROTO);
    ck_assert_str_eq(err.msg, "bulk response has 7 items for 8 sent");
    ck_assert_uint_eq(r.count, 0);
    ck_assert_uint_eq(r.dead + r.duplicate + r.indexed + r.retry, 0);
    free(body);
    bulk_result_fini(&r);
}
END_TEST

START_TEST(truncated_body_is_rejected)
{
    size_t len;
    char *body = read_body("truncated.json", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 7, &err), -EPROTO);
    ck_assert_msg(strstr(err.msg, "bulk response is not JSON") == err.msg, "%s",
                  err.msg);
    ck_assert_msg(strstr(err.msg, "{\"errors\":true,\"items\":[") != NULL, "%s",
                  err.msg);
    ck_assert_uint_eq(r.count, 0);
    free(body);

    /* The fast path must not accept a cut body either. */
    static const char cut[] = "{\"errors\":false,\"items\":[{\"create\":{"
                              "\"status\":201}},{\"create\":{\"status\":201}}";
    for (size_t n = 0; n < sizeof(cut) - 1; n++)
        if (bulk_response_parse(&r, cut, n, 2, &err) != -EPROTO)
            ck_abort_msg("accepted %zu bytes", n);
    bulk_result_fini(&r);
}
END_TEST

START_TEST(html_error_page_is_rejected)
{
    size_t len;
    char *body = read_body("nginx-502.html", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 3, &err), -EPROTO);
    ck_assert_msg(strstr(err.msg, "bulk response is not JSON") == err.msg, "%s",
                  err.msg);
    /* Control bytes are shown as dots and the excerpt is bounded. */
    ck_assert_msg(strstr(err.msg, ": <html>..<head><title>502 Bad Gateway") !=
                      NULL,
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "...") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "nginx/1.24.0") == NULL, "%s", err.msg);
    bulk_result_fini(&r);
    free(body);
}
END_TEST

START_TEST(empty_body_is_rejected)
{
    expect_eproto("", 1, "bulk response is empty");
    expect_eproto(" \n", 1, "not JSON");
}
END_TEST

START_TEST(request_level_error_is_explained)
{
    size_t len;
    char *body = read_body("os2-request-error.json", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, len, 1, &err), -EPROTO);
    ck_assert_str_eq(err.msg, "bulk request failed: parse_exception: request "
                              "body is required");
    bulk_result_fini(&r);
    free(body);
}
END_TEST

START_TEST(unknown_shapes_are_rejected)
{
    expect_eproto("[]", 0, "no items array: []");
    expect_eproto("{\"errors\":false}", 0, "no items array");
    expect_eproto("{\"items\":{}}", 0, "no items array");
    expect_eproto("{\"items\":null}", 0, "no items array");
    expect_eproto(
        "{\"errors\":\"no\",\"items\":[{\"create\":{\"status\":201}}]}", 1,
        "\"errors\" is not a boolean");
    expect_eproto("{\"items\":[{\"upsert\":{\"status\":201}}]}", 1,
                  "item 0 is not");
    expect_eproto("{\"items\":[{\"create\":{\"status\":201},\"index\":{"
                  "\"status\":201}}]}",
                  1, "item 0 is not");
    expect_eproto("{\"items\":[{}]}", 1, "item 0 is not");
    expect_eproto("{\"items\":[1]}", 1, "item 0 is not");
    expect_eproto("{\"items\":[{\"create\":[]}]}", 1, "item 0 is not");
    expect_eproto("{\"items\":[{\"create\":{\"status\":201}},{\"create\":{}}]}",
                  2, "item 1 has no valid status");
    expect_eproto("{\"items\":[{\"create\":{\"status\":\"201\"}}]}", 1,
                  "item 0 has no valid status");
    expect_eproto("{\"items\":[{\"create\":{\"status\":201.0}}]}", 1,
                  "item 0 has no valid status");
    expect_eproto("{\"items\":[{\"create\":{\"status\":99}}]}", 1,
                  "item 0 has no valid status");
    expect_eproto("{\"items\":[{\"create\":{\"status\":600}}]}", 1,
                  "item 0 has no valid status");
    expect_eproto("{\"items\":[{\"create\":{\"status\":302}}]}", 1,
                  "item 0 has status 302");
    expect_eproto("{\"items\":[{\"create\":{\"status\":100}}]}", 1,
                  "item 0 has status 100");
    expect_eproto("{\"items\":[{\"create\":{\"status\":400,\"error\":42}}]}", 1,
                  "item 0: bad error member");
}
END_TEST

/* Bodies that look like the fast grammar but are not: the full path decides. */
START_TEST(fast_path_near_misses_go_to_full_parse)
{
    expect_eproto(
        "{\"errors\":false,\"items\":[{\"create\":{\"status\":2010}}]}", 1,
        "no valid status");
    expect_eproto("{\"errors\":false,\"items\":[{\"create\":{\"status\":201}}]}"
                  "x",
                  1, "not JSON");
    expect_eproto("{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},]"
                  "}",
                  1, "not JSON");
    expect_eproto("{\"errors\":false,\"items\":[{\"create\":{\"status\":201}}]",
                  1, "not JSON");
    expect_eproto("{\"errors\":false,\"items\":[{\"create\":{\"status\":201e0}}"
                  "]}",
                  1, "no valid status");
    expect_eproto("{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},"
                  "{\"create\":{\"status\":201}}]}",
                  1, "2 items for 1 sent");
    expect_eproto(
        "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}}]}", 2,
        "1 items for 2 sent");
    expect_outcomes("{\"errors\":false,\"items\":[{\"create\":{\"status\":201,"
                    "\"error\":null}}]}",
                    "I", false);
    expect_outcomes(
        "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},"
        "{\"delete\":{\"status\":404}}]}",
        "IX", false);
    expect_outcomes(
        "{\"errors\":false,\"items\":[{\"create\":{\"status\":202}}]}", "I",
        false);
    expect_outcomes(
        "{\"errors\":false,\"items\":[{\"cre\\u0061te\":{\"status\":"
        "201}}]}",
        "I", false);
    expect_outcomes(
        "{\"items\":[{\"create\":{\"status\":201}}],\"errors\":false"
        "}",
        "I", false);
    expect_outcomes(
        "{\"errors\":true,\"items\":[{\"create\":{\"status\":201}}]}", "I",
        false);
}
END_TEST

START_TEST(fast_path_accepts_whitespace_and_every_op)
{
    expect_outcomes(
        " \n{\t\"errors\" :false,\r\n\"items\":[ {\"index\": {"
        "\"status\" : 200 } } , {\"update\":{\"status\":201}},"
        "{\"delete\":{\"status\":200}},{\"create\":{\"status\":201}}"
        "] } \n",
        "IIII", true);
    expect_outcomes("{\"errors\":false,\"items\":[]}", "", true);
}
END_TEST

START_TEST(fast_path_handles_large_batches)
{
    enum { N = 20000 };
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "{\"errors\":false,\"items\":["), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(
            buf_append_str(&b, i ? ",{\"create\":{\"status\":201}}"
                                 : "{\"create\":{\"status\":201}}"),
            0);
    ck_assert_int_eq(buf_append_str(&b, "]}"), 0);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, b.data, b.len, N, &err), 0);
    ck_assert(r.fast);
    ck_assert_uint_eq(r.count, N);
    ck_assert_uint_eq(r.indexed, N);
    ck_assert_int_eq(r.items[N - 1].status, 201);
    ck_assert_int_eq(bulk_response_parse(&r, b.data, b.len, N + 1, &err),
                     -EPROTO);
    ck_assert_uint_eq(r.count, 0);
    bulk_result_fini(&r);
    buf_fini(&b);
}
END_TEST

/* One item with op, status and error type; returns its outcome letter. */
static char
classify(const char *op, int status, const char *type, const char *reason)
{
    char *body = xasprintf("{\"errors\":true,\"items\":[{\"%s\":{\"status\":%d,"
                           "\"error\":{\"type\":\"%s\",\"reason\":\"%s\"}}}]}",
                           op, status, type, reason);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, body, strlen(body), 1, &err), 0);
    char c = outcome_letter(r.items[0].outcome);
    if (r.disk_full)
        c = (char)(c + 32); /* lower case: retry with the disk flag */
    bulk_result_fini(&r);
    free(body);
    return c;
}

START_TEST(outcome_rules)
{
    /* 409 is a duplicate only for create's version conflict. */
    ck_assert_int_eq(
        classify("create", 409, "version_conflict_engine_exception", "exists"),
        'D');
    ck_assert_int_eq(
        classify("index", 409, "version_conflict_engine_exception", "seq_no"),
        'X');
    ck_assert_int_eq(classify("create", 409, "resource_already_exists", "x"),
                     'X');
    /* Overload: these statuses, or a rejected execution with any status. */
    ck_assert_int_eq(classify("create", 429, "circuit_breaking_exception", ""),
                     'R');
    ck_assert_int_eq(classify("create", 502, "x", ""), 'R');
    ck_assert_int_eq(classify("create", 503, "x", ""), 'R');
    ck_assert_int_eq(classify("create", 504, "x", ""), 'R');
    ck_assert_int_eq(
        classify("create", 400, "es_rejected_execution_exception", ""), 'R');
    ck_assert_int_eq(classify("index", 404, "rejected_execution_exception", ""),
                     'R');
    /* Other 4xx are permanent, other 5xx transient. */
    ck_assert_int_eq(classify("create", 400, "mapper_parsing_exception", ""),
                     'X');
    ck_assert_int_eq(classify("create", 400, "illegal_argument_exception", ""),
                     'X');
    ck_assert_int_eq(classify("create", 413, "x", ""), 'X');
    ck_assert_int_eq(classify("create", 499, "x", ""), 'X');
    ck_assert_int_eq(classify("create", 500, "x", ""), 'R');
    ck_assert_int_eq(classify("create", 599, "x", ""), 'R');
    /* Blocks: flood stage is retried and flagged; a write block is dead. */
    ck_assert_int_eq(classify("create", 429, "cluster_block_exception",
                              "TOO_MANY_REQUESTS/12/disk usage exceeded"),
                     'r');
    ck_assert_int_eq(classify("index", 403, "cluster_block_exception",
                              "blocked by: [FORBIDDEN/12/index read-only / "
                              "allow delete (api)];"),
                     'r');
    ck_assert_int_eq(classify("create", 403, "cluster_block_exception",
                              "blocked by: [FORBIDDEN/8/index write (api)];"),
                     'X');
    ck_assert_int_eq(classify("create", 201, "", ""), 'I');
    ck_assert_int_eq(classify("update", 200, "", ""), 'I');
}
END_TEST

START_TEST(reuse_keeps_memory)
{
    size_t len;
    char *mixed = read_body("os2-mixed-full.json", &len);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, mixed, len, 7, &err), 0);
    struct bulk_item *items = r.items;
    size_t cap = r.cap;
    char *text = r.text.data;
    size_t text_cap = r.text.cap;
    for (int round = 0; round < 50; round++) {
        ck_assert_int_eq(bulk_response_parse(&r, mixed, len, 7, &err), 0);
        ck_assert_uint_eq(r.count, 7);
        ck_assert_uint_eq(r.dead, 3); /* counters restart at each parse */
        ck_assert_uint_eq(r.duplicate, 2);
    }
    ck_assert_ptr_eq(r.items, items);
    ck_assert_uint_eq(r.cap, cap);
    ck_assert_ptr_eq(r.text.data, text);
    ck_assert_uint_eq(r.text.cap, text_cap);

    bulk_result_reset(&r);
    ck_assert_uint_eq(r.count, 0);
    ck_assert_uint_eq(r.dead + r.duplicate + r.indexed + r.retry, 0);
    ck_assert(!r.disk_full);
    ck_assert_ptr_eq(r.items, items);
    bulk_result_fini(&r);
    free(mixed);
}
END_TEST

START_TEST(disk_full_is_cleared_by_next_parse)
{
    size_t len1, len2;
    char *flood = read_body("os2-flood-stage-filtered.json", &len1);
    char *ok = read_body("os2-all-created-filtered.json", &len2);
    struct bulk_result r;
    struct errbuf err;
    bulk_result_init(&r);
    ck_assert_int_eq(bulk_response_parse(&r, flood, len1, 2, &err), 0);
    ck_assert(r.disk_full);
    ck_assert_int_eq(bulk_response_parse(&r, ok, len2, 3, &err), 0);
    ck_assert(!r.disk_full);
    bulk_result_fini(&r);
    free(ok);
    free(flood);
}
END_TEST

START_TEST(outcome_names)
{
    ck_assert_str_eq(bulk_outcome_name(BULK_INDEXED), "indexed");
    ck_assert_str_eq(bulk_outcome_name(BULK_DUPLICATE), "duplicate");
    ck_assert_str_eq(bulk_outcome_name(BULK_RETRY), "retry");
    ck_assert_str_eq(bulk_outcome_name(BULK_DEAD), "dead");
}
END_TEST

static Suite *
check_bulk_response_suite(void)
{
    Suite *s = suite_create("bulk_response");
    TCase *tc = tcase_create("data");
    tcase_add_loop_test(tc, data_files_give_expected_outcomes, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, error_types_and_reasons_are_copied);
    tcase_add_test(tc, escaped_reason_is_decoded);
    tcase_add_test(tc, long_texts_are_cut_at_utf8_boundary);
    tcase_add_test(tc, outcome_rules);
    tcase_add_test(tc, outcome_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_test(tc, count_mismatch_is_rejected);
    tcase_add_test(tc, truncated_body_is_rejected);
    tcase_add_test(tc, html_error_page_is_rejected);
    tcase_add_test(tc, empty_body_is_rejected);
    tcase_add_test(tc, request_level_error_is_explained);
    tcase_add_test(tc, unknown_shapes_are_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("fast_path");
    tcase_add_test(tc, fast_path_near_misses_go_to_full_parse);
    tcase_add_test(tc, fast_path_accepts_whitespace_and_every_op);
    tcase_add_test(tc, fast_path_handles_large_batches);
    suite_add_tcase(s, tc);

    tc = tcase_create("reuse");
    tcase_add_test(tc, reuse_keeps_memory);
    tcase_add_test(tc, disk_full_is_cleared_by_next_parse);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    xalloc_init();
    SRunner *sr = srunner_create(check_bulk_response_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
