import Foundation
@testable import GaussianMixtures
import Testing
import CGaussianMixturesKernels

/// The fast path's two E-step roads (quadratic features and whitening, see `QuadraticFeatures`)
/// against each other, and the guard that chooses between them.
@Suite struct EStepRoadTests {
    /// The M-step's parameters and the log-likelihood after one E-step on `road`.
    func step(_ data: Matrix, _ model: GaussianMixture, road: BLASKernel<Double>.Road) throws -> (GaussianMixture, Double) {
        try data.values.withUnsafeBufferPointer { buffer in
            let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
            let kernel = BLASKernel(data: view, components: model.componentCount, covarianceType: model.covarianceType, threads: 2, chunkRows: 64)
            let stats = kernel.expectation(model, road: road)
            let next = try maximizationStep(stats, covarianceType: model.covarianceType, regularization: 1e-6, iteration: 1)
            return (next, stats.logLikelihood / stats.sampleCount)
        }
    }

    /// Relative gap between two roads' log-likelihoods, means and covariances.
    func gap(_ data: Matrix, _ model: GaussianMixture, _ road: BLASKernel<Double>.Road = .quadratic,
             against reference: BLASKernel<Double>.Road = .whitening) throws -> Double {
        let (a, la) = try step(data, model, road: road)
        let (b, lb) = try step(data, model, road: reference)
        return max(abs(la - lb) / abs(lb),
                   maxScaledError(a.means.values, b.means.values),
                   maxScaledError(a.covariances.flatMap(\.values), b.covariances.flatMap(\.values)))
    }

