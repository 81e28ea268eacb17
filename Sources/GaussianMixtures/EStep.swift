import Foundation
import CGaussianMixturesKernels

/// The fast path: the E-step and the sufficient statistics on BLAS, in parallel chunks, with
/// the data and the per-row arithmetic in `Scalar` (`Double`, or `Float` for float32 fits) and
/// every sum that leaves a chunk in `Double`.
///
/// Each iteration takes one of two roads, chosen from the model (see ``QuadraticFeatures``):
///
/// - **Quadratic features** (the usual one): per chunk, the log joint densities of all K
///   components are one product with the features `z(x) = [x̃ x̃ᵀ, x̃, 1]`, and the statistics of
///   all K components one more, `Rᵀ Z`; about `2·N·K·D²` flops per iteration in all. When K·M is
///   small the whole chunk runs fused in one AVX2 kernel (`gmm_fused_quadratic_chunk`), else as
///   two GEMMs.
/// - **Whitening** (taken when the quadratic road could lose digits, and always for scoring):
///   each component whitens the rows about its own mean, `Y_k = (X - 1 μ_kᵀ) L_k⁻ᵀ` (one GEMM
///   per component, centred in `Double` before any rounding to `Scalar`), then
///
///       log w_k + log N(x | μ_k, Σ_k) = log w_k - ½ log|Σ_k| - (D/2) log 2π - ½ ‖y_k‖²
///
///   Nothing here depends on the other rows of the batch, so a row's value is a property of the
///   row and the model alone: its rounding error is of order ε times its own Mahalanobis
///   distance. The statistics of component k come from one `syrk` over the chunk weighted by
///   `√r_nk` and centred on `μ_k`; about `3·N·K·D²` flops.
///
/// On both roads the log-sum-exp over components (shifted by the row maximum before any `exp`)
/// is vectorised (CGaussianMixturesKernels). Memory beyond the data is one chunk's scratch per
/// worker thread plus one set of sums per slot; no N x K matrix is ever held.
struct BLASKernel<Scalar: EngineScalar>: EMKernel {
    let data: DataView<Scalar>
    let components: Int
    let threads: Int
    let schedule: ChunkSchedule
    let quadratic: QuadraticFeatures
    /// Whether the quadratic road runs fused (AVX2, K·M and D small enough).
    let fused: Bool
    /// `c` (the data's column means) in the data's type.
    private let center: [Scalar]
    private let scratch: [ChunkScratch<Scalar>]
    private let slots: [SlotSums<Scalar>]
    /// The tied road's `Σ_n w_n x̃_n x̃_nᵀ`, computed at its first use.
    private let tiedScatter = Cache<[Double]>()

    static func choleskyLower(_ a: [Double], dimension: Int) -> [Double]? {
        var l = a
        return LAPACK.choleskyLower(&l, dimension: dimension) ? l : nil
    }

