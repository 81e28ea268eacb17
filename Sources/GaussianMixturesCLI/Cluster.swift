import Foundation
import GaussianMixtures
import GaussianMixturesIO
#if MPI
import CMPI
#endif

/// The processes of one `gmm` run: one without the `MPI` trait or outside `mpirun`; under
/// `mpirun -np P` (a build with `--traits MPI`), P processes that each hold one block of the
/// rows, combine their sums through ``reducer`` and leave the printing and writing to rank 0.
enum Cluster {
    /// This process's rank and the number of processes (0 and 1 without MPI).
    nonisolated(unsafe) static var rank = 0
    nonisolated(unsafe) static var size = 1
    /// Combines the sums over rows of all processes.
    nonisolated(unsafe) static var reducer: any Reducer = SingleProcess.shared

    /// Whether this process prints and writes the results (rank 0).
    static var isLeader: Bool { rank == 0 }
    static var isDistributed: Bool { size > 1 }

    /// Reports `message` as `gmm: error: rank R: ...` and stops every process of the job with
    /// `code` (MPI_Abort, which `mpirun` returns as its exit code), so that none waits forever
    /// for one that failed and the job prints one message. An error in this process's own data
    /// (`ownData`) is reported at once; one that every process meets alike (an option, a model
    /// that cannot be fitted) is reported by rank 0, the others waiting a few seconds for its
    /// abort before they report it themselves.
    /// With `namingRank` false the message goes out as `gmm: error: ...`: one that every process
    /// composed alike (a disagreement, ``agree(_:_:code:advice:)``).
    static func fail(_ message: String, code: Int32, ownData: Bool, namingRank: Bool = true) -> Never {
        if !ownData && !isLeader { sleep(5) }
        StandardStreams.writeDiagnostic("gmm: error: " + (namingRank ? "rank \(rank) of \(size): " : "") + message + "\n")
        #if MPI
        MPI_Abort(gmm_mpi_comm_world(), code)
        #endif
        exit(code)
    }

    /// Rank 0 calls `body` with every process's `values`, in rank order (its own first), one at
    /// a time, so that it holds at most one other process's part; the other processes send
    /// theirs and return. Without MPI, `body(values)`.
    static func forEachPart(_ values: [Double], _ body: ([Double]) throws -> Void) throws {
        #if MPI
        guard isDistributed else { return try body(values) }
        if isLeader {
            try body(values)
            for p in 1..<size {
                var count: Int64 = 0
                _ = MPI_Recv(&count, 8, gmm_mpi_byte(), Int32(p), 11, gmm_mpi_comm_world(), gmm_mpi_status_ignore())
                var part = [Double](repeating: 0, count: Int(count))
                if count > 0 {
                    _ = MPI_Recv(&part, Int32(count), gmm_mpi_double(), Int32(p), 12, gmm_mpi_comm_world(), gmm_mpi_status_ignore())
                }
                try body(part)
            }
        } else {
            var count = Int64(values.count)
            _ = MPI_Send(&count, 8, gmm_mpi_byte(), 0, 11, gmm_mpi_comm_world())
            if count > 0 { _ = MPI_Send(values, Int32(count), gmm_mpi_double(), 0, 12, gmm_mpi_comm_world()) }
        }
        #else
        try body(values)
        #endif
    }

    /// One thing every process must hold alike: `value`, compared by its hash, and how a
    /// disagreement names it after "rank R" (`has --components 3`, `reads 6000 rows in a.npy`),
    /// which may say more than the value (a path, which may differ between hosts).
    struct Fact {
        let value: String
        let phrase: String
    }

    /// The facts an agreement compares at most: every exchange sends this many, whatever its
    /// stage and command, so that processes at different stages or running different
    /// subcommands still meet in the same call.
    static let agreementSlots = 32

