/*
 * What the pipeline-running commands (run, backfill, parse) share: loading
 * the config with every error printed, applying the log level, and turning
 * a finished pipeline into an exit code and a summary.
 */
#ifndef LOGSHIP_CMD_COMMON_H
#define LOGSHIP_CMD_COMMON_H

#include "conf.h"

#include <stdbool.h>
#include <stdint.h>

/* Loads path, printing each error to stderr; NULL on any error. */
struct conf *cmd_load_conf(const char *path);
/* A config with no file: no inputs, stdout output. */
struct conf *cmd_empty_conf(void);
/* Prints the end-of-run counters to stderr (one line, or a summary). */
void cmd_print_summary(const char *what, int64_t elapsed_ms);

#endif
