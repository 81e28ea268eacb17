#ifndef C_GAUSSIAN_MIXTURES_KERNELS_H
#define C_GAUSSIAN_MIXTURES_KERNELS_H

// The C kernels of the GaussianMixtures engine, internal to the package (see README.md in the
// target's folder). The constants below are read by the Swift code too.

/// 1 when this processor runs the AVX2 and FMA code (checked once), else 0. The fused kernels
/// need it; the other functions fall back to portable code.
int gmm_vector_math_uses_avx2(void);

/// Turns each row of the row-major `rows x columns` matrix `values` from log-weights into
/// probabilities, in place, with a shifted log-sum-exp:
///
///     m_i = max_j v_ij,   s_i = Σ_j exp(v_ij - m_i),   v_ij <- exp(v_ij - m_i) / s_i
///
/// and writes `m_i + log s_i` (the row's log-sum-exp) to `logSums[i]` when `logSums` is not
/// NULL. Returns `Σ_i (m_i + log s_i)`. The exponentials run four at a time with AVX2 and FMA
/// when the processor has them, else through the C library's `exp`; both are accurate to a few
/// units in the last place.
double gmm_normalize_rows(double *values, long rows, long columns, double *logSums);
/// `gmm_normalize_rows`, and per row i its leading column `best[i]` (where `exp(v_ij - m_i)` is
/// exactly 1; the last such column) and `others[i] = Σ_{j ≠ best[i]} exp(v_ij - m_i)`, or 1
/// when two columns lead. A row leads all others by at least `-log(others[i])` nats (by at
/// least 708 when `others[i]` is 0: exp gives 0 only below -708). `best`, `others`: `rows`
/// values each, or both NULL.
double gmm_normalize_rows_leads(double *values, long rows, long columns, double *logSums, int *best, double *others);

/// M, the number of quadratic features of D = `columns` features: D(D+1)/2 + D + 1, or with
/// `diagonal` (diag and spherical covariances, whose densities need no cross products) 2D + 1.
long gmm_quadratic_feature_count(long columns, int diagonal);

/// The quadratic features of `rows` rows of `x` (row-major, `columns` = D values per row,
/// consecutive rows `stride` values apart), centred on `center`: row n of `z` (M values) is
///
///     [ x̃_i x̃_j for i = 0..<D, j = i..<D | x̃_0 ... x̃_{D-1} | 1 ],   x̃ = x_n - center,
///
/// or with `diagonal` `[ x̃_i² for i = 0..<D | x̃ | 1 ]`. `scratch` holds D values.
void gmm_quadratic_features(const double *x, long rows, long columns, long stride, int diagonal, const double *center,
                            double *z, double *scratch);
/// `gmm_quadratic_features` in single precision.
void gmm_quadratic_features_f32(const float *x, long rows, long columns, long stride, int diagonal, const float *center,
                                float *z, float *scratch);

/// k-means assignment: for each of `rows` rows of `x` (D = `columns` values each), the nearest of
/// `k` centres (`centersByFeature`: D x K, row-major, i.e. centre c is column c) by squared
/// Euclidean distance, summed over features in order with the same roundings as a plain loop
/// (no fused multiply-add), the lowest index on ties; written to `labels`. Returns how many
/// labels changed.
long gmm_nearest_centers(const double *x, long rows, long columns, const double *centersByFeature, long k, int *labels);
/// `gmm_nearest_centers` for float32 rows (widened to double before subtracting).
long gmm_nearest_centers_f32(const float *x, long rows, long columns, const double *centersByFeature, long k, int *labels);

/// The GEMM k-means assignment's row side. `gmm_kmeans_shift_rows` writes `x - shift` (rounded
/// in the rows' type) to `shifted` (unless NULL) and each shifted row's squared norm, in double
/// and summed in any order, to `norms`.
/// `gmm_kmeans_gemm_labels` takes `products` (rows x K, the shifted rows times the shifted
/// centres) and the centres' squared norms: a row whose least `‖c'‖² - 2 x'·c'` beats every
/// other by more than `relativeBound · (rowNorms[n] + largestCenterNorm) + absoluteBound`, all
/// values finite, gets that centre; any other row is labelled by gmm_nearest_centers (with
/// `centersByFeature`) and counted in `*undecided`. Returns how many labels changed.
/// Unless `upper` is NULL, each row also gets bounds on its exact distances (not squared) times
/// `scale` (a power of two), as floats rounded outward: `upper[n]` at least the distance to its
/// centre and `lower[n]` at most the distance to any other (Hamerly's bounds), from the GEMM
/// values widened by the bound above; a row the GEMM values do not decide gets `+inf` and 0.
void gmm_kmeans_shift_rows(const double *x, long rows, long columns, const double *shift, double *shifted,
                           double *norms);
