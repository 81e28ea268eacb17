import Foundation

/// A Gaussian mixture model (covariances of any ``CovarianceType``, held as full matrices):
///
///     p(x) = Σ_k w_k N(x | μ_k, Σ_k),   N(x | μ, Σ) = (2π)^(-D/2) |Σ|^(-1/2) exp(-½ (x-μ)ᵀ Σ⁻¹ (x-μ))
///
/// The Cholesky factors `Σ_k = L_k L_kᵀ` and the log-determinants `log|Σ_k| = 2 Σ_i log (L_k)_ii`
/// are computed once when the model is made, and so are the precision factors `L_k⁻ᵀ` the
/// E-step multiplies by. A model is immutable; a fit produces a new one each iteration.
public struct GaussianMixture: Sendable {
    /// Mixing weights `w_k` (non-negative, summing to 1), one per component.
    public let weights: [Double]
    /// Component means `μ_k`, one row per component (`K x D`).
    public let means: Matrix
    /// Component covariances `Σ_k` (`D x D` each, symmetric positive definite), stored full
    /// whatever the ``covarianceType``.
    public let covariances: [Matrix]
    /// What the covariances are constrained to (full, diag, spherical or tied).
    public let covarianceType: CovarianceType
    /// Lower Cholesky factors `L_k` with `Σ_k = L_k L_kᵀ`.
    public let choleskyFactors: [Matrix]
    /// `log |Σ_k|` for every component.
    public let logDeterminants: [Double]
    /// The lower bound of the fit that made this model (the mean log-likelihood per sample of
    /// its last E-step, scikit-learn's `lower_bound_`), or nil for a model made from parameters
    /// or by a fit that ran no iteration. A warm start from this model (``Initialization/model(_:)``)
    /// measures its first change against it, as scikit-learn's `warm_start=True` does, so that
    /// fits continued a few iterations at a time detect convergence like one long fit.
    public var lowerBound: Double?

    /// Number of components K.
    public var componentCount: Int { weights.count }
    /// Number of features D.
    public var featureCount: Int { means.columns }

    // Cached for the E-step (internal): P = [L_1⁻ᵀ | ... | L_K⁻ᵀ] as a D x (K·D) row-major
    // matrix, and log w_k - ½ log|Σ_k| - (D/2) log 2π.
    let precisionFactors: [Double]
    let logNormalizers: [Double]

    /// Makes a model from its parameters, checking every shape, that the weights are
    /// non-negative and sum to 1 (within 1e-6), that every covariance is finite, symmetric and
    /// positive definite, and that the covariances have `covarianceType`'s shape (given as full
    /// matrices: diagonal for diag, a multiple of I for spherical, all equal for tied).
    /// - Throws: ``GaussianMixtureError/invalidModel(_:)`` saying which part is wrong.
    public init(weights: [Double], means: Matrix, covariances: [Matrix], covarianceType: CovarianceType = .full) throws {
        let k = weights.count
        guard k >= 1 else { throw GaussianMixtureError.invalidModel("a mixture needs at least one component") }
        guard means.rows == k else {
            throw GaussianMixtureError.invalidModel("\(k) weights but \(means.rows) mean rows")
        }
        guard means.columns >= 1 else { throw GaussianMixtureError.invalidModel("the means have no features") }
        guard covariances.count == k else {
            throw GaussianMixtureError.invalidModel("\(k) weights but \(covariances.count) covariance matrices")
        }
        for (i, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
            throw GaussianMixtureError.invalidModel("weight of component \(i) is \(w); weights must be finite and non-negative")
        }
        let total = weights.reduce(0, +)
        guard abs(total - 1) <= 1e-6 else {
            throw GaussianMixtureError.invalidModel("the weights sum to \(total), not 1")
        }
        for (i, v) in means.values.enumerated() where !v.isFinite {
            throw GaussianMixtureError.invalidModel("mean of component \(i / means.columns) holds \(v) in feature \(i % means.columns)")
        }
        let d = means.columns
        for (c, cov) in covariances.enumerated() {
            guard cov.rows == d, cov.columns == d else {
                throw GaussianMixtureError.invalidModel("covariance of component \(c) is \(cov.rows) x \(cov.columns), expected \(d) x \(d)")
            }
            for v in cov.values where !v.isFinite {
                throw GaussianMixtureError.invalidModel("covariance of component \(c) holds \(v)")
            }
            for i in 0..<d {
                for j in 0..<i where abs(cov[i, j] - cov[j, i]) > 1e-8 + 1e-5 * abs(cov[j, i]) {
                    throw GaussianMixtureError.invalidModel(
                        "covariance of component \(c) is not symmetric: (\(i), \(j)) = \(cov[i, j]) but (\(j), \(i)) = \(cov[j, i])")
                }
            }
        }
        if let problem = covarianceType.shapeProblem(covariances) { throw GaussianMixtureError.invalidModel(problem) }
        do {
            try self.init(validatedWeights: weights, means: means, covariances: covariances, covarianceType: covarianceType,
                          kernel: BLASKernel<Double>.self, iteration: 0, regularization: 0)
        } catch GaussianMixtureError.covarianceNotPositiveDefinite(let component, _, _) {
            throw GaussianMixtureError.invalidModel("covariance of component \(component) is not positive definite")
        }
    }

