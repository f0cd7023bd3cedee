/* Machine probes for accomp bench: timer, memory bandwidth, FMA throughput. */
#include "bench_probe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clones.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
/* An unaligned, aliasing view for loads (a function returning v8 would
 * change its ABI between the clones). */
typedef float v8u __attribute__((vector_size(32), aligned(4), may_alias));

/* Keeps results alive so the probes are not optimised away. */
static volatile float sink;

double acd_probe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void acd_probe_clocksource(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (!f)
        return;
    if (fgets(buf, (int)size, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double acd_probe_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    /* Nearest rank: the smallest value with at least q of the sample at or
     * below it. */
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

double acd_probe_timer_overhead_ns(void)
{
    enum { N = 10001 };
    static double d[N];
    for (int i = 0; i < N; i++) {
        double t0 = acd_probe_now_ns();
        double t1 = acd_probe_now_ns();
        d[i] = t1 - t0;
    }
    return acd_probe_quantile(d, N, 0.5);
}

/* One pass over n floats (n a multiple of 64) with eight independent sums,
 * 256-bit loads when the CPU has AVX2. The sums are named, not an array, so
 * that they stay in registers. */
ACD_CLONES_V3 static float read_pass(const float *p, size_t n)
{
    v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};
    for (size_t i = 0; i < n; i += 64) {
        s0 += *(const v8u *)(p + i);
        s1 += *(const v8u *)(p + i + 8);
        s2 += *(const v8u *)(p + i + 16);
        s3 += *(const v8u *)(p + i + 24);
        s4 += *(const v8u *)(p + i + 32);
        s5 += *(const v8u *)(p + i + 40);
        s6 += *(const v8u *)(p + i + 48);
        s7 += *(const v8u *)(p + i + 56);
    }
    v8 t = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    return t[0] + t[7];
}

double acd_probe_read_gbs(size_t bytes)
{
    size_t n = (bytes / sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, n * sizeof(float));
    if (!p)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(i & 7);
    /* Best of many short runs (about 1 ms each): on a shared machine a
     * run that nobody preempts is the one that shows the hardware. */
    double best = 0.0;
    float acc = read_pass(p, n);
    size_t passes = 1 + (size_t)(1e5 / ((double)bytes * 1e-3 + 1.0));
    for (int run = 0; run < 40; run++) {
        double t0 = acd_probe_now_ns();
        for (size_t k = 0; k < passes; k++)
            acc += read_pass(p, n);
        double dt = acd_probe_now_ns() - t0;
        double gbs = (double)passes * (double)n * sizeof(float) / dt;
        if (gbs > best)
            best = gbs;
    }
    sink = acc;
    free(p);
    return best;
}

/* Twelve independent FMA chains, named so that they stay in registers
 * (sixteen 256-bit registers in AVX2): enough to cover the latency of two
 * FMA pipes on current cores. */
#define FMA_ITERS 400000
#define FMA_BODY(V)                                                                                \
    V va, vb;                                                                                      \
    for (size_t j = 0; j < sizeof va / sizeof va[0]; j++) {                                        \
        va[j] = a;                                                                                 \
        vb[j] = b;                                                                                 \
    }                                                                                              \
    V c0 = va, c1 = va + 1, c2 = va + 2, c3 = va + 3, c4 = va + 4, c5 = va + 5;                    \
    V c6 = va + 6, c7 = va + 7, c8 = va + 8, c9 = va + 9, c10 = va + 10, c11 = va + 11;            \
    for (int i = 0; i < FMA_ITERS; i++) {                                                          \
        c0 = c0 * va + vb;                                                                         \
        c1 = c1 * va + vb;                                                                         \
        c2 = c2 * va + vb;                                                                         \
        c3 = c3 * va + vb;                                                                         \
        c4 = c4 * va + vb;                                                                         \
        c5 = c5 * va + vb;                                                                         \
        c6 = c6 * va + vb;                                                                         \
        c7 = c7 * va + vb;                                                                         \
        c8 = c8 * va + vb;                                                                         \
        c9 = c9 * va + vb;                                                                         \
        c10 = c10 * va + vb;                                                                       \
        c11 = c11 * va + vb;                                                                       \
    }                                                                                              \
    V t = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;                             \
    return t[0]
#define FMA_CHAINS 12

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("arch=x86-64-v3")))
#endif
static float
fma_loop8(float a, float b)
{
    FMA_BODY(v8);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("arch=x86-64-v4")))
#endif
static float
fma_loop16(float a, float b)
{
    FMA_BODY(v16);
}

double acd_probe_fma_gflops(int vector_bits)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    int ok = vector_bits == 256 ? __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                                : __builtin_cpu_supports("avx512f");
    if (!ok || (vector_bits != 256 && vector_bits != 512))
        return 0.0;
    double best = 0.0;
    /* a just below 1 keeps the chains finite and normal. */
    const float a = 0.999999f, b = 1e-3f;
    for (int run = 0; run < 15; run++) {
        double t0 = acd_probe_now_ns();
        sink = vector_bits == 256 ? fma_loop8(a, b) : fma_loop16(a, b);
        double dt = acd_probe_now_ns() - t0;
        double flops = 2.0 * (vector_bits / 32) * (double)FMA_CHAINS * FMA_ITERS;
        if (flops / dt > best)
            best = flops / dt;
    }
    return best;
#else
    (void)vector_bits;
    return 0.0;
#endif
}
