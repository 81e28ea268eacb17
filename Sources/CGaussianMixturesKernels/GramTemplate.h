// gmm_gram_lower_add for one scalar type of the rows. Gram.c includes this once per type with
// these macros defined:
//   T        the rows' scalar (double, float); the products and sums are double
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_gram_lower_add in CGaussianMixturesKernels.h for the contract.

/// The work, inlined into an AVX2 version and a baseline version below. The output is cut into
/// 4 x 4 tiles on or below the diagonal; a tile's 16 sums stay in registers over all the rows.
static inline __attribute__((always_inline))
void GMM_JOIN(gram_body, SUFFIX)(const T *restrict a, long rows, long d, double *restrict out) {
    for (long i0 = 0; i0 < d; i0 += 4) {
        for (long j0 = 0; j0 <= i0; j0 += 4) {
            double tile[4][4] = {{0}};
            if (i0 + 4 <= d && j0 + 4 <= d) {
                for (long r = 0; r < rows; r++) {
                    const T *ar = a + r * d;
                    double left[4], right[4];
                    for (int u = 0; u < 4; u++) { left[u] = (double)ar[i0 + u]; right[u] = (double)ar[j0 + u]; }
                    for (int u = 0; u < 4; u++) {
                        for (int v = 0; v < 4; v++) tile[u][v] += left[u] * right[v];
                    }
                }
            } else {
                // An edge tile: the missing features read as zeros, whose products are not kept.
                const long iu = d - i0 < 4 ? d - i0 : 4, jv = d - j0 < 4 ? d - j0 : 4;
                for (long r = 0; r < rows; r++) {
                    const T *ar = a + r * d;
                    double left[4] = {0, 0, 0, 0}, right[4] = {0, 0, 0, 0};
                    for (long u = 0; u < iu; u++) left[u] = (double)ar[i0 + u];
                    for (long v = 0; v < jv; v++) right[v] = (double)ar[j0 + v];
                    for (int u = 0; u < 4; u++) {
                        for (int v = 0; v < 4; v++) tile[u][v] += left[u] * right[v];
                    }
                }
            }
            for (long u = 0; u < 4 && i0 + u < d; u++) {
                for (long v = 0; v < 4 && j0 + v <= i0 + u; v++) out[(i0 + u) * d + j0 + v] += tile[u][v];
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void GMM_JOIN(gram_avx2, SUFFIX)(const T *a, long rows, long d, double *out) {
    GMM_JOIN(gram_body, SUFFIX)(a, rows, d, out);
}

static void GMM_JOIN(gram_baseline, SUFFIX)(const T *a, long rows, long d, double *out) {
    GMM_JOIN(gram_body, SUFFIX)(a, rows, d, out);
}

void GMM_JOIN(gmm_gram_lower_add, SUFFIX)(const T *a, long rows, long columns, double *out) {
    if (gmm_vector_math_uses_avx2()) GMM_JOIN(gram_avx2, SUFFIX)(a, rows, columns, out);
    else GMM_JOIN(gram_baseline, SUFFIX)(a, rows, columns, out);
}

#undef T
#undef SUFFIX
