/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
#include "accompd/rng.h"

#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void acd_rng_seed(AcdRng *r, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, so the all-zero
     * state (a fixed point of xoshiro) cannot arise. */
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix64(&seed);
}

/* The generator's step on a state held in locals, so that a loop of draws
 * keeps it in registers instead of going through memory and a call each. */
static inline uint64_t next(uint64_t *s)
{
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t acd_rng_next_u64(AcdRng *r)
{
    return next(r->s);
}

/* The top 53 bits and a half-step offset: exact in a double, strictly
 * inside (0, 1). */
static inline double unit(uint64_t x)
{
    return ((double)(x >> 11) + 0.5) * 0x1p-53;
}

double acd_rng_next_unit(AcdRng *r)
{
    return unit(next(r->s));
}

void acd_rng_fill_unit(AcdRng *r, double *out, size_t n)
{
    uint64_t s[4] = {r->s[0], r->s[1], r->s[2], r->s[3]};
    for (size_t i = 0; i < n; i++)
        out[i] = unit(next(s));
    memcpy(r->s, s, sizeof s);
}
