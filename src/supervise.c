/*
 * The signal thread. Signals are blocked everywhere and taken here with
 * sigwait(), so no code runs in a signal handler. SIGUSR1 is how the main
 * thread ends the signal thread once the pipeline is done.
 */
#include "config.h"
#include "supervise.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void
supervise_sigset(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
}

static void *
supervise_main(void *arg)
{
    struct pipeline *p = arg;
    sigset_t set;
    supervise_sigset(&set);
    int stops = 0;
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0 || sig == SIGUSR1)
            return NULL;
        if (stops++ == 0) {
            log_info("logship",
                     "%s: stopping; draining in-flight events "
                     "(a second signal exits at once)",
                     strsignal(sig));
            pipeline_stop(p);
            continue;
        }
        log_warn("logship",
                 "%s again: exiting now; unacknowledged events "
                 "will be read again at the next start",
                 strsignal(sig));
        _exit(128 + sig);
    }
}

int
supervise_run(struct pipeline *p)
{
    sigset_t set;
    supervise_sigset(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, supervise_main, p);
    if (rc != 0) {
        log_errno("logship", rc, "cannot start the signal thread");
        return -rc;
    }
    struct errbuf err;
    rc = pipeline_start(p, &err);
    if (rc < 0)
        log_error("logship", "%s", err.msg);
    else
        rc = pipeline_wait(p);
    if (rc == -ETIMEDOUT) {
        log_error(
            "logship",
            "grace period over with events still in "
            "flight; exiting (they will be read again at the next start)");
        return rc;
    }
    pthread_kill(thread, SIGUSR1);
    pthread_join(thread, NULL);
    return rc;
}
