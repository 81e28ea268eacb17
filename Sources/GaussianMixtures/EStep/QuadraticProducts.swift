import CGaussianMixturesKernels

/// The quadratic road's two products per chunk (when it does not run fused): the log joint
/// densities `S = Z Θ` (`rows x M` by `M x K`) and the statistics `sums += Wᵀ Z` (`W` the chunk's
/// `w_n r_nk`).
///
/// On a processor with AVX-512 they are our own register kernels (`gmm_quadratic_log_joint`,
/// `gmm_quadratic_sums`, and their `_f32` versions on 16 lanes) over `Θ` padded once per E-step.
/// The GEMMs they replace pack `Θ` and the chunk's features again on every call, for chunks of a
/// few dozen rows: at W3's shape (M = 2145, K = 32, 32-row chunks) OpenBLAS ran both products at
/// 80 % of its large-DGEMM rate, the kernels at 100 %; in float32 the kernels took W3's dense
/// iteration from 0.186 to 0.148 s and S2's from 0.230 to 0.157 (one thread). The log-joint
/// kernel spreads the K columns over vectors, so below ``minimumLogJointComponents`` (measured at
/// M = 5151: 27 against 36 GFLOP/s at K = 4, 33 against 29 at K = 5 in float64; in float32 K = 3
/// and 4 as slow or slower than SGEMM) that product stays a GEMM. Without AVX-512 both are GEMMs.
struct QuadraticProducts<Scalar: EngineScalar> {
    let components: Int
    let features: Int
    /// How the log joint runs: a GEMM, or a kernel over `Θ` laid out once: across the
    /// components (`Θ` padded to `gmm_quadratic_stride(K)` columns) or along the features (`Θᵀ`,
    /// rows padded to `gmm_quadratic_stride(M)`).
    private enum LogJoint {
        case gemm
        case kernel(layout: [Scalar], alongFeatures: Bool)
    }
    private let logJointKernel: LogJoint
    /// Whether the sums kernel runs.
    private let sumsKernel: Bool

    /// The fewest components for which the log-joint kernel across the components runs.
    static var minimumLogJointComponents: Int { 5 }

    /// Lanes of one AVX-512 vector of `Scalar`.
    static var lanes: Int { Scalar.self == Double.self ? 8 : 16 }

    /// The share of the across-components kernel's FMA lanes that carry a component: K over
    /// its vectors' lanes, a last vector of at most half the lanes costing half (K = 10 in
    /// float64: 10 of 12, in float32 10 of 16).
    static func laneShare(components k: Int) -> Double {
        let l = lanes, rest = k % l
        let cost = Double(k / l) + (rest == 0 ? 0 : rest <= l / 2 ? 0.5 : 1)
        return Double(k) / (cost * Double(l))
    }

    /// Whether the log joint runs along the features (every lane full whatever K, but a lane
    /// sum per entry and the last vector of each row to pay): where the across-components
    /// kernel fills under 80 % of its lanes, and in float32 under 90 % from M = 1000. Measured
    /// (one thread, 64 rows, GFLOP/s along the features against across the components; then
    /// the GEMM): float64 M = 5151, K = 1 17.6/9.1 (DGEMM 16.9), K = 2 28.4/18.2 (27.3), K = 3
    /// 37.9/26.7 (22.4), K = 5 46.3/26.8, K = 9 (M = 2145) 49.6/37.9, K = 10 42.6/41.4, K = 16
    /// 46.5/55.2, K = 32 (M = 2145) 50.8/57.2; at M = 351, K = 5 43.7/30.6, K = 16 31.7/53.1.
    /// Float32 M = 5151: K = 4 93.4/39.2 (SGEMM 32.6), K = 7 86.3/68.3, K = 10 104.7/68.5, K = 20
    /// 99.6/83.9, K = 16 103.5/113.6; K = 50 at M = 231 37.5/53.4.
    static func logJointAlongFeatures(components k: Int, features m: Int) -> Bool {
        let share = laneShare(components: k)
        return share < 0.8 || (Scalar.self == Float.self && share < 0.9 && m >= 1000)
    }

    /// Whether the kernels exist on this processor (AVX-512).
    static var kernelsAvailable: Bool { gmm_quadratic_products_available() != 0 }

    /// Whether the kernels beat the fused chunk (which otherwise takes every K·M up to
    /// GMM_FUSED_MAX_TERMS): full covariances from D = 25 in float64 and D = 41 in float32, where
    /// the log-joint kernel runs. Measured, one thread, dense, user seconds: float64 D = 32, K = 8
    /// 1.93-2.04 s against fused 2.55-2.87; D = 24, K = 8 even (1.04-1.13 against 0.96-1.13);
    /// D = 20, K = 12 and D = 16, K = 16 the fused chunk 5-25 % faster; D = 32, K = 3 fused 20 %
    /// faster (measured when the log joint was a GEMM there; it now runs along the features,
    /// not re-measured against the fused chunk, so K < 5 stays fused). Float32 (the fused chunk
    /// 8 lanes of AVX2, the kernels 16 of AVX-512), 20 iterations of 10^5 rows: D = 25, K = 8 fused 0.37-0.42 s against 0.57-0.58;
    /// D = 32, K = 5-14 fused as fast or faster; D = 40 even; D = 48, K = 5 and 6 the kernels
    /// 1.19-1.35 against 1.44-1.79.
    static func fasterThanFused(features d: Int, components k: Int, diagonal: Bool) -> Bool {
        kernelsAvailable && !diagonal && d > (Scalar.self == Double.self ? 24 : 40) && k >= minimumLogJointComponents
    }