void gmm_kmeans_shift_rows_f32(const float *x, long rows, long columns, const float *shift, float *shifted,
                               double *norms);
long gmm_kmeans_gemm_labels(const double *x, long rows, long columns, const double *products, long k,
                            const double *centerNorms, double largestCenterNorm, const double *rowNorms,
                            double relativeBound, double absoluteBound, const double *centersByFeature, int *labels,
                            long *undecided, float *upper, float *lower, double scale);
long gmm_kmeans_gemm_labels_f32(const float *x, long rows, long columns, const float *products, long k,
                                const double *centerNorms, double largestCenterNorm, const double *rowNorms,
                                double relativeBound, double absoluteBound, const double *centersByFeature,
                                int *labels, long *undecided, float *upper, float *lower, double scale);

/// Hamerly's bounds moved by the centres' last move (see DistanceBounds in KMeansBounds.swift):
/// for each of `rows` rows with centre `a = labels[n]`, `u = upper[n] + moved[a]` and
/// `l = lower[n] - othersMoved[a]`, each widened by a rounding; when `l > u · ratio` and
/// `l > floor`, the row keeps its label and gets `u` and `l` as its bounds (as floats rounded
/// outward), else (or when `a < 0`) its index goes to `candidates`. Returns how many did.
long gmm_kmeans_bounds_update(long rows, const int *labels, float *upper, float *lower, const double *moved,
                              const double *othersMoved, double ratio, double floor, int *candidates);

/// k-means++ for the `rows` rows of a chunk (`weights` may be NULL for all ones): with the scaled
/// distance `d_nc = (w_n · unit) · Σ_j (x_nj - p_cj)²` summed in feature order without fused
/// multiply-adds, `gmm_seed_potentials` adds `min(closest_n, d_nc)` to `sums[c]` for each of the
/// `trials` candidate points (`candidates`: trials x D, row-major), row by row; `gmm_seed_closest`
/// lowers `closest_n` to `(float)d_n` for one new seed `point`.
void gmm_seed_potentials(const double *x, const double *weights, long rows, long columns, const double *candidates,
                         long trials, double unit, const float *closest, double *sums);
void gmm_seed_potentials_f32(const float *x, const double *weights, long rows, long columns, const double *candidates,
                             long trials, double unit, const float *closest, double *sums);
void gmm_seed_closest(const double *x, const double *weights, long rows, long columns, const double *point,
                      double unit, float *closest);
void gmm_seed_closest_f32(const float *x, const double *weights, long rows, long columns, const double *point,
                          double unit, float *closest);

/// Lanes of one AVX2 vector in the fused kernels: 4 doubles, 8 floats. Each of the fused
/// kernel's sums is kept as this many partial sums, one per lane (8 for double with AVX-512,
/// GMM_FUSED_LANES_F64_AVX512).
#define GMM_FUSED_LANES_F64 4
#define GMM_FUSED_LANES_F32 8
/// Lanes of the double fused kernel with AVX-512: 8.
#define GMM_FUSED_LANES_F64_AVX512 8

/// Lanes of the double fused kernel on this processor (GMM_FUSED_LANES_F64_AVX512 with
/// AVX-512, else GMM_FUSED_LANES_F64): its `laneSums` and `scratch` are sized by it.
long gmm_fused_lanes_f64(void);

/// Vectors of rows the fused kernel takes at a time, each vector one row per lane: its `scratch`
/// holds GMM_FUSED_BLOCKS x lanes x (M + K) values.
#define GMM_FUSED_BLOCKS 8

/// The largest K·M for which the fused kernels are meant (their 32 K M bytes of lane sums at 4
/// lanes stay within half of a 512 KiB L2, 64 K M at 8 within a 1 MiB one; measured crossover with the GEMMs: D = 32 fused is 1.6x faster,
/// D = 64 at K = 8 is slower in float32), and the
/// largest D they take.
#define GMM_FUSED_MAX_TERMS 8192
#define GMM_FUSED_MAX_FEATURES 64

