/* Branch-free sigmoid and tanh for the trainer's elementwise loops, which the compiler can
 * vectorise. */
#ifndef ACCOMPD_TRAIN_ACT_H
#define ACCOMPD_TRAIN_ACT_H

#include <stdint.h>
#include <string.h>

/* exp(x) for x clamped to [-87, 87]: 2^n by the exponent bits times a
 * degree-7 polynomial for 2^f, f in [-0.5, 0.5]; relative error ~2e-7,
 * which is float rounding. Scalar expf calls stop the loops from
 * vectorising and were most of the elementwise time. */
static inline float acd_train_exp(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 87.0f ? 87.0f : x;
    float k = x * 1.44269504088896341f;
    /* round to nearest via the 1.5*2^23 trick: exact for |k| < 2^22 */
    float n = (k + 12582912.0f) - 12582912.0f;
    float f = k - n;
    /* Taylor coefficients of 2^f = exp(f ln 2); degree 7 keeps the
     * truncation error (~1e-8 at |f| = 0.5) below float rounding. */
    float p = 1.5252734e-5f;
    p = p * f + 1.5403530e-4f;
    p = p * f + 1.3333558e-3f;
    p = p * f + 9.6181291e-3f;
    p = p * f + 5.5504109e-2f;
    p = p * f + 2.4022651e-1f;
    p = p * f + 6.9314718e-1f;
    p = p * f + 1.0f;
    int32_t e = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &e, sizeof s);
    return p * s;
}

static inline float acd_train_sigmoid(float x)
{
    return 1.0f / (1.0f + acd_train_exp(-x));
}

/* tanh(x) = 1 - 2 / (exp(2x) + 1), accurate to a few ulp away from 0 and
 * to ~1e-7 absolute near 0, which is all the gradients need. */
static inline float acd_train_tanh(float x)
{
    return 1.0f - 2.0f / (acd_train_exp(2.0f * x) + 1.0f);
}

/* log(1 + e) for e in [0, 1], as 2 atanh(s) with s = e / (2 + e) <= 1/3:
 * the odd series to s^13 leaves ~1e-8 relative error, and s is exact for
 * tiny e (no 1 + e rounding). */
static inline float acd_train_log1p_unit(float e)
{
    float s = e / (2.0f + e), s2 = s * s;
    float p = 1.0f / 13.0f;
    p = p * s2 + 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

#endif
