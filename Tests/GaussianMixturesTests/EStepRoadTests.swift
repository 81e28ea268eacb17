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
