/* The realtime marker and the RealtimeSanitizer hooks. */
#ifndef ACCOMPD_REALTIME_H
#define ACCOMPD_REALTIME_H

/* Marks a function that runs on (or may be called from) the JACK process
 * thread: no allocation, stdio, locks, blocking calls or unbounded loops
 * (STYLE.md, "Realtime rules"). It expands to nothing; it is for readers,
 * for grep, and for the RealtimeSanitizer build, which checks the same rules
 * at run time inside acd_rt_enter()/acd_rt_exit(). */
#define ACD_REALTIME

#ifndef ACD_RTSAN
#define ACD_RTSAN 0
#endif

#if ACD_RTSAN
/* Provided by libclang_rt.rtsan (Debian's libclang-rt-19-dev); it works with
 * gcc when linked statically. */
void __rtsan_init(void);
void __rtsan_realtime_enter(void);
void __rtsan_realtime_exit(void);
#define acd_rt_init()  __rtsan_init()
#define acd_rt_enter() __rtsan_realtime_enter()
#define acd_rt_exit()  __rtsan_realtime_exit()
#else
#define acd_rt_init()  ((void)0)
#define acd_rt_enter() ((void)0)
#define acd_rt_exit()  ((void)0)
#endif

#endif
