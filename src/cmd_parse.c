/*
 * `logship parse`: a grok debugger in the terminal. Reads lines on standard
 * input through a parser chain (an input's, a named parser or built-in
 * format, or a --grok/--regex pattern) and prints each event as the JSON
 * document that would be indexed, in input order (one worker). --explain
 * adds, before each document, what every stage did.
 */
#include "config.h"

#include "command.h"

#include "cmd_common.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "stages.h"
#include "supervise.h"
#include "timefmt.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmd_parse_args {
    const char *path;
    const char *parser;
    const char *grok;
    const char *regex;
    const char *read_time;
    struct pipeline_opts popts;
};

static int
cmd_parse_args(int argc, char **argv, struct cmd_parse_args *a)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"parser", required_argument, NULL, 'P'},
        {"grok", required_argument, NULL, 'g'},
        {"regex", required_argument, NULL, 'r'},
        {"pretty", no_argument, NULL, 'p'},
        {"explain", no_argument, NULL, 'e'},
        {"read-time", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:i:P:g:r:pe", longopts, NULL)) !=
           -1) {
        switch (opt) {
        case 'c':
            a->path = optarg;
            break;
        case 'i':
            a->popts.input_name = optarg;
            break;
        case 'P':
            a->parser = optarg;
            break;
        case 'g':
            a->grok = optarg;
            break;
        case 'r':
            a->regex = optarg;
            break;
        case 'p':
            a->popts.pretty = true;
            break;
        case 'e':
            a->popts.explain = true;
            break;
        case 't':
            a->read_time = optarg;
            break;
        default:
            return command_usage_error(&cmd_parse, "unknown option");
        }
    }
    if (optind < argc)
        return command_usage_error(&cmd_parse, "unexpected argument '%s'",
                                   argv[optind]);
    int given = !!a->parser + !!a->grok + !!a->regex + !!a->popts.input_name;
    if (given > 1)
        return command_usage_error(&cmd_parse, "give only one of --input, "
                                               "--parser, --grok and --regex");
    return 0;
}

/* Parses --read-time as ISO 8601; returns 0 or prints an error. */
static int
cmd_parse_read_time(const char *text, int64_t *ns)
{
    struct errbuf err;
    struct timefmt *f = timefmt_compile("ISO8601", &err);
    struct timefmt_zone *utc = timefmt_zone_load("UTC", &err);
    int rc = timefmt_parse(f, text, strlen(text), utc, 0, ns);
    timefmt_destroy(f);
    timefmt_zone_destroy(utc);
    if (rc < 0)
        return command_usage_error(&cmd_parse,
                                   "--read-time: \"%s\" is not "
                                   "an ISO 8601 time",
                                   text);
    return 0;
}

/* The chain --parser, --grok or --regex asks for, or NULL for the input's. */
static int
cmd_parse_chain(struct cmd_parse_args *a, struct conf *conf, struct chain **own)
{
    struct errbuf err;
    if (a->grok || a->regex) {
        *own = chain_single(a->grok ? "grok" : "regex",
                            a->grok ? a->grok : a->regex, &err);
        if (*own == NULL) {
            fprintf(stderr, "logship parse: %s\n", err.msg);
            return -EINVAL;
        }
        a->popts.chain = *own;
    } else if (a->parser) {
        struct errlist errs = {0};
        struct opt_ctx ctx = {
            .errs = &errs, .path = "--parser", .file = "(command line)"};
        a->popts.chain =
            chainset_resolve(conf->parsers, a->parser, NULL, NULL, &ctx);
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "logship parse: %s\n", errs.msgs[i]);
        errlist_fini(&errs);
        if (a->popts.chain == NULL)
            return -EINVAL;
    }
    return 0;
}

static int
cmd_parse_main(int argc, char **argv)
{
    struct cmd_parse_args a = {.popts = {.mode = PIPELINE_PARSE, .workers = 1}};
    int rc = cmd_parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.read_time &&
        cmd_parse_read_time(a.read_time, &a.popts.read_time_ns) != 0)
        return EXIT_USAGE;
    struct conf *conf = a.path || a.popts.input_name
                            ? cmd_load_conf(command_config_path(a.path))
                            : cmd_empty_conf();
    if (conf == NULL)
        return EXIT_USAGE;
    struct chain *own = NULL;
    if (cmd_parse_chain(&a, conf, &own) < 0) {
        conf_destroy(conf);
        return EXIT_USAGE;
    }
    /* Whatever the config's output, parse prints to stdout. */
    struct conf *out_conf = cmd_empty_conf();
    struct output_spec saved = conf->output;
    conf->output = out_conf->output;
    conf->service.grace_period_ms = 2000;
    struct errbuf err;
    struct pipeline *p = pipeline_create(conf, &a.popts, &err);
    rc = EXIT_RUNTIME;
    if (p == NULL) {
        log_error("parse", "%s", err.msg);
    } else {
        int prc = supervise_run(p);
        if (prc == -ETIMEDOUT)
            _exit(EXIT_RUNTIME);
        pipeline_destroy(p);
        rc = prc < 0 && prc != -EPIPE                    ? EXIT_RUNTIME
             : metrics_get(&metrics.events_parse_failed) ? EXIT_PARSE_FAIL
                                                         : EXIT_OK;
    }
    conf->output = saved;
    conf_destroy(out_conf);
    chain_destroy(own);
    conf_destroy(conf);
    return rc;
}

const struct command cmd_parse = {
    .name = "parse",
    .summary = "parse lines from standard input and print the events as JSON",
    .usage =
        "usage: logship parse [-c FILE] [--input NAME | --parser NAME |\n"
        "                     --grok PATTERN | --regex PATTERN]\n"
        "                     [--pretty] [--explain] [--read-time ISO8601]\n"
        "\n"
        "Reads lines on standard input, runs them through a parser chain and\n"
        "prints each event as the JSON document the output would index, in\n"
        "input order. Without a chain, the line is the message.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE    configuration file (for --input, --parser)\n"
        "  -i, --input NAME     the chain and fields of this input\n"
        "  -P, --parser NAME    a chain from `parsers`, or a built-in format\n"
        "  -g, --grok PATTERN   one grok stage with this pattern\n"
        "  -r, --regex PATTERN  one regex stage with this pattern\n"
        "  -p, --pretty         indent the JSON documents\n"
        "  -e, --explain        before each document, print (as # lines) what\n"
        "                       each stage did and which pattern matched\n"
        "      --read-time T    pretend the lines were read at T (ISO 8601):\n"
        "                       the @timestamp of unparsed lines, and the\n"
        "                       year of syslog times\n"
        "\n"
        "Exit status: 0 every line parsed, 4 some lines did not parse,\n"
        "2 usage or configuration error, 1 runtime failure.\n"
        "\n"
        "Examples:\n"
        "  echo 'hello' | logship parse\n"
        "  logship parse --parser apache_combined --pretty < access.log\n"
        "  echo 'GET /x 200' | logship parse --explain \\\n"
        "      --grok '%{WORD:http.request.method} %{NOTSPACE:url.original} "
        "%{INT:http.response.status_code:int}'\n"
        "  tail -n 5 app.log | logship parse -c conf/logship.yml --input app\n",
    .run = cmd_parse_main,
};
