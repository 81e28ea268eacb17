import CGaussianMixturesKernels
import Foundation
@testable import GaussianMixtures
import Testing

/// Pruned responsibilities (``PruningState``): a fit that holds rows to one component is the
/// dense fit (`FitOptions.exactDense`) to rounding, iteration by iteration, whatever the data's
/// weights, precision, threads or split; it prunes where rows belong to one component and
/// leaves overlapping data, and small mixtures, exactly as dense.
@Suite struct PruningTests {
    /// `components` Gaussians in 3-D: centres uniform in a cube of side `side`, the first six in
    /// three close pairs (rows there keep two components), each covariance random with
    /// standard deviations near `spread`. (A side of 50 keeps the E-step on the quadratic road;
    /// 200 sends it to the whitening road.)
    static func blobs(rows: Int, components k: Int = 16, spread: Double = 0.4, side: Double = 50,
                      seed: UInt64 = 5) throws -> Matrix {
        var generator = Xoshiro256StarStar(seed: seed)
        var means = Matrix(zeros: k, 3)
        for i in 0..<(k * 3) { means.values[i] = side * (generator.nextUniform() - 0.5) }
        for c in stride(from: 0, to: min(6, k - 1), by: 2) {
            for j in 0..<3 { means[c + 1, j] = means[c, j] + 2 * generator.nextGaussian() }
        }
        let covariances = try (0..<k).map { _ -> Matrix in
            var a = Matrix(zeros: 3, 3)
            for i in 0..<9 { a.values[i] = generator.nextGaussian() / 3.squareRoot() }
            var c = Matrix(zeros: 3, 3)
            for i in 0..<3 { for j in 0..<3 {
                var s = i == j ? 0.3 : 0
                for m in 0..<3 { s += a[i, m] * a[j, m] }
                c[i, j] = s * spread * spread
            } }
            return try Matrix(rows: 3, columns: 3, values: c.values)
        }
        let truth = try GaussianMixture(weights: [Double](repeating: 1 / Double(k), count: k), means: means,
                                        covariances: covariances)
        return truth.sample(count: rows, seed: seed).samples
    }

    /// Pruning even where it does not pay (the blobs' K = 16 in 3-D: `K·M` = 160), to reach
    /// the pruned E-step on small data.
    static func options(exactDense: Bool, iterations: Int = 20, tolerance: Double = 0, threads: Int = 2) -> FitOptions {
        var options = FitOptions(tolerance: tolerance, maxIterations: iterations, seed: 4, threads: threads)
        options.exactDense = exactDense
        options.pruneEvenWhereItDoesNotPay = true
        return options
    }

    /// The largest gap between two fits' parameters (weights each relative to itself, means
    /// and covariances relative to the component's largest entry) and lower bounds (relative).
    static func gap(_ a: FitResult, _ b: FitResult) -> Double {
        var worst = max(maxRelativeError(a.model.weights, b.model.weights),
                        maxRelativeError(a.lowerBoundHistory, b.lowerBoundHistory))
        for c in 0..<b.model.componentCount {
            worst = max(worst, maxScaledError(a.model.means.row(c), b.model.means.row(c)),
                        maxScaledError(a.model.covariances[c].values, b.model.covariances[c].values))
        }
        return worst
    }

    /// Pruned and dense take the same iterations, and the pruned fit is as close to the naive
    /// path (which centres every row on each component's own mean in Double: no cancellation)
    /// as the dense fit is, to four times the dense quadratic road's own rounding. On well-separated
    /// 3-D blobs that rounding is near 1e-12 in the covariances: they come from `Σ r x̃ x̃ᵀ` about
    /// the data's centre, 60 standard deviations from some components.
    func expectSameToRounding(pruned: FitResult, dense: FitResult, naive: FitResult, floor: Double = 1e-13, _ label: String) {
        #expect(pruned.iterations == dense.iterations, "\(label)")
        #expect(pruned.converged == dense.converged, "\(label)")
        let own = Self.gap(dense, naive), pruning = Self.gap(pruned, naive)
        #expect(pruning <= 4 * own + floor, "\(label): pruned \(pruning) from the naive path, dense \(own)")
        #expect(Self.gap(pruned, dense) <= 5 * own + floor, "\(label)")
    }

