import Foundation
@testable import GaussianMixtures
import Testing

/// Every covariance type is stored in its own shape, and the full views agree with it.
@Suite struct CompactStorageTests {
    @Test(arguments: CovarianceType.allCases)
    func storedShapeAndFullViewsAgree(type: CovarianceType) throws {
        let model = try GaussianMixture.fit(try irisData(), components: 3,
                                            options: FitOptions(covarianceType: type, seed: 3)).model
        let k = 3, d = 4
        #expect(model.compactCovariances.shape == type.compactShape(components: k, features: d))
        #expect(model.compactCovariances == type.compact(model.covariances))
        #expect(model.compactPrecisionCholeskyFactors == type.compact(model.precisionCholeskyFactors))
        for c in 0..<k {
            #expect(model.covariance(c) == model.covariances[c])
            #expect(model.choleskyFactor(c) == model.choleskyFactors[c])
            // L Lᵀ = Σ to rounding.
            let l = model.choleskyFactor(c), sigma = model.covariance(c)
            for i in 0..<d { for j in 0..<d {
                var s = 0.0
                for m in 0..<d { s += l[i, m] * l[j, m] }
                #expect(abs(s - sigma[i, j]) <= 1e-12 * max(1, abs(sigma[i, j])))
            } }
        }
        // The same model from its compact covariances, and from its full ones.
        let compact = try GaussianMixture(weights: model.weights, means: model.means,
                                          compactCovariances: model.compactCovariances.values, covarianceType: type)
        let full = try GaussianMixture(weights: model.weights, means: model.means, covariances: model.covariances,
                                       covarianceType: type)
        for other in [compact, full] {
            #expect(other.compactCovariances == model.compactCovariances)
            #expect(other.logDeterminants == model.logDeterminants)
            #expect(other.compactPrecisionCholeskyFactors == model.compactPrecisionCholeskyFactors)
        }
    }

    /// A diagonal model of many features is held as K·D numbers and samples without full matrices.
    @Test func wideDiagonalModelsStayCompact() throws {
        let k = 2, d = 3000
        let variances = (0..<(k * d)).map { 1 + Double($0 % 7) }
        let model = try GaussianMixture(weights: [0.5, 0.5], means: Matrix(zeros: k, d),
                                        compactCovariances: variances, covarianceType: .diag)
        #expect(model.compactCovariances.values.count == k * d)
        #expect(model.compactPrecisionCholeskyFactors.values.count == k * d)
        #expect(model.logDeterminants[0] == 2 * (0..<d).reduce(0.0) { $0 + Foundation.log(variances[$1].squareRoot()) })
        let (samples, _) = model.sample(count: 2, seed: 1)
        #expect(samples.values.allSatisfy { $0.isFinite })
    }

    /// Compact covariances that are not positive definite, or not finite, are refused by component.
    @Test func badCompactCovariancesAreRefused() throws {
        let means = Matrix(zeros: 2, 2)
        for (type, values) in [(CovarianceType.diag, [1.0, 1, 1, -1]), (.spherical, [1, 0]), (.diag, [1, 1, .nan, 1])] {
            #expect(throws: GaussianMixtureError.self) {
                try GaussianMixture(weights: [0.5, 0.5], means: means, compactCovariances: values, covarianceType: type)
            }
            do {
                _ = try GaussianMixture(weights: [0.5, 0.5], means: means, compactCovariances: values, covarianceType: type)
            } catch GaussianMixtureError.invalidModel(let message) {
                #expect(message.contains("component 1"), "\(message)")
            }
        }
    }
}
