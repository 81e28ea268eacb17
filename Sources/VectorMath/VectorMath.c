// Vectorised exponentials for the E-step's log-sum-exp. The rest of the engine is Swift;
// this is C because Swift cannot compile one function for AVX2 and FMA while keeping the
// package portable (that needs a per-function target attribute, as below).
#include "VectorMath.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define GMM_HAVE_AVX2_CODE 1
#endif

/// Subtracts each row's maximum from the row, storing the maxima in `maxima`
static void subtract_row_maxima(double *v, long rows, long columns, double *maxima) {
    for (long i = 0; i < rows; i++) {
        double *row = v + i * columns;
        double m = row[0];
        for (long j = 1; j < columns; j++) m = row[j] > m ? row[j] : m;
        // A row of -inf (every component impossible) stays -inf and gives a -inf log-sum.
        double shift = isfinite(m) ? m : 0;
        for (long j = 0; j < columns; j++) row[j] -= shift;
        maxima[i] = m;
    }
}

/// Divides each row by its sum and returns Σ (m_i + log s_i).
static double scale_rows(double *v, long rows, long columns, const double *maxima, double *logSums) {
    double total = 0;
    for (long i = 0; i < rows; i++) {
        double *row = v + i * columns;
        double s = 0;
        for (long j = 0; j < columns; j++) s += row[j];
        double logSum = isfinite(maxima[i]) ? maxima[i] + log(s) : maxima[i];
        double scale = 1 / s;
        for (long j = 0; j < columns; j++) row[j] *= scale;
        if (logSums) logSums[i] = logSum;
        total += logSum;
    }
    return total;
}

#if GMM_HAVE_AVX2_CODE
/// exp(x) for four doubles: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2, so n ln2
/// is exact), e^r by its Taylor series to degree 13 (truncation below 1e-19), times 2^n built
/// in the exponent bits. Inputs below -708 give 0 (the E-step feeds only values <= 0).
__attribute__((target("avx2,fma")))
static inline __m256d exp4(__m256d x) {
    const __m256d low = _mm256_set1_pd(-708.0);
    __m256d underflow = _mm256_cmp_pd(x, low, _CMP_LT_OQ);
    x = _mm256_max_pd(x, low);
    x = _mm256_min_pd(x, _mm256_set1_pd(709.0));
    __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634074)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
    __m256d p = _mm256_set1_pd(1.0 / 6227020800.0);
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 479001600.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 39916800.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 3628800.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 362880.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 40320.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 5040.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 720.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 120.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 24.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 6.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    __m256i e = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n));
    e = _mm256_slli_epi64(_mm256_add_epi64(e, _mm256_set1_epi64x(1023)), 52);
    __m256d result = _mm256_mul_pd(p, _mm256_castsi256_pd(e));
    return _mm256_andnot_pd(underflow, result);
}

__attribute__((target("avx2,fma")))
static void exp_in_place_avx2(double *v, long count) {
    long i = 0;
    for (; i + 4 <= count; i += 4) _mm256_storeu_pd(v + i, exp4(_mm256_loadu_pd(v + i)));
    if (i < count) {
        double tail[4] = {0, 0, 0, 0};
        for (long j = i; j < count; j++) tail[j - i] = v[j];
        _mm256_storeu_pd(tail, exp4(_mm256_loadu_pd(tail)));
        for (long j = i; j < count; j++) v[j] = tail[j - i];
    }
}
#endif

/// The body of gmm_quadratic_features, compiled twice: for AVX2 and for the baseline.
#define QUADRATIC_FEATURES_BODY                                                         \
    long d = columns, m = d * (d + 1) / 2 + d + 1;                                      \
    for (long n = 0; n < rows; n++) {                                                   \
        const double *xn = x + n * stride;                                              \
        double *zn = z + n * m;                                                         \
        for (long j = 0; j < d; j++) scratch[j] = xn[j] - center[j];                    \
        for (long i = 0; i < d; i++) {                                                  \
            double xi = scratch[i];                                                     \
            for (long j = i; j < d; j++) zn[j - i] = xi * scratch[j];                   \
            zn += d - i;                                                                \
        }                                                                               \
        for (long j = 0; j < d; j++) zn[j] = scratch[j];                                \
        zn[d] = 1;                                                                      \
    }

