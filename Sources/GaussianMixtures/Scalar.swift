import CGaussianMixturesKernels

/// The element types the engine's per-row work runs in: `Double` (float64, the default) and
/// `Float` (float32: half the memory traffic and twice the SIMD width). Model parameters,
/// statistics sums and the M-step are always `Double`; only the data, the E-step's buffers and
/// the BLAS calls over them take this type.
protocol EngineScalar: BinaryFloatingPoint, Sendable {
    /// How many partial sums per entry the fused kernel keeps for chunks of `chunkRows` rows: the
    /// lanes of one vector (float: 8; double: 8 with AVX-512 on chunks of 128 rows or more, else 4:
    /// the lane sums are zeroed and folded once per chunk, 64·K·M bytes at 8 lanes, which at
    /// D = 64, K = 63, 32-row chunks cost more than the wider vectors gained).
    static func fusedLanes(chunkRows: Int) -> Int
    /// The quadratic road's limit on its rounding bound `B_k` (see ``QuadraticFeatures``).
    static var quadraticConditionLimit: Double { get }
    /// The most rows one chunk sums in this type (its GEMMs' inner dimension) before its sums
    /// move to `Double`: a power of two, so that chunks stay on the grid of ``rowBlockAlignment``.
    static var maxChunkRows: Int { get }
    /// Rows the fused kernel's lane sums (`lanes` partial sums per value) take before they fold
    /// into the leaf's Double sums; they fold at the leaf's end in any case.
    static func rowsBeforeFoldingLanes(_ lanes: Int) -> Int

    /// `C = op(A) op(B) + beta C`, row-major (`?gemm`; in LAPACK.swift).
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, transposeA: Bool,
                     b: UnsafePointer<Self>, ldb: Int, transposeB: Bool, beta: Self,
                     c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Lower triangle of `C = AᵀA`, `A` of `rows x n` (`?syrk`; in LAPACK.swift).
    static func gramLower(rows: Int, n: Int, a: UnsafePointer<Self>, lda: Int, c: UnsafeMutablePointer<Self>)
    /// `gmm_quadratic_features` of the type.
    static func quadraticFeatures(_ x: UnsafePointer<Self>, rows: Int, columns: Int, diagonal: Bool, center: UnsafePointer<Self>,
                                  into z: UnsafeMutablePointer<Self>, scratch: UnsafeMutablePointer<Self>)
    /// `gmm_seed_potentials` and `gmm_seed_closest` of the type.
    static func seedPotentials(_ x: UnsafePointer<Self>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                               candidates: UnsafePointer<Double>, trials: Int, unit: Double,
                               closest: UnsafePointer<Float>, sums: UnsafeMutablePointer<Double>)
    static func seedClosest(_ x: UnsafePointer<Self>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                            point: UnsafePointer<Double>, unit: Double, closest: UnsafeMutablePointer<Float>)
    /// `gmm_nearest_centers` of the type.
    static func nearestCenters(_ x: UnsafePointer<Self>, rows: Int, columns: Int,
                               centersByFeature: UnsafePointer<Double>, components: Int,
                               labels: UnsafeMutablePointer<Int32>) -> Int
    /// `gmm_gram_lower_add` of the type: adds the lower triangle of `aᵀ a` to `out`, in double.
    static func gramLowerAdd(rows: Int, columns: Int, a: UnsafePointer<Self>, into out: UnsafeMutablePointer<Double>)
    /// `gmm_held_rows` of the type.
    static func heldRows(_ x: UnsafePointer<Self>, columns: Int, rows: UnsafePointer<Int32>, count: Int,
                         best: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, diagonal: Bool,
                         center: UnsafePointer<Double>, theta: UnsafePointer<Double>, threshold: Double,
                         sums: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>,
                         scratch: UnsafeMutablePointer<Double>)
    /// Adds the fused kernel's lane sums of `count` values to `sums` (`gmm_fused_fold_lanes` of the type).
    static func foldLanes(_ laneSums: UnsafePointer<Self>, lanes: Int, count: Int, into sums: UnsafeMutablePointer<Double>)
    /// `gmm_fused_quadratic_chunk` of the type, with `lanes` partial sums per entry (float: always 8).
    static func fusedQuadraticChunk(_ x: UnsafePointer<Self>, lanes: Int, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                                    diagonal: Bool, center: UnsafePointer<Self>, theta: UnsafePointer<Self>, components: Int,
                                    laneSums: UnsafeMutablePointer<Self>, scratch: UnsafeMutablePointer<Self>,
                                    best: UnsafeMutablePointer<Int32>?, gaps: UnsafeMutablePointer<Double>?) -> Double
}

