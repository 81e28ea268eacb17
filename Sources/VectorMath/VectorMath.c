// Vectorised kernels of the E-step: the log-sum-exp over components, the quadratic features and
// the fused quadratic-feature chunk. The rest of the engine is Swift; these are C because Swift
// cannot compile one function for AVX2 and FMA while keeping the package portable (that needs a
// per-function target attribute, as below; the processor is checked once, at run time).
#include "VectorMath.h"
#include <math.h>
#include <stdatomic.h>

#if defined(__x86_64__)
#define GMM_HAVE_AVX2_CODE 1
#endif

typedef double f64x4 __attribute__((ext_vector_type(4)));
typedef float f32x8 __attribute__((ext_vector_type(8)));
typedef int i32x4 __attribute__((ext_vector_type(4)));
typedef int i32x8 __attribute__((ext_vector_type(8)));
typedef long i64x4 __attribute__((ext_vector_type(4)));

int gmm_vector_math_uses_avx2(void) {
#if GMM_HAVE_AVX2_CODE
    // Threads may ask at the same time (gmm select fits candidates in parallel): an atomic
    // cache, since every thread computes the same answer (ThreadSanitizer flagged the plain int).
    static _Atomic int cached = -1;
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        atomic_store_explicit(&cached, known, memory_order_relaxed);
    }
    return known;
#else
    return 0;
#endif
}

// MARK: - exp over vectors

#if GMM_HAVE_AVX2_CODE
/// exp(x) for four doubles: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2, so n ln2
/// is exact), e^r by its Taylor series to degree 13 (truncation below 1e-19), times 2^n built
/// in the exponent bits. Inputs below -708 give 0 (the E-step feeds only values <= 0).
__attribute__((target("avx2,fma")))
static inline f64x4 exp_f64x4(f64x4 x) {
    i64x4 underflow = x < -708.0;
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, (f64x4)-708.0), (f64x4)709.0);
    f64x4 n = __builtin_elementwise_rint(x * 1.4426950408889634074);
    f64x4 r = __builtin_elementwise_fma(-n, (f64x4)6.93147180369123816490e-01, x);
    r = __builtin_elementwise_fma(-n, (f64x4)1.90821492927058770002e-10, r);
    static const double coefficients[] = {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
        1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
    f64x4 p = (f64x4)coefficients[0];
    for (int i = 1; i < 14; i++) p = __builtin_elementwise_fma(p, r, (f64x4)coefficients[i]);
    i64x4 e = (__builtin_convertvector(__builtin_convertvector(n, i32x4), i64x4) + 1023) << 52;
    f64x4 result = p * (f64x4)e;
    return (f64x4)((i64x4)result & ~underflow);
}

/// exp(x) for eight floats, as exp_f64x4 with a degree-7 series (truncation below 1e-8
/// relative, under half a float ulp); inputs below -87 give 0.
__attribute__((target("avx2,fma")))
static inline f32x8 exp_f32x8(f32x8 x) {
    i32x8 underflow = x < -87.0f;
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, (f32x8)-87.0f), (f32x8)88.0f);
    f32x8 n = __builtin_elementwise_rint(x * 1.44269504f);
    f32x8 r = __builtin_elementwise_fma(-n, (f32x8)0.693359375f, x);
    r = __builtin_elementwise_fma(-n, (f32x8)-2.12194440e-4f, r);
    static const float coefficients[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
    f32x8 p = (f32x8)coefficients[0];
    for (int i = 1; i < 8; i++) p = __builtin_elementwise_fma(p, r, (f32x8)coefficients[i]);
    i32x8 e = (__builtin_convertvector(n, i32x8) + 127) << 23;
    f32x8 result = p * (f32x8)e;
    return (f32x8)((i32x8)result & ~underflow);
}
#endif

// MARK: - log-sum-exp over rows

/// Subtracts each row's maximum from the row, storing the maxima in `maxima`.
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
__attribute__((target("avx2,fma")))
static void exp_in_place_avx2(double *v, long count) {
    long i = 0;
    for (; i + 4 <= count; i += 4) {
        f64x4 x;
        __builtin_memcpy(&x, v + i, sizeof x);
        x = exp_f64x4(x);
        __builtin_memcpy(v + i, &x, sizeof x);
    }
    if (i < count) {
        f64x4 tail = (f64x4)0.0;
        for (long j = i; j < count; j++) tail[j - i] = v[j];
        tail = exp_f64x4(tail);
        for (long j = i; j < count; j++) v[j] = tail[j - i];
    }
}
#endif

