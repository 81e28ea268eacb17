import CGaussianMixturesKernels

/// Hamerly's bounds for Lloyd's passes (Hamerly 2010, "Making k-means even faster"): per row, an
/// upper bound `U ≥ ‖x - c_a‖` on its exact distance to its own centre `a` and a lower bound
/// `L ≤ min_{j≠a} ‖x - c_j‖` on its exact distance to every other, taken from the GEMM values of
/// the pass that last assigned it (``KMeansAssignment``, whose rounding bound makes them rigorous).
/// When the centres then move by `δ_j`, the triangle inequality keeps `U + δ_a` and
/// `L - max_{j≠a} δ_j` bounds. A row whose bounds stay apart by more than the direct
/// computation's rounding, `L > U (1 + 4γ_{D+2})`, keeps its label without a distance: the
/// direct computation, whose squares are off by at most `γ_{D+2}` of the exact ones, would give
/// every other centre a strictly larger value. Only the other rows are assigned again, so the
/// labels are still the direct computation's, bit for bit; late passes, where few rows are near
/// a boundary, read their bounds instead of their distances.
///
/// The bounds are floats (8 bytes a row), in units of a power of two near the centres' spread,
/// every update rounded outward (the 2^-140 margin of that rounding assumes subnormal floats, that
/// is no flush-to-zero). The argument also assumes squared distances do not overflow, which the
/// data checks (`checkScale`) ensure before any fit.
struct DistanceBounds {
    /// Per row of this process: `U` and `L`, times ``BoundsRule/scale``.
    var upper: [Float]
    var lower: [Float]
    /// The units and the centres' last move.
    private(set) var rule: BoundsRule

    /// Bounds that hold nothing yet (`U = +∞`, `L = 0`): the first pass assigns every row.
    init(rows: Int, columns d: Int, centers: [Double], clusters k: Int) {
        upper = [Float](repeating: .infinity, count: max(1, rows))  // one spare: a process may hold no rows
        lower = [Float](repeating: 0, count: max(1, rows))
        var mean = [Double](repeating: 0, count: d), spread = 0.0
        for c in 0..<k { for j in 0..<d { mean[j] += centers[c * d + j] / Double(k) } }
        for c in 0..<k {
            var s = 0.0
            for j in 0..<d { s += (centers[c * d + j] - mean[j]) * (centers[c * d + j] - mean[j]) }
            spread = max(spread, s)
        }
        let exponent = spread > 0 && spread.isFinite ? Int(spread.squareRoot().exponent) : 0
        let scale = Double(sign: .plus, exponent: -min(1000, max(-1000, exponent)), significand: 1)
        let u = Double.ulpOfOne / 2, n = Double(d + 2)
        rule = BoundsRule(scale: scale, ratio: 1 + 4 * (n * u / (1 - n * u)), floor: 1e-140 * scale,
                          moved: [Double](repeating: 0, count: k), othersMoved: [Double](repeating: 0, count: k))
    }

    /// Records the centres' move from `old` to `new` (`K x D` each) for the next pass.
    mutating func move(from old: [Double], to new: [Double], columns d: Int) {
        let k = rule.moved.count
        // The computed distance is off by at most (D + 2) roundings; widened by more than that.
        let widen = (1 + 4 * Double(d + 4) * Double.ulpOfOne) * rule.scale
        var moved = [Double](repeating: 0, count: k)
        for c in 0..<k {
            var s = 0.0
            for j in 0..<d { s += (new[c * d + j] - old[c * d + j]) * (new[c * d + j] - old[c * d + j]) }
            moved[c] = s.squareRoot() * widen + 0x1p-1000
        }
        var first = -1, second = -1  // the two centres that moved most
        for c in 0..<k where first < 0 || moved[c] > moved[first] { first = c }
        for c in 0..<k where c != first && (second < 0 || moved[c] > moved[second]) { second = c }
        rule.moved = moved
        rule.othersMoved = (0..<k).map { c in c == first ? (second < 0 ? 0 : moved[second]) : moved[first] }
    }
}

/// What a pass needs to move the bounds: their units and the centres' last move.
struct BoundsRule {
    /// A power of two: distances times `scale` are near 1.
    let scale: Double
    /// `1 + 4γ_{D+2}`: the direct computation's rounding, and the updates' own.
    let ratio: Double
    /// `L` must also exceed this, `1e-140` in the data's units (`1e-140 · scale` here), so that
    /// no square of the direct computation is near underflow: data whose distances are all below
    /// it never skip (the labels are right, only slower).
    let floor: Double
    /// How far each centre moved since the last pass (scaled, rounded up), and the most any
    /// other centre moved.
    fileprivate(set) var moved: [Double]
    fileprivate(set) var othersMoved: [Double]

