/* REALTIME: inference kernels, vectorised with GCC vector extensions. */
#include "model_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "clones.h"

#define KERNEL ACD_CLONES_V4

typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

/* Vectors never cross a function call here: without AVX (the default
 * clone) that changes the calling convention, which clang rejects. Loads
 * and stores go through memcpy, free of alignment and aliasing
 * assumptions; the compiler makes each one vector move. */
#define LD(p)                                                                                      \
    __extension__({                                                                                \
        v8 v_;                                                                                     \
        memcpy(&v_, (p), sizeof v_);                                                               \
        v_;                                                                                        \
    })
#define ST(p, v)                                                                                   \
    __extension__({                                                                                \
        v8 w_ = (v);                                                                               \
        memcpy((p), &w_, sizeof w_);                                                               \
    })
#define HI16 ((int32_t)0xffff0000u)
#define LDI(p)                                                                                     \
    __extension__({                                                                                \
        v8i v_;                                                                                    \
        memcpy(&v_, (p), sizeof v_);                                                               \
        v_;                                                                                        \
    })
/* The sixteen weights of rows r..r+15 of a block at element i of W, as
 * two vectors of eight floats. bf16 blocks pair row j with row j + 8 in
 * one 32-bit word (acd_kern_bf16_slot()), so that each half widens with
 * one shift or one mask; GCC 12 makes four instructions of each widening
 * conversion instead. half is a constant after inlining. */
#define LDW2(W, i, half, w0, w1)                                                                   \
    do {                                                                                           \
        if (half) {                                                                                \
            v8i p_ = LDI((const uint16_t *)(W) + (i));                                             \
            (w0) = (v8)(p_ << 16);                                                                 \
            (w1) = (v8)(p_ & (v8i){HI16, HI16, HI16, HI16, HI16, HI16, HI16, HI16});               \
        } else {                                                                                   \
            (w0) = LD((const float *)(W) + (i));                                                   \
            (w1) = LD((const float *)(W) + (i) + 8);                                               \
        }                                                                                          \
    } while (0)
#define SPLAT(s)     ((v8){(s), (s), (s), (s), (s), (s), (s), (s)})
#define SEL(m, a, b) ((v8)(((v8i)(a) & (m)) | ((v8i)(b) & ~(m))))

/* y = e^x for 8 floats, x clamped to [-87, 87]: x = n ln2 + r with
 * |r| <= ln2 / 2, e^r by its Taylor polynomial to r^6 (truncation below
 * 1.3e-7 relative), 2^n built in the exponent bits. */
INLINE void exp8(const float *xp, float *yp)
{
    const v8 hi = SPLAT(87.0f), lo = SPLAT(-87.0f);
    v8 x = LD(xp);
    x = SEL(x > hi, hi, x);
    x = SEL(x < lo, lo, x);
    /* Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits. */
    const v8 magic = SPLAT(12582912.0f);
    v8 t = x * SPLAT(1.44269504f) + magic;
    v8 n = t - magic;
    /* ln 2 split so that n * ln2_hi is exact. */
    v8 r = x - n * SPLAT(0.693359375f);
    r = r - n * SPLAT(-2.12194440e-4f);
    v8 p = SPLAT(1.0f / 720.0f);
    p = p * r + SPLAT(1.0f / 120.0f);
    p = p * r + SPLAT(1.0f / 24.0f);
    p = p * r + SPLAT(1.0f / 6.0f);
    p = p * r + SPLAT(0.5f);
    p = p * r + SPLAT(1.0f);
    p = p * r + SPLAT(1.0f);
    v8i ni = (v8i)t - (v8i)magic;
    v8i scale = (ni + 127) << 23;
    ST(yp, p * (v8)scale);
}

INLINE void sigmoid8(const float *xp, float *yp)
{
    float e[8];
    ST(e, -LD(xp));
    exp8(e, e);
    ST(yp, SPLAT(1.0f) / (SPLAT(1.0f) + LD(e)));
}

/* tanh from e^(2|x|) loses relative accuracy near 0 to cancellation, so
 * below |x| = 0.5 use the odd Taylor series (next term < 1e-8 relative). */
