// The quadratic products for one scalar type. QuadraticProducts.c includes this once per type
// with these macros defined:
//   T        the scalar (double, float)
//   V        an AVX-512 vector of T (f64x8, f32x16), L its lanes
//   HV       half of one (f64x4, f32x8): a 256-bit vector
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_quadratic_log_joint and gmm_quadratic_sums in CGaussianMixturesKernels.h for the
// contracts. The macros are undefined at the end, ready for the next type.

long GMM_JOIN(gmm_quadratic_stride, SUFFIX)(long count) {
    return (count + L - 1) / L * L;
}

void GMM_JOIN(gmm_quadratic_pad_theta, SUFFIX)(const T *theta, long features, long components, T *padded) {
    const long stride = GMM_JOIN(gmm_quadratic_stride, SUFFIX)(components);
    for (long j = 0; j < features; j++) {
        memcpy(padded + j * stride, theta + j * components, sizeof(T) * components);
        for (long p = components; p < stride; p++) padded[j * stride + p] = 0;
    }
}

void GMM_JOIN(gmm_quadratic_transpose_theta, SUFFIX)(const T *theta, long features, long components, T *transposed) {
    const long stride = GMM_JOIN(gmm_quadratic_stride, SUFFIX)(features);
    for (long c = 0; c < components; c++) {
        for (long j = 0; j < features; j++) transposed[c * stride + j] = theta[j * components + c];
        for (long j = features; j < stride; j++) transposed[c * stride + j] = 0;
    }
}

#if GMM_HAVE_AVX2_CODE
/// The sum of a vector's lanes in a fixed tree: lane i + lane i + L/2, then again on the half,
/// down to one (gmm_quadratic_log_joint_by_features's contract).
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
T GMM_JOIN(lane_tree_sum, SUFFIX)(V v) {
    T lanes[L];
    __builtin_memcpy(lanes, &v, sizeof v);
    for (int width = L / 2; width > 0; width /= 2)
        for (int i = 0; i < width; i++) lanes[i] = lanes[i] + lanes[i + width];
    return lanes[0];
}

