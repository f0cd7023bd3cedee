/* A small seeded random generator (xoshiro256**, seeded through splitmix64). */
#ifndef ACCOMPD_RNG_H
#define ACCOMPD_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Plain state, so that a caller can copy, store and restore it exactly. The
 * same seed gives the same stream on every machine: only 64-bit integer
 * arithmetic is involved. */
typedef struct {
    uint64_t s[4];
} AcdRng;

/* Seed r from one 64-bit value; every seed (0 included) gives a usable,
 * distinct stream. RT-safe. */
void acd_rng_seed(AcdRng *r, uint64_t seed);

/* The next 64 random bits. RT-safe. */
uint64_t acd_rng_next_u64(AcdRng *r);

/* Uniform in the open interval (0, 1): one of 2^53 equally spaced values
 * (k + 0.5) / 2^53, so never 0 and never 1; `u < p` then happens with
 * probability p to within 2^-53 for every p in [0, 1]. RT-safe. */
double acd_rng_next_unit(AcdRng *r);

/* n draws of acd_rng_next_unit() into out, the same values in the same
 * order, at a fraction of the cost per draw. RT-safe. */
void acd_rng_fill_unit(AcdRng *r, double *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif
