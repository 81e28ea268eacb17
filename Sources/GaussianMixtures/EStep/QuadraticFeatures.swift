import Foundation
import CGaussianMixturesKernels

/// The fast path's main road: the E-step and the statistics as two matrix products over quadratic features.
///
/// With `x̃ = x - c` (`c` the column means of the data) and the feature vector
///
///     z(x) = [ x̃_i x̃_j (i <= j) | x̃_1 ... x̃_D | 1 ]        (M = D(D+1)/2 + D + 1 entries)
///
/// the log joint density of every component is linear in `z`:
///
///     log w_k + log N(x | μ_k, Σ_k) = z(x) · θ_k,
///     θ_k = [ -½ Λ_ii on (i, i), -Λ_ij on (i, j) for i < j | Λ μ̃ | a_k ],
///     a_k = log w_k - ½ log|Σ_k| - (D/2) log 2π - ½ μ̃ᵀ Λ μ̃,    Λ = Σ_k⁻¹,  μ̃ = μ_k - c.
///
/// So the log-densities of a chunk for all K components are one product `Z Θ` (n x M times M x K),
/// and its statistics `Σ_n r_nk z(x_n)`, which hold `N_k`, `Σ r x̃` and `Σ r x̃ x̃ᵀ`, are one more,
/// `Rᵀ Z` (K x n times n x M). Each is about `N·K·D²` flops on well-shaped matrices, where the
/// whitening road (``BLASKernel``) needs `2·N·K·D²` for `X L⁻ᵀ` plus `N·K·D²` in K small `dsyrk`s.
///
/// The price is rounding: `z · θ_k` adds terms as large as
///
///     B_k = Σ_ij |Λ_ij| m_i m_j + 2 Σ_i |(Λ μ̃)_i| m_i + μ̃ᵀ Λ μ̃,     m_i = max_n |x̃_ni|,
///
/// so its absolute error is of order `ε B_k` (ε = 2.2e-16) where the whitening road's is of
/// order ε times the Mahalanobis distance itself; the covariance recovered from `Σ r x̃ x̃ᵀ`
/// carries the same relative error. A model is run on this road only when every `B_k` is at
/// most `EngineScalar.quadraticConditionLimit` (4.5e5, which bounds those errors near 1e-10 in
/// float64; float32 uses the same limit, see `Scalar.swift`); otherwise (outlying rows,
/// components far from the data's centre compared with their spread, nearly singular
/// covariances) the iteration takes the whitening road, which is slower but never loses digits.
struct QuadraticFeatures {
    let features: Int
    /// `M`.
    let count: Int
    /// `c`, the column means.
    let center: [Double]
    /// `m_i = max_n |x_ni - c_i|`.
    let reach: [Double]

    /// Whether `z` holds only the squares `x̃_i²` (diag and spherical models, whose precision
    /// matrices are diagonal): then M = 2D + 1 and the road costs O(N·K·D).
    let diagonal: Bool

    /// Number of entries of `z` before the linear block: `D(D+1)/2`, or `D` when ``diagonal``.
    var pairCount: Int { diagonal ? features : features * (features + 1) / 2 }

    /// Index in `z` of `x̃_i x̃_j` for `i <= j` (only `i == j` when ``diagonal``).
    @inline(__always) func pairIndex(_ i: Int, _ j: Int) -> Int {
        diagonal ? i : i * features - i * (i - 1) / 2 + (j - i)
    }

    /// From the data's ``ColumnSummary`` (one pass over them, taken here unless given): column
    /// means and the largest distance from them per column.
    /// `diagonal` chooses the layout for models with diagonal covariances.
    init<Scalar>(data: DataView<Scalar>, diagonal: Bool = false, summary: ColumnSummary? = nil) {
        let d = data.columns
        features = d
        self.diagonal = diagonal
        count = gmm_quadratic_feature_count(d, diagonal ? 1 : 0)
        // The column means and each column's largest distance from its mean, over every process's rows.
        let summary = summary ?? data.columnSummary()
        center = summary.sums.map { $0 / Double(max(1, data.globalRows)) }
        reach = summary.reach(from: center)
    }

    /// `Θ` (M x K, row-major; column k is `θ_k`) for `model`, or `nil` when some `B_k` exceeds
    /// `limit` and the whitening road must be taken.
    func coefficients(of model: GaussianMixture, limit: Double) -> [Double]? {
        coefficients(of: model, ComponentFactors(model), limit: limit)
    }