/// Adds the lower triangle of `aᵀ a` to `out` (`columns` x `columns`, row-major; the entries
/// above the diagonal are not touched), where `a` is `rows` x `columns`, row-major: entry (i, j),
/// j <= i, gets `Σ_r a_ri a_rj`, each product rounded in double and the sum taken over the rows in
/// order from zero, then added. For the small blocks where a `syrk` call costs more than its work;
/// fastest when `columns` is a multiple of 4 (whole 4 x 4 tiles of sums kept in registers).
void gmm_gram_lower_add(const double *a, long rows, long columns, double *out);
/// `gmm_gram_lower_add` for float32 rows (the products and sums in double).
void gmm_gram_lower_add_f32(const float *a, long rows, long columns, double *out);

/// The pruned E-step's held rows: for each of the `count` rows `n = rows[i]` of `x` (D =
/// `columns` values a row, row-major), held by component `b = best[n]`, forms z(x_n) about
/// `center` as `gmm_quadratic_features` does (`diagonal` likewise, in double), writes
/// `v = θ_b · z(x_n)` (`theta`: K x M, one component's M coefficients after another) to
/// `values[i]` and, when `v >= threshold` and `w_n = weights ? weights[n] : 1` is positive,
/// adds `w_n z(x_n)` to `sums + b M` (K x M). `scratch` holds M + 4 D + 16 + `count` doubles.
/// Past D = 48 (full covariances) z is never written and the rows are taken grouped by component,
/// each component's rows in order.
void gmm_held_rows(const double *x, long columns, const int *rows, long count, const int *best, const double *weights,
                   int diagonal, const double *center, const double *theta, double threshold, double *sums,
                   double *values, double *scratch);
/// `gmm_held_rows` for float32 data (every other array double).
void gmm_held_rows_f32(const float *x, long columns, const int *rows, long count, const int *best, const double *weights,
                       int diagonal, const double *center, const double *theta, double threshold, double *sums,
                       double *values, double *scratch);

/// One chunk of the E-step on quadratic features, fused, for K·M <= GMM_FUSED_MAX_TERMS and
/// D <= GMM_FUSED_MAX_FEATURES (AVX2 and FMA only: call it only when gmm_vector_math_uses_avx2()).
/// For the `rows` rows of `x` (D = `columns` values each, row-major) it forms z(x_n) as
/// `gmm_quadratic_features` does (`diagonal` likewise), the log joint densities `v_nk = z(x_n) · θ_k` (`theta`: M x K,
/// row-major), the responsibilities `r_nk = exp(v_nk - log Σ_j exp v_nj)`, and adds
/// `w_n r_nk z(x_n)` (`w_n = weights[n]`, or 1 when `weights` is NULL) to `laneSums`, which holds K x M sums of L = `lanes`
/// lanes each (entry (k, p) is `laneSums[L (k M + p) + lane]`; a row adds to lane `row mod L`, so the caller sums the
/// lanes: gmm_fused_fold_lanes). `scratch` holds GMM_FUSED_BLOCKS x L x (M + K) values; both are aligned to 8 L
/// bytes (32 at 4 lanes, 64 at 8). Returns `Σ_n w_n log p(x_n)`.
/// When `best` is not NULL, row n's leading component and the sum of the others'
/// `exp(v_nk - max_k v_nk)` go to `best[n]` and `gaps[n]`, as `gmm_normalize_rows_leads` gives
/// them (`gaps[n]` is 0 when every other exp underflows: below -708 in double, -87 in float).
/// `lanes` is GMM_FUSED_LANES_F64 (AVX2) or, where gmm_fused_lanes_f64() gives it, GMM_FUSED_LANES_F64_AVX512
/// (AVX-512). Any other count, or 8 without AVX-512, returns NaN and touches nothing.
double gmm_fused_quadratic_chunk(long lanes, const double *x, const double *weights, long rows, long columns, int diagonal,
                                 const double *center, const double *theta, long components, double *laneSums, double *scratch,
                                 int *best, double *gaps);
