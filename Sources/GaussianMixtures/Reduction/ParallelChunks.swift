import Dispatch
import Foundation

/// How the rows of a data set are cut into chunks: one grid over the global rows (the rows of
/// every process, in process order), the same whichever process holds which rows.
///
/// Global chunk `g` covers global rows `g·chunkRows ..< min(globalRows, (g + 1)·chunkRows)`.
/// This process holds global rows `firstRow ..< firstRow + rows`, so it works on the chunks
/// ``chunks``; a chunk is *whole* here when all its rows are here.
///
/// Sums over rows are taken per *leaf*, a run of ``leafChunks`` consecutive chunks that one
/// worker adds in chunk order, and the leaves' sums are combined by ``ChunkTree`` in a binary
/// tree over the global leaf indices. Both are fixed by the grid alone: neither the thread count
/// nor the split of the rows among processes changes a bit of any sum, as long as the
/// processes' blocks start at multiples of the leaf's rows (every default chunk and leaf size is
/// a power of two dividing ``alignment``).
struct ChunkSchedule: Sendable {
    /// This process's rows.
    let rows: Int
    /// Rows per chunk (the last chunk of the grid may be shorter).
    let chunkRows: Int
    /// The global row of this process's row 0.
    let firstRow: Int
    /// The rows of every process together.
    let globalRows: Int
    /// Chunks per leaf of the sums' tree: leaves of a power of two rows near `globalRows / 32`
    /// (enough leaves to keep every worker busy), at most ``alignment`` rows.
    let leafChunks: Int

    /// Process blocks that start at multiples of this many rows give every grid of a default
    /// chunk size the same chunks as one process holding all the rows: the distributed fit
    /// cuts the rows there (`NPY.blockRange`).
    static let alignment = rowBlockAlignment

    /// - Parameters:
    ///   - rows: number of this process's rows.
    ///   - chunkRows: rows per chunk.
    ///   - firstRow: the global row of this process's first row (0 for one process).
    ///   - globalRows: the rows of every process (`rows` for one process).
    init(rows: Int, chunkRows: Int, firstRow: Int = 0, globalRows: Int? = nil) {
        self.rows = max(0, rows)
        self.chunkRows = max(1, chunkRows)
        self.firstRow = firstRow
        self.globalRows = globalRows ?? rows
        var leafRows = ChunkSchedule.alignment
        while leafRows > self.chunkRows && leafRows * 32 > self.globalRows { leafRows /= 2 }
        leafChunks = max(1, leafRows / self.chunkRows)
    }

    /// The schedule of `data`'s rows on a grid of `chunkRows`.
    init<Scalar>(_ data: DataView<Scalar>, chunkRows: Int) {
        self.init(rows: data.rows, chunkRows: chunkRows, firstRow: data.firstRow, globalRows: data.globalRows)
    }

    /// Number of chunks of the global grid.
    var globalChunkCount: Int { (globalRows + chunkRows - 1) / chunkRows }

    /// Global indices of the chunks holding rows of this process.
    var chunks: Range<Int> {
        guard rows > 0 else { return 0..<0 }
        return (firstRow / chunkRows)..<((firstRow + rows - 1) / chunkRows + 1)
    }

    /// This process's rows (local indices) of global chunk `g`.
    func rowRange(ofChunk g: Int) -> Range<Int> {
        max(0, g * chunkRows - firstRow)..<min(rows, (g + 1) * chunkRows - firstRow)
    }

    /// Whether all the rows of global chunk `g` are this process's.
    func isWhole(_ g: Int) -> Bool {
        g * chunkRows >= firstRow && min(globalRows, (g + 1) * chunkRows) <= firstRow + rows
    }

    /// Number of leaves of the global grid.
    var globalLeafCount: Int { (globalChunkCount + leafChunks - 1) / leafChunks }

    /// Global indices of the leaves holding rows of this process.
    var leaves: Range<Int> {
        let chunks = self.chunks
        guard !chunks.isEmpty else { return 0..<0 }
        return (chunks.lowerBound / leafChunks)..<((chunks.upperBound - 1) / leafChunks + 1)
    }

