/*
 * The log line writer. Lines are built in a stack buffer and written with a
 * single write(2), so lines from different threads never interleave. Long
 * messages are cut, never split across writes.
 */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum log_level log_max_level = LL_INFO;

static const char *const log_level_names[] = {
    [LL_ERROR] = "error",
    [LL_WARN] = "warn",
    [LL_INFO] = "info",
    [LL_DEBUG] = "debug",
};

int
log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names);
         i++) {
        if (strcasecmp(name, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *
log_strerror(int err, char *buf, size_t len)
{
    if (err < 0)
        err = -err;
    /* _GNU_SOURCE gives the GNU strerror_r, which may not use buf. */
    const char *s = strerror_r(err, buf, len);
    if (s != buf)
        snprintf(buf, len, "%s", s);
    return buf;
}

void
log_emit(enum log_level level, const char *who, int err, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s [%s] ",
                          ts.tv_nsec / 1000000L, log_level_names[level],
                          who ? who : "logship");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    n = (m < 0 || (size_t)m >= sizeof(line) - n) ? sizeof(line) - 1
                                                 : n + (size_t)m;
    if (err != 0 && n < sizeof(line) - 1) {
        char ebuf[128];
        m = snprintf(line + n, sizeof(line) - n, ": %s",
                     log_strerror(err, ebuf, sizeof(ebuf)));
        n = (m < 0 || (size_t)m >= sizeof(line) - n) ? sizeof(line) - 1
                                                     : n + (size_t)m;
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);
}
