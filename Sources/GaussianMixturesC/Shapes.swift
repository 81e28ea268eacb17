import Foundation
import GaussianMixtures

// Conversions between the engine's full D x D covariance matrices and scikit-learn's shapes
// (full K x D x D, tied D x D, diag K x D, spherical K), and between covariances and precisions.
// D is small (features), so plain loops suffice; factorisations are the engine's.

/// Full covariance matrices from a covariance-shaped array (scikit-learn's shape for `type`).
func fullCovariances(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int, name: String) throws -> [Matrix] {
    func matrix(_ v: [Double]) throws -> Matrix { try Matrix(rows: d, columns: d, values: v) }
    switch type {
    case .full:
        return try (0..<k).map { c in try matrix(Array(UnsafeBufferPointer(start: values + c * d * d, count: d * d))) }
    case .tied:
        let m = try matrix(Array(UnsafeBufferPointer(start: values, count: d * d)))
        return Array(repeating: m, count: k)
    case .diag:
        return try (0..<k).map { c in
            var v = [Double](repeating: 0, count: d * d)
            for j in 0..<d { v[j * d + j] = values[c * d + j] }
            return try matrix(v)
        }
    case .spherical:
        return try (0..<k).map { c in
            var v = [Double](repeating: 0, count: d * d)
            for j in 0..<d { v[j * d + j] = values[c] }
            return try matrix(v)
        }
    }
}

/// Precision matrices, one full `D x D` matrix per component, from precisions in scikit-learn's
/// shape for `type` (`precisions_init`); the engine checks that they are symmetric positive definite.
func precisionMatrices(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int) throws -> [Matrix] {
    let size = try covarianceSize(type, k: k, d: d)
    for i in 0..<size where !values[i].isFinite {
        throw BoundaryError.argument("precisions_init[\(i)] is \(values[i]); precisions must be finite")
    }
    return try fullCovariances(values, type: type, k: k, d: d, name: "precisions_init")
}

/// The model's covariances in scikit-learn's shape, flattened.
func compactCovariances(_ m: GaussianMixture) -> [Double] {
    let k = m.componentCount, d = m.featureCount
    switch m.covarianceType {
    case .full: return m.covariances.flatMap(\.values)
    case .tied: return m.covariances[0].values
    case .diag: return (0..<k).flatMap { c in (0..<d).map { j in m.covariances[c][j, j] } }
    case .spherical: return (0..<k).map { c in m.covariances[c][0, 0] }
    }
}

/// scikit-learn's `precisions_cholesky_`: `U = L⁻ᵀ` (upper) for full and tied, `1/√σ²` otherwise.
func compactPrecisionsCholesky(_ m: GaussianMixture) -> [Double] {
    switch m.covarianceType {
    case .full, .tied:
        let factors = m.covarianceType == .tied ? [m.precisionCholeskyFactors[0]] : m.precisionCholeskyFactors
        return factors.flatMap(\.values)
    case .diag, .spherical:
        return compactCovariances(m).map { 1 / $0.squareRoot() }
    }
}

/// scikit-learn's `precisions_`: `U Uᵀ` for full and tied, `1/σ²` otherwise.
func compactPrecisions(_ m: GaussianMixture) -> [Double] {
    let d = m.featureCount
    let u = compactPrecisionsCholesky(m)
    switch m.covarianceType {
    case .full, .tied:
        let blocks = u.count / (d * d)
        var out = [Double](repeating: 0, count: u.count)
        for b in 0..<blocks {
            let o = b * d * d
            for i in 0..<d {
                for j in 0..<d {
                    var s = 0.0
                    for m in 0..<d { s += u[o + i * d + m] * u[o + j * d + m] }
                    out[o + i * d + j] = s
                }
            }
        }
        return out
    case .diag, .spherical:
        return u.map { $0 * $0 }
    }
}
