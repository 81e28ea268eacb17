import Foundation
@testable import GaussianMixtures
import Testing

/// scikit-learn's warm and partial starts on Iris, K = 3 (Fixtures/warm-start-iris.json, made
/// by scripts/make-warm-start-fixtures.py).
@Suite struct WarmStartTests {
    struct Fixture: Decodable {
        struct Start: Decodable {
            let weights: [Double]
            let means: [[Double]]
            let covariances: [[[Double]]]
        }
        struct Call: Decodable {
            let lower_bound: Double
            let converged: Bool
            let n_iter: Int
        }
        struct Partial: Decodable {
            let lower_bounds: [Double]
            let weights: [Double]
            let means: [[Double]]
            let covariances: [[[Double]]]
        }
        let `init`: Start
        let warm: [Call]
        let means_init: [[Double]]
        let weights_init: [Double]
        let precisions_init: [[[Double]]]
        let kmeans_labels: [Int]
        let partial: [String: Partial]

        static func load() throws -> Fixture {
            try JSONDecoder().decode(Fixture.self, from: fixtureData("warm-start-iris.json"))
        }

        var startModel: GaussianMixture {
            get throws {
                try GaussianMixture(weights: self.`init`.weights, means: Matrix(self.`init`.means),
                                    covariances: self.`init`.covariances.map { try Matrix($0) })
            }
        }
    }

