/// The sufficient statistics of one E-step, summed over rows (and, later, over machines:
/// they add, so an all-reduce of them is a distributed E-step); with sample weights `w_n`,
/// every `r_nk` below is `w_n r_nk`:
///
///     N_k = Σ_n r_nk,   s_k = Σ_n r_nk (x_n - c_k),   S_k = Σ_n r_nk (x_n - c_k)(x_n - c_k)ᵀ
///
/// taken about a shift `c_k` (the current mean of component k) so that the M-step's
/// `S_k - N_k d dᵀ` does not cancel catastrophically when the data sit far from the origin.
/// Only the lower triangle of each `S_k` is meaningful.
struct SufficientStatistics {
    let components: Int
    let features: Int
    /// `c_k`, row-major `K x D`.
    let shifts: [Double]
    /// `N_k`.
    var weightSums: [Double]
    /// `s_k`, row-major `K x D`.
    var centeredSums: [Double]
    /// `S_k`, `K` consecutive row-major `D x D` blocks (lower triangles).
    var centeredScatter: [Double]
    /// `Σ_n w_n log p(x_n)` under the model of the E-step (0 when the statistics come from given responsibilities).
    var logLikelihood: Double
    /// `Σ_n w_n` over the rows summed (their number without sample weights).
    var sampleCount: Double
    /// The share of (row, component) pairs whose log joint density the E-step evaluated and
    /// whose responsibility it added to the sums (below 1 when rows were held by one component,
    /// ``PruningState``); nil where every pair is.
    var evaluatedShare: Double? = nil
    /// Sums a pruned E-step keeps beside the statistics (``PruningState``): the (row, component)
    /// pairs evaluated, and the rows held or holdable next time.
    var evaluatedPairs = 0.0
    var holdableRows = 0.0

    init(components k: Int, features d: Int, shifts: [Double]) {
        precondition(shifts.count == k * d)
        components = k
        features = d
        self.shifts = shifts
        weightSums = [Double](repeating: 0, count: k)
        centeredSums = [Double](repeating: 0, count: k * d)
        centeredScatter = [Double](repeating: 0, count: k * d * d)
        logLikelihood = 0
        sampleCount = 0
    }

    /// Sets every sum to zero (the shifts stay).
    mutating func zero() {
        for i in weightSums.indices { weightSums[i] = 0 }
        for i in centeredSums.indices { centeredSums[i] = 0 }
        for i in centeredScatter.indices { centeredScatter[i] = 0 }
        logLikelihood = 0
        sampleCount = 0
        evaluatedPairs = 0
        holdableRows = 0
    }

    /// Adds another partial sum taken about the same shifts; sums about other shifts must be
    /// re-centred first (``recentred(to:)``).
    mutating func add(_ other: SufficientStatistics) {
        precondition(other.shifts == shifts, "statistics about different shifts do not add; re-centre them first")
        for i in weightSums.indices { weightSums[i] += other.weightSums[i] }
        for i in centeredSums.indices { centeredSums[i] += other.centeredSums[i] }
        for i in centeredScatter.indices { centeredScatter[i] += other.centeredScatter[i] }
        logLikelihood += other.logLikelihood
        sampleCount += other.sampleCount
        evaluatedPairs += other.evaluatedPairs
        holdableRows += other.holdableRows
    }
}

extension SufficientStatistics {
    /// Every sum in one array, for one exchange between processes: `N_k`, `s_k`, `S_k`, the
    /// log-likelihood, the weight total and the pruning counts (the shifts are not sums and stay out).
    var packed: [Double] {
        weightSums + centeredSums + centeredScatter + [logLikelihood, sampleCount, evaluatedPairs, holdableRows]
    }

    /// Replaces every sum by the matching entry of `values` (laid out as ``packed``).
    mutating func unpack(_ values: [Double]) {
        let k = components, d = features
        precondition(values.count == k + k * d + k * d * d + 4)
        weightSums = Array(values[0..<k])
        centeredSums = Array(values[k..<(k + k * d)])
        centeredScatter = Array(values[(k + k * d)..<(k + k * d + k * d * d)])
        logLikelihood = values[values.count - 4]
        sampleCount = values[values.count - 3]
        evaluatedPairs = values[values.count - 2]
        holdableRows = values[values.count - 1]
    }