    @Test func quadraticRoadIsTakenAndAgreesWithWhitening() throws {
        // Chunks of 64 rows: Iris ends on a chunk of 22 rows, and 4,999 rows leave the fused
        // kernel a last block of 3 rows, so its lane masking is exercised.
        let iris = try irisData()
        let synthetic = try syntheticData(rows: 4_999, seed: 7, separation: 4).data
        let cases = [(iris, 3, CovarianceType.full), (synthetic, 3, .full), (synthetic, 6, .full),
                     (iris, 3, .diag), (synthetic, 4, .spherical), (iris, 2, .tied), (synthetic, 5, .tied)]
        for (data, k, type) in cases {
            let model = try GaussianMixture.fit(data, components: k,
                                                options: FitOptions(maxIterations: 5, covarianceType: type, seed: 1)).model
            data.values.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
                let features = QuadraticFeatures(data: view, diagonal: type == .diag || type == .spherical)
                #expect(features.coefficients(of: model, limit: Double.quadraticConditionLimit) != nil,
                        "the guard refused a tame \(type) model")
            }
            #expect(try gap(data, model) < 1e-11)
            if type == .tied {
                #expect(try gap(data, model, .tied) < 1e-11)
            }
            if gmm_vector_math_uses_avx2() != 0 {
                #expect(try gap(data, model, .fused) < 1e-11)
                #expect(try gap(data, model, .fused, against: .quadratic) < 1e-11)
            }
        }
    }

    /// The fused kernel takes D <= 4 and K = 2-4 as constants of its body (its loops unroll):
    /// every such shape, full and diagonal, against the two-product road.
    @Test(.enabled(if: gmm_vector_math_uses_avx2() != 0, "the fused kernel needs AVX2"))
    func fusedKernelAgreesAtEverySmallShape() throws {
        var generator = Xoshiro256StarStar(seed: 9)
        for d in 1...4 {
            for k in 1...5 {
                let centres = (0..<k).map { _ in (0..<d).map { _ in 6 * generator.nextGaussian() } }
                let data = try Matrix((0..<301).map { n in centres[n % k].map { $0 + generator.nextGaussian() } })
                for type in [CovarianceType.full, .diag] {
                    let model = try GaussianMixture.fit(data, components: k,
                                                        options: FitOptions(maxIterations: 2, covarianceType: type, seed: 1)).model
                    #expect(try gap(data, model, .fused, against: .quadratic) < 1e-11, "D = \(d), K = \(k), \(type)")
                }
            }
        }
    }

    /// Eight lanes only where a chunk's rows outweigh the lane sums' fold (128 rows or more).
    @Test func fusedLanesFollowTheChunkSize() {
        #expect(Double.fusedLanes(chunkRows: 64) == Int(GMM_FUSED_LANES_F64))
        #expect(Double.fusedLanes(chunkRows: 256) == Int(gmm_fused_lanes_f64()))
        #expect(Float.fusedLanes(chunkRows: 64) == Int(GMM_FUSED_LANES_F32))
    }

    /// The fused kernel's AVX-512 version (8 rows a vector) against its AVX2 version (4) on the
    /// same chunks: the same log-likelihood, sums, and leading components and gaps of the rows
    /// both report, to rounding (the lanes add the rows in another order). 301 rows end on a
    /// part-filled vector in both.
    @Test(.enabled(if: gmm_fused_lanes_f64() == GMM_FUSED_LANES_F64_AVX512, "needs AVX-512"))
    func fusedKernelsOfBothWidthsAgree() throws {
        var generator = Xoshiro256StarStar(seed: 21)
        for (d, k, diagonal) in [(5, 6, false), (2, 3, false), (16, 16, false), (7, 4, true)] {
            let centres = (0..<k).map { _ in (0..<d).map { _ in 5 * generator.nextGaussian() } }
            let rows = (0..<301).map { n in centres[n % k].map { $0 + generator.nextGaussian() } }
            let data = try Matrix(rows)
            let weights = (0..<301).map { _ in 0.5 + generator.nextUniform() }
            let type: CovarianceType = diagonal ? .diag : .full
            let model = try GaussianMixture.fit(data, components: k, options: FitOptions(maxIterations: 2, covarianceType: type, seed: 1)).model
            try data.values.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: d)
                let features = QuadraticFeatures(data: view, diagonal: diagonal)
                let theta = try #require(features.coefficients(of: model, limit: .infinity))
                let m = features.count
                func run(_ lanes: Int, _ w: [Double]?) -> (Double, [Double], [Int32], [Double]) {
                    var laneSums = [Double](repeating: 0, count: lanes * k * m)
                    let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(GMM_FUSED_BLOCKS) * lanes * (m + k) * 8, alignment: 64)
                    let sums = UnsafeMutableRawPointer.allocate(byteCount: lanes * k * m * 8, alignment: 64)
                    defer { scratch.deallocate(); sums.deallocate() }
                    let s = sums.bindMemory(to: Double.self, capacity: lanes * k * m)
                    s.update(repeating: 0, count: lanes * k * m)
                    var best = [Int32](repeating: -1, count: 301), gaps = [Double](repeating: -1, count: 301)
                    let total = gmm_fused_quadratic_chunk(lanes, buffer.baseAddress!, w, 301, d, diagonal ? 1 : 0, features.center,
                                                          theta, k, s, scratch.bindMemory(to: Double.self, capacity: 1), &best, &gaps)
                    for i in 0..<(k * m) { laneSums[i] = (0..<lanes).reduce(0.0) { $0 + s[i * lanes + $1] } }
                    return (total, Array(laneSums[0..<(k * m)]), best, gaps)
                }
                for w in [nil, weights] {
                    let (t4, s4, b4, g4) = run(Int(GMM_FUSED_LANES_F64), w)
                    let (t8, s8, b8, g8) = run(Int(GMM_FUSED_LANES_F64_AVX512), w)
                    #expect(abs(t8 - t4) <= 1e-13 * abs(t4), "D = \(d), K = \(k)")
                    #expect(maxScaledError(s8, s4) < 1e-13, "D = \(d), K = \(k)")
                    // A vector of rows none of which leads by 37 nats marks all its rows "not held"
                    // (best 0, gap 1) without the exps: rows the two widths group differently.
                    var compared = 0
                    for n in 0..<301 where g4[n] < 1 && g8[n] < 1 {
                        #expect(b8[n] == b4[n] && abs(g8[n] - g4[n]) <= 1e-13, "row \(n), D = \(d), K = \(k)")
                        compared += 1
                    }
                    #expect(compared > 50, "D = \(d), K = \(k): \(compared) rows led in both")
                }
            }
        }
    }

    /// A tight cluster far from the bulk of the data: `z · θ` would cancel away about 1e-2 of
    /// the log-density, so the guard must send this model down the whitening road.
    @Test func guardRefusesAFarTightClusterAndTheFitStaysExact() throws {
        var rows: [[Double]] = []
        var generator = Xoshiro256StarStar(seed: 5)
        for _ in 0..<400 { rows.append([generator.nextGaussian(), generator.nextGaussian()]) }
        for _ in 0..<100 { rows.append([1e5 + 1e-2 * generator.nextGaussian(), 1e-2 * generator.nextGaussian()]) }
        let data = try Matrix(rows)
        let options = FitOptions(tolerance: 0, maxIterations: 5, initialization: .kMeans, seed: 2)
        let fast = try GaussianMixture.fit(data, components: 2, options: options)
        data.values.withUnsafeBufferPointer { buffer in
            let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
            #expect(QuadraticFeatures(data: view).coefficients(of: fast.model, limit: Double.quadraticConditionLimit) == nil)
        }
        // Forced down the quadratic road, the digits are visibly lost: the guard is needed.
        #expect(try gap(data, fast.model) > 1e-8)
        var naiveOptions = options
        naiveOptions.path = .naive
        let naive = try GaussianMixture.fit(data, components: 2, options: naiveOptions)
        #expect(maxRelativeError(fast.lowerBoundHistory, naive.lowerBoundHistory) < 1e-10)
        #expect(maxScaledError(fast.model.covariances.flatMap(\.values), naive.model.covariances.flatMap(\.values)) < 1e-10)
    }

    /// The E-step's vector exp (`exp_f64x4`, through `gmm_normalize_rows`) against the C
    /// library's: a row `[x, 0]` normalises to `[e/(1+e), 1/(1+e)]`, so the ratio of its two
    /// entries is `exp(x)` to two roundings of the divisions; over 20,000 values of `x` in
    /// [-700, 0] (every branch of the argument reduction), within 3 units of roundoff; exp(0) is 1.
    @Test func vectorExpMatchesTheCLibrary() {
        var generator = Xoshiro256StarStar(seed: 41)
        let xs: [Double] = (0..<20_000).map { i in i == 0 ? 0 : -700 * generator.nextUniform() }
        var values = [Double](repeating: 0, count: 2 * xs.count)
        for (i, x) in xs.enumerated() { values[2 * i] = x }
        _ = gmm_normalize_rows(&values, xs.count, 2, nil)
        var worst = 0.0
        for (i, x) in xs.enumerated() {
            let ratio: Double = values[2 * i] / values[2 * i + 1], reference: Double = Foundation.exp(x)
            worst = max(worst, abs(ratio - reference) / reference)
        }
        #expect(worst < 3 * Double.ulpOfOne / 2, "largest relative error \(worst)")  // 2.0 units here
        #expect(values[0] == 0.5 && values[1] == 0.5)
    }
}
