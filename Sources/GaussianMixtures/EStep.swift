import Foundation

import VectorMath

/// The fast path: the E-step and the sufficient statistics on BLAS, in parallel chunks.
///
/// Each iteration takes one of two roads, chosen from the model (see ``QuadraticFeatures``):
///
/// - **Quadratic features** (the usual one): per chunk, the log joint densities of all K
///   components are one GEMM over the features `z(x) = [x̃ x̃ᵀ, x̃, 1]`, and the statistics of
///   all K components one more GEMM, `Rᵀ Z`. About `2·N·K·D²` flops per iteration in all.
/// - **Whitening** (taken when the quadratic road could lose digits): one GEMM computes the
///   whitened rows for all K components at once, `Y = X_c P` with `P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]`
///   (D x K·D), then
///
///       log w_k + log N(x | μ_k, Σ_k) = log w_k - ½ log|Σ_k| - (D/2) log 2π - ½ ‖y_k - L_k⁻¹ μ_k‖²
///
///   and the statistics of component k come from one `dsyrk` over the chunk weighted by
///   `√r_nk` and centred on `c_k`. About `3·N·K·D²` flops.
///
/// On both roads the log-sum-exp over components (shifted by the row maximum before any `exp`)
/// and the responsibilities are `gmm_normalize_rows` (VectorMath, vectorised exp). Memory beyond
/// the data is one chunk's scratch per worker thread plus one set of sums per slot; no N x K
/// matrix is ever held.
struct BLASKernel: EMKernel {
    let data: DataView
    let components: Int
    let threads: Int
    let schedule: ChunkSchedule
    let quadratic: QuadraticFeatures
    /// Whether the quadratic road runs fused in one pass per chunk (`gmm_fused_quadratic_chunk`:
    /// AVX2, K·M small enough for its sums to stay in cache) instead of as two GEMMs.
    let fused: Bool
    private let scratch: [ChunkScratch]
    private let slots: [SlotSums]

    static func choleskyLower(_ a: [Double], dimension: Int) -> [Double]? {
        var l = a
        return LAPACK.choleskyLower(&l, dimension: dimension) ? l : nil
    }

    static func invertLower(_ l: [Double], dimension: Int) -> [Double]? {
        var inverse = l
        return LAPACK.invertLowerTriangular(&inverse, dimension: dimension) ? inverse : nil
    }

    init(data: DataView, components: Int, threads: Int, chunkRows: Int?) {
        self.data = data
        self.components = components
        self.threads = max(1, threads)
        let d = data.columns, k = components
        let quadratic = QuadraticFeatures(data: data)
        self.quadratic = quadratic
        let fused = gmm_vector_math_uses_avx2() != 0 && d <= 64 && k * quadratic.count <= Int(GMM_FUSED_MAX_TERMS)
        self.fused = fused
        let rowsPerChunk = chunkRows ?? ChunkSchedule.defaultChunkRows(components: k, features: d)
        let slotBytes = 8 * (k + k * d + k * d * d + k * quadratic.count)
        let schedule = ChunkSchedule(rows: data.rows, chunkRows: rowsPerChunk,
                                     maxSlots: ChunkSchedule.defaultMaxSlots(bytesPerSlot: slotBytes))
        self.schedule = schedule
        scratch = (0..<workerCount(schedule, threads: self.threads)).map { _ in
            ChunkScratch(chunkRows: schedule.chunkRows, components: k, features: d, quadraticFeatures: quadratic.count)
        }
        slots = (0..<schedule.slots).map { _ in
            SlotSums(components: k, features: d, quadraticFeatures: quadratic.count, lanes: 4)
        }
    }

    func expectation(_ model: GaussianMixture) -> SufficientStatistics {
        expectation(model, road: nil)
    }

    /// The roads of the E-step; tests take each on purpose.
    enum Road {
        /// Quadratic features, fused kernel (needs AVX2).
        case fused
        /// Quadratic features, two GEMMs.
        case quadratic
        case whitening
    }

    /// The E-step on `road`, or on the road the model's conditioning allows when `road` is nil.
    /// `.fused` and `.quadratic` force that road even where ``QuadraticFeatures`` would refuse it.
    func expectation(_ model: GaussianMixture, road: Road?) -> SufficientStatistics {
        let forced = road == .fused || road == .quadratic
        let limit = forced ? Double.infinity : QuadraticFeatures.conditionLimit
        if road != .whitening, let theta = quadratic.coefficients(of: model, limit: limit) {
            return quadraticExpectation(theta, fused: road.map { $0 == .fused } ?? fused)
        }
        let shifts = model.means.values
        return reduce(shifts: shifts) { scratch, stats, rows in
            stats.logLikelihood += logJointAndNormalize(model, rows: rows, scratch: scratch, logLikelihoodsOut: nil)
            accumulate(rows: rows, responsibilities: scratch.responsibilities, scratch: scratch, into: &stats)
        }
    }

