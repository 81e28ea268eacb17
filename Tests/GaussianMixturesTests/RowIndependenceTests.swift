import Foundation
@testable import GaussianMixtures
import Testing

/// A row's log-likelihood and responsibilities are properties of the row and the model: the same
/// whether the row is scored alone or in a batch with rows at any scale, and equal to the naive
/// path's and to exact (50-digit) values.
@Suite struct RowIndependenceTests {
    /// Per-row `log p(x)` and responsibilities of `values` (n x D) through `kernel`'s `score`.
    func scores<Kernel: EMKernel>(_ kernel: Kernel.Type, _ model: GaussianMixture, _ values: [Kernel.Scalar], rows n: Int,
                                  threads: Int = 2) -> (ll: [Double], r: [Double]) {
        var ll = [Double](repeating: .nan, count: n), r = [Double](repeating: .nan, count: n * model.componentCount)
        values.withUnsafeBufferPointer { x in
            let view = DataView(base: x.baseAddress!, rows: n, columns: model.featureCount)
            let kernel = Kernel(data: view, components: model.componentCount, covarianceType: model.covarianceType,
                                threads: threads, chunkRows: nil)
            ll.withUnsafeMutableBufferPointer { l in
                r.withUnsafeMutableBufferPointer { kernel.score(model, logLikelihoods: l.baseAddress!, responsibilities: $0.baseAddress!) }
            }
        }
        return (ll, r)
    }

    /// On the fast path, in the values' type.
    func fastScore<Scalar: EngineScalar>(_ model: GaussianMixture, _ values: [Scalar], rows n: Int) -> (ll: [Double], r: [Double]) {
        scores(BLASKernel<Scalar>.self, model, values, rows: n)
    }

    /// On the naive reference path, in Double.
    func naiveScore(_ model: GaussianMixture, _ values: [Double], rows n: Int) -> (ll: [Double], r: [Double]) {
        scores(NaiveKernel<Double>.self, model, values, rows: n, threads: 1)
    }

    /// `|a - b| / max(1, |b|)`, zero when both are the same infinity.
    func gap(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / max(1, abs(b))
    }

    /// A random model of `type` with K components in D dimensions, spreads from 0.1 to 10.
    func randomModel(_ type: CovarianceType, components k: Int, features d: Int,
                     _ g: inout Xoshiro256StarStar) throws -> GaussianMixture {
        var weights = (0..<k).map { _ in g.nextUniform() + 0.05 }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let means = try Matrix(rows: k, columns: d, values: (0..<(k * d)).map { _ in 5 * g.nextGaussian() })
        func full(_ g: inout Xoshiro256StarStar) throws -> Matrix {
            let scale = Foundation.pow(10, 2 * g.nextUniform() - 1)
            let a = (0..<(d * d)).map { _ in g.nextGaussian() }
            var values = [Double](repeating: 0, count: d * d)
            for i in 0..<d {
                for j in 0..<d {
                    var s = i == j ? 0.1 : 0
                    for m in 0..<d { s += a[i * d + m] * a[j * d + m] / Double(d) }
                    values[i * d + j] = scale * scale * s
                }
            }
            return try Matrix(rows: d, columns: d, values: values)
        }
        func diagonal(_ g: inout Xoshiro256StarStar, spherical: Bool) throws -> Matrix {
            let scale = Foundation.pow(10, 2 * g.nextUniform() - 1)
            let shared = 0.1 + g.nextUniform()
            var values = [Double](repeating: 0, count: d * d)
            for i in 0..<d { values[i * d + i] = scale * scale * (spherical ? shared : 0.1 + g.nextUniform()) }
            return try Matrix(rows: d, columns: d, values: values)
        }
        let covariances: [Matrix]
        switch type {
        case .full: covariances = try (0..<k).map { _ in try full(&g) }
        case .diag: covariances = try (0..<k).map { _ in try diagonal(&g, spherical: false) }
        case .spherical: covariances = try (0..<k).map { _ in try diagonal(&g, spherical: true) }
        case .tied:
            let shared = try full(&g)
            covariances = Array(repeating: shared, count: k)
        }
        return try GaussianMixture(weights: weights, means: means, covariances: covariances, covarianceType: type)
    }

