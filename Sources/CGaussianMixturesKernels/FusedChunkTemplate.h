// One chunk of the quadratic-feature E-step, fused; FusedChunk.c includes this once per scalar
// type and vector width (double in AVX2 and AVX-512, float in AVX2) with these macros defined:
//   NAME     the function's name          T      the scalar (double, float)
//   V        the vector of L scalars      L      lanes per vector (GMM_FUSED_LANES_F64[_AVX512], _F32)
//   IV       V's lanes as integers (a comparison's mask)
//   EXPV     exp over a V                 BIG    flush the product of row sums above this
//   FUSED_TARGET  the attribute that compiles it for its instruction set (AVX2 or AVX-512)
// See gmm_fused_quadratic_chunk in CGaussianMixturesKernels.h for the contract. The macros are
// undefined at the end, ready for the next type.

static inline __attribute__((always_inline)) FUSED_TARGET
double GMM_JOIN(NAME, _body)(const T *x, const double *weights, long rows, long columns, int diagonal, const T *center,
                             const T *theta, long components, T *laneSums, T *scratch, int *best, double *gaps,
                             const int wholeTiles) {
    const long d = columns, k = components, m = gmm_quadratic_feature_count(d, diagonal);
    V *z = (V *)scratch;                // GMM_FUSED_BLOCKS x M: feature p of L rows
    V *r = z + GMM_FUSED_BLOCKS * m;    // GMM_FUSED_BLOCKS x K: log-densities, then responsibilities
    V *sums = (V *)laneSums;            // K x M
    double total = 0;
    for (long start = 0; start < rows; start += L * GMM_FUSED_BLOCKS) {
        long blocks = (rows - start + L - 1) / L;
        if (blocks > GMM_FUSED_BLOCKS) blocks = GMM_FUSED_BLOCKS;
        // Features, L rows per vector; missing rows of the last block are the centre (z = e_M).
        for (long b = 0; b < blocks; b++) {
            V xv[GMM_FUSED_MAX_FEATURES];
            const T *row[L];
            for (long lane = 0; lane < L; lane++) {
                long n = start + L * b + lane;
                row[lane] = n < rows ? x + n * d : center;
            }
            for (long j = 0; j < d; j++) {
                for (long lane = 0; lane < L; lane++) xv[j][lane] = row[lane][j];
                xv[j] -= center[j];
            }
            V *zb = z + b * m;
            long p = 0;
            if (diagonal) {
                for (long i = 0; i < d; i++) zb[p++] = xv[i] * xv[i];
            } else {
                for (long i = 0; i < d; i++) {
                    for (long j = i; j < d; j++) zb[p++] = xv[i] * xv[j];
                }
            }
            for (long i = 0; i < d; i++) zb[p++] = xv[i];
            zb[p] = (V)(T)1;
        }
        // Log-densities r[b][c] = Σ_p θ[p, c] z[b][p]: two blocks and four components at a time.
        for (long b = 0; b < blocks; b += 2) {
            const V *z0 = z + b * m, *z1 = z + (b + 1 < blocks ? b + 1 : b) * m;
            for (long c = 0; c < k; c += 4) {
                long width = wholeTiles || k - c >= 4 ? 4 : k - c;
                V a0 = (V)(T)0, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                const T *t = theta + c;
                if (width == 4) {
                    for (long p = 0; p < m; p++, t += k) {
                        V u = z0[p], w = z1[p];
                        V t0 = (V)t[0], t1 = (V)t[1], t2 = (V)t[2], t3 = (V)t[3];
                        a0 = __builtin_elementwise_fma(t0, u, a0); b0 = __builtin_elementwise_fma(t0, w, b0);
                        a1 = __builtin_elementwise_fma(t1, u, a1); b1 = __builtin_elementwise_fma(t1, w, b1);
                        a2 = __builtin_elementwise_fma(t2, u, a2); b2 = __builtin_elementwise_fma(t2, w, b2);
                        a3 = __builtin_elementwise_fma(t3, u, a3); b3 = __builtin_elementwise_fma(t3, w, b3);
                    }
                } else {
                    for (long p = 0; p < m; p++, t += k) {
                        V u = z0[p], w = z1[p];
                        V t0 = (V)t[0], t1 = width > 1 ? (V)t[1] : t0, t2 = width > 2 ? (V)t[2] : t0;
                        a0 = __builtin_elementwise_fma(t0, u, a0); b0 = __builtin_elementwise_fma(t0, w, b0);
                        a1 = __builtin_elementwise_fma(t1, u, a1); b1 = __builtin_elementwise_fma(t1, w, b1);
                        a2 = __builtin_elementwise_fma(t2, u, a2); b2 = __builtin_elementwise_fma(t2, w, b2);
                    }
                }
                V as[4] = {a0, a1, a2, a3}, bs[4] = {b0, b1, b2, b3};
                for (long q = 0; q < width; q++) {
                    r[b * k + c + q] = as[q];
                    if (b + 1 < blocks) r[(b + 1) * k + c + q] = bs[q];
                }
            }
        }
        // Responsibilities, and Σ log p = Σ max + log Π (row sums), the product flushed before it
        // can overflow (each row sum lies in [1, K]); rows past the end get r = 0 and count 1.
        // With sample weights, r is scaled by w and Σ w log p takes one log per row.
        V maxima = (V)(T)0, product = (V)(T)1;
        for (long b = 0; b < blocks; b++) {
            V *rb = r + b * k;
            V top = rb[0];
            for (long c = 1; c < k; c++) top = __builtin_elementwise_max(top, rb[c]);
            V sum = (V)(T)0;
            for (long c = 0; c < k; c++) {
                rb[c] = EXPV(rb[c] - top);
                sum += rb[c];
            }
            int leading = 0;
            if (best) {
                // Only rows whose exps sum to exactly 1 can lead by more than 37 nats (double).
                for (long lane = 0; lane < L; lane++) leading |= sum[lane] == (T)1;
                for (long lane = 0; lane < L && !leading; lane++) {
                    long n = start + L * b + lane;
                    if (n >= rows) break;
                    best[n] = 0;
                    gaps[n] = 1;
                }
            }
            if (leading) {
                // Each row's leading component (exp exactly 1) and the sum of the others' exps.
                V rest = (V)(T)0;
                IV ties = (IV)0, arg = (IV)0;
                for (long c = 0; c < k; c++) {
                    IV one = rb[c] == (V)(T)1;
                    ties -= one;
                    rest += (V)((IV)rb[c] & ~one);
                    arg = (one & (IV)c) | (~one & arg);
                }
                for (long lane = 0; lane < L; lane++) {
                    long n = start + L * b + lane;
                    if (n >= rows) break;
                    best[n] = (int)arg[lane];
                    gaps[n] = ties[lane] > 1 ? 1 : (double)rest[lane];
                }
            }
            V mask;
            for (long lane = 0; lane < L; lane++) {
                long n = start + L * b + lane;
                mask[lane] = n < rows ? (weights ? (T)weights[n] : 1) : 0;
            }
            V scale = mask / sum;
            for (long c = 0; c < k; c++) rb[c] *= scale;
            maxima += top * mask;
            if (weights) {
                for (long lane = 0; lane < L; lane++) total += (double)mask[lane] * log((double)sum[lane]);
                continue;
            }
            product *= (T)1 + mask * (sum - (T)1);
            int big = 0;
            for (long lane = 0; lane < L; lane++) big |= product[lane] > (T)BIG;
            if (big) {
                for (long lane = 0; lane < L; lane++) total += log((double)product[lane]);
                product = (V)(T)1;
            }
        }
        for (long lane = 0; lane < L; lane++) total += (double)maxima[lane] + log((double)product[lane]);
        // Sums: laneSums[c][p] += r[b][c] z[b][p] over the blocks, four components x two features a tile.
        for (long c = 0; c < k; c += 4) {
            long width = wholeTiles || k - c >= 4 ? 4 : k - c;
            for (long p = 0; p < m; p += 2) {
                long pairs = m - p < 2 ? 1 : 2;
                if (pairs == 2) {
                    // A tile of (up to) four components; a missing one (width < 4) adds zeros to
                    // sums it never stores. Each sum adds its blocks in order, as the loop below.
                    const V zero = (V)(T)0;
                    V *o = sums + c * m + p;
                    V s00 = o[0], s01 = o[1];
                    V s10 = width > 1 ? o[m] : zero, s11 = width > 1 ? o[m + 1] : zero;
                    V s20 = width > 2 ? o[2 * m] : zero, s21 = width > 2 ? o[2 * m + 1] : zero;
                    V s30 = width > 3 ? o[3 * m] : zero, s31 = width > 3 ? o[3 * m + 1] : zero;
                    for (long b = 0; b < blocks; b++) {
                        const V *rb = r + b * k + c, *zb = z + b * m + p;
                        V y0 = zb[0], y1 = zb[1];
                        V r0 = rb[0], r1 = width > 1 ? rb[1] : zero, r2 = width > 2 ? rb[2] : zero;
                        V r3 = width > 3 ? rb[3] : zero;
                        s00 = __builtin_elementwise_fma(r0, y0, s00); s01 = __builtin_elementwise_fma(r0, y1, s01);
                        s10 = __builtin_elementwise_fma(r1, y0, s10); s11 = __builtin_elementwise_fma(r1, y1, s11);
                        s20 = __builtin_elementwise_fma(r2, y0, s20); s21 = __builtin_elementwise_fma(r2, y1, s21);
                        s30 = __builtin_elementwise_fma(r3, y0, s30); s31 = __builtin_elementwise_fma(r3, y1, s31);
                    }
                    o[0] = s00; o[1] = s01;
                    if (width > 1) { o[m] = s10; o[m + 1] = s11; }
                    if (width > 2) { o[2 * m] = s20; o[2 * m + 1] = s21; }
                    if (width > 3) { o[3 * m] = s30; o[3 * m + 1] = s31; }
                    continue;
                }
                for (long q = 0; q < width; q++) {
                    for (long e = 0; e < pairs; e++) {
                        V acc = sums[(c + q) * m + p + e];
                        for (long b = 0; b < blocks; b++) acc = __builtin_elementwise_fma(r[b * k + c + q], z[b * m + p + e], acc);
                        sums[(c + q) * m + p + e] = acc;
                    }
                }
            }
        }
    }
    return total;
}

