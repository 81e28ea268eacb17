/// How partial results over rows become results over the whole data set.
///
/// Rows are cut into chunks on one grid over the global rows (``ChunkSchedule``), and the
/// chunks' sums are added in a binary tree over the chunk indices (``ChunkTree``) that the grid
/// alone fixes, so any thread count gives the same bits. The data of one fit may also be spread
/// over several processes (`mpirun -np P gmm fit`), each holding one contiguous block of the
/// rows; each process then adds the tree's nodes that lie wholly in its block, and the processes'
/// nodes are joined, through the data's reducer, in the same tree: when every block starts at a
/// multiple of ``rowBlockAlignment`` rows, P processes give the bits of one. Every sum, maximum
/// or choice over rows in the engine ends in one call on the data's reducer
/// (``DataView/reducer``), which is where a distributed fit plugs in: the single-process reducer
/// leaves its arguments as they are.
///
/// The values exchanged: the chunk tree's nodes (a gather) for every sum of real numbers over
/// rows (the E-step's sufficient statistics and log-likelihood, the quadratic road's `K x M`
/// feature sums, the data's column sums, k-means' centroid sums and seeding potentials, the
/// weights' total); sums of counts, which are exact in any order, by ``Reducer/sum(_:)``; the
/// chunk totals of the k-means++ running sums; the k-means++ candidates' rows from their owners,
/// each process's candidates for the re-seeding and empty-cluster arg-max, and the sizes of the
/// blocks (gathers).
///
/// Every process must get the same bits from every call (the fit takes the same branches on
/// all of them): an implementation adds the processes' values in an order fixed by their ranks
/// (a fixed tree, say), not in an order its transport chooses.
///
/// A reducer is a class: views of data hold it unowned, so that they stay plain values that hot
/// loops copy for free, and whoever makes the views keeps the reducer alive.
public protocol Reducer: AnyObject, Sendable {
    /// This process's place among the processes (0-based) and their number.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` by their elementwise sum over every process holding part of the data,
    /// added in an order that depends on the ranks alone; every process gets the same bits.
    func sum(_ values: inout [Double])
    /// Replaces `values` by their elementwise maximum over every process.
    func maximum(_ values: inout [Double])
    /// Every process's `values` (their lengths may differ), in process order.
    func gather(_ values: [Double]) -> [[Double]]
    /// Every process's `values` joined by `merge`, where `merge(a, b)` joins the values of a run
    /// of processes with those of the run right after it, and any grouping of neighbouring runs
    /// gives the same result (the chunk tree's frontiers): the same bits on every process.
    /// Defaults to a gather folded in process order; a reducer may join pairs up a tree over the
    /// processes instead, so that no process receives every process's values.
    func combine(_ values: [Double], _ merge: ([Double], [Double]) -> [Double]) -> [Double]
}

/// Blocks of rows whose first global rows are multiples of this give every sum over rows the
/// same bits as one process holding all the rows (the chunk sizes divide it).
public let rowBlockAlignment = 4096

/// The reducer of data held wholly by this process: every value is already the total.
public final class SingleProcess: Reducer {
    /// The one instance, which every view of data held by one process uses.
    public static let shared = SingleProcess()

    private init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: inout [Double]) {}
    public func maximum(_ values: inout [Double]) {}
    public func gather(_ values: [Double]) -> [[Double]] { [values] }
}

extension Reducer {
    public func combine(_ values: [Double], _ merge: ([Double], [Double]) -> [Double]) -> [Double] {
        let parts = size > 1 ? gather(values) : [values]
        return parts.dropFirst().reduce(parts[0], merge)
    }

    /// The sum of one value over every process.
    func total(_ value: Double) -> Double {
        var values = [value]
        sum(&values)
        return values[0]
    }

    /// The sum of `value` over the processes before this one (0 on the first).
    func exclusivePrefixSum(_ value: Double) -> Double {
        guard size > 1 else { return 0 }
        return gather([value])[0..<rank].reduce(0) { $0 + $1[0] }
    }
}

/// Where this process's rows sit among all the rows of a fit: its block starts at global row
/// `first`, and the blocks of all processes, in process order, hold `total` rows.
struct RowBlocks {
    /// First global row of each process's block, and one past the last row at the end.
    let starts: [Int]

    init(rows: Int, reducer: any Reducer) {
        let counts = reducer.gather([Double(rows)]).map { Int($0[0]) }
        var starts = [0]
        for c in counts { starts.append(starts[starts.count - 1] + c) }
        self.starts = starts
    }

    var total: Int { starts[starts.count - 1] }

    /// The process holding global row `row`.
    func owner(of row: Int) -> Int {
        var p = 0
        while p + 1 < starts.count - 1 && starts[p + 1] <= row { p += 1 }
        return p
    }
}
