import Foundation

/// The fast path: the E-step and the sufficient statistics on BLAS, in parallel chunks.
///
/// For a chunk of rows `X_c` (n x D), one GEMM computes the whitened rows for all K components
/// at once, `Y = X_c P` with `P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]` (D x K·D); then
///
///     log w_k + log N(x | μ_k, Σ_k) = log w_k - ½ log|Σ_k| - (D/2) log 2π - ½ ‖y_k - L_k⁻¹ μ_k‖²
///
/// in a tight loop, a log-sum-exp per row (shifted by the row maximum before any `exp`), and the
/// responsibilities `r_nk`. The statistics of component k come from one `dsyrk` over the chunk
/// weighted by `√r_nk` and centred on `c_k`. Memory beyond the data is O(slots · chunk · K·D +
/// slots · K·D²): no N x K matrix is ever held.
struct BLASKernel: EMKernel {
    let data: DataView
    let components: Int
    let threads: Int
    let schedule: ChunkSchedule
    private let workspaces: [ChunkWorkspace]

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
        let rowsPerChunk = chunkRows ?? ChunkSchedule.defaultChunkRows(components: k, features: d)
        let statsBytes = 8 * (k + k * d + k * d * d)
        let schedule = ChunkSchedule(rows: data.rows, chunkRows: rowsPerChunk,
                                     maxSlots: ChunkSchedule.defaultMaxSlots(bytesPerSlot: statsBytes))
        self.schedule = schedule
        workspaces = (0..<schedule.slots).map { _ in
            ChunkWorkspace(chunkRows: schedule.chunkRows, components: k, features: d)
        }
    }

    func expectation(_ model: GaussianMixture) -> SufficientStatistics {
        let shifts = model.means.values
        return reduce(shifts: shifts) { workspace, stats, rows in
            stats.logLikelihood += logJointAndNormalize(model, rows: rows, workspace: workspace, logLikelihoodsOut: nil)
            accumulate(rows: rows, responsibilities: workspace.responsibilities, workspace: workspace, into: &stats)
        }
    }

    func statistics(of source: ResponsibilitySource, shifts: [Double]) -> SufficientStatistics {
        let lookup = source.seedLookup
        let k = components
        return reduce(shifts: shifts) { workspace, stats, rows in
            let r = workspace.responsibilities
            for (i, row) in rows.enumerated() {
                source.fill(row: row, components: k, into: r + i * k, seedLookup: lookup)
            }
            accumulate(rows: rows, responsibilities: r, workspace: workspace, into: &stats)
        }
    }

    /// Per-row log-likelihoods `log p(x_n)` (into `logLikelihoods`, length N) and, when
    /// `responsibilities` is given, the N x K posterior matrix (the caller asked for it).
    func score(_ model: GaussianMixture, logLikelihoods: UnsafeMutablePointer<Double>,
               responsibilities: UnsafeMutablePointer<Double>?) {
        let out = UnsafeTransfer((logLikelihoods, responsibilities))
        let k = components
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { slot, rows in
                let workspace = workspaces[slot]
                _ = logJointAndNormalize(model, rows: rows, workspace: workspace,
                                         logLikelihoodsOut: out.wrappedValue.0 + rows.lowerBound)
                if let r = out.wrappedValue.1 {
                    (r + rows.lowerBound * k).update(from: workspace.responsibilities, count: rows.count * k)
                }
            }
        }
    }

    /// Runs `body` on every chunk with its slot's workspace and statistics, then sums the
    /// slots in slot order.
    private func reduce(shifts: [Double],
                        _ body: (ChunkWorkspace, inout SufficientStatistics, Range<Int>) -> Void) -> SufficientStatistics {
        let d = data.columns, k = components
        for workspace in workspaces {
            workspace.statistics = SufficientStatistics(components: k, features: d, shifts: shifts)
        }
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { slot, rows in
                let workspace = workspaces[slot]
                body(workspace, &workspace.statistics, rows)
                workspace.statistics.sampleCount += Double(rows.count)
            }
        }
        var total = SufficientStatistics(components: k, features: d, shifts: shifts)
        for workspace in workspaces { total.add(workspace.statistics) }
        return total
    }

    /// Fills `workspace.responsibilities` with `r_nk` for the rows of one chunk and returns
    /// `Σ_n log p(x_n)` over them; writes each `log p(x_n)` to `logLikelihoodsOut` if given.
    private func logJointAndNormalize(_ model: GaussianMixture, rows: Range<Int>, workspace: ChunkWorkspace,
                                      logLikelihoodsOut: UnsafeMutablePointer<Double>?) -> Double {
        let d = data.columns, k = components, kd = k * d, n = rows.count
        let y = workspace.whitened
        let r = workspace.responsibilities
        model.precisionFactors.withUnsafeBufferPointer { p in
            LAPACK.gemm(m: n, n: kd, k: d, a: data.row(rows.lowerBound), lda: d,
                        b: p.baseAddress!, ldb: kd, c: y, ldc: kd)
        }
        var total = 0.0
        model.whitenedMeans.withUnsafeBufferPointer { b in
            model.logNormalizers.withUnsafeBufferPointer { normalizer in
                for i in 0..<n {
                    let yi = y + i * kd
                    let ri = r + i * k
                    var maximum = -Double.infinity
                    for c in 0..<k {
                        let yc = yi + c * d
                        let bc = b.baseAddress! + c * d
                        var squares = 0.0
                        for j in 0..<d {
                            let t = yc[j] - bc[j]
                            squares += t * t
                        }
                        let value = normalizer[c] - 0.5 * squares
                        ri[c] = value
                        if value > maximum { maximum = value }
                    }
                    // One exp per entry: r_nk = exp(v_k - max) / Σ_j exp(v_j - max).
                    var sum = 0.0
                    for c in 0..<k {
                        let e = Foundation.exp(ri[c] - maximum)
                        ri[c] = e
                        sum += e
                    }
                    let logLikelihood = maximum + Foundation.log(sum)
                    let scale = 1 / sum
                    for c in 0..<k { ri[c] *= scale }
                    total += logLikelihood
                    logLikelihoodsOut?[i] = logLikelihood
                }
            }
        }
        return total
    }

    /// Adds the statistics of one chunk with responsibilities `r` (n x K) to `stats`.
    private func accumulate(rows: Range<Int>, responsibilities r: UnsafeMutablePointer<Double>,
                            workspace: ChunkWorkspace, into stats: inout SufficientStatistics) {
        let d = data.columns, k = components, n = rows.count
        let w = workspace.weightedRows
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

/// Scratch memory of one slot, allocated once per kernel and reused every iteration.
final class ChunkWorkspace {
    /// `chunkRows x K·D`: the whitened rows `Y`.
    let whitened: UnsafeMutablePointer<Double>
    /// `chunkRows x K`: log joint densities, then responsibilities.
    let responsibilities: UnsafeMutablePointer<Double>
    /// `chunkRows x D`: `√r_nk (x_n - c_k)` for one component at a time.
    let weightedRows: UnsafeMutablePointer<Double>
    /// This slot's running sums.
    var statistics: SufficientStatistics

    init(chunkRows: Int, components k: Int, features d: Int) {
        whitened = .allocate(capacity: chunkRows * k * d)
        responsibilities = .allocate(capacity: chunkRows * k)
        weightedRows = .allocate(capacity: chunkRows * d)
        statistics = SufficientStatistics(components: k, features: d, shifts: [Double](repeating: 0, count: k * d))
    }

    deinit {
        whitened.deallocate()
        responsibilities.deallocate()
        weightedRows.deallocate()
    }
}