INLINE void tanh8(const float *xp, float *yp)
{
    const v8i sign = (v8i)SPLAT(-0.0f);
    v8 x = LD(xp);
    v8 ax = (v8)((v8i)x & ~sign);
    float e[8];
    ST(e, ax + ax);
    exp8(e, e);
    v8 big = SPLAT(1.0f) - SPLAT(2.0f) / (LD(e) + SPLAT(1.0f));
    v8 t = ax * ax;
    v8 p = SPLAT(-929569.0f / 638512875.0f);
    p = p * t + SPLAT(21844.0f / 6081075.0f);
    p = p * t + SPLAT(-1382.0f / 155925.0f);
    p = p * t + SPLAT(62.0f / 2835.0f);
    p = p * t + SPLAT(-17.0f / 315.0f);
    p = p * t + SPLAT(2.0f / 15.0f);
    p = p * t + SPLAT(-1.0f / 3.0f);
    v8 small = ax + ax * (p * t);
    v8 r = SEL(ax < SPLAT(0.5f), small, big);
    ST(yp, (v8)((v8i)r | ((v8i)x & sign)));
}

/* The sparse part of a row block: init plus the columns of S picked by
 * sp, in the order listed, so the sums match acd_kern_sparse_axpy() then
 * acd_kern_gemv_blocked() bit for bit. Kept in registers, which saves the
 * read-modify-write of a whole pre-activation vector per non-zero input
 * (measured: a tenth of the model's instructions at the default size). */
INLINE void sparse_block(const AcdKernSparse *sp, size_t rows, const float *init, size_t r, v8 *s0,
                         v8 *s1)
{
    v8 a0 = LD(init + r), a1 = LD(init + r + 8);
    if (sp)
        for (size_t j = 0; j < sp->n; j++) {
            const float *col = sp->S + (size_t)sp->idx[j] * rows + r;
            v8 s = SPLAT(sp->val[j]);
            a0 = a0 + LD(col) * s;
            a1 = a1 + LD(col + 8) * s;
        }
    *s0 = a0;
    *s1 = a1;
}

/* nc copies at once, nc a constant after inlining so the accumulators
 * stay in registers. */
INLINE void gemv_chunk(const void *W, int half, size_t rows, size_t cols, const float *init,
                       const AcdKernSparse *sp, const float *u, size_t us, float *out, size_t os,
                       int nc)
{
    for (size_t r = 0; r < rows; r += ACD_KERN_BLOCK) {
        size_t w = r * cols;
        v8 a0[4], a1[4], s0, s1;
        sparse_block(sp, rows, init, r, &s0, &s1);
        for (int c = 0; c < nc; c++) {
            a0[c] = s0;
            a1[c] = s1;
        }
        for (size_t k = 0; k < cols; k++) {
            v8 w0, w1;
            LDW2(W, w + k * ACD_KERN_BLOCK, half, w0, w1);
            for (int c = 0; c < nc; c++) {
                v8 s = SPLAT(u[c * us + k]);
                a0[c] += w0 * s;
                a1[c] += w1 * s;
            }
        }
        for (int c = 0; c < nc; c++) {
            ST(out + c * os + r, a0[c]);
            ST(out + c * os + r + 8, a1[c]);
        }
    }
}

/* One copy: with two accumulators the loop waits on the FMA latency, so
 * even and odd k get their own (measured 15.8 -> 13.1 us per plain step at
 * H = 128). Several copies already give independent chains. */
INLINE void gemv_one(const void *W, int half, size_t rows, size_t cols, const float *init,
                     const AcdKernSparse *sp, const float *u, float *out)
{
    for (size_t r = 0; r < rows; r += ACD_KERN_BLOCK) {
        size_t w = r * cols;
        v8 a0, a1, b0 = SPLAT(0.0f), b1 = SPLAT(0.0f);
        sparse_block(sp, rows, init, r, &a0, &a1);
        size_t k = 0;
        for (; k + 2 <= cols; k += 2) {
            size_t wk = w + k * ACD_KERN_BLOCK;
            v8 s0 = SPLAT(u[k]), s1 = SPLAT(u[k + 1]), w0, w1, w2, w3;
            LDW2(W, wk, half, w0, w1);
            LDW2(W, wk + ACD_KERN_BLOCK, half, w2, w3);
            a0 += w0 * s0;
            a1 += w1 * s0;
            b0 += w2 * s1;
            b1 += w3 * s1;
        }
        if (k < cols) {
            v8 s0 = SPLAT(u[k]), w0, w1;
            LDW2(W, w + k * ACD_KERN_BLOCK, half, w0, w1);
            a0 += w0 * s0;
            a1 += w1 * s0;
        }
        ST(out + r, a0 + b0);
        ST(out + r + 8, a1 + b1);
    }
}

