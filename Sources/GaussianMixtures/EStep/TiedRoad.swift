import Foundation

extension BLASKernel {
    /// The tied road. All components share `Σ = L Lᵀ`, so one GEMM whitens a chunk for all of
    /// them, `Y = X̃ L⁻ᵀ`, and `log w_k + log N(x | μ_k, Σ) = a_k - ½ ‖y - L⁻¹ μ̃_k‖²`; the
    /// statistics need only `N_k` and `s_k = Σ_n r_nk x̃_n` (one GEMM `Rᵀ X̃`), because the tied
    /// M-step uses the scatter summed over components, `Σ_k S_k = Σ_n w_n x̃_n x̃_nᵀ`, which does
    /// not depend on the responsibilities: it is computed once per fit and handed over as
    /// component 0's scatter (the others' are zero; only their sum is meaningful). About
    /// `2·N·D² + 4·N·K·D` flops per iteration instead of `2·N·K·D²`.
    func tiedExpectation(_ model: GaussianMixture, _ factors: ComponentFactors) -> SufficientStatistics {
        let d = data.columns, k = components
        let whitening = TiedWhitening<Scalar>(model, factors, center: quadratic.center)
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
            logJoint(whitening, whitened: y, rows: n, into: r)
            stats.logLikelihood += normalize(r, rows: rows, scratch: scratch, model: model)
            weighted(r, rows: rows, into: scratch.weightedResponsibilities)
            Scalar.gemm(m: k, n: d, k: n, a: scratch.weightedResponsibilities, lda: k, transposeA: true,
                        b: centred, ldb: d, transposeB: false, beta: 0, c: scratch.tiedSums, ldc: d)
            for c in 0..<k {
                for i in 0..<n { stats.weightSums[c] += Double(scratch.weightedResponsibilities[i * k + c]) }
                for j in 0..<d { stats.centeredSums[c * d + j] += Double(scratch.tiedSums[c * d + j]) }
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
    func dataScatter() -> [Double] {
        let d = data.columns, k = components
        let stats = reduce(shifts: [Double](repeating: 0, count: k * d)) { scratch, stats, rows in
            let w = scratch.weightedRows
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

    /// Writes `x_n - c` for the rows of one chunk into `out` (n x D) and returns it.
    func centre(_ rows: Range<Int>, into out: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Scalar> {
        let d = data.columns, x = data.row(rows.lowerBound)
        center.withUnsafeBufferPointer { c in
            for i in 0..<rows.count { for j in 0..<d { out[i * d + j] = x[i * d + j] - c[j] } }
        }
        return out
    }

    /// `r_nc = a_c - ½ ‖y_n - L⁻¹ (μ_c - c)‖²` for `rows` rows `y_n` whitened once for every
    /// component (`whitened`: rows x D).
    func logJoint(_ model: TiedWhitening<Scalar>, whitened y: UnsafeMutablePointer<Scalar>, rows n: Int,
                  into r: UnsafeMutablePointer<Double>) {
        let d = data.columns, k = components
        model.means.withUnsafeBufferPointer { b in
            model.normalizers.withUnsafeBufferPointer { normalizer in
                for i in 0..<n {
                    for c in 0..<k {
                        let yc = y + i * d
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
}

/// What the tied road needs of a model, in the data's type where the BLAS uses it:
/// `P = [L_k⁻ᵀ]` (D x K·D), `L_k⁻¹ (μ_k - c)` (K x D) and `log w_k - ½ log|Σ_k| - (D/2) log 2π`.
/// The rows are whitened about the data's centre `c`, which is exact enough only under the
/// quadratic road's guard (``QuadraticFeatures``); the tied road is taken only there.
struct TiedWhitening<Scalar: EngineScalar> {
    let factors: [Scalar]
    let means: [Double]
    let normalizers: [Double]

    init(_ model: GaussianMixture, _ componentFactors: ComponentFactors, center: [Double]) {
        let k = model.componentCount, d = model.featureCount, kd = k * d
        let p = componentFactors.precisionFactors  // P[a, c·D + b] = (L_c⁻¹)[b, a]
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
        normalizers = componentFactors.logNormalizers
    }
}
