/*
 * Helpers every command shares: the config path rule, the -c/--config
 * command line, usage errors, the signal mask.
 */
#include "config.h"
#include "command.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef LOGSHIP_SYSCONFDIR
#define LOGSHIP_SYSCONFDIR "/etc"
#endif

const char *
command_config_path(const char *given)
{
    if (given != NULL)
        return given;
    const char *env = getenv("LOGSHIP_CONFIG");
    if (env != NULL && *env != '\0')
        return env;
    if (access("conf/logship.yml", F_OK) == 0)
        return "conf/logship.yml";
    return LOGSHIP_SYSCONFDIR "/logship/logship.yml";
}

int
command_usage_error(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "logship %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n'logship %s --help' shows the usage.\n", cmd->name);
    return EXIT_USAGE;
}

int
command_parse_config_only(const struct command *cmd, int argc, char **argv,
                          bool allow_file, const char **path)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *given = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
        if (opt != 'c') {
            command_usage_error(cmd, "unknown option");
            return -EINVAL;
        }
        given = optarg;
    }
    if (allow_file && optind < argc)
        given = argv[optind++];
    if (optind < argc) {
        command_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        return -EINVAL;
    }
    *path = command_config_path(given);
    return 0;
}

void
command_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}