static void exp_in_place_libm(double *v, long count) {
    for (long i = 0; i < count; i++) v[i] = exp(v[i]);
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

// MARK: - quadratic features

long gmm_quadratic_feature_count(long columns, int diagonal) {
    return (diagonal ? columns : columns * (columns + 1) / 2) + columns + 1;
}

/// The body of gmm_quadratic_features[_f32], compiled for AVX2 and for the baseline.
#define QUADRATIC_FEATURES_BODY                                                         \
    long d = columns, m = gmm_quadratic_feature_count(d, diagonal);                     \
    for (long n = 0; n < rows; n++) {                                                   \
        const T *xn = x + n * stride;                                                   \
        T *zn = z + n * m;                                                              \
        for (long j = 0; j < d; j++) scratch[j] = xn[j] - center[j];                    \
        if (diagonal) {                                                                 \
            for (long j = 0; j < d; j++) zn[j] = scratch[j] * scratch[j];               \
            zn += d;                                                                    \
        } else {                                                                        \
            for (long i = 0; i < d; i++) {                                              \
                T xi = scratch[i];                                                      \
                for (long j = i; j < d; j++) zn[j - i] = xi * scratch[j];               \
                zn += d - i;                                                            \
            }                                                                           \
        }                                                                               \
        for (long j = 0; j < d; j++) zn[j] = scratch[j];                                \
        zn[d] = 1;                                                                      \
    }

#if GMM_HAVE_AVX2_CODE
#define AVX2_TARGET __attribute__((target("avx2,fma")))
#else
#define AVX2_TARGET
#endif

#define QUADRATIC_FEATURES(NAME, TYPE)                                                                      \
    typedef TYPE NAME##_scalar;                                                                             \
    AVX2_TARGET static void NAME##_avx2(const TYPE *restrict x, long rows, long columns, long stride, int diagonal, \
                                        const TYPE *restrict center, TYPE *restrict z, TYPE *restrict scratch) { \
        typedef TYPE T;                                                                                     \
        QUADRATIC_FEATURES_BODY                                                                             \
    }                                                                                                       \
    static void NAME##_baseline(const TYPE *restrict x, long rows, long columns, long stride, int diagonal, \
                                const TYPE *restrict center, TYPE *restrict z, TYPE *restrict scratch) {    \
        typedef TYPE T;                                                                                     \
        QUADRATIC_FEATURES_BODY                                                                             \
    }                                                                                                       \
    void NAME(const TYPE *x, long rows, long columns, long stride, int diagonal, const TYPE *center, TYPE *z, \
              TYPE *scratch) {                                                                              \
        if (gmm_vector_math_uses_avx2()) NAME##_avx2(x, rows, columns, stride, diagonal, center, z, scratch); \
        else NAME##_baseline(x, rows, columns, stride, diagonal, center, z, scratch);                       \
    }

QUADRATIC_FEATURES(gmm_quadratic_features, double)
QUADRATIC_FEATURES(gmm_quadratic_features_f32, float)

// MARK: - k-means assignment

/// The body of gmm_nearest_centers[_f32]: exactly the scalar sums `Σ_j (x_j - p_j)²` in feature
/// order (a multiply, then an add: no fused multiply-add), four centres per vector.
#define NEAREST_CENTERS_BODY                                                                    \
    long changed = 0;                                                                           \
    for (long n = 0; n < rows; n++) {                                                           \
        const T *xn = x + n * columns;                                                          \
        double bestDistance = INFINITY;                                                         \
        long best = 0, c = 0;                                                                   \
        for (; vectors && c + 4 <= k; c += 4) {                                                 \
            f64x4 sum = (f64x4)0.0;                                                             \
            for (long j = 0; j < columns; j++) {                                                \
                f64x4 p;                                                                        \
                __builtin_memcpy(&p, centersByFeature + j * k + c, sizeof p);                   \
                f64x4 t = (f64x4)(double)xn[j] - p;                                             \
                f64x4 square = t * t;                                                           \
                sum = sum + square;                                                             \
            }                                                                                   \
            for (int lane = 0; lane < 4; lane++) {                                              \
                if (sum[lane] < bestDistance) { bestDistance = sum[lane]; best = c + lane; }    \
            }                                                                                   \
        }                                                                                       \
        for (; c < k; c++) {                                                                    \
            double sum = 0;                                                                     \
            for (long j = 0; j < columns; j++) {                                                \
                double t = (double)xn[j] - centersByFeature[j * k + c];                         \
                double square = t * t;                                                          \
                sum = sum + square;                                                             \
            }                                                                                   \
            if (sum < bestDistance) { bestDistance = sum; best = c; }                           \
        }                                                                                       \
        if (labels[n] != (int)best) changed++;                                                  \
        labels[n] = (int)best;                                                                  \
    }                                                                                           \
    return changed;

