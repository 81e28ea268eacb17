/// What one pass over the data learns of each column: its sum (as ``DataView/sumOverRows(count:threads:_:)``
/// adds it, in the fixed chunk tree), its sum scaled by 2⁻⁵¹² (exact but for values below
/// 2⁻⁵¹⁰, and it cannot overflow: finite exactly when every value is), its sample-weighted sum, and its least and greatest
/// values; over every process's rows. The data checks, the quadratic road's centre and
/// k-means' feature variance read it, instead of a pass each.
struct ColumnSummary {
    let sums: [Double]
    let scaledSums: [Double]
    /// `Σ_n w_n x_nj` (``sums`` when the data have no weights).
    let weightedSums: [Double]
    let least: [Double]
    let greatest: [Double]

    /// The factor of ``scaledSums``.
    static let down = 0x1p-512

    /// `max_n |x_nj - center_j|` for each column, from the least and greatest values: rounding
    /// is monotone, so the largest rounded distance is at one of the two. Equals the largest
    /// `abs(x - center)` over the rows (0 for no rows).
    func reach(from center: [Double]) -> [Double] {
        center.indices.map { j in max(0, greatest[j] - center[j], center[j] - least[j]) }
    }
}

extension DataView {
    /// The ``ColumnSummary`` of every process's rows, in one pass on `threads` threads. A column
    /// holding NaN has NaN sums (its least and greatest values ignore the NaN).
    func columnSummary(threads: Int = 1) -> ColumnSummary {
        let d = columns, down = ColumnSummary.down, width = weights == nil ? 2 * d : 3 * d
        let grid = ChunkSchedule(self, chunkRows: ChunkSchedule.alignment)
        let workers = workerCount(grid, threads: threads)
        var ranges = [Double](repeating: .infinity, count: workers * 2 * d)
        for w in 0..<workers { for j in 0..<d { ranges[w * 2 * d + d + j] = -.infinity } }
        let sums = ranges.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeTransfer(buffer.baseAddress!)
            return treeSum(grid, threads: threads, reducer: reducer, make: { SumVector(count: width) }) { worker, rows, partial in
                let least = out.wrappedValue + worker * 2 * d, greatest = least + d, sum = partial.base
                for n in rows {
                    let x = row(n)
                    for j in 0..<d {
                        let v = Double(x[j])
                        sum[j] += v
                        sum[d + j] += v * down
                        if v < least[j] { least[j] = v }
                        if v > greatest[j] { greatest[j] = v }
                    }
                    if let weights { for j in 0..<d { sum[2 * d + j] += weights[n] * Double(x[j]) } }
                }
            }.packed.prefix(width).map { $0 }
        }
        var least = [Double](repeating: .infinity, count: d), greatest = [Double](repeating: -.infinity, count: d)
        for w in 0..<workers {
            for j in 0..<d {
                least[j] = min(least[j], ranges[w * 2 * d + j])
                greatest[j] = max(greatest[j], ranges[w * 2 * d + d + j])
            }
        }
        // Every process's extremes: the greatest value and the greatest negated least.
        var extremes = greatest + least.map { -$0 }
        if reducer.size > 1 { reducer.maximum(&extremes) }
        return ColumnSummary(sums: Array(sums[0..<d]), scaledSums: Array(sums[d..<(2 * d)]),
                             weightedSums: Array(weights == nil ? sums[0..<d] : sums[(2 * d)..<(3 * d)]),
                             least: extremes[d...].map { -$0 }, greatest: Array(extremes[0..<d]))
    }
}
