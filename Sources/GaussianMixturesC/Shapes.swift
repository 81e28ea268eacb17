import Foundation
import GaussianMixtures

// Conversions between scikit-learn's shapes (full K x D x D, tied D x D, diag K x D, spherical K),
// in which models store their covariances, and full D x D matrices (the start's precisions), and
// between covariances and precisions. Factorisations are the engine's.

/// Full matrices from a covariance-shaped array (scikit-learn's shape for `type`).
func fullCovariances(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int) throws -> [Matrix] {
    let count = try covarianceSize(type, k: k, d: d)
    return try type.fullMatrices(fromCompact: Array(UnsafeBufferPointer(start: values, count: count)), components: k, features: d)
}

/// Precision matrices, one full `D x D` matrix per component, from precisions in scikit-learn's
/// shape for `type` (`precisions_init`); the engine checks that they are symmetric positive definite.
func precisionMatrices(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int) throws -> [Matrix] {
    let size = try covarianceSize(type, k: k, d: d)
    for i in 0..<size where !values[i].isFinite {
        throw BoundaryError.argument("precisions_init[\(i)] is \(values[i]); precisions must be finite")
    }
    return try fullCovariances(values, type: type, k: k, d: d)
}

/// The model's covariances in scikit-learn's shape, flattened.
func compactCovariances(_ m: GaussianMixture) -> [Double] {
    m.compactCovariances.values
}

/// scikit-learn's `precisions_cholesky_`: `U = L⁻ᵀ` (upper) for full and tied, `1/√σ²` otherwise.
func compactPrecisionsCholesky(_ m: GaussianMixture) -> [Double] {
    m.compactPrecisionCholeskyFactors.values
}

/// scikit-learn's `precisions_`: `U Uᵀ` per `D x D` block of `U = L⁻ᵀ` (full and tied), `u²` per
/// entry for the diagonal types (`1/σ²`), in the model's compact shape.
func compactPrecisions(_ m: GaussianMixture) -> [Double] {
    let u = m.compactPrecisionCholeskyFactors.values
    guard !m.covarianceType.isDiagonal else { return u.map { 0.0 + $0 * $0 } }
    let d = m.featureCount, block = d * d
    var p = [Double](repeating: 0, count: u.count)
    for offset in stride(from: 0, to: u.count, by: max(1, block)) {
        for i in 0..<d { for j in 0..<d {
            var s = 0.0
            for k in 0..<d { s += u[offset + i * d + k] * u[offset + j * d + k] }
            p[offset + i * d + j] = s
        } }
    }
    return p
}