#define NEAREST_CENTERS(NAME, TYPE)                                                                         \
    AVX2_TARGET static long NAME##_avx2(const TYPE *x, long rows, long columns, const double *centersByFeature, \
                                        long k, int *labels) {                                              \
        typedef TYPE T; const int vectors = 1;                                                              \
        NEAREST_CENTERS_BODY                                                                                \
    }                                                                                                       \
    static long NAME##_baseline(const TYPE *x, long rows, long columns, const double *centersByFeature,    \
                                long k, int *labels) {                                                      \
        typedef TYPE T; const int vectors = 0;                                                              \
        NEAREST_CENTERS_BODY                                                                                \
    }                                                                                                       \
    long NAME(const TYPE *x, long rows, long columns, const double *centersByFeature, long k, int *labels) { \
        return gmm_vector_math_uses_avx2() ? NAME##_avx2(x, rows, columns, centersByFeature, k, labels)     \
                                           : NAME##_baseline(x, rows, columns, centersByFeature, k, labels); \
    }

/// k-means++ in a chunk: the bodies of gmm_seed_potentials[_f32] and gmm_seed_closest[_f32].
/// The scaled distance of row n to point p is `(w_n · unit) · Σ_j (x_nj - p_j)²`, and
/// `min(a, b)` is Swift's, `b < a ? b : a`.
#define SCALED_DISTANCE(XN, P)                                                                  \
    double sum = 0;                                                                             \
    for (long j = 0; j < columns; j++) {                                                        \
        double t = (double)(XN)[j] - (P)[j];                                                    \
        double square = t * t;                                                                  \
        sum = sum + square;                                                                     \
    }                                                                                           \
    double value = (weights ? weights[n] : 1.0) * unit * sum;

#define SEED_KERNELS(POTENTIALS, CLOSEST, TYPE)                                                               \
    void POTENTIALS(const TYPE *x, const double *weights, long rows, long columns, const double *candidates,  \
                    long trials, double unit, const float *closest, double *sums) {                          \
        for (long n = 0; n < rows; n++) {                                                                     \
            const TYPE *xn = x + n * columns;                                                                 \
            double floor = (double)closest[n];                                                                \
            for (long c = 0; c < trials; c++) {                                                               \
                SCALED_DISTANCE(xn, candidates + c * columns)                                                 \
                sums[c] = sums[c] + (value < floor ? value : floor);                                          \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    void CLOSEST(const TYPE *x, const double *weights, long rows, long columns, const double *point,         \
                 double unit, float *closest) {                                                               \
        for (long n = 0; n < rows; n++) {                                                                     \
            SCALED_DISTANCE(x + n * columns, point)                                                           \
            float candidate = (float)value;                                                                   \
            closest[n] = candidate < closest[n] ? candidate : closest[n];                                     \
        }                                                                                                     \
    }

// No contraction of t * t + sum into a fused multiply-add here: the sums must round as the
// plain loops do, so that the k-means labels do not depend on the processor.
#pragma clang fp contract(off)
NEAREST_CENTERS(gmm_nearest_centers, double)
NEAREST_CENTERS(gmm_nearest_centers_f32, float)
SEED_KERNELS(gmm_seed_potentials, gmm_seed_closest, double)
SEED_KERNELS(gmm_seed_potentials_f32, gmm_seed_closest_f32, float)
#pragma clang fp contract(on)

// MARK: - the fused chunk

#if GMM_HAVE_AVX2_CODE
enum { FUSED_BLOCKS = 8, FUSED_MAX_FEATURES = GMM_FUSED_MAX_FEATURES };

#define NAME gmm_fused_quadratic_chunk
#define T double
#define V f64x4
#define L 4
#define EXPV exp_f64x4
#define BIG 1e250
#include "FusedKernelTemplate.h"

#define NAME gmm_fused_quadratic_chunk_f32
#define T float
#define V f32x8
#define L 8
#define EXPV exp_f32x8
#define BIG 1e30f
#include "FusedKernelTemplate.h"
#else
// Never called: gmm_vector_math_uses_avx2() is 0 on this build.
double gmm_fused_quadratic_chunk(const double *x, const double *weights, long rows, long columns, int diagonal, const double *center,
                                 const double *theta, long components, double *laneSums, double *scratch) {
    (void)x; (void)weights; (void)rows; (void)diagonal; (void)columns; (void)center; (void)theta; (void)components; (void)laneSums; (void)scratch;
    return NAN;
}
double gmm_fused_quadratic_chunk_f32(const float *x, const double *weights, long rows, long columns, int diagonal, const float *center,
                                     const float *theta, long components, float *laneSums, float *scratch) {
    (void)x; (void)weights; (void)rows; (void)diagonal; (void)columns; (void)center; (void)theta; (void)components; (void)laneSums; (void)scratch;
    return NAN;
}
#endif
