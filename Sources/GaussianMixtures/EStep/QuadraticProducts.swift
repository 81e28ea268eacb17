import CGaussianMixturesKernels

/// The quadratic road's two products per chunk (when it does not run fused): the log joint
/// densities `S = Z Θ` (`rows x M` by `M x K`) and the statistics `sums += Wᵀ Z` (`W` the chunk's
/// `w_n r_nk`).
///
/// In float64 on a processor with AVX-512 they are our own register kernels
/// (`gmm_quadratic_log_joint`, `gmm_quadratic_sums`) over `Θ` padded once per E-step. The
/// GEMMs they replace pack `Θ` and the chunk's features again on every call, for chunks of a few
/// dozen rows: at W3's shape (M = 2145, K = 32, 32-row chunks) OpenBLAS ran both products at 80 %
/// of its large-DGEMM rate, the kernels at 100 %. The log-joint kernel spreads the K columns over
/// vectors of 8, so below ``minimumLogJointComponents`` (measured at M = 5151: 27 against 36
/// GFLOP/s at K = 4, 33 against 29 at K = 5) that product stays a GEMM. In float32, and without
/// AVX-512, both are GEMMs.
struct QuadraticProducts<Scalar: EngineScalar> {
    let components: Int
    let features: Int
    /// `Θ` with its columns padded to `gmm_quadratic_theta_stride(K)`, when the log-joint kernel runs.
    private let padded: [Double]?
    /// Whether the sums kernel runs.
    private let sumsKernel: Bool

    /// The fewest components for which the log-joint kernel runs.
    static var minimumLogJointComponents: Int { 5 }

    /// Whether the kernels exist for this type on this processor (float64, AVX-512).
    static var kernelsAvailable: Bool { Scalar.self == Double.self && gmm_quadratic_products_available() != 0 }

    /// Whether the kernels beat the fused chunk (which otherwise takes every K·M up to
    /// GMM_FUSED_MAX_TERMS): full covariances from D = 25, where the log-joint kernel runs.
    /// Measured, one thread, dense, user seconds: D = 32, K = 8 1.93-2.04 s against fused
    /// 2.55-2.87; D = 24, K = 8 even (1.04-1.13 against 0.96-1.13); D = 20, K = 12 and D = 16,
    /// K = 16 the fused chunk 5-25 % faster; D = 32, K = 3 (the log joint a GEMM) fused 20 % faster.
    static func fasterThanFused(features d: Int, components k: Int, diagonal: Bool) -> Bool {
        kernelsAvailable && !diagonal && d > 24 && k >= minimumLogJointComponents
    }

    /// `theta`: `Θ`, `features x components`, row-major. `kernels`: whether to run the kernels
    /// where they can (tests turn them off to compare).
    init(theta: [Scalar], components: Int, features: Int, kernels: Bool) {
        self.components = components
        self.features = features
        sumsKernel = kernels && Self.kernelsAvailable
        guard sumsKernel, components >= Self.minimumLogJointComponents, !theta.isEmpty else {
            padded = nil
            return
        }
        let stride = gmm_quadratic_theta_stride(components)
        padded = theta.withUnsafeBufferPointer { theta in
            theta.withMemoryRebound(to: Double.self) { theta in
                [Double](unsafeUninitializedCapacity: features * stride) { buffer, count in
                    gmm_quadratic_pad_theta(theta.baseAddress!, features, components, buffer.baseAddress!)
                    count = features * stride
                }
            }
        }
    }

    /// Whether each product runs on its kernel (else a GEMM).
    var usesKernels: (logJoint: Bool, sums: Bool) { (padded != nil, sumsKernel) }

    /// `out = Z Θ` for `rows` rows of features `z` (`rows x M`); `out` is `rows x K`.
    func logJoint(_ z: UnsafePointer<Scalar>, rows: Int, theta: UnsafePointer<Scalar>, into out: UnsafeMutablePointer<Scalar>) {
        if let padded {
            padded.withUnsafeBufferPointer { p in
                gmm_quadratic_log_joint(Self.doubles(z), rows, features, p.baseAddress!, components,
                                        UnsafeMutableRawPointer(out).assumingMemoryBound(to: Double.self))
            }
        } else {
            Scalar.gemm(m: rows, n: components, k: features, a: z, lda: features, transposeA: false,
                        b: theta, ldb: components, transposeB: false, beta: 0, c: out, ldc: components)
        }
    }

    /// `sums = Wᵀ Z + beta sums` in the data's type (`sums`: `K x M`), `weighted` being `rows x K`;
    /// `beta` is 1 (add) or 0 (overwrite, a GEMM: the float32 road's first chunk of a run).
    func addSums(_ weighted: UnsafePointer<Scalar>, _ z: UnsafePointer<Scalar>, rows: Int, beta: Scalar = 1,
                 into sums: UnsafeMutablePointer<Scalar>) {
        if sumsKernel, beta == 1 {
            gmm_quadratic_sums(Self.doubles(weighted), rows, components, Self.doubles(z), features,
                               UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Double.self))
        } else {
            Scalar.gemm(m: components, n: features, k: rows, a: weighted, lda: components, transposeA: true,
                        b: z, ldb: features, transposeB: false, beta: beta, c: sums, ldc: features)
        }
    }

    private static func doubles(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Double> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Double.self)
    }
}
