import Foundation

/// A Gaussian mixture model (covariances of any ``CovarianceType``, each stored in its type's
/// shape: `K x D x D` full, `K x D` diag, `K` spherical, `D x D` tied):
///
///     p(x) = Σ_k w_k N(x | μ_k, Σ_k),   N(x | μ, Σ) = (2π)^(-D/2) |Σ|^(-1/2) exp(-½ (x-μ)ᵀ Σ⁻¹ (x-μ))
///
/// The Cholesky factors `Σ_k = L_k L_kᵀ` (in the same shape: `√σ²` for diagonal types) and the
/// log-determinants `log|Σ_k| = 2 Σ_i log (L_k)_ii` are computed once when the model is made:
/// they prove the covariances positive definite. The model holds parameters only; what an
/// E-step computes with (the precision factors `L_k⁻ᵀ`, the log normalizers) is derived by the
/// E-step for each iteration. A model is immutable; a fit produces a new one each iteration.
///
/// ``covariances``, ``choleskyFactors`` and ``precisionCholeskyFactors`` are full `D x D`
/// views made on each access (`K·D²` numbers, 200 MB per component at D = 5000);
/// ``covariance(_:)`` and ``choleskyFactor(_:)`` make one component's, and
/// ``compactCovariances`` and ``compactPrecisionCholeskyFactors`` give the stored shape.
public struct GaussianMixture: Sendable {
    /// Mixing weights `w_k` (non-negative, summing to 1), one per component.
    public let weights: [Double]
    /// Component means `μ_k`, one row per component (`K x D`).
    public let means: Matrix
    /// The covariances in scikit-learn's shape for ``covarianceType`` (its `covariances_`), as stored.
    public let compactCovariances: CompactMatrices
    /// What the covariances are constrained to (full, diag, spherical or tied).
    public let covarianceType: CovarianceType
    /// The lower Cholesky factors `L_k` in the same shape as ``compactCovariances``.
    let compactCholeskyFactors: CompactMatrices
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

    /// Component covariances `Σ_k` as full `D x D` matrices (symmetric positive definite):
    /// a view expanded from ``compactCovariances`` on each access.
    public var covariances: [Matrix] { (0..<componentCount).map(covariance) }

    /// Component `k`'s covariance `Σ_k` as a full `D x D` matrix (made on each call).
    public func covariance(_ k: Int) -> Matrix {
        covarianceType.structure.fullMatrix(fromCompact: compactCovariances.values, component: k, features: featureCount)
    }

    /// Lower Cholesky factors `L_k` with `Σ_k = L_k L_kᵀ`, full `D x D`: a view made on each access.
    public var choleskyFactors: [Matrix] { (0..<componentCount).map(choleskyFactor) }

    /// Component `k`'s lower Cholesky factor `L_k` as a full `D x D` matrix (made on each call).
    public func choleskyFactor(_ k: Int) -> Matrix {
        covarianceType.structure.fullMatrix(fromCompact: compactCholeskyFactors.values, component: k, features: featureCount)
    }

    /// Makes a model whose shapes are known to be right from full matrices of `covarianceType`'s
    /// shape, keeping their compact form (see ``CovarianceType/compact(_:)``).
    /// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``.
    init(validatedWeights weights: [Double], means: Matrix, covariances: [Matrix], covarianceType: CovarianceType,
         iteration: Int, regularization: Double) throws {
        try self.init(validatedWeights: weights, means: means, compactCovariances: covarianceType.compact(covariances),
                      covarianceType: covarianceType, iteration: iteration, regularization: regularization)
    }

    /// Makes a model whose shapes are known to be right from covariances in `covarianceType`'s
    /// compact shape, factorizing them.
    /// - Throws: ``GaussianMixtureError/covarianceNotPositiveDefinite(component:iteration:regularization:)``
    ///   when a covariance has no Cholesky factor or its log-determinant is not finite.
    init(validatedWeights weights: [Double], means: Matrix, compactCovariances: CompactMatrices,
         covarianceType: CovarianceType, iteration: Int, regularization: Double) throws {
        let k = weights.count, d = means.columns
        switch covarianceType.structure.factorize(compactCovariances.values, components: k, features: d) {
        case .notPositiveDefinite(let component):
            throw GaussianMixtureError.covarianceNotPositiveDefinite(
                component: component, iteration: iteration, regularization: regularization)
        case .factors(let factors, let logDeterminants):
            self.compactCholeskyFactors = CompactMatrices(shape: compactCovariances.shape, values: factors)
            self.logDeterminants = logDeterminants
        }
        self.weights = weights
        self.means = means
        self.compactCovariances = compactCovariances
        self.covarianceType = covarianceType
        self.lowerBound = nil
    }

    /// The Cholesky factors of the precisions, `U_k = L_k⁻ᵀ` (upper triangular,
    /// `Σ_k⁻¹ = U_k U_kᵀ`), full `D x D`: scikit-learn's `precisions_cholesky_` for a full model.
    /// A view made on each access (one triangular inversion per component, `O(K·D³)`).
    public var precisionCholeskyFactors: [Matrix] {
        let structure = covarianceType.structure, values = compactPrecisionCholeskyFactors.values
        return (0..<componentCount).map { structure.fullMatrix(fromCompact: values, component: $0, features: featureCount) }
    }

    /// scikit-learn's `precisions_cholesky_` in the type's shape: `L_k⁻ᵀ` (`[K][D][D]` full,
    /// `[D][D]` tied), `1 / √σ²` (`[K][D]` diag, `[K]` spherical). Computed on each access.
    public var compactPrecisionCholeskyFactors: CompactMatrices {
        CompactMatrices(shape: compactCholeskyFactors.shape,
                        values: covarianceType.structure.invertFactors(compactCholeskyFactors.values,
                                                                       components: componentCount, features: featureCount))
    }

    /// The number of free parameters: `K - 1` weights, `K·D` means and the covariance type's
    /// entries (see ``CovarianceType/parameterCount(components:features:)``); BIC and AIC use it.
    public var parameterCount: Int {
        covarianceType.parameterCount(components: componentCount, features: featureCount)
    }
}
