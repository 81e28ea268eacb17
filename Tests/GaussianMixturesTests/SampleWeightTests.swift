import Foundation
import GaussianMixtures
import Testing

/// Sample weights: a row of weight m counts as m copies of it, and a row of weight 0 as absent.
@Suite struct SampleWeightTests {
    /// 600 rows of synthetic data with weights 0...3, the same data with each row repeated
    /// `weight` times, and a start model for both.
    static func weightedAndDuplicated() throws -> (data: Matrix, weights: [Double], duplicated: Matrix) {
        let data = try syntheticData(rows: 600, seed: 9, separation: 3).data
        let weights = (0..<data.rows).map { Double(($0 * 7) % 4) }
        var rows: [[Double]] = []
        for (i, row) in data.rowArrays.enumerated() { rows += [[Double]](repeating: row, count: Int(weights[i])) }
        return (data, weights, try Matrix(rows))
    }

    @Test(arguments: CovarianceType.allCases, ComputePath.allCases)
    func integerWeightsEqualDuplicatedRows(type: CovarianceType, path: ComputePath) throws {
        let (data, weights, duplicated) = try Self.weightedAndDuplicated()
        let start = try GaussianMixture.fit(duplicated, components: 3,
                                            options: FitOptions(maxIterations: 0, covarianceType: type, seed: 2)).model
        let options = FitOptions(tolerance: 0, maxIterations: 20, initialization: .model(start), covarianceType: type,
                                 path: path)
        let weighted = try GaussianMixture.fit(data, components: 3, sampleWeights: weights, options: options)
        let copies = try GaussianMixture.fit(duplicated, components: 3, options: options)
        #expect(maxRelativeError(weighted.lowerBoundHistory, copies.lowerBoundHistory) < 1e-10)
        #expect(maxScaledError(weighted.model.means.values, copies.model.means.values) < 1e-10)
        #expect(maxScaledError(weighted.model.covariances.flatMap(\.values), copies.model.covariances.flatMap(\.values)) < 1e-10)
        #expect(maxRelativeError(weighted.model.weights, copies.model.weights) < 1e-10)
    }

    @Test func weightsOfOneEqualNoWeightsAndFloat32Follows() throws {
        let data = try syntheticData(rows: 1_001, seed: 3, separation: 2).data
        let options = FitOptions(tolerance: 0, maxIterations: 15, initialization: .kMeans, seed: 5)
        let plain = try GaussianMixture.fit(data, components: 4, options: options)
        let ones = try GaussianMixture.fit(data, components: 4, sampleWeights: [Double](repeating: 1, count: data.rows),
                                           options: options)
        #expect(maxRelativeError(ones.lowerBoundHistory, plain.lowerBoundHistory) < 1e-13)
        #expect(maxScaledError(ones.model.covariances.flatMap(\.values), plain.model.covariances.flatMap(\.values)) < 1e-12)
        let (weightedData, weights, _) = try Self.weightedAndDuplicated()
        let start = try GaussianMixture.fit(weightedData, components: 3, sampleWeights: weights,
                                            options: FitOptions(maxIterations: 2, seed: 1)).model
        let replay = FitOptions(tolerance: 0, maxIterations: 10, initialization: .model(start))
        let double = try GaussianMixture.fit(weightedData, components: 3, sampleWeights: weights, options: replay)
        let single = try GaussianMixture.fit(weightedData.values.map { Float($0) }, rows: weightedData.rows,
                                             columns: weightedData.columns, components: 3, sampleWeights: weights,
                                             options: replay)
        #expect(maxRelativeError(single.lowerBoundHistory, double.lowerBoundHistory) < 1e-5)
    }

    /// A far outlier of weight zero changes nothing, whatever the initialisation draws.
    @Test func zeroWeightRowsAreIgnored() throws {
        let data = try syntheticData(rows: 500, seed: 4).data
        let withOutlier = try Matrix(data.rowArrays + [[1e6, -1e6, 1e6]])
        let weights = [Double](repeating: 1, count: data.rows) + [0]
        let start = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 0, seed: 3)).model
        let options = FitOptions(tolerance: 0, maxIterations: 10, initialization: .model(start))
        let a = try GaussianMixture.fit(withOutlier, components: 3, sampleWeights: weights, options: options)
        let b = try GaussianMixture.fit(data, components: 3, options: options)
        #expect(maxRelativeError(a.lowerBoundHistory, b.lowerBoundHistory) < 1e-10)
        // Every initialisation keeps away from the zero-weight row.
        for initialization in [Initialization.kMeans, .kMeansPlusPlus, .randomFromData] {
            let fit = try GaussianMixture.fit(withOutlier, components: 3, sampleWeights: weights,
                                              options: FitOptions(initialization: initialization, seed: 8))
            #expect(fit.model.means.values.allSatisfy { abs($0) < 100 }, "\(initialization)")
        }
    }

    @Test func badWeightsAreRejectedWithTheirRow() throws {
        let data = try syntheticData(rows: 20, seed: 1).data
        let cases: [([Double], String)] = [
            ([Double](repeating: 1, count: 19), "19 weights for 20 rows"),
            ([Double](repeating: 1, count: 19) + [-1], "row 20"),
            ([1, .nan] + [Double](repeating: 1, count: 18), "row 2"),
            ([Double](repeating: 0, count: 20), "every weight is zero"),
            ([Double](repeating: 0, count: 18) + [1, 1], "expected at least as many samples as components, got 2"),
        ]
        for (weights, expected) in cases {
            do {
                _ = try GaussianMixture.fit(data, components: 3, sampleWeights: weights)
                Issue.record("accepted weights for \(expected)")
            } catch let error as GaussianMixtureError {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
    }
}
