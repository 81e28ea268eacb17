import CGaussianMixturesKernels

/// The quadratic road's two products per chunk (when it does not run fused): the log joint
/// densities `S = Z Θ` (`rows x M` by `M x K`) and the statistics `sums += Wᵀ Z` (`W` the chunk's
/// `w_n r_nk`).
///
/// In float64 on a processor with AVX-512 both are our own register kernels
/// (`gmm_quadratic_log_joint`, `gmm_quadratic_sums`) over `Θ` padded once per E-step. The
/// GEMMs they replace pack `Θ` and the chunk's features again on every call, for chunks of a few
/// dozen rows: at W3's shape (M = 2145, K = 32, 32-row chunks) OpenBLAS ran both products at 80 %
/// of its large-DGEMM rate, the kernels at 100 %. In float32, and without AVX-512, they are GEMMs.
struct QuadraticProducts<Scalar: EngineScalar> {
    let components: Int
    let features: Int
    /// `Θ` with its columns padded to `gmm_quadratic_theta_stride(K)`, when the kernels run.
    private let padded: [Double]?

    /// `theta`: `Θ`, `features x components`, row-major. `kernels`: whether to run the kernels
    /// where they can (tests turn them off to compare).
    init(theta: [Scalar], components: Int, features: Int, kernels: Bool) {
        self.components = components
        self.features = features
        guard kernels, Scalar.self == Double.self, gmm_quadratic_products_available() != 0, !theta.isEmpty else {
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

    /// Whether the kernels run (else GEMMs).
    var usesKernels: Bool { padded != nil }

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

    /// `sums += Wᵀ Z` in the data's type (`sums`: `K x M`), `weighted` being `rows x K`.
    func addSums(_ weighted: UnsafePointer<Scalar>, _ z: UnsafePointer<Scalar>, rows: Int, beta: Scalar = 1,
                 into sums: UnsafeMutablePointer<Scalar>) {
        if padded != nil, beta == 1 {
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
