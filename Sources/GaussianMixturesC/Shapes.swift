import Foundation
import GaussianMixtures

// Conversions between the engine's full D x D covariance matrices and scikit-learn's shapes
// (full K x D x D, tied D x D, diag K x D, spherical K), and between covariances and precisions.
// D is small (features), so plain loops suffice; factorisations are the engine's.

/// Full covariance matrices from a covariance-shaped array (scikit-learn's shape for `type`).
func fullCovariances(_ values: UnsafePointer<Double>, type: CovarianceType, k: Int, d: Int, name: String) throws -> [Matrix] {
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
    return try fullCovariances(values, type: type, k: k, d: d, name: "precisions_init")
}

/// The model's covariances in scikit-learn's shape, flattened.
func compactCovariances(_ m: GaussianMixture) -> [Double] {
    m.covarianceType.compact(m.covariances).values
}

/// scikit-learn's `precisions_cholesky_`: `U = L⁻ᵀ` (upper) for full and tied, `1/√σ²` otherwise.
func compactPrecisionsCholesky(_ m: GaussianMixture) -> [Double] {
    m.covarianceType.compact(m.precisionCholeskyFactors).values
}

/// scikit-learn's `precisions_`: `U Uᵀ` per component (`1/σ²` for diag and spherical).
func compactPrecisions(_ m: GaussianMixture) -> [Double] {
    let d = m.featureCount
    let precisions = m.precisionCholeskyFactors.map { u -> Matrix in
        var p = Matrix(zeros: d, d)
        for i in 0..<d { for j in 0..<d {
            var s = 0.0
            for k in 0..<d { s += u[i, k] * u[j, k] }
            p[i, j] = s
        } }
        return p
    }
    return m.covarianceType.compact(precisions).values
}
