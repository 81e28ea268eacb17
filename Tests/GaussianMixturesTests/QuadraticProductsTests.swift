import Foundation
@testable import GaussianMixtures
import Testing
import CGaussianMixturesKernels

/// The quadratic road's own products (`gmm_quadratic_log_joint`, `gmm_quadratic_sums`, AVX-512)
/// against their contract, one chain of FMAs per entry in a fixed order, and the E-step on them
/// against the E-step on GEMMs.
@Suite struct QuadraticProductsTests {
    static let available = gmm_quadratic_products_available() != 0

    /// Every tile and tail: rows around the 6-row tile, K around the 32-column panel and the
    /// 8-column padding, M around the 24- and 8-feature tiles of the sums.
    @Test(.enabled(if: available, "needs AVX-512"))
    func kernelsEqualTheirFMAChains() {
        var generator = Xoshiro256StarStar(seed: 11)
        var mismatches = 0, checked = 0
        for rows in [1, 2, 3, 4, 5, 6, 7, 12, 13, 32] {
            for k in [1, 3, 7, 8, 9, 13, 16, 20, 22, 24, 28, 31, 32, 33, 40, 44, 60, 64] {
                for m in [1, 5, 8, 9, 23, 24, 25, 33, 66, 153] {
                    let z = (0..<(rows * m)).map { _ in generator.nextGaussian() }
                    let theta = (0..<(m * k)).map { _ in generator.nextGaussian() }
                    let w = (0..<(rows * k)).map { _ in generator.nextUniform() }
                    let start = (0..<(k * m)).map { _ in generator.nextGaussian() }
                    var padded = [Double](repeating: .nan, count: m * gmm_quadratic_theta_stride(k))
                    gmm_quadratic_pad_theta(theta, m, k, &padded)
                    var out = [Double](repeating: .nan, count: rows * k)
                    gmm_quadratic_log_joint(z, rows, m, padded, k, &out)
                    var sums = start
                    gmm_quadratic_sums(w, rows, k, z, m, &sums)
                    for n in 0..<rows {
                        for c in 0..<k {
                            var t = 0.0
                            for j in 0..<m { t = t.addingProduct(z[n * m + j], theta[j * k + c]) }
                            if out[n * k + c].bitPattern != t.bitPattern { mismatches += 1 }
                            checked += 1
                        }
                    }
                    for c in 0..<k {
                        for j in 0..<m {
                            var t = 0.0
                            for n in 0..<rows { t = t.addingProduct(w[n * k + c], z[n * m + j]) }
                            if sums[c * m + j].bitPattern != (start[c * m + j] + t).bitPattern { mismatches += 1 }
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 500_000)
        #expect(mismatches == 0, "\(mismatches) of \(checked) entries differ from their FMA chains")
    }

    /// Below five components the log joint stays a GEMM (the kernel would use under half of its
    /// vectors); the sums still run on their kernel.
    @Test func fewComponentsKeepTheLogJointOnAGEMM() {
        let theta = [Double](repeating: 1, count: 4 * 10)
        let four = QuadraticProducts<Double>(theta: theta, components: 4, features: 10, kernels: true).usesKernels
        #expect(!four.logJoint && four.sums == Self.available)
        let five = QuadraticProducts<Double>(theta: theta + [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], components: 5, features: 10,
                                             kernels: true).usesKernels
        #expect(five.logJoint == Self.available && five.sums == Self.available)
        let single = QuadraticProducts<Float>(theta: [Float](repeating: 1, count: 80), components: 8, features: 10,
                                              kernels: true).usesKernels
        #expect(!single.logJoint && !single.sums)
    }

    /// The road between the fused chunk and the products, from the measured crossover: products
    /// for full covariances from D = 25 with K >= 5 where the kernels run; fused otherwise.
    @Test func productsTakeOverFromTheFusedChunkAtLargeD() throws {
        var generator = Xoshiro256StarStar(seed: 4)
        for (d, k, type, products) in [(32, 8, CovarianceType.full, true), (32, 3, .full, false), (24, 8, .full, false),
                                       (16, 16, .full, false), (32, 8, .diag, false)] {
            let values = (0..<(200 * d)).map { _ in generator.nextGaussian() }
            values.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: 200, columns: d)
                let kernel = BLASKernel(data: view, components: k, covarianceType: type, threads: 1, chunkRows: nil, summary: nil)
                #expect(kernel.fused == (gmm_vector_math_uses_avx2() != 0 && !(products && Self.available)),
                        "D = \(d), K = \(k), \(type)")
            }
        }
    }

    /// One E-step forced onto the two-product road, with the kernels and with GEMMs: the same
    /// statistics to rounding. N = 1,001 in 64-row chunks ends on 41 rows (a 5-row tile); K = 13
    /// pads Θ to 16 columns; M = 66 leaves the sums two 8-feature tiles and two lone features.
    /// K = 3 keeps the log joint on a GEMM with the sums on their kernel.
    @Test(arguments: [3, 13])
    func eStepOnTheKernelsAgreesWithGEMMs(k: Int) throws {
        var generator = Xoshiro256StarStar(seed: 3)
        let d = 10
        let centres = (0..<k).map { _ in (0..<d).map { _ in 4 * generator.nextGaussian() } }
        let rows = (0..<1_001).map { n in centres[n % k].map { $0 + generator.nextGaussian() } }
        let data = try Matrix(rows)
        let model = try GaussianMixture.fit(data, components: k, options: FitOptions(maxIterations: 3, seed: 1)).model
        func statistics(kernels: Bool) -> (SufficientStatistics, (logJoint: Bool, sums: Bool)) {
            data.values.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
                let kernel = BLASKernel(data: view, components: k, covarianceType: .full, threads: 2, chunkRows: 64,
                                        summary: nil, quadraticKernels: kernels)
                let theta = kernel.quadratic.coefficients(of: model, limit: .infinity) ?? []
                let used = QuadraticProducts(theta: theta, components: k, features: kernel.quadratic.count,
                                             kernels: kernels).usesKernels
                return (kernel.expectation(model, road: .quadratic), used)
            }
        }
        let (gemm, gemmUsed) = statistics(kernels: false)
        let (own, ownUsed) = statistics(kernels: true)
        #expect(!gemmUsed.logJoint && !gemmUsed.sums)
        #expect(ownUsed.logJoint == (Self.available && k >= 5) && ownUsed.sums == Self.available)
        #expect(abs(own.logLikelihood - gemm.logLikelihood) <= 1e-12 * abs(gemm.logLikelihood))
        let a = try maximizationStep(own, covarianceType: .full, regularization: 1e-6, iteration: 1)
        let b = try maximizationStep(gemm, covarianceType: .full, regularization: 1e-6, iteration: 1)
        #expect(maxScaledError(a.weights, b.weights) < 1e-12)
        #expect(maxScaledError(a.means.values, b.means.values) < 1e-12)
        #expect(maxScaledError(a.covariances.flatMap(\.values), b.covariances.flatMap(\.values)) < 1e-12)
    }
}
