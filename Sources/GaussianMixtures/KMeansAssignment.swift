import CGaussianMixturesKernels

/// k-means assignment at GEMM speed, with the labels of the direct computation.
///
/// The direct computation (`gmm_nearest_centers`) sums `(x_j - c_j)²` in feature order for every
/// centre and keeps the first centre of least distance. Here a chunk of rows gets its distances
/// as `‖x'‖² - 2 x'·c' + ‖c'‖²` from one `?gemm` (scikit-learn's and oneDAL's way), where
/// `x' = x - s` and `c' = c - s` are shifted by the centres' mean `s`, so that data far from the
/// origin does not cancel (when that mean is no further from the origin than the centres are from
/// it, `s = 0` and the rows go to the GEMM uncopied). Such a distance is off by rounding, so it decides a row only when its
/// best and second-best distances are further apart than a rigorous bound on the errors of both
/// computations:
///
/// - the shift: `x'` and `c'` are rounded (in the GEMM type `T`, unit roundoff `u`), which moves
///   each difference `x_j - c_j` by at most `u'(|x'_j| + |c'_j|)`, `u' = 2u/(1 - 2u)`, and a
///   squared distance by `2(2u' + u'²)M`, where `M = ‖x'‖² + ‖c'‖²`;
/// - the GEMM: a dot product of length D in any order, fused or not, is off by at most
///   `γ_D(u) Σ|x'_j c'_j| ≤ γ_D(u) M / 2` (`γ_n(u) = nu / (1 - nu)`); the norms, in double, by
///   `γ_D(u₆₄) M`; the two additions by `4u₆₄ M`;
/// - the direct sum: `D` squares of rounded differences added in order are off by at most
///   `γ_{D+2}(u₆₄)` of the exact distance, which is at most `2(1 + u')² M`.
///
/// With `α` the sum of these factors, a row whose GEMM gap exceeds `2.02 α (‖x'‖² + max_k ‖c'_k‖²)`
/// (both distances' errors, 1 % for the rounding of the bound itself) plus a margin for underflow
/// has the same nearest centre, strictly, in the direct computation. Every other row (near ties,
/// a non-finite GEMM value) is decided by the direct computation itself, centre by centre, so its
/// tie rule (the lowest index wins) applies unchanged: the labels are the direct path's, bit for bit.
struct KMeansAssignment<Scalar: EngineScalar> {
    let columns: Int
    let clusters: Int
    /// Centre c as column c (D x K), for the direct computation of undecided rows.
    let centersByFeature: [Double]
    /// The shift `s` (D values, in the GEMM type) and the shifted centres `c' = c - s` (K x D).
    let shift: [Scalar]
    let shiftedCenters: [Scalar]
    /// Whether `s` is not zero (else the rows are not copied).
    let shifts: Bool
    /// `‖c'_k‖²` in double, and their largest.
    let centerNorms: [Double]
    let largestCenterNorm: Double
    /// `2.02 α` and the underflow margin of the bound (see the type's comment).
    let relativeBound: Double
    let absoluteBound: Double

    /// Prepares the `clusters` centres (`K x D`, row-major) for ``assign(_:rows:labels:scratch:)``.
    init(centers: [Double], columns d: Int, clusters k: Int) {
        columns = d
        clusters = k
        var byFeature = [Double](repeating: 0, count: d * k)
        for c in 0..<k { for j in 0..<d { byFeature[j * k + c] = centers[c * d + j] } }
        centersByFeature = byFeature
        var mean = [Double](repeating: 0, count: d)
        for c in 0..<k { for j in 0..<d { mean[j] += centers[c * d + j] / Double(k) } }
        var s = mean.map { $0.isFinite ? Scalar($0) : 0 }
        var spread = 0.0
        for c in 0..<k {
            var distance = 0.0
            for j in 0..<d { distance += (centers[c * d + j] - Double(s[j])) * (centers[c * d + j] - Double(s[j])) }
            spread = max(spread, distance)
        }
        if s.reduce(0, { $0 + Double($1) * Double($1) }) <= spread { s = [Scalar](repeating: 0, count: d) }
        shift = s
        shifts = s.contains { $0 != 0 }
        var shifted = [Scalar](repeating: 0, count: k * d)
        var norms = [Double](repeating: 0, count: k)
        for c in 0..<k {
            for j in 0..<d {
                let value = Scalar(centers[c * d + j] - Double(s[j]))
                shifted[c * d + j] = value
                norms[c] += Double(value) * Double(value)
            }
        }
        shiftedCenters = shifted
        centerNorms = norms
        largestCenterNorm = norms.max() ?? 0
        let u = Double(Scalar.ulpOfOne) / 2, u64 = Double.ulpOfOne / 2, n = Double(d)
        func gamma(_ n: Double, _ u: Double) -> Double { n * u / (1 - n * u) }
        let uShift = 2 * u / (1 - 2 * u)
        let alpha = 2 * (2 * uShift + uShift * uShift) + gamma(n, u) + gamma(n, u64) + 4 * u64
            + 2 * gamma(n + 2, u64) * (1 + uShift) * (1 + uShift)
        relativeBound = 2.02 * alpha
        absoluteBound = Double(4 * d + 16) * Double(Scalar.leastNormalMagnitude)
    }