    /// The quadratic-feature road: per chunk `Z`, `V = Z Θ`, normalise `V` into `R`, add `Rᵀ Z`
    /// (fused in one pass over the chunk when ``fused``, else two GEMMs).
    private func quadraticExpectation(_ theta: [Double], fused: Bool) -> SufficientStatistics {
        let k = components, m = quadratic.count, d = data.columns
        let lanes = fused ? 4 : 1
        for slot in slots {
            slot.featureSums.update(repeating: 0, count: lanes * k * m)
            slot.logLikelihood = 0
            slot.rows = 0
        }
        theta.withUnsafeBufferPointer { theta in
            quadratic.center.withUnsafeBufferPointer { center in
                LAPACK.withSingleThreadedBLAS {
                    forEachChunk(schedule, threads: threads) { worker, slot, rows in
                        let s = scratch[worker], sums = slots[slot], n = rows.count
                        if fused {
                            sums.logLikelihood += gmm_fused_quadratic_chunk(
                                data.row(rows.lowerBound), n, d, center.baseAddress!, theta.baseAddress!, k,
                                sums.featureSums, s.fusedBlocks)
                        } else {
                            quadratic.fill(data, rows: rows, into: s.features, scratch: s.weightedRows)
                            LAPACK.gemm(m: n, n: k, k: m, a: s.features, lda: m, b: theta.baseAddress!, ldb: k,
                                        c: s.responsibilities, ldc: k)
                            sums.logLikelihood += gmm_normalize_rows(s.responsibilities, n, k, nil)
                            LAPACK.gemm(m: k, n: m, k: n, a: s.responsibilities, lda: k, transposeA: true,
                                        b: s.features, ldb: m, beta: 1, c: sums.featureSums, ldc: m)
                        }
                        sums.rows += n
                    }
                }
            }
        }
        let total = UnsafeMutablePointer<Double>.allocate(capacity: k * m)
        defer { total.deallocate() }
        total.update(repeating: 0, count: k * m)
        var logLikelihood = 0.0, rows = 0
        for slot in slots {
            for i in 0..<(k * m) {
                for lane in 0..<lanes { total[i] += slot.featureSums[i * lanes + lane] }
            }
            logLikelihood += slot.logLikelihood
            rows += slot.rows
        }
        var stats = quadratic.statistics(from: total, components: k)
        stats.logLikelihood = logLikelihood
        stats.sampleCount = Double(rows)
        return stats
    }

    func statistics(of source: ResponsibilitySource, shifts: [Double]) -> SufficientStatistics {
        let lookup = source.seedLookup
        let k = components
        return reduce(shifts: shifts) { scratch, stats, rows in
            let r = scratch.responsibilities
            for (i, row) in rows.enumerated() {
                source.fill(row: row, components: k, into: r + i * k, seedLookup: lookup)
            }
            accumulate(rows: rows, responsibilities: r, scratch: scratch, into: &stats)
        }
    }

