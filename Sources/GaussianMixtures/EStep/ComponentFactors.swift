import Foundation

/// What the fast E-step computes with for one model, derived once per iteration (per call of
/// ``BLASKernel/expectation(_:road:)`` or ``BLASKernel/score(_:logLikelihoods:responsibilities:)``)
/// from the model's Cholesky factors `Σ_k = L_k L_kᵀ`:
///
///     P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]                       (D x K·D, row-major: P[a, k·D + b] = (L_k⁻¹)[b, a])
///     log-normalizer_k = log w_k - ½ log|Σ_k| - (D/2) log 2π
///
/// so that `log w_k + log N(x | μ_k, Σ_k) = log-normalizer_k - ½ ‖(x - μ_k)ᵀ L_k⁻ᵀ‖²`. Every road
/// reads `P` (the whitening and tied roads multiply by it, the quadratic road forms
/// `Λ_k = L_k⁻ᵀ L_k⁻¹` from it). A diagonal type keeps only `P`'s diagonals,
/// `u_k = 1 / √σ²_k` (K x D), which give the same numbers: every other entry of `P` is zero.
struct ComponentFactors {
    /// `P`, D x K·D; empty when ``diagonalFactors`` holds the factors.
    let precisionFactors: [Double]
    /// The diagonals `u_k` of a diagonal type's factors, K x D row-major; nil for full and tied.
    let diagonalFactors: [Double]?
    /// `log w_k - ½ log|Σ_k| - (D/2) log 2π`, one per component.
    let logNormalizers: [Double]

    init(_ model: GaussianMixture) {
        let k = model.componentCount, d = model.featureCount
        logNormalizers = model.logNormalizers
        let structure = model.covarianceType.structure
        guard !structure.hasDiagonalPrecisions else {
            let inverse = model.compactPrecisionCholeskyFactors.values
            diagonalFactors = (0..<k).flatMap { structure.diagonal(fromCompact: inverse, component: $0, features: d) }
            precisionFactors = []
            return
        }
        diagonalFactors = nil
        var packed = [Double](repeating: 0, count: d * k * d)
        for c in 0..<k {
            // A model's factors have a positive diagonal, so the inverse exists; were it missing,
            // NaN factors make the iteration's likelihood NaN, which the fit loop reports.
            let inverse = invertedLower(model.choleskyFactor(c)) ?? [Double](repeating: .nan, count: d * d)
            for a in 0..<d {
                for b in 0..<d { packed[a * (k * d) + c * d + b] = inverse[b * d + a] }
            }
        }
        precisionFactors = packed
    }
}

extension GaussianMixture {
    /// `log w_k - ½ log|Σ_k| - (D/2) log 2π` for every component: the constant part of
    /// `log w_k + log N(x | μ_k, Σ_k)`.
    var logNormalizers: [Double] {
        let logTwoPi = Foundation.log(2 * Double.pi), d = featureCount
        return (0..<componentCount).map { c in
            Foundation.log(weights[c]) - 0.5 * logDeterminants[c] - 0.5 * Double(d) * logTwoPi
        }
    }
}

/// `L⁻¹` of the lower-triangular `l` (row-major, LAPACK's `dtrtri`), or nil when `l` is singular.
func invertedLower(_ l: Matrix) -> [Double]? {
    var inverse = l.values
    return LAPACK.invertLowerTriangular(&inverse, dimension: l.rows) ? inverse : nil
}
