/// The M-step: the weighted maximum-likelihood parameters from the sufficient statistics,
/// with scikit-learn's conventions.
///
///     n_k = N_k + 10 ε                    (ε = machine epsilon, keeps empty components finite)
///     w_k = n_k / Σ_j n_j
///     μ_k = (s_k + N_k c_k) / n_k
///     Σ_k = (S_k - d s_kᵀ - s_k dᵀ + N_k d dᵀ) / n_k + λ I,   d = μ_k - c_k
///
/// where `λ` is the regularization (`reg_covar`). The scatter is taken about the shift `c_k`,
/// which is algebraically the same as `Σ_n r_nk (x_n - μ_k)(x_n - μ_k)ᵀ`.
/// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``
///   naming the component and `iteration`.
func maximizationStep<Kernel: EMKernel>(_ stats: SufficientStatistics, regularization: Double,
                                        iteration: Int, kernel: Kernel.Type) throws -> GaussianMixture {
    let k = stats.components, d = stats.features
    let counts = stats.weightSums.map { $0 + 10 * Double.ulpOfOne }
    let total = counts.reduce(0, +)
    let weights = counts.map { $0 / total }
    var means = Matrix(zeros: k, d)
    var covariances: [Matrix] = []
    covariances.reserveCapacity(k)
    for c in 0..<k {
        var delta = [Double](repeating: 0, count: d)
        for i in 0..<d {
            let shift = stats.shifts[c * d + i]
            let mean = (stats.centeredSums[c * d + i] + stats.weightSums[c] * shift) / counts[c]
            means[c, i] = mean
            delta[i] = mean - shift
        }
        var covariance = Matrix(zeros: d, d)
        for i in 0..<d {
            for j in 0...i {
                let s = stats.centeredScatter[c * d * d + i * d + j]
                    - delta[i] * stats.centeredSums[c * d + j]
                    - stats.centeredSums[c * d + i] * delta[j]
                    + stats.weightSums[c] * delta[i] * delta[j]
                let value = s / counts[c]
                covariance[i, j] = value
                covariance[j, i] = value
            }
            covariance[i, i] += regularization
        }
        covariances.append(covariance)
    }
    return try GaussianMixture(validatedWeights: weights, means: means, covariances: covariances,
                               kernel: kernel, iteration: iteration, regularization: regularization)
}
