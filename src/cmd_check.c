/*
 * `logship check`: loads and validates the configuration without shipping
 * anything, printing every error (not just the first) as
 * file:line:column: key: message.
 */
#include "config.h"
#include "command.h"

#include "conf.h"
#include "output.h"

#include <stdio.h>

static int
cmd_check_main(int argc, char **argv)
{
    const char *path;
    if (command_parse_config_only(&cmd_check, argc, argv, true, &path) < 0)
        return EXIT_USAGE;
    struct errlist errs = {0};
    struct conf *conf = conf_load(path, &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "%s\n", errs.msgs[i]);
    if (conf == NULL) {
        fprintf(stderr, "%s: %zu error%s\n", path, errs.count,
                errs.count == 1 ? "" : "s");
        errlist_fini(&errs);
        return EXIT_USAGE;
    }
    errlist_fini(&errs);
    printf("%s: OK (%zu input%s, output %s)\n", path, conf->inputs.count,
           conf->inputs.count == 1 ? "" : "s", conf->output.type->name);
    conf_destroy(conf);
    return EXIT_OK;
}

const struct command cmd_check = {
    .name = "check",
    .summary = "validate the configuration and print every error",
    .usage = "usage: logship check [-c FILE | FILE]\n"
             "\n"
             "Loads the configuration, binds every option and reports every\n"
             "problem as file:line:column: key: message, without shipping.\n"
             "Exit status: 0 valid, 2 errors found.\n"
             "\n"
             "Examples:\n"
             "  logship check -c /etc/logship/logship.yml\n"
             "  logship check conf/examples/stdin.yml\n",
    .run = cmd_check_main,
};
