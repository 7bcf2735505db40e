/*
 * `logship setup`: installs what the search engine needs before shipping
 * (index template, lifecycle policy, data stream template). Only an
 * elasticsearch output has anything to set up; for any other output this
 * command says so and exits with a usage error.
 */
#include "config.h"
#include "command.h"

#include "cmd_common.h"
#include "output.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int
cmd_setup_main(int argc, char **argv)
{
    const char *path = NULL;
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"dry-run", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:n", longopts, NULL)) != -1) {
        if (opt != 'c' && opt != 'n')
            return command_usage_error(&cmd_setup, "unknown option");
        if (opt == 'c')
            path = optarg;
    }
    if (optind < argc)
        return command_usage_error(&cmd_setup, "unexpected argument '%s'",
                                   argv[optind]);
    path = command_config_path(path);
    struct conf *conf = cmd_load_conf(path);
    if (conf == NULL)
        return EXIT_USAGE;
    fprintf(stderr,
            "logship setup: %s: output.type is \"%s\"; setup installs index "
            "templates into Elasticsearch or OpenSearch and needs an "
            "elasticsearch output\n",
            path, conf->output.type->name);
    conf_destroy(conf);
    return EXIT_USAGE;
}

const struct command cmd_setup = {
    .name = "setup",
    .summary = "install index templates and policies in the search engine",
    .usage = "usage: logship setup [-c FILE] [--dry-run]\n"
             "\n"
             "Installs the index template (and data stream template, ILM or\n"
             "ISM policy) that the elasticsearch output's documents need.\n"
             "Idempotent. --dry-run prints the requests instead.\n"
             "\n"
             "Options:\n"
             "  -c, --config FILE  configuration file\n"
             "  -n, --dry-run      print the requests, send nothing\n"
             "\n"
             "Example:\n"
             "  logship setup -c /etc/logship/logship.yml --dry-run\n",
    .run = cmd_setup_main,
};