#if GMM_HAVE_AVX2_CODE
__attribute__((target("avx2,fma")))
static void quadratic_features_avx2(const double *restrict x, long rows, long columns, long stride,
                                    const double *restrict center, double *restrict z, double *restrict scratch) {
    QUADRATIC_FEATURES_BODY
}
#endif

static void quadratic_features_baseline(const double *restrict x, long rows, long columns, long stride,
                                        const double *restrict center, double *restrict z, double *restrict scratch) {
    QUADRATIC_FEATURES_BODY
}

void gmm_quadratic_features(const double *x, long rows, long columns, long stride, const double *center,
                            double *z, double *scratch) {
#if GMM_HAVE_AVX2_CODE
    if (gmm_vector_math_uses_avx2()) {
        quadratic_features_avx2(x, rows, columns, stride, center, z, scratch);
        return;
    }
#endif
    quadratic_features_baseline(x, rows, columns, stride, center, z, scratch);
}

#if GMM_HAVE_AVX2_CODE
enum { FUSED_BLOCKS = 8 };  // row blocks of 4 per sub-chunk: 32 rows

/// Adds log s over the lanes of `product` to *total and resets it; called before it can overflow.
__attribute__((target("avx2,fma")))
static inline __m256d flush_products(__m256d product, double *total) {
    double lanes[4];
    _mm256_storeu_pd(lanes, product);
    *total += log(lanes[0]) + log(lanes[1]) + log(lanes[2]) + log(lanes[3]);
    return _mm256_set1_pd(1.0);
}