extension Double: EngineScalar {
    static func fusedLanes(chunkRows: Int) -> Int {
        chunkRows >= 128 ? Int(gmm_fused_lanes_f64()) : Int(GMM_FUSED_LANES_F64)
    }
    /// `ε B ≈ 1e-10`.
    static var quadraticConditionLimit: Double { 4.5e5 }
    static var maxChunkRows: Int { rowBlockAlignment }
    /// A leaf's rows: its lanes fold once, at its end.
    static func rowsBeforeFoldingLanes(_ lanes: Int) -> Int { .max }

    static func quadraticFeatures(_ x: UnsafePointer<Double>, rows: Int, columns: Int, diagonal: Bool, center: UnsafePointer<Double>,
                                  into z: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        gmm_quadratic_features(x, rows, columns, columns, diagonal ? 1 : 0, center, z, scratch)
    }
    static func seedPotentials(_ x: UnsafePointer<Double>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                               candidates: UnsafePointer<Double>, trials: Int, unit: Double,
                               closest: UnsafePointer<Float>, sums: UnsafeMutablePointer<Double>) {
        gmm_seed_potentials(x, weights, rows, columns, candidates, trials, unit, closest, sums)
    }
    static func seedClosest(_ x: UnsafePointer<Double>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                            point: UnsafePointer<Double>, unit: Double, closest: UnsafeMutablePointer<Float>) {
        gmm_seed_closest(x, weights, rows, columns, point, unit, closest)
    }
    static func nearestCenters(_ x: UnsafePointer<Double>, rows: Int, columns: Int,
                               centersByFeature: UnsafePointer<Double>, components: Int,
                               labels: UnsafeMutablePointer<Int32>) -> Int {
        gmm_nearest_centers(x, rows, columns, centersByFeature, components, labels)
    }
    static func gramLowerAdd(rows: Int, columns: Int, a: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        gmm_gram_lower_add(a, rows, columns, out)
    }
    static func heldRows(_ x: UnsafePointer<Double>, columns: Int, rows: UnsafePointer<Int32>, count: Int,
                         best: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, diagonal: Bool,
                         center: UnsafePointer<Double>, theta: UnsafePointer<Double>, threshold: Double,
                         sums: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>,
                         scratch: UnsafeMutablePointer<Double>) {
        gmm_held_rows(x, columns, rows, count, best, weights, diagonal ? 1 : 0, center, theta, threshold, sums, values,
                      scratch)
    }
    static func foldLanes(_ laneSums: UnsafePointer<Double>, lanes: Int, count: Int, into sums: UnsafeMutablePointer<Double>) {
        gmm_fused_fold_lanes(laneSums, count, lanes, sums)
    }
    static func fusedQuadraticChunk(_ x: UnsafePointer<Double>, lanes: Int, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                                    diagonal: Bool, center: UnsafePointer<Double>, theta: UnsafePointer<Double>, components: Int,
                                    laneSums: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>,
                                    best: UnsafeMutablePointer<Int32>?, gaps: UnsafeMutablePointer<Double>?) -> Double {
        gmm_fused_quadratic_chunk(lanes, x, weights, rows, columns, diagonal ? 1 : 0, center, theta, components, laneSums, scratch, best, gaps)
    }
}

