// gmm_held_rows for one scalar type of the data. HeldRows.c includes this once per type with
// these macros defined:
//   T        the data's scalar (double, float); everything else is double
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_held_rows in CGaussianMixturesKernels.h for the contract.

/// The rows' work, inlined into an AVX2 version and a baseline version below so that each is
/// compiled for its instruction set: the features four products at a time, the dot product in
/// four vector sums, the sums vectorised by the compiler (`restrict`: no two arrays overlap).
static inline __attribute__((always_inline))
void GMM_JOIN(held_rows_body, SUFFIX)(const T *x, long columns, const int *rows, long count, const int *best,
                                      const double *weights, int diagonal, const double *center, const double *theta,
                                      double threshold, double *sums, double *values, double *scratch,
                                      const int inRegisters) {
    const long d = columns, m = gmm_quadratic_feature_count(d, diagonal);
    // `centred` holds D values and 4 zeros; `z` M values and room for 4 more: the pair rows
    // below are written four at a time, each row's last vector spilling into the next row
    // (written after it) and the last into the linear block (written last).
    double *centred = scratch, *z = scratch + d + 4;
    for (long j = d; j < d + 4; j++) centred[j] = 0;
    for (long i = 0; i < count; i++) {
        const long n = rows[i];
        const T *xn = x + n * d;
        double *zp = z;
        if (inRegisters) {
            // With D a constant (a multiple of 4 up to 16, full covariances), the same
            // features from registers: the centred row in at most four vectors, each pair row's
            // windows x[j..j+3] shuffled out of two of them rather than loaded from memory just
            // written (a vector load of narrower stores waits for them). Unrolled in full.
            f64x4 xs[5];
#pragma clang loop unroll(full)
            for (long q = 0; q < 5; q++) {
#pragma clang loop unroll(full)
                for (int lane = 0; lane < 4; lane++) {
                    long j = 4 * q + lane;
                    xs[q][lane] = j < d ? (double)xn[j] - center[j] : 0;
                }
            }
#pragma clang loop unroll(full)
            for (long a = 0; a < d; a++) {
                const f64x4 xa = (f64x4)xs[a / 4][a % 4];
#pragma clang loop unroll(full)
                for (long q = a / 4; 4 * q + a % 4 < d; q++) {
                    f64x4 window;
                    switch (a % 4) {
                    case 0: window = xs[q]; break;
                    case 1: window = __builtin_shufflevector(xs[q], xs[q + 1], 1, 2, 3, 4); break;
                    case 2: window = __builtin_shufflevector(xs[q], xs[q + 1], 2, 3, 4, 5); break;
                    default: window = __builtin_shufflevector(xs[q], xs[q + 1], 3, 4, 5, 6); break;
                    }
                    window *= xa;
                    __builtin_memcpy(zp + 4 * q + a % 4 - a, &window, sizeof window);
                }
                zp += d - a;
            }
#pragma clang loop unroll(full)
            for (long q = 0; 4 * q < d; q++) __builtin_memcpy(zp + 4 * q, &xs[q], sizeof xs[q]);
            zp[d] = 1;
        } else {
            for (long j = 0; j < d; j++) centred[j] = (double)xn[j] - center[j];
            if (diagonal) {
                for (long j = 0; j < d; j++) zp[j] = centred[j] * centred[j];
                zp += d;
            } else {
                for (long a = 0; a < d; a++) {
                    const f64x4 xa = (f64x4)centred[a];
                    for (long j = a; j < d; j += 4) {
                        f64x4 c;
                        __builtin_memcpy(&c, centred + j, sizeof c);
                        c *= xa;
                        __builtin_memcpy(zp + (j - a), &c, sizeof c);
                    }
                    zp += d - a;
                }
            }
            for (long j = 0; j < d; j++) zp[j] = centred[j];
            zp[d] = 1;
        }
        // θ_b · z in four independent vector sums (one chain of dependent adds would wait on
        // each add's latency).
        const double *t = theta + (long)best[n] * m;
        f64x4 a0 = (f64x4)0.0, a1 = a0, a2 = a0, a3 = a0;
        long p = 0;
        for (; p + 16 <= m; p += 16) {
            f64x4 t0, t1, t2, t3, z0, z1, z2, z3;
            __builtin_memcpy(&t0, t + p, sizeof t0); __builtin_memcpy(&z0, z + p, sizeof z0);
            __builtin_memcpy(&t1, t + p + 4, sizeof t1); __builtin_memcpy(&z1, z + p + 4, sizeof z1);
            __builtin_memcpy(&t2, t + p + 8, sizeof t2); __builtin_memcpy(&z2, z + p + 8, sizeof z2);
            __builtin_memcpy(&t3, t + p + 12, sizeof t3); __builtin_memcpy(&z3, z + p + 12, sizeof z3);
            a0 += t0 * z0; a1 += t1 * z1; a2 += t2 * z2; a3 += t3 * z3;
        }
        for (; p + 4 <= m; p += 4) {
            f64x4 t0, z0;
            __builtin_memcpy(&t0, t + p, sizeof t0); __builtin_memcpy(&z0, z + p, sizeof z0);
            a0 += t0 * z0;
        }
        f64x4 sum4 = (a0 + a1) + (a2 + a3);
        double value = (sum4[0] + sum4[1]) + (sum4[2] + sum4[3]);
        for (; p < m; p++) value += t[p] * z[p];
        values[i] = value;
        const double w = weights ? weights[n] : 1;
        if (!(value >= threshold) || !(w > 0)) continue;
        double *out = sums + (long)best[n] * m;
        for (long q = 0; q < m; q++) out[q] += w * z[q];
    }
}

