import Dispatch
import Foundation

/// How the rows of a data set are cut into chunks and the chunks dealt to slots.
///
/// Chunk `c` covers rows `c * chunkRows ..< min(rows, (c + 1) * chunkRows)` and belongs to
/// slot `c % slots`. Each slot processes its chunks in increasing order on one thread, into its
/// own accumulators, and the slots are reduced in slot order at the end. Neither the schedule
/// nor the order of any floating-point sum depends on the number of threads, so 1 thread and
/// 8 threads give the same numbers bit for bit.
struct ChunkSchedule: Sendable {
    let rows: Int
    let chunkRows: Int
    let slots: Int

    /// - Parameters:
    ///   - rows: number of data rows.
    ///   - chunkRows: rows per chunk (the last chunk may be shorter).
    ///   - maxSlots: upper bound on the number of independent accumulators.
    init(rows: Int, chunkRows: Int, maxSlots: Int) {
        self.rows = rows
        self.chunkRows = max(1, chunkRows)
        let chunks = (rows + self.chunkRows - 1) / self.chunkRows
        self.slots = max(1, min(maxSlots, chunks))
    }

    var chunkCount: Int { (rows + chunkRows - 1) / chunkRows }

    func rowRange(ofChunk c: Int) -> Range<Int> {
        (c * chunkRows)..<min(rows, (c + 1) * chunkRows)
    }

    /// Default rows per chunk for the E-step: a worker's scratch (`chunkRows` rows of whitened
    /// differences, `K·D` each, and of quadratic features, `M` each) stays near 1 MiB so
    /// that it lives in the per-core L2 cache.
    static func defaultChunkRows(components k: Int, features d: Int, quadraticFeatures m: Int) -> Int {
        let perRow = max(1, k * d + m + k + d)
        return max(16, min(4096, (1 << 17) / perRow))
    }

    /// Default number of slots: 16, fewer when each slot's accumulators would be large
    /// (`bytesPerSlot`), so that all slots together stay under about 256 MiB.
    static func defaultMaxSlots(bytesPerSlot: Int) -> Int {
        max(2, min(16, (256 << 20) / max(1, bytesPerSlot)))
    }
}

/// The parallel chunk loop: calls `body(slot, rows)` for every chunk of `schedule`, with at most
/// `threads` chunks running at once. Slots are handed to worker threads on demand, but the
/// chunks of one slot always run in order on one thread, so a slot may keep mutable state.
func forEachChunk(_ schedule: ChunkSchedule, threads: Int, _ body: (Int, Range<Int>) -> Void) {
    forEachChunk(schedule, threads: threads) { (_: Int, slot: Int, rows: Range<Int>) in body(slot, rows) }
}

/// Number of workers ``forEachChunk(_:threads:_:)`` runs for `schedule` on `threads` threads.
func workerCount(_ schedule: ChunkSchedule, threads: Int) -> Int { max(1, min(threads, schedule.slots)) }

/// As ``forEachChunk(_:threads:_:)``, also passing the worker (`0..<workerCount`) running the
/// chunk: a worker runs one chunk at a time, so per-worker scratch memory can be shared by all
/// the slots it serves.
func forEachChunk(_ schedule: ChunkSchedule, threads: Int, _ body: (_ worker: Int, _ slot: Int, _ rows: Range<Int>) -> Void) {
    let workers = workerCount(schedule, threads: threads)
    if workers == 1 {
        for slot in 0..<schedule.slots {
            for c in stride(from: slot, to: schedule.chunkCount, by: schedule.slots) {
                body(0, slot, schedule.rowRange(ofChunk: c))
            }
        }
        return
    }
    let nextSlot = SlotCounter()
    withoutActuallyEscaping(body) { body in
        // Safe: concurrentPerform returns only after every call; tasks own disjoint slots.
        let work = UnsafeTransfer(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while let slot = nextSlot.take(below: schedule.slots) {
                for c in stride(from: slot, to: schedule.chunkCount, by: schedule.slots) {
                    work.wrappedValue(worker, slot, schedule.rowRange(ofChunk: c))
                }
            }
        }
    }
}

/// A lock-protected counter handing out slot numbers to workers.
private final class SlotCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}
