/*
 * Unit tests for the grok stage (parsers/grok.c on patterns.c and
 * pcre_util.c): every reference syntax (dotted and [a][b] fields, all type
 * names), inline named groups, pattern_definitions and patterns_dir with
 * their override order, first match wins, init errors with exact text,
 * the built-in patterns one by one on values that must and must not match
 * whole, and real-looking lines for the web server and syslog patterns
 * with the exact fields they set.
 */
#include "config.h"

#include "stages.h"

#include "stagetest.h"
#include "xalloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- the grok syntax ---- */

START_TEST(reference_forms_and_types)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '%{WORD:[http][request][method]} "
                      "%{NOTSPACE:url.original} %{INT:a:int} "
                      "%{INT:b:integer} %{INT:c:long} %{NUMBER:d:float} "
                      "%{NUMBER:e:double} %{WORD:f:bool} %{WORD:g:boolean} "
                      "%{INT:h:string} %{WORD}'\n");
    stagetest_match(&h, "GET /x 007 -3 +4 .5 2 yes OFF 09 tail",
                    "http.request.method=GET\nurl.original=/x\na=7 (int)\n"
                    "b=-3 (int)\nc=4 (int)\nd=0.5 (float)\ne=2.0 (float)\n"
                    "f=true (bool)\ng=false (bool)\nh=09\n");
    ck_assert_str_eq(h.ctx.note, "pattern 0");
    ck_assert_int_eq(stagetest_apply(&h, "GET /x 1 2 3 4 5 yes no 9"),
                     STAGE_NO_MATCH);
    stagetest_close(&h);
}
END_TEST

START_TEST(type_failure_keeps_string_and_tags)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '%{NOTSPACE:n:int} %{NOTSPACE:b:bool}'\n");
    stagetest_match(&h, "12abc maybe",
                    "n=12abc\nb=maybe\n#_logship_type_failure\n");
    stagetest_match(&h, "- 1", "b=true (bool)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(inline_named_groups_are_fields)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '(?<client.ip>\\S+) (?<[user][name]>\\w+) "
                      "%{INT:n:int}'\n");
    stagetest_match(&h, "10.1.2.3 bob 5",
                    "client.ip=10.1.2.3\nuser.name=bob\nn=5 (int)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(pattern_definitions_add_and_override)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '%{MYLINE}'\n"
                      "pattern_definitions:\n"
                      "  WORD: '[a-z]+'\n"
                      "  MYLINE: '%{INT:n:int} %{WORD:w} (?<rest>.*)'\n");
    /* The built-in WORD would take "7 ABC"; the override skips it. */
    stagetest_match(&h, "7 ABC 42 def tail", "n=42 (int)\nw=def\nrest=tail\n");
    stagetest_match(&h, "1 abc 2", "n=1 (int)\nw=abc\nrest=2\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(patterns_dir_loads_files_and_definitions_win)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '^%{C:c} %{VERB:v}$'\n"
                      "patterns_dir: ['" TEST_DATADIR "/patterns/dir']\n");
    stagetest_match(&h, "a1-b2 GET", "c=a1-b2\nv=GET\n");
    ck_assert_int_eq(stagetest_apply(&h, "hidden-b2 GET"), STAGE_NO_MATCH);
    stagetest_close(&h);

    stagetest_open_ok(&h, &stage_grok,
                      "pattern: '^%{C:c}$'\n"
                      "patterns_dir: ['" TEST_DATADIR "/patterns/dir']\n"
                      "pattern_definitions: {B: bee}\n");
    stagetest_match(&h, "a1-bee", "c=a1-bee\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(first_match_wins)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "patterns:\n"
                      "  - '^%{IP:ip}$'\n"
                      "  - '^%{HOSTNAME:host}$'\n"
                      "  - '^%{GREEDYDATA:other}$'\n");
    stagetest_match(&h, "192.0.2.1", "ip=192.0.2.1\n");
    ck_assert_str_eq(h.ctx.note, "pattern 0");
    stagetest_match(&h, "db-1.example.org", "host=db-1.example.org\n");
    ck_assert_str_eq(h.ctx.note, "pattern 1");
    stagetest_match(&h, "not a host", "other=not a host\n");
    ck_assert_str_eq(h.ctx.note, "pattern 2");
    stagetest_close(&h);
}
END_TEST

