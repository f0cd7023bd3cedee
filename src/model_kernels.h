/* Inference kernels: blocked matrix-vector products and the LSTM cell (REALTIME). */
#ifndef ACCOMPD_MODEL_KERNELS_H
#define ACCOMPD_MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Rows per block of a blocked matrix, and the padding unit of every hidden
 * size (so that every gate block and state vector is 32-byte aligned). */
#define ACD_KERN_BLOCK 16
#define ACD_KERN_PAD   8

/* Round n up to a multiple of a (a power of two). */
#define ACD_KERN_ROUND(n, a) (((n) + (a)-1) & ~((size_t)(a)-1))

/* For each of `copies` vectors u_c (u + c * u_stride, `cols` floats):
 * out_c = init + W u_c, with W (rows x cols, rows a multiple of
 * ACD_KERN_BLOCK) stored blocked: element (r, k) at
 * W[(r / 16) * cols * 16 + k * 16 + r % 16]. W is read once for up to four
 * copies at a time. All pointers 32-byte aligned. RT-safe. */
void acd_kern_gemv_blocked(const float *W, size_t rows, size_t cols, const float *init,
                           const float *u, size_t u_stride, size_t copies, float *out,
                           size_t out_stride);

/* The non-zero entries of a sparse input x and the column-major matrix S
 * (column k at S + k * rows) they pick: what acd_kern_gemv_sparse() adds
 * before the dense part. */
typedef struct {
    const float *S;
    const uint16_t *idx; /* columns of the non-zeros, rising */
    const float *val;    /* their values */
    size_t n;
} AcdKernSparse;

/* acd_kern_gemv_blocked() with init + S x_sparse in place of init, summed
 * in registers per row block; the same bits as acd_kern_sparse_axpy() into
 * a copy of init and then acd_kern_gemv_blocked(). RT-safe. */
void acd_kern_gemv_sparse(const float *W, size_t rows, size_t cols, const float *init,
                          const AcdKernSparse *sp, const float *u, size_t u_stride, size_t copies,
                          float *out, size_t out_stride);

/* acd_kern_gemv_sparse() with W stored as bf16 (the same blocked layout;
 * sp may be NULL): half the bytes to stream, each weight widened exactly,
 * products and sums in F32. RT-safe. */
void acd_kern_gemv_blocked_bf16(const uint16_t *W, size_t rows, size_t cols, const float *init,
                                const AcdKernSparse *sp, const float *u, size_t u_stride,
                                size_t copies, float *out, size_t out_stride);

/* bf16 blocked matrices pair rows j and j + 8 of each block of 16 in one
 * 32-bit word (low half, high half), so the kernel widens them with a
 * shift and a mask: row r's weights go where the F32 layout puts row
 * acd_kern_bf16_slot(r). RT-safe. */
size_t acd_kern_bf16_slot(size_t r);

/* x rounded to the nearest bf16 (ties to even), x finite. RT-safe. */
uint16_t acd_kern_to_bf16(float x);

/* Write the indices and values of the non-zero entries of x (n < 65536
 * floats) to idx and val, which hold n entries each; return the count.
 * NaN counts as non-zero, as in acd_kern_sparse_axpy(). RT-safe. */
size_t acd_kern_sparse_gather(const float *x, size_t n, uint16_t *idx, float *val);

/* acc += S x over the non-zero entries of x only, S column-major
 * (column k at S + k * rows, rows a multiple of ACD_KERN_PAD). Roll inputs
 * are mostly zeros, so this reads a few columns instead of the matrix.
 * RT-safe. */
void acd_kern_sparse_axpy(const float *S, size_t rows, size_t cols, const float *x, float *acc);

/* One LSTM cell update from pre-activations pre (gate blocks i, f, g, o of
 * hp floats each): c = f c + i g; h = o tanh(c). hp a multiple of
 * ACD_KERN_PAD. RT-safe. */
void acd_kern_lstm_cell(const float *pre, size_t hp, float *c, float *h);

/* The same with libm's expf and tanhf, scalar: the accuracy reference and
 * the baseline the fast cell was measured against. RT-safe. */
void acd_kern_lstm_cell_exact(const float *pre, size_t hp, float *c, float *h);

/* Vectorised sigmoid and tanh of n floats (n a multiple of ACD_KERN_PAD),
 * as used by the cell; exposed for the accuracy tests. RT-safe. */
void acd_kern_sigmoid(const float *x, size_t n, float *y);
void acd_kern_tanh(const float *x, size_t n, float *y);

#endif
