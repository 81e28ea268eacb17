import Foundation

/// Making a model from parameters a caller gives: every shape and value checked.
extension GaussianMixture {
    /// Makes a model from its parameters, checking every shape, that the weights are
    /// non-negative and sum to 1 (within 1e-6), that every covariance is finite, symmetric and
    /// positive definite, and that the covariances have `covarianceType`'s shape (given as full
    /// matrices: diagonal for diag, a multiple of I for spherical, all equal for tied).
    /// - Throws: ``GaussianMixtureError/invalidModel(_:)`` saying which part is wrong.
    public init(weights: [Double], means: Matrix, covariances: [Matrix], covarianceType: CovarianceType = .full) throws {
        let k = weights.count
        try Self.check(weights: weights, means: means)
        guard covariances.count == k else {
            throw GaussianMixtureError.invalidModel("\(k) weights but \(covariances.count) covariance matrices")
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
        try self.init(checkedWeights: weights, means: means, compactCovariances: covarianceType.compact(covariances),
                      covarianceType: covarianceType)
    }

    /// Makes a model from covariances in `covarianceType`'s compact shape (scikit-learn's
    /// `covariances_`: `[K, D, D]` full, `[K, D]` diag variances, `[K]` spherical variances,
    /// `[D, D]` tied; `values` row-major), without making full matrices of a diagonal type.
    /// Checks as ``init(weights:means:covariances:covarianceType:)`` does.
    /// - Throws: ``GaussianMixtureError/invalidModel(_:)`` saying which part is wrong.
    public init(weights: [Double], means: Matrix, compactCovariances values: [Double], covarianceType: CovarianceType) throws {
        try Self.check(weights: weights, means: means)
        let k = weights.count, d = means.columns
        guard covarianceType.isDiagonal else {
            // Full and tied covariances are whole matrices: checked for symmetry as full ones.
            let full = try covarianceType.fullMatrices(fromCompact: values, components: k, features: d)
            try self.init(weights: weights, means: means, covariances: full, covarianceType: covarianceType)
            return
        }
        let shape = covarianceType.compactShape(components: k, features: d)
        guard values.count == shape.reduce(1, *) else {
            throw GaussianMixtureError.invalidModel("the covariances must be "
                + covarianceType.shapeDescription(components: k, features: d, entries: "variances") + ", got \(values.count) values")
        }
        let perComponent = values.count / k
        for (i, v) in values.enumerated() where !v.isFinite {
            throw GaussianMixtureError.invalidModel("covariance of component \(i / perComponent) holds \(v)")
        }
        try self.init(checkedWeights: weights, means: means, compactCovariances: CompactMatrices(shape: shape, values: values),
                      covarianceType: covarianceType)
    }

    /// The model of checked parameters, a failed factorization said as an invalid model.
    private init(checkedWeights weights: [Double], means: Matrix, compactCovariances: CompactMatrices,
                 covarianceType: CovarianceType) throws {
        do {
            try self.init(validatedWeights: weights, means: means, compactCovariances: compactCovariances,
                          covarianceType: covarianceType, iteration: 0, regularization: 0)
        } catch GaussianMixtureError.covarianceNotPositiveDefinite(let component, _, _) {
            throw GaussianMixtureError.invalidModel("covariance of component \(component) is not positive definite")
        }
    }

    /// At least one component and one feature, one mean row per weight, finite non-negative
    /// weights summing to 1 (within 1e-6), finite means.
    private static func check(weights: [Double], means: Matrix) throws {
        let k = weights.count
        guard k >= 1 else { throw GaussianMixtureError.invalidModel("a mixture needs at least one component") }
        guard means.rows == k else {
            throw GaussianMixtureError.invalidModel("\(k) weights but \(means.rows) mean rows")
        }
        guard means.columns >= 1 else { throw GaussianMixtureError.invalidModel("the means have no features") }
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
    }
}