/* ip_fields: an address is also set in the second field; nothing else. */
START_TEST(ip_fields_copy_addresses_only)
{
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok,
                      "patterns: ['^%{NOTSPACE:source.address} a$', "
                      "'^%{NOTSPACE:source.address}:%{INT:n:int}$']\n"
                      "ip_fields: {source.address: source.ip}\n");
    stagetest_match(&h, "192.0.2.7 a",
                    "source.address=192.0.2.7\nsource.ip=192.0.2.7\n");
    stagetest_match(&h, "2001:db8::1 a",
                    "source.address=2001:db8::1\nsource.ip=2001:db8::1\n");
    stagetest_match(&h, "www.example.org a",
                    "source.address=www.example.org\n");
    stagetest_match(&h, "256.1.1.1 a", "source.address=256.1.1.1\n");
    stagetest_match(&h, "- a", "");
    /* every pattern's capture of the field takes part */
    stagetest_match(
        &h, "10.1.2.3:80",
        "source.address=10.1.2.3\nsource.ip=10.1.2.3\nn=80 (int)\n");
    stagetest_close(&h);
}
END_TEST

START_TEST(init_errors)
{
    stagetest_init_fails(&stage_grok, "field: message\n",
                         "give exactly one of pattern and patterns");
    stagetest_init_fails(&stage_grok, "pattern: '%{NOPE:x}'\n",
                         "pattern: undefined grok pattern %{NOPE}");
    stagetest_init_fails(
        &stage_grok, "patterns: ['%{INT}', 'x %{INT:n:number}']\n",
        "patterns[1]: unknown type in %{INT:n:number} (expected int, "
        "float, bool or string)");
    stagetest_init_fails(&stage_grok, "pattern: '%{INT'\n",
                         "pattern: malformed grok reference %{INT");
    stagetest_init_fails(
        &stage_grok, "pattern: '%{INT:x} (a'\n",
        "pattern: missing closing parenthesis at offset 21 in the "
        "expanded regex");
    stagetest_init_fails(&stage_grok,
                         "pattern: '%{INT}'\n"
                         "patterns_dir: ['" TEST_DATADIR "/patterns/nope']\n",
                         "patterns_dir: " TEST_DATADIR
                         "/patterns/nope: No such file or directory");
    stagetest_init_fails(
        &stage_grok, "pattern: '%{INT}'\npattern_definitions: {bad-name: x}\n",
        "pattern_definitions.bad-name: a pattern name is letters, "
        "digits and _ only");
    stagetest_init_fails(
        &stage_grok,
        "pattern: '%{MINE}'\npattern_definitions: {MINE: '%{NOPE}'}\n",
        "pattern_definitions.MINE: pattern MINE refers to undefined "
        "pattern NOPE");
    stagetest_init_fails(
        &stage_grok,
        "pattern: '%{A}'\npattern_definitions: {A: '%{B}', B: '%{A}'}\n",
        "pattern_definitions.A: pattern A: cycle A \u2192 B \u2192 A");
    stagetest_init_fails(
        &stage_grok,
        "pattern: '%{BAD}'\n"
        "patterns_dir: ['" TEST_DATADIR "/patterns/undefined']\n",
        TEST_DATADIR "/patterns/undefined/bad.grok:4: pattern BAD "
                     "refers to undefined pattern MISSING");
    stagetest_init_fails(&stage_grok, "pattern: '%{IP:a}'\nip_fields: {b: c}\n",
                         "ip_fields.b: no pattern captures b");
    stagetest_init_fails(&stage_grok, "pattern: '%{IP:a}'\nip_fields: {a: a}\n",
                         "ip_fields.a: give another field to set");
}
END_TEST

/* ---- built-in patterns, one by one ---- */

struct sample {
    const char *name; /* pattern name */
    const char *text;
    bool whole; /* matches the whole text */
};