/// Small D (up to 4) and small K (2 to 4) as constants of the body, so that its loops over the
/// features and components unroll, and for K a multiple of 4 the fact that every tile of four
/// components is whole: the same operations in the same order, so the same bits. One thread,
/// medians of three alternated: W4 (D = 2, K = 3) 2.45 -> 1.70 s for 1,000 iterations; W1 (D =
/// 16, K = 16) dense 2.92 -> 2.79 s for 100.
FUSED_TARGET
static double NAME(const T *x, const double *weights, long rows, long columns, int diagonal, const T *center, const T *theta,
                   long components, T *laneSums, T *scratch, int *best, double *gaps) {
#define BODY(D, DIAGONAL, K) GMM_JOIN(NAME, _body)(x, weights, rows, D, DIAGONAL, center, theta, K, laneSums, scratch, best, gaps, 0)
#define FIXED(D, DIAGONAL) \
    if (columns == D && !diagonal == !DIAGONAL) { \
        switch (components) { \
        case 2: return BODY(D, DIAGONAL, 2); \
        case 3: return BODY(D, DIAGONAL, 3); \
        case 4: return BODY(D, DIAGONAL, 4); \
        default: return BODY(D, DIAGONAL, components); \
        } \
    }
    FIXED(1, 0) FIXED(2, 0) FIXED(3, 0) FIXED(4, 0) FIXED(2, 1) FIXED(3, 1) FIXED(4, 1)
#undef FIXED
    if (components % 4 == 0)
        return GMM_JOIN(NAME, _body)(x, weights, rows, columns, diagonal, center, theta, components, laneSums, scratch, best, gaps, 1);
    return BODY(columns, diagonal, components);
#undef BODY
}

#undef NAME
#undef T
#undef V
#undef IV
#undef L
#undef EXPV
#undef BIG
#undef FUSED_TARGET
