/*
 * `logship parse`: a grok debugger in the terminal. Reads lines on standard
 * input through one input's parser chain and prints each event as the JSON
 * document that would be indexed, in input order (one worker).
 */
#include "config.h"
#include "command.h"

#include "cmd_common.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "supervise.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int
cmd_parse_main(int argc, char **argv)
{
    const char *path = NULL;
    struct pipeline_opts popts = {.mode = PIPELINE_PARSE, .workers = 1};
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"pretty", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:i:p", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'i':
            popts.input_name = optarg;
            break;
        case 'p':
            popts.pretty = true;
            break;
        default:
            return command_usage_error(&cmd_parse, "unknown option");
        }
    }
    if (optind < argc)
        return command_usage_error(&cmd_parse, "unexpected argument '%s'",
                                   argv[optind]);
    struct conf *conf = path || popts.input_name
                            ? cmd_load_conf(command_config_path(path))
                            : cmd_empty_conf();
    if (conf == NULL)
        return EXIT_USAGE;
    /* Whatever the config's output, parse prints to stdout. */
    struct conf *out_conf = cmd_empty_conf();
    struct output_spec saved = conf->output;
    conf->output = out_conf->output;
    conf->service.grace_period_ms = 2000;
    struct errbuf err;
    struct pipeline *p = pipeline_create(conf, &popts, &err);
    int rc = EXIT_RUNTIME;
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
    conf_destroy(conf);
    return rc;
}

const struct command cmd_parse = {
    .name = "parse",
    .summary = "parse lines from standard input and print the events as JSON",
    .usage =
        "usage: logship parse [-c FILE] [--input NAME] [--pretty]\n"
        "\n"
        "Reads lines on standard input, runs them through an input's parser\n"
        "chain and prints each event as the JSON document the output would\n"
        "index, in input order. Without --input, no parser runs: the line is\n"
        "the message.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  configuration file (needed with --input)\n"
        "  -i, --input NAME   use the parser chain and fields of this input\n"
        "  -p, --pretty       indent the JSON documents\n"
        "\n"
        "Exit status: 0 every line parsed, 4 some lines did not parse,\n"
        "2 usage or configuration error, 1 runtime failure.\n"
        "\n"
        "Examples:\n"
        "  echo 'hello' | logship parse\n"
        "  tail -n 5 /var/log/nginx/access.log | logship parse -c "
        "conf/logship.yml --input nginx --pretty\n",
    .run = cmd_parse_main,
};