    /// The fit of `data` with `options` pruned, dense and on the naive path.
    static func fits(_ data: Matrix, components k: Int = 16, sampleWeights: [Double]? = nil,
                     options: FitOptions) throws -> (pruned: FitResult, dense: FitResult, naive: FitResult) {
        var options = options
        options.exactDense = false
        let pruned = try GaussianMixture.fit(data, components: k, sampleWeights: sampleWeights, options: options)
        options.exactDense = true
        let dense = try GaussianMixture.fit(data, components: k, sampleWeights: sampleWeights, options: options)
        options.path = .naive
        let naive = try GaussianMixture.fit(data, components: k, sampleWeights: sampleWeights, options: options)
        return (pruned, dense, naive)
    }

    @Test(arguments: [false, true])
    func prunedFitIsTheDenseFitToRounding(weighted: Bool) throws {
        let data = try Self.blobs(rows: 6_000)
        // Weights spanning 10^6, some rows absent.
        let weights = weighted ? (0..<data.rows).map { $0 % 7 == 0 ? 0 : pow(10, Double($0 % 5) * 1.5 - 3) } : nil
        let (pruned, dense, naive) = try Self.fits(data, sampleWeights: weights, options: Self.options(exactDense: false))
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "weighted \(weighted)")
        #expect(dense.evaluatedShareHistory.allSatisfy { $0 == 1 })
        // The first E-step evaluates everything; later ones hold most rows (three pairs of
        // sixteen components overlap, so at least 6/16 of the rows stay whole).
        #expect(pruned.evaluatedShareHistory.first == 1)
        let late = try #require(pruned.evaluatedShareHistory.last)
        #expect(late < 0.6 && late > 1.0 / 16, "share \(late)")
    }

    /// Other widths than the blobs' 3 (the held rows' kernel writes features four at a time).
    @Test(arguments: [1, 5, 8])
    func otherFeatureCountsPruneToRounding(features d: Int) throws {
        var generator = Xoshiro256StarStar(seed: UInt64(20 + d))
        let side = d == 1 ? 1_000.0 : 60  // on a line, 16 centres need more room to stand apart
        let centres = (0..<16).map { _ in (0..<d).map { _ in side * (generator.nextUniform() - 0.5) } }
        let rows = (0..<4_000).map { n in centres[n % 16].map { $0 + 0.3 * generator.nextGaussian() } }
        let (pruned, dense, naive) = try Self.fits(try Matrix(rows), options: Self.options(exactDense: false, iterations: 12))
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "D = \(d)")
        #expect(try #require(pruned.evaluatedShareHistory.last) < 0.6, "\(pruned.evaluatedShareHistory)")
    }

    /// Blobs in a cube four times wider: every E-step takes the whitening road, which prunes too.
    @Test(arguments: [false, true])
    func whiteningRoadPrunesToRounding(weighted: Bool) throws {
        let data = try Self.blobs(rows: 6_000, side: 200, seed: 13)
        let weights = weighted ? (0..<data.rows).map { $0 % 5 == 0 ? 0 : Double($0 % 3) + 0.5 } : nil
        let (pruned, dense, naive) = try Self.fits(data, sampleWeights: weights, options: Self.options(exactDense: false))
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "whitening, weighted \(weighted)")
        let view = data.values.withUnsafeBufferPointer { DataView(base: $0.baseAddress!, rows: data.rows, columns: 3) }
        #expect(QuadraticFeatures(data: view).coefficients(of: dense.model, limit: Double.quadraticConditionLimit) == nil)
        #expect(try #require(pruned.evaluatedShareHistory.last) < 0.6, "\(pruned.evaluatedShareHistory)")
    }

    @Test func prunedFitTakesTheDenseFitsIterationsToConvergence() throws {
        let data = try Self.blobs(rows: 5_000, seed: 9)
        let (pruned, dense, naive) = try Self.fits(data, options: Self.options(exactDense: false, iterations: 100, tolerance: 1e-6))
        #expect(dense.converged)
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "to convergence")
    }

    @Test func float32PrunedFitFollowsTheFloat32DenseFit() throws {
        let data = try Self.blobs(rows: 6_000, seed: 6)
        let values = data.values.map { Float($0) }
        let pruned = try GaussianMixture.fit(values, rows: data.rows, columns: 3, components: 16,
                                             options: Self.options(exactDense: false, iterations: 12))
        let dense = try GaussianMixture.fit(values, rows: data.rows, columns: 3, components: 16,
                                            options: Self.options(exactDense: true, iterations: 12))
        // Against the float64 naive fit: float32's own rounding is the yardstick. (Held rows take
        // θ_b · z in Double where the dense road rounds it to float.)
        var options = Self.options(exactDense: true, iterations: 12)
        options.path = .naive
        let naive = try GaussianMixture.fit(data, components: 16, options: options)
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, floor: 1e-6, "float32")
        #expect(try #require(pruned.evaluatedShareHistory.last) < 0.6)
    }

    /// On overlapping data no row can be held: every E-step is the dense one, to the bit.
    @Test func overlappingDataIsNotPruned() throws {
        let data = try Self.blobs(rows: 5_000, spread: 12, seed: 7)
        let pruned = try GaussianMixture.fit(data, components: 16, options: Self.options(exactDense: false, iterations: 12))
        let dense = try GaussianMixture.fit(data, components: 16, options: Self.options(exactDense: true, iterations: 12))
        #expect(pruned.evaluatedShareHistory.allSatisfy { $0 == 1 })
        #expect(pruned.model.means == dense.model.means && pruned.model.covariances == dense.model.covariances)
        #expect(pruned.lowerBoundHistory == dense.lowerBoundHistory)
    }

    /// Where ``PruningState/worthPruning(components:quadraticFeatures:whitening:)`` says holding a
    /// row saves nothing (K = 16 in 3-D, where the blobs hold most rows): never pruned by default.
    @Test func smallMixturesAreNotPruned() throws {
        let data = try Self.blobs(rows: 4_000, seed: 8)
        var options = Self.options(exactDense: false, iterations: 8)
        options.pruneEvenWhereItDoesNotPay = false
        let pruned = try GaussianMixture.fit(data, components: 16, options: options)
        options.exactDense = true
        let dense = try GaussianMixture.fit(data, components: 16, options: options)
        #expect(pruned.evaluatedShareHistory.allSatisfy { $0 == 1 })
        #expect(pruned.model.means == dense.model.means && pruned.lowerBoundHistory == dense.lowerBoundHistory)
        // The same fit where pruning is made to run holds rows.
        options.exactDense = false
        options.pruneEvenWhereItDoesNotPay = true
        let forced = try GaussianMixture.fit(data, components: 16, options: options)
        #expect(try #require(forced.evaluatedShareHistory.last) < 0.6)
    }

    @Test func prunedFitGivesTheSameBitsOnAnyThreadCount() throws {
        let data = try Self.blobs(rows: 9_000, seed: 10)
        let one = try GaussianMixture.fit(data, components: 16, options: Self.options(exactDense: false, iterations: 10, threads: 1))
        let two = try GaussianMixture.fit(data, components: 16, options: Self.options(exactDense: false, iterations: 10, threads: 2))
        #expect(try #require(one.evaluatedShareHistory.last) < 0.6)
        #expect(one.model.means == two.model.means && one.model.covariances == two.model.covariances)
        #expect(one.lowerBoundHistory == two.lowerBoundHistory && one.evaluatedShareHistory == two.evaluatedShareHistory)
    }

    /// A light component 20 standard deviations beside another gets all its responsibility
    /// (about e^-200 a row) from rows the other holds, which pruned E-steps leave out. While a
    /// component weighs less than ``PruningState/lightestComponent`` every pruned E-step is
    /// redone in full (share 1), and the fit is the dense one. (The M-step's floor of 10ε on
    /// every `N_k`, scikit-learn's, would outweigh what is left out anyway at this size.)
    @Test func aLightComponentBesideAnotherIsTheDenseFit() throws {
        let data = try Self.blobs(rows: 4_000, seed: 11)
        let start = try GaussianMixture.fit(data, components: 16, options: Self.options(exactDense: true, iterations: 3)).model
        var weights = start.weights, means = start.means, covariances = start.covariances
        weights[3] = 1e-10
        covariances[3] = covariances[4]
        for j in 0..<3 { means[3, j] = means[4, j] + (j == 0 ? 20 * covariances[4][0, 0].squareRoot() : 0) }
        let total = weights.reduce(0, +)
        let light = try GaussianMixture(weights: weights.map { $0 / total }, means: means, covariances: covariances)
        var options = Self.options(exactDense: false, iterations: 8)
        options.initialization = .model(light)
        let (pruned, dense, naive) = try Self.fits(data, options: options)
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "light component")
        #expect(pruned.model.weights[3] < PruningState.lightestComponent)
        #expect(pruned.evaluatedShareHistory.allSatisfy { $0 == 1 })
    }
}

