/// How partial results over rows become results over the whole data set.
///
/// Within a process, rows are cut into chunks on a fixed grid and dealt to slots that are
/// added in slot order (``ChunkSchedule``), so any thread count gives the same bits. The data
/// of one fit may also be spread over several processes; then each process's totals must be
/// combined with the others'. Every sum, maximum or choice over rows in the engine ends in one
/// call on the data's reducer (``DataView/reducer``), which is where a distributed fit plugs in:
/// the single-process reducer leaves its arguments as they are.
///
/// The values exchanged, for each sum over rows: the E-step's sufficient statistics and
/// log-likelihood (``SufficientStatistics/packed``), the quadratic road's `K x M` feature sums,
/// the data's column sums, spreads and row counts (``QuadraticFeatures``, ``checkScale(_:)``),
/// and k-means' centroid sums, counts and seeding potentials.
protocol Reducer: AnyObject, Sendable {
    /// Replaces `values` by their elementwise sum over every process holding part of the data.
    func sum(_ values: inout [Double])
    /// Replaces `values` by their elementwise maximum over every process.
    func maximum(_ values: inout [Double])
}

/// The reducer of data held wholly by this process: every value is already the total.
final class SingleProcess: Reducer {
    /// The one instance, which every view of data held by one process uses.
    static let shared = SingleProcess()

    func sum(_ values: inout [Double]) {}
    func maximum(_ values: inout [Double]) {}
}
