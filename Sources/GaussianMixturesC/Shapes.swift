import Foundation
import GaussianMixtures

// Conversions between the engine's full D x D covariance matrices and scikit-learn's shapes
// (full K x D x D, tied D x D, diag K x D, spherical K), and between covariances and precisions.
// D is small (features), so plain loops suffice.

/// The lower Cholesky factor of a symmetric matrix (row-major, d x d), or nil when it is not
/// positive definite.
func choleskyLower(_ a: [Double], _ d: Int) -> [Double]? {
    var l = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for j in 0...i {
            var s = a[i * d + j]
            for m in 0..<j { s -= l[i * d + m] * l[j * d + m] }
            if i == j {
                guard s > 0, s.isFinite else { return nil }
                l[i * d + i] = s.squareRoot()
            } else {
                l[i * d + j] = s / l[j * d + j]
            }
        }
    }
    return l
}

/// The inverse of a lower-triangular matrix (row-major, d x d), lower-triangular too.
func invertLower(_ l: [Double], _ d: Int) -> [Double] {
    var inv = [Double](repeating: 0, count: d * d)
    for col in 0..<d {
        inv[col * d + col] = 1 / l[col * d + col]
        if col + 1 < d {
            for i in (col + 1)..<d {
                var s = 0.0
                for m in col..<i { s -= l[i * d + m] * inv[m * d + col] }
                inv[i * d + col] = s / l[i * d + i]
            }
        }
    }
    return inv
}

/// `(C Cᵀ)⁻¹ = C⁻ᵀ C⁻¹` for a symmetric positive-definite `p` (the covariance of a precision).
func inverseSPD(_ p: [Double], _ d: Int) -> [Double]? {
    guard let c = choleskyLower(p, d) else { return nil }
    let ci = invertLower(c, d)
    var out = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for j in 0...i {
            var s = 0.0
            for m in i..<d { s += ci[m * d + i] * ci[m * d + j] }
            out[i * d + j] = s
            out[j * d + i] = s
        }
    }
    return out
}

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

/// Full covariance matrices from precisions in scikit-learn's shape (`precisions_init`).
func covariancesFromPrecisions(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int) throws -> [Matrix] {
    let size = try covarianceSize(type, k: k, d: d)
    for i in 0..<size where !values[i].isFinite {
        throw BoundaryError.argument("precisions_init[\(i)] is \(values[i]); precisions must be finite")
    }
    let precisions = try fullCovariances(values, type: type, k: k, d: d, name: "precisions_init")
    let distinct = type == .tied ? 1 : k
    var out: [Matrix] = []
    for c in 0..<distinct {
        let p = precisions[c]
        for i in 0..<d {
            for j in 0..<i where abs(p[i, j] - p[j, i]) > 1e-8 + 1e-5 * abs(p[j, i]) {
                throw BoundaryError.argument("precisions_init of component \(c) is not symmetric at (\(i), \(j))")
            }
        }
        guard let inverse = inverseSPD(p.values, d) else {
            throw BoundaryError.argument("precisions_init of component \(c) is not positive definite")
        }
        out.append(try Matrix(rows: d, columns: d, values: inverse))
    }
    return type == .tied ? Array(repeating: out[0], count: k) : out
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
    let d = m.featureCount
    switch m.covarianceType {
    case .full, .tied:
        let factors = m.covarianceType == .tied ? [m.choleskyFactors[0]] : m.choleskyFactors
        return factors.flatMap { l -> [Double] in
            let inv = invertLower(l.values, d)
            var u = [Double](repeating: 0, count: d * d)
            for i in 0..<d { for j in 0..<d { u[i * d + j] = inv[j * d + i] } }
            return u
        }
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