extension PruningTests {
    /// When every held row of a chunk turns out far from every component, the chunk is
    /// evaluated in place: its full rows must then be the chunk's rows in order (their leads
    /// and budgets are paired by position).
    @Test func heldRowsThatTurnOutFarLeaveTheFullRowsInOrder() throws {
        let data = try Self.blobs(rows: 64)
        try data.values.withUnsafeBufferPointer { values in
            let view = DataView(base: try #require(values.baseAddress), rows: 64, columns: 3)
            let kernel = BLASKernel<Double>(data: view, components: 16, covarianceType: .full, threads: 1, chunkRows: 8)
            let s = kernel.scratch[0]
            for (j, row) in [1, 3, 4, 5, 6, 7].enumerated() { s.fullRows[j] = Int32(row) }
            s.heldRows[0] = 0
            s.heldRows[1] = 2
            var held = 2, full = 6
            let far = [-2e4, -3e4]
            _ = far.withUnsafeBufferPointer { kernel.settle($0.baseAddress!, held: &held, full: &full, rows: 0..<8, scratch: s) }
            #expect(held == 0 && full == 8)
            #expect((0..<8).map { Int(s.fullRows[$0]) } == Array(0..<8))
        }
    }
}

extension DistributedFitTests {
    /// A process with no rows runs the same passes as the others, the redone ones included (a
    /// light component makes every pruned E-step run again in full): no exchange is left unpaired.
    @Test func prunedFitWithAnEmptyProcessAndALightComponent() throws {
        let data = try PruningTests.blobs(rows: 4_000, seed: 11)
        let start = try GaussianMixture.fit(data, components: 16, options: PruningTests.options(exactDense: true, iterations: 3)).model
        var weights = start.weights, means = start.means
        weights[3] = 1e-10
        for j in 0..<3 { means[3, j] = means[4, j] + (j == 0 ? 20 * start.covariances[4][0, 0].squareRoot() : 0) }
        var covariances = start.covariances
        covariances[3] = covariances[4]
        let total = weights.reduce(0, +)
        var options = PruningTests.options(exactDense: false, iterations: 6, threads: 1)
        options.initialization = .model(try GaussianMixture(weights: weights.map { $0 / total }, means: means,
                                                            covariances: covariances))
        let whole = try GaussianMixture.fit(data, components: 16, options: options)
        for split in [0, data.rows] {
            for part in try splitFit(data, split: split, components: 16, weights: nil, options: options) {
                expectIdentical(part, whole, "light component, split at \(split)")
            }
        }
    }

