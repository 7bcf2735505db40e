/*
 * Unit tests for patterns.c, the grok pattern library: pattern file syntax
 * (comments, blanks, CRLF, bad lines with file:line), directories (name
 * order, hidden files and subdirectories skipped, overrides), expansion of
 * every reference form into exact regex text and capture tables, named
 * groups inside definitions, escapes and classes left alone, undefined
 * names and cycles reported with where they were defined, the nesting and
 * size limits, and the built-in library: every name expands and compiles
 * in both modes pcre_util.c uses.
 */
#include "config.h"

#include "patterns.h"

#include "testutil.h"
#include "xalloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <dirent.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DATA TEST_DATADIR "/patterns"

/* A library holding the definitions of text (origin "t.grok"). */
static struct patterns *
lib_from(const char *text)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    int rc = patterns_load_text(lib, "t.grok", text, strlen(text), &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return lib;
}

/* Expands pattern, which must succeed, and checks the regex text. */
static void
expand_ok(struct patterns *lib, const char *pattern, const char *regex,
          struct patterns_expansion *exp)
{
    struct errbuf err = {{0}};
    int rc = patterns_expand(lib, pattern, "pattern", exp, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_str_eq(exp->regex, regex);
    ck_assert_uint_eq(exp->len, strlen(regex));
}

/* Expands pattern, which must fail with message msg. */
static void
expand_fails(struct patterns *lib, const char *pattern, const char *msg)
{
    struct errbuf err = {{0}};
    struct patterns_expansion exp;
    ck_assert_int_lt(patterns_expand(lib, pattern, "pattern", &exp, &err), 0);
    ck_assert_str_eq(err.msg, msg);
}

static void
check_capture(const struct patterns_expansion *exp, size_t i, const char *field,
              enum field_type type)
{
    ck_assert_uint_gt(exp->ncaptures, i);
    ck_assert_str_eq(exp->captures[i].field, field);
    ck_assert_int_eq(exp->captures[i].type, type);
}

/* ---- files and directories ---- */

START_TEST(text_skips_comments_blanks_and_cr)
{
    struct patterns *lib = lib_from("# a comment\n"
                                    "\n"
                                    "   \t\n"
                                    "  # indented comment\n"
                                    "WORD \\w+\r\n"
                                    "  SPACED\t\t[a b]  \n"
                                    "LAST x{2}");
    ck_assert_uint_eq(patterns_count(lib), 3);
    ck_assert_str_eq(patterns_name(lib, 0), "WORD");
    ck_assert_str_eq(patterns_get(lib, "WORD"), "\\w+");
    /* Trailing blanks are part of the regex; only the CR goes. */
    ck_assert_str_eq(patterns_get(lib, "SPACED"), "[a b]  ");
    ck_assert_str_eq(patterns_get(lib, "LAST"), "x{2}");
    ck_assert_ptr_null(patterns_get(lib, "NOPE"));
    patterns_destroy(lib);
}
END_TEST

START_TEST(text_later_definition_replaces_earlier)
{
    struct patterns *lib = lib_from("A first\nB b\nA second\n");
    ck_assert_uint_eq(patterns_count(lib), 2);
    ck_assert_str_eq(patterns_get(lib, "A"), "second");
    patterns_define(lib, "B", "from config", "pattern_definitions.B");
    ck_assert_str_eq(patterns_get(lib, "B"), "from config");
    patterns_destroy(lib);
}
END_TEST

START_TEST(text_bad_lines_name_file_and_line)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"OK x\nbad-name x\n", "t.grok:2: expected a pattern name "
                               "([A-Za-z0-9_]+), blanks and a regex"},
        {"OK x\n\nALONE\n", "t.grok:3: pattern ALONE has no regex"},
        {"ALONE   \n", "t.grok:1: pattern ALONE has no regex"},
        {"NAME:x y\n", "t.grok:1: expected a pattern name ([A-Za-z0-9_]+), "
                       "blanks and a regex"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct patterns *lib = patterns_create();
        struct errbuf err = {{0}};
        ck_assert_int_lt(patterns_load_text(lib, "t.grok", cases[i].text,
                                            strlen(cases[i].text), &err),
                         0);
        ck_assert_str_eq(err.msg, cases[i].msg);
        patterns_destroy(lib);
    }
}
END_TEST

