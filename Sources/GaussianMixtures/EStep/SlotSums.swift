/// The statistics of one slot (a fixed set of chunks) about per-component shifts, on the
/// whitening and tied roads and for the initialisations; the slots are added in slot order.
final class SlotStatistics {
    var statistics: SufficientStatistics

    init(components k: Int, features d: Int) {
        statistics = SufficientStatistics(components: k, features: d, shifts: [Double](repeating: 0, count: k * d))
    }
}

/// The quadratic road's sums of one slot: `Σ_n r_nk z(x_n)` (K x M) in Double, gathered first in
/// the data's type over at most `Scalar.rowsPerFlush` rows; plus the slot's log-likelihood and
/// weight total.
final class SlotFeatureSums<Scalar: EngineScalar> {
    /// `K x M`, `Σ_n r_nk z(x_n)`, in Double.
    let featureSums: UnsafeMutablePointer<Double>
    /// The rows since the last ``flush()``, in the data's type.
    let scalarSums: UnsafeMutablePointer<Scalar>
    /// K·M.
    let count: Int
    var pendingRows = 0
    var logLikelihood = 0.0
    /// `Σ_n w_n` over the slot's rows.
    var rows = 0.0

    init(count: Int) {
        self.count = count
        featureSums = .allocate(capacity: count)
        scalarSums = .allocate(capacity: count)
    }

    /// Zeroes every sum.
    func reset() {
        featureSums.update(repeating: 0, count: count)
        scalarSums.update(repeating: 0, count: count)
        pendingRows = 0
        logLikelihood = 0
        rows = 0
    }

    /// Adds the pending sums in the data's type into the Double ones.
    func flush() {
        for i in 0..<count { featureSums[i] += Double(scalarSums[i]) }
        scalarSums.update(repeating: 0, count: count)
        pendingRows = 0
    }

    deinit {
        featureSums.deallocate()
        scalarSums.deallocate()
    }
}
