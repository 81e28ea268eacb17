// k-means assignment and k-means++ seeding for rows of one scalar type. KMeans.c includes this
// once per type, with fused multiply-adds off, and with these macros defined:
//   T        the scalar of the rows (double, float); centres and candidates are double
//   SUFFIX   the suffix of the type's function names (nothing for double, _f32 for float)
// See gmm_nearest_centers, gmm_seed_potentials and gmm_seed_closest in CGaussianMixturesKernels.h
// for the contracts. The macros are undefined at the end, ready for the next type.

/// `Σ_j (x_j - p_j)²` of the row `xn` and the point whose coordinate j is `p[j * stride]`, summed
/// in feature order, a multiply then an add, as a plain loop rounds.
static inline __attribute__((always_inline))
double GMM_JOIN(squared_distance, SUFFIX)(const T *xn, const double *p, long stride, long columns) {
    double sum = 0;
    for (long j = 0; j < columns; j++) {
        double t = (double)xn[j] - p[j * stride];
        double square = t * t;
        sum = sum + square;
    }
    return sum;
}

/// The assignment of gmm_nearest_centers, inlined into an AVX2 version and a baseline version
/// below. With `vectors` (a constant in each) it takes four centres per vector, each lane summed
/// exactly as squared_distance sums; the centres left over, or all without `vectors`, one by one.
static inline __attribute__((always_inline))
long GMM_JOIN(nearest_centers_rows, SUFFIX)(const T *x, long rows, long columns, const double *centersByFeature, long k,
                                            int *labels, int vectors) {
    long changed = 0;
    for (long n = 0; n < rows; n++) {
        const T *xn = x + n * columns;
        double bestDistance = INFINITY;
        long best = 0, c = 0;
        for (; vectors && c + 4 <= k; c += 4) {
            f64x4 sum = (f64x4)0.0;
            for (long j = 0; j < columns; j++) {
                f64x4 p;
                __builtin_memcpy(&p, centersByFeature + j * k + c, sizeof p);
                f64x4 t = (f64x4)(double)xn[j] - p;
                f64x4 square = t * t;
                sum = sum + square;
            }
            for (int lane = 0; lane < 4; lane++) {
                if (sum[lane] < bestDistance) { bestDistance = sum[lane]; best = c + lane; }
            }
        }
        for (; c < k; c++) {
            double sum = GMM_JOIN(squared_distance, SUFFIX)(xn, centersByFeature + c, k, columns);
            if (sum < bestDistance) { bestDistance = sum; best = c; }
        }
        if (labels[n] != (int)best) changed++;
        labels[n] = (int)best;
    }
    return changed;
}

GMM_AVX2_TARGET
static long GMM_JOIN(nearest_centers_avx2, SUFFIX)(const T *x, long rows, long columns, const double *centersByFeature,
                                                   long k, int *labels) {
    return GMM_JOIN(nearest_centers_rows, SUFFIX)(x, rows, columns, centersByFeature, k, labels, 1);
}

static long GMM_JOIN(nearest_centers_baseline, SUFFIX)(const T *x, long rows, long columns, const double *centersByFeature,
                                                       long k, int *labels) {
    return GMM_JOIN(nearest_centers_rows, SUFFIX)(x, rows, columns, centersByFeature, k, labels, 0);
}

long GMM_JOIN(gmm_nearest_centers, SUFFIX)(const T *x, long rows, long columns, const double *centersByFeature, long k,
                                           int *labels) {
    return gmm_vector_math_uses_avx2() ? GMM_JOIN(nearest_centers_avx2, SUFFIX)(x, rows, columns, centersByFeature, k, labels)
                                       : GMM_JOIN(nearest_centers_baseline, SUFFIX)(x, rows, columns, centersByFeature, k, labels);
}

// k-means++: the scaled distance of row n to a point p is `(w_n · unit) · Σ_j (x_nj - p_j)²`, and
// `min(a, b)` is Swift's, `b < a ? b : a`. With `vectors` (a constant in each version), four rows
// go in one vector, each lane summing its row in feature order exactly as squared_distance does,
// and the sums over rows are still added one row at a time in row order: the results are those
// of the one-row loop, bit for bit.