    /// Two "processes" cut at 4096 rows hold and evaluate the same rows as one: the same bits.
    @Test func prunedFitSplitAtTheGridIsTheOneProcessFit() throws {
        let data = try PruningTests.blobs(rows: 9_000, seed: 12)
        let options = PruningTests.options(exactDense: false, iterations: 10, threads: 1)
        let whole = try GaussianMixture.fit(data, components: 16, options: options)
        #expect(try #require(whole.evaluatedShareHistory.last) < 0.6)
        for part in try splitFit(data, split: 4_096, components: 16, weights: nil, options: options) {
            expectIdentical(part, whole, "pruned, split at 4096")
            #expect(part.evaluatedShareHistory == whole.evaluatedShareHistory)
        }
    }
}

extension PruningTests {
    /// Wide data (D past 48: held rows grouped by component, z never written) with few
    /// components, which wide data prune too: the dense fit to rounding, weighted or not, in
    /// float64 and float32.
    @Test(arguments: [(49, false), (64, true)])
    func wideFewComponentFitsPruneToRounding(features d: Int, weighted: Bool) throws {
        var generator = Xoshiro256StarStar(seed: UInt64(40 + d))
        let k = 3
        #expect(PruningState.worthPruning(components: k, quadraticFeatures: d * (d + 3) / 2 + 1, whitening: false))
        let centres = (0..<k).map { _ in (0..<d).map { _ in 4 * generator.nextGaussian() } }
        // Components in no order, so that a chunk's groups end at every length mod 4.
        var rows: [[Double]] = []
        for _ in 0..<3_000 {
            let centre = centres[Int(generator.next() % UInt64(k))]
            rows.append(centre.map { (value: Double) -> Double in value + 0.5 * generator.nextGaussian() })
        }
        let weights: [Double]? = weighted ? (0..<rows.count).map { (n: Int) -> Double in n % 9 == 0 ? 0 : Double(n % 4) + 0.25 } : nil
        let data = try Matrix(rows)
        let (pruned, dense, naive) = try Self.fits(data, components: k, sampleWeights: weights,
                                                   options: Self.options(exactDense: false, iterations: 8))
        expectSameToRounding(pruned: pruned, dense: dense, naive: naive, "D = \(d)")
        #expect(try #require(pruned.evaluatedShareHistory.last) < 0.4, "\(pruned.evaluatedShareHistory)")
        let values = data.values.map { Float($0) }
        var options = Self.options(exactDense: false, iterations: 8)
        let pruned32 = try GaussianMixture.fit(values, rows: data.rows, columns: d, components: k, sampleWeights: weights,
                                               options: options)
        options.exactDense = true
        let dense32 = try GaussianMixture.fit(values, rows: data.rows, columns: d, components: k, sampleWeights: weights,
                                              options: options)
        expectSameToRounding(pruned: pruned32, dense: dense32, naive: naive, floor: 1e-6, "float32, D = \(d)")
        #expect(try #require(pruned32.evaluatedShareHistory.last) < 0.4)
    }

