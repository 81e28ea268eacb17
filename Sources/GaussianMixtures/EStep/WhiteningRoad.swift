import Foundation

extension BLASKernel {
    /// The whitening road: per chunk, each component's whitened rows `(x_n - μ_k) L_k⁻ᵀ`, the
    /// responsibilities, and the statistics about the current means (one `syrk` per component).
    func whiteningExpectation(_ model: GaussianMixture, _ componentFactors: ComponentFactors) -> SufficientStatistics {
        let factors = componentFactors.precisionFactors.map { Scalar($0) }, normalizers = componentFactors.logNormalizers
        let diagonal = componentFactors.diagonalFactors?.map { Scalar($0) }
        return reduce(shifts: model.means.values) { scratch, stats, rows in
            stats.logLikelihood += logJointAndNormalize(model, factors: factors, diagonalFactors: diagonal,
                                                        normalizers: normalizers, rows: rows, scratch: scratch,
                                                        logLikelihoodsOut: nil)
            accumulate(rows: rows, responsibilities: scratch.responsibilities, scratch: scratch, into: &stats)
        }
    }

    /// Whitening road: fills `scratch.responsibilities` with `r_nk` for the rows of one chunk and
    /// returns `Σ_n w_n log p(x_n)` over them; writes each `log p(x_n)` to `logLikelihoodsOut` if given.
    /// Component k's block of `Y` is `(x_n - μ_k) L_k⁻ᵀ`: each row is centred on each mean in
    /// `Double`, so no other row and no shared centre enters its value.
    /// `factors` is the model's `P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]` in the data's type, or for a diagonal
    /// type `diagonalFactors` its diagonals (K x D; then `y = (x_n - μ_k) ⊙ u_k`, the same numbers
    /// as the product with `P`, whose other entries are zero), and `normalizers` its log
    /// normalizers (``ComponentFactors``).
    func logJointAndNormalize(_ model: GaussianMixture, factors: [Scalar], diagonalFactors: [Scalar]?, normalizers: [Double],
                              rows: Range<Int>, scratch: ChunkScratch<Scalar>,
                              logLikelihoodsOut: UnsafeMutablePointer<Double>?) -> Double {
        let d = data.columns, k = components, kd = k * d, n = rows.count
        let y = scratch.whitened, r = scratch.responsibilities, centred = scratch.centred
        let x = data.row(rows.lowerBound)
        model.means.values.withUnsafeBufferPointer { means in
            if let u = diagonalFactors {
                for c in 0..<k {
                    let mean = means.baseAddress! + c * d
                    for i in 0..<n {
                        for j in 0..<d { y[i * kd + c * d + j] = Scalar(Double(x[i * d + j]) - mean[j]) * u[c * d + j] }
                    }
                }
                return
            }
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
        normalizers.withUnsafeBufferPointer { normalizer in
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

    /// Whitening road: adds the statistics of one chunk with responsibilities `r` (n x K) to `stats`.
    /// A row whose weighted responsibility for a component is exactly zero adds nothing to that
    /// component's sums, so only the others enter its `syrk`: one-hot responsibilities (the
    /// start from k-means labels or seed rows) cost `N·D²` instead of `N·K·D²`.
    func accumulate(rows: Range<Int>, responsibilities r: UnsafeMutablePointer<Double>,
                            scratch: ChunkScratch<Scalar>, into stats: inout SufficientStatistics) {
        let d = data.columns, k = components, n = rows.count
        let w = scratch.weightedRows, gram = scratch.gram
        let x = data.row(rows.lowerBound)
        stats.shifts.withUnsafeBufferPointer { shifts in
            stats.centeredSums.withUnsafeMutableBufferPointer { sums in
                stats.centeredScatter.withUnsafeMutableBufferPointer { scatter in
                    for c in 0..<k {
                        let shift = shifts.baseAddress! + c * d
                        let sum = sums.baseAddress! + c * d
                        var weight = 0.0
                        var kept = 0
                        for i in 0..<n {
                            let rc = r[i * k + c] * data.weight(rows.lowerBound + i)
                            guard rc != 0 else { continue }
                            weight += rc
                            let root = rc.squareRoot()
                            let xi = x + i * d
                            let wi = w + kept * d
                            kept += 1
                            for j in 0..<d {
                                let t = Double(xi[j]) - shift[j]
                                wi[j] = Scalar(root * t)
                                sum[j] += rc * t
                            }
                        }
                        stats.weightSums[c] += weight
                        guard weight > 0 else { continue }
                        Scalar.gramLower(rows: kept, n: d, a: w, lda: d, c: gram)
                        let out = scatter.baseAddress! + c * d * d
                        for i in 0..<d { for j in 0...i { out[i * d + j] += Double(gram[i * d + j]) } }
                    }
                }
            }
        }
    }
}
