// The row-side work of the GEMM k-means assignment (gmm_kmeans_shift_rows[_f32],
// gmm_kmeans_gemm_labels[_f32]); the GEMM itself is the caller's.
#include "Vectors.h"
#include <math.h>

// No fused multiply-adds: the row norms enter a rounding bound derived for separate roundings.
#pragma clang fp contract(off)

// Hamerly's bounds as floats, rounded outward by widening before the conversion (more than a
// float's rounding: relative 2^-24, absolute 2^-150 below the normal range), for a double or
// each lane of a vector of them. A lower bound stays finite (at most one float below the
// greatest); one below 2^-100 is stored as 0, a valid bound, so that no subnormal is rounded
// (it costs at most a row that could have skipped its distances).
#define GMM_WIDENED_UP(value) ((value) * (1 + 0x1p-22) + 0x1p-140)
#define GMM_WIDENED_DOWN(value) ((value) * (1 - 0x1p-22) - 0x1p-140)
#define GMM_LOWER_CEILING 0x1.fffffcp127
#define GMM_LOWER_FLOOR 0x1p-100

/// `value` rounded up to a float. Branch-free.
static inline float gmm_float_above(double value) { return (float)GMM_WIDENED_UP(value); }

/// `value` rounded down to a float, and finite.
static inline float gmm_float_below(double value) {
    double below = GMM_WIDENED_DOWN(value);
    return (float)(below < GMM_LOWER_CEILING ? below : GMM_LOWER_CEILING);
}

/// `mask ? a : b` lane by lane, for a mask from a vector comparison.
#define GMM_SELECT(mask, a, b) ((f64x4)(((mask) & (i64x4)(a)) | (~(mask) & (i64x4)(b))))

/// The first `lanes` rows' distance bounds (see gmm_kmeans_gemm_labels) from their row norms,
/// least and second least GEMM values and error bounds, one row a lane: the rows whose values
/// `decided` them get `√(norm + least + bound)` and `√(norm + second - bound)` times `scale`,
/// rounded outward; the others none (`+inf` and 0). (Vectors by address: the baseline version
/// has no AVX registers to pass them in.)
static inline __attribute__((always_inline))
void gmm_kmeans_distance_bounds(const f64x4 *norms, const f64x4 *bestValue, const f64x4 *second, const f64x4 *bounds,
                                const i64x4 *decided, double scale, float *upper, float *lower, int lanes) {
    f64x4 u = __builtin_elementwise_sqrt(*norms + *bestValue + *bounds) * scale;
    f64x4 l = __builtin_elementwise_sqrt(__builtin_elementwise_max(*norms + *second - *bounds, (f64x4)0.0)) * scale;
    f64x4 below = __builtin_elementwise_min(GMM_WIDENED_DOWN(l), (f64x4)GMM_LOWER_CEILING);
    l = GMM_SELECT(l >= GMM_LOWER_FLOOR, below, (f64x4)0.0);
    f32x4 up = __builtin_convertvector(GMM_SELECT(*decided, GMM_WIDENED_UP(u), (f64x4)INFINITY), f32x4);
    f32x4 low = __builtin_convertvector(GMM_SELECT(*decided, l, (f64x4)0.0), f32x4);
    for (int lane = 0; lane < lanes; lane++) {
        upper[lane] = up[lane];
        lower[lane] = low[lane];
    }
}

long gmm_kmeans_bounds_update(long rows, const int *labels, float *upper, float *lower, const double *moved,
                              const double *othersMoved, double ratio, double floor, int *candidates) {
    long m = 0;
    for (long n = 0; n < rows; n++) {
        int a = labels[n];
        if (a < 0) {
            candidates[m++] = (int)n;
            continue;
        }
        // Each sum or difference is within a rounding (2^-53) of the exact one: widened by 2^-51.
        double u = ((double)upper[n] + moved[a]) * (1 + 0x1p-51);
        double l = ((double)lower[n] - othersMoved[a]) * (1 - 0x1p-51);
        if (l > u * ratio && l > floor) {
            upper[n] = gmm_float_above(u);
            lower[n] = gmm_float_below(l);
        } else {
            candidates[m++] = (int)n;
        }
    }
    return m;
}

#define T double
#define SUFFIX
#include "KMeansGEMMTemplate.h"

#define T float
#define SUFFIX _f32
#include "KMeansGEMMTemplate.h"
#pragma clang fp contract(on)
