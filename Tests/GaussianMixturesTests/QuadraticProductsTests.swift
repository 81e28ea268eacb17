import Foundation
@testable import GaussianMixtures
import Testing
import CGaussianMixturesKernels

/// The quadratic road's own products (`gmm_quadratic_log_joint`, `gmm_quadratic_sums`, AVX-512)
/// against their contract, one chain of FMAs per entry in a fixed order, and the E-step on them
/// against the E-step on GEMMs.
@Suite struct QuadraticProductsTests {
    static let available = gmm_quadratic_products_available() != 0

    /// Every tile and tail in float64: rows around the 6-row tile, K around the 32-column panel,
    /// the 8-column padding and the 4-lane half vector, M around the 24- and 8-feature tiles of
    /// the sums and every tail (m mod 8) they leave.
    @Test(.enabled(if: available, "needs AVX-512"))
    func kernelsEqualTheirFMAChains() {
        let (mismatches, checked) = Self.compareWithChains(
            Double.self, ks: [1, 3, 7, 8, 9, 13, 16, 20, 22, 24, 28, 31, 32, 33, 40, 44, 60, 64],
            ms: [1, 5, 8, 9, 23, 24, 25, 33, 66, 153, 231],
            pad: gmm_quadratic_pad_theta, stride: gmm_quadratic_stride,
            logJoint: gmm_quadratic_log_joint, sums: gmm_quadratic_sums)
        #expect(checked > 500_000)
        #expect(mismatches == 0, "\(mismatches) of \(checked) entries differ from their FMA chains")
    }

    /// The same in float32 (16 lanes): K around the 64-column panel, the 16-column padding and
    /// the 8-lane half vector, M around the 48- and 16-feature tiles and every tail (m mod 16).
    @Test(.enabled(if: available, "needs AVX-512"))
    func float32KernelsEqualTheirFMAChains() {
        let (mismatches, checked) = Self.compareWithChains(
            Float.self, ks: [1, 3, 7, 8, 9, 13, 16, 17, 24, 25, 31, 33, 40, 48, 56, 63, 64, 65, 72, 80],
            ms: [1, 7, 15, 16, 17, 31, 47, 48, 49, 63, 66, 231],
            pad: gmm_quadratic_pad_theta_f32, stride: gmm_quadratic_stride_f32,
            logJoint: gmm_quadratic_log_joint_f32, sums: gmm_quadratic_sums_f32)
        #expect(checked > 500_000)
        #expect(mismatches == 0, "\(mismatches) of \(checked) entries differ from their FMA chains")
    }

