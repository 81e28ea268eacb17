import Foundation
import GaussianMixtures
import Testing

/// Properties EM must have whatever the data: the article's monotone lower bound, normalised
/// responsibilities, agreement of the two paths, and determinism across thread counts.
@Suite struct InvariantTests {
    static func dataSets() throws -> [(name: String, data: Matrix, k: Int)] {
        let iris = try irisData()
        return [
            ("iris K=3", iris, 3),
            ("iris petal width K=3", iris.selectingColumns([3]), 3),
            ("iris petal length+width K=3", iris.selectingColumns([2, 3]), 3),
            ("synthetic 3-D K=3", try syntheticData(rows: 3_000, seed: 1).data, 3),
            ("synthetic 3-D overlapping K=5", try syntheticData(rows: 2_000, seed: 2, separation: 1.5).data, 5),
        ]
    }

    /// EM's guarantee is for the exact M-step. With scikit-learn's `reg_covar` added to the
    /// covariances the M-step is no longer the exact maximizer and the bound can fall by about
    /// 1e-11 per iteration near convergence (seen on Iris, K = 3), so this checks unregularized EM.
    @Test func lowerBoundNeverDecreases() throws {
        // Inits that start each component from one row (k-means++, random rows) give it a
        // covariance of exactly `regularization · I`, so they need a positive regularization.
        let inits: [Initialization] = [.kMeans, .randomResponsibilities]
        for set in try Self.dataSets() {
            for (i, initialization) in inits.enumerated() {
                let options = FitOptions(tolerance: 0, regularization: 0, maxIterations: 60,
                                         initialization: initialization, seed: UInt64(i))
                let history = try GaussianMixture.fit(set.data, components: set.k, options: options).lowerBoundHistory
                #expect(history.count == 60)
                for t in 1..<history.count {
                    // EM's guarantee up to rounding in the last digits.
                    #expect(history[t] >= history[t - 1] - 1e-12 * abs(history[t - 1]),
                            "\(set.name), \(initialization): bound fell at iteration \(t + 1): \(history[t - 1]) -> \(history[t])")
                }
            }
        }
    }

    @Test func responsibilitiesSumToOnePerRow() throws {
        for set in try Self.dataSets() {
            let model = try GaussianMixture.fit(set.data, components: set.k).model
            let r = try model.predictProbabilities(set.data)
            #expect(r.rows == set.data.rows && r.columns == set.k)
            for n in 0..<r.rows {
                let row = r.row(n)
                #expect(abs(row.reduce(0, +) - 1) < 1e-12)
                #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
        }
    }

    @Test func lapackAndNaivePathsAgree() throws {
        for set in try Self.dataSets() {
            var options = FitOptions(tolerance: 0, maxIterations: 30, initialization: .randomFromData, seed: 3)
            let fast = try GaussianMixture.fit(set.data, components: set.k, options: options)
            options.path = .naive
            let naive = try GaussianMixture.fit(set.data, components: set.k, options: options)
            #expect(maxRelativeError(fast.lowerBoundHistory, naive.lowerBoundHistory) < 1e-10, "\(set.name)")
            #expect(maxScaledError(fast.model.means.values, naive.model.means.values) < 1e-10, "\(set.name)")
            #expect(maxScaledError(fast.model.covariances.flatMap(\.values), naive.model.covariances.flatMap(\.values)) < 1e-10,
                    "\(set.name)")
        }
    }

    @Test(arguments: [Initialization.kMeans, .randomResponsibilities])
    func oneThreadAndManyThreadsAgreeBitForBit(initialization: Initialization) throws {
        let data = try syntheticData(rows: 20_000, seed: 4, separation: 3).data
        var results: [FitResult] = []
        for threads in [1, 2, 3, 8] {
            let options = FitOptions(tolerance: 0, maxIterations: 15, initialization: initialization,
                                     seed: 11, threads: threads)
            results.append(try GaussianMixture.fit(data, components: 4, options: options))
        }
        for result in results.dropFirst() {
            #expect(result.lowerBoundHistory == results[0].lowerBoundHistory)
            #expect(result.model.means == results[0].model.means)
            #expect(result.model.covariances == results[0].model.covariances)
            #expect(result.model.weights == results[0].model.weights)
        }
    }

    @Test func sameSeedSameFitDifferentSeedDifferentStart() throws {
        let data = try syntheticData(rows: 2_000, seed: 5, separation: 2).data
        let options = FitOptions(maxIterations: 5, initialization: .randomResponsibilities, seed: 99)
        let a = try GaussianMixture.fit(data, components: 3, options: options)
        let b = try GaussianMixture.fit(data, components: 3, options: options)
        var other = options
        other.seed = 100
        let c = try GaussianMixture.fit(data, components: 3, options: other)
        #expect(a.lowerBoundHistory == b.lowerBoundHistory)
        #expect(a.lowerBoundHistory != c.lowerBoundHistory)
    }

    @Test func restartsKeepTheBestLowerBound() throws {
        let data = try syntheticData(rows: 1_500, seed: 6, separation: 2).data
        let options = FitOptions(restarts: 5, initialization: .randomFromData, seed: 1)
        let result = try GaussianMixture.fit(data, components: 4, options: options)
        #expect(result.restartLowerBounds.count == 5)
        #expect(result.lowerBound == result.restartLowerBounds.max())
        #expect(result.restartLowerBounds[result.bestRestart] == result.lowerBound)
        #expect(result.lowerBoundHistory.last == result.lowerBound)
    }

    @Test func fittingSampledDataRecoversTheGeneratingModel() throws {
        let (data, truth) = try syntheticData(rows: 30_000, seed: 8)
        let model = try GaussianMixture.fit(data, components: 3, options: FitOptions(tolerance: 1e-8, restarts: 2)).model
        // Match components by nearest mean; with 30k points the estimates sit within a few
        // standard errors (about 1/sqrt(N_k) of the spread).
        for c in 0..<3 {
            let mu = truth.means.row(c)
            let match = (0..<3).min { a, b in
                zip(model.means.row(a), mu).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
                    < zip(model.means.row(b), mu).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            }!
            #expect(abs(model.weights[match] - truth.weights[c]) < 0.015)
            for j in 0..<3 { #expect(abs(model.means[match, j] - mu[j]) < 0.06) }
            for v in 0..<9 { #expect(abs(model.covariances[match].values[v] - truth.covariances[c].values[v]) < 0.1) }
        }
    }

    @Test func sampleReproducesWeightsAndMeans() throws {
        let truth = try syntheticData(rows: 1, seed: 0).truth
        let (samples, labels) = truth.sample(count: 100_000, seed: 21)
        #expect(samples.rows == 100_000 && samples.columns == 3)
        for c in 0..<3 {
            let rows = labels.indices.filter { labels[$0] == c }
            let fraction = Double(rows.count) / 100_000
            // Binomial standard error is below 0.0016: allow 5 of them.
            #expect(abs(fraction - truth.weights[c]) < 0.008)
            for j in 0..<3 {
                let mean = rows.map { samples[$0, j] }.reduce(0, +) / Double(rows.count)
                let sd = truth.covariances[c][j, j].squareRoot()
                #expect(abs(mean - truth.means[c, j]) < 5 * sd / Double(rows.count).squareRoot())
            }
        }
        #expect(truth.sample(count: 10, seed: 3).samples == truth.sample(count: 10, seed: 3).samples)
    }

    @Test func logLikelihoodOfOneGaussianMatchesTheClosedForm() throws {
        // One 2-D Gaussian: log N(x) = -log(2π) - ½ log|Σ| - ½ (x-μ)ᵀ Σ⁻¹ (x-μ), by hand.
        let model = try GaussianMixture(weights: [1], means: Matrix([[1, -2]]), covariances: [Matrix([[4, 1], [1, 2]])])
        let x = try Matrix([[0.5, 0.25], [1, -2], [-3, 7]])
        let det = 4.0 * 2 - 1
        for n in 0..<3 {
            let a = x[n, 0] - 1, b = x[n, 1] + 2
            let quadratic = (2 * a * a - 2 * a * b + 4 * b * b) / det
            let expected = -Foundation.log(2 * Double.pi) - 0.5 * Foundation.log(det) - 0.5 * quadratic
            #expect(abs(try model.logLikelihoods(of: x)[n] - expected) < 1e-13)
        }
        #expect(abs(model.logDeterminants[0] - Foundation.log(det)) < 1e-14)
        #expect(try model.predict(x) == [0, 0, 0])
    }
}