    /// Rows drawn from `model` with `far` rows at scales 10^0 ... 10^`maxExponent` mixed in at
    /// random places; `isFar` marks the mixed-in rows.
    func batch(_ model: GaussianMixture, ordinary: Int, far: Int, maxExponent: Double,
               _ g: inout Xoshiro256StarStar) -> [[Double]] {
        batchMarked(model, ordinary: ordinary, far: far, maxExponent: maxExponent, &g).map(\.row)
    }

    func batchMarked(_ model: GaussianMixture, ordinary: Int, far: Int, maxExponent: Double,
                     _ g: inout Xoshiro256StarStar) -> [(row: [Double], isFar: Bool)] {
        let d = model.featureCount
        let drawn = model.sample(count: ordinary, seed: g.next()).samples
        var rows = (0..<ordinary).map { n in ((0..<d).map { drawn[n, $0] }, false) }
        for _ in 0..<far {
            let scale = Foundation.pow(10, maxExponent * g.nextUniform())
            rows.insert(((0..<d).map { _ in scale * g.nextGaussian() }, true), at: g.nextInt(below: rows.count + 1))
        }
        return rows
    }

    @Test(arguments: CovarianceType.allCases)
    func rowScoreIsTheSameAloneInABatchAndOnTheNaivePath(type: CovarianceType) throws {
        var g = Xoshiro256StarStar(seed: 1600 + UInt64(CovarianceType.allCases.firstIndex(of: type)!))
        for trial in 0..<12 {
            let d = 1 + g.nextInt(below: 40), k = 1 + g.nextInt(below: 16)
            let model = try randomModel(type, components: k, features: d, &g)
            let marked = batchMarked(model, ordinary: 4 + g.nextInt(below: 30), far: 1 + g.nextInt(below: 3),
                                     maxExponent: 150, &g)
            let rows = marked.map(\.row), n = rows.count
            let inBatch = fastScore(model, rows.flatMap { $0 }, rows: n)
            let naive = naiveScore(model, rows.flatMap { $0 }, rows: n)
            var aloneGap = 0.0, naiveGap = 0.0, rGap = 0.0
            for i in 0..<n {
                let alone = fastScore(model, rows[i], rows: 1)
                aloneGap = max(aloneGap, gap(inBatch.ll[i], alone.ll[0]))
                naiveGap = max(naiveGap, gap(inBatch.ll[i], naive.ll[i]))
                for c in 0..<k {
                    aloneGap = max(aloneGap, abs(inBatch.r[i * k + c] - alone.r[c]))
                    rGap = max(rGap, abs(inBatch.r[i * k + c] - naive.r[i * k + c]))
                }
                let sum = (0..<k).reduce(0.0) { $0 + inBatch.r[i * k + $1] }
                #expect(abs(sum - 1) < 1e-12, "trial \(trial): responsibilities of row \(i) sum to \(sum)")
            }
            #expect(aloneGap <= 1e-13, "trial \(trial) (\(type), D=\(d), K=\(k)): alone vs batch \(aloneGap)")
            #expect(naiveGap <= 1e-10, "trial \(trial) (\(type), D=\(d), K=\(k)): batch vs naive \(naiveGap)")
            #expect(rGap <= 1e-10, "trial \(trial) (\(type), D=\(d), K=\(k)): responsibilities vs naive \(rGap)")
        }
    }