/// Folds the fused kernel's lane sums into `sums` (`count` = K M values): `sums[i] += t` with
/// `t = ((0 + laneSums[i L]) + laneSums[i L + 1]) + ...` over the `lanes` lanes (L) in order.
void gmm_fused_fold_lanes(const double *laneSums, long count, long lanes, double *sums);
/// The same for gmm_fused_quadratic_chunk_f32's lane sums (GMM_FUSED_LANES_F32 lanes, `t` summed in float).
void gmm_fused_fold_lanes_f32(const float *laneSums, long count, double *sums);
/// `gmm_fused_quadratic_chunk` in single precision, GMM_FUSED_LANES_F32 = 8 lanes (`laneSums`:
/// 8 K M values, `scratch`: GMM_FUSED_BLOCKS x 8 x (M + K) = 64 (M + K) values). The log-likelihood is still summed in double.
double gmm_fused_quadratic_chunk_f32(const float *x, const double *weights, long rows, long columns, int diagonal, const float *center,
                                     const float *theta, long components, float *laneSums, float *scratch, int *best, double *gaps);

/// Whether this processor runs the AVX-512 (F) code as well as the AVX2 and FMA code.
int gmm_vector_math_uses_avx512(void);

/// The row stride of Θ laid out for the quadratic products: `count` (K for Θ padded, M for Θᵀ)
/// rounded up to a whole AVX-512 vector (8 doubles; 16 floats for the `_f32` version).
long gmm_quadratic_stride(long count);
long gmm_quadratic_stride_f32(long count);
/// Copies `theta` (`features` x `components`, row-major) into `padded` (`features` x
/// `gmm_quadratic_stride(components)`), the extra columns zero.
void gmm_quadratic_pad_theta(const double *theta, long features, long components, double *padded);
void gmm_quadratic_pad_theta_f32(const float *theta, long features, long components, float *padded);
/// Whether this processor runs gmm_quadratic_log_joint and gmm_quadratic_sums (AVX-512), and
/// their `_f32` versions; without them the quadratic road's products are GEMMs.
int gmm_quadratic_products_available(void);
/// The log joint densities of one chunk, `out = Z Θ`: `z` is `rows` x `features` (M) row-major,
/// `theta` is Θ padded by gmm_quadratic_pad_theta, `out` is `rows` x `components` row-major.
/// Entry (n, k) is `fma(z[n][M-1], θ[M-1][k], ... fma(z[n][1], θ[1][k], fma(z[n][0], θ[0][k], 0)))`:
/// one chain of FMAs over the features in order.
void gmm_quadratic_log_joint(const double *z, long rows, long features, const double *theta, long components, double *out);
/// `gmm_quadratic_log_joint` in single precision (Θ padded by gmm_quadratic_pad_theta_f32), one
/// chain of float FMAs per entry.
void gmm_quadratic_log_joint_f32(const float *z, long rows, long features, const float *theta, long components, float *out);
/// Θᵀ for gmm_quadratic_log_joint_by_features: copies `theta` (`features` x `components`,
/// row-major) into `transposed` (`components` x `gmm_quadratic_stride(features)`), the extra
/// columns zero.
void gmm_quadratic_transpose_theta(const double *theta, long features, long components, double *transposed);
void gmm_quadratic_transpose_theta_f32(const float *theta, long features, long components, float *transposed);
/// `out = Z Θ` as gmm_quadratic_log_joint, but summed along the features, which fills every lane
/// whatever K (`thetaT` from gmm_quadratic_transpose_theta): entry (n, k) is the tree sum of L
/// lane sums (L = 8 doubles, 16 floats), lane l `fma(z[n][j], θ[j][k], ...)` over j = l, l + L,
/// ... in order from 0, the tree adding lane i and lane i + L/2, then again on the half, down
/// to one.
void gmm_quadratic_log_joint_by_features(const double *z, long rows, long features, const double *thetaT, long components,
                                         double *out);
void gmm_quadratic_log_joint_by_features_f32(const float *z, long rows, long features, const float *thetaT, long components,
                                             float *out);
/// Adds one chunk's weighted sums, `sums += Wᵀ Z`: `weighted` is `rows` x `components` (`w_n
/// r_nk`), `z` is `rows` x `features` (M), `sums` is `components` x M, all row-major. Entry (k,
/// j) gets `t = fma(w[rows-1][k], z[rows-1][j], ... fma(w[0][k], z[0][j], 0))`, one chain over
/// the rows in order, then `sums[k][j] += t`.
void gmm_quadratic_sums(const double *weighted, long rows, long components, const double *z, long features, double *sums);
/// `gmm_quadratic_sums` in single precision: `t` and `sums` in float.
void gmm_quadratic_sums_f32(const float *weighted, long rows, long components, const float *z, long features, float *sums);

#endif
