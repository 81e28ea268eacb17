// The quadratic road's two products per chunk in float64 (gmm_quadratic_log_joint, `Z Θ`, and
// gmm_quadratic_sums, `sums += Wᵀ Z`) in AVX-512 register tiles, over Θ padded once per E-step.
// OpenBLAS packs Θ (M x K: half a megabyte at W3's M = 2145, K = 32) and the chunk's features again
// on every call, for chunks of a few dozen rows; these read both where they lie. Every output is
// one chain of FMAs in a fixed order, whatever the tile that computes it.
//
// Each tile is an always_inline function whose row and vector counts are constants at every call,
// so the compiler unrolls it into registers (24 accumulators of the 32 zmm registers); the tails
// call the same function with smaller counts.
#include "Vectors.h"
#include <string.h>

long gmm_quadratic_theta_stride(long components) {
    return (components + GMM_THETA_PADDING - 1) / GMM_THETA_PADDING * GMM_THETA_PADDING;
}

void gmm_quadratic_pad_theta(const double *theta, long features, long components, double *padded) {
    const long stride = gmm_quadratic_theta_stride(components);
    for (long j = 0; j < features; j++) {
        memcpy(padded + j * stride, theta + j * components, sizeof(double) * components);
        for (long p = components; p < stride; p++) padded[j * stride + p] = 0;
    }
}

int gmm_quadratic_products_available(void) { return gmm_vector_math_uses_avx512(); }

#if GMM_HAVE_AVX2_CODE
#define V f64x8
#define L 8
/// The log-joint tile: rows of Z by vectors of Θ's columns (6 x 4 vectors = 24 accumulators).
#define LJ_ROWS 6
#define LJ_VECTORS 4
/// The sums tile: components by vectors of features (8 x 3 vectors = 24 accumulators).
#define SUM_ROWS 8
#define SUM_VECTORS 3

