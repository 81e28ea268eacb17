import Foundation

extension DataView {
    /// For each of `targets`, the first global row at which the running sum of `value(row)`
    /// (non-negative, in global row order) reaches it (`>=`, or `>` when `strictly`), or nil when
    /// no row does: a draw with probability proportional to `value` (numpy's `searchsorted`),
    /// over the rows of every process.
    ///
    /// The running sum is defined on the grid of ``ChunkSchedule/alignment`` global rows, so that
    /// it is the same bits however the rows are split among processes at multiples of that many
    /// rows: each chunk's total is summed in row order, the totals are added in chunk order (one
    /// gather of the totals), and within the chunk holding the target the running sum is the
    /// chunk's prefix plus its rows' sum so far, which ends at the next chunk's prefix exactly.
    func firstRows(reaching targets: [Double], strictly: Bool = false, threads: Int = 1,
                   value: (Int) -> Double) -> [Int?] {
        let grid = ChunkSchedule(self, chunkRows: ChunkSchedule.alignment)
        let chunks = grid.chunks
        var totals = [Double](repeating: 0, count: chunks.count)
        totals.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeTransfer(buffer.baseAddress!)
            forEachChunk(grid, threads: threads) { _, g, rows in
                var t = 0.0
                for r in rows { t += value(r) }
                out.wrappedValue[g - chunks.lowerBound] = t
            }
        }
        // Every process's (chunk, total) pairs, in process order: a chunk split between two
        // processes is two consecutive entries.
        let mine = zip(chunks, totals).flatMap { [Double($0), $1] }
        let parts = reducer.size > 1 ? reducer.gather(mine) : [mine]
        let reaches = { (sum: Double, target: Double) in strictly ? sum > target : sum >= target }
        let order = targets.indices.sorted { targets[$0] < targets[$1] }
        var found = [Int?](repeating: nil, count: targets.count)
        var prefix = 0.0
        var next = 0
        for (process, part) in parts.enumerated() {
            for entry in stride(from: 0, to: part.count, by: 2) where next < order.count {
                let g = Int(part[entry]), total = part[entry + 1]
                let end = prefix + total
                // Targets that this entry's rows reach; the process holding them finds the row.
                var mineHere: [Int] = []
                while next < order.count && reaches(end, targets[order[next]]) {
                    mineHere.append(order[next])
                    next += 1
                }
                if process == reducer.rank && !mineHere.isEmpty {
                    var t = 0.0, i = 0
                    for r in grid.rowRange(ofChunk: g) where i < mineHere.count {
                        t += value(r)
                        while i < mineHere.count && reaches(prefix + t, targets[mineHere[i]]) {
                            found[mineHere[i]] = firstRow + r
                            i += 1
                        }
                    }
                }
                prefix = end
            }
        }
        guard reducer.size > 1 else { return found }
        // Each target was found by one process at most: the others' nil is -1 in the gather.
        let all = reducer.gather(found.map { Double($0 ?? -1) })
        return targets.indices.map { i in all.map { Int($0[i]) }.max().flatMap { $0 >= 0 ? $0 : nil } }
    }
}