    /// The log joint along the features, float64 and float32, against its contract: per entry
    /// L lane chains of FMAs (lane l over features l, l + L, ... in order), then the lanes'
    /// tree (lane i plus lane i + L/2, halving). Rows around the 4-row tile, K around the
    /// 6-component tile, M around whole vectors and every tail.
    @Test(.enabled(if: available, "needs AVX-512"))
    func logJointAlongFeaturesEqualsItsLaneTree() {
        func compare<T: BinaryFloatingPoint>(_: T.Type, lanes: Int, ms: [Int], stride: (Int) -> Int,
                                             transpose: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>) -> Void,
                                             logJoint: (UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>) -> Void)
            -> (mismatches: Int, checked: Int) {
            var generator = Xoshiro256StarStar(seed: 12)
            var mismatches = 0, checked = 0
            for rows in [1, 2, 3, 4, 5, 7, 8, 9, 13] {
                for k in [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 17] {
                    for m in ms {
                        let z = (0..<(rows * m)).map { _ in T(generator.nextGaussian()) }
                        let theta = (0..<(m * k)).map { _ in T(generator.nextGaussian()) }
                        var transposed = [T](repeating: .nan, count: k * stride(m))
                        transpose(theta, m, k, &transposed)
                        var out = [T](repeating: .nan, count: rows * k)
                        logJoint(z, rows, m, transposed, k, &out)
                        for n in 0..<rows {
                            for c in 0..<k {
                                var lane = [T](repeating: 0, count: lanes)
                                for j in 0..<m { lane[j % lanes] = lane[j % lanes].addingProduct(z[n * m + j], theta[j * k + c]) }
                                var width = lanes / 2
                                while width > 0 {
                                    for i in 0..<width { lane[i] = lane[i] + lane[i + width] }
                                    width /= 2
                                }
                                if out[n * k + c] != lane[0] { mismatches += 1 }
                                checked += 1
                            }
                        }
                    }
                }
            }
            return (mismatches, checked)
        }
        let double = compare(Double.self, lanes: 8, ms: [1, 5, 7, 8, 9, 15, 16, 17, 33, 66, 153],
                             stride: gmm_quadratic_stride, transpose: gmm_quadratic_transpose_theta,
                             logJoint: gmm_quadratic_log_joint_by_features)
        let single = compare(Float.self, lanes: 16, ms: [1, 7, 15, 16, 17, 31, 32, 33, 47, 66, 153],
                             stride: gmm_quadratic_stride_f32, transpose: gmm_quadratic_transpose_theta_f32,
                             logJoint: gmm_quadratic_log_joint_by_features_f32)
        #expect(double.checked > 40_000 && single.checked > 40_000)
        #expect(double.mismatches == 0, "float64: \(double.mismatches) of \(double.checked) entries differ from the lane tree")
        #expect(single.mismatches == 0, "float32: \(single.mismatches) of \(single.checked) entries differ from the lane tree")
    }

    /// The log joint's kernel by K's lane share: along the features where the kernel across the
    /// components would fill under 80 % of its lanes (float64 K = 1-3, 5, 6, 9; float32 also
    /// under 90 % from M = 1000), across them otherwise, a GEMM for float64 K = 4.
    @Test(.enabled(if: available, "needs AVX-512"))
    func logJointKernelFollowsTheLaneShare() {
        func along<T: EngineScalar>(_: T.Type, _ k: Int, _ m: Int) -> (Bool, Bool) {
            let p = QuadraticProducts<T>(theta: [T](repeating: 1, count: k * m), components: k, features: m, kernels: true)
            return (p.usesKernels.logJoint, p.logJointRunsAlongFeatures)
        }
        for (k, expected) in [(1, true), (2, true), (3, true), (5, true), (6, true), (9, true), (7, false), (8, false),
                              (10, false), (12, false), (16, false), (17, false)] {
            #expect(along(Double.self, k, 100) == (true, expected), "float64 K = \(k)")
        }
        #expect(along(Double.self, 4, 100) == (false, false))
        for (k, m, expected) in [(4, 100, true), (10, 100, true), (12, 100, true), (8, 100, false), (16, 100, false),
                                 (20, 100, false), (20, 1000, true), (7, 1000, true), (24, 1000, false), (50, 231, false)] {
            #expect(along(Float.self, k, m) == (true, expected), "float32 K = \(k), M = \(m)")
        }
    }

    /// Runs the two kernels on random shapes (rows 1-7, 12, 13, 32 by `ks` by `ms`) and counts the
    /// entries whose bits differ from one chain of FMAs in order (`z · θ_k` over the features;
    /// `Σ_n w_nk z_nj` over the rows, then added to the sum it started from).
    static func compareWithChains<T: BinaryFloatingPoint>(
        _: T.Type, ks: [Int], ms: [Int],
        pad: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>) -> Void, stride: (Int) -> Int,
        logJoint: (UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>) -> Void,
        sums: (UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>) -> Void
    ) -> (mismatches: Int, checked: Int) {
        var generator = Xoshiro256StarStar(seed: 11)
        var mismatches = 0, checked = 0
        for rows in [1, 2, 3, 4, 5, 6, 7, 12, 13, 32] {
            for k in ks {
                for m in ms {
                    let z = (0..<(rows * m)).map { _ in T(generator.nextGaussian()) }
                    let theta = (0..<(m * k)).map { _ in T(generator.nextGaussian()) }
                    let w = (0..<(rows * k)).map { _ in T(generator.nextUniform()) }
                    let start = (0..<(k * m)).map { _ in T(generator.nextGaussian()) }
                    var padded = [T](repeating: .nan, count: m * stride(k))
                    pad(theta, m, k, &padded)
                    var out = [T](repeating: .nan, count: rows * k)
                    logJoint(z, rows, m, padded, k, &out)
                    var added = start
                    sums(w, rows, k, z, m, &added)
                    for n in 0..<rows {
                        for c in 0..<k {
                            var t: T = 0
                            for j in 0..<m { t = t.addingProduct(z[n * m + j], theta[j * k + c]) }
                            if out[n * k + c] != t || out[n * k + c].sign != t.sign { mismatches += 1 }
                            checked += 1
                        }
                    }
                    for c in 0..<k {
                        for j in 0..<m {
                            var t: T = 0
                            for n in 0..<rows { t = t.addingProduct(w[n * k + c], z[n * m + j]) }
                            let expected = start[c * m + j] + t
                            if added[c * m + j] != expected || added[c * m + j].sign != expected.sign { mismatches += 1 }
                            checked += 1
                        }
                    }
                }
            }
        }
        return (mismatches, checked)
    }

    /// Float64 K = 4 keeps the log joint on a GEMM (the kernel across the components is no
    /// faster and the one along the features not either); float32 K = 4 runs along the
    /// features; the sums run on their kernel whatever K.
    @Test func fourComponentsKeepTheFloat64LogJointOnAGEMM() {
        let theta = [Double](repeating: 1, count: 4 * 10)
        let four = QuadraticProducts<Double>(theta: theta, components: 4, features: 10, kernels: true).usesKernels
        #expect(!four.logJoint && four.sums == Self.available)
        let five = QuadraticProducts<Double>(theta: theta + [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], components: 5, features: 10,
                                             kernels: true).usesKernels
        #expect(five.logJoint == Self.available && five.sums == Self.available)
        let single = QuadraticProducts<Float>(theta: [Float](repeating: 1, count: 80), components: 8, features: 10,
                                              kernels: true).usesKernels
        #expect(single.logJoint == Self.available && single.sums == Self.available)
        let singleFour = QuadraticProducts<Float>(theta: [Float](repeating: 1, count: 40), components: 4, features: 10,
                                                  kernels: true)
        #expect(singleFour.usesKernels.logJoint == Self.available && singleFour.logJointRunsAlongFeatures == Self.available)
    }

    /// The road between the fused chunk and the products, from the measured crossover: products
    /// for full covariances from D = 25 (float64) or D = 41 (float32) with K >= 5 where the
    /// kernels run; fused otherwise.
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
        for (d, k, products) in [(48, 5, true), (40, 9, false), (32, 8, false), (48, 4, false)] {
            let values = (0..<(200 * d)).map { _ in Float(generator.nextGaussian()) }
            values.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: 200, columns: d)
                let kernel = BLASKernel(data: view, components: k, covarianceType: .full, threads: 1, chunkRows: nil, summary: nil)
                #expect(kernel.fused == (gmm_vector_math_uses_avx2() != 0 && !(products && Self.available)),
                        "float32, D = \(d), K = \(k)")
            }
        }
    }

    /// One E-step forced onto the two-product road, with the kernels and with GEMMs: the same
    /// statistics to rounding. N = 1,001 in 64-row chunks ends on 41 rows (a 5-row tile); K = 13
    /// pads Θ to 16 columns; M = 66 leaves the sums two 8-feature tiles and two lone features.
    /// K = 3 runs the log joint along the features; K = 4 keeps it on a GEMM with the sums on
    /// their kernel.
    @Test(arguments: [3, 4, 13])
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
        #expect(ownUsed.logJoint == (Self.available && k != 4) && ownUsed.sums == Self.available)
        #expect(abs(own.logLikelihood - gemm.logLikelihood) <= 1e-12 * abs(gemm.logLikelihood))
        let a = try maximizationStep(own, covarianceType: .full, regularization: 1e-6, iteration: 1)
        let b = try maximizationStep(gemm, covarianceType: .full, regularization: 1e-6, iteration: 1)
        #expect(maxScaledError(a.weights, b.weights) < 1e-12)
        #expect(maxScaledError(a.means.values, b.means.values) < 1e-12)
        #expect(maxScaledError(a.covariances.flatMap(\.values), b.covariances.flatMap(\.values)) < 1e-12)
    }

    /// The same in float32 (16-lane kernels against SGEMMs; K = 13 pads Θ to 16 columns, M = 66
    /// leaves the sums one 48-feature tile, one 16 and a two-feature tail; K = 3 runs the log
    /// joint along the features): the statistics agree to float rounding, sums of 1,001 rows in
    /// float.
    @Test(arguments: [3, 13])
    func float32EStepOnTheKernelsAgreesWithGEMMs(k: Int) throws {
        var generator = Xoshiro256StarStar(seed: 5)
        let d = 10
        let centres = (0..<k).map { _ in (0..<d).map { _ in 4 * generator.nextGaussian() } }
        let rows = (0..<1_001).map { n in centres[n % k].map { $0 + generator.nextGaussian() } }
        let data = try Matrix(rows)
        let model = try GaussianMixture.fit(data, components: k, options: FitOptions(maxIterations: 3, seed: 1)).model
        let single = data.values.map { Float($0) }
        func statistics(kernels: Bool) -> (SufficientStatistics, (logJoint: Bool, sums: Bool)) {
            single.withUnsafeBufferPointer { buffer in
                let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
                let kernel = BLASKernel(data: view, components: k, covarianceType: .full, threads: 2, chunkRows: 64,
                                        summary: nil, quadraticKernels: kernels)
                let theta = (kernel.quadratic.coefficients(of: model, limit: .infinity) ?? []).map { Float($0) }
                let used = QuadraticProducts(theta: theta, components: k, features: kernel.quadratic.count,
                                             kernels: kernels).usesKernels
                return (kernel.expectation(model, road: .quadratic), used)
            }
        }
        let (gemm, gemmUsed) = statistics(kernels: false)
        let (own, ownUsed) = statistics(kernels: true)
        #expect(!gemmUsed.logJoint && !gemmUsed.sums)
        #expect(ownUsed.logJoint == Self.available && ownUsed.sums == Self.available)
        #expect(abs(own.logLikelihood - gemm.logLikelihood) <= 1e-5 * abs(gemm.logLikelihood))
        let a = try maximizationStep(own, covarianceType: .full, regularization: 1e-6, iteration: 1)
        let b = try maximizationStep(gemm, covarianceType: .full, regularization: 1e-6, iteration: 1)
        #expect(maxScaledError(a.weights, b.weights) < 1e-5)
        #expect(maxScaledError(a.means.values, b.means.values) < 1e-5)
        #expect(maxScaledError(a.covariances.flatMap(\.values), b.covariances.flatMap(\.values)) < 1e-4)
    }
}
