import Foundation

// What a fit is handed, checked and put in the units the engine works in: sample weights
// (their count, sign and scale) and the data's finiteness.

/// Checked sample weights divided by their mean, so that the engine sees the same numbers
/// whatever their scale: weights `c·w` give `w`'s model for any positive `c` within double range.
/// Every later step then works in units of an average row, which is what scikit-learn's
/// constants assume (the M-step's `10 ε` added to each `N_k` is a tiny share of one row, and
/// k-means++ keeps `w · d²` in `Float`); weights of 1 stay exactly 1 (the unweighted fit, bit
/// for bit). The mean is taken as `max · Σ (w / max) / N`, which neither overflows nor
/// underflows: each `w / max` is in [0, 1].
func meanNormalizedWeights(_ weights: UnsafeBufferPointer<Double>) -> [Double] {
    meanNormalizedWeights(weights, reducer: SingleProcess.shared)
}

/// ``meanNormalizedWeights(_:)`` of one block of the weights, with the maximum, sum and count of
/// every process's block.
func meanNormalizedWeights(_ weights: UnsafeBufferPointer<Double>, reducer: any Reducer) -> [Double] {
    var largestOfAll = [weights.max() ?? 0]
    reducer.maximum(&largestOfAll)
    let largest = reducer.size > 1 ? largestOfAll[0] : (weights.max() ?? 1)
    guard largest > 0 else { return Array(weights) }
    let sum = reducer.sumOfRows(weights.count) { weights[$0] / largest }
    let factor = reducer.total(Double(weights.count)) / sum
    return weights.map { ($0 / largest) * factor }
}

/// Calls `body` with a buffer over `array`, or with nil.
func withOptionalBuffer<R>(_ array: [Double]?, _ body: (UnsafeBufferPointer<Double>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0) }
}

/// Checks sample weights: one per row, finite, non-negative, not all zero (their sum may
/// exceed double range: the fit only uses them relative to their mean).
/// - Returns: their base pointer (nil for no weights).
func checkSampleWeights(_ weights: UnsafeBufferPointer<Double>?, rows: Int,
                        reducer: any Reducer = SingleProcess.shared) throws -> UnsafePointer<Double>? {
    guard let weights else { return nil }
    guard weights.count == rows else {
        throw GaussianMixtureError.invalidSampleWeights("\(weights.count) weights for \(rows) rows; give one weight per row")
    }
    // Over several processes, rows are named by their place among every process's rows.
    let firstRow = reducer.size > 1 ? Int(reducer.exclusivePrefixSum(Double(rows))) : 0
    var positive = false
    for (row, w) in weights.enumerated() {
        guard w.isFinite, w >= 0 else {
            throw GaussianMixtureError.invalidSampleWeights(
                "the weight of row \(firstRow + row + 1) (1-based) is \(w); weights must be finite and non-negative")
        }
        if w > 0 { positive = true }
    }
    var anyPositive = [positive ? 1.0 : 0]
    reducer.maximum(&anyPositive)
    guard anyPositive[0] > 0 else {
        throw GaussianMixtureError.invalidSampleWeights("every weight is zero; at least one row must count")
    }
    return weights.baseAddress
}

/// Rejects NaN and infinity, naming the first bad row and column.
func checkFinite<Scalar>(_ data: DataView<Scalar>) throws {
    if let bad = firstNonFinite(data) { throw GaussianMixtureError.nonFiniteValue(row: bad.row, column: bad.column, value: bad.value) }
}

/// The first NaN or infinity of this process's rows in row order: its global row, column and value.
private func firstNonFinite<Scalar>(_ data: DataView<Scalar>) -> (row: Int, column: Int, value: Double)? {
    let count = data.rows * data.columns
    guard let i = (0..<count).first(where: { !data.base[$0].isFinite }) else { return nil }
    return (data.firstRow + i / data.columns, i % data.columns, Double(data.base[i]))
}

/// The checks of the data a fit runs, in one pass over every process's rows on `threads`
/// threads (``ColumnSummary``): no NaN or infinity (``checkFinite(_:)``, naming the first bad
/// value of all processes, so that every process stops), and a spread whose squares a
/// covariance can hold (``checkScale(_:_:)``). Returns the summary, which the fit reads again.
@discardableResult
func checkValues<Scalar>(_ data: DataView<Scalar>, threads: Int) throws -> ColumnSummary {
    let summary = data.columnSummary(threads: threads)
    if !summary.scaledSums.allSatisfy(\.isFinite) {
        // Some value is not finite: find the first, in row order over the processes.
        var first = [Double.infinity, 0, 0]
        if let bad = firstNonFinite(data) { first = [Double(bad.row), Double(bad.column), bad.value] }
        if data.reducer.size > 1 {
            for part in data.reducer.gather(first) where part[0] < first[0] { first = part }
        }
        guard first[0].isFinite else { return summary }
        throw GaussianMixtureError.nonFiniteValue(row: Int(first[0]), column: Int(first[1]), value: first[2])
    }
    try checkScale(data, summary)
    return summary
}