    /// Stops every process, with one message and `code`, unless all hold the same `facts` at
    /// `stage` (`options`, `data`, ...); returns at once on one process (no MPI call, nothing
    /// computed). Before any other collective of a command: processes that were launched with
    /// different options, or read different data (an MPMD launch, a stale copy of a file on one
    /// host), would otherwise trap or wait forever in the sums, or fit a data set that is no
    /// file's rows.
    ///
    /// One elementwise maximum (``Reducer/maximum(_:)``, an `MPI_Allreduce`) of a fixed number
    /// of doubles: the 64-bit FNV-1a hash of each fact's value, in two 32-bit halves, and their
    /// negations (so the minima come with the maxima). Where maximum and minimum differ, one
    /// gather (``Reducer/gather(_:)``) of each process's hash and phrase of the first such fact,
    /// so that every process composes the same message: the first rank whose value is not rank
    /// 0's, and rank 0's (`the processes disagree: rank 1 has --components 3, rank 0 has
    /// --components 2; ADVICE`). Rank 0 reports it and aborts the job
    /// (``fail(_:code:ownData:namingRank:)``).
    static func agree(_ stage: String, _ facts: @autoclosure () -> [Fact], code: Int32, advice: String) {
        guard isDistributed else { return }
        let all = [Fact(value: "agreement 1, " + stage, phrase: "checks its \(stage)")] + facts()
        precondition(all.count <= agreementSlots, "more facts than agreement slots")
        let hashes = all.map { fnv1a($0.value) }
        let slots = agreementSlots
        var extremes = [Double](repeating: 0, count: 4 * slots)
        for (i, h) in hashes.enumerated() {
            extremes[2 * i] = Double(h >> 32)
            extremes[2 * i + 1] = Double(h & 0xffff_ffff)
            extremes[2 * slots + 2 * i] = -extremes[2 * i]
            extremes[2 * slots + 2 * i + 1] = -extremes[2 * i + 1]
        }
        reducer.maximum(&extremes)
        guard let slot = (0..<slots).first(where: {
            extremes[2 * $0] != -extremes[2 * slots + 2 * $0] || extremes[2 * $0 + 1] != -extremes[2 * slots + 2 * $0 + 1]
        }) else { return }
        // Each process's hash of that fact (its two halves) and phrase (its UTF-8 bytes), a value each.
        let hash = slot < hashes.count ? hashes[slot] : 0
        let phrase = slot < all.count ? all[slot].phrase : "runs another version of gmm"
        let records = reducer.gather([Double(hash >> 32), Double(hash & 0xffff_ffff)] + phrase.utf8.map(Double.init))
        func hashOf(_ r: Int) -> ArraySlice<Double> { records[r].prefix(2) }
        func phraseOf(_ r: Int) -> String { String(decoding: records[r].dropFirst(2).map { UInt8($0) }, as: UTF8.self) }
        let other = (1..<size).first { hashOf($0) != hashOf(0) } ?? 1
        fail("the processes disagree: rank \(other) \(phraseOf(other)), rank 0 \(phraseOf(0)); \(advice)",
             code: code, ownData: false, namingRank: false)
    }

    /// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    #if !MPI
    static func start() {}
    static func finish() {}
    #endif
}

#if MPI
extension Cluster {
    /// MPI_Init, once, before any command runs.
    static func start() {
        var argc: Int32 = 0
        MPI_Init(&argc, nil)
        var r: Int32 = 0, s: Int32 = 1
        MPI_Comm_rank(gmm_mpi_comm_world(), &r)
        MPI_Comm_size(gmm_mpi_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
        if size > 1 { reducer = MPIReducer(rank: rank, size: size) }
    }

    /// MPI_Finalize, once, after the command.
    static func finish() {
        MPI_Finalize()
    }
}

/// Sums, maxima and gathers across the processes of `MPI_COMM_WORLD`. A sum runs up a fixed
/// binary tree over the ranks (at step `s`, rank `r` with `r mod 2s = 0` adds rank `r + s`'s
/// partial sum after its own), then rank 0's total is broadcast: every process gets the same
/// bits, whatever algorithm Open MPI would pick for an `MPI_Allreduce` (which may add in
/// different orders on different processes and so let them take different branches), and each
/// process sends and receives at most `2·log2(P)` messages of the values' size.
final class MPIReducer: Reducer {
    let rank: Int
    let size: Int