START_TEST(valid_names)
{
    ck_assert(patterns_valid_name("HTTPD_COMBINEDLOG2", 18));
    ck_assert(patterns_valid_name("x", 1));
    ck_assert(!patterns_valid_name("", 0));
    ck_assert(!patterns_valid_name("A-B", 3));
    ck_assert(!patterns_valid_name("A.B", 3));
    ck_assert(!patterns_valid_name("A B", 3));
}
END_TEST

START_TEST(dir_loads_files_in_name_order_skipping_hidden)
{
    /* The skipped entries must exist for this test to mean anything. */
    struct stat st;
    ck_assert_int_eq(stat(DATA "/dir/.hidden.grok", &st), 0);
    ck_assert_int_eq(stat(DATA "/dir/sub/x.grok", &st), 0);

    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    int rc = patterns_load_dir(lib, DATA "/dir", &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_str_eq(patterns_get(lib, "A"), "a1");
    ck_assert_str_eq(patterns_get(lib, "B"), "b2"); /* 20-override.grok */
    ck_assert_str_eq(patterns_get(lib, "VERB"), "(?:GET|POST)");
    ck_assert_uint_eq(patterns_count(lib), 5); /* A B C NUM VERB */

    struct patterns_expansion exp;
    expand_ok(lib, "%{C}", "(?:(?:a1)-(?:b2))", &exp);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(dir_missing_is_an_error)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_lt(patterns_load_dir(lib, DATA "/nope", &err), 0);
    ck_assert_str_eq(err.msg, DATA "/nope: No such file or directory");
    patterns_destroy(lib);
}
END_TEST

START_TEST(dir_bad_line_names_the_file)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_lt(patterns_load_dir(lib, DATA "/syntax", &err), 0);
    ck_assert_str_eq(err.msg, DATA "/syntax/bad-line.grok:2: expected a "
                                   "pattern name ([A-Za-z0-9_]+), blanks "
                                   "and a regex");
    patterns_destroy(lib);
}
END_TEST

START_TEST(file_missing_is_an_error)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_lt(patterns_load_file(lib, DATA "/nope.grok", &err), 0);
    ck_assert_str_eq(err.msg, DATA "/nope.grok: No such file or directory");
    patterns_destroy(lib);
}
END_TEST

/* ---- expansion ---- */

