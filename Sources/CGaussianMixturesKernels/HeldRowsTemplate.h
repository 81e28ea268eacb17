// gmm_held_rows for one scalar type of the data. HeldRows.c includes this once per type with
// these macros defined:
//   T        the data's scalar (double, float); everything else is double
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_held_rows in CGaussianMixturesKernels.h for the contract.

/// The rows' work, inlined into an AVX2 version and a baseline version below so that each is
/// compiled for its instruction set; `restrict` (no two arrays overlap) lets the compiler
/// vectorise the features and the sums, and the dot product keeps four partial sums.
static inline __attribute__((always_inline))
void GMM_JOIN(held_rows_body, SUFFIX)(const T *x, long columns, const int *rows, long count, const int *best,
                                      const double *weights, int diagonal, const double *center, const double *theta,
                                      double threshold, double *sums, double *values, double *z) {
    const long d = columns, m = gmm_quadratic_feature_count(d, diagonal);
    double *centred = z + m;
    for (long i = 0; i < count; i++) {
        const long n = rows[i];
        const T *xn = x + n * d;
        for (long j = 0; j < d; j++) centred[j] = (double)xn[j] - center[j];
        double *zp = z;
        if (diagonal) {
            for (long j = 0; j < d; j++) zp[j] = centred[j] * centred[j];
            zp += d;
        } else {
            for (long a = 0; a < d; a++) {
                const double xa = centred[a];
                for (long j = a; j < d; j++) zp[j - a] = xa * centred[j];
                zp += d - a;
            }
        }
        for (long j = 0; j < d; j++) zp[j] = centred[j];
        zp[d] = 1;
        const double *t = theta + (long)best[n] * m;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        long p = 0;
        for (; p + 4 <= m; p += 4) {
            s0 += t[p] * z[p];
            s1 += t[p + 1] * z[p + 1];
            s2 += t[p + 2] * z[p + 2];
            s3 += t[p + 3] * z[p + 3];
        }
        for (; p < m; p++) s0 += t[p] * z[p];
        const double value = (s0 + s1) + (s2 + s3);
        values[i] = value;
        const double w = weights ? weights[n] : 1;
        if (!(value >= threshold) || !(w > 0)) continue;
        double *out = sums + (long)best[n] * m;
        for (long q = 0; q < m; q++) out[q] += w * z[q];
    }
}

GMM_AVX2_TARGET
static void GMM_JOIN(held_rows_avx2, SUFFIX)(const T *restrict x, long columns, const int *restrict rows, long count,
                                             const int *restrict best, const double *restrict weights, int diagonal,
                                             const double *restrict center, const double *restrict theta, double threshold,
                                             double *restrict sums, double *restrict values, double *restrict z) {
    GMM_JOIN(held_rows_body, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums, values, z);
}

static void GMM_JOIN(held_rows_baseline, SUFFIX)(const T *restrict x, long columns, const int *restrict rows, long count,
                                                 const int *restrict best, const double *restrict weights, int diagonal,
                                                 const double *restrict center, const double *restrict theta, double threshold,
                                                 double *restrict sums, double *restrict values, double *restrict z) {
    GMM_JOIN(held_rows_body, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums, values, z);
}

void GMM_JOIN(gmm_held_rows, SUFFIX)(const T *x, long columns, const int *rows, long count, const int *best,
                                     const double *weights, int diagonal, const double *center, const double *theta,
                                     double threshold, double *sums, double *values, double *scratch) {
    if (gmm_vector_math_uses_avx2())
        GMM_JOIN(held_rows_avx2, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums, values, scratch);
    else
        GMM_JOIN(held_rows_baseline, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums, values, scratch);
}

#undef T
#undef SUFFIX
