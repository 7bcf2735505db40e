/*
 * Acknowledgement tracking for one source (a file or stdin): the ordered
 * ranges handed to workers, each with a count of unfinished events, and the
 * committed offset, which only moves over a contiguous prefix of finished
 * ranges however batches complete. This is the "no silent loss" rule: the
 * registry saves acktrack_committed() and nothing else.
 * The input thread adds ranges; any thread (usually the output's) finishes
 * events.
 */
#ifndef LOGSHIP_ACKTRACK_H
#define LOGSHIP_ACKTRACK_H

#include <stdbool.h>
#include <stdint.h>

struct acktrack;
struct ackrange;

/* Returns a tracker whose committed offset starts at start_offset. */
struct acktrack *acktrack_create(uint64_t start_offset);
/* Frees the tracker and any ranges still pending (their events are lost
 * to this process; the registry never moved past them). */
void acktrack_destroy(struct acktrack *t);

/*
 * Adds a range of nevents events ending at end_offset (exclusive, in the
 * source's byte stream). Returns the range, owned by the tracker: pass it to
 * ackrange_finish() for each event. A range of 0 events is finished at once.
 */
struct ackrange *acktrack_add(struct acktrack *t, uint64_t end_offset,
                              uint32_t nevents);
/* Marks count events of r finished; r must not be used after its last. */
void ackrange_finish(struct ackrange *r, uint32_t count);

/* The offset below which every event is finished. */
uint64_t acktrack_committed(struct acktrack *t);
/* True when no range is pending. */
bool acktrack_idle(struct acktrack *t);
/* Waits up to timeout_ms (-1: forever) until idle; returns true if idle. */
bool acktrack_wait_idle(struct acktrack *t, int timeout_ms);

#endif
