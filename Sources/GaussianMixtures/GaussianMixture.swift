import Foundation

/// A Gaussian mixture model (covariances of any ``CovarianceType``, held as full matrices):
///
///     p(x) = Σ_k w_k N(x | μ_k, Σ_k),   N(x | μ, Σ) = (2π)^(-D/2) |Σ|^(-1/2) exp(-½ (x-μ)ᵀ Σ⁻¹ (x-μ))
///
/// The Cholesky factors `Σ_k = L_k L_kᵀ` (LAPACK's `dpotrf`) and the log-determinants
/// `log|Σ_k| = 2 Σ_i log (L_k)_ii` are computed once when the model is made: they prove the
/// covariances positive definite. The model holds parameters only; what an E-step computes
/// with (the precision factors `L_k⁻ᵀ`, the log normalizers) is derived by the E-step for each
/// iteration. A model is immutable; a fit produces a new one each iteration.
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
                          iteration: 0, regularization: 0)
        } catch GaussianMixtureError.covarianceNotPositiveDefinite(let component, _, _) {
            throw GaussianMixtureError.invalidModel("covariance of component \(component) is not positive definite")
        }
    }

    /// Makes a model whose shapes are known to be right, factorizing each covariance.
    /// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``
    ///   when a covariance has no Cholesky factor or its log-determinant is not finite.
    init(validatedWeights weights: [Double], means: Matrix, covariances: [Matrix], covarianceType: CovarianceType,
         iteration: Int, regularization: Double) throws {
        let d = means.columns
        var factors: [Matrix] = []
        var logDets: [Double] = []
        for (c, covariance) in covariances.enumerated() {
            var l = covariance.values
            guard LAPACK.choleskyLower(&l, dimension: d) else {
                throw GaussianMixtureError.covarianceNotPositiveDefinite(
                    component: c, iteration: iteration, regularization: regularization)
            }
            var logDet = 0.0
            for i in 0..<d { logDet += Foundation.log(l[i * d + i]) }
            logDet *= 2
            // A finite log-determinant also makes every (L_k)_ii positive, so L_k is invertible.
            guard logDet.isFinite else {
                throw GaussianMixtureError.covarianceNotPositiveDefinite(
                    component: c, iteration: iteration, regularization: regularization)
            }
            factors.append(try Matrix(rows: d, columns: d, values: l))
            logDets.append(logDet)
        }
        self.weights = weights
        self.means = means
        self.covariances = covariances
        self.covarianceType = covarianceType
        self.choleskyFactors = factors
        self.logDeterminants = logDets
        self.lowerBound = nil
    }

    /// The Cholesky factors of the precisions, `U_k = L_k⁻ᵀ` (upper triangular,
    /// `Σ_k⁻¹ = U_k U_kᵀ`): scikit-learn's `precisions_cholesky_` for a full model. Computed on
    /// each access (one triangular inversion per component, `O(K·D³)`), not stored.
    public var precisionCholeskyFactors: [Matrix] {
        let d = featureCount
        return choleskyFactors.map { l in
            var m = Matrix(zeros: d, d)
            guard let inverse = invertedLower(l) else {
                // Unreachable for a model (its factors have a positive diagonal); NaN says so loudly.
                m.values = [Double](repeating: .nan, count: d * d)
                return m
            }
            for a in 0..<d { for b in 0..<d { m[a, b] = inverse[b * d + a] } }
            return m
        }
    }

    /// The number of free parameters: `K - 1` weights, `K·D` means and the covariance type's
    /// entries (see ``CovarianceType/parameterCount(components:features:)``); BIC and AIC use it.
    public var parameterCount: Int {
        covarianceType.parameterCount(components: componentCount, features: featureCount)
    }
}

/// `L⁻¹` of the lower-triangular `l` (row-major, LAPACK's `dtrtri`), or nil when `l` is singular.
func invertedLower(_ l: Matrix) -> [Double]? {
    var inverse = l.values
    return LAPACK.invertLowerTriangular(&inverse, dimension: l.rows) ? inverse : nil
}