    @Test(arguments: CovarianceType.allCases)
    func float32RowScoreIsTheSameAloneAndInABatch(type: CovarianceType) throws {
        var g = Xoshiro256StarStar(seed: 1700 + UInt64(CovarianceType.allCases.firstIndex(of: type)!))
        for trial in 0..<8 {
            let d = 1 + g.nextInt(below: 40), k = 1 + g.nextInt(below: 16)
            let model = try randomModel(type, components: k, features: d, &g)
            // float32 holds values up to 3.4e38: far rows up to 1e30.
            let rows = batch(model, ordinary: 4 + g.nextInt(below: 30), far: 1 + g.nextInt(below: 3), maxExponent: 30, &g)
                .map { $0.map { Float($0) } }
            let n = rows.count
            let inBatch = fastScore(model, rows.flatMap { $0 }, rows: n)
            // The naive path on the same (float32) values, in Double.
            let naive = naiveScore(model, rows.flatMap { $0.map(Double.init) }, rows: n)
            var aloneGap = 0.0, naiveGap = 0.0
            for i in 0..<n {
                let alone = fastScore(model, rows[i], rows: 1)
                aloneGap = max(aloneGap, gap(inBatch.ll[i], alone.ll[0]))
                naiveGap = max(naiveGap, gap(inBatch.ll[i], naive.ll[i]))
                for c in 0..<k { aloneGap = max(aloneGap, abs(inBatch.r[i * k + c] - alone.r[c])) }
            }
            // sgemm's kernels for a one-row and a many-row product add a row's terms in different
            // orders (a few float ulps of y); the float32 contract is 1e-5.
            #expect(aloneGap <= 1e-7, "trial \(trial) (\(type), D=\(d), K=\(k)): alone vs batch \(aloneGap)")
            #expect(naiveGap <= 1e-5, "trial \(trial) (\(type), D=\(d), K=\(k)): float32 vs naive \(naiveGap)")
        }
    }

    /// The fit's E-step (any road the guard allows) sums the same log-likelihood as the naive
    /// path over batches holding a far row.
    @Test(arguments: CovarianceType.allCases)
    func eStepLogLikelihoodWithFarRowsMatchesTheNaivePath(type: CovarianceType) throws {
        var g = Xoshiro256StarStar(seed: 1800 + UInt64(CovarianceType.allCases.firstIndex(of: type)!))
        for trial in 0..<8 {
            let d = 1 + g.nextInt(below: 12), k = 1 + g.nextInt(below: 8)
            let model = try randomModel(type, components: k, features: d, &g)
            let rows = batch(model, ordinary: 200, far: 1, maxExponent: 14, &g)
            let values = rows.flatMap { $0 }
            let (fast, naive) = values.withUnsafeBufferPointer { x in
                let view = DataView(base: x.baseAddress!, rows: rows.count, columns: d)
                let fast = BLASKernel(data: view, components: k, covarianceType: type, threads: 2, chunkRows: 64)
                let naive = NaiveKernel(data: view, components: k, covarianceType: type, threads: 1, chunkRows: nil)
                return (fast.expectation(model).logLikelihood, naive.expectation(model).logLikelihood)
            }
            #expect(abs(fast - naive) <= 1e-12 * abs(naive), "trial \(trial) (\(type), D=\(d), K=\(k)): \(fast) vs \(naive)")
        }
    }