/// R rows of one component `b` (full covariances, D past GMM_HELD_WIDE_FEATURES), their centred
/// values in `c[0..<R]`: `values[slot[q]] = θ_b · z(x_q)`, then `w_q z(x_q)` added to b's sums
/// for the rows that count, the rows in order at every sum. z is never written: each pair row
/// `x_a x[a..<D)` is formed as it is used, so a group of R rows reads θ_b and b's sums once.
static inline __attribute__((always_inline))
void GMM_JOIN(held_wide_block, SUFFIX)(double *const *c, long d, const double *restrict t, const double *w,
                                       double threshold, double *restrict out, double *values, const int *slot,
                                       const int R) {
    double value[4] = {0, 0, 0, 0};
    long p = 0;
    for (long a = 0; a < d; a++) {
        f64x4 acc[4];
        for (int q = 0; q < R; q++) acc[q] = (f64x4)0.0;
        long j = a;
        for (; j + 4 <= d; j += 4, p += 4) {
            f64x4 tv;
            __builtin_memcpy(&tv, t + p, sizeof tv);
            for (int q = 0; q < R; q++) {
                f64x4 cv;
                __builtin_memcpy(&cv, c[q] + j, sizeof cv);
                acc[q] = __builtin_elementwise_fma(tv, cv, acc[q]);
            }
        }
        double row[4];
        for (int q = 0; q < R; q++) row[q] = (acc[q][0] + acc[q][1]) + (acc[q][2] + acc[q][3]);
        for (; j < d; j++, p++)
            for (int q = 0; q < R; q++) row[q] = __builtin_fma(t[p], c[q][j], row[q]);
        for (int q = 0; q < R; q++) value[q] = __builtin_fma(c[q][a], row[q], value[q]);
    }
    for (long j = 0; j < d; j++, p++)
        for (int q = 0; q < R; q++) value[q] = __builtin_fma(t[p], c[q][j], value[q]);
    // The rows that count, in order.
    const double *use[4];
    double weight[4];
    int u = 0;
    for (int q = 0; q < R; q++) {
        value[q] += t[p];
        values[slot[q]] = value[q];
        if (value[q] >= threshold && w[q] > 0) {
            use[u] = c[q];
            weight[u] = w[q];
            u++;
        }
    }
    p = 0;
    for (long a = 0; a < d; a++) {
        double wa[4];
        f64x4 wv[4];
        for (int v = 0; v < u; v++) {
            wa[v] = weight[v] * use[v][a];
            wv[v] = (f64x4)wa[v];
        }
        long j = a;
        for (; j + 4 <= d; j += 4, p += 4) {
            f64x4 o;
            __builtin_memcpy(&o, out + p, sizeof o);
            for (int v = 0; v < u; v++) {
                f64x4 cv;
                __builtin_memcpy(&cv, use[v] + j, sizeof cv);
                o = __builtin_elementwise_fma(wv[v], cv, o);
            }
            __builtin_memcpy(out + p, &o, sizeof o);
        }
        for (; j < d; j++, p++)
            for (int v = 0; v < u; v++) out[p] = __builtin_fma(wa[v], use[v][j], out[p]);
    }
    for (long j = 0; j < d; j++, p++)
        for (int v = 0; v < u; v++) out[p] = __builtin_fma(weight[v], use[v][j], out[p]);
    for (int v = 0; v < u; v++) out[p] += weight[v];
}

