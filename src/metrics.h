/*
 * Process-wide counters (relaxed atomics), one of the few pieces of global
 * mutable state. Workers add per chunk and outputs per batch, never per
 * line, so the counters cost nothing on the hot path.
 */
#ifndef LOGSHIP_METRICS_H
#define LOGSHIP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

struct metrics {
    atomic_uint_fast64_t bytes_read;
    atomic_uint_fast64_t events_read;
    atomic_uint_fast64_t events_truncated;
    atomic_uint_fast64_t events_parse_failed;
    atomic_uint_fast64_t events_dropped;
    atomic_uint_fast64_t events_too_big;
    atomic_uint_fast64_t events_failed; /* the output gave up on them */
    atomic_uint_fast64_t events_indexed;
    atomic_uint_fast64_t events_duplicate;
    atomic_uint_fast64_t events_dead;
    atomic_uint_fast64_t batches_sent;
    atomic_uint_fast64_t bytes_sent;
};

extern struct metrics metrics;

static inline void
metrics_add(atomic_uint_fast64_t *counter, uint64_t n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static inline uint64_t
metrics_get(atomic_uint_fast64_t *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

/* Zeroes every counter (tests, and before a command starts). */
void metrics_reset(void);

#endif
