import Foundation
@testable import GaussianMixtures
import Testing

/// Sample weights only count relative to each other: weights `c·w` give `w`'s model for every
/// positive `c` within double range (scikit-learn's semantics of weights as counts, in which
/// scaling every count alike changes nothing but the total).
@Suite struct WeightScaleTests {
    /// 400 rows of synthetic data and uneven weights, zeros among them.
    static func weightedData() throws -> (data: Matrix, weights: [Double]) {
        let data = try syntheticData(rows: 400, seed: 12, separation: 3).data
        let weights = (0..<data.rows).map { [0, 0.25, 1, 2.5, 3, 0.7][$0 % 6] }
        return (data, weights)
    }

    static let scales: [Double] = [1e-300, 3.7e-200, 1e-100, 1e-15, 2.0, 1e15, 6.1e50, 1e100, 1e200, 1e300]

    /// The whole fit, from the default k-means initialisation on: its seeding draws, Lloyd's
    /// iterations, the M-step's `10 ε` and EM's convergence test all see the same numbers.
    @Test(arguments: CovarianceType.allCases)
    func everyScaleGivesTheSameModel(type: CovarianceType) throws {
        let (data, weights) = try Self.weightedData()
        let options = FitOptions(covarianceType: type, seed: 4)
        let reference = try GaussianMixture.fit(data, components: 3, sampleWeights: weights, options: options)
        for scale in Self.scales {
            let scaled = weights.map { $0 * scale }
            let fit = try GaussianMixture.fit(data, components: 3, sampleWeights: scaled, options: options)
            try #require(fit.iterations == reference.iterations, "scale \(scale)")
            #expect(maxRelativeError(fit.lowerBoundHistory, reference.lowerBoundHistory) < 1e-12, "scale \(scale)")
            #expect(maxRelativeError(fit.model.weights, reference.model.weights) < 1e-12, "scale \(scale)")
            #expect(maxScaledError(fit.model.means.values, reference.model.means.values) < 1e-12, "scale \(scale)")
            #expect(maxScaledError(fit.model.covariances.flatMap(\.values), reference.model.covariances.flatMap(\.values))
                    < 1e-12, "scale \(scale)")
        }
    }

    /// Every initialisation that reads the weights, and the naive path and float32 data.
    @Test(arguments: [Initialization.kMeansPlusPlus, .randomFromData, .randomResponsibilities])
    func otherInitialisationsAndPathsAreScaleFree(initialization: Initialization) throws {
        let (data, weights) = try Self.weightedData()
        let singles = data.values.map { Float($0) }
        for path in ComputePath.allCases {
            let options = FitOptions(maxIterations: 30, initialization: initialization, seed: 9, path: path)
            let reference = try GaussianMixture.fit(data, components: 4, sampleWeights: weights, options: options)
            let single = try GaussianMixture.fit(singles, rows: data.rows, columns: data.columns, components: 4,
                                                 sampleWeights: weights, options: options)
            for scale in [1e-300, 1e-100, 1e100, 1e300] {
                let scaled = weights.map { $0 * scale }
                let fit = try GaussianMixture.fit(data, components: 4, sampleWeights: scaled, options: options)
                try #require(fit.iterations == reference.iterations, "\(path) \(scale)")
                #expect(maxRelativeError(fit.lowerBoundHistory, reference.lowerBoundHistory) < 1e-12, "\(path) \(scale)")
                #expect(maxScaledError(fit.model.means.values, reference.model.means.values) < 1e-12, "\(path) \(scale)")
                let fit32 = try GaussianMixture.fit(singles, rows: data.rows, columns: data.columns, components: 4,
                                                    sampleWeights: scaled, options: options)
                try #require(fit32.iterations == single.iterations, "float32 \(scale)")
                #expect(maxRelativeError(fit32.lowerBoundHistory, single.lowerBoundHistory) < 1e-12, "float32 \(scale)")
            }
        }
    }

    /// Weights that sum beyond double range (each one within it) fit like the same weights scaled down.
    @Test func weightsWhoseSumOverflowsStillFit() throws {
        let (data, weights) = try Self.weightedData()
        let reference = try GaussianMixture.fit(data, components: 3, sampleWeights: weights)
        let huge = weights.map { $0 * 1e307 }
        #expect(huge.reduce(0, +) == .infinity)
        let fit = try GaussianMixture.fit(data, components: 3, sampleWeights: huge)
        try #require(fit.iterations == reference.iterations)
        #expect(maxRelativeError(fit.lowerBoundHistory, reference.lowerBoundHistory) < 1e-12)
    }

    /// Uniform weights of any value are weights of one, bit for bit, and so the unweighted fit
    /// (the weighted E-step rounds differently, by an ulp): Iris, K = 3, the example,
    /// where weights of 1e-15, 1e-100 and 1e50 gave mean log-likelihoods of -1.338, -31797609
    /// and -1.348 instead of -1.2015.
    @Test func uniformWeightsOfAnyValueAreTheUnweightedFit() throws {
        let iris = try irisData()
        let plain = try GaussianMixture.fit(iris, components: 3)
        #expect(abs(plain.lowerBound - -1.2015) < 1e-4)
        let ones = try GaussianMixture.fit(iris, components: 3, sampleWeights: [Double](repeating: 1, count: iris.rows))
        try #require(ones.iterations == plain.iterations)
        #expect(maxRelativeError(ones.lowerBoundHistory, plain.lowerBoundHistory) < 1e-14)
        for value in [1e-300, 1e-100, 1e-15, 1e50, 1e300] {
            let fit = try GaussianMixture.fit(iris, components: 3,
                                              sampleWeights: [Double](repeating: value, count: iris.rows))
            #expect(fit.lowerBoundHistory == ones.lowerBoundHistory, "weight \(value)")
            #expect(fit.model.means == ones.model.means, "weight \(value)")
            #expect(fit.model.covariances == ones.model.covariances, "weight \(value)")
        }
    }

    /// Weights divided by their mean: ones stay exactly ones, and any scale maps to the same numbers.
    @Test func normalizationKeepsOnesAndRemovesScale() throws {
        let ones = [Double](repeating: 1, count: 1_000)
        #expect(ones.withUnsafeBufferPointer(meanNormalizedWeights) == ones)
        let weights = [0, 0.5, 1, 2, 4.5]
        let expected = weights.map { $0 / 1.6 }
        for scale in [1e-300, 1, 1e300, Double.greatestFiniteMagnitude / 4.5] {
            let normalized = weights.map { $0 * scale }.withUnsafeBufferPointer(meanNormalizedWeights)
            #expect(maxRelativeError(normalized, expected) < 1e-15, "scale \(scale)")
        }
    }
}