START_TEST(builtin_patterns_match_whole_values)
{
    static const struct sample samples[] = {
        {"INT", "-12", true},
        {"INT", "1.5", false},
        {"NUMBER", "42", true},
        {"NUMBER", "-1.5", true},
        {"NUMBER", "+.5", true},
        {"NUMBER", "3.", true},
        {"NUMBER", "1e5", false},
        {"BASE10NUM", "0.001", true},
        {"POSINT", "1", true},
        {"POSINT", "0", false},
        {"POSINT", "012", false},
        {"NONNEGINT", "0", true},
        {"BASE16NUM", "0x1F", true},
        {"BASE16NUM", "-ff", true},
        {"WORD", "hello_world1", true},
        {"WORD", "a-b", false},
        {"NOTSPACE", "a-b/c", true},
        {"QUOTEDSTRING", "\"a \\\"b\\\" c\"", true},
        {"QS", "'single'", true},
        {"QS", "`back`", true},
        {"QS", "\"open", false},
        {"UUID", "123e4567-e89b-12d3-a456-426614174000", true},
        {"UUID", "123e4567e89b12d3a456426614174000", false},
        {"IPV4", "0.0.0.0", true},
        {"IPV4", "255.255.255.255", true},
        {"IPV4", "192.168.1.100", true},
        {"IPV4", "256.1.1.1", false},
        {"IPV4", "1.2.3", false},
        {"IPV4", "1.2.3.4.5", false},
        {"IPV6", "::", true},
        {"IPV6", "::1", true},
        {"IPV6", "fe80::1", true},
        {"IPV6", "fe80::1%eth0", true},
        {"IPV6", "2001:db8::8a2e:370:7334", true},
        {"IPV6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", true},
        {"IPV6", "1:2:3:4:5:6:7::", true},
        {"IPV6", "1::2:3:4:5:6:7", true},
        {"IPV6", "1:2::3:4", true},
        {"IPV6", "::ffff:192.0.2.128", true},
        {"IPV6", "64:ff9b::192.0.2.33", true},
        {"IPV6", "1:2:3:4:5:6:192.0.2.1", true},
        {"IPV6", "1:2:3:4:5:6:7:8:9", false},
        {"IPV6", "12345::", false},
        {"IPV6", "1::2::3", false},
        {"IPV6", "gggg::1", false},
        {"IPV6", "1:2:3", false},
        {"IP", "10.0.0.1", true},
        {"IP", "2001:db8::1", true},
        {"HOSTNAME", "example.com", true},
        {"HOSTNAME", "a-b.c_d.example.", true},
        {"HOSTNAME", "-bad", false},
        {"IPORHOST", "::1", true},
        {"IPORHOST", "host.example", true},
        {"HOSTPORT", "example.com:8080", true},
        {"HOSTPORT", "10.0.0.1:80", true},
        {"MAC", "00:1A:2b:3c:4D:5e", true},
        {"MAC", "00-1A-2B-3C-4D-5E", true},
        {"MAC", "001a.2b3c.4d5e", true},
        {"MAC", "00:1A:2B:3C:4D", false},
        {"USERNAME", "j.doe-2_x", true},
        {"EMAILADDRESS", "first.last+tag@example.co.uk", true},
        {"EMAILADDRESS", "no-at.example.com", false},
        {"UNIXPATH", "/var/log/nginx/access.log", true},
        {"WINPATH", "C:\\Windows\\System32\\drivers", true},
        {"PATH", "/usr/bin/env", true},
        {"PATH", "D:\\logs\\app.log", true},
        {"URIPROTO", "svn+ssh", true},
        {"URIHOST", "example.com:8443", true},
        {"URIPATH", "/a/b.html", true},
        {"URIPARAM", "?x=1&y=%20#frag", true},
        {"URIPATHPARAM", "/a/b?c=d", true},
        {"URI", "https://user:pw@example.com:8443/a/b.html?x=1&y=2#frag", true},
        {"URI", "ftp://ftp.example.org/pub/file.tgz", true},
        {"URI", "mailto:someone", false},
        {"MONTH", "September", true},
        {"MONTH", "sept", true},
        {"MONTH", "MAR", true},
        {"MONTH", "Mai", false},
        {"MONTHNUM", "09", true},
        {"MONTHNUM", "13", false},
        {"MONTHDAY", "31", true},
        {"MONTHDAY", "32", false},
        {"DAY", "Tuesday", true},
        {"DAY", "thu", true},
        {"YEAR", "2024", true},
        {"HOUR", "23", true},
        {"HOUR", "24", false},
        {"MINUTE", "59", true},
        {"SECOND", "60", true},
        {"SECOND", "07.250", true},
        {"TIME", "23:59:59.999", true},
        {"TIME", "7:05", true},
        {"TIME", "24:00", false},
        {"DATE_US", "03/05/2024", true},
        {"DATE_EU", "05.03.2024", true},
        {"DATESTAMP", "05.03.2024 10:11:12", true},
        {"ISO8601_TIMEZONE", "+01:00", true},
        {"ISO8601_TIMEZONE", "Z", true},
        {"TIMESTAMP_ISO8601", "2024-03-05T10:11:12Z", true},
        {"TIMESTAMP_ISO8601", "2024-03-05 10:11:12,123", true},
        {"TIMESTAMP_ISO8601", "2024-03-05T10:11:12.123456+01:00", true},
        {"TIMESTAMP_ISO8601", "2024-03-05 10:11:12 +0100", true},
        {"TIMESTAMP_ISO8601", "2024-03-05T10:11", true},
        {"TIMESTAMP_ISO8601", "2024-13-05T10:11:12", false},
        {"TIMESTAMP_ISO8601", "2024-03-05", false},
        {"HTTPDATE", "05/Mar/2024:10:11:12 +0100", true},
        {"HTTPDATE", "5/Mar/2024:10:11:12 +0100", false},
        {"SYSLOGTIMESTAMP", "Mar  5 10:11:12", true},
        {"SYSLOGTIMESTAMP", "Dec 31 23:59:60", true},
        {"LOGLEVEL", "INFO", true},
        {"LOGLEVEL", "warning", true},
        {"LOGLEVEL", "Err", true},
        {"LOGLEVEL", "trace3", true},
        {"LOGLEVEL", "EMERG", true},
        {"LOGLEVEL", "verbose", false},
        {"PROG", "postfix/smtpd", true},
        {"PROG", "sshd[1]", false},
    };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        const struct sample *s = &samples[i];
        char *yaml = xasprintf("pattern: '^%%{%s:x}$'\n", s->name);
        struct stagetest h;
        stagetest_open_ok(&h, &stage_grok, yaml);
        enum stage_status st = stagetest_apply(&h, s->text);
        const char *got = stagetest_dump(&h);
        char *want = xasprintf("x=%s\n", s->text);
        ck_assert_msg(s->whole ? st == STAGE_OK && strcmp(got, want) == 0
                               : st == STAGE_NO_MATCH,
                      "%s on \"%s\": status %d, fields \"%s\"", s->name,
                      s->text, st, got);
        free(want);
        free(yaml);
        stagetest_close(&h);
    }
}
END_TEST

