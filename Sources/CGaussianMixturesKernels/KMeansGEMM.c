// The row-side work of the GEMM k-means assignment (gmm_kmeans_shift_rows[_f32],
// gmm_kmeans_gemm_labels[_f32]); the GEMM itself is the caller's.
#include "Vectors.h"
#include <math.h>

// No fused multiply-adds: the row norms enter a rounding bound derived for separate roundings.
#pragma clang fp contract(off)

/// `value` rounded up to a float: widened by more than a float's rounding (relative `2^-24`,
/// absolute `2^-150` below the normal range). Branch-free.
static inline float gmm_float_above(double value) { return (float)(value * (1 + 0x1p-22) + 0x1p-140); }

/// `value` rounded down to a float, and finite (at most one float below the greatest).
static inline float gmm_float_below(double value) {
    double below = value * (1 - 0x1p-22) - 0x1p-140;
    return (float)(below < 0x1.fffffcp127 ? below : 0x1.fffffcp127);
}

/// A row's Hamerly bounds from bounds on its squared distances: `*upper ≥ √upperSquared · scale`
/// and `*lower ≤ √lowerSquared · scale` as floats, rounded outward (`scale` is a power of two).
/// A lower bound below `2^-100` is stored as 0 (a valid bound), so that no subnormal float is
/// rounded; it costs at most a row that could have skipped its distances.
static inline void gmm_distance_bounds(double upperSquared, double lowerSquared, double scale, float *upper,
                                       float *lower) {
    *upper = gmm_float_above(sqrt(upperSquared) * scale);
    double l = lowerSquared > 0 ? sqrt(lowerSquared) * scale : 0;
    *lower = l >= 0x1p-100 ? gmm_float_below(l) : 0;
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
