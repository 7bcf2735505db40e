/*
 * Logging to stderr: one write(2) per line so threads never interleave,
 * `<RFC 3339 UTC time> <level> [<who>] <message>`. The level is checked
 * before arguments are evaluated. log_max_level is set once before threads
 * start and is read-only afterwards.
 */
#ifndef LOGSHIP_LOG_H
#define LOGSHIP_LOG_H

#include <stddef.h>

enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG };

extern enum log_level log_max_level;

/* Writes one line; err != 0 appends ": strerror(err)" (err may be negative). */
void log_emit(enum log_level level, const char *who, int err, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/* Parses "error|warn|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *out);

/* Thread-safe strerror into buf; returns buf. err may be negative. */
const char *log_strerror(int err, char *buf, size_t len);

#define LOG_AT(level, who, err, ...)                                           \
    do {                                                                       \
        if ((level) <= log_max_level)                                          \
            log_emit((level), (who), (err), __VA_ARGS__);                      \
    } while (0)
#define log_error(who, ...)      LOG_AT(LL_ERROR, who, 0, __VA_ARGS__)
#define log_warn(who, ...)       LOG_AT(LL_WARN, who, 0, __VA_ARGS__)
#define log_info(who, ...)       LOG_AT(LL_INFO, who, 0, __VA_ARGS__)
#define log_debug(who, ...)      LOG_AT(LL_DEBUG, who, 0, __VA_ARGS__)
#define log_errno(who, err, ...) LOG_AT(LL_ERROR, who, err, __VA_ARGS__)

#endif