__attribute__((target("avx2,fma")))
double gmm_fused_quadratic_chunk(const double *x, long rows, long columns, const double *center,
                                 const double *theta, long components, double *laneSums, double *scratch) {
    const long d = columns, k = components, m = d * (d + 1) / 2 + d + 1;
    __m256d *z = (__m256d *)scratch;            // FUSED_BLOCKS x M: feature p of 4 rows
    __m256d *r = z + FUSED_BLOCKS * m;          // FUSED_BLOCKS x K: log-densities, then responsibilities
    __m256d *sums = (__m256d *)laneSums;        // K x M
    __m256d maxima = _mm256_setzero_pd(), product = _mm256_set1_pd(1.0);
    double total = 0;
    for (long start = 0; start < rows; start += 4 * FUSED_BLOCKS) {
        long blocks = (rows - start + 3) / 4;
        if (blocks > FUSED_BLOCKS) blocks = FUSED_BLOCKS;
        // Features, four rows per vector; missing rows of the last block are the centre (z = e_M).
        for (long b = 0; b < blocks; b++) {
            __m256d xv[64];
            long first = start + 4 * b;
            const double *row[4];
            for (long lane = 0; lane < 4; lane++) row[lane] = first + lane < rows ? x + (first + lane) * d : center;
            for (long j = 0; j < d; j++) {
                xv[j] = _mm256_sub_pd(_mm256_set_pd(row[3][j], row[2][j], row[1][j], row[0][j]), _mm256_broadcast_sd(center + j));
            }
            __m256d *zb = z + b * m;
            long p = 0;
            for (long i = 0; i < d; i++) {
                for (long j = i; j < d; j++) zb[p++] = _mm256_mul_pd(xv[i], xv[j]);
            }
            for (long i = 0; i < d; i++) zb[p++] = xv[i];
            zb[p] = _mm256_set1_pd(1.0);
        }
        // Log-densities: r[b][c] = Σ_p θ[p, c] z[b][p], two blocks and four components at a time.
        for (long b = 0; b < blocks; b += 2) {
            const __m256d *z0 = z + b * m, *z1 = z + (b + 1 < blocks ? b + 1 : b) * m;
            for (long c = 0; c < k; c += 4) {
                long width = k - c < 4 ? k - c : 4;
                __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                const double *t = theta + c;
                if (width == 4) {
                    for (long p = 0; p < m; p++, t += k) {
                        __m256d u = z0[p], v = z1[p];
                        __m256d t0 = _mm256_broadcast_sd(t), t1 = _mm256_broadcast_sd(t + 1);
                        __m256d t2 = _mm256_broadcast_sd(t + 2), t3 = _mm256_broadcast_sd(t + 3);
                        a0 = _mm256_fmadd_pd(t0, u, a0); b0 = _mm256_fmadd_pd(t0, v, b0);
                        a1 = _mm256_fmadd_pd(t1, u, a1); b1 = _mm256_fmadd_pd(t1, v, b1);
                        a2 = _mm256_fmadd_pd(t2, u, a2); b2 = _mm256_fmadd_pd(t2, v, b2);
                        a3 = _mm256_fmadd_pd(t3, u, a3); b3 = _mm256_fmadd_pd(t3, v, b3);
                    }
                } else {
                    for (long p = 0; p < m; p++, t += k) {
                        __m256d u = z0[p], v = z1[p];
                        __m256d t0 = _mm256_broadcast_sd(t);
                        __m256d t1 = width > 1 ? _mm256_broadcast_sd(t + 1) : t0;
                        __m256d t2 = width > 2 ? _mm256_broadcast_sd(t + 2) : t0;
                        a0 = _mm256_fmadd_pd(t0, u, a0); b0 = _mm256_fmadd_pd(t0, v, b0);
                        a1 = _mm256_fmadd_pd(t1, u, a1); b1 = _mm256_fmadd_pd(t1, v, b1);
                        a2 = _mm256_fmadd_pd(t2, u, a2); b2 = _mm256_fmadd_pd(t2, v, b2);
                    }
                }
                __m256d *r0 = r + b * k + c, *r1 = r + (b + 1) * k + c;
                __m256d as[4] = {a0, a1, a2, a3}, bs[4] = {b0, b1, b2, b3};
                for (long q = 0; q < width; q++) {
                    r0[q] = as[q];
                    if (b + 1 < blocks) r1[q] = bs[q];
                }
            }
        }
        // Responsibilities and Σ log p, lane by lane; rows past the end get r = 0.
        for (long b = 0; b < blocks; b++) {
            __m256d *rb = r + b * k;
            __m256d top = rb[0];
            for (long c = 1; c < k; c++) top = _mm256_max_pd(top, rb[c]);
            __m256d sum = _mm256_setzero_pd();
            for (long c = 0; c < k; c++) {
                rb[c] = exp4(_mm256_sub_pd(rb[c], top));
                sum = _mm256_add_pd(sum, rb[c]);
            }
            long valid = rows - (start + 4 * b);
            double laneMask[4] = {1, valid > 1, valid > 2, valid > 3};
            __m256d mask = _mm256_loadu_pd(laneMask);
            __m256d scale = _mm256_div_pd(mask, sum);
            for (long c = 0; c < k; c++) rb[c] = _mm256_mul_pd(rb[c], scale);
            maxima = _mm256_fmadd_pd(top, mask, maxima);
            // Product of the sums (each in [1, K]) with the missing lanes at 1: one log per flush.
            product = _mm256_mul_pd(product, _mm256_blendv_pd(_mm256_set1_pd(1.0), sum, _mm256_cmp_pd(mask, _mm256_setzero_pd(), _CMP_GT_OQ)));
            if (_mm256_movemask_pd(_mm256_cmp_pd(product, _mm256_set1_pd(1e250), _CMP_GT_OQ))) {
                product = flush_products(product, &total);
            }
        }
        // Sums: laneSums[c][p] += r[b][c] z[b][p] over the blocks, four components x two features a tile.
        for (long c = 0; c < k; c += 4) {
            long width = k - c < 4 ? k - c : 4;
            for (long p = 0; p < m; p += 2) {
                long pairs = m - p < 2 ? 1 : 2;
                if (width == 4 && pairs == 2) {
                    __m256d *o = sums + c * m + p;
                    __m256d s00 = o[0], s01 = o[1], s10 = o[m], s11 = o[m + 1];
                    __m256d s20 = o[2 * m], s21 = o[2 * m + 1], s30 = o[3 * m], s31 = o[3 * m + 1];
                    for (long b = 0; b < blocks; b++) {
                        const __m256d *rb = r + b * k + c, *zb = z + b * m + p;
                        __m256d z0 = zb[0], z1 = zb[1];
                        s00 = _mm256_fmadd_pd(rb[0], z0, s00); s01 = _mm256_fmadd_pd(rb[0], z1, s01);
                        s10 = _mm256_fmadd_pd(rb[1], z0, s10); s11 = _mm256_fmadd_pd(rb[1], z1, s11);
                        s20 = _mm256_fmadd_pd(rb[2], z0, s20); s21 = _mm256_fmadd_pd(rb[2], z1, s21);
                        s30 = _mm256_fmadd_pd(rb[3], z0, s30); s31 = _mm256_fmadd_pd(rb[3], z1, s31);
                    }
                    o[0] = s00; o[1] = s01; o[m] = s10; o[m + 1] = s11;
                    o[2 * m] = s20; o[2 * m + 1] = s21; o[3 * m] = s30; o[3 * m + 1] = s31;
                    continue;
                }
                for (long q = 0; q < width; q++) {
                    for (long e = 0; e < pairs; e++) {
                        __m256d acc = sums[(c + q) * m + p + e];
                        for (long b = 0; b < blocks; b++) acc = _mm256_fmadd_pd(r[b * k + c + q], z[b * m + p + e], acc);
                        sums[(c + q) * m + p + e] = acc;
                    }
                }
            }
        }
    }
    flush_products(product, &total);
    double lanes[4];
    _mm256_storeu_pd(lanes, maxima);
    return total + lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#else
double gmm_fused_quadratic_chunk(const double *x, long rows, long columns, const double *center,
                                 const double *theta, long components, double *laneSums, double *scratch) {
    (void)x; (void)rows; (void)columns; (void)center; (void)theta; (void)components; (void)laneSums; (void)scratch;
    return NAN;  // never called: gmm_vector_math_uses_avx2() is 0 on this build
}
#endif

static void exp_in_place_libm(double *v, long count) {
    for (long i = 0; i < count; i++) v[i] = exp(v[i]);
}

int gmm_vector_math_uses_avx2(void) {
#if GMM_HAVE_AVX2_CODE
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
#else
    return 0;
#endif
}

double gmm_normalize_rows(double *values, long rows, long columns, double *logSums) {
    if (rows <= 0 || columns <= 0) return 0;
    // Row maxima go in a small stack buffer, a block of rows at a time.
    enum { BLOCK = 256 };
    double maxima[BLOCK];
    double total = 0;
    int avx2 = gmm_vector_math_uses_avx2();
    for (long start = 0; start < rows; start += BLOCK) {
        long n = rows - start < BLOCK ? rows - start : BLOCK;
        double *v = values + start * columns;
        subtract_row_maxima(v, n, columns, maxima);
#if GMM_HAVE_AVX2_CODE
        if (avx2) exp_in_place_avx2(v, n * columns); else exp_in_place_libm(v, n * columns);
#else
        (void)avx2;
        exp_in_place_libm(v, n * columns);
#endif
        total += scale_rows(v, n, columns, maxima, logSums ? logSums + start : 0);
    }
    return total;
}
