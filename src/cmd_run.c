/*
 * `logship run`: the daemon. Loads the config, runs the pipeline in the
 * foreground (systemd-friendly: logs to stderr, no fork) until its inputs
 * end or a signal stops it.
 */
#include "config.h"
#include "command.h"

#include "cmd_common.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "supervise.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int
cmd_run_main(int argc, char **argv)
{
    const char *path;
    if (command_parse_config_only(&cmd_run, argc, argv, false, &path) < 0)
        return EXIT_USAGE;
    struct conf *conf = cmd_load_conf(path);
    if (conf == NULL)
        return EXIT_USAGE;
    struct pipeline_opts popts = {.mode = PIPELINE_RUN};
    struct errbuf err;
    struct pipeline *p = pipeline_create(conf, &popts, &err);
    if (p == NULL) {
        log_error("run", "%s", err.msg);
        conf_destroy(conf);
        return EXIT_RUNTIME;
    }
    int64_t start = timeutil_mono_ms();
    int rc = supervise_run(p);
    if (rc == -ETIMEDOUT)
        _exit(EXIT_RUNTIME);
    cmd_print_summary("run", timeutil_mono_ms() - start);
    pipeline_destroy(p);
    conf_destroy(conf);
    if (rc < 0)
        return EXIT_RUNTIME;
    return metrics_get(&metrics.events_dead) ? EXIT_DEAD : EXIT_OK;
}

const struct command cmd_run = {
    .name = "run",
    .summary = "ship events from the configured inputs until stopped",
    .usage =
        "usage: logship run [-c FILE]\n"
        "\n"
        "Runs the pipeline in the foreground: inputs -> parsers -> output.\n"
        "SIGINT or SIGTERM stops reading and drains what is in flight (up to\n"
        "service.grace_period); a second signal exits at once.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  configuration file (default: $LOGSHIP_CONFIG,\n"
        "                     else conf/logship.yml if present, else\n"
        "                     /etc/logship/logship.yml)\n"
        "\n"
        "Examples:\n"
        "  logship run -c /etc/logship/logship.yml\n"
        "  some-app | logship run -c conf/examples/stdin.yml\n",
    .run = cmd_run_main,
};