/// Four consecutive values of the rows' type, widened to double, into `*out`.
static inline __attribute__((always_inline))
void GMM_JOIN(load4, SUFFIX)(const T *p, f64x4 *out) {
    T v[4] __attribute__((aligned(32)));
    __builtin_memcpy(v, p, sizeof v);
    *out = (f64x4){(double)v[0], (double)v[1], (double)v[2], (double)v[3]};
}

/// Rows n ..< n + 4 of `x` by feature (`xt[j]` holds feature j of the four rows), widened to
/// double: four features at a time by a 4 x 4 transpose, the rest one by one.
static inline __attribute__((always_inline))
void GMM_JOIN(transpose4, SUFFIX)(const T *x, long n, long columns, f64x4 *xt) {
    const T *x0 = x + n * columns, *x1 = x0 + columns, *x2 = x1 + columns, *x3 = x2 + columns;
    long j = 0;
    for (; j + 4 <= columns; j += 4) {
        f64x4 r0, r1, r2, r3;
        GMM_JOIN(load4, SUFFIX)(x0 + j, &r0);
        GMM_JOIN(load4, SUFFIX)(x1 + j, &r1);
        GMM_JOIN(load4, SUFFIX)(x2 + j, &r2);
        GMM_JOIN(load4, SUFFIX)(x3 + j, &r3);
        f64x4 a = __builtin_shufflevector(r0, r1, 0, 4, 2, 6), b = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
        f64x4 c = __builtin_shufflevector(r2, r3, 0, 4, 2, 6), d = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
        xt[j] = __builtin_shufflevector(a, c, 0, 1, 4, 5);
        xt[j + 1] = __builtin_shufflevector(b, d, 0, 1, 4, 5);
        xt[j + 2] = __builtin_shufflevector(a, c, 2, 3, 6, 7);
        xt[j + 3] = __builtin_shufflevector(b, d, 2, 3, 6, 7);
    }
    for (; j < columns; j++) xt[j] = (f64x4){(double)x0[j], (double)x1[j], (double)x2[j], (double)x3[j]};
}

#ifndef GMM_SEED_VECTOR_COLUMNS
typedef float f32x4 __attribute__((ext_vector_type(4)));

/// Feature counts up to this take the four-row vectors (their transposed block lives on the stack).
#define GMM_SEED_VECTOR_COLUMNS 64

/// `Σ_j (xt[j] - p_j)²` of the four rows of `xt` into `*out`, each lane in feature order.
static inline __attribute__((always_inline))
void seed_distances4(const f64x4 *xt, long columns, const double *p, f64x4 *out) {
    f64x4 sum = (f64x4)0.0;
    for (long j = 0; j < columns; j++) {
        f64x4 t = xt[j] - p[j];
        f64x4 square = t * t;
        sum = sum + square;
    }
    *out = sum;
}
#endif

/// gmm_seed_potentials. With `vectors`, four trials go in one vector (the last trial repeated to
/// fill it), each lane summing its trial's distance in feature order and adding its capped values
/// to its own sum in row order, exactly as the one-trial loop below does.
static inline __attribute__((always_inline))
void GMM_JOIN(seed_potentials_rows, SUFFIX)(const T *x, const double *weights, long rows, long columns,
                                            const double *candidates, long trials, double unit, const float *closest,
                                            double *sums, int vectors) {
    long n = 0;
    f64x4 p[GMM_SEED_VECTOR_COLUMNS];
    for (long first = 0; vectors && columns <= GMM_SEED_VECTOR_COLUMNS && first < trials; first += 4) {
        for (long j = 0; j < columns; j++) {
            for (int lane = 0; lane < 4; lane++) {
                long c = first + lane < trials ? first + lane : trials - 1;
                p[j][lane] = candidates[c * columns + j];
            }
        }
        f64x4 total = (f64x4)0.0;
        for (int lane = 0; lane < 4 && first + lane < trials; lane++) total[lane] = sums[first + lane];
        for (long r = 0; r < rows; r++) {
            const T *xr = x + r * columns;
            f64x4 sum = (f64x4)0.0;
            for (long j = 0; j < columns; j++) {
                f64x4 t = (f64x4)(double)xr[j] - p[j];
                f64x4 square = t * t;
                sum = sum + square;
            }
            f64x4 value = (f64x4)((weights ? weights[r] : 1.0) * unit) * sum;
            f64x4 cap = (f64x4)(double)closest[r];
            i64x4 below = value < cap;
            total = total + (f64x4)((below & (i64x4)value) | (~below & (i64x4)cap));
        }
        for (int lane = 0; lane < 4 && first + lane < trials; lane++) sums[first + lane] = total[lane];
        n = rows;
    }
    for (; n < rows; n++) {
        const T *xn = x + n * columns;
        double cap = (double)closest[n];
        for (long c = 0; c < trials; c++) {
            double sum = GMM_JOIN(squared_distance, SUFFIX)(xn, candidates + c * columns, 1, columns);
            double value = (weights ? weights[n] : 1.0) * unit * sum;
            sums[c] = sums[c] + (value < cap ? value : cap);
        }
    }
}