    /// `theta`: `Θ`, `features x components`, row-major. `kernels`: whether to run the kernels
    /// where they can (tests turn them off to compare).
    init(theta: [Scalar], components: Int, features: Int, kernels: Bool) {
        self.components = components
        self.features = features
        sumsKernel = kernels && Self.kernelsAvailable
        guard sumsKernel, !theta.isEmpty else {
            logJointKernel = .gemm
            return
        }
        if Self.logJointAlongFeatures(components: components, features: features) {
            logJointKernel = .kernel(layout: Self.layout(
                theta, count: components * Self.stride(features),
                double: { gmm_quadratic_transpose_theta($0, features, components, $1) },
                float: { gmm_quadratic_transpose_theta_f32($0, features, components, $1) }), alongFeatures: true)
            return
        }
        guard components >= Self.minimumLogJointComponents else {
            logJointKernel = .gemm
            return
        }
        logJointKernel = .kernel(layout: Self.layout(
            theta, count: features * Self.stride(components),
            double: { gmm_quadratic_pad_theta($0, features, components, $1) },
            float: { gmm_quadratic_pad_theta_f32($0, features, components, $1) }), alongFeatures: false)
    }

    /// `count` values laid out from `theta` by the float64 or the float32 function.
    private static func layout(_ theta: [Scalar], count: Int,
                               double: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                               float: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Scalar] {
        theta.withUnsafeBufferPointer { theta in
            [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let t = doubles(theta.baseAddress!), let p = doubles(buffer.baseAddress!) {
                    double(t, p)
                } else {
                    float(floats(theta.baseAddress!), floats(buffer.baseAddress!))
                }
                initialized = count
            }
        }
    }

    /// Whether each product runs on a kernel (else a GEMM), and whether the log joint's runs
    /// along the features.
    var usesKernels: (logJoint: Bool, sums: Bool) {
        if case .gemm = logJointKernel { return (false, sumsKernel) }
        return (true, sumsKernel)
    }

    var logJointRunsAlongFeatures: Bool {
        if case .kernel(_, true) = logJointKernel { return true }
        return false
    }

    /// `out = Z Θ` for `rows` rows of features `z` (`rows x M`); `out` is `rows x K`.
    func logJoint(_ z: UnsafePointer<Scalar>, rows: Int, theta: UnsafePointer<Scalar>, into out: UnsafeMutablePointer<Scalar>) {
        switch logJointKernel {
        case .kernel(let layout, let along):
            layout.withUnsafeBufferPointer { t in
                if let z = Self.doubles(z), let t = Self.doubles(t.baseAddress!), let out = Self.doubles(out) {
                    (along ? gmm_quadratic_log_joint_by_features : gmm_quadratic_log_joint)(z, rows, features, t, components, out)
                } else {
                    (along ? gmm_quadratic_log_joint_by_features_f32 : gmm_quadratic_log_joint_f32)(
                        Self.floats(z), rows, features, Self.floats(t.baseAddress!), components, Self.floats(out))
                }
            }
        case .gemm:
            Scalar.gemm(m: rows, n: components, k: features, a: z, lda: features, transposeA: false,
                        b: theta, ldb: components, transposeB: false, beta: 0, c: out, ldc: components)
        }
    }

    /// `sums = Wᵀ Z + beta sums` in the data's type (`sums`: `K x M`), `weighted` being `rows x K`;
    /// `beta` is 1 (add) or 0 (overwrite: the float32 road's first chunk of a run).
    func addSums(_ weighted: UnsafePointer<Scalar>, _ z: UnsafePointer<Scalar>, rows: Int, beta: Scalar = 1,
                 into sums: UnsafeMutablePointer<Scalar>) {
        guard sumsKernel else {
            Scalar.gemm(m: components, n: features, k: rows, a: weighted, lda: components, transposeA: true,
                        b: z, ldb: features, transposeB: false, beta: beta, c: sums, ldc: features)
            return
        }
        if beta == 0 { sums.update(repeating: 0, count: components * features) }
        if let w = Self.doubles(weighted), let z = Self.doubles(z), let sums = Self.doubles(sums) {
            gmm_quadratic_sums(w, rows, components, z, features, sums)
        } else {
            gmm_quadratic_sums_f32(Self.floats(weighted), rows, components, Self.floats(z), features, Self.floats(sums))
        }
    }

    /// `gmm_quadratic_stride` for this type: `count` rounded up to a whole vector.
    static func stride(_ count: Int) -> Int {
        Scalar.self == Double.self ? gmm_quadratic_stride(count) : gmm_quadratic_stride_f32(count)
    }

    /// `p` as a pointer to doubles when `Scalar` is `Double`, else nil.
    private static func doubles(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Double>? {
        Scalar.self == Double.self ? UnsafeRawPointer(p).assumingMemoryBound(to: Double.self) : nil
    }

    private static func doubles(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Double>? {
        Scalar.self == Double.self ? UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self) : nil
    }

    /// `p` as a pointer to floats (`Scalar` is `Float` wherever this is called).
    private static func floats(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    private static func floats(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}
