import Foundation
@testable import GaussianMixtures
import Testing

/// The chunk tree's sums are a function of the grid alone: equal, bit for bit, to the tree
/// defined recursively, for any thread count and any split of the rows among "processes" at
/// multiples of ``rowBlockAlignment``; the same on every process (and close) otherwise.
@Suite struct ChunkTreeTests {
    /// Values whose sum depends on the order of the additions: magnitudes from 1e-6 to 1e10,
    /// both signs (or positive only).
    func values(_ count: Int, seed: UInt64, positive: Bool = false) -> [Double] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in
            let magnitude = Foundation.pow(10, -6 + 16 * generator.nextUniform()) * generator.nextUniform()
            return positive || generator.nextUniform() < 0.5 ? magnitude : -magnitude
        }
    }

    /// The definition, computed directly: each leaf's rows added in order, then node `(ℓ, j)` =
    /// left + right (the left alone past the last leaf), from the root down.
    func reference(_ values: [Double], _ schedule: ChunkSchedule) -> Double {
        let leafRows = schedule.leafChunks * schedule.chunkRows
        let leaves = (values.count + leafRows - 1) / leafRows
        guard leaves > 0 else { return 0 }
        func node(_ level: Int, _ j: Int) -> Double? {
            guard j << level < leaves else { return nil }
            if level == 0 {
                var s = 0.0
                for r in (j * leafRows)..<min(values.count, (j + 1) * leafRows) { s += values[r] }
                return s
            }
            let left = node(level - 1, 2 * j)!
            return node(level - 1, 2 * j + 1).map { left + $0 } ?? left
        }
        var top = 0
        while (1 << top) < leaves { top += 1 }
        return node(top, 0)!
    }

    /// The sum of `values` over `parts` "processes" holding the blocks between `cuts`, each on
    /// `threads` threads: every part's result.
    func splitSum(_ values: [Double], cuts: [Int], chunkRows: Int, threads: Int) -> [Double] {
        let bounds = [0] + cuts + [values.count]
        let reducers = bounds.count == 2 ? [] : TwoPartReducer.group(bounds.count - 1)
        let out = UnsafeTransfer(UnsafeMutablePointer<Double>.allocate(capacity: bounds.count - 1))
        defer { out.wrappedValue.deallocate() }
        values.withUnsafeBufferPointer { buffer in
            let shared = UnsafeTransfer(buffer)
            runParts(bounds.count - 1) { part in
                let rows = bounds[part]..<bounds[part + 1]
                let schedule = ChunkSchedule(rows: rows.count, chunkRows: chunkRows, firstRow: rows.lowerBound,
                                             globalRows: shared.wrappedValue.count)
                let reducer: any Reducer = reducers.isEmpty ? SingleProcess.shared : reducers[part]
                out.wrappedValue[part] = treeSum(schedule, threads: threads, reducer: reducer, count: 1) { rows, sums in
                    for r in rows { sums[0] += shared.wrappedValue[bounds[part] + r] }
                }[0]
            }
        }
        return Array(UnsafeBufferPointer(start: out.wrappedValue, count: bounds.count - 1))
    }

    @Test(arguments: [1, 15, 4_096, 20_000, 50_001])
    func aSumIsTheTreeWhateverTheThreadsAndTheAlignedSplit(rows: Int) {
        let data = values(rows, seed: UInt64(rows))
        for chunkRows in [16, 256, 4_096] {
            let expected = reference(data, ChunkSchedule(rows: rows, chunkRows: chunkRows))
            for threads in [1, 2, 3] {
                #expect(splitSum(data, cuts: [], chunkRows: chunkRows, threads: threads) == [expected])
            }
            // Blocks cut at multiples of 4096 rows, some empty.
            let blocks = rows / rowBlockAlignment
            for cuts in [[blocks / 2 * rowBlockAlignment], [0, blocks * rowBlockAlignment], [rowBlockAlignment, 2 * rowBlockAlignment, 3 * rowBlockAlignment]]
            where cuts.allSatisfy({ $0 <= rows }) && cuts == cuts.sorted() {
                for sum in splitSum(data, cuts: cuts, chunkRows: chunkRows, threads: 2) {
                    #expect(sum == expected, "\(rows) rows, chunks of \(chunkRows), cuts \(cuts)")
                }
            }
        }
    }

    /// Blocks that split leaves still give every process the same total, close to the tree's.
    @Test func aMisalignedSplitIsTheSameOnEveryProcess() {
        let data = values(30_001, seed: 9, positive: true)
        let expected = reference(data, ChunkSchedule(rows: data.count, chunkRows: 64))
        for cuts in [[1], [4_097, 12_345], [29_999]] {
            let sums = splitSum(data, cuts: cuts, chunkRows: 64, threads: 2)
            #expect(Set(sums).count == 1, "cuts \(cuts)")
            #expect(abs(sums[0] - expected) <= 1e-14 * expected, "cuts \(cuts)")
        }
    }

    /// The k-means++ draw: the first row whose running sum reaches each target, the same row for
    /// any aligned split, and a row at which a sequential running sum crosses the target (to
    /// rounding).
    @Test func drawsAreTheFirstRowsReachingTheTargets() throws {
        let rows = 13_000
        var data = values(rows, seed: 4, positive: true)
        for r in stride(from: 0, to: rows, by: 7) { data[r] = 0 }  // rows that can never be drawn
        var generator = Xoshiro256StarStar(seed: 11)
        let total = data.reduce(0, +)
        let targets = (0..<9).map { _ in generator.nextUniform() * total } + [0, total * (1 - 1e-15)]
        func draw(cuts: [Int]) -> [[Int?]] {
            let bounds = [0] + cuts + [rows]
            let reducers = TwoPartReducer.group(bounds.count - 1)
            let out = UnsafeTransfer(UnsafeMutablePointer<[Int?]>.allocate(capacity: bounds.count - 1))
            defer { out.wrappedValue.deinitialize(count: bounds.count - 1); out.wrappedValue.deallocate() }
            data.withUnsafeBufferPointer { buffer in
                let shared = UnsafeTransfer(buffer)
                runParts(bounds.count - 1) { part in
                    let block = bounds[part]..<bounds[part + 1]
                    let view = DataView(base: shared.wrappedValue.baseAddress! + block.lowerBound, rows: block.count, columns: 1,
                                        reducer: reducers[part], firstRow: block.lowerBound, globalRows: rows)
                    (out.wrappedValue + part).initialize(to: view.firstRows(reaching: targets, strictly: true, threads: 2) {
                        shared.wrappedValue[block.lowerBound + $0]
                    })
                }
            }
            return Array(UnsafeBufferPointer(start: out.wrappedValue, count: bounds.count - 1))
        }
        let whole = draw(cuts: [])[0]
        for (target, row) in zip(targets, whole) {
            let r = try #require(row)
            #expect(data[r] > 0, "a row of value 0 is never drawn")
            let before = data[0..<r].reduce(0, +), through = before + data[r]
            #expect(before <= target * (1 + 1e-12) && through >= target * (1 - 1e-12), "target \(target) at row \(r)")
        }
        for cuts in [[4_096], [4_096, 8_192], [0, 12_288]] {
            for part in draw(cuts: cuts) { #expect(part == whole, "cuts \(cuts)") }
        }
    }
}