static inline __attribute__((always_inline))
void GMM_JOIN(seed_closest_rows, SUFFIX)(const T *x, const double *weights, long rows, long columns, const double *point,
                                         double unit, float *closest, int vectors) {
    long n = 0;
    f64x4 xt[GMM_SEED_VECTOR_COLUMNS];
    for (; vectors && columns <= GMM_SEED_VECTOR_COLUMNS && n + 4 <= rows; n += 4) {
        GMM_JOIN(transpose4, SUFFIX)(x, n, columns, xt);
        f64x4 scale = weights ? (f64x4){weights[n], weights[n + 1], weights[n + 2], weights[n + 3]} : (f64x4)1.0;
        f64x4 value;
        seed_distances4(xt, columns, point, &value);
        value = scale * unit * value;
        f32x4 candidate = __builtin_convertvector(value, f32x4), current;
        __builtin_memcpy(&current, closest + n, sizeof current);
        i32x4 lower = candidate < current;
        current = (f32x4)((lower & (i32x4)candidate) | (~lower & (i32x4)current));
        __builtin_memcpy(closest + n, &current, sizeof current);
    }
    for (; n < rows; n++) {
        double sum = GMM_JOIN(squared_distance, SUFFIX)(x + n * columns, point, 1, columns);
        double value = (weights ? weights[n] : 1.0) * unit * sum;
        float candidate = (float)value;
        closest[n] = candidate < closest[n] ? candidate : closest[n];
    }
}

GMM_AVX2_TARGET
static void GMM_JOIN(seed_potentials_avx2, SUFFIX)(const T *x, const double *weights, long rows, long columns,
                                                   const double *candidates, long trials, double unit,
                                                   const float *closest, double *sums) {
    GMM_JOIN(seed_potentials_rows, SUFFIX)(x, weights, rows, columns, candidates, trials, unit, closest, sums, 1);
}

void GMM_JOIN(gmm_seed_potentials, SUFFIX)(const T *x, const double *weights, long rows, long columns,
                                           const double *candidates, long trials, double unit, const float *closest,
                                           double *sums) {
    if (gmm_vector_math_uses_avx2())
        GMM_JOIN(seed_potentials_avx2, SUFFIX)(x, weights, rows, columns, candidates, trials, unit, closest, sums);
    else
        GMM_JOIN(seed_potentials_rows, SUFFIX)(x, weights, rows, columns, candidates, trials, unit, closest, sums, 0);
}

GMM_AVX2_TARGET
static void GMM_JOIN(seed_closest_avx2, SUFFIX)(const T *x, const double *weights, long rows, long columns,
                                                const double *point, double unit, float *closest) {
    GMM_JOIN(seed_closest_rows, SUFFIX)(x, weights, rows, columns, point, unit, closest, 1);
}

void GMM_JOIN(gmm_seed_closest, SUFFIX)(const T *x, const double *weights, long rows, long columns, const double *point,
                                        double unit, float *closest) {
    if (gmm_vector_math_uses_avx2())
        GMM_JOIN(seed_closest_avx2, SUFFIX)(x, weights, rows, columns, point, unit, closest);
    else
        GMM_JOIN(seed_closest_rows, SUFFIX)(x, weights, rows, columns, point, unit, closest, 0);
}

#undef T
#undef SUFFIX