    /// This process's chunks of leaf `leaf`.
    func chunks(ofLeaf leaf: Int) -> Range<Int> {
        let chunks = self.chunks
        return max(chunks.lowerBound, leaf * leafChunks)..<min(chunks.upperBound, (leaf + 1) * leafChunks)
    }

    /// Whether all the rows of leaf `leaf` are this process's.
    func isWholeLeaf(_ leaf: Int) -> Bool {
        let first = leaf * leafChunks * chunkRows
        return first >= firstRow && min(globalRows, first + leafChunks * chunkRows) <= firstRow + rows
    }

    /// Default rows per chunk for the E-step: a power of two near the rows for which a worker's
    /// scratch (`chunkRows` rows of whitened differences, `K·D` each, and of quadratic features,
    /// `M` each) stays near 1 MiB, so that it lives in the per-core L2 cache; 16 to 4096. Rows
    /// of more than about 2,000 such values (`K·D + M`: D = 64, K = 32; D = 100; K = 512, D = 16)
    /// take instead the largest power of two up to 64 rows whose scratch stays within 8 MiB:
    /// the products run as fast or faster there (D = 64 and 100 the same; K = 512, D = 16 0.85
    /// against 1.1-1.4 s an iteration), and the pruned E-step's held rows, grouped by component
    /// within a chunk, read each component's Θ and sums once per group (D = 100, K = 10: 0.042 s
    /// a pruned iteration at 16 rows, 0.034 s at 64).
    static func defaultChunkRows(components k: Int, features d: Int, quadraticFeatures m: Int) -> Int {
        var wide = 64
        while wide > 16 && wide * (k * d + m) > 1 << 20 { wide /= 2 }
        return powerOfTwo(near: max((1 << 17) / max(1, k * d + m + k + d), wide), from: 16)
    }

    /// The power of two nearest to `rows` on a log scale, between `low` and ``alignment``.
    static func powerOfTwo(near rows: Int, from low: Int) -> Int {
        var p = low
        while p < alignment && Double(rows) > Double(p) * 2.squareRoot() { p *= 2 }  // past p·√2, 2p is nearer
        return p
    }
}

/// The parallel chunk loop: calls `body(worker, chunk, rows)` for every chunk of `schedule` that
/// holds rows of this process (`chunk` its global index, `rows` its local rows), on at most
/// `threads` threads. Workers take chunks in increasing order as they become free; a worker
/// (`0..<workerCount`) runs one chunk at a time, so per-worker scratch memory is safe to reuse.
func forEachChunk(_ schedule: ChunkSchedule, threads: Int,
                  _ body: (_ worker: Int, _ chunk: Int, _ rows: Range<Int>) -> Void) {
    forEachIndex(schedule.chunks, threads: threads) { worker, g in body(worker, g, schedule.rowRange(ofChunk: g)) }
}

/// Calls `body(worker, index)` for every index of `indices` on at most `threads` threads, the
/// indices handed out in increasing order to whichever worker (`0..<min(threads, indices.count)`)
/// is free.
func forEachIndex(_ indices: Range<Int>, threads: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
    let workers = max(1, min(threads, indices.count))
    if workers == 1 {
        for i in indices { body(0, i) }
        return
    }
    let next = ChunkCounter(indices)
    withoutActuallyEscaping(body) { body in
        // Safe: concurrentPerform returns only after every call; each index is taken once.
        let work = UnsafeTransfer(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while let i = next.take() { work.wrappedValue(worker, i) }
        }
    }
}

/// Number of workers ``forEachChunk(_:threads:_:)`` runs for `schedule` on `threads` threads.
func workerCount(_ schedule: ChunkSchedule, threads: Int) -> Int { max(1, min(threads, schedule.chunks.count)) }

/// A lock-protected counter handing out chunk indices in increasing order.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next: Int
    private let end: Int

    init(_ range: Range<Int>) {
        next = range.lowerBound
        end = range.upperBound
    }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < end else { return nil }
        next += 1
        return next - 1
    }
}
