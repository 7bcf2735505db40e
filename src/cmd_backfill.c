/*
 * `logship backfill FILE|GLOB...`: reads each file from its start to its
 * end through an input's parser chain into the configured output, waits
 * until every event is acknowledged, prints a summary and exits with a
 * status that says whether anything was dead-lettered.
 */
#include "config.h"
#include "command.h"

#include "cmd_common.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "supervise.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Expands each argument as a glob; a pattern matching nothing is an error. */
static int
cmd_backfill_expand(char **args, int nargs, glob_t *g)
{
    int flags = 0;
    for (int i = 0; i < nargs; i++) {
        int rc = glob(args[i], flags, NULL, g);
        if (rc == GLOB_NOMATCH) {
            fprintf(stderr, "logship backfill: %s: no such file\n", args[i]);
            return -ENOENT;
        }
        if (rc != 0) {
            fprintf(stderr, "logship backfill: %s: cannot expand\n", args[i]);
            return -EINVAL;
        }
        flags |= GLOB_APPEND;
    }
    return 0;
}

static int
cmd_backfill_main(int argc, char **argv)
{
    const char *path = NULL;
    struct pipeline_opts popts = {.mode = PIPELINE_BACKFILL};
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:i:", longopts, NULL)) != -1) {
        if (opt == 'c')
            path = optarg;
        else if (opt == 'i')
            popts.input_name = optarg;
        else
            return command_usage_error(&cmd_backfill, "unknown option");
    }
    if (optind >= argc)
        return command_usage_error(&cmd_backfill, "no file to read");
    glob_t g = {0};
    if (cmd_backfill_expand(argv + optind, argc - optind, &g) < 0) {
        globfree(&g);
        return EXIT_USAGE;
    }
    struct conf *conf = cmd_load_conf(command_config_path(path));
    if (conf == NULL) {
        globfree(&g);
        return EXIT_USAGE;
    }
    popts.files = g.gl_pathv;
    popts.nfiles = g.gl_pathc;
    struct errbuf err;
    int rc = EXIT_RUNTIME;
    struct pipeline *p = pipeline_create(conf, &popts, &err);
    if (p == NULL) {
        log_error("backfill", "%s", err.msg);
    } else {
        int64_t start = timeutil_mono_ms();
        int prc = supervise_run(p);
        if (prc == -ETIMEDOUT)
            _exit(EXIT_RUNTIME);
        int input_errors = pipeline_input_errors(p);
        cmd_print_summary("backfill", timeutil_mono_ms() - start);
        pipeline_destroy(p);
        rc = prc < 0 || input_errors             ? EXIT_RUNTIME
             : metrics_get(&metrics.events_dead) ? EXIT_DEAD
                                                 : EXIT_OK;
    }
    conf_destroy(conf);
    globfree(&g);
    return rc;
}

const struct command cmd_backfill = {
    .name = "backfill",
    .summary = "read files to their end once, wait for every event, summarise",
    .usage =
        "usage: logship backfill [-c FILE] [--input NAME] FILE|GLOB...\n"
        "\n"
        "Reads each file from its start to its end through an input's parser\n"
        "chain (--input, else the first configured input) into the\n"
        "configured output, waits until every event is acknowledged and\n"
        "prints a summary.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  configuration file\n"
        "  -i, --input NAME   use the parser chain and fields of this input\n"
        "\n"
        "Exit status: 0 all events written, 3 some were dead-lettered,\n"
        "1 a file could not be read or the output failed, 2 usage or\n"
        "configuration error.\n"
        "\n"
        "Examples:\n"
        "  logship backfill -c conf/logship.yml /var/log/nginx/access.log.1\n"
        "  logship backfill --input nginx '/archive/2025/*.log'\n",
    .run = cmd_backfill_main,
};
