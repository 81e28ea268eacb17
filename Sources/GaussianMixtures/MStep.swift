/// The M-step: the weighted maximum-likelihood parameters from the sufficient statistics,
/// with scikit-learn's conventions.
///
///     n_k = N_k + 10 ε                    (ε = machine epsilon, keeps empty components finite)
///     w_k = n_k / Σ_j n_j
///     μ_k = (s_k + N_k c_k) / n_k
///     T_k = S_k - d s_kᵀ - s_k dᵀ + N_k d dᵀ,   d = μ_k - c_k
///
/// where `T_k` is `Σ_n r_nk (x_n - μ_k)(x_n - μ_k)ᵀ` computed from the scatter about the shift
/// `c_k`; then the covariances as ``CovarianceType`` says (full: `T_k / n_k + λ I`, and so on),
/// with `λ` the regularization (`reg_covar`).
/// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``
///   naming the component and `iteration`.
func maximizationStep(_ stats: SufficientStatistics, covarianceType: CovarianceType = .full,
                      regularization: Double, iteration: Int) throws -> GaussianMixture {
    let k = stats.components, d = stats.features
    let counts = stats.weightSums.map { $0 + 10 * Double.ulpOfOne }
    let total = counts.reduce(0, +)
    let weights = counts.map { $0 / total }
    var means = Matrix(zeros: k, d)
    var scatters: [Matrix] = []
    scatters.reserveCapacity(k)
    for c in 0..<k {
        var delta = [Double](repeating: 0, count: d)
        for i in 0..<d {
            let shift = stats.shifts[c * d + i]
            let mean = (stats.centeredSums[c * d + i] + stats.weightSums[c] * shift) / counts[c]
            means[c, i] = mean
            delta[i] = mean - shift
        }
        var scatter = Matrix(zeros: d, d)
        for i in 0..<d {
            for j in 0...i {
                let s = stats.centeredScatter[c * d * d + i * d + j]
                    - delta[i] * stats.centeredSums[c * d + j]
                    - stats.centeredSums[c * d + i] * delta[j]
                    + stats.weightSums[c] * delta[i] * delta[j]
                scatter[i, j] = s
                scatter[j, i] = s
            }
        }
        scatters.append(scatter)
    }
    var covariances = covarianceType.structure.covariances(scatters: scatters, counts: counts, total: total)
    for c in 0..<k { for i in 0..<d { covariances[c][i, i] += regularization } }
    return try GaussianMixture(validatedWeights: weights, means: means, covariances: covariances,
                               covarianceType: covarianceType, iteration: iteration,
                               regularization: regularization)
}

extension Matrix {
    /// A square matrix with `values` on its diagonal.
    static func diagonal(_ values: [Double]) -> Matrix {
        var m = Matrix(zeros: values.count, values.count)
        for (i, v) in values.enumerated() { m[i, i] = v }
        return m
    }

    /// Every entry times `factor`.
    func scaled(by factor: Double) -> Matrix {
        var m = self
        for i in m.values.indices { m.values[i] *= factor }
        return m
    }
}