INLINE void gemv_all(const void *W, int half, size_t rows, size_t cols, const float *init,
                     const AcdKernSparse *sp, const float *u, size_t u_stride, size_t copies,
                     float *out, size_t out_stride)
{
    size_t c = 0;
    for (; c + 4 <= copies; c += 4)
        gemv_chunk(W, half, rows, cols, init, sp, u + c * u_stride, u_stride, out + c * out_stride,
                   out_stride, 4);
    switch (copies - c) {
    case 3:
        gemv_chunk(W, half, rows, cols, init, sp, u + c * u_stride, u_stride, out + c * out_stride,
                   out_stride, 3);
        break;
    case 2:
        gemv_chunk(W, half, rows, cols, init, sp, u + c * u_stride, u_stride, out + c * out_stride,
                   out_stride, 2);
        break;
    case 1:
        gemv_one(W, half, rows, cols, init, sp, u + c * u_stride, out + c * out_stride);
        break;
    default:
        break;
    }
}

KERNEL
void acd_kern_gemv_blocked(const float *W, size_t rows, size_t cols, const float *init,
                           const float *u, size_t u_stride, size_t copies, float *out,
                           size_t out_stride)
{
    gemv_all(W, 0, rows, cols, init, NULL, u, u_stride, copies, out, out_stride);
}

KERNEL
void acd_kern_gemv_blocked_bf16(const uint16_t *W, size_t rows, size_t cols, const float *init,
                                const AcdKernSparse *sp, const float *u, size_t u_stride,
                                size_t copies, float *out, size_t out_stride)
{
    gemv_all(W, 1, rows, cols, init, sp, u, u_stride, copies, out, out_stride);
}

KERNEL
void acd_kern_gemv_sparse(const float *W, size_t rows, size_t cols, const float *init,
                          const AcdKernSparse *sp, const float *u, size_t u_stride, size_t copies,
                          float *out, size_t out_stride)
{
    /* Past four copies the sparse sums would be redone per chunk: still
     * right, and no model here has more than two. */
    gemv_all(W, 0, rows, cols, init, sp, u, u_stride, copies, out, out_stride);
}

size_t acd_kern_sparse_gather(const float *x, size_t n, uint16_t *idx, float *val)
{
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        /* Branch-free: the pattern of notes is noise to a predictor. */
        idx[m] = (uint16_t)k;
        val[m] = x[k];
        m += x[k] != 0.0f;
    }
    return m;
}

size_t acd_kern_bf16_slot(size_t r)
{
    size_t j = r % ACD_KERN_BLOCK;
    return r - j + (j < 8 ? 2 * j : 2 * (j - 8) + 1);
}

uint16_t acd_kern_to_bf16(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    /* Round to nearest, ties to even; the loader has refused NaN and inf. */
    b += 0x7fffu + ((b >> 16) & 1u);
    return (uint16_t)(b >> 16);
}

KERNEL
void acd_kern_sparse_axpy(const float *S, size_t rows, size_t cols, const float *x, float *acc)
{
    for (size_t k = 0; k < cols; k++) {
        if (x[k] == 0.0f)
            continue;
        v8 s = SPLAT(x[k]);
        const float *col = S + k * rows;
        for (size_t r = 0; r < rows; r += 8)
            ST(acc + r, LD(acc + r) + LD(col + r) * s);
    }
}

KERNEL
void acd_kern_lstm_cell(const float *pre, size_t hp, float *c, float *h)
{
    for (size_t u = 0; u < hp; u += 8) {
        float i[8], f[8], g[8], o[8], tc[8];
        sigmoid8(pre + u, i);
        sigmoid8(pre + hp + u, f);
        tanh8(pre + 2 * hp + u, g);
        sigmoid8(pre + 3 * hp + u, o);
        v8 cn = LD(f) * LD(c + u) + LD(i) * LD(g);
        ST(c + u, cn);
        tanh8(c + u, tc);
        ST(h + u, LD(o) * LD(tc));
    }
}

void acd_kern_lstm_cell_exact(const float *pre, size_t hp, float *c, float *h)
{
    for (size_t u = 0; u < hp; u++) {
        float i = 1.0f / (1.0f + expf(-pre[u]));
        float f = 1.0f / (1.0f + expf(-pre[hp + u]));
        float g = tanhf(pre[2 * hp + u]);
        float o = 1.0f / (1.0f + expf(-pre[3 * hp + u]));
        c[u] = f * c[u] + i * g;
        h[u] = o * tanhf(c[u]);
    }
}

void acd_kern_sigmoid(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i += 8)
        sigmoid8(x + i, y + i);
}

void acd_kern_tanh(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i < n; i += 8)
        tanh8(x + i, y + i);
}