    /// The first reproduction: a far row in the batch changed the first row's score
    /// from -0.34043776222310446 to -33554432.3.
    @Test func aFarRowDoesNotChangeItsNeighboursScores() throws {
        let square = try Matrix([[0, 0], [1, 1], [0, 1], [1, 0], [0.2, 0.9]])
        let model = try GaussianMixture.fit(square, components: 1).model
        let near = [[0.5, 0.5], [2, 2], [-1, 0.5]]
        let alone = try model.logLikelihoods(of: Matrix(near))
        for far in [1e8, 1e10, 1e12, 1e15, 1e20, 1e100, 1e200] {
            let mixed = try model.logLikelihoods(of: Matrix(near + [[far, far]]))
            for i in 0..<3 { #expect(gap(mixed[i], alone[i]) <= 1e-13, "far row at \(far), row \(i): \(mixed[i]) vs \(alone[i])") }
            let proba = try model.predictProbabilities(Matrix(near + [[far, far]]))
            #expect(proba[3, 0] == 1, "K = 1 gives the far row responsibility 1, got \(proba[3, 0])")
        }
    }

    /// Rows so far that `‖L⁻¹(x - μ)‖²` overflows: `log p = -∞`, responsibilities finite and
    /// summing to one, the nearest component by Mahalanobis distance taking the row.
    @Test func rowsBeyondDoubleRangeGoToTheirNearestComponent() throws {
        let model = try GaussianMixture(weights: [0.5, 0.5], means: Matrix([[0, 0], [10, 0]]),
                                        covariances: [Matrix([[1, 0], [0, 1]]), Matrix([[4, 0], [0, 4]])])
        // Far along +x: nearer to component 1 in Euclidean terms, but component 1's spread is
        // twice component 0's, so its Mahalanobis distance is about half.
        let rows: [[Double]] = [[1e200, 0], [-1e200, 1e200], [0.5, 0.5], [1e300, -1e300]]
        for (fast, naive) in [(fastScore(model, rows.flatMap { $0 }, rows: 4), naiveScore(model, rows.flatMap { $0 }, rows: 4))] {
            for result in [fast, naive] {
                #expect(result.ll[0] == -.infinity && result.ll[1] == -.infinity && result.ll[3] == -.infinity)
                #expect(result.ll[2].isFinite)
                #expect(result.r[0] == 0 && result.r[1] == 1)
                #expect(result.r[2] == 0 && result.r[3] == 1)
                #expect(result.r[6] == 0 && result.r[7] == 1)
                for i in 0..<4 { #expect(abs(result.r[2 * i] + result.r[2 * i + 1] - 1) < 1e-15) }
            }
        }
    }

    /// Components that share a covariance: far along `v`, the log-density ratio of two of them
    /// is linear in the row, `(μ_0 - μ_1)ᵀ Λ x` (equal weights), so the row belongs wholly to
    /// the component whose mean leans its way, at any distance, even where `log p(x) = -∞`.
    @Test(arguments: [CovarianceType.tied, .full, .spherical])
    func farRowsOfComponentsSharingACovarianceGoToTheNearerMean(type: CovarianceType) throws {
        let shared = type == .spherical ? try Matrix([[2, 0, 0], [0, 2, 0], [0, 0, 2]])
            : try Matrix([[2, 0.3, 0.1], [0.3, 1, -0.2], [0.1, -0.2, 0.5]])
        let model = try GaussianMixture(weights: [0.5, 0.5], means: Matrix([[1, 2, -1], [-1, -2, 1]]),
                                        covariances: [shared, shared], covarianceType: type)
        let factor = try #require(NaiveKernel<Double>.choleskyLower(shared.values, dimension: 3))
        let inverse = try #require(NaiveKernel<Double>.invertLower(factor, dimension: 3))
        var rows: [[Double]] = [], winners: [Int] = []
        let directions: [[Double]] = [[1, 1, 1], [-1, -1, -1], [1, -3, 0.5], [-0.2, 1, 4]]
        for scale in [1e3, 1e8, 1e17, 1e100, 1e160, 1e300] {
            for v in directions {
                rows.append(v.map { $0 * scale })
                // sign of (μ_0 - μ_1)ᵀ Λ v with Λ = L⁻ᵀ L⁻¹: (L⁻¹ (μ_0 - μ_1)) · (L⁻¹ v).
                let delta = [2.0, 4, -2]
                func solve(_ b: [Double]) -> [Double] { (0..<3).map { i in (0...i).reduce(0) { $0 + inverse[i * 3 + $1] * b[$1] } } }
                let (a, b) = (solve(delta), solve(v))
                winners.append(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } > 0 ? 0 : 1)
            }
        }
        let values = rows.flatMap { $0 }
        for result in [fastScore(model, values, rows: rows.count), naiveScore(model, values, rows: rows.count)] {
            for (i, winner) in winners.enumerated() {
                #expect(result.r[i * 2 + winner] == 1 && result.r[i * 2 + 1 - winner] == 0,
                        "\(type) row \(rows[i]): \(result.r[i * 2]), \(result.r[i * 2 + 1]) (component \(winner) expected)")
            }
        }
    }

