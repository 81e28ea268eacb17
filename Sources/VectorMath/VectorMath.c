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
