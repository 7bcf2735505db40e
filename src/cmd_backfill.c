/*
 * `logship backfill FILE|GLOB...`: reads each file (plain or gzip, by
 * content) once to its end through an input's parser chain into the
 * configured output, waits until every event is acknowledged, prints a
 * summary and exits with a status that says whether anything was
 * dead-lettered. Progress goes to stderr: a live bar on a terminal, a
 * line every 10 s otherwise. Re-running is safe: document ids repeat, so
 * the search engine answers "duplicate" for what it already has.
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
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct cmd_backfill_progress {
    struct pipeline *p; /* borrowed */
    int64_t start_ms;
    bool tty;
};

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

/* Draws the progress bar (terminal) or logs a progress line. */
static void
cmd_backfill_tick(void *arg)
{
    struct cmd_backfill_progress *pr = arg;
    uint64_t done, total;
    pipeline_progress(pr->p, &done, &total);
    double secs = (double)(timeutil_mono_ms() - pr->start_ms) / 1000.0;
    if (secs <= 0)
        secs = 0.001;
    double mbs = (double)done / 1e6 / secs;
    double lps = (double)metrics_get(&metrics.events_read) / secs;
    double frac = total ? (double)done / (double)total : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    double eta =
        mbs > 0 ? (double)(total - (done < total ? done : total)) / 1e6 / mbs
                : 0;
    if (!pr->tty) {
        log_info("backfill", "%.0f%%: %.1f of %.1f MB, %.1f MB/s, %.0f lines/s",
                 frac * 100, (double)done / 1e6, (double)total / 1e6, mbs, lps);
        return;
    }
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[30] = '\0';
    fprintf(stderr,
            "\r[%s] %3.0f%% %8.1f/%.1f MB %6.1f MB/s %8.0f lines/s ETA "
            "%d:%02d ",
            bar, frac * 100, (double)done / 1e6, (double)total / 1e6, mbs, lps,
            (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

static void
cmd_backfill_summary(size_t nfiles, int64_t elapsed_ms, int failed_files)
{
    double secs = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 0.001;
    uint64_t bytes = metrics_get(&metrics.bytes_read);
    fprintf(stderr,
            "backfill: %zu file%s (%d unreadable), %" PRIu64 " lines, %" PRIu64
            " bytes in %.2f s (%.1f MB/s)\n"
            "  indexed %" PRIu64 ", duplicate %" PRIu64
            ", dead-lettered %" PRIu64 ", failed to parse %" PRIu64
            ", dropped %" PRIu64 ", truncated %" PRIu64 "\n",
            nfiles, nfiles == 1 ? "" : "s", failed_files,
            metrics_get(&metrics.events_read), bytes, secs,
            (double)bytes / 1e6 / secs, metrics_get(&metrics.events_indexed),
            metrics_get(&metrics.events_duplicate),
            metrics_get(&metrics.events_dead),
            metrics_get(&metrics.events_parse_failed),
            metrics_get(&metrics.events_dropped),
            metrics_get(&metrics.events_truncated));
}

static int
cmd_backfill_run(struct conf *conf, struct pipeline_opts *popts)
{
    struct errbuf err;
    struct pipeline *p = pipeline_create(conf, popts, &err);
    if (p == NULL) {
        log_error("backfill", "%s", err.msg);
        return EXIT_RUNTIME;
    }
    struct cmd_backfill_progress pr = {p, timeutil_mono_ms(),
                                       isatty(STDERR_FILENO) == 1};
    pipeline_set_tick(p, cmd_backfill_tick, &pr, pr.tty ? 200 : 10000);
    int prc = supervise_run(p);
    if (prc == -ETIMEDOUT)
        _exit(EXIT_RUNTIME);
    if (pr.tty)
        fprintf(stderr, "\r\033[K");
    int failed = pipeline_input_errors(p);
    pipeline_destroy(p);
    cmd_backfill_summary(popts->nfiles, timeutil_mono_ms() - pr.start_ms,
                         failed);
    if (prc < 0 || failed)
        return EXIT_RUNTIME;
    return metrics_get(&metrics.events_dead) ? EXIT_DEAD : EXIT_OK;
}

static int
cmd_backfill_main(int argc, char **argv)
{
    const char *path = NULL;
    struct pipeline_opts popts = {.mode = PIPELINE_BACKFILL};
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"input", required_argument, NULL, 'i'},
        {"resume", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:i:r", longopts, NULL)) != -1) {
        if (opt == 'c')
            path = optarg;
        else if (opt == 'i')
            popts.input_name = optarg;
        else if (opt == 'r')
            popts.resume = true;
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
    int rc = cmd_backfill_run(conf, &popts);
    conf_destroy(conf);
    globfree(&g);
    return rc;
}

const struct command cmd_backfill = {
    .name = "backfill",
    .summary = "read files to their end once, wait for every event, summarise",
    .usage =
        "usage: logship backfill [-c FILE] [--input NAME] [--resume] "
        "FILE|GLOB...\n"
        "\n"
        "Reads each file (plain or gzip, detected by content) from its start\n"
        "to its end through an input's parser chain (--input, else the first\n"
        "configured input) into the configured output, several files at a\n"
        "time, waits until every event is acknowledged and prints a summary.\n"
        "Progress goes to stderr: a bar on a terminal, else a line every\n"
        "10 s. Running it again is safe: with document ids (the default),\n"
        "what is already indexed comes back as duplicates.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE  configuration file\n"
        "  -i, --input NAME   use the parser chain and fields of this input\n"
        "  -r, --resume       start each file where the registry says the\n"
        "                     last run stopped, instead of at its start\n"
        "\n"
        "Exit status: 0 all events written, 3 some were dead-lettered,\n"
        "1 a file could not be read or the output failed, 2 usage or\n"
        "configuration error.\n"
        "\n"
        "Examples:\n"
        "  logship backfill -c conf/logship.yml /var/log/nginx/access.log.1\n"
        "  logship backfill --input nginx '/archive/2025/*.gz'\n"
        "  logship backfill --resume -c conf/logship.yml /archive/big.log\n",
    .run = cmd_backfill_main,
};