    static func invertLower(_ l: [Double], dimension: Int) -> [Double]? {
        var inverse = l
        return LAPACK.invertLowerTriangular(&inverse, dimension: dimension) ? inverse : nil
    }

    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?) {
        self.data = data
        self.components = components
        self.threads = max(1, threads)
        let d = data.columns, k = components
        let quadratic = QuadraticFeatures(data: data, diagonal: covarianceType == .diag || covarianceType == .spherical)
        let m = quadratic.count
        self.quadratic = quadratic
        center = quadratic.center.map { Scalar($0) }
        let fused = gmm_vector_math_uses_avx2() != 0 && d <= Int(GMM_FUSED_MAX_FEATURES)
            && k * m <= Int(GMM_FUSED_MAX_TERMS)
        self.fused = fused
        // A data set shorter than one chunk is one chunk of its own length (the same schedule,
        // smaller scratch).
        let rowsPerChunk = min(max(1, data.rows),
                               chunkRows ?? ChunkSchedule.defaultChunkRows(components: k, features: d, quadraticFeatures: m))
        let slotBytes = 8 * (k + k * d + k * d * d + k * m)
        let schedule = ChunkSchedule(rows: data.rows, chunkRows: rowsPerChunk,
                                     maxSlots: ChunkSchedule.defaultMaxSlots(bytesPerSlot: slotBytes))
        self.schedule = schedule
        scratch = (0..<workerCount(schedule, threads: self.threads)).map { _ in
            ChunkScratch(chunkRows: schedule.chunkRows, components: k, features: d, quadraticFeatures: m)
        }
        slots = (0..<schedule.slots).map { _ in SlotSums(components: k, features: d, quadraticFeatures: m) }
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
        /// Tied models only: one shared whitening, see ``tiedExpectation(_:)``.
        case tied
    }

    /// The E-step on `road`, or on the road the model's conditioning allows when `road` is nil.
    /// `.fused` and `.quadratic` force that road even where ``QuadraticFeatures`` would refuse it.
    func expectation(_ model: GaussianMixture, road: Road?) -> SufficientStatistics {
        // A tied model takes the tied road where the quadratic road would not run fused (measured:
        // at D = 64, K = 32 it is 3.9x faster than the GEMMs; at D <= 16 the fused kernel is 1.6x
        // faster than it). The tied road sums a constant scatter about c, so it has the quadratic
        // road's conditioning and the same guard.
        if road == .tied || (road == nil && model.covarianceType == .tied && !fused
                             && quadratic.coefficients(of: model, limit: Scalar.quadraticConditionLimit) != nil) {
            return tiedExpectation(model)
        }
        let forced = road == .fused || road == .quadratic
        let limit = forced ? Double.infinity : Scalar.quadraticConditionLimit
        if road != .whitening, let theta = quadratic.coefficients(of: model, limit: limit) {
            return quadraticExpectation(model, theta.map { Scalar($0) }, fused: road.map { $0 == .fused } ?? fused)
        }
        let factors = model.precisionFactors.map { Scalar($0) }
        return reduce(shifts: model.means.values) { scratch, stats, rows in
            stats.logLikelihood += logJointAndNormalize(model, factors: factors, rows: rows, scratch: scratch,
                                                        logLikelihoodsOut: nil)
            accumulate(rows: rows, responsibilities: scratch.responsibilities, scratch: scratch, into: &stats)
        }
    }

    /// The tied road. All components share `Σ = L Lᵀ`, so one GEMM whitens a chunk for all of
    /// them, `Y = X̃ L⁻ᵀ`, and `log w_k + log N(x | μ_k, Σ) = a_k - ½ ‖y - L⁻¹ μ̃_k‖²`; the
    /// statistics need only `N_k` and `s_k = Σ_n r_nk x̃_n` (one GEMM `Rᵀ X̃`), because the tied
    /// M-step uses the scatter summed over components, `Σ_k S_k = Σ_n w_n x̃_n x̃_nᵀ`, which does
    /// not depend on the responsibilities: it is computed once per fit and handed over as
    /// component 0's scatter (the others' are zero; only their sum is meaningful). About
    /// `2·N·D² + 4·N·K·D` flops per iteration instead of `2·N·K·D²`.
    private func tiedExpectation(_ model: GaussianMixture) -> SufficientStatistics {
        let d = data.columns, k = components
        let whitening = WhiteningModel<Scalar>(model, center: quadratic.center)
        // P's first block is L⁻ᵀ for every component.
        let shared = (0..<(d * d)).map { whitening.factors[($0 / d) * k * d + $0 % d] }
        let shifts = (0..<k).flatMap { _ in quadratic.center }
        var stats = reduce(shifts: shifts) { scratch, stats, rows in
            let n = rows.count, y = scratch.whitened, r = scratch.responsibilities
            let centred = centre(rows, into: scratch.centred)
            shared.withUnsafeBufferPointer { p in
                Scalar.gemm(m: n, n: d, k: d, a: centred, lda: d, transposeA: false,
                            b: p.baseAddress!, ldb: d, transposeB: false, beta: 0, c: y, ldc: d)
            }
            // One whitened row serves every component: its stride between components is 0.
            logJoint(whitening, whitened: y, rowStride: d, componentStride: 0, rows: n, into: r)
            stats.logLikelihood += normalize(r, rows: rows, scratch: scratch, model: model)
            weighted(r, rows: rows, into: scratch.logJoint)
            Scalar.gemm(m: k, n: d, k: n, a: scratch.logJoint, lda: k, transposeA: true,
                        b: centred, ldb: d, transposeB: false, beta: 0, c: scratch.chunkSums, ldc: d)
            for c in 0..<k {
                for i in 0..<n { stats.weightSums[c] += Double(scratch.logJoint[i * k + c]) }
                for j in 0..<d { stats.centeredSums[c * d + j] += Double(scratch.chunkSums[c * d + j]) }
            }
        }
        let scatter = tiedScatter.value ?? {
            let computed = dataScatter()
            tiedScatter.value = computed
            return computed
        }()
        for i in 0..<(d * d) { stats.centeredScatter[i] = scatter[i] }
        return stats
    }

    /// `Σ_n w_n x̃_n x̃_nᵀ` (D x D, both triangles), the tied road's constant scatter.
    private func dataScatter() -> [Double] {
        let d = data.columns, k = components
        let stats = reduce(shifts: [Double](repeating: 0, count: k * d)) { scratch, stats, rows in
            let w = scratch.centred
            let x = data.row(rows.lowerBound)
            for i in 0..<rows.count {
                let root = data.weight(rows.lowerBound + i).squareRoot()
                for j in 0..<d { w[i * d + j] = Scalar(root * (Double(x[i * d + j]) - quadratic.center[j])) }
            }
            Scalar.gramLower(rows: rows.count, n: d, a: w, lda: d, c: scratch.gram)
            for i in 0..<d { for j in 0...i { stats.centeredScatter[i * d + j] += Double(scratch.gram[i * d + j]) } }
        }
        var scatter = Array(stats.centeredScatter.prefix(d * d))
        for i in 0..<d { for j in 0..<i { scatter[j * d + i] = scatter[i * d + j] } }
        return scatter
    }

    /// The quadratic-feature road: per chunk `Z`, `V = Z Θ`, normalise `V` into `R`, add `Rᵀ Z`
    /// (fused in one pass over the chunk, or as two GEMMs).
    private func quadraticExpectation(_ model: GaussianMixture, _ theta: [Scalar], fused: Bool) -> SufficientStatistics {
        let k = components, m = quadratic.count, d = data.columns
        let lanes = fused ? Scalar.fusedLanes : 1
        for slot in slots { slot.reset(count: k * m) }
        theta.withUnsafeBufferPointer { theta in
            center.withUnsafeBufferPointer { center in
                LAPACK.withSingleThreadedBLAS {
                    forEachChunk(schedule, threads: threads) { worker, slot, rows in
                        let s = scratch[worker], sums = slots[slot], n = rows.count
                        let x = data.row(rows.lowerBound)
                        if fused {
                            // The chunk's lane sums join the slot's sums at once.
                            s.chunkSums.update(repeating: 0, count: lanes * k * m)
                            sums.logLikelihood += Scalar.fusedQuadraticChunk(
                                x, weights: data.weights.map { $0 + rows.lowerBound }, rows: n, columns: d,
                                diagonal: quadratic.diagonal, center: center.baseAddress!, theta: theta.baseAddress!,
                                components: k, laneSums: s.chunkSums, scratch: s.fusedBlocks)
                            for i in 0..<(k * m) {
                                var t = Scalar.zero
                                for lane in 0..<lanes { t += s.chunkSums[i * lanes + lane] }
                                sums.scalarSums[i] += t
                            }
                        } else {
                            Scalar.quadraticFeatures(x, rows: n, columns: d, diagonal: quadratic.diagonal, center: center.baseAddress!,
                                                     into: s.features, scratch: s.centred)
                            Scalar.gemm(m: n, n: k, k: m, a: s.features, lda: m, transposeA: false,
                                        b: theta.baseAddress!, ldb: k, transposeB: false, beta: 0, c: s.logJoint, ldc: k)
                            for i in 0..<(n * k) { s.responsibilities[i] = Double(s.logJoint[i]) }
                            sums.logLikelihood += normalize(s.responsibilities, rows: rows, scratch: s, model: model)
                            weighted(s.responsibilities, rows: rows, into: s.logJoint)
                            Scalar.gemm(m: k, n: m, k: n, a: s.logJoint, lda: k, transposeA: true,
                                        b: s.features, ldb: m, transposeB: false, beta: 1, c: sums.scalarSums, ldc: m)
                        }
                        sums.rows += data.totalWeight(rows)
                        sums.pendingRows += n
                        if sums.pendingRows >= Scalar.rowsPerFlush { sums.flush(count: k * m) }
                    }
                }
            }
        }
        for slot in slots { slot.flush(count: k * m) }
        var total = [Double](repeating: 0, count: k * m)
        var logLikelihood = 0.0, rows = 0.0
        for slot in slots {
            for i in 0..<(k * m) { total[i] += slot.featureSums[i] }
            logLikelihood += slot.logLikelihood
            rows += slot.rows
        }
        var stats = total.withUnsafeBufferPointer { quadratic.statistics(from: $0.baseAddress!, components: k) }
        stats.logLikelihood = logLikelihood
        stats.sampleCount = rows
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

    func worstExplainedRows(_ model: GaussianMixture, count: Int) -> [Int] {
        var perRow = [Double](repeating: 0, count: data.rows)
        return perRow.withUnsafeMutableBufferPointer { buffer in
            score(model, logLikelihoods: buffer.baseAddress!, responsibilities: nil)
            return lowest(UnsafeBufferPointer(buffer), data: data, count: count)
        }
    }

    /// Per-row log-likelihoods `log p(x_n)` (into `logLikelihoods`, length N) and, when
    /// `responsibilities` is given, the N x K posterior matrix (the caller asked for it).
    /// Always on the whitening road, which centres every row on each component's own mean: a
    /// row's value does not depend on the other rows scored with it.
    func score(_ model: GaussianMixture, logLikelihoods: UnsafeMutablePointer<Double>,
               responsibilities: UnsafeMutablePointer<Double>?) {
        let out = UnsafeTransfer((logLikelihoods, responsibilities))
        let k = components
        let factors = model.precisionFactors.map { Scalar($0) }
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { worker, _, rows in
                let s = scratch[worker]
                _ = logJointAndNormalize(model, factors: factors, rows: rows, scratch: s,
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
                        _ body: (ChunkScratch<Scalar>, inout SufficientStatistics, Range<Int>) -> Void) -> SufficientStatistics {
        let d = data.columns, k = components
        for slot in slots {
            slot.statistics = SufficientStatistics(components: k, features: d, shifts: shifts)
        }
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { worker, slot, rows in
                let sums = slots[slot]
                body(scratch[worker], &sums.statistics, rows)
                sums.statistics.sampleCount += data.totalWeight(rows)
            }
        }
        var total = SufficientStatistics(components: k, features: d, shifts: shifts)
        for slot in slots { total.add(slot.statistics) }
        return total
    }

    /// Whitening road: fills `scratch.responsibilities` with `r_nk` for the rows of one chunk and
    /// returns `Σ_n w_n log p(x_n)` over them; writes each `log p(x_n)` to `logLikelihoodsOut` if given.
    /// Component k's block of `Y` is `(x_n - μ_k) L_k⁻ᵀ`: each row is centred on each mean in
    /// `Double`, so no other row and no shared centre enters its value.
    /// `factors` is the model's `P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]` in the data's type.
    private func logJointAndNormalize(_ model: GaussianMixture, factors: [Scalar], rows: Range<Int>,
                                      scratch: ChunkScratch<Scalar>, logLikelihoodsOut: UnsafeMutablePointer<Double>?) -> Double {
        let d = data.columns, k = components, kd = k * d, n = rows.count
        let y = scratch.whitened, r = scratch.responsibilities, centred = scratch.centred
        let x = data.row(rows.lowerBound)
        model.means.values.withUnsafeBufferPointer { means in
            factors.withUnsafeBufferPointer { p in
                for c in 0..<k {
                    let mean = means.baseAddress! + c * d
                    for i in 0..<n {
                        for j in 0..<d { centred[i * d + j] = Scalar(Double(x[i * d + j]) - mean[j]) }
                    }
                    Scalar.gemm(m: n, n: d, k: d, a: centred, lda: d, transposeA: false,
                                b: p.baseAddress! + c * d, ldb: kd, transposeB: false, beta: 0, c: y + c * d, ldc: kd)
                }
            }
        }
        model.logNormalizers.withUnsafeBufferPointer { normalizer in
            for i in 0..<n {
                for c in 0..<k {
                    let yc = y + i * kd + c * d
                    var squares = 0.0
                    for j in 0..<d {
                        let t = Double(yc[j])
                        squares += t * t
                    }
                    r[i * k + c] = normalizer[c] - 0.5 * squares
                }
            }
        }
        return normalize(r, rows: rows, scratch: scratch, model: model, logLikelihoodsOut: logLikelihoodsOut)
    }

    /// Writes `x_n - c` for the rows of one chunk into `out` (n x D) and returns it.
    private func centre(_ rows: Range<Int>, into out: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Scalar> {
        let d = data.columns, x = data.row(rows.lowerBound)
        center.withUnsafeBufferPointer { c in
            for i in 0..<rows.count { for j in 0..<d { out[i * d + j] = x[i * d + j] - c[j] } }
        }
        return out
    }

    /// `r_nc = a_c - ½ ‖y_nc - L_c⁻¹ (μ_c - c)‖²` for `rows` whitened rows, where `y_nc` starts at
    /// `whitened + n·rowStride + c·componentStride` (the whitening road has one block per
    /// component; the tied road one block for all).
    private func logJoint(_ model: WhiteningModel<Scalar>, whitened y: UnsafeMutablePointer<Scalar>, rowStride: Int,
                          componentStride: Int, rows n: Int, into r: UnsafeMutablePointer<Double>) {
        let d = data.columns, k = components
        model.means.withUnsafeBufferPointer { b in
            model.normalizers.withUnsafeBufferPointer { normalizer in
                for i in 0..<n {
                    for c in 0..<k {
                        let yc = y + i * rowStride + c * componentStride
                        let bc = b.baseAddress! + c * d
                        var squares = 0.0
                        for j in 0..<d {
                            let t = Double(yc[j]) - bc[j]
                            squares += t * t
                        }
                        r[i * k + c] = normalizer[c] - 0.5 * squares
                    }
                }
            }
        }
    }

    /// `w_n r_nk` for the rows of one chunk, in the data's type, for the statistics GEMM.
    private func weighted(_ r: UnsafePointer<Double>, rows: Range<Int>, into out: UnsafeMutablePointer<Scalar>) {
        let k = components
        for i in 0..<(rows.count * k) { out[i] = Scalar(r[i] * data.weight(rows.lowerBound + i / k)) }
    }

    /// Turns the chunk's log joint densities `r` (n x K) into responsibilities and returns
    /// `Σ_n w_n log p(x_n)`; writes each `log p(x_n)` to `logLikelihoodsOut` if given. A row too far
    /// from every component for any log-density to be a double (see ``FarRows``) gets
    /// `log p(x_n) = -∞` and its nearest component by Mahalanobis distance.
    private func normalize(_ r: UnsafeMutablePointer<Double>, rows: Range<Int>, scratch: ChunkScratch<Scalar>,
                           model: GaussianMixture, logLikelihoodsOut: UnsafeMutablePointer<Double>? = nil) -> Double {
        let k = components
        let far = FarRows.detach(r, rows: rows.count, components: k)
        let perRow = logLikelihoodsOut ?? scratch.rowLogLikelihoods
        var total = gmm_normalize_rows(r, rows.count, k, perRow)
        for i in far {
            FarRows.nearest(data.doubles(ofRow: rows.lowerBound + i), model: model, into: r + i * k)
            perRow[i] = -.infinity
        }
        if let weights = data.weights {
            total = 0
            for i in 0..<rows.count where weights[rows.lowerBound + i] > 0 { total += weights[rows.lowerBound + i] * perRow[i] }
        } else if !far.isEmpty {
            total = -.infinity
        }
        return total
    }

    /// Whitening road: adds the statistics of one chunk with responsibilities `r` (n x K) to `stats`.
    private func accumulate(rows: Range<Int>, responsibilities r: UnsafeMutablePointer<Double>,
                            scratch: ChunkScratch<Scalar>, into stats: inout SufficientStatistics) {
        let d = data.columns, k = components, n = rows.count
        let w = scratch.centred, gram = scratch.gram
        let x = data.row(rows.lowerBound)
        stats.shifts.withUnsafeBufferPointer { shifts in
            stats.centeredSums.withUnsafeMutableBufferPointer { sums in
                stats.centeredScatter.withUnsafeMutableBufferPointer { scatter in
                    for c in 0..<k {
                        let shift = shifts.baseAddress! + c * d
                        let sum = sums.baseAddress! + c * d
                        var weight = 0.0
                        for i in 0..<n {
                            let rc = r[i * k + c] * data.weight(rows.lowerBound + i)
                            weight += rc
                            let root = rc.squareRoot()
                            let xi = x + i * d
                            let wi = w + i * d
                            for j in 0..<d {
                                let t = Double(xi[j]) - shift[j]
                                wi[j] = Scalar(root * t)
                                sum[j] += rc * t
                            }
                        }
                        stats.weightSums[c] += weight
                        guard weight > 0 else { continue }
                        Scalar.gramLower(rows: n, n: d, a: w, lda: d, c: gram)
                        let out = scatter.baseAddress! + c * d * d
                        for i in 0..<d { for j in 0...i { out[i * d + j] += Double(gram[i * d + j]) } }
                    }
                }
            }
        }
    }
}

/// What the tied road needs of a model, in the data's type where the BLAS uses it:
/// `P = [L_k⁻ᵀ]` (D x K·D), `L_k⁻¹ (μ_k - c)` (K x D) and `log w_k - ½ log|Σ_k| - (D/2) log 2π`.
/// The rows are whitened about the data's centre `c`, which is exact enough only under the
/// quadratic road's guard (``QuadraticFeatures``); the tied road is taken only there.
struct WhiteningModel<Scalar: EngineScalar> {
    let factors: [Scalar]
    let means: [Double]
    let normalizers: [Double]

    init(_ model: GaussianMixture, center: [Double]) {
        let k = model.componentCount, d = model.featureCount, kd = k * d
        let p = model.precisionFactors  // P[a, c·D + b] = (L_c⁻¹)[b, a]
        factors = p.map { Scalar($0) }
        var means = [Double](repeating: 0, count: kd)
        for c in 0..<k {
            for b in 0..<d {
                var s = 0.0
                for a in 0..<d { s += p[a * kd + c * d + b] * (model.means[c, a] - center[a]) }
                means[c * d + b] = s
            }
        }
        self.means = means
        normalizers = model.logNormalizers
    }
}

/// Scratch memory of one worker thread for one chunk at a time, allocated once per kernel.
final class ChunkScratch<Scalar: EngineScalar> {
    /// `chunkRows x K·D`: the whitened rows `Y` (whitening road).
    let whitened: UnsafeMutablePointer<Scalar>
    /// `chunkRows x M`: the quadratic features `Z` (quadratic road, GEMMs).
    let features: UnsafeMutablePointer<Scalar>
    /// `chunkRows x K`: log joint densities, then responsibilities, for the GEMMs.
    let logJoint: UnsafeMutablePointer<Scalar>
    /// `chunkRows x K`: log joint densities, then responsibilities, in Double.
    let responsibilities: UnsafeMutablePointer<Double>
    /// `chunkRows`: `log p(x_n)` of the chunk's rows (for weighting them).
    let rowLogLikelihoods: UnsafeMutablePointer<Double>
    /// `chunkRows x D`: the centred rows, or `√r_nk (x_n - c_k)` for one component at a time.
    let centred: UnsafeMutablePointer<Scalar>
    /// `D x D`: one component's weighted Gram matrix for the chunk.
    let gram: UnsafeMutablePointer<Scalar>
    /// `lanes x K x M`: the fused kernel's sums for one chunk, 32-byte aligned.
    let chunkSums: UnsafeMutablePointer<Scalar>
    /// The fused kernel's features and responsibilities of one sub-chunk, 32-byte aligned.
    let fusedBlocks: UnsafeMutablePointer<Scalar>

    init(chunkRows: Int, components k: Int, features d: Int, quadraticFeatures m: Int) {
        let lanes = Scalar.fusedLanes
        whitened = .allocate(capacity: chunkRows * k * d)
        features = .allocate(capacity: chunkRows * m)
        logJoint = .allocate(capacity: chunkRows * k)
        responsibilities = .allocate(capacity: chunkRows * k)
        rowLogLikelihoods = .allocate(capacity: chunkRows)
        centred = .allocate(capacity: chunkRows * d)
        gram = .allocate(capacity: d * d)
        chunkSums = allocateAligned(lanes * k * m)
        fusedBlocks = allocateAligned(Int(GMM_FUSED_BLOCKS) * lanes * (m + k))
    }

    deinit {
        whitened.deallocate()
        features.deallocate()
        logJoint.deallocate()
        responsibilities.deallocate()
        rowLogLikelihoods.deallocate()
        centred.deallocate()
        gram.deallocate()
        UnsafeMutableRawPointer(chunkSums).deallocate()
        UnsafeMutableRawPointer(fusedBlocks).deallocate()
    }
}

/// The running sums of one slot (a fixed set of chunks), reduced in slot order at the end.
final class SlotSums<Scalar: EngineScalar> {
    /// Whitening road and initialisation: the statistics about per-component shifts.
    var statistics: SufficientStatistics
    /// Quadratic road: `K x M`, `Σ_n r_nk z(x_n)`, in Double ...
    let featureSums: UnsafeMutablePointer<Double>
    /// ... gathered first in the data's type over at most `Scalar.rowsPerFlush` rows.
    let scalarSums: UnsafeMutablePointer<Scalar>
    var pendingRows = 0
    var logLikelihood = 0.0
    /// `Σ_n w_n` over the slot's rows.
    var rows = 0.0

    init(components k: Int, features d: Int, quadraticFeatures m: Int) {
        statistics = SufficientStatistics(components: k, features: d, shifts: [Double](repeating: 0, count: k * d))
        featureSums = .allocate(capacity: k * m)
        scalarSums = .allocate(capacity: k * m)
    }

    /// Zeroes the quadratic road's sums (`count` = K·M).
    func reset(count: Int) {
        featureSums.update(repeating: 0, count: count)
        scalarSums.update(repeating: 0, count: count)
        pendingRows = 0
        logLikelihood = 0
        rows = 0
    }

    /// Adds the pending sums in the data's type into the Double ones.
    func flush(count: Int) {
        for i in 0..<count { featureSums[i] += Double(scalarSums[i]) }
        scalarSums.update(repeating: 0, count: count)
        pendingRows = 0
    }

    deinit {
        featureSums.deallocate()
        scalarSums.deallocate()
    }
}

/// A value computed once, on first use, by the thread running the E-step.
final class Cache<Value> {
    var value: Value?
}

/// `count` values at a 32-byte boundary (AVX loads); free with `UnsafeMutableRawPointer(p).deallocate()`.
private func allocateAligned<Scalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Scalar>.stride, alignment: 32)
        .bindMemory(to: Scalar.self, capacity: max(1, count))
}