    /// The same sums about other shifts `c'_k` (the scatter's lower triangle, mirrored): with
    /// `e = c_k - c'_k`,
    ///
    ///     s'_k = s_k + N_k e,   S'_k = S_k + e s_kᵀ + s_k eᵀ + N_k e eᵀ
    ///
    /// (exact algebra; in floating point it loses about `ε |e|² N_k / |S'_k|` relative, so shift
    /// to a point near the data, as the means are).
    func recentred(to newShifts: [Double]) -> SufficientStatistics {
        let k = components, d = features
        var out = SufficientStatistics(components: k, features: d, shifts: newShifts)
        out.weightSums = weightSums
        out.logLikelihood = logLikelihood
        out.sampleCount = sampleCount
        for c in 0..<k {
            let e = (0..<d).map { shifts[c * d + $0] - newShifts[c * d + $0] }
            for i in 0..<d { out.centeredSums[c * d + i] = centeredSums[c * d + i] + weightSums[c] * e[i] }
            for i in 0..<d {
                for j in 0...i {
                    let v = centeredScatter[c * d * d + i * d + j]
                        + e[i] * centeredSums[c * d + j] + centeredSums[c * d + i] * e[j] + weightSums[c] * e[i] * e[j]
                    out.centeredScatter[c * d * d + i * d + j] = v
                    out.centeredScatter[c * d * d + j * d + i] = v
                }
            }
        }
        return out
    }
}

/// Responsibilities that do not come from an E-step: the initialisations.
enum ResponsibilitySource {
    /// Row n of this process's block belongs wholly to component `labels[n]` (k-means).
    case labels([Int32])
    /// Global row `rows[k]` belongs wholly to component k; other rows to none (k-means++ seeds, random rows).
    case seedRows([Int])
    /// Independent uniform draws per row, normalised to sum to one (scikit-learn's `random`);
    /// drawn from a stream keyed by `(seed, row)`, so chunking does not change them.
    case random(seed: UInt64)

    /// Writes the responsibilities of `row` (of this process's block, which starts at global row
    /// `firstRow`) into `out[0..<components]`. Labels are this block's; seed rows and the random
    /// streams are keyed by global rows, so that every split of the rows gives the same values.
    func fill(row: Int, firstRow: Int, components k: Int, into out: UnsafeMutablePointer<Double>, seedLookup: [Int: [Int]]) {
        switch self {
        case .labels(let labels):
            for c in 0..<k { out[c] = 0 }
            out[Int(labels[row])] = 1
        case .seedRows:
            for c in 0..<k { out[c] = 0 }
            if let owners = seedLookup[firstRow + row] { for c in owners { out[c] = 1 } }
        case .random(let seed):
            let global = firstRow + row
            var generator = Xoshiro256StarStar(seed: seed ^ (UInt64(truncatingIfNeeded: global) &* 0x9E37_79B9_7F4A_7C15))
            var total = 0.0
            for c in 0..<k {
                out[c] = generator.nextUniform()
                total += out[c]
            }
            if total > 0 { for c in 0..<k { out[c] /= total } } else { for c in 0..<k { out[c] = 1 / Double(k) } }
        }
    }

    /// For `.seedRows`: which components each seed row belongs to.
    var seedLookup: [Int: [Int]] {
        guard case .seedRows(let rows) = self else { return [:] }
        var lookup: [Int: [Int]] = [:]
        for (component, row) in rows.enumerated() { lookup[row, default: []].append(component) }
        return lookup
    }
}

/// A read-only view of the data: `rows x columns` values, row-major, owned elsewhere
/// (an array or a memory-mapped file), and optionally one non-negative weight per row.
struct DataView<Scalar: EngineScalar> {
    let base: UnsafePointer<Scalar>
    let rows: Int
    let columns: Int
    /// Sample weights (`rows` values), or nil for all ones.
    var weights: UnsafePointer<Double>? = nil
    /// Combines what is summed over these rows with the other parts of the data set, if any.
    /// Held without a reference count, so that a view stays a plain value that hot loops copy
    /// for free: the reducer must outlive the view (``SingleProcess/shared`` lives for ever).
    unowned(unsafe) var reducer: any Reducer
    /// The global row of this view's row 0: the rows of the processes before this one.
    var firstRow = 0
    /// The rows of every process together (`rows` for data held by one process).
    var globalRows: Int

    init(base: UnsafePointer<Scalar>, rows: Int, columns: Int, weights: UnsafePointer<Double>? = nil,
         reducer: any Reducer = SingleProcess.shared, firstRow: Int = 0, globalRows: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.weights = weights
        self.reducer = reducer
        self.firstRow = firstRow
        self.globalRows = globalRows ?? rows
    }

    /// Global rows `wanted` as doubles, from whichever process holds each (one gather when the
    /// rows are spread over processes).
    func doubles(ofGlobalRows wanted: [Int]) -> [[Double]] {
        let d = columns
        guard reducer.size > 1 else { return wanted.map { doubles(ofRow: $0 - firstRow) } }
        var mine: [Double] = []
        for (i, g) in wanted.enumerated() where g >= firstRow && g < firstRow + rows {
            mine.append(Double(i))
            mine += doubles(ofRow: g - firstRow)
        }
        var out = [[Double]](repeating: [Double](repeating: 0, count: d), count: wanted.count)
        for part in reducer.gather(mine) {
            for start in stride(from: 0, to: part.count, by: d + 1) {
                out[Int(part[start])] = Array(part[(start + 1)...(start + d)])
            }
        }
        return out
    }