    struct FarRowFixture: Decodable {
        struct Model: Decodable {
            let covariance_type: String
            let weights: [Double]
            let means: [[Double]]
            let covariances: [[[Double]]]
            let score_samples: [Double]
            let predict_proba: [[Double]]
            let exact_score_samples: [Double]
        }
        let X: [[Double]]
        let models: [Model]
    }

    /// The second reproduction: 300 standard-normal rows and one at (1e12, 1e12), K = 2,
    /// scored under scikit-learn's fitted model of every covariance type. Exact (50-digit)
    /// log-likelihoods are the reference; scikit-learn's own `X·P - μ·P` cancels on the far row
    /// (and, for tied, everywhere), so it is held to rows where it agrees with the exact value.
    @Test func farRowFixtureMatchesExactValuesAndScikitLearn() throws {
        let fixture = try JSONDecoder().decode(FarRowFixture.self, from: fixtureData("far-row.json"))
        let data = try Matrix(fixture.X)
        for m in fixture.models {
            let type = try #require(CovarianceType(rawValue: m.covariance_type))
            let model = try GaussianMixture(weights: m.weights, means: Matrix(m.means),
                                            covariances: m.covariances.map { try Matrix($0) }, covarianceType: type)
            let ours = try model.logLikelihoods(of: data)
            let proba = try model.predictProbabilities(data)
            var exactGap = 0.0, sklearnGap = 0.0, probaGap = 0.0, compared = 0
            for i in 0..<data.rows {
                exactGap = max(exactGap, gap(ours[i], m.exact_score_samples[i]))
                guard gap(m.score_samples[i], m.exact_score_samples[i]) <= 1e-12 else { continue }
                compared += 1
                sklearnGap = max(sklearnGap, gap(ours[i], m.score_samples[i]))
                for c in 0..<2 { probaGap = max(probaGap, abs(proba[i, c] - m.predict_proba[i][c])) }
            }
            #expect(exactGap <= 1e-13, "\(type): against exact \(exactGap)")
            #expect(sklearnGap <= 1e-10 && probaGap <= 1e-10, "\(type): against scikit-learn \(sklearnGap), \(probaGap)")
            #expect(type == .tied || compared >= 300, "\(type): scikit-learn exact on only \(compared) rows")

            // The lower bound of an EM step from this model is its mean log-likelihood.
            let step = try GaussianMixture.fit(data, components: 2, options: FitOptions(
                tolerance: 0, maxIterations: 1, initialization: .model(model), covarianceType: type))
            let exactMean = m.exact_score_samples.reduce(0, +) / Double(data.rows)
            #expect(abs(step.lowerBound - exactMean) <= 1e-12 * abs(exactMean),
                    "\(type): lower bound \(step.lowerBound) vs exact \(exactMean)")
        }
    }
}

/// The public float32 scoring calls agree with float64 scoring of the same (widened) values.
@Suite struct Float32ScoringTests {
    @Test(arguments: CovarianceType.allCases)
    func float32ScoresMatchFloat64OfTheSameValues(type: CovarianceType) throws {
        let data = try syntheticData(rows: 700, seed: 21).data
        let model = try GaussianMixture.fit(data, components: 3, options: FitOptions(covarianceType: type, seed: 4)).model
        let singles = data.values.map { Float($0) }
        let widened = try Matrix(rows: 700, columns: 3, values: singles.map(Double.init))
        let reference = try model.logLikelihoods(of: widened)
        let referenceProba = try model.predictProbabilities(widened)
        try singles.withUnsafeBufferPointer { x in
            let values = try model.logLikelihoods(of: x, rows: 700, columns: 3)
            let proba = try model.predictProbabilities(x, rows: 700, columns: 3)
            let labels = try model.predict(x, rows: 700, columns: 3)
            for n in 0..<700 {
                #expect(abs(values[n] - reference[n]) <= 1e-5 * max(1, abs(reference[n])))
                for c in 0..<3 { #expect(abs(proba[n, c] - referenceProba[n, c]) <= 1e-5) }
            }
            #expect(zip(labels, try model.predict(widened)).filter { $0 != $1 }.count <= 1)
        }
    }
}