    /// `warm_start=True, max_iter=1` fitted again and again: each call's change is measured
    /// against the previous call's lower bound, so the sequence converges (after 17 calls)
    /// with scikit-learn's bounds at every call.
    @Test func repeatedOneIterationWarmFitsConvergeLikeScikitLearn() throws {
        let fixture = try Fixture.load()
        let iris = try irisData()
        var model = try fixture.startModel
        #expect(model.lowerBound == nil)
        for (call, expected) in fixture.warm.enumerated() {
            let fit = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 1, initialization: .model(model)))
            #expect(abs(fit.lowerBound - expected.lower_bound) <= 1e-9 * abs(expected.lower_bound), "call \(call + 1)")
            #expect(fit.converged == expected.converged, "call \(call + 1)")
            #expect(fit.iterations == expected.n_iter)
            #expect(fit.model.lowerBound == fit.lowerBound)
            model = fit.model
        }
        #expect(fixture.warm.firstIndex { $0.converged } == 16)
    }

    /// A model without a lower bound (made from parameters, or with it set to nil) starts
    /// afresh: the call that converges from the fitted model does not from the same parameters
    /// without their bound.
    @Test func aModelWithoutALowerBoundStartsAfresh() throws {
        let fixture = try Fixture.load()
        let iris = try irisData()
        var model = try fixture.startModel
        for _ in 0..<16 {
            model = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 1, initialization: .model(model))).model
        }
        let warm = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 1, initialization: .model(model)))
        #expect(warm.converged)
        model.lowerBound = nil
        let fresh = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 1, initialization: .model(model)))
        #expect(!fresh.converged && fresh.lowerBound == warm.lowerBound)
    }

    /// scikit-learn's `test_monotonic_likelihood`: warm fits of one iteration never lower the
    /// bound (unregularized, where EM is exactly monotone) and end converged.
    @Test(arguments: CovarianceType.allCases)
    func warmFitsAreMonotoneAndConverge(type: CovarianceType) throws {
        let data = try syntheticData(rows: 300, seed: 21, separation: 2).data
        var model = try GaussianMixture.fit(data, components: 3, options: FitOptions(
            regularization: 0, maxIterations: 0, covarianceType: type, seed: 1)).model
        var previous = -Double.infinity
        var converged = false
        for _ in 0..<1_000 {
            let fit = try GaussianMixture.fit(data, components: 3, options: FitOptions(
                tolerance: 1e-7, regularization: 0, maxIterations: 1, initialization: .model(model), covarianceType: type))
            #expect(fit.lowerBound >= previous - 1e-12 * abs(previous))
            previous = fit.lowerBound
            model = fit.model
            if fit.converged { converged = true; break }
        }
        #expect(converged)
    }

    /// `max_iter=0` with several restarts returns the last restart's initialisation, no
    /// iteration, no lower bound, not converged: what scikit-learn returns.
    @Test func noIterationsKeepTheLastRestart() throws {
        let iris = try irisData()
        let options = FitOptions(maxIterations: 0, restarts: 3, seed: 11)
        let fit = try GaussianMixture.fit(iris, components: 3, options: options)
        #expect(fit.bestRestart == 2 && fit.iterations == 0 && !fit.converged)
        #expect(fit.lowerBound == -.infinity && fit.lowerBoundHistory.isEmpty && fit.model.lowerBound == nil)
        let last = try iris.values.withUnsafeBufferPointer { buffer in
            let data = DataView(base: buffer.baseAddress!, rows: iris.rows, columns: iris.columns)
            let engine = BLASKernel<Double>(data: data, components: 3, covarianceType: .full, threads: 1, chunkRows: nil)
            return try initialModel(data, components: 3, options: options, seed: restartSeed(11, restart: 2), engine: engine)
        }
        let first = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 0, seed: 11)).model
        #expect(fit.model.means == last.means && fit.model.covariances == last.covariances && fit.model.weights == last.weights)
        #expect(fit.model.means != first.means)
    }

    /// `means_init` alone, and `weights_init` with `precisions_init`: the rest from k-means,
    /// ten iterations as in scikit-learn to 1e-9. Seed 3's k-means labels are scikit-learn's
    /// (`random_state=0`), numbering included, which the test checks first.
    @Test(arguments: ["means", "weights_precisions"])
    func partialStartsFollowScikitLearn(name: String) throws {
        let fixture = try Fixture.load()
        let iris = try irisData()
        let labels = iris.values.withUnsafeBufferPointer { buffer in
            let data = DataView(base: buffer.baseAddress!, rows: iris.rows, columns: iris.columns)
            var generator = Xoshiro256StarStar(seed: restartSeed(3, restart: 0))
            let kmeans = KMeans(data: data, clusters: 3, threads: 1)
            return kmeans.lloyd(seeds: kmeans.plusPlusSeeds(using: &generator)).labels.map(Int.init)
        }
        try #require(labels == fixture.kmeans_labels)
        var options = FitOptions(tolerance: 0, maxIterations: 10, seed: 3)
        if name == "means" {
            options.initialMeans = try Matrix(fixture.means_init)
        } else {
            options.initialWeights = fixture.weights_init
            options.initialPrecisions = try fixture.precisions_init.map { try Matrix($0) }
        }
        let expected = try #require(fixture.partial[name])
        let fit = try GaussianMixture.fit(iris, components: 3, options: options)
        try #require(fit.lowerBoundHistory.count == expected.lower_bounds.count)
        #expect(maxRelativeError(fit.lowerBoundHistory, expected.lower_bounds) < 1e-9)
        #expect(maxScaledError(fit.model.means.values, expected.means.flatMap { $0 }) < 1e-9)
        #expect(maxScaledError(fit.model.covariances.flatMap(\.values), expected.covariances.flatMap { $0.flatMap { $0 } }) < 1e-9)
        #expect(maxRelativeError(fit.model.weights, expected.weights) < 1e-9)
    }

    /// All three given start exactly where the same model would; a partial start keeps what it
    /// was not given from the initialisation.
    @Test(arguments: CovarianceType.allCases)
    func partsOfAStartReplaceTheInitialisation(type: CovarianceType) throws {
        let iris = try irisData()
        let model = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 3, covarianceType: type, seed: 5)).model
        let precisions = try model.covariances.map { c in try #require(PartialStart.inverse(of: c, diagonal: type == .diag || type == .spherical)) }
        var options = FitOptions(maxIterations: 0, covarianceType: type, seed: 8)
        options.initialWeights = model.weights
        options.initialMeans = model.means
        options.initialPrecisions = precisions
        let all = try GaussianMixture.fit(iris, components: 3, options: options).model
        #expect(maxRelativeError(all.weights, model.weights) == 0 && all.means == model.means)
        #expect(maxScaledError(all.covariances.flatMap(\.values), model.covariances.flatMap(\.values)) < 1e-13)
        let plain = try GaussianMixture.fit(iris, components: 3, options: FitOptions(maxIterations: 0, covarianceType: type, seed: 8)).model
        var meansOnly = FitOptions(maxIterations: 0, covarianceType: type, seed: 8)
        meansOnly.initialMeans = model.means
        let partial = try GaussianMixture.fit(iris, components: 3, options: meansOnly).model
        #expect(partial.means == model.means && partial.weights == plain.weights && partial.covariances == plain.covariances)
    }

    @Test func badPartialStartsNameWhatIsWrong() throws {
        let iris = try irisData()
        let identity = try Matrix([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let notPositive = try Matrix([[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let cases: [(FitOptions, String)] = [
            ({ var o = FitOptions(); o.initialWeights = [0.5, 0.5]; return o }(), "2 values for 3 components"),
            ({ var o = FitOptions(); o.initialWeights = [0.5, 0.5, 0.5]; return o }(), "sum to 1.5"),
            ({ var o = FitOptions(); o.initialWeights = [1.5, -0.5, 0]; return o }(), "component 1 is -0.5"),
            ({ var o = FitOptions(); o.initialMeans = Matrix(zeros: 3, 2); return o }(), "3 x 2"),
            ({ var o = FitOptions(); o.initialPrecisions = [identity, identity]; return o }(), "2 initial precision matrices"),
            ({ var o = FitOptions(); o.initialPrecisions = [identity, notPositive, identity]; return o }(),
             "precision of component 1 is not positive definite"),
            ({ var o = FitOptions(covarianceType: .spherical); o.initialPrecisions = [identity, notPositive, identity]; return o }(),
             "a spherical precision has one"),
        ]
        for (options, expected) in cases {
            #expect(throws: GaussianMixtureError.self) { try GaussianMixture.fit(iris, components: 3, options: options) }
            do { _ = try GaussianMixture.fit(iris, components: 3, options: options) } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
        var clash = FitOptions(initialization: .model(try Fixture.load().startModel))
        clash.initialMeans = Matrix(zeros: 3, 4)
        do {
            _ = try GaussianMixture.fit(iris, components: 3, options: clash)
            Issue.record("a start model with initial means was accepted")
        } catch GaussianMixtureError.invalidOption(let message) {
            #expect(message.contains("either"))
        }
    }

    /// The precision Cholesky factors are `L⁻ᵀ`: `Σ⁻¹ = P Pᵀ` to rounding.
    @Test func precisionCholeskyFactorsInvertTheCovariances() throws {
        let fixture = try Fixture.load()
        let model = try fixture.startModel
        for (c, p) in model.precisionCholeskyFactors.enumerated() {
            let d = model.featureCount
            for i in 0..<d { for j in 0..<i { #expect(p[j, i] == 0 || p[i, j] == 0) } }
            // Σ (P Pᵀ) = I
            for i in 0..<d {
                for j in 0..<d {
                    var s = 0.0
                    for a in 0..<d { for b in 0..<d { s += model.covariances[c][i, a] * p[a, b] * p[j, b] } }
                    #expect(abs(s - (i == j ? 1 : 0)) < 1e-10)
                }
            }
        }
    }
}

/// A start model is fitted once whatever `restarts` says (every restart would repeat it), as
/// scikit-learn's `warm_start` fits once.
@Suite struct WarmStartRestartTests {
    @Test func aStartModelIsFittedOnce() throws {
        let data = try syntheticData(rows: 400, seed: 8).data
        let first = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 3, seed: 2))
        let once = try GaussianMixture.fit(data, components: 3, options: FitOptions(
            maxIterations: 5, restarts: 1, initialization: .model(first.model)))
        let thrice = try GaussianMixture.fit(data, components: 3, options: FitOptions(
            maxIterations: 5, restarts: 3, initialization: .model(first.model)))
        #expect(thrice.restartLowerBounds.count == 1)
        #expect(thrice.lowerBound == once.lowerBound && thrice.model.means == once.model.means)
    }
}
