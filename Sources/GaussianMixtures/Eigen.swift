import Foundation

/// The eigen-decomposition of a symmetric matrix, `A = V diag(λ) Vᵀ`, largest eigenvalue first.
public struct SymmetricEigen: Sendable, Equatable {
    /// Eigenvalues, in decreasing order.
    public let values: [Double]
    /// Orthonormal eigenvectors as columns (`D x D`): column j belongs to `values[j]`. Each is
    /// signed so that its largest-magnitude entry is positive, which makes the result
    /// reproducible whatever sign LAPACK returns.
    public let vectors: Matrix

    /// Decomposes the symmetric `matrix` (its lower triangle is read) through LAPACK `dsyevd`.
    /// - Throws: ``GaussianMixtureError/invalidShape(_:)`` for a non-square or empty matrix,
    ///   ``GaussianMixtureError/invalidModel(_:)`` for non-finite entries or when LAPACK does not converge.
    public init(_ matrix: Matrix) throws {
        let n = matrix.rows
        guard n >= 1, matrix.columns == n else {
            throw GaussianMixtureError.invalidShape("an eigen-decomposition needs a square matrix, got \(matrix.rows) x \(matrix.columns)")
        }
        guard matrix.values.allSatisfy(\.isFinite) else {
            throw GaussianMixtureError.invalidModel("the matrix to decompose holds NaN or infinity")
        }
        var a = matrix.values
        guard let ascending = LAPACK.symmetricEigen(&a, dimension: n) else {
            throw GaussianMixtureError.invalidModel("the symmetric eigen-decomposition (dsyevd) did not converge")
        }
        var vectors = Matrix(zeros: n, n)
        for (column, source) in (0..<n).reversed().enumerated() {
            var largest = 0
            for i in 0..<n where abs(a[i * n + source]) > abs(a[largest * n + source]) { largest = i }
            let sign: Double = a[largest * n + source] < 0 ? -1 : 1
            for i in 0..<n { vectors[i, column] = sign * a[i * n + source] }
        }
        values = ascending.reversed()
        self.vectors = vectors
    }
}

/// The 1-sigma ellipse of a 2-D Gaussian: the points at Mahalanobis distance 1 from the mean.
/// The k-sigma ellipse has `k` times these semi-axes.
public struct EllipseAxes: Sendable, Equatable {
    /// Square root of the larger eigenvalue of the 2 x 2 covariance.
    public let semiMajor: Double
    /// Square root of the smaller eigenvalue.
    public let semiMinor: Double
    /// Angle of the major axis from the first coordinate axis, in radians, in (-π/2, π/2].
    public let angle: Double

    /// The axes of the 2 x 2 symmetric positive semi-definite `covariance`, from its eigen-decomposition.
    /// - Throws: as ``SymmetricEigen/init(_:)``, and ``GaussianMixtureError/invalidShape(_:)`` when it is not 2 x 2.
    public init(covariance: Matrix) throws {
        guard covariance.rows == 2, covariance.columns == 2 else {
            throw GaussianMixtureError.invalidShape("an ellipse needs a 2 x 2 covariance, got \(covariance.rows) x \(covariance.columns)")
        }
        let eigen = try SymmetricEigen(covariance)
        semiMajor = max(eigen.values[0], 0).squareRoot()
        semiMinor = max(eigen.values[1], 0).squareRoot()
        var angle = atan2(eigen.vectors[1, 0], eigen.vectors[0, 0])
        if angle > Double.pi / 2 { angle -= Double.pi } else if angle <= -Double.pi / 2 { angle += Double.pi }
        self.angle = angle
    }

    /// `count` points of the `scale`-sigma ellipse around `center`, counter-clockwise from the
    /// end of the major axis (the first point is not repeated at the end).
    public func points(center: (Double, Double), scale: Double, count: Int = 72) -> [(Double, Double)] {
        let c = cos(angle), s = sin(angle)
        return (0..<max(count, 3)).map { i in
            let t = 2 * Double.pi * Double(i) / Double(max(count, 3))
            let u = scale * semiMajor * cos(t), v = scale * semiMinor * sin(t)
            return (center.0 + c * u - s * v, center.1 + s * u + c * v)
        }
    }
}

extension GaussianMixture {
    /// The covariance of component `component` seen through the `D x 2` matrix `axes`
    /// (`Aᵀ Σ A`): the marginal 2 x 2 sub-covariance when the columns of `axes` pick two
    /// features, the projected covariance when they are principal axes.
    public func projectedCovariance(component: Int, axes: Matrix) -> Matrix {
        let d = featureCount, sigma = covariances[component]
        var out = Matrix(zeros: axes.columns, axes.columns)
        for p in 0..<axes.columns {
            for q in 0..<axes.columns {
                var s = 0.0
                for i in 0..<d { for j in 0..<d { s += axes[i, p] * sigma[i, j] * axes[j, q] } }
                out[p, q] = s
            }
        }
        return out
    }
}