    /// Pointer to the first value of row `i`.
    @inline(__always) func row(_ i: Int) -> UnsafePointer<Scalar> { base + i * columns }

    /// Row `i` as doubles.
    func doubles(ofRow i: Int) -> [Double] {
        let x = row(i)
        return (0..<columns).map { Double(x[$0]) }
    }

    /// The weight of row `i` (1 without weights).
    @inline(__always) func weight(_ i: Int) -> Double { weights?[i] ?? 1 }

    /// `Σ_n w_n` over `rows` (their count without weights).
    func totalWeight(_ range: Range<Int>) -> Double {
        guard let weights else { return Double(range.count) }
        var total = 0.0
        for i in range { total += weights[i] }
        return total
    }
}

/// One implementation of the E-step and the sufficient statistics. The fast path (``BLASKernel``) and the naive reference path
/// (``NaiveKernel``) both conform; the fit loop is written once against this protocol.
protocol EMKernel {
    /// The type of the data and of the per-row arithmetic.
    associatedtype Scalar: EngineScalar

    /// The rows this kernel runs over.
    var data: DataView<Scalar> { get }

    /// Prepares to run over `data` with `components` components of `covarianceType` on up to
    /// `threads` threads; `summary` is the data's ``ColumnSummary`` if already taken.
    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?,
         summary: ColumnSummary?)

    /// E-step under `model` plus sufficient statistics about the model's means.
    func expectation(_ model: GaussianMixture) -> SufficientStatistics

    /// Whether E-steps may prune responsibilities that cannot count (``PruningState``); on unless
    /// turned off, where it can pay unless `evenWhereItDoesNotPay` (tests). Kernels that do not
    /// prune ignore it.
    func prune(_ on: Bool, evenWhereItDoesNotPay: Bool)

    /// Sufficient statistics of given responsibilities, about `shifts` (`K x D`).
    func statistics(of responsibilities: ResponsibilitySource, shifts: [Double]) -> SufficientStatistics

    /// Per-row `log p(x_n)` under `model` into `logLikelihoods` (one per row) and, when
    /// `responsibilities` is given, the rows x K posterior matrix.
    func score(_ model: GaussianMixture, logLikelihoods: UnsafeMutablePointer<Double>,
               responsibilities: UnsafeMutablePointer<Double>?)
}

extension EMKernel {
    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?) {
        self.init(data: data, components: components, covarianceType: covarianceType, threads: threads,
                  chunkRows: chunkRows, summary: nil)
    }

    func prune(_ on: Bool, evenWhereItDoesNotPay: Bool) {}

    /// The `count` rows of positive weight with the lowest `log p(x)` under `model`, lowest
    /// first (ties to the lower row).
    func worstExplainedRows(_ model: GaussianMixture, count: Int) -> [Int] {
        var perRow = [Double](repeating: 0, count: max(1, data.rows))  // a process may hold no rows
        return perRow.withUnsafeMutableBufferPointer { buffer in
            score(model, logLikelihoods: buffer.baseAddress!, responsibilities: nil)
            return lowest(UnsafeBufferPointer(buffer), data: data, count: count)
        }
    }

    /// The `count` global rows of positive weight with the lowest of `logLikelihoods` (this
    /// process's rows), lowest first, ties to the lower row: each process's own `count` lowest,
    /// then the lowest of all of them.
    func lowest(_ logLikelihoods: UnsafeBufferPointer<Double>, data: DataView<Scalar>, count: Int) -> [Int] {
        var picked: [(value: Double, row: Int)] = []
        for n in 0..<data.rows where data.weight(n) > 0 {
            let value = logLikelihoods[n]
            if picked.count == count, let last = picked.last, !(value < last.value) { continue }
            picked.insert((value, data.firstRow + n), at: picked.firstIndex { value < $0.value } ?? picked.count)
            if picked.count > count { picked.removeLast() }
        }
        return extremeRows(picked, count: count, reducer: data.reducer, largest: false)
    }
}

/// Of each process's `(value, global row)` candidates, the `count` with the lowest values (or
/// the largest, with `largest`), ties to the lower row, in that order: the same on every process.
func extremeRows(_ local: [(value: Double, row: Int)], count: Int, reducer: any Reducer, largest: Bool) -> [Int] {
    guard reducer.size > 1 else { return local.map(\.row) }
    let parts = reducer.gather(local.flatMap { [$0.value, Double($0.row)] })
    var all: [(value: Double, row: Int)] = []
    for part in parts {
        for i in stride(from: 0, to: part.count, by: 2) { all.append((part[i], Int(part[i + 1]))) }
    }
    all.sort { a, b in
        if a.value != b.value { return largest ? a.value > b.value : a.value < b.value }
        return a.row < b.row
    }
    return all.prefix(count).map(\.row)
}