    /// Scalars of scratch one call needs for `rows` rows.
    func scratchCount(rows: Int) -> Int { rows * (columns + clusters) }

    /// Labels rows `0..<rows` of `x` (row-major, `columns` values each) with their nearest centre,
    /// exactly as the direct computation does; returns how many labels changed and how many rows
    /// the direct computation decided. `scratch` holds ``scratchCount(rows:)`` scalars. Runs one
    /// `?gemm`; the caller sets OpenBLAS's threads. With `bounds`, also each row's
    /// ``DistanceBounds`` (`upper`, `lower`, one per row, in units of `1 / scale`).
    func assign(_ x: UnsafePointer<Scalar>, rows: Int, labels: UnsafeMutablePointer<Int32>,
                scratch: UnsafeMutablePointer<Scalar>,
                bounds: (upper: UnsafeMutablePointer<Float>, lower: UnsafeMutablePointer<Float>, scale: Double)? = nil)
    -> (changed: Int, undecided: Int) {
        let d = columns, k = clusters
        guard rows > 0 else { return (0, 0) }
        let xShifted = scratch, products = scratch + rows * d
        var rowNorms = [Double](repeating: 0, count: rows)
        var undecided = 0
        let changed = shift.withUnsafeBufferPointer { s in
            shiftedCenters.withUnsafeBufferPointer { c in
                centerNorms.withUnsafeBufferPointer { norms in
                    centersByFeature.withUnsafeBufferPointer { byFeature in
                        rowNorms.withUnsafeMutableBufferPointer { rowNorm in
                            Self.shiftRows(x, rows: rows, columns: d, shift: s.baseAddress!,
                                           into: shifts ? xShifted : nil, norms: rowNorm.baseAddress!)
                            Scalar.gemm(m: rows, n: k, k: d, a: shifts ? UnsafePointer(xShifted) : x, lda: d, transposeA: false, b: c.baseAddress!,
                                        ldb: d, transposeB: true, beta: 0, c: products, ldc: k)
                            return Self.labels(x, rows: rows, columns: d, products: products, clusters: k,
                                               centerNorms: norms.baseAddress!, largestCenterNorm: largestCenterNorm,
                                               rowNorms: rowNorm.baseAddress!, relativeBound: relativeBound,
                                               absoluteBound: absoluteBound, centersByFeature: byFeature.baseAddress!,
                                               labels: labels, undecided: &undecided, bounds: bounds)
                        }
                    }
                }
            }
        }
        return (changed, undecided)
    }

    /// `gmm_kmeans_shift_rows` of the type.
    private static func shiftRows(_ x: UnsafePointer<Scalar>, rows: Int, columns: Int, shift: UnsafePointer<Scalar>,
                                  into shifted: UnsafeMutablePointer<Scalar>?, norms: UnsafeMutablePointer<Double>) {
        if Scalar.self == Float.self {
            gmm_kmeans_shift_rows_f32(float(x), rows, columns, float(shift), shifted.map(floatMutable), norms)
        } else {
            gmm_kmeans_shift_rows(double(x), rows, columns, double(shift), shifted.map(doubleMutable), norms)
        }
    }

    /// `gmm_kmeans_gemm_labels` of the type.
    private static func labels(_ x: UnsafePointer<Scalar>, rows: Int, columns: Int, products: UnsafeMutablePointer<Scalar>,
                               clusters: Int, centerNorms: UnsafePointer<Double>, largestCenterNorm: Double,
                               rowNorms: UnsafePointer<Double>, relativeBound: Double, absoluteBound: Double,
                               centersByFeature: UnsafePointer<Double>, labels: UnsafeMutablePointer<Int32>,
                               undecided: inout Int,
                               bounds: (upper: UnsafeMutablePointer<Float>, lower: UnsafeMutablePointer<Float>, scale: Double)?)
    -> Int {
        if Scalar.self == Float.self {
            return gmm_kmeans_gemm_labels_f32(float(x), rows, columns, float(UnsafePointer(products)), clusters, centerNorms,
                                              largestCenterNorm, rowNorms, relativeBound, absoluteBound, centersByFeature,
                                              labels, &undecided, bounds?.upper, bounds?.lower, bounds?.scale ?? 1)
        }
        return gmm_kmeans_gemm_labels(double(x), rows, columns, double(UnsafePointer(products)), clusters, centerNorms,
                                      largestCenterNorm, rowNorms, relativeBound, absoluteBound, centersByFeature,
                                      labels, &undecided, bounds?.upper, bounds?.lower, bounds?.scale ?? 1)
    }

    // The C kernels come in a double and a float version; `Scalar` is one of the two.
    private static func double(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Double> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Double.self)
    }
    private static func float(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    private static func doubleMutable(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Double> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self)
    }
    private static func floatMutable(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}
