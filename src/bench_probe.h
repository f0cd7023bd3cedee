/* Machine probes for accomp bench: timer, memory bandwidth, FMA throughput. */
#ifndef ACCOMPD_BENCH_PROBE_H
#define ACCOMPD_BENCH_PROBE_H

#include <stddef.h>

/* Monotonic time in nanoseconds (CLOCK_MONOTONIC). Not RT-safe in the
 * strict sense (a vDSO call), but cheap: see acd_probe_timer_overhead_ns. */
double acd_probe_now_ns(void);

/* The kernel's clock source ("tsc", "hpet", ...) into buf, or "unknown". */
void acd_probe_clocksource(char *buf, size_t size);

/* Median cost of one acd_probe_now_ns() call, in ns. */
double acd_probe_timer_overhead_ns(void);

/* Read bandwidth, GB/s, of 256-bit loads streaming a buffer of `bytes`
 * again and again (best of a few runs): the ceiling for a matrix-vector
 * product whose matrix has that size, since every weight is read once. */
double acd_probe_read_gbs(size_t bytes);

/* Peak single-core FMA throughput in GFLOP/s (an FMA counts 2) with
 * 256-bit vectors (what the inference kernels use) and with 512-bit ones;
 * 0 when the CPU lacks the instructions. */
double acd_probe_fma_gflops(int vector_bits);

/* The sorted-sample quantile q (0..1) of n values; sorts v in place. */
double acd_probe_quantile(double *v, size_t n, double q);

#endif
