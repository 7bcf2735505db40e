/*
 * The process counters. Relaxed ordering is enough: they are statistics,
 * never used to synchronise.
 */
#include "config.h"
#include "metrics.h"

#include <string.h>

struct metrics metrics;

void
metrics_reset(void)
{
    atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)&metrics;
    for (size_t i = 0; i < sizeof(metrics) / sizeof(*c); i++)
        atomic_store_explicit(&c[i], 0, memory_order_relaxed);
}
