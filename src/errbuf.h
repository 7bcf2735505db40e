/*
 * A fixed-size error message filled by constructors that fail (shaped like
 * jansson's json_error_t), and a list of them for `logship check`, which
 * reports every configuration error, not just the first.
 */
#ifndef LOGSHIP_ERRBUF_H
#define LOGSHIP_ERRBUF_H

#include <stddef.h>

struct errbuf {
    char msg[512];
};

/* Formats into err (if err is not NULL); always returns -EINVAL. */
int errbuf_set(struct errbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct errlist {
    char **msgs; /* owned, each owned */
    size_t count;
};

/* Appends a formatted message. */
void errlist_add(struct errlist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void errlist_fini(struct errlist *list);

#endif
