/* Absolute CLOCK_REALTIME deadlines for sem_timedwait. Internal; not RT-safe. */
#ifndef ACCOMPD_DEADLINE_H
#define ACCOMPD_DEADLINE_H

#include <time.h>

/* The CLOCK_REALTIME time ms milliseconds from now: sem_timedwait takes
 * absolute times on that clock. */
static inline struct timespec acd_deadline_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

#endif