    /// Moves the bounds of one chunk's rows (`count` of them, from `upper`, `lower` and
    /// `labels`) by the centres' last move, and writes the rows whose label the bounds no longer
    /// decide to `candidates` (chunk-local indices, in order); returns how many
    /// (`gmm_kmeans_bounds_update`).
    func update(count: Int, labels: UnsafePointer<Int32>, upper: UnsafeMutablePointer<Float>,
                lower: UnsafeMutablePointer<Float>, candidates: UnsafeMutablePointer<Int32>) -> Int {
        moved.withUnsafeBufferPointer { moved in
            othersMoved.withUnsafeBufferPointer { others in
                gmm_kmeans_bounds_update(count, labels, upper, lower, moved.baseAddress!, others.baseAddress!, ratio,
                                         floor, candidates)
            }
        }
    }
}

/// Per worker, the scratch of ``KMeansAssignment/assign(_:rows:labels:rule:upper:lower:scratch:worker:)``:
/// the GEMM's, and the rows the bounds do not decide, gathered with their labels and new bounds.
final class BoundedAssignmentScratch<Scalar: EngineScalar>: @unchecked Sendable {
    let rows: Int
    let gemmCount: Int
    let columns: Int
    private let scalars: UnsafeMutablePointer<Scalar>
    private let indices: UnsafeMutablePointer<Int32>
    private let bounds: UnsafeMutablePointer<Float>

    init(workers: Int, rows: Int, assignment: KMeansAssignment<Scalar>) {
        self.rows = rows
        columns = assignment.columns
        gemmCount = assignment.scratchCount(rows: rows)
        scalars = .allocate(capacity: workers * (gemmCount + rows * columns))
        indices = .allocate(capacity: workers * rows * 2)
        bounds = .allocate(capacity: workers * rows * 2)
    }

    deinit {
        scalars.deallocate()
        indices.deallocate()
        bounds.deallocate()
    }

    /// Worker `w`'s GEMM scratch and gathered rows.
    func gemm(_ w: Int) -> UnsafeMutablePointer<Scalar> { scalars + w * (gemmCount + rows * columns) }
    func gatheredRows(_ w: Int) -> UnsafeMutablePointer<Scalar> { gemm(w) + gemmCount }
    /// Worker `w`'s gathered rows' chunk indices, then their labels.
    func candidates(_ w: Int) -> UnsafeMutablePointer<Int32> { indices + w * rows * 2 }
    /// Worker `w`'s gathered rows' upper bounds, then their lower bounds.
    func gatheredBounds(_ w: Int) -> UnsafeMutablePointer<Float> { bounds + w * rows * 2 }
}

extension KMeansAssignment {
    /// Labels rows `0..<rows` of `x` (at most the scratch's rows) as ``assign(_:rows:labels:scratch:bounds:)``
    /// does, but first moves their bounds by `rule` (``BoundsRule/update(count:labels:upper:lower:candidates:)``):
    /// a row they still decide keeps its label; the others are gathered, assigned by one GEMM and
    /// given fresh bounds. Returns how many labels changed.
    func assign(_ x: UnsafePointer<Scalar>, rows: Int, labels: UnsafeMutablePointer<Int32>, rule: BoundsRule,
                upper: UnsafeMutablePointer<Float>, lower: UnsafeMutablePointer<Float>,
                scratch: BoundedAssignmentScratch<Scalar>, worker: Int) -> Int {
        let d = columns, candidates = scratch.candidates(worker)
        let count = rule.update(count: rows, labels: labels, upper: upper, lower: lower, candidates: candidates)
        if count == rows {
            return assign(x, rows: rows, labels: labels, scratch: scratch.gemm(worker),
                          bounds: (upper, lower, rule.scale)).changed
        }
        guard count > 0 else { return 0 }
        let gathered = scratch.gatheredRows(worker), gatheredLabels = candidates + scratch.rows
        let gatheredUpper = scratch.gatheredBounds(worker), gatheredLower = gatheredUpper + scratch.rows
        for t in 0..<count {
            let i = Int(candidates[t])
            (gathered + t * d).update(from: x + i * d, count: d)
            gatheredLabels[t] = labels[i]
        }
        let changed = assign(gathered, rows: count, labels: gatheredLabels, scratch: scratch.gemm(worker),
                             bounds: (gatheredUpper, gatheredLower, rule.scale)).changed
        for t in 0..<count {
            let i = Int(candidates[t])
            labels[i] = gatheredLabels[t]
            upper[i] = gatheredUpper[t]
            lower[i] = gatheredLower[t]
        }
        return changed
    }
}