    /// Makes a model whose shapes are known to be right, factorizing with `kernel`'s linear algebra.
    /// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``.
    init(validatedWeights weights: [Double], means: Matrix, covariances: [Matrix], covarianceType: CovarianceType,
         kernel: (some EMKernel).Type, iteration: Int, regularization: Double) throws {
        let k = weights.count, d = means.columns
        var factors: [Matrix] = []
        var logDets: [Double] = []
        var packed = [Double](repeating: 0, count: d * k * d)
        var normalizers = [Double](repeating: 0, count: k)
        let logTwoPi = Foundation.log(2 * Double.pi)
        for c in 0..<k {
            guard let l = kernel.choleskyLower(covariances[c].values, dimension: d),
                  let inverse = kernel.invertLower(l, dimension: d)
            else {
                throw GaussianMixtureError.covarianceNotPositiveDefinite(
                    component: c, iteration: iteration, regularization: regularization)
            }
            var logDet = 0.0
            for i in 0..<d { logDet += Foundation.log(l[i * d + i]) }
            logDet *= 2
            guard logDet.isFinite else {
                throw GaussianMixtureError.covarianceNotPositiveDefinite(
                    component: c, iteration: iteration, regularization: regularization)
            }
            factors.append(try Matrix(rows: d, columns: d, values: l))
            logDets.append(logDet)
            // Block c of P holds (L⁻¹)ᵀ: P[a, c·D + b] = (L⁻¹)[b, a].
            for a in 0..<d {
                for b in 0..<d { packed[a * (k * d) + c * d + b] = inverse[b * d + a] }
            }
            normalizers[c] = Foundation.log(weights[c]) - 0.5 * logDet - 0.5 * Double(d) * logTwoPi
        }
        self.weights = weights
        self.means = means
        self.covariances = covariances
        self.covarianceType = covarianceType
        self.choleskyFactors = factors
        self.logDeterminants = logDets
        self.precisionFactors = packed
        self.logNormalizers = normalizers
        self.lowerBound = nil
    }

    /// The Cholesky factors of the precisions, `L_k⁻ᵀ` (upper triangular, `Σ_k⁻¹ = L_k⁻ᵀ L_k⁻¹`):
    /// scikit-learn's `precisions_cholesky_` for a full model, with which the E-step whitens.
    public var precisionCholeskyFactors: [Matrix] {
        let k = componentCount, d = featureCount
        return (0..<k).map { c in
            var m = Matrix(zeros: d, d)
            for a in 0..<d { for b in 0..<d { m[a, b] = precisionFactors[a * (k * d) + c * d + b] } }
            return m
        }
    }

    /// The number of free parameters: `K - 1` weights, `K·D` means and the covariance type's
    /// entries (see ``CovarianceType/parameterCount(components:features:)``); BIC and AIC use it.
    public var parameterCount: Int {
        covarianceType.parameterCount(components: componentCount, features: featureCount)
    }
}
