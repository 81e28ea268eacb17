import Foundation
import CGaussianMixturesKernels

extension BLASKernel {
    /// The quadratic-feature road: per chunk `Z`, `V = Z Θ`, normalise `V` into `R`, add `Rᵀ Z`
    /// (fused in one pass over the chunk, or as two GEMMs).
    func quadraticExpectation(_ model: GaussianMixture, _ theta: [Scalar], fused: Bool) -> SufficientStatistics {
        let k = components, m = quadratic.count, d = data.columns
        let lanes = fused ? Scalar.fusedLanes : 1
        for slot in featureSlots { slot.reset() }
        theta.withUnsafeBufferPointer { theta in
            center.withUnsafeBufferPointer { center in
                LAPACK.withSingleThreadedBLAS {
                    forEachChunk(schedule, threads: threads) { worker, slot, rows in
                        let s = scratch[worker], sums = featureSlots[slot], n = rows.count
                        let x = data.row(rows.lowerBound)
                        if fused {
                            // The chunk's lane sums join the slot's sums at once.
                            s.laneSums.update(repeating: 0, count: lanes * k * m)
                            sums.logLikelihood += Scalar.fusedQuadraticChunk(
                                x, weights: data.weights.map { $0 + rows.lowerBound }, rows: n, columns: d,
                                diagonal: quadratic.diagonal, center: center.baseAddress!, theta: theta.baseAddress!,
                                components: k, laneSums: s.laneSums, scratch: s.fusedBlocks)
                            for i in 0..<(k * m) {
                                var t = Scalar.zero
                                for lane in 0..<lanes { t += s.laneSums[i * lanes + lane] }
                                sums.scalarSums[i] += t
                            }
                        } else {
                            Scalar.quadraticFeatures(x, rows: n, columns: d, diagonal: quadratic.diagonal, center: center.baseAddress!,
                                                     into: s.features, scratch: s.centred)
                            Scalar.gemm(m: n, n: k, k: m, a: s.features, lda: m, transposeA: false,
                                        b: theta.baseAddress!, ldb: k, transposeB: false, beta: 0, c: s.logJoint, ldc: k)
                            for i in 0..<(n * k) { s.responsibilities[i] = Double(s.logJoint[i]) }
                            sums.logLikelihood += normalize(s.responsibilities, rows: rows, scratch: s, model: model)
                            weighted(s.responsibilities, rows: rows, into: s.weightedResponsibilities)
                            Scalar.gemm(m: k, n: m, k: n, a: s.weightedResponsibilities, lda: k, transposeA: true,
                                        b: s.features, ldb: m, transposeB: false, beta: 1, c: sums.scalarSums, ldc: m)
                        }
                        sums.rows += data.totalWeight(rows)
                        sums.pendingRows += n
                        if sums.pendingRows >= Scalar.rowsPerFlush { sums.flush() }
                    }
                }
            }
        }
        for slot in featureSlots { slot.flush() }
        var total = [Double](repeating: 0, count: k * m)
        var logLikelihood = 0.0, rows = 0.0
        for slot in featureSlots {
            for i in 0..<(k * m) { total[i] += slot.featureSums[i] }
            logLikelihood += slot.logLikelihood
            rows += slot.rows
        }
        total += [logLikelihood, rows]
        data.reducer.sum(&total)
        var stats = total.withUnsafeBufferPointer { quadratic.statistics(from: $0.baseAddress!, components: k) }
        stats.logLikelihood = total[k * m]
        stats.sampleCount = total[k * m + 1]
        return stats
    }
}
