/*
 * Entry point: process-wide initialisation (allocators, curl, the signal
 * mask), then argv[1] → the command table. `logship help [cmd]` and
 * `logship <cmd> --help` print the usage text of the table.
 */
#include "config.h"

#include "command.h"
#include "conf.h"
#include "options.h"
#include "outputs.h"
#include "stages.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

const struct command *const commands[] = {
    &cmd_run,   &cmd_backfill, &cmd_parse, &cmd_check,
    &cmd_setup, &cmd_version,  NULL,
};

static const struct command *
main_find(const char *name)
{
    for (size_t i = 0; commands[i] != NULL; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

static void
main_help(FILE *out)
{
    fprintf(out, "usage: logship <command> [options]\n\n"
                 "Ships log files into Elasticsearch or OpenSearch.\n\n"
                 "Commands:\n");
    for (size_t i = 0; commands[i] != NULL; i++)
        fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-9s %s\n", "help",
            "show help for a command; 'logship help config': every option");
    fprintf(out, "\n'logship help <command>' or 'logship <command> --help' "
                 "explains a command.\n"
                 "Exit codes: 0 ok, 1 runtime failure, 2 usage or "
                 "configuration error,\n"
                 "3 finished but some events were dead-lettered, 4 (parse) "
                 "some lines did not parse.\n");
}

/* The configuration reference, from the option tables themselves. */
static void
main_help_config(FILE *out)
{
    fprintf(out, "Top-level sections:\n\n");
    options_help(conf_options, out, 0);
    for (size_t i = 0; outputs_table[i] != NULL; i++) {
        fprintf(out, "\nOutput `type: %s`:\n\n", outputs_table[i]->name);
        options_help(outputs_table[i]->options, out, 0);
    }
    fprintf(out, "\nEvery parser stage also takes:\n\n");
    options_help(chain_common_options, out, 0);
    for (size_t i = 0; stages_table[i] != NULL; i++) {
        const struct stage_type *st = stages_table[i];
        fprintf(out, "\nStage `%s`%s%s:\n\n", st->name, st->summary ? ": " : "",
                st->summary ? st->summary : "");
        options_help(st->options, out, 0);
    }
    fprintf(out, "\nBuilt-in formats (`parser: NAME`): %s.\n",
            chain_builtin_names());
}

static int
main_cmd_help(int argc, char **argv)
{
    if (argc < 3) {
        main_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[2], "config") == 0) {
        main_help_config(stdout);
        return EXIT_OK;
    }
    const struct command *cmd = main_find(argv[2]);
    if (cmd == NULL) {
        fprintf(stderr, "logship: unknown command '%s'\n", argv[2]);
        return EXIT_USAGE;
    }
    fputs(cmd->usage, stdout);
    return EXIT_OK;
}

int
main(int argc, char **argv)
{
    xalloc_init();
    if (argc < 2) {
        main_help(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 ||
        strcmp(name, "-h") == 0)
        return main_cmd_help(argc, argv);
    if (strcmp(name, "--version") == 0)
        name = "version";
    const struct command *cmd = main_find(name);
    if (cmd == NULL) {
        fprintf(stderr,
                "logship: unknown command '%s'; 'logship help' lists them\n",
                name);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cmd->usage, stdout);
            return EXIT_OK;
        }
    }
    command_block_signals();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmd->run(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