/// `out[r][0..<width) = Σ_j z[r][j] θ[j][0..<width)` for R rows of Z, over NV vectors of columns
/// of the padded Θ (stride `ldt`), each sum taken over j in order, one FMA at a time. With HALF,
/// the last vector is four lanes wide (a panel whose last columns fill at most half a vector: K =
/// 10 or 12, say): Zen 4 runs a 4-lane FMA in one of its two 256-bit pipes and an 8-lane one in
/// both, so the idle lanes cost nothing; each lane's chain, and so every bit, is the same.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void log_joint_tile(const double *restrict z, long ldz, long m, const double *restrict theta, long ldt,
                    double *restrict out, long ldo, long width, const int R, const int NV, const int HALF) {
    const int full = NV - HALF;
    V acc[LJ_ROWS][LJ_VECTORS];
    f64x4 half[LJ_ROWS];
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < full; c++) acc[r][c] = (V)0.0;
        if (HALF) half[r] = (f64x4)0.0;
    }
    for (long j = 0; j < m; j++) {
        V b[LJ_VECTORS];
        f64x4 hb = (f64x4)0.0;
        for (int c = 0; c < full; c++) __builtin_memcpy(&b[c], theta + j * ldt + c * L, sizeof(V));
        if (HALF) __builtin_memcpy(&hb, theta + j * ldt + full * L, sizeof hb);
        for (int r = 0; r < R; r++) {
            const double zj = z[r * ldz + j];
            const V v = (V)zj;
            for (int c = 0; c < full; c++) acc[r][c] = __builtin_elementwise_fma(v, b[c], acc[r][c]);
            if (HALF) half[r] = __builtin_elementwise_fma((f64x4)zj, hb, half[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        if (width == NV * L && !HALF) {
            for (int c = 0; c < NV; c++) __builtin_memcpy(out + r * ldo + c * L, &acc[r][c], sizeof(V));
        } else {
            double row[LJ_VECTORS * L];
            for (int c = 0; c < full; c++) __builtin_memcpy(row + c * L, &acc[r][c], sizeof(V));
            if (HALF) __builtin_memcpy(row + full * L, &half[r], sizeof half[r]);
            for (long p = 0; p < width; p++) out[r * ldo + p] = row[p];
        }
    }
}

/// The rows of one panel of NV vectors of columns, LJ_ROWS at a time, then the last few.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void log_joint_panel(const double *restrict z, long rows, long m, const double *restrict theta, long ldt,
                     double *restrict out, long ldo, long width, const int NV, const int HALF) {
    long i = 0;
    for (; i + LJ_ROWS <= rows; i += LJ_ROWS)
        log_joint_tile(z + i * m, m, m, theta, ldt, out + i * ldo, ldo, width, LJ_ROWS, NV, HALF);
    switch (rows - i) {
#define TAIL(R) case R: log_joint_tile(z + i * m, m, m, theta, ldt, out + i * ldo, ldo, width, R, NV, HALF); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5)
#undef TAIL
    default: break;
    }
}

GMM_AVX512_TARGET
static void quadratic_log_joint_avx512(const double *restrict z, long rows, long m, const double *restrict theta,
                                       long components, double *restrict out) {
    const long ldt = gmm_quadratic_theta_stride(components), panel = LJ_VECTORS * L;
    for (long p = 0; p < components; p += panel) {
        const long width = components - p < panel ? components - p : panel;
        // The last vector four lanes wide when the panel's last columns fill at most four.
        const int half = width % L != 0 && width % L <= 4;
        switch ((width + L - 1) / L * 2 + half) {
#define PANEL(NV, HALF) case NV * 2 + HALF: log_joint_panel(z, rows, m, theta + p, ldt, out + p, components, width, NV, HALF); break;
            PANEL(1, 0) PANEL(2, 0) PANEL(3, 0) PANEL(4, 0) PANEL(1, 1) PANEL(2, 1) PANEL(3, 1) PANEL(4, 1)
#undef PANEL
        default: break;
        }
    }
}

/// `sums[k][j..<j + NV L] += Σ_i w[i][k] z[i][j..<j + NV L]` for R components from `k`, the sum
/// over the chunk's rows in order, then added to the sums.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void sums_tile(const double *restrict w, long rows, long components, const double *restrict z, long m,
               double *restrict sums, long k, long j, const int R, const int NV) {
    V acc[SUM_ROWS][SUM_VECTORS];
    for (int r = 0; r < R; r++) for (int c = 0; c < NV; c++) acc[r][c] = (V)0.0;
    for (long i = 0; i < rows; i++) {
        V b[SUM_VECTORS];
        for (int c = 0; c < NV; c++) __builtin_memcpy(&b[c], z + i * m + j + c * L, sizeof(V));
        for (int r = 0; r < R; r++) {
            const V v = (V)w[i * components + k + r];
            for (int c = 0; c < NV; c++) acc[r][c] = __builtin_elementwise_fma(v, b[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < NV; c++) {
        double *target = sums + (k + r) * m + j + c * L;
        V old;
        __builtin_memcpy(&old, target, sizeof(V));
        old += acc[r][c];
        __builtin_memcpy(target, &old, sizeof(V));
    }
}

/// Every component for the NV vectors of features from `j`, SUM_ROWS components at a time.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void sums_columns(const double *restrict w, long rows, long components, const double *restrict z, long m,
                  double *restrict sums, long j, const int NV) {
    long k = 0;
    for (; k + SUM_ROWS <= components; k += SUM_ROWS)
        sums_tile(w, rows, components, z, m, sums, k, j, SUM_ROWS, NV);
    switch (components - k) {
#define TAIL(R) case R: sums_tile(w, rows, components, z, m, sums, k, j, R, NV); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5) TAIL(6) TAIL(7)
#undef TAIL
    default: break;
    }
}

GMM_AVX512_TARGET
static void quadratic_sums_avx512(const double *restrict w, long rows, long components, const double *restrict z,
                                  long m, double *restrict sums) {
    long j = 0;
    for (; j + SUM_VECTORS * L <= m; j += SUM_VECTORS * L)
        sums_columns(w, rows, components, z, m, sums, j, SUM_VECTORS);
    for (; j + L <= m; j += L) sums_columns(w, rows, components, z, m, sums, j, 1);
    // The last m mod L features, one at a time, in the same order over the rows.
    for (; j < m; j++) {
        for (long k = 0; k < components; k++) {
            double t = 0;
            for (long i = 0; i < rows; i++) t = __builtin_fma(w[i * components + k], z[i * m + j], t);
            sums[k * m + j] += t;
        }
    }
}

void gmm_quadratic_log_joint(const double *z, long rows, long features, const double *theta, long components, double *out) {
    quadratic_log_joint_avx512(z, rows, features, theta, components, out);
}

void gmm_quadratic_sums(const double *weighted, long rows, long components, const double *z, long features, double *sums) {
    quadratic_sums_avx512(weighted, rows, components, z, features, sums);
}
#else
// Never called: gmm_quadratic_products_available() is 0 on this build.
void gmm_quadratic_log_joint(const double *z, long rows, long features, const double *theta, long components, double *out) {
    (void)z; (void)rows; (void)features; (void)theta; (void)components; (void)out;
}

void gmm_quadratic_sums(const double *weighted, long rows, long components, const double *z, long features, double *sums) {
    (void)weighted; (void)rows; (void)components; (void)z; (void)features; (void)sums;
}
#endif