START_TEST(expand_reference_forms)
{
    struct patterns *lib = lib_from("INT [0-9]+\nWORD \\w+\n");
    struct patterns_expansion exp;
    expand_ok(lib,
              "%{WORD} %{WORD:verb} %{INT:[http][response][status_code]:int} "
              "%{INT:n:long}/%{INT:f:double}/%{INT:b:boolean}/%{WORD:s:string}",
              "(?:\\w+) (?<g1>\\w+) (?<g2>[0-9]+) (?<g3>[0-9]+)/(?<g4>[0-9]+)/"
              "(?<g5>[0-9]+)/(?<g6>\\w+)",
              &exp);
    ck_assert_uint_eq(exp.ncaptures, 6);
    check_capture(&exp, 0, "verb", FIELD_STRING);
    check_capture(&exp, 1, "http.response.status_code", FIELD_INT);
    check_capture(&exp, 2, "n", FIELD_INT);
    check_capture(&exp, 3, "f", FIELD_FLOAT);
    check_capture(&exp, 4, "b", FIELD_BOOL);
    check_capture(&exp, 5, "s", FIELD_STRING);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_nested_captures_get_fresh_groups)
{
    /* PAIR captures inside itself, so each use needs its own groups. */
    struct patterns *lib =
        lib_from("INT [0-9]+\nPAIR %{INT:a}-%{INT:b}\nTWO %{PAIR} %{PAIR:p}\n");
    struct patterns_expansion exp;
    expand_ok(lib, "%{TWO}",
              "(?:(?:(?<g1>[0-9]+)-(?<g2>[0-9]+)) "
              "(?<g3>(?<g4>[0-9]+)-(?<g5>[0-9]+)))",
              &exp);
    ck_assert_uint_eq(exp.ncaptures, 5);
    check_capture(&exp, 0, "a", FIELD_STRING);
    check_capture(&exp, 1, "b", FIELD_STRING);
    check_capture(&exp, 2, "p", FIELD_STRING);
    check_capture(&exp, 3, "a", FIELD_STRING);
    check_capture(&exp, 4, "b", FIELD_STRING);
    patterns_expansion_fini(&exp);

    /* A second expansion with the same library starts at g1 again. */
    expand_ok(lib, "%{PAIR}", "(?:(?<g1>[0-9]+)-(?<g2>[0-9]+))", &exp);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_named_groups_become_captures)
{
    struct patterns *lib = lib_from("KV (?<key>\\w+)=(?P<[kv][value]>\\S+)\n"
                                    "Q (?'quoted'\"[^\"]*\")\n"
                                    "LOOK (?<=x)(?<!y)y\n");
    struct patterns_expansion exp;
    expand_ok(lib, "%{KV} %{Q:q} %{LOOK} (?<http.method>[A-Z]+)",
              "(?:(?<g1>\\w+)=(?<g2>\\S+)) (?<g3>(?<g4>\"[^\"]*\")) "
              "(?:(?<=x)(?<!y)y) (?<g5>[A-Z]+)",
              &exp);
    ck_assert_uint_eq(exp.ncaptures, 5);
    check_capture(&exp, 0, "key", FIELD_STRING);
    check_capture(&exp, 1, "kv.value", FIELD_STRING);
    check_capture(&exp, 2, "q", FIELD_STRING);
    check_capture(&exp, 3, "quoted", FIELD_STRING);
    check_capture(&exp, 4, "http.method", FIELD_STRING);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_leaves_escapes_and_classes_alone)
{
    struct patterns *lib = lib_from("INT [0-9]+\n");
    struct patterns_expansion exp;
    const char *p = "\\%{INT} %\\{INT} [%{INT}] []%{]INT} [^]%{] "
                    "[[:alpha:]%{] \\Q%{INT}(?<x>\\E %{INT} 100%";
    expand_ok(lib, p,
              "\\%{INT} %\\{INT} [%{INT}] []%{]INT} [^]%{] "
              "[[:alpha:]%{] \\Q%{INT}(?<x>\\E (?:[0-9]+) 100%",
              &exp);
    ck_assert_uint_eq(exp.ncaptures, 0);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_bad_references)
{
    struct patterns *lib = lib_from("INT [0-9]+\nIP [0-9.]+\n");
    expand_fails(lib, "x %{INT", "pattern: malformed grok reference %{INT");
    expand_fails(lib, "%{}", "pattern: malformed grok reference %{}");
    expand_fails(lib, "%{IN-T}", "pattern: malformed grok reference %{IN-T}");
    expand_fails(lib, "%{INT:a:int:x}",
                 "pattern: malformed grok reference %{INT:a:int:x}");
    expand_fails(lib, "%{IP:client ip}",
                 "pattern: invalid field name in %{IP:client ip}");
    expand_fails(lib, "%{IP:}", "pattern: invalid field name in %{IP:}");
    expand_fails(lib, "%{IP:a..b}",
                 "pattern: invalid field name in %{IP:a..b}");
    expand_fails(lib, "%{IP:[a]b}",
                 "pattern: invalid field name in %{IP:[a]b}");
    expand_fails(lib, "%{IP:[a][]}",
                 "pattern: invalid field name in %{IP:[a][]}");
    expand_fails(lib, "%{INT:n:number}",
                 "pattern: unknown type in %{INT:n:number} (expected int, "
                 "float, bool or string)");
    expand_fails(lib, "(?<a b>x)",
                 "pattern: invalid field name in group "
                 "(?<a b>");
    expand_fails(lib, "%{FOO} %{INT}",
                 "pattern: undefined grok pattern %{FOO}");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_what_names_the_pattern)
{
    struct patterns *lib = lib_from("INT [0-9]+\n");
    struct errbuf err = {{0}};
    struct patterns_expansion exp;
    ck_assert_int_lt(patterns_expand(lib, "%{NOPE}", "patterns[2]", &exp, &err),
                     0);
    ck_assert_str_eq(err.msg, "patterns[2]: undefined grok pattern %{NOPE}");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_undefined_in_file_names_file_and_line)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_eq(patterns_load_dir(lib, DATA "/undefined", &err), 0);
    /* An unused broken definition is no error... */
    struct patterns_expansion exp;
    expand_ok(lib, "%{GOOD}", "(?:[0-9]+)", &exp);
    patterns_expansion_fini(&exp);
    /* ...a used one is, named where it was defined. */
    expand_fails(lib, "x%{BAD}",
                 DATA "/undefined/bad.grok:4: pattern BAD refers to "
                      "undefined pattern MISSING");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_cycle_names_file_line_and_path)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_eq(patterns_load_file(lib, DATA "/cycle/cycle.grok", &err),
                     0);
    expand_fails(lib, "%{COMBINED}",
                 DATA "/cycle/cycle.grok:1: pattern COMBINED: cycle "
                      "COMBINED \u2192 X \u2192 Y \u2192 COMBINED");
    expand_fails(lib, "%{Y}",
                 DATA "/cycle/cycle.grok:3: pattern Y: cycle Y \u2192 "
                      "COMBINED \u2192 X \u2192 Y");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_self_reference_is_a_cycle)
{
    struct patterns *lib = patterns_create();
    patterns_define(lib, "LOOP", "a%{LOOP}", "pattern_definitions.LOOP");
    expand_fails(lib, "%{LOOP}",
                 "pattern_definitions.LOOP: pattern LOOP: cycle LOOP \u2192 "
                 "LOOP");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_size_limit)
{
    /* L0 is 64 bytes; each level doubles: L15 would be 2 MiB. */
    struct patterns *lib = patterns_create();
    char regex[80], name[16];
    memset(regex, 'x', 64);
    regex[64] = '\0';
    patterns_define(lib, "L0", regex, "t");
    for (int i = 1; i <= 40; i++) {
        snprintf(name, sizeof(name), "L%d", i);
        snprintf(regex, sizeof(regex), "%%{L%d}%%{L%d}", i - 1, i - 1);
        patterns_define(lib, name, regex, "t");
    }
    struct patterns_expansion exp;
    struct errbuf err = {{0}};
    ck_assert_int_eq(patterns_expand(lib, "%{L13}", "pattern", &exp, &err), 0);
    ck_assert_uint_gt(exp.len, 64 * 8192);
    patterns_expansion_fini(&exp);
    /* 2^40 copies: fails at once, since expansions are reused. */
    expand_fails(lib, "%{L40}",
                 "pattern: the expanded grok pattern is larger than 1048576 "
                 "bytes");
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_nesting_limit)
{
    struct patterns *lib = patterns_create();
    char regex[32], name[16];
    patterns_define(lib, "N0", "x", "t");
    for (int i = 1; i <= 300; i++) {
        snprintf(name, sizeof(name), "N%d", i);
        snprintf(regex, sizeof(regex), "%%{N%d}", i - 1);
        patterns_define(lib, name, regex, "t");
    }
    expand_fails(lib, "%{N300}",
                 "t: pattern N44: references nest deeper than 256");
    struct patterns_expansion exp;
    struct errbuf err = {{0}};
    ck_assert_int_eq(patterns_expand(lib, "%{N200}", "pattern", &exp, &err), 0);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

START_TEST(expand_redefinition_drops_kept_expansions)
{
    struct patterns *lib = lib_from("A a\nB %{A}\n");
    struct patterns_expansion exp;
    expand_ok(lib, "%{B}", "(?:(?:a))", &exp);
    patterns_expansion_fini(&exp);
    patterns_define(lib, "A", "z", "t");
    expand_ok(lib, "%{B}", "(?:(?:z))", &exp);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
}
END_TEST

/* ---- the built-in library ---- */

/* Compiles regex with options (and JIT); fails the test with the name. */
static void
compile_ok(const char *name, const char *regex, size_t len, uint32_t options)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)regex, len, options, &code, &offset, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        ck_abort_msg("%s: %s at offset %zu", name, (char *)msg, (size_t)offset);
    }
    ck_assert_int_eq(pcre2_jit_compile(re, PCRE2_JIT_COMPLETE), 0);
    pcre2_code_free(re);
}