    /// `Θ` for `model` from its E-step state `factors`, or `nil` when some `B_k` exceeds `limit`.
    func coefficients(of model: GaussianMixture, _ factors: ComponentFactors, limit: Double) -> [Double]? {
        if let u = factors.diagonalFactors { return diagonalCoefficients(of: model, u, factors.logNormalizers, limit: limit) }
        let d = features, k = model.componentCount, m = count, pairs = pairCount
        var theta = [Double](repeating: 0, count: m * k)
        var precision = [Double](repeating: 0, count: d * d)
        var whitened = [Double](repeating: 0, count: d)
        var linear = [Double](repeating: 0, count: d)
        let p = factors.precisionFactors  // P[a, c·D + b] = (L_c⁻¹)[b, a]
        let kd = k * d
        for c in 0..<k {
            // Λ = L⁻ᵀ L⁻¹, i.e. Λ_ij = Σ_b P[i, cD+b] P[j, cD+b].
            p.withUnsafeBufferPointer { pb in
                precision.withUnsafeMutableBufferPointer { out in
                    Double.gemm(m: d, n: d, k: d, a: pb.baseAddress! + c * d, lda: kd,
                                b: pb.baseAddress! + c * d, ldb: kd, transposeB: true,
                                c: out.baseAddress!, ldc: d)
                }
            }
            // w = L⁻¹ μ̃, Λ μ̃ = L⁻ᵀ w, μ̃ᵀ Λ μ̃ = |w|².
            var quadratic = 0.0
            for b in 0..<d {
                var s = 0.0
                for a in 0..<d { s += p[a * kd + c * d + b] * (model.means[c, a] - center[a]) }
                whitened[b] = s
                quadratic += s * s
            }
            var bound = quadratic
            for i in 0..<d {
                var s = 0.0
                for b in 0..<d { s += p[i * kd + c * d + b] * whitened[b] }
                linear[i] = s
                bound += 2 * abs(s) * reach[i]
            }
            for i in 0..<d {
                theta[(pairIndex(i, i)) * k + c] = -0.5 * precision[i * d + i]
                bound += abs(precision[i * d + i]) * reach[i] * reach[i]
                for j in (i + 1)..<max(i + 1, d) {
                    // The diagonal layout has no cross products: it is only for diagonal Λ.
                    guard !diagonal else { if precision[i * d + j] != 0 { return nil }; continue }
                    theta[pairIndex(i, j) * k + c] = -precision[i * d + j]
                    bound += 2 * abs(precision[i * d + j]) * reach[i] * reach[j]
                }
                theta[(pairs + i) * k + c] = linear[i]
            }
            guard bound <= limit else { return nil }
            theta[(m - 1) * k + c] = factors.logNormalizers[c] - 0.5 * quadratic
        }
        return theta
    }

    /// ``coefficients(of:_:limit:)`` for diagonal precisions `Λ = diag(u_k²)` given by their
    /// factors' diagonals `u` (K x D): `w = u ⊙ μ̃`, `Λ μ̃ = u ⊙ w`, no cross terms.
    func diagonalCoefficients(of model: GaussianMixture, _ u: [Double], _ logNormalizers: [Double],
                              limit: Double) -> [Double]? {
        let d = features, k = model.componentCount, m = count, pairs = pairCount
        var theta = [Double](repeating: 0, count: m * k)
        var whitened = [Double](repeating: 0, count: d)
        for c in 0..<k {
            var quadratic = 0.0
            for b in 0..<d {
                let s = u[c * d + b] * (model.means[c, b] - center[b])
                whitened[b] = s
                quadratic += s * s
            }
            var bound = quadratic
            for i in 0..<d { bound += 2 * abs(u[c * d + i] * whitened[i]) * reach[i] }
            for i in 0..<d {
                let precision = u[c * d + i] * u[c * d + i]
                theta[pairIndex(i, i) * k + c] = -0.5 * precision
                bound += abs(precision) * reach[i] * reach[i]
                theta[(pairs + i) * k + c] = u[c * d + i] * whitened[i]
            }
            guard bound <= limit else { return nil }
            theta[(m - 1) * k + c] = logNormalizers[c] - 0.5 * quadratic
        }
        return theta
    }

    /// The statistics about `c` held in `sums` (K x M: `Σ_n r_nk z(x_n)` for each k), in the
    /// form the M-step takes.
    func statistics(from sums: UnsafePointer<Double>, components k: Int) -> SufficientStatistics {
        let d = features, m = count, pairs = pairCount
        var stats = SufficientStatistics(components: k, features: d,
                                         shifts: (0..<k).flatMap { _ in center })
        for c in 0..<k {
            let row = sums + c * m
            stats.weightSums[c] = row[m - 1]
            for i in 0..<d {
                stats.centeredSums[c * d + i] = row[pairs + i]
                // The diagonal layout leaves the cross terms at zero: diag and spherical M-steps
                // read only the diagonal.
                for j in i..<(diagonal ? i + 1 : d) {
                    let v = row[pairIndex(i, j)]
                    stats.centeredScatter[c * d * d + j * d + i] = v
                    stats.centeredScatter[c * d * d + i * d + j] = v
                }
            }
        }
        return stats
    }
}