/// `out[r][c] = z[r] · θᵀ[c]` for R rows and C components, the features in L lanes: lane l sums
/// features l, l + L, l + 2L, ... in order, one FMA at a time, then the lanes' tree. The last
/// vector of a row whose M is not a multiple of L is copied with zeros after it (θᵀ's rows are
/// padded with zeros), so nothing past a row's end is read.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(feature_tile, SUFFIX)(const T *restrict z, long m, const T *restrict thetaT, long ldt,
                                     T *restrict out, long ldo, const int R, const int C) {
    V acc[FT_ROWS][FT_COMPONENTS];
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) acc[r][c] = (V)0;
    const long whole = m / L;
    for (long v = 0; v < whole; v++) {
        V t[FT_COMPONENTS];
        for (int c = 0; c < C; c++) __builtin_memcpy(&t[c], thetaT + c * ldt + v * L, sizeof(V));
        for (int r = 0; r < R; r++) {
            V zr;
            __builtin_memcpy(&zr, z + r * m + v * L, sizeof zr);
            for (int c = 0; c < C; c++) acc[r][c] = __builtin_elementwise_fma(zr, t[c], acc[r][c]);
        }
    }
    if (whole * L < m) {
        V t[FT_COMPONENTS];
        for (int c = 0; c < C; c++) __builtin_memcpy(&t[c], thetaT + c * ldt + whole * L, sizeof(V));
        for (int r = 0; r < R; r++) {
            V zr = (V)0;
            __builtin_memcpy(&zr, z + r * m + whole * L, sizeof(T) * (size_t)(m - whole * L));
            for (int c = 0; c < C; c++) acc[r][c] = __builtin_elementwise_fma(zr, t[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) out[r * ldo + c] = GMM_JOIN(lane_tree_sum, SUFFIX)(acc[r][c]);
}

/// Every component for R rows, FT_COMPONENTS at a time, then the last few.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(feature_rows, SUFFIX)(const T *restrict z, long m, const T *restrict thetaT, long ldt, long components,
                                     T *restrict out, const int R) {
    long c = 0;
    for (; c + FT_COMPONENTS <= components; c += FT_COMPONENTS)
        GMM_JOIN(feature_tile, SUFFIX)(z, m, thetaT + c * ldt, ldt, out + c, components, R, FT_COMPONENTS);
    switch (components - c) {
#define TAIL(C) case C: GMM_JOIN(feature_tile, SUFFIX)(z, m, thetaT + c * ldt, ldt, out + c, components, R, C); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5)
#undef TAIL
    default: break;
    }
}

GMM_AVX512_TARGET
static void GMM_JOIN(log_joint_by_features_avx512, SUFFIX)(const T *restrict z, long rows, long features,
                                                           const T *restrict thetaT, long components, T *restrict out) {
    const long ldt = GMM_JOIN(gmm_quadratic_stride, SUFFIX)(features);
    long i = 0;
    for (; i + FT_ROWS <= rows; i += FT_ROWS)
        GMM_JOIN(feature_rows, SUFFIX)(z + i * features, features, thetaT, ldt, components, out + i * components, FT_ROWS);
    switch (rows - i) {
#define TAIL(R) case R: GMM_JOIN(feature_rows, SUFFIX)(z + i * features, features, thetaT, ldt, components, out + i * components, R); break;
        TAIL(1) TAIL(2) TAIL(3)
#undef TAIL
    default: break;
    }
}

void GMM_JOIN(gmm_quadratic_log_joint_by_features, SUFFIX)(const T *z, long rows, long features, const T *thetaT,
                                                            long components, T *out) {
    GMM_JOIN(log_joint_by_features_avx512, SUFFIX)(z, rows, features, thetaT, components, out);
}

/// `out[r][0..<width) = Σ_j z[r][j] θ[j][0..<width)` for R rows of Z, over NV vectors of columns
/// of the padded Θ (stride `ldt`), each sum taken over j in order, one FMA at a time. With HALF,
/// the last vector is half as wide (a panel whose last columns fill at most half a vector: K = 10
/// or 12 in float64, say): Zen 4 runs a 256-bit FMA in one of its two 256-bit pipes and a 512-bit
/// one in both, so the idle lanes cost nothing; each lane's chain, and so every bit, is the same.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(log_joint_tile, SUFFIX)(const T *restrict z, long ldz, long m, const T *restrict theta, long ldt,
                                      T *restrict out, long ldo, long width, const int R, const int NV, const int HALF) {
    const int full = NV - HALF;
    V acc[LJ_ROWS][LJ_VECTORS];
    HV half[LJ_ROWS];
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < full; c++) acc[r][c] = (V)0;
        if (HALF) half[r] = (HV)0;
    }
    for (long j = 0; j < m; j++) {
        V b[LJ_VECTORS];
        HV hb = (HV)0;
        for (int c = 0; c < full; c++) __builtin_memcpy(&b[c], theta + j * ldt + c * L, sizeof(V));
        if (HALF) __builtin_memcpy(&hb, theta + j * ldt + full * L, sizeof hb);
        for (int r = 0; r < R; r++) {
            const T zj = z[r * ldz + j];
            const V v = (V)zj;
            for (int c = 0; c < full; c++) acc[r][c] = __builtin_elementwise_fma(v, b[c], acc[r][c]);
            if (HALF) half[r] = __builtin_elementwise_fma((HV)zj, hb, half[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        if (width == NV * L && !HALF) {
            for (int c = 0; c < NV; c++) __builtin_memcpy(out + r * ldo + c * L, &acc[r][c], sizeof(V));
        } else {
            T row[LJ_VECTORS * L];
            for (int c = 0; c < full; c++) __builtin_memcpy(row + c * L, &acc[r][c], sizeof(V));
            if (HALF) __builtin_memcpy(row + full * L, &half[r], sizeof half[r]);
            for (long p = 0; p < width; p++) out[r * ldo + p] = row[p];
        }
    }
}

/// The rows of one panel of NV vectors of columns, LJ_ROWS at a time, then the last few.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(log_joint_panel, SUFFIX)(const T *restrict z, long rows, long m, const T *restrict theta, long ldt,
                                       T *restrict out, long ldo, long width, const int NV, const int HALF) {
    long i = 0;
    for (; i + LJ_ROWS <= rows; i += LJ_ROWS)
        GMM_JOIN(log_joint_tile, SUFFIX)(z + i * m, m, m, theta, ldt, out + i * ldo, ldo, width, LJ_ROWS, NV, HALF);
    switch (rows - i) {
#define TAIL(R) case R: GMM_JOIN(log_joint_tile, SUFFIX)(z + i * m, m, m, theta, ldt, out + i * ldo, ldo, width, R, NV, HALF); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5)
#undef TAIL
    default: break;
    }
}

GMM_AVX512_TARGET
static void GMM_JOIN(quadratic_log_joint_avx512, SUFFIX)(const T *restrict z, long rows, long m, const T *restrict theta,
                                                         long components, T *restrict out) {
    const long ldt = GMM_JOIN(gmm_quadratic_stride, SUFFIX)(components), panel = LJ_VECTORS * L;
    for (long p = 0; p < components; p += panel) {
        const long width = components - p < panel ? components - p : panel;
        // The last vector half as wide when the panel's last columns fill at most half of one.
        const int half = width % L != 0 && width % L <= L / 2;
        switch ((width + L - 1) / L * 2 + half) {
#define PANEL(NV, HALF) case NV * 2 + HALF: GMM_JOIN(log_joint_panel, SUFFIX)(z, rows, m, theta + p, ldt, out + p, components, width, NV, HALF); break;
            PANEL(1, 0) PANEL(2, 0) PANEL(3, 0) PANEL(4, 0) PANEL(1, 1) PANEL(2, 1) PANEL(3, 1) PANEL(4, 1)
#undef PANEL
        default: break;
        }
    }
}

/// `sums[k][j..<j + NV L] += Σ_i w[i][k] z[i][j..<j + NV L]` for R components from `k`, the sum
/// over the chunk's rows in order, then added to the sums.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(sums_tile, SUFFIX)(const T *restrict w, long rows, long components, const T *restrict z, long m,
                                 T *restrict sums, long k, long j, const int R, const int NV) {
    V acc[SUM_ROWS][SUM_VECTORS];
    for (int r = 0; r < R; r++) for (int c = 0; c < NV; c++) acc[r][c] = (V)0;
    for (long i = 0; i < rows; i++) {
        V b[SUM_VECTORS];
        for (int c = 0; c < NV; c++) __builtin_memcpy(&b[c], z + i * m + j + c * L, sizeof(V));
        for (int r = 0; r < R; r++) {
            const V v = (V)w[i * components + k + r];
            for (int c = 0; c < NV; c++) acc[r][c] = __builtin_elementwise_fma(v, b[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < NV; c++) {
        T *target = sums + (k + r) * m + j + c * L;
        V old;
        __builtin_memcpy(&old, target, sizeof(V));
        old += acc[r][c];
        __builtin_memcpy(target, &old, sizeof(V));
    }
}

/// Every component for the NV vectors of features from `j`, SUM_ROWS components at a time.
static inline __attribute__((always_inline)) GMM_AVX512_TARGET
void GMM_JOIN(sums_columns, SUFFIX)(const T *restrict w, long rows, long components, const T *restrict z, long m,
                                    T *restrict sums, long j, const int NV) {
    long k = 0;
    for (; k + SUM_ROWS <= components; k += SUM_ROWS)
        GMM_JOIN(sums_tile, SUFFIX)(w, rows, components, z, m, sums, k, j, SUM_ROWS, NV);
    switch (components - k) {
#define TAIL(R) case R: GMM_JOIN(sums_tile, SUFFIX)(w, rows, components, z, m, sums, k, j, R, NV); break;
        TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5) TAIL(6) TAIL(7)
#undef TAIL
    default: break;
    }
}

GMM_AVX512_TARGET
static void GMM_JOIN(quadratic_sums_avx512, SUFFIX)(const T *restrict w, long rows, long components, const T *restrict z,
                                                    long m, T *restrict sums) {
    long j = 0;
    for (; j + SUM_VECTORS * L <= m; j += SUM_VECTORS * L)
        GMM_JOIN(sums_columns, SUFFIX)(w, rows, components, z, m, sums, j, SUM_VECTORS);
    for (; j + L <= m; j += L) GMM_JOIN(sums_columns, SUFFIX)(w, rows, components, z, m, sums, j, 1);
    if (j == m) return;
    // The last m mod L features (up to 15 in float: 3 % of S5's 231, which one at a time took
    // half as long as all the others) in one vector: copied with zeros after them, their sums
    // taken into a zeroed K x L block, whose first lanes are then added. Each is the same chain
    // as one at a time, so the same bits.
    const long tail = m - j;
    T *buffer = malloc(sizeof(T) * (size_t)(rows + components) * L);
    if (buffer) {
        T *zt = buffer, *block = buffer + rows * L;
        for (long i = 0; i < rows; i++)
            for (long c = 0; c < L; c++) zt[i * L + c] = c < tail ? z[i * m + j + c] : 0;
        memset(block, 0, sizeof(T) * (size_t)components * L);
        GMM_JOIN(sums_columns, SUFFIX)(w, rows, components, zt, L, block, 0, 1);
        for (long k = 0; k < components; k++)
            for (long c = 0; c < tail; c++) sums[k * m + j + c] += block[k * L + c];
        free(buffer);
        return;
    }
    // Without memory for that, one at a time, in the same order over the rows.
    for (; j < m; j++) {
        for (long k = 0; k < components; k++) {
            T t = 0;
            for (long i = 0; i < rows; i++) t = GMM_JOIN(__builtin_fma, FMA_SUFFIX)(w[i * components + k], z[i * m + j], t);
            sums[k * m + j] += t;
        }
    }
}

void GMM_JOIN(gmm_quadratic_log_joint, SUFFIX)(const T *z, long rows, long features, const T *theta, long components, T *out) {
    GMM_JOIN(quadratic_log_joint_avx512, SUFFIX)(z, rows, features, theta, components, out);
}

void GMM_JOIN(gmm_quadratic_sums, SUFFIX)(const T *weighted, long rows, long components, const T *z, long features, T *sums) {
    GMM_JOIN(quadratic_sums_avx512, SUFFIX)(weighted, rows, components, z, features, sums);
}
#else
// Never called: gmm_quadratic_products_available() is 0 on this build.
void GMM_JOIN(gmm_quadratic_log_joint_by_features, SUFFIX)(const T *z, long rows, long features, const T *thetaT,
                                                            long components, T *out) {
    (void)z; (void)rows; (void)features; (void)thetaT; (void)components; (void)out;
}

void GMM_JOIN(gmm_quadratic_log_joint, SUFFIX)(const T *z, long rows, long features, const T *theta, long components, T *out) {
    (void)z; (void)rows; (void)features; (void)theta; (void)components; (void)out;
}

void GMM_JOIN(gmm_quadratic_sums, SUFFIX)(const T *weighted, long rows, long components, const T *z, long features, T *sums) {
    (void)weighted; (void)rows; (void)components; (void)z; (void)features; (void)sums;
}
#endif

#undef T
#undef V
#undef HV
#undef L
#undef SUFFIX
#undef FMA_SUFFIX
