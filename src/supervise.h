/*
 * Runs a pipeline to its end under signal control: the first SIGINT or
 * SIGTERM stops reading and drains (up to the grace period), a second one
 * exits at once. Called on the main thread with the signals blocked
 * (command_block_signals()).
 */
#ifndef LOGSHIP_SUPERVISE_H
#define LOGSHIP_SUPERVISE_H

#include "pipeline.h"

/*
 * Starts p, waits for it and returns 0 when everything drained, -ETIMEDOUT
 * when the grace period ran out (the caller must exit without freeing p),
 * or another negative errno.
 */
int supervise_run(struct pipeline *p);

#endif
