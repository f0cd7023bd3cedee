/* Function multi-versioning: AVX-512 / AVX2+FMA clones picked at load time. Internal. */
#ifndef ACCOMPD_CLONES_H
#define ACCOMPD_CLONES_H

/* Debian builds for baseline x86-64 (SSE2); these attributes let glibc's
 * ifunc resolver pick AVX-512 or AVX2+FMA code on the machine the program
 * runs on. They are empty:
 *  - with clang: clang 14 names the dispatcher differently, and clang
 *    builds here are only the fuzz builds, where speed does not matter;
 *  - under ThreadSanitizer: it instruments the ifunc resolver, which then
 *    runs before the sanitizer's runtime is up and crashes at load;
 *  - when the baseline already has AVX2 (GCC 12 rejects a clone that the
 *    baseline makes redundant), or with -DACD_NO_CLONES.
 * ACD_CLONES_V4 offers AVX-512 too; ACD_CLONES_V3 only AVX2+FMA. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_THREAD__) && !defined(__AVX2__) && !defined(ACD_NO_CLONES)
#define ACD_CLONES_V4 __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define ACD_CLONES_V3 __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ACD_CLONES_V4
#define ACD_CLONES_V3
#endif

#endif
