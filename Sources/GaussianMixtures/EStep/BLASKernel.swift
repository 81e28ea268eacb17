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
///   small the whole chunk runs fused in one AVX2 kernel (`gmm_fused_quadratic_chunk`; AVX-512 in
///   float64 where the processor has it), else as two products (``QuadraticProducts``: AVX-512
///   kernels in float64, else GEMMs).
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
/// is vectorised (CGaussianMixturesKernels). Memory beyond the data is one chunk's scratch per worker thread
/// plus the sums of the chunks waiting in the ``ChunkTree``; no N x K matrix is ever held.
///
/// The roads live one per file (`QuadraticRoad.swift`, `WhiteningRoad.swift`, `TiedRoad.swift`),
/// chosen by ``RoadSelector``; this file holds what they share: the chunk schedule, the scratch,
/// and the sum of the chunks' statistics in the chunk tree.
struct BLASKernel<Scalar: EngineScalar>: EMKernel {
    typealias Road = EStepRoad

    let data: DataView<Scalar>
    let components: Int
    let threads: Int
    let schedule: ChunkSchedule
    let quadratic: QuadraticFeatures
    /// Whether the quadratic road runs fused (AVX2, K·M and D small enough, and not where the
    /// products are faster: ``QuadraticProducts/fasterThanFused(features:components:diagonal:)``).
    let fused: Bool
    /// Whether the quadratic road's products may run on our kernels (see ``QuadraticProducts``)
    /// rather than GEMMs; tests turn it off to compare.
    let quadraticKernels: Bool
    /// `c` (the data's column means) in the data's type.
    let center: [Scalar]
    let scratch: [ChunkScratch<Scalar>]
    /// The tied road's `Σ_n w_n x̃_n x̃_nᵀ`, computed at its first use.
    let tiedScatter = Cache<[Double]>()
    /// Per-row budgets of the pruned responsibilities (quadratic and whitening roads).
    let pruning: PruningState

    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?,
         summary: ColumnSummary?) {
        self.init(data: data, components: components, covarianceType: covarianceType, threads: threads,
                  chunkRows: chunkRows, summary: summary, quadraticKernels: true)
    }

    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?,
         summary: ColumnSummary?, quadraticKernels: Bool) {
        self.data = data
        self.quadraticKernels = quadraticKernels
        self.components = components
        self.threads = max(1, threads)
        let d = data.columns, k = components
        let quadratic = QuadraticFeatures(data: data, diagonal: covarianceType.structure.hasDiagonalPrecisions,
                                          summary: summary ?? data.columnSummary(threads: threads))
        let m = quadratic.count
        self.quadratic = quadratic
        center = quadratic.center.map { Scalar($0) }
        let fused = gmm_vector_math_uses_avx2() != 0 && d <= Int(GMM_FUSED_MAX_FEATURES)
            && k * m <= Int(GMM_FUSED_MAX_TERMS)
            && !(quadraticKernels && QuadraticProducts<Scalar>.fasterThanFused(features: d, components: k,
                                                                              diagonal: quadratic.diagonal))
        self.fused = fused
        let schedule = ChunkSchedule(data, chunkRows: chunkRows
            ?? min(Scalar.maxChunkRows, ChunkSchedule.defaultChunkRows(components: k, features: d, quadraticFeatures: m)))
        self.schedule = schedule
        pruning = PruningState(rows: data.rows, components: k, features: d, quadraticFeatures: m)
        // A data set shorter than one chunk needs scratch for its own rows only.
        let scratchRows = min(schedule.chunkRows, max(1, data.rows))
        scratch = (0..<workerCount(schedule, threads: self.threads)).map { _ in
            ChunkScratch(chunkRows: scratchRows, components: k, features: d, quadraticFeatures: m)
        }
    }

    func expectation(_ model: GaussianMixture) -> SufficientStatistics {
        expectation(model, road: nil)
    }

    func prune(_ on: Bool, evenWhereItDoesNotPay: Bool) {
        pruning.enabled = on
        pruning.evenWhereItDoesNotPay = evenWhereItDoesNotPay
    }

    /// The E-step on `road`, or on the road ``RoadSelector`` chooses from the model's conditioning
    /// when `road` is nil. `.fused` and `.quadratic` force that road even where
    /// ``QuadraticFeatures`` would refuse it. The model's ``ComponentFactors`` are derived once here.
    func expectation(_ model: GaussianMixture, road: Road?) -> SufficientStatistics {
        // Θ, the pruning plan and the passes all on one OpenBLAS thread: Θ's and the plan's small
        // GEMMs would otherwise wake OpenBLAS's worker every iteration (20 % of a D = 100 fit's CPU
        // samples spinning beside our own workers).
        LAPACK.withSingleThreadedBLAS { expectationOnOneBLASThread(model, road: road) }
    }

    private func expectationOnOneBLASThread(_ model: GaussianMixture, road: Road?) -> SufficientStatistics {
        let factors = ComponentFactors(model)
        let choice = RoadSelector.choose(model: model, factors: factors, quadratic: quadratic, fusedAvailable: fused,
                                         limit: Scalar.quadraticConditionLimit, forced: road)
        switch choice.road {
        case .tied: return tiedExpectation(model, factors)
        case .fused, .quadratic:
            return quadraticExpectation(model, factors, (choice.theta ?? []).map { Scalar($0) }, fused: choice.road == .fused)
        case .whitening: return whiteningExpectation(model, factors)
        }
    }

    func statistics(of source: ResponsibilitySource, shifts: [Double]) -> SufficientStatistics {
        reduce(shifts: shifts) { scratch, stats, rows in
            accumulate(source, rows: rows, scratch: scratch, into: &stats)
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
        let modelFactors = ComponentFactors(model)
        let factors = modelFactors.precisionFactors.map { Scalar($0) }, normalizers = modelFactors.logNormalizers
        let diagonal = modelFactors.diagonalFactors?.map { Scalar($0) }
        LAPACK.withSingleThreadedBLAS {
            forEachChunk(schedule, threads: threads) { worker, _, rows in
                let s = scratch[worker]
                _ = logJointAndNormalize(model, factors: factors, diagonalFactors: diagonal, normalizers: normalizers,
                                         rows: rows, scratch: s,
                                         logLikelihoodsOut: out.wrappedValue.0 + rows.lowerBound)
                if let r = out.wrappedValue.1 {
                    (r + rows.lowerBound * k).update(from: s.responsibilities, count: rows.count * k)
                }
            }
        }
    }

    /// Runs `body` on every chunk with its worker's scratch and the chunk's own zeroed
    /// statistics, and adds the chunks' statistics in the fixed ``ChunkTree`` (over the
    /// processes too, through the data's reducer).
    func reduce(shifts: [Double],
                _ body: (ChunkScratch<Scalar>, inout SufficientStatistics, Range<Int>) -> Void) -> SufficientStatistics {
        let d = data.columns, k = components
        return LAPACK.withSingleThreadedBLAS {
            treeSum(schedule, threads: threads, reducer: data.reducer,
                    make: { StatisticsPartial(components: k, features: d, shifts: shifts) }) { worker, rows, partial in
                body(scratch[worker], &partial.statistics, rows)
                partial.statistics.sampleCount += data.totalWeight(rows)
            }.statistics
        }
    }
}

/// A value computed once, on first use, by the thread running the E-step.
final class Cache<Value> {
    var value: Value?
}