/// The held rows of wide full-covariance data: grouped by component (stably: each component's
/// rows stay in order), then `held_wide_block` on up to four rows of a group at a time. The
/// scratch holds 4 (D + 4) doubles for the centred rows and `count` ints for the order.
static inline __attribute__((always_inline))
void GMM_JOIN(held_rows_wide, SUFFIX)(const T *x, long d, const int *rows, long count, const int *best,
                                      const double *weights, const double *center, const double *theta,
                                      double threshold, double *sums, double *values, double *scratch) {
    const long m = gmm_quadratic_feature_count(d, 0);
    double *c[4];
    for (int q = 0; q < 4; q++) c[q] = scratch + q * (d + 4);
    int *order = (int *)(scratch + 4 * (d + 4));
    // Insertion sort of the positions by component, stable (a chunk holds a few dozen rows).
    for (long i = 0; i < count; i++) {
        long s = i;
        const int b = best[rows[i]];
        while (s > 0 && best[rows[order[s - 1]]] > b) { order[s] = order[s - 1]; s--; }
        order[s] = (int)i;
    }
    for (long g = 0; g < count;) {
        const int b = best[rows[order[g]]];
        const double *t = theta + (long)b * m;
        double *out = sums + (long)b * m;
        long end = g;
        while (end < count && best[rows[order[end]]] == b) end++;
        while (g < end) {
            const int r = end - g < 4 ? (int)(end - g) : 4;
            double w[4];
            int slot[4];
            for (int q = 0; q < r; q++) {
                const long n = rows[order[g + q]];
                slot[q] = order[g + q];
                w[q] = weights ? weights[n] : 1;
                for (long j = 0; j < d; j++) c[q][j] = (double)x[n * d + j] - center[j];
            }
            switch (r) {
#define BLOCK(R) case R: GMM_JOIN(held_wide_block, SUFFIX)(c, d, t, w, threshold, out, values, slot, R); break;
                BLOCK(1) BLOCK(2) BLOCK(3) BLOCK(4)
#undef BLOCK
            default: break;
            }
            g += r;
        }
    }
}

GMM_AVX2_TARGET
static void GMM_JOIN(held_rows_avx2, SUFFIX)(const T *restrict x, long columns, const int *restrict rows, long count,
                                             const int *restrict best, const double *restrict weights, int diagonal,
                                             const double *restrict center, const double *restrict theta, double threshold,
                                             double *restrict sums, double *restrict values, double *restrict z) {
    if (!diagonal && columns > GMM_HELD_WIDE_FEATURES) {
        GMM_JOIN(held_rows_wide, SUFFIX)(x, columns, rows, count, best, weights, center, theta, threshold, sums, values, z);
        return;
    }
    // D as a constant where it is common: the features come from registers, fully unrolled.
#define GMM_HELD_FIXED(D) \
    GMM_JOIN(held_rows_body, SUFFIX)(x, D, rows, count, best, weights, 0, center, theta, threshold, sums, values, z, 1)
    if (!diagonal && columns == 16) GMM_HELD_FIXED(16);
    else if (!diagonal && columns == 12) GMM_HELD_FIXED(12);
    else if (!diagonal && columns == 8) GMM_HELD_FIXED(8);
    else if (!diagonal && columns == 4) GMM_HELD_FIXED(4);
    else
        GMM_JOIN(held_rows_body, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums,
                                         values, z, 0);
#undef GMM_HELD_FIXED
}

static void GMM_JOIN(held_rows_baseline, SUFFIX)(const T *restrict x, long columns, const int *restrict rows, long count,
                                                 const int *restrict best, const double *restrict weights, int diagonal,
                                                 const double *restrict center, const double *restrict theta, double threshold,
                                                 double *restrict sums, double *restrict values, double *restrict z) {
    // Never the wide branch: its FMAs would be calls to libm's fma() without the FMA target.
    GMM_JOIN(held_rows_body, SUFFIX)(x, columns, rows, count, best, weights, diagonal, center, theta, threshold, sums, values, z,
                                     0);
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