START_TEST(builtin_every_name_expands_and_compiles)
{
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    int rc = patterns_load_builtin(lib, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_uint_ge(patterns_count(lib), 90);
    for (size_t i = 0; i < patterns_count(lib); i++) {
        const char *name = patterns_name(lib, i);
        char *pattern = xasprintf("%%{%s}", name);
        struct patterns_expansion exp;
        rc = patterns_expand(lib, pattern, "pattern", &exp, &err);
        ck_assert_msg(rc == 0, "%s: %s", name, err.msg);
        compile_ok(name, exp.regex, exp.len,
                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF);
        compile_ok(name, exp.regex, exp.len, 0);
        patterns_expansion_fini(&exp);
        free(pattern);
    }
    patterns_destroy(lib);
}
END_TEST

START_TEST(builtin_has_the_well_known_names)
{
    static const char *const names[] = {
        "INT",
        "NUMBER",
        "BASE10NUM",
        "POSINT",
        "NONNEGINT",
        "BASE16NUM",
        "WORD",
        "NOTSPACE",
        "SPACE",
        "DATA",
        "GREEDYDATA",
        "QUOTEDSTRING",
        "QS",
        "UUID",
        "IPV4",
        "IPV6",
        "IP",
        "HOSTNAME",
        "IPORHOST",
        "HOSTPORT",
        "MAC",
        "PATH",
        "UNIXPATH",
        "WINPATH",
        "URIPROTO",
        "URIHOST",
        "URIPATH",
        "URIPARAM",
        "URIPATHPARAM",
        "URI",
        "MONTH",
        "MONTHNUM",
        "MONTHDAY",
        "YEAR",
        "HOUR",
        "MINUTE",
        "SECOND",
        "TIME",
        "DATE_US",
        "DATE_EU",
        "ISO8601_TIMEZONE",
        "TIMESTAMP_ISO8601",
        "DATESTAMP",
        "HTTPDATE",
        "SYSLOGTIMESTAMP",
        "DAY",
        "LOGLEVEL",
        "USERNAME",
        "USER",
        "EMAILADDRESS",
        "SYSLOGHOST",
        "SYSLOGPROG",
        "PROG",
        "SYSLOGFACILITY",
        "SYSLOGBASE",
        "HTTPD_COMMONLOG",
        "HTTPD_COMBINEDLOG",
        "COMMONAPACHELOG",
        "COMBINEDAPACHELOG",
        "HTTPD_ERRORLOG",
        "HTTPD20_ERRORLOG",
        "HTTPD24_ERRORLOG",
        "NGINX_ERRORLOG",
    };
    struct patterns *lib = patterns_create();
    struct errbuf err = {{0}};
    ck_assert_int_eq(patterns_load_builtin(lib, &err), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(patterns_get(lib, names[i]) != NULL, "%s", names[i]);
    patterns_destroy(lib);
}
END_TEST

START_TEST(builtin_files_are_embedded_whole_in_name_order)
{
    /* Every .grok file of conf/patterns, byte for byte, sorted by name. */
    const char *dir = TEST_DATADIR "/../../conf/patterns";
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t nfiles = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        nfiles += len > 5 && strcmp(e->d_name + len - 5, ".grok") == 0;
    }
    closedir(d);

    size_t n = 0;
    for (; patterns_builtin[n].name != NULL; n++) {
        const struct patterns_builtin *b = &patterns_builtin[n];
        if (n > 0)
            ck_assert_int_lt(strcmp(patterns_builtin[n - 1].name, b->name), 0);
        char *path = xasprintf("%s/%s", dir, b->name);
        size_t len;
        char *text = testutil_read_file(path, &len);
        ck_assert_str_eq(b->text, text);
        free(text);
        free(path);
    }
    ck_assert_uint_eq(n, nfiles);
    ck_assert_uint_ge(n, 3);
}
END_TEST

static Suite *
check_patterns_suite(void)
{
    Suite *s = suite_create("patterns");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, text_skips_comments_blanks_and_cr);
    tcase_add_test(tc, text_later_definition_replaces_earlier);
    tcase_add_test(tc, text_bad_lines_name_file_and_line);
    tcase_add_test(tc, valid_names);
    tcase_add_test(tc, dir_loads_files_in_name_order_skipping_hidden);
    tcase_add_test(tc, dir_missing_is_an_error);
    tcase_add_test(tc, dir_bad_line_names_the_file);
    tcase_add_test(tc, file_missing_is_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("expand");
    tcase_add_test(tc, expand_reference_forms);
    tcase_add_test(tc, expand_nested_captures_get_fresh_groups);
    tcase_add_test(tc, expand_named_groups_become_captures);
    tcase_add_test(tc, expand_leaves_escapes_and_classes_alone);
    tcase_add_test(tc, expand_bad_references);
    tcase_add_test(tc, expand_what_names_the_pattern);
    tcase_add_test(tc, expand_undefined_in_file_names_file_and_line);
    tcase_add_test(tc, expand_cycle_names_file_line_and_path);
    tcase_add_test(tc, expand_self_reference_is_a_cycle);
    tcase_add_test(tc, expand_size_limit);
    tcase_add_test(tc, expand_nesting_limit);
    tcase_add_test(tc, expand_redefinition_drops_kept_expansions);
    suite_add_tcase(s, tc);

    tc = tcase_create("builtin");
    tcase_add_test(tc, builtin_every_name_expands_and_compiles);
    tcase_add_test(tc, builtin_has_the_well_known_names);
    tcase_add_test(tc, builtin_files_are_embedded_whole_in_name_order);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_patterns_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
