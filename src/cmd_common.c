/*
 * Shared command plumbing. Config errors are printed here, where they are
 * handled, one per line, as file:line:column: key: message.
 */
#include "config.h"
#include "cmd_common.h"

#include "log.h"
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>

struct conf *
cmd_load_conf(const char *path)
{
    struct errlist errs = {0};
    struct conf *conf = conf_load(path, &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "%s\n", errs.msgs[i]);
    errlist_fini(&errs);
    if (conf != NULL)
        log_max_level = (enum log_level)conf->service.log_level;
    return conf;
}

struct conf *
cmd_empty_conf(void)
{
    struct errlist errs = {0};
    struct conf *conf = conf_load_string("(built-in)", "{}", &errs);
    errlist_fini(&errs);
    return conf;
}

void
cmd_print_summary(const char *what, int64_t elapsed_ms)
{
    double secs = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 0.001;
    uint64_t bytes = metrics_get(&metrics.bytes_read);
    log_info(what,
             "%" PRIu64 " events from %" PRIu64 " bytes in %.2f s "
             "(%.1f MB/s): %" PRIu64 " written, %" PRIu64 " duplicate, %" PRIu64
             " dead-lettered, %" PRIu64 " truncated, %" PRIu64 " failed",
             metrics_get(&metrics.events_read), bytes, secs,
             (double)bytes / 1e6 / secs, metrics_get(&metrics.events_indexed),
             metrics_get(&metrics.events_duplicate),
             metrics_get(&metrics.events_dead),
             metrics_get(&metrics.events_truncated),
             metrics_get(&metrics.events_failed) +
                 metrics_get(&metrics.events_too_big));
}