    init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    func sum(_ values: inout [Double]) {
        guard !values.isEmpty else { return }
        values = combine(values) { own, partner in zip(own, partner).map { $0 + $1 } }
    }

    /// Up the tree over the ranks: rank `r` joins its run's values with those of the run of rank
    /// `r + s` (which follows it), then rank 0's result is broadcast. Each message is a length,
    /// then the values. ``sum(_:)`` is this join with elementwise addition.
    func combine(_ values: [Double], _ merge: ([Double], [Double]) -> [Double]) -> [Double] {
        var result = values
        var step = 1
        while step < size {
            if rank % (2 * step) == step {
                var count = Int64(result.count)
                _ = MPI_Send(&count, 8, gmm_mpi_byte(), Int32(rank - step), 8, gmm_mpi_comm_world())
                if count > 0 { _ = MPI_Send(result, Int32(count), gmm_mpi_double(), Int32(rank - step), 9, gmm_mpi_comm_world()) }
                break
            }
            if rank + step < size {
                result = merge(result, receive(from: rank + step))
            }
            step *= 2
        }
        var count = Int64(result.count)
        _ = MPI_Bcast(&count, 8, gmm_mpi_byte(), 0, gmm_mpi_comm_world())
        if rank != 0 { result = [Double](repeating: 0, count: Int(count)) }
        if count > 0 { _ = MPI_Bcast(&result, Int32(count), gmm_mpi_double(), 0, gmm_mpi_comm_world()) }
        return result
    }

    private func receive(from source: Int) -> [Double] {
        var count: Int64 = 0
        _ = MPI_Recv(&count, 8, gmm_mpi_byte(), Int32(source), 8, gmm_mpi_comm_world(), gmm_mpi_status_ignore())
        var values = [Double](repeating: 0, count: Int(count))
        if count > 0 {
            _ = MPI_Recv(&values, Int32(count), gmm_mpi_double(), Int32(source), 9, gmm_mpi_comm_world(), gmm_mpi_status_ignore())
        }
        return values
    }

    func maximum(_ values: inout [Double]) {
        guard !values.isEmpty else { return }
        var result = values
        values.withUnsafeBufferPointer { send in
            result.withUnsafeMutableBufferPointer { receive in
                _ = MPI_Allreduce(send.baseAddress, receive.baseAddress, Int32(send.count), gmm_mpi_double(),
                                  gmm_mpi_max(), gmm_mpi_comm_world())
            }
        }
        values = result
    }

    func gather(_ values: [Double]) -> [[Double]] {
        var counts = [Int32](repeating: 0, count: size)
        var mine = Int32(values.count)
        _ = MPI_Allgather(&mine, 1, gmm_mpi_int(), &counts, 1, gmm_mpi_int(), gmm_mpi_comm_world())
        var offsets = [Int32](repeating: 0, count: size)
        for p in 1..<max(1, size) { offsets[p] = offsets[p - 1] + counts[p - 1] }
        let total = Int(offsets[size - 1] + counts[size - 1])
        var all = [Double](repeating: 0, count: max(1, total))
        var send = values.isEmpty ? [0.0] : values
        send.withUnsafeMutableBufferPointer { sendBuffer in
            all.withUnsafeMutableBufferPointer { receive in
                _ = MPI_Allgatherv(sendBuffer.baseAddress, mine, gmm_mpi_double(), receive.baseAddress, &counts, &offsets,
                                   gmm_mpi_double(), gmm_mpi_comm_world())
            }
        }
        return (0..<size).map { p in Array(all[Int(offsets[p])..<Int(offsets[p] + counts[p])]) }
    }
}
#endif