/* ---- real-looking lines ---- */

struct line_case {
    const char *line;
    const char *fields;
};

/* Runs each line through a stage with pattern, comparing the fields. */
static void
check_lines(const char *pattern, const struct line_case *cases, size_t n)
{
    char *yaml = xasprintf("pattern: '%s'\n", pattern);
    struct stagetest h;
    stagetest_open_ok(&h, &stage_grok, yaml);
    for (size_t i = 0; i < n; i++) {
        enum stage_status st = stagetest_apply(&h, cases[i].line);
        ck_assert_msg(st == STAGE_OK, "%s: no match: %s", pattern,
                      cases[i].line);
        const char *got = stagetest_dump(&h);
        ck_assert_msg(strcmp(got, cases[i].fields) == 0,
                      "%s on %s:\ngot:\n%swant:\n%s", pattern, cases[i].line,
                      got, cases[i].fields);
    }
    stagetest_close(&h);
    free(yaml);
}

START_TEST(httpd_combined_log)
{
    static const struct line_case cases[] = {
        {"203.0.113.9 - - [05/Mar/2024:10:11:12 +0100] \"GET "
         "/index.html?lang=en HTTP/1.1\" 200 5124 "
         "\"https://example.com/start\" "
         "\"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 "
         "Firefox/123.0\"",
         "source.address=203.0.113.9\n"
         "timestamp=05/Mar/2024:10:11:12 +0100\n"
         "http.request.method=GET\n"
         "url.original=/index.html?lang=en\n"
         "http.version=1.1\n"
         "http.response.status_code=200 (int)\n"
         "http.response.body.bytes=5124 (int)\n"
         "http.request.referrer=https://example.com/start\n"
         "user_agent.original=Mozilla/5.0 (X11; Linux x86_64; rv:123.0) "
         "Gecko/20100101 Firefox/123.0\n"},
        {"2001:db8::1 - alice [05/Mar/2024:10:11:13 -0700] \"POST "
         "/api/v1/login HTTP/2.0\" 302 - \"-\" \"curl/8.5.0\"",
         "source.address=2001:db8::1\n"
         "user.name=alice\n"
         "timestamp=05/Mar/2024:10:11:13 -0700\n"
         "http.request.method=POST\n"
         "url.original=/api/v1/login\n"
         "http.version=2.0\n"
         "http.response.status_code=302 (int)\n"
         "user_agent.original=curl/8.5.0\n"},
        {"proxy.internal.example ident - [31/Dec/2023:23:59:60 +0000] \"-\" "
         "408 0 \"-\" \"Agent \\\"quoted\\\" v1\"",
         "source.address=proxy.internal.example\n"
         "apache.access.user.identity=ident\n"
         "timestamp=31/Dec/2023:23:59:60 +0000\n"
         "http.response.status_code=408 (int)\n"
         "http.response.body.bytes=0 (int)\n"
         "user_agent.original=Agent \\\"quoted\\\" v1\n"},
        {"198.51.100.23 - - [05/Mar/2024:10:11:15 +0100] "
         "\"\\x16\\x03\\x01\\x02\\x00\\x01\" 400 226 \"-\" \"-\"",
         "source.address=198.51.100.23\n"
         "timestamp=05/Mar/2024:10:11:15 +0100\n"
         "http.response.status_code=400 (int)\n"
         "http.response.body.bytes=226 (int)\n"},
        {"192.0.2.77 - - [05/Mar/2024:10:11:16 +0100] \"GET "
         "/caf\xc3\xa9/men\xc3\xbc HTTP/1.0\" 404 17 \"-\" "
         "\"B\xc3\xb6t/1.0\"",
         "source.address=192.0.2.77\n"
         "timestamp=05/Mar/2024:10:11:16 +0100\n"
         "http.request.method=GET\n"
         "url.original=/caf\xc3\xa9/men\xc3\xbc\n"
         "http.version=1.0\n"
         "http.response.status_code=404 (int)\n"
         "http.response.body.bytes=17 (int)\n"
         "user_agent.original=B\xc3\xb6t/1.0\n"},
        {"10.0.0.8 - - [05/Mar/2024:10:11:17 +0100] \"OPTIONS *\" 200 - "
         "\"\" \"\"",
         "source.address=10.0.0.8\n"
         "timestamp=05/Mar/2024:10:11:17 +0100\n"
         "http.request.method=OPTIONS\n"
         "url.original=*\n"
         "http.response.status_code=200 (int)\n"},
        {"unix: - - [05/Mar/2024:10:11:18 +0100] \"GET /health HTTP/1.1\" "
         "204 0 \"-\" \"kube-probe/1.29\"",
         "source.address=unix:\n"
         "timestamp=05/Mar/2024:10:11:18 +0100\n"
         "http.request.method=GET\n"
         "url.original=/health\n"
         "http.version=1.1\n"
         "http.response.status_code=204 (int)\n"
         "http.response.body.bytes=0 (int)\n"
         "user_agent.original=kube-probe/1.29\n"},
        {"- - - [05/Mar/2024:10:11:19 +0100] \"GET / HTTP/1.1\" 200 1 "
         "\"-\" \"-\"",
         "timestamp=05/Mar/2024:10:11:19 +0100\n"
         "http.request.method=GET\n"
         "url.original=/\n"
         "http.version=1.1\n"
         "http.response.status_code=200 (int)\n"
         "http.response.body.bytes=1 (int)\n"},
    };
    check_lines("%{HTTPD_COMBINEDLOG}", cases,
                sizeof(cases) / sizeof(cases[0]));
    check_lines("%{COMBINEDAPACHELOG}", cases,
                sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(httpd_common_log)
{
    static const struct line_case cases[] = {
        {"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET "
         "/apache_pb.gif HTTP/1.0\" 200 2326",
         "source.address=127.0.0.1\n"
         "user.name=frank\n"
         "timestamp=10/Oct/2000:13:55:36 -0700\n"
         "http.request.method=GET\n"
         "url.original=/apache_pb.gif\n"
         "http.version=1.0\n"
         "http.response.status_code=200 (int)\n"
         "http.response.body.bytes=2326 (int)\n"},
    };
    check_lines("^%{HTTPD_COMMONLOG}$", cases,
                sizeof(cases) / sizeof(cases[0]));
    check_lines("^%{COMMONAPACHELOG}$", cases,
                sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(httpd_error_log)
{
    static const struct line_case cases[] = {
        {"[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client "
         "denied by server configuration: /export/home/live/ap/htdocs/test",
         "timestamp=Wed Oct 11 14:32:52 2000\n"
         "log.level=error\n"
         "source.address=127.0.0.1\n"
         "message=client denied by server configuration: "
         "/export/home/live/ap/htdocs/test\n"},
        {"[Tue Mar 05 10:11:12.345678 2024] [core:error] [pid 4242:tid "
         "140523456] [client 192.0.2.10:51234] AH00128: File does not "
         "exist: /var/www/html/favicon.ico",
         "timestamp=Tue Mar 05 10:11:12.345678 2024\n"
         "apache.error.module=core\n"
         "log.level=error\n"
         "process.pid=4242 (int)\n"
         "process.thread.id=140523456 (int)\n"
         "source.address=192.0.2.10\n"
         "source.port=51234 (int)\n"
         "error.code=AH00128\n"
         "message=File does not exist: /var/www/html/favicon.ico\n"},
        {"[Tue Mar 05 10:11:13.000001 2024] [mpm_event:notice] [pid 1:tid "
         "2] AH00489: Apache/2.4.58 (Unix) configured -- resuming normal "
         "operations",
         "timestamp=Tue Mar 05 10:11:13.000001 2024\n"
         "apache.error.module=mpm_event\n"
         "log.level=notice\n"
         "process.pid=1 (int)\n"
         "process.thread.id=2 (int)\n"
         "error.code=AH00489\n"
         "message=Apache/2.4.58 (Unix) configured -- resuming normal "
         "operations\n"},
        {"[Tue Mar 05 10:11:14 2024] [:warn] [pid 77] [client ::1:40000] "
         "mod_x says hi",
         "timestamp=Tue Mar 05 10:11:14 2024\n"
         "log.level=warn\n"
         "process.pid=77 (int)\n"
         "source.address=::1\n"
         "source.port=40000 (int)\n"
         "message=mod_x says hi\n"},
    };
    check_lines("^%{HTTPD_ERRORLOG}$", cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(nginx_error_log)
{
    static const struct line_case cases[] = {
        {"2024/03/05 10:11:12 [error] 1234#1234: *56 open() "
         "\"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or "
         "directory), client: 203.0.113.7, server: example.com, request: "
         "\"GET /favicon.ico HTTP/1.1\", host: \"example.com\"",
         "timestamp=2024/03/05 10:11:12\n"
         "log.level=error\n"
         "process.pid=1234 (int)\n"
         "process.thread.id=1234 (int)\n"
         "nginx.error.connection_id=56 (int)\n"
         "source.address=203.0.113.7\n"
         "message=open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No "
         "such file or directory), client: 203.0.113.7, server: "
         "example.com, request: \"GET /favicon.ico HTTP/1.1\", host: "
         "\"example.com\"\n"},
        {"2024/03/05 10:11:13 [notice] 1#1: signal process started",
         "timestamp=2024/03/05 10:11:13\n"
         "log.level=notice\n"
         "process.pid=1 (int)\n"
         "process.thread.id=1 (int)\n"
         "message=signal process started\n"},
        {"2024/03/05 10:11:14 [warn] 9#0: *3 an upstream response is "
         "buffered, client: 2001:db8::7",
         "timestamp=2024/03/05 10:11:14\n"
         "log.level=warn\n"
         "process.pid=9 (int)\n"
         "process.thread.id=0 (int)\n"
         "nginx.error.connection_id=3 (int)\n"
         "source.address=2001:db8::7\n"
         "message=an upstream response is buffered, client: 2001:db8::7\n"},
    };
    check_lines("^%{NGINX_ERRORLOG}$", cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(syslog_lines)
{
    static const struct line_case cases[] = {
        {"Mar  5 10:11:12 web-1 sshd[4242]: Accepted publickey for deploy "
         "from 198.51.100.4 port 50022 ssh2",
         "timestamp=Mar  5 10:11:12\n"
         "host.hostname=web-1\n"
         "process.name=sshd\n"
         "process.pid=4242 (int)\n"
         "message=Accepted publickey for deploy from 198.51.100.4 port "
         "50022 ssh2\n"},
        {"Mar 15 01:02:03 db01 kernel: [12345.678901] Out of memory",
         "timestamp=Mar 15 01:02:03\n"
         "host.hostname=db01\n"
         "process.name=kernel\n"
         "message=[12345.678901] Out of memory\n"},
        {"Mar 15 01:02:03 <4.3> gw01 dhcpd: DHCPACK on 10.0.0.5",
         "timestamp=Mar 15 01:02:03\n"
         "log.syslog.facility.code=4 (int)\n"
         "log.syslog.priority=3 (int)\n"
         "host.hostname=gw01\n"
         "process.name=dhcpd\n"
         "message=DHCPACK on 10.0.0.5\n"},
        {"Dec 31 23:59:59 10.1.2.3 postfix/smtpd[1234]: connect from "
         "unknown[203.0.113.50]",
         "timestamp=Dec 31 23:59:59\n"
         "host.hostname=10.1.2.3\n"
         "process.name=postfix/smtpd\n"
         "process.pid=1234 (int)\n"
         "message=connect from unknown[203.0.113.50]\n"},
    };
    check_lines("^%{SYSLOGLINE}$", cases, sizeof(cases) / sizeof(cases[0]));
    /* A Latin-1 byte (not UTF-8) in the message does not defeat it. */
    static const struct line_case latin1[] = {
        {"Mar  5 10:11:12 web-1 app: caf\xe9 ouvert \xe0 8h",
         "timestamp=Mar  5 10:11:12\n"
         "host.hostname=web-1\n"
         "process.name=app\n"
         "message=caf\xe9 ouvert \xe0 8h\n"},
    };
    check_lines("^%{SYSLOGLINE}$", latin1, 1);
}
END_TEST

START_TEST(syslog_base_then_custom_tail)
{
    static const struct line_case cases[] = {
        {"Jan  1 00:00:00 host CRON[99]: (root) CMD (run-parts /etc/cron)",
         "timestamp=Jan  1 00:00:00\n"
         "host.hostname=host\n"
         "process.name=CRON\n"
         "process.pid=99 (int)\n"
         "user.name=root\n"
         "process.command_line=run-parts /etc/cron\n"},
    };
    check_lines("^%{SYSLOGBASE} \\(%{USER:user.name}\\) CMD "
                "\\(%{GREEDYDATA:process.command_line}\\)$",
                cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(syslog_5424_lines)
{
    static const struct line_case cases[] = {
        {"<34>1 2024-03-05T10:11:12.003Z mymachine.example.com su - ID47 - "
         "'su root' failed for lonvick on /dev/pts/8",
         "log.syslog.priority=34 (int)\n"
         "log.syslog.version=1\n"
         "timestamp=2024-03-05T10:11:12.003Z\n"
         "host.hostname=mymachine.example.com\n"
         "log.syslog.appname=su\n"
         "log.syslog.msgid=ID47\n"
         "message='su root' failed for lonvick on /dev/pts/8\n"},
        {"<165>1 2024-03-05T10:11:12+01:00 host app 1234 - "
         "[exampleSDID@32473 iut=\"3\" eventSource=\"App\"] started",
         "log.syslog.priority=165 (int)\n"
         "log.syslog.version=1\n"
         "timestamp=2024-03-05T10:11:12+01:00\n"
         "host.hostname=host\n"
         "log.syslog.appname=app\n"
         "log.syslog.procid=1234\n"
         "message=started\n"},
        {"<13>1 - - - - - -",
         "log.syslog.priority=13 (int)\nlog.syslog.version=1\n"},
    };
    check_lines("^%{SYSLOG5424LINE}$", cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

static Suite *
check_grok_suite(void)
{
    Suite *s = suite_create("grok");
    TCase *tc = tcase_create("syntax");
    tcase_add_test(tc, reference_forms_and_types);
    tcase_add_test(tc, type_failure_keeps_string_and_tags);
    tcase_add_test(tc, inline_named_groups_are_fields);
    tcase_add_test(tc, pattern_definitions_add_and_override);
    tcase_add_test(tc, patterns_dir_loads_files_and_definitions_win);
    tcase_add_test(tc, first_match_wins);
    tcase_add_test(tc, ip_fields_copy_addresses_only);
    tcase_add_test(tc, init_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("builtin");
    tcase_add_test(tc, builtin_patterns_match_whole_values);
    tcase_add_test(tc, httpd_combined_log);
    tcase_add_test(tc, httpd_common_log);
    tcase_add_test(tc, httpd_error_log);
    tcase_add_test(tc, nginx_error_log);
    tcase_add_test(tc, syslog_lines);
    tcase_add_test(tc, syslog_base_then_custom_tail);
    tcase_add_test(tc, syslog_5424_lines);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_grok_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
