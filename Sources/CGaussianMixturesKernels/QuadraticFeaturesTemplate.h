// gmm_quadratic_features for one scalar type. QuadraticFeatures.c includes this once per type
// with these macros defined:
//   T        the scalar (double, float)
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_quadratic_features in CGaussianMixturesKernels.h for the contract. The macros are
// undefined at the end, ready for the next type.

/// The features of `rows` rows, inlined into an AVX2 version and a baseline version below so
/// that each is compiled for its instruction set; their `restrict` pointers (the four arrays do
/// not overlap) let the compiler vectorise it.
static inline __attribute__((always_inline))
void GMM_JOIN(quadratic_features_rows, SUFFIX)(const T *x, long rows, long columns, long stride, int diagonal,
                                               const T *center, T *z, T *scratch) {
    long d = columns, m = gmm_quadratic_feature_count(d, diagonal);
    for (long n = 0; n < rows; n++) {
        const T *xn = x + n * stride;
        T *zn = z + n * m;
        for (long j = 0; j < d; j++) scratch[j] = xn[j] - center[j];
        if (diagonal) {
            for (long j = 0; j < d; j++) zn[j] = scratch[j] * scratch[j];
            zn += d;
        } else {
            for (long i = 0; i < d; i++) {
                T xi = scratch[i];
                for (long j = i; j < d; j++) zn[j - i] = xi * scratch[j];
                zn += d - i;
            }
        }
        for (long j = 0; j < d; j++) zn[j] = scratch[j];
        zn[d] = 1;
    }
}

GMM_AVX2_TARGET
static void GMM_JOIN(quadratic_features_avx2, SUFFIX)(const T *restrict x, long rows, long columns, long stride, int diagonal,
                                                      const T *restrict center, T *restrict z, T *restrict scratch) {
    GMM_JOIN(quadratic_features_rows, SUFFIX)(x, rows, columns, stride, diagonal, center, z, scratch);
}

static void GMM_JOIN(quadratic_features_baseline, SUFFIX)(const T *restrict x, long rows, long columns, long stride, int diagonal,
                                                          const T *restrict center, T *restrict z, T *restrict scratch) {
    GMM_JOIN(quadratic_features_rows, SUFFIX)(x, rows, columns, stride, diagonal, center, z, scratch);
}

void GMM_JOIN(gmm_quadratic_features, SUFFIX)(const T *x, long rows, long columns, long stride, int diagonal, const T *center,
                                              T *z, T *scratch) {
    if (gmm_vector_math_uses_avx2()) GMM_JOIN(quadratic_features_avx2, SUFFIX)(x, rows, columns, stride, diagonal, center, z, scratch);
    else GMM_JOIN(quadratic_features_baseline, SUFFIX)(x, rows, columns, stride, diagonal, center, z, scratch);
}

#undef T
#undef SUFFIX