    /// Per-row log-likelihoods `log p(x_n)` (into `logLikelihoods`, length N) and, when
    /// `responsibilities` is given, the N x K posterior matrix (the caller asked for it).
    /// Always on the whitening road: scoring is done once, so its accuracy comes first.
    func score(_ model: GaussianMixture, logLikelihoods: UnsafeMutablePointer<Double>,
               responsibilities: UnsafeMutablePointer<Double>?) {
        let out = UnsafeTransfer((logLikelihoods, responsibilities))
        let k = components
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { worker, _, rows in
                let s = scratch[worker]
                _ = logJointAndNormalize(model, rows: rows, scratch: s,
                                         logLikelihoodsOut: out.wrappedValue.0 + rows.lowerBound)
                if let r = out.wrappedValue.1 {
                    (r + rows.lowerBound * k).update(from: s.responsibilities, count: rows.count * k)
                }
            }
        }
    }

    /// Runs `body` on every chunk with its worker's scratch and its slot's statistics, then sums
    /// the slots in slot order.
    private func reduce(shifts: [Double],
                        _ body: (ChunkScratch, inout SufficientStatistics, Range<Int>) -> Void) -> SufficientStatistics {
        let d = data.columns, k = components
        for slot in slots {
            slot.statistics = SufficientStatistics(components: k, features: d, shifts: shifts)
        }
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { worker, slot, rows in
                let sums = slots[slot]
                body(scratch[worker], &sums.statistics, rows)
                sums.statistics.sampleCount += Double(rows.count)
            }
        }
        var total = SufficientStatistics(components: k, features: d, shifts: shifts)
        for slot in slots { total.add(slot.statistics) }
        return total
    }

    /// Whitening road: fills `scratch.responsibilities` with `r_nk` for the rows of one chunk and
    /// returns `Σ_n log p(x_n)` over them; writes each `log p(x_n)` to `logLikelihoodsOut` if given.
    private func logJointAndNormalize(_ model: GaussianMixture, rows: Range<Int>, scratch: ChunkScratch,
                                      logLikelihoodsOut: UnsafeMutablePointer<Double>?) -> Double {
        let d = data.columns, k = components, kd = k * d, n = rows.count
        let y = scratch.whitened
        let r = scratch.responsibilities
        model.precisionFactors.withUnsafeBufferPointer { p in
            LAPACK.gemm(m: n, n: kd, k: d, a: data.row(rows.lowerBound), lda: d,
                        b: p.baseAddress!, ldb: kd, c: y, ldc: kd)
        }
        model.whitenedMeans.withUnsafeBufferPointer { b in
            model.logNormalizers.withUnsafeBufferPointer { normalizer in
                for i in 0..<n {
                    let yi = y + i * kd
                    let ri = r + i * k
                    for c in 0..<k {
                        let yc = yi + c * d
                        let bc = b.baseAddress! + c * d
                        var squares = 0.0
                        for j in 0..<d {
                            let t = yc[j] - bc[j]
                            squares += t * t
                        }
                        ri[c] = normalizer[c] - 0.5 * squares
                    }
                }
            }
        }
        return gmm_normalize_rows(r, n, k, logLikelihoodsOut)
    }

    /// Whitening road: adds the statistics of one chunk with responsibilities `r` (n x K) to `stats`.
    private func accumulate(rows: Range<Int>, responsibilities r: UnsafeMutablePointer<Double>,
                            scratch: ChunkScratch, into stats: inout SufficientStatistics) {
        let d = data.columns, k = components, n = rows.count
        let w = scratch.weightedRows
        let x = data.row(rows.lowerBound)
        stats.shifts.withUnsafeBufferPointer { shifts in
            stats.centeredSums.withUnsafeMutableBufferPointer { sums in
                stats.centeredScatter.withUnsafeMutableBufferPointer { scatter in
                    for c in 0..<k {
                        let shift = shifts.baseAddress! + c * d
                        let sum = sums.baseAddress! + c * d
                        var weight = 0.0
                        for i in 0..<n {
                            let rc = r[i * k + c]
                            weight += rc
                            let root = rc.squareRoot()
                            let xi = x + i * d
                            let wi = w + i * d
                            for j in 0..<d {
                                let t = xi[j] - shift[j]
                                wi[j] = root * t
                                sum[j] += rc * t
                            }
                        }
                        stats.weightSums[c] += weight
                        if weight > 0 {
                            LAPACK.addGramLower(rows: n, n: d, a: w, lda: d, c: scatter.baseAddress! + c * d * d)
                        }
                    }
                }
            }
        }
    }
}

/// Scratch memory of one worker thread for one chunk at a time, allocated once per kernel.
final class ChunkScratch {
    /// `chunkRows x K·D`: the whitened rows `Y` (whitening road).
    let whitened: UnsafeMutablePointer<Double>
    /// `chunkRows x M`: the quadratic features `Z` (quadratic road).
    let features: UnsafeMutablePointer<Double>
    /// `chunkRows x K`: log joint densities, then responsibilities.
    let responsibilities: UnsafeMutablePointer<Double>
    /// `chunkRows x D`: `√r_nk (x_n - c_k)` for one component at a time; one row of it is also
    /// the centred row while filling `Z`.
    let weightedRows: UnsafeMutablePointer<Double>
    /// `32 x (M + K)`, 32-byte aligned: the fused road's features and responsibilities of 32 rows.
    let fusedBlocks: UnsafeMutablePointer<Double>

    init(chunkRows: Int, components k: Int, features d: Int, quadraticFeatures m: Int) {
        fusedBlocks = allocateAligned(32 * (m + k))
        whitened = .allocate(capacity: chunkRows * k * d)
        features = .allocate(capacity: chunkRows * m)
        responsibilities = .allocate(capacity: chunkRows * k)
        weightedRows = .allocate(capacity: chunkRows * d)
    }

    deinit {
        whitened.deallocate()
        features.deallocate()
        responsibilities.deallocate()
        weightedRows.deallocate()
        UnsafeMutableRawPointer(fusedBlocks).deallocate()
    }
}

/// The running sums of one slot (a fixed set of chunks), reduced in slot order at the end.
final class SlotSums {
    /// Whitening road and initialisation: the statistics about per-component shifts.
    var statistics: SufficientStatistics
    /// Quadratic road: `K x M`, `Σ_n r_nk z(x_n)`, each entry as `lanes` partial sums
    /// (4 on the fused road, whose rows add to lane `row mod 4`), 32-byte aligned.
    let featureSums: UnsafeMutablePointer<Double>
    var logLikelihood = 0.0
    var rows = 0

    init(components k: Int, features d: Int, quadraticFeatures m: Int, lanes: Int) {
        statistics = SufficientStatistics(components: k, features: d, shifts: [Double](repeating: 0, count: k * d))
        featureSums = allocateAligned(lanes * k * m)
    }

    deinit { UnsafeMutableRawPointer(featureSums).deallocate() }
}

/// `count` doubles at a 32-byte boundary (AVX loads); free with `UnsafeMutableRawPointer(p).deallocate()`.
private func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Double> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 8, alignment: 32)
        .bindMemory(to: Double.self, capacity: max(1, count))
}
