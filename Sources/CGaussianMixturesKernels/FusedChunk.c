// One chunk of the E-step on quadratic features, fused (gmm_fused_quadratic_chunk[_f32]): the
// features, log-densities, responsibilities and weighted sums of a few rows at a time, in vectors
// that stay in the first-level caches: AVX2, and in double AVX-512 (8 rows a vector) where the
// processor has it.
#include "Vectors.h"
#include <math.h>

/// `sums[i] += (((0 + lane 0) + lane 1) + ...)` over `L` lanes in order, L a constant so that the
/// inner loop unrolls (folded in Swift with L known only at run time, this took as long as the
/// kernel itself at D = 64, K = 63 with 8 lanes).
static inline __attribute__((always_inline))
void fold_lanes(const double *restrict laneSums, long count, const int L, double *restrict sums) {
    for (long i = 0; i < count; i++) {
        double t = 0;
        for (int lane = 0; lane < L; lane++) t += laneSums[i * L + lane];
        sums[i] += t;
    }
}

void gmm_fused_fold_lanes(const double *laneSums, long count, long lanes, double *sums) {
    if (lanes == GMM_FUSED_LANES_F64_AVX512) fold_lanes(laneSums, count, GMM_FUSED_LANES_F64_AVX512, sums);
    else fold_lanes(laneSums, count, GMM_FUSED_LANES_F64, sums);
}

void gmm_fused_fold_lanes_f32(const float *restrict laneSums, long count, double *restrict sums) {
    for (long i = 0; i < count; i++) {
        float t = 0;
        for (int lane = 0; lane < GMM_FUSED_LANES_F32; lane++) t += laneSums[i * GMM_FUSED_LANES_F32 + lane];
        sums[i] += (double)t;
    }
}

#if GMM_HAVE_AVX2_CODE
#define NAME fused_chunk_avx2
#define FUSED_TARGET GMM_AVX2_TARGET
#define T double
#define V f64x4
#define IV i64x4
#define L GMM_FUSED_LANES_F64
#define EXPV exp_f64x4
#define BIG 1e250
#include "FusedChunkTemplate.h"

#define NAME fused_chunk_avx512
#define FUSED_TARGET GMM_AVX512_TARGET
#define T double
#define V f64x8
#define IV i64x8
#define L GMM_FUSED_LANES_F64_AVX512
#define EXPV exp_f64x8
#define BIG 1e250
#include "FusedChunkTemplate.h"

#define NAME fused_chunk_f32_avx2
#define FUSED_TARGET GMM_AVX2_TARGET
#define T float
#define V f32x8
#define IV i32x8
#define L GMM_FUSED_LANES_F32
#define EXPV exp_f32x8
#define BIG 1e30f
#include "FusedChunkTemplate.h"

long gmm_fused_lanes_f64(void) {
    return gmm_vector_math_uses_avx512() ? GMM_FUSED_LANES_F64_AVX512 : GMM_FUSED_LANES_F64;
}

double gmm_fused_quadratic_chunk(long lanes, const double *x, const double *weights, long rows, long columns, int diagonal,
                                 const double *center, const double *theta, long components, double *laneSums, double *scratch,
                                 int *best, double *gaps) {
    if (lanes == GMM_FUSED_LANES_F64_AVX512) {
        // Buffers laid out for 8 lanes must not reach the 4-lane kernel.
        if (!gmm_vector_math_uses_avx512()) return NAN;
        return fused_chunk_avx512(x, weights, rows, columns, diagonal, center, theta, components, laneSums, scratch, best, gaps);
    }
    if (lanes != GMM_FUSED_LANES_F64) return NAN;
    return fused_chunk_avx2(x, weights, rows, columns, diagonal, center, theta, components, laneSums, scratch, best, gaps);
}

double gmm_fused_quadratic_chunk_f32(const float *x, const double *weights, long rows, long columns, int diagonal, const float *center,
                                     const float *theta, long components, float *laneSums, float *scratch, int *best, double *gaps) {
    return fused_chunk_f32_avx2(x, weights, rows, columns, diagonal, center, theta, components, laneSums, scratch, best, gaps);
}
#else
long gmm_fused_lanes_f64(void) { return GMM_FUSED_LANES_F64; }

// Never called: gmm_vector_math_uses_avx2() is 0 on this build.
double gmm_fused_quadratic_chunk(long lanes, const double *x, const double *weights, long rows, long columns, int diagonal,
                                 const double *center, const double *theta, long components, double *laneSums, double *scratch,
                                 int *best, double *gaps) {
    (void)lanes; (void)best; (void)gaps; (void)x; (void)weights; (void)rows; (void)diagonal; (void)columns; (void)center; (void)theta; (void)components; (void)laneSums; (void)scratch;
    return NAN;
}
double gmm_fused_quadratic_chunk_f32(const float *x, const double *weights, long rows, long columns, int diagonal, const float *center,
                                     const float *theta, long components, float *laneSums, float *scratch, int *best, double *gaps) {
    (void)best; (void)gaps; (void)x; (void)weights; (void)rows; (void)diagonal; (void)columns; (void)center; (void)theta; (void)components; (void)laneSums; (void)scratch;
    return NAN;
}
#endif