    /// The held rows' wide branch against z written out: each row's `θ_b · z` and its sums
    /// `Σ w z` per component (rows below the threshold, or of weight 0, add nothing), for group
    /// sizes 1 to 9 (blocks of four and every tail).
    @Test(arguments: [49, 50, 57])
    func wideHeldRowsAreTheirFeaturesProducts(features d: Int) {
        var generator = Xoshiro256StarStar(seed: UInt64(d))
        let k = 3, m = d * (d + 3) / 2 + 1, count = 23
        let x = (0..<(count * d)).map { _ in generator.nextGaussian() }
        let center = (0..<d).map { _ in 0.1 * generator.nextGaussian() }
        let theta = (0..<(k * m)).map { _ in generator.nextGaussian() }
        let best: [Int32] = (0..<count).map { (n: Int) -> Int32 in n * 7 % 5 == 0 ? 0 : Int32(n % 2 + 1) }
        let weights = (0..<count).map { (n: Int) -> Double in n % 6 == 5 ? 0 : 0.5 + Double(n % 3) }
        let rows: [Int32] = (0..<count).map { (i: Int) -> Int32 in Int32(count - 1 - i * 5 % count) }  // a permutation
        let threshold = 0.0  // values are spread about 0: some rows on each side
        var values = [Double](repeating: .nan, count: count)
        var sums = [Double](repeating: 0, count: k * m)
        var scratch = [Double](repeating: 0, count: m + 4 * d + 16 + count)
        gmm_held_rows(x, d, rows, count, best, weights, 0, center, theta, threshold, &sums, &values, &scratch)
        var expectedSums = [Double](repeating: 0, count: k * m), scale = [Double](repeating: 0, count: k * m)
        for i in 0..<count {
            let n = Int(rows[i]), b = Int(best[n])
            let c = (0..<d).map { x[n * d + $0] - center[$0] }
            var z: [Double] = []
            for a in 0..<d { for j in a..<d { z.append(c[a] * c[j]) } }
            z += c + [1]
            var value = 0.0, size = 0.0
            for p in 0..<m { value += theta[b * m + p] * z[p]; size += abs(theta[b * m + p] * z[p]) }
            #expect(abs(values[i] - value) <= 1e-13 * size, "row \(n)")
            guard value >= threshold, weights[n] > 0 else { continue }
            for p in 0..<m {
                expectedSums[b * m + p] += weights[n] * z[p]
                scale[b * m + p] += abs(weights[n] * z[p])
            }
        }
        #expect(values.contains { $0 < threshold } && values.contains { $0 >= threshold })
        for p in 0..<(k * m) { #expect(abs(sums[p] - expectedSums[p]) <= 1e-14 * scale[p] + 1e-300, "sum \(p)") }
    }
}

extension PruningTests {
    /// Pauses double while pruning keeps failing, whether too few rows could be held or too few
    /// were (the bounds too loose), and only an E-step that held enough ends the backoff: a
    /// new epoch after a pause finds rows holdable whatever the bounds will then do.
    @Test func pausesDoubleUntilAnEStepHoldsEnough() {
        let state = PruningState(rows: 800, components: 16, features: 2, quadraticFeatures: 6)
        state.finish(holdable: 800, held: 0, holding: false, globalRows: 800)   // a first epoch
        #expect(state.pause == 0 && state.backoff == 1)
        state.finish(holdable: 800, held: 20, holding: true, globalRows: 800)   // held 1/40
        #expect(state.pause == 1 && state.backoff == 2)
        state.finish(holdable: 800, held: 0, holding: false, globalRows: 800)   // the next epoch
        #expect(state.backoff == 2)
        state.finish(holdable: 800, held: 50, holding: true, globalRows: 800)
        #expect(state.pause == 2 && state.backoff == 4)
        state.finish(holdable: 90, held: 0, holding: false, globalRows: 800)    // too few holdable
        #expect(state.pause == 4 && state.backoff == 8)
        state.finish(holdable: 800, held: 700, holding: true, globalRows: 800)  // held enough
        #expect(state.backoff == 1)
        for _ in 0..<8 { state.finish(holdable: 0, held: 0, holding: false, globalRows: 800) }
        #expect(state.pause == PruningState.longestPause)
    }

    /// The gate: mixtures where a held row saves little stay dense (the measured cases of
    /// ``PruningState``'s "When it does not pay"), the others prune.
    @Test func pruningIsWorthItWhereMeasuredToPay() {
        func m(_ d: Int) -> Int { d * (d + 3) / 2 + 1 }
        for (k, d) in [(8, 8), (16, 3), (32, 2), (2, 24), (2, 16), (1, 100), (4, 3), (3, 2)] {
            #expect(!PruningState.worthPruning(components: k, quadraticFeatures: m(d), whitening: false), "K = \(k), D = \(d)")
        }
        for (k, d) in [(20, 5), (32, 4), (64, 3), (4, 16), (8, 12), (8, 32), (10, 100), (2, 100), (3, 48)] {
            #expect(PruningState.worthPruning(components: k, quadraticFeatures: m(d), whitening: false), "K = \(k), D = \(d)")
        }
        #expect(!PruningState.worthPruning(components: 2, quadraticFeatures: m(100), whitening: true))
        #expect(PruningState.worthPruning(components: 3, quadraticFeatures: m(48), whitening: true))
    }
}