extension Float: EngineScalar {
    /// 8 (AVX2). A 16-lane AVX-512 version ran no faster on Zen 4, whose 512-bit FMAs take both
    /// of its 256-bit pipes (float32 W1 dense 0.0133-0.0136 against 0.0136-0.0139 s an iteration).
    static func fusedLanes(chunkRows: Int) -> Int { Int(GMM_FUSED_LANES_F32) }
    /// The same limit as float64: the worst case `ε₃₂ B` is then 3e-2, but the rounding errors
    /// are random in sign, and the lower bounds measured on the benchmark workloads (B up to
    /// 1.2e5) end within 2e-7 relative of float64's (BENCHMARKS.md). Data whose values do not
    /// fit float32's 7 digits are not for this path whichever road it takes.
    static var quadraticConditionLimit: Double { 4.5e5 }
    /// 512: a chunk's float32 sums then carry at most `512 ε₃₂ = 3e-5` relative rounding
    /// (measured: 4096-row chunks turned one covariance of a 3-component float32 fit of 9001
    /// Iris-like rows indefinite; 1024 rows and fewer did not).
    static var maxChunkRows: Int { 512 }
    /// 64 rows a lane (512 rows on the fused kernel's 8 lanes), then the lanes' float sum: about
    /// 72 additions in float per value, within ``maxChunkRows``'s budget. Before, the lanes folded
    /// after every chunk (256 rows on W1).
    static func rowsBeforeFoldingLanes(_ lanes: Int) -> Int { maxChunkRows / 8 * lanes }

    static func quadraticFeatures(_ x: UnsafePointer<Float>, rows: Int, columns: Int, diagonal: Bool, center: UnsafePointer<Float>,
                                  into z: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        gmm_quadratic_features_f32(x, rows, columns, columns, diagonal ? 1 : 0, center, z, scratch)
    }
    static func seedPotentials(_ x: UnsafePointer<Float>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                               candidates: UnsafePointer<Double>, trials: Int, unit: Double,
                               closest: UnsafePointer<Float>, sums: UnsafeMutablePointer<Double>) {
        gmm_seed_potentials_f32(x, weights, rows, columns, candidates, trials, unit, closest, sums)
    }
    static func seedClosest(_ x: UnsafePointer<Float>, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                            point: UnsafePointer<Double>, unit: Double, closest: UnsafeMutablePointer<Float>) {
        gmm_seed_closest_f32(x, weights, rows, columns, point, unit, closest)
    }
    static func nearestCenters(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                               centersByFeature: UnsafePointer<Double>, components: Int,
                               labels: UnsafeMutablePointer<Int32>) -> Int {
        gmm_nearest_centers_f32(x, rows, columns, centersByFeature, components, labels)
    }
    static func gramLowerAdd(rows: Int, columns: Int, a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Double>) {
        gmm_gram_lower_add_f32(a, rows, columns, out)
    }
    static func heldRows(_ x: UnsafePointer<Float>, columns: Int, rows: UnsafePointer<Int32>, count: Int,
                         best: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, diagonal: Bool,
                         center: UnsafePointer<Double>, theta: UnsafePointer<Double>, threshold: Double,
                         sums: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>,
                         scratch: UnsafeMutablePointer<Double>) {
        gmm_held_rows_f32(x, columns, rows, count, best, weights, diagonal ? 1 : 0, center, theta, threshold, sums, values,
                      scratch)
    }
    static func foldLanes(_ laneSums: UnsafePointer<Float>, lanes: Int, count: Int, into sums: UnsafeMutablePointer<Double>) {
        gmm_fused_fold_lanes_f32(laneSums, count, sums)
    }
    static func fusedQuadraticChunk(_ x: UnsafePointer<Float>, lanes: Int, weights: UnsafePointer<Double>?, rows: Int, columns: Int,
                                    diagonal: Bool, center: UnsafePointer<Float>, theta: UnsafePointer<Float>, components: Int,
                                    laneSums: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                    best: UnsafeMutablePointer<Int32>?, gaps: UnsafeMutablePointer<Double>?) -> Double {
        gmm_fused_quadratic_chunk_f32(x, weights, rows, columns, diagonal ? 1 : 0, center, theta, components, laneSums, scratch, best, gaps)
    }
}
