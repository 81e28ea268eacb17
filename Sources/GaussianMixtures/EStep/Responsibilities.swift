import Foundation
import CGaussianMixturesKernels

/// Turning a chunk's log joint densities into responsibilities, shared by every road.
extension BLASKernel {
    /// Turns the chunk's log joint densities `r` (n x K) into responsibilities and returns
    /// `Σ_n w_n log p(x_n)`; writes each `log p(x_n)` to `logLikelihoodsOut` if given. A row far
    /// from every component is computed again by ``FarRows``. `rows` are rows of `view`, the
    /// kernel's data unless given (the pruned road passes the rows it gathered). With `leads`,
    /// each row's leading component and the others' `Σ exp(ℓ_k - ℓ_best)` (``PruningState``).
    func normalize(_ r: UnsafeMutablePointer<Double>, rows: Range<Int>, scratch: ChunkScratch<Scalar>,
                   model: GaussianMixture, logLikelihoodsOut: UnsafeMutablePointer<Double>? = nil,
                   view: DataView<Scalar>? = nil, leads: (best: UnsafeMutablePointer<Int32>, others: UnsafeMutablePointer<Double>)? = nil) -> Double {
        let k = components, data = view ?? data
        let far = FarRows.detach(r, rows: rows.count, components: k)
        let perRow = logLikelihoodsOut ?? scratch.rowLogLikelihoods
        var total = gmm_normalize_rows_leads(r, rows.count, k, perRow, leads?.best, leads?.others)
        if !far.isEmpty {
            let geometry = FarRows.Geometry(model)
            for i in far { perRow[i] = FarRows.posterior(data.doubles(ofRow: rows.lowerBound + i), geometry, into: r + i * k) }
        }
        if let weights = data.weights {
            total = 0
            for i in 0..<rows.count where weights[rows.lowerBound + i] > 0 { total += weights[rows.lowerBound + i] * perRow[i] }
        } else if !far.isEmpty {
            total = 0
            for i in 0..<rows.count { total += perRow[i] }
        }
        return total
    }

    /// `w_n r_nk` for the rows of one chunk (of `view`, the kernel's data unless given), in the
    /// data's type, for the statistics GEMM.
    func weighted(_ r: UnsafePointer<Double>, rows: Range<Int>, into out: UnsafeMutablePointer<Scalar>,
                  view: DataView<Scalar>? = nil) {
        let k = components, data = view ?? data
        for i in 0..<(rows.count * k) { out[i] = Scalar(r[i] * data.weight(rows.lowerBound + i / k)) }
    }
}
