/*
 * The subcommand table: `logship <name> ...` runs commands[i].run. Each
 * cmd_*.c defines one entry. Exit codes are documented here and in the
 * README; every command returns one of them.
 */
#ifndef LOGSHIP_COMMAND_H
#define LOGSHIP_COMMAND_H

#include <stdbool.h>

enum exit_code {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,   /* could not run or finish: I/O, output failure */
    EXIT_USAGE = 2,     /* bad command line or configuration */
    EXIT_DEAD = 3,      /* finished, but some events were dead-lettered */
    EXIT_PARSE_FAIL = 4 /* `parse`: some lines did not parse */
};

struct command {
    const char *name;
    const char *summary; /* one line for `logship help` */
    const char *usage;   /* full text for `logship <name> --help` */
    int (*run)(int argc, char **argv);
};

extern const struct command cmd_run;
extern const struct command cmd_backfill;
extern const struct command cmd_parse;
extern const struct command cmd_check;
extern const struct command cmd_setup;
extern const struct command cmd_version;

/* NULL-terminated, in the order `logship help` lists them. */
extern const struct command *const commands[];

/* The config path: -c, else $LOGSHIP_CONFIG, else the default. */
const char *command_config_path(const char *given);
/* Prints "logship <cmd>: <msg>" and a hint to --help; returns EXIT_USAGE. */
int command_usage_error(const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Parses the command line of a command whose only option is -c/--config
 * FILE; with allow_file, a FILE argument may name the config instead (and
 * wins over -c). Sets *path by command_config_path. On a bad command line
 * prints the usage error and returns -EINVAL; else returns 0.
 */
int command_parse_config_only(const struct command *cmd, int argc, char **argv,
                              bool allow_file, const char **path);
/* Blocks the stop signals in this thread and those it starts. */
void command_block_signals(void);

#endif
