import Foundation
import CGaussianMixturesKernels

extension BLASKernel {
    /// The quadratic-feature road: per chunk `Z`, `V = Z Θ`, normalise `V` into `R`, add `Rᵀ Z`
    /// (fused in one pass over the chunk, or as two GEMMs).
    func quadraticExpectation(_ model: GaussianMixture, _ theta: [Scalar], fused: Bool) -> SufficientStatistics {
        let k = components, m = quadratic.count, d = data.columns, km = k * m
        let lanes = fused ? Scalar.fusedLanes : 1
        // Per leaf: `Σ_n r_nk z(x_n)` (K x M), the log-likelihood and the weight total. In float64
        // the statistics GEMM adds each chunk into the leaf's sums; in float32 it adds into the
        // worker's float sums, which move into the leaf's Double sums every
        // `Scalar.maxChunkRows` rows and at the end of the leaf.
        let widen = { (s: ChunkScratch<Scalar>, sums: UnsafeMutablePointer<Double>) in
            for i in 0..<km { sums[i] += Double(s.featureSums[i]) }
            s.pendingRows = 0
        }
        let total = theta.withUnsafeBufferPointer { theta in
            center.withUnsafeBufferPointer { center in
                LAPACK.withSingleThreadedBLAS {
                    treeSum(schedule, threads: threads, reducer: data.reducer,
                            make: { SumVector(count: km + 2) },
                            leafDone: { worker, partial in if scratch[worker].pendingRows > 0 { widen(scratch[worker], partial.base) } }
                    ) { worker, rows, partial in
                        let s = scratch[worker], sums = partial.base, n = rows.count
                        let x = data.row(rows.lowerBound)
                        if fused {
                            s.laneSums.update(repeating: 0, count: lanes * km)
                            sums[km] += Scalar.fusedQuadraticChunk(
                                x, weights: data.weights.map { $0 + rows.lowerBound }, rows: n, columns: d,
                                diagonal: quadratic.diagonal, center: center.baseAddress!, theta: theta.baseAddress!,
                                components: k, laneSums: s.laneSums, scratch: s.fusedBlocks)
                            for i in 0..<km {
                                var t = Scalar.zero
                                for lane in 0..<lanes { t += s.laneSums[i * lanes + lane] }
                                sums[i] += Double(t)
                            }
                        } else {
                            Scalar.quadraticFeatures(x, rows: n, columns: d, diagonal: quadratic.diagonal, center: center.baseAddress!,
                                                     into: s.features, scratch: s.centred)
                            Scalar.gemm(m: n, n: k, k: m, a: s.features, lda: m, transposeA: false,
                                        b: theta.baseAddress!, ldb: k, transposeB: false, beta: 0, c: s.logJoint, ldc: k)
                            for i in 0..<(n * k) { s.responsibilities[i] = Double(s.logJoint[i]) }
                            sums[km] += normalize(s.responsibilities, rows: rows, scratch: s, model: model)
                            weighted(s.responsibilities, rows: rows, into: s.weightedResponsibilities)
                            if Scalar.self == Double.self {
                                let c = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Scalar.self)
                                Scalar.gemm(m: k, n: m, k: n, a: s.weightedResponsibilities, lda: k, transposeA: true,
                                            b: s.features, ldb: m, transposeB: false, beta: 1, c: c, ldc: m)
                            } else {
                                if s.pendingRows + n > Scalar.maxChunkRows { widen(s, sums) }
                                Scalar.gemm(m: k, n: m, k: n, a: s.weightedResponsibilities, lda: k, transposeA: true,
                                            b: s.features, ldb: m, transposeB: false, beta: s.pendingRows == 0 ? 0 : 1,
                                            c: s.featureSums, ldc: m)
                                s.pendingRows += n
                            }
                        }
                        sums[km + 1] += data.totalWeight(rows)
                    }
                }
            }
        }
        var stats = quadratic.statistics(from: total.base, components: k)
        stats.logLikelihood = total.values[km]
        stats.sampleCount = total.values[km + 1]
        return stats
    }
}
