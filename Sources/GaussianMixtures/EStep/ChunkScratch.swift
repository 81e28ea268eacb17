import Foundation
import CGaussianMixturesKernels

/// Scratch memory of one worker thread for one chunk at a time, allocated once per kernel.
final class ChunkScratch<Scalar: EngineScalar> {
    /// `chunkRows x K·D`: the whitened rows `Y` (whitening road).
    let whitened: UnsafeMutablePointer<Scalar>
    /// `chunkRows x M`: the quadratic features `Z` (quadratic road, GEMMs).
    let features: UnsafeMutablePointer<Scalar>
    /// `chunkRows x K`: the log joint densities `Z Θ` (quadratic road, GEMMs).
    let logJoint: UnsafeMutablePointer<Scalar>
    /// `chunkRows x K`: `w_n r_nk` in the data's type, the left factor of the statistics GEMM.
    let weightedResponsibilities: UnsafeMutablePointer<Scalar>
    /// `chunkRows x K`: log joint densities, then responsibilities, in Double.
    let responsibilities: UnsafeMutablePointer<Double>
    /// `chunkRows`: `log p(x_n)` of the chunk's rows (for weighting them).
    let rowLogLikelihoods: UnsafeMutablePointer<Double>
    /// `chunkRows x D`: the chunk's rows centred on a mean or on the data's centre.
    let centred: UnsafeMutablePointer<Scalar>
    /// `chunkRows x D`: `√(w_n r_nk) (x_n - c_k)` for one component at a time, for its `syrk`.
    let weightedRows: UnsafeMutablePointer<Scalar>
    /// `K x M`: `Rᵀ Z` of the last ``pendingRows`` rows of a leaf, in the data's type (quadratic
    /// road, GEMMs, float32).
    let featureSums: UnsafeMutablePointer<Scalar>
    /// The rows summed into ``featureSums`` since they last moved into the leaf's Double sums.
    var pendingRows = 0

    /// Moves ``featureSums`` (`count` values) into a leaf's Double `sums`, if it holds any rows.
    func widen(into sums: UnsafeMutablePointer<Double>, count: Int) {
        guard pendingRows > 0 else { return }
        for i in 0..<count { sums[i] += Double(featureSums[i]) }
        pendingRows = 0
    }
    /// `K x D`: the tied road's `Rᵀ X̃` for the chunk.
    let tiedSums: UnsafeMutablePointer<Scalar>
    /// `D x D`: one component's weighted Gram matrix for the chunk.
    let gram: UnsafeMutablePointer<Scalar>
    /// The fused kernel's lanes for this scratch's chunks (``EngineScalar/fusedLanes(chunkRows:)``).
    let lanes: Int
    /// `lanes x K x M`: the fused kernel's sums, 64-byte aligned, zero between folds: a leaf's
    /// chunks add to them and ``foldLanes(into:count:)`` moves them into the leaf's Double sums
    /// at its end, or sooner in float32 (``EngineScalar/rowsBeforeFoldingLanes(_:)``).
    let laneSums: UnsafeMutablePointer<Scalar>
    /// The rows summed into ``laneSums`` since they last folded.
    var laneRows = 0

    /// Adds ``laneSums`` (`lanes x count`), lanes folded, into `sums` and zeroes them, if they
    /// hold any rows. Folding once per leaf, not once per chunk: the fold and the zeroing were
    /// 6.4 % of a dense float64 W1 iteration (256-row chunks, K·M·8 = 19,584 values each).
    func foldLanes(into sums: UnsafeMutablePointer<Double>, count: Int) {
        guard laneRows > 0 else { return }
        Scalar.foldLanes(laneSums, lanes: lanes, count: count, into: sums)
        laneSums.update(repeating: 0, count: lanes * count)
        laneRows = 0
    }
    /// The fused kernel's features and responsibilities of one sub-chunk, 64-byte aligned.
    let fusedBlocks: UnsafeMutablePointer<Scalar>
    /// `chunkRows x D` and `chunkRows`: rows of the chunk copied together with their weights
    /// (the pruned road's held rows, then the rows it evaluates in full).
    let gathered: UnsafeMutablePointer<Scalar>
    let gatheredWeights: UnsafeMutablePointer<Double>
    /// `chunkRows` each: the chunk's rows (indices within the chunk) the pruned road holds to one
    /// component, and the rest.
    let heldRows: UnsafeMutablePointer<Int32>
    let fullRows: UnsafeMutablePointer<Int32>
    /// `chunkRows` each: per row evaluated in full, its leading component and the others'
    /// `Σ exp(ℓ_k - ℓ_best)` (``PruningState``).
    let best: UnsafeMutablePointer<Int32>
    let others: UnsafeMutablePointer<Double>
    /// `M + 4D + 16 + chunkRows`: one held row's centred values and features, padded, or four
    /// rows' centred values and the chunk's order by component for wide rows (``gmm_held_rows``).
    let heldScratch: UnsafeMutablePointer<Double>

    init(chunkRows: Int, components k: Int, features d: Int, quadraticFeatures m: Int) {
        let lanes = Scalar.fusedLanes(chunkRows: chunkRows)
        self.lanes = lanes
        whitened = .allocate(capacity: chunkRows * k * d)
        features = .allocate(capacity: chunkRows * m)
        logJoint = .allocate(capacity: chunkRows * k)
        weightedResponsibilities = .allocate(capacity: chunkRows * k)
        responsibilities = .allocate(capacity: chunkRows * k)
        rowLogLikelihoods = .allocate(capacity: chunkRows)
        centred = .allocate(capacity: chunkRows * d)
        weightedRows = .allocate(capacity: chunkRows * d)
        featureSums = .allocate(capacity: k * m)
        tiedSums = .allocate(capacity: k * d)
        gram = .allocate(capacity: d * d)
        laneSums = allocateAligned(lanes * k * m)
        laneSums.initialize(repeating: 0, count: lanes * k * m)
        fusedBlocks = allocateAligned(Int(GMM_FUSED_BLOCKS) * lanes * (m + k))
        gathered = .allocate(capacity: chunkRows * d)
        gatheredWeights = .allocate(capacity: chunkRows)
        heldRows = .allocate(capacity: chunkRows)
        fullRows = .allocate(capacity: chunkRows)
        best = .allocate(capacity: chunkRows)
        others = .allocate(capacity: chunkRows)
        heldScratch = .allocate(capacity: m + 4 * d + 16 + chunkRows)
    }

    deinit {
        whitened.deallocate()
        features.deallocate()
        logJoint.deallocate()
        weightedResponsibilities.deallocate()
        responsibilities.deallocate()
        rowLogLikelihoods.deallocate()
        centred.deallocate()
        weightedRows.deallocate()
        featureSums.deallocate()
        tiedSums.deallocate()
        gram.deallocate()
        UnsafeMutableRawPointer(laneSums).deallocate()
        UnsafeMutableRawPointer(fusedBlocks).deallocate()
        gathered.deallocate()
        gatheredWeights.deallocate()
        heldRows.deallocate()
        fullRows.deallocate()
        best.deallocate()
        others.deallocate()
        heldScratch.deallocate()
    }
}

/// `count` values at a 64-byte boundary (AVX-512 loads); free with `UnsafeMutableRawPointer(p).deallocate()`.
private func allocateAligned<Scalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Scalar>.stride, alignment: 64)
        .bindMemory(to: Scalar.self, capacity: max(1, count))
}
