// The row-side work of the GEMM k-means assignment for rows of one scalar type: shifting a chunk
// of rows, and deciding each row's label from its GEMM products. KMeansGEMM.c includes this once
// per type, with fused multiply-adds off, and with these macros defined:
//   T        the scalar of the rows and of the products (double, float)
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_kmeans_shift_rows and gmm_kmeans_gemm_labels in CGaussianMixturesKernels.h for the
// contracts. The macros are undefined at the end, ready for the next type.

void GMM_JOIN(gmm_kmeans_shift_rows, SUFFIX)(const T *x, long rows, long columns, const T *shift, T *shifted,
                                             double *norms) {
    // The norms only enter a bound that holds for any order of summation: four partial sums.
    for (long n = 0; n < rows; n++) {
        const T *xn = x + n * columns;
        f64x4 partial = (f64x4)0.0;
        long j = 0;
        for (; j + 4 <= columns; j += 4) {
            T v[4];
            for (int lane = 0; lane < 4; lane++) v[lane] = xn[j + lane] - shift[j + lane];
            if (shifted) __builtin_memcpy(shifted + n * columns + j, v, sizeof v);
            f64x4 wide = (f64x4){(double)v[0], (double)v[1], (double)v[2], (double)v[3]};
            partial = partial + wide * wide;
        }
        double norm = (partial[0] + partial[1]) + (partial[2] + partial[3]);
        for (; j < columns; j++) {
            T value = xn[j] - shift[j];
            if (shifted) shifted[n * columns + j] = value;
            norm = norm + (double)value * (double)value;
        }
        norms[n] = norm;
    }
}

/// Row n's label from its bests (see gmm_kmeans_gemm_labels); returns 1 when the label changed.
static inline __attribute__((always_inline))
long GMM_JOIN(decide_row, SUFFIX)(const T *x, long n, long columns, long k, long best, double bestValue, double second,
                                  int finite, double bound, const double *centersByFeature, int *labels,
                                  long *undecided) {
    if (finite && second - bestValue > bound) {
        long changed = labels[n] != (int)best;
        labels[n] = (int)best;
        return changed;
    }
    ++*undecided;
    return GMM_JOIN(gmm_nearest_centers, SUFFIX)(x + n * columns, 1, columns, centersByFeature, k, labels + n);
}

/// gmm_kmeans_gemm_labels; with `vectors` (a constant in each version) four rows at a time, one per
/// lane, without branches: the least value (the first on equal values, as `<` keeps it), the
/// second least, and whether all are finite.
static inline __attribute__((always_inline))
long GMM_JOIN(gemm_labels_rows, SUFFIX)(const T *x, long rows, long columns, const T *products, long k,
                                        const double *centerNorms, double largestCenterNorm, const double *rowNorms,
                                        double relativeBound, double absoluteBound, const double *centersByFeature,
                                        int *labels, long *undecided, float *upper, float *lower, double scale,
                                        int vectors) {
    long changed = 0, n = 0;
    for (; vectors && n + 4 <= rows; n += 4) {
        const T *p0 = products + n * k, *p1 = p0 + k, *p2 = p1 + k, *p3 = p2 + k;
        f64x4 bestValue = (f64x4)INFINITY, second = (f64x4)INFINITY, best = (f64x4)0.0;
        i64x4 finite = (i64x4)-1;
        for (long c = 0; c < k; c++) {
            f64x4 value = centerNorms[c] - 2 * (f64x4){(double)p0[c], (double)p1[c], (double)p2[c], (double)p3[c]};
            finite &= (value - value) == 0;
            i64x4 lower = value < bestValue, belowSecond = value < second;
            second = GMM_SELECT(lower, bestValue, GMM_SELECT(belowSecond, value, second));
            bestValue = GMM_SELECT(lower, value, bestValue);
            best = GMM_SELECT(lower, (f64x4)(double)c, best);
        }
        f64x4 norms = (f64x4){rowNorms[n], rowNorms[n + 1], rowNorms[n + 2], rowNorms[n + 3]};
        f64x4 bounds = relativeBound * (norms + largestCenterNorm) + absoluteBound;
        for (int lane = 0; lane < 4; lane++)
            changed += GMM_JOIN(decide_row, SUFFIX)(x, n + lane, columns, k, (long)best[lane], bestValue[lane],
                                                    second[lane], finite[lane] != 0, bounds[lane], centersByFeature,
                                                    labels, undecided);
        if (upper) {
            i64x4 decided = finite & (second - bestValue > bounds);
            gmm_kmeans_distance_bounds(&norms, &bestValue, &second, &bounds, &decided, scale, upper + n, lower + n, 4);
        }
    }
    for (; n < rows; n++) {
        const T *p = products + n * k;
        double bestValue = INFINITY, second = INFINITY;
        long best = 0;
        int finite = 1;
        for (long c = 0; c < k; c++) {
            double value = centerNorms[c] - 2 * (double)p[c];
            finite &= isfinite(value) != 0;
            if (value < bestValue) {
                second = bestValue;
                bestValue = value;
                best = c;
            } else if (value < second) {
                second = value;
            }
        }
        double bound = relativeBound * (rowNorms[n] + largestCenterNorm) + absoluteBound;
        changed += GMM_JOIN(decide_row, SUFFIX)(x, n, columns, k, best, bestValue, second, finite, bound,
                                                centersByFeature, labels, undecided);
        if (upper) {
            f64x4 norm1 = (f64x4)rowNorms[n], best1 = (f64x4)bestValue, second1 = (f64x4)second, bound1 = (f64x4)bound;
            i64x4 decided = (i64x4)-(long)(finite && second - bestValue > bound);
            gmm_kmeans_distance_bounds(&norm1, &best1, &second1, &bound1, &decided, scale, upper + n, lower + n, 1);
        }
    }
    return changed;
}

GMM_AVX2_TARGET
static long GMM_JOIN(gemm_labels_avx2, SUFFIX)(const T *x, long rows, long columns, const T *products, long k,
                                               const double *centerNorms, double largestCenterNorm,
                                               const double *rowNorms, double relativeBound, double absoluteBound,
                                               const double *centersByFeature, int *labels, long *undecided,
                                               float *upper, float *lower, double scale) {
    return GMM_JOIN(gemm_labels_rows, SUFFIX)(x, rows, columns, products, k, centerNorms, largestCenterNorm, rowNorms,
                                              relativeBound, absoluteBound, centersByFeature, labels, undecided, upper,
                                              lower, scale, 1);
}

long GMM_JOIN(gmm_kmeans_gemm_labels, SUFFIX)(const T *x, long rows, long columns, const T *products, long k,
                                              const double *centerNorms, double largestCenterNorm,
                                              const double *rowNorms, double relativeBound, double absoluteBound,
                                              const double *centersByFeature, int *labels, long *undecided,
                                              float *upper, float *lower, double scale) {
    if (gmm_vector_math_uses_avx2())
        return GMM_JOIN(gemm_labels_avx2, SUFFIX)(x, rows, columns, products, k, centerNorms, largestCenterNorm,
                                                  rowNorms, relativeBound, absoluteBound, centersByFeature, labels,
                                                  undecided, upper, lower, scale);
    return GMM_JOIN(gemm_labels_rows, SUFFIX)(x, rows, columns, products, k, centerNorms, largestCenterNorm, rowNorms,
                                              relativeBound, absoluteBound, centersByFeature, labels, undecided, upper,
                                              lower, scale, 0);
}

#undef T
#undef SUFFIX
