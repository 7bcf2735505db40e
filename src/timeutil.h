/*
 * Clock helpers: monotonic milliseconds for intervals and deadlines, and
 * the wall clock in nanoseconds for event read times. Thread-safe.
 */
#ifndef LOGSHIP_TIMEUTIL_H
#define LOGSHIP_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t timeutil_mono_ms(void);
/* Nanoseconds since the epoch on CLOCK_REALTIME. */
int64_t timeutil_wall_ns(void);
/* A CLOCK_MONOTONIC timespec timeout_ms from now, for timed waits. */
struct timespec timeutil_deadline(int64_t timeout_ms);
/* Sleeps for ms milliseconds (restarting on EINTR). */
void timeutil_sleep_ms(int64_t ms);

#endif
