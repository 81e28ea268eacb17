/// The sufficient statistics of one node of the ``ChunkTree`` (one chunk's rows, or a run of
/// chunks), about the per-component shifts of the whitening and tied roads and of the
/// initialisations.
final class StatisticsPartial: ChunkPartial {
    var statistics: SufficientStatistics

    init(components k: Int, features d: Int, shifts: [Double]) {
        statistics = SufficientStatistics(components: k, features: d, shifts: shifts)
    }

    func reset() { statistics.zero() }
    func add(_ other: StatisticsPartial) { statistics.add(other.statistics) }
    var packed: [Double] { statistics.packed }
    func unpack(_ values: [Double]) { statistics.unpack(values) }
}
