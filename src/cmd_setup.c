/*
 * `logship setup`: installs what the search engine needs before shipping
 * (index template, lifecycle policy, data stream template), through the
 * output type's setup hook. Only the elasticsearch output has one; for
 * any other output this command says so and exits with a usage error.
 */
#include "config.h"

#include "command.h"

#include "cmd_common.h"
#include "output.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int
cmd_setup_main(int argc, char **argv)
{
    const char *path = NULL;
    bool dry_run = false;
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"dry-run", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:n", longopts, NULL)) != -1) {
        if (opt == 'c')
            path = optarg;
        else if (opt == 'n')
            dry_run = true;
        else
            return command_usage_error(&cmd_setup, "unknown option");
    }
    if (optind < argc)
        return command_usage_error(&cmd_setup, "unexpected argument '%s'",
                                   argv[optind]);
    path = command_config_path(path);
    struct conf *conf = cmd_load_conf(path);
    if (conf == NULL)
        return EXIT_USAGE;
    const struct output_type *type = conf->output.type;
    if (type->setup == NULL) {
        fprintf(stderr,
                "logship setup: %s: output.type is \"%s\"; setup installs "
                "index templates into Elasticsearch or OpenSearch and needs "
                "an elasticsearch output\n",
                path, type->name);
        conf_destroy(conf);
        return EXIT_USAGE;
    }
    struct output out = {
        .type = type, .name = type->name, .conf = conf->output.conf};
    struct errbuf err;
    int rc = type->open(&out, &err);
    if (rc < 0)
        fprintf(stderr, "logship setup: %s\n", err.msg);
    else
        rc = type->setup(&out, dry_run);
    if (type->close != NULL)
        type->close(&out);
    conf_destroy(conf);
    return rc < 0 ? EXIT_RUNTIME : EXIT_OK;
}

const struct command cmd_setup = {
    .name = "setup",
    .summary = "install index templates and policies in the search engine",
    .usage = "usage: logship setup [-c FILE] [--dry-run]\n"
             "\n"
             "Installs the index template (for the output's index pattern or\n"
             "data stream) whose mappings type @timestamp, status codes, byte\n"
             "counts and ECS keyword fields, and, with output.policy, an ILM\n"
             "(Elasticsearch) or ISM (OpenSearch) policy. Idempotent.\n"
             "\n"
             "Options:\n"
             "  -c, --config FILE  configuration file\n"
             "  -n, --dry-run      print the requests, send nothing\n"
             "\n"
             "Exit status: 0 installed, 1 the cluster refused or was\n"
             "unreachable, 2 usage or configuration error.\n"
             "\n"
             "Example:\n"
             "  logship setup -c /etc/logship/logship.yml --dry-run\n",
    .run = cmd_setup_main,
};
