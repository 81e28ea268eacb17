import Foundation

/// The shape of the component covariances, with scikit-learn's `covariance_type` semantics.
/// A model stores its covariances in its type's compact shape
/// (``GaussianMixture/compactCovariances``); the type decides what the M-step estimates, how
/// many parameters the model has, how the E-step lays out its features, how the covariances
/// are factorized, and the shape they take in memory and in files.
///
/// With `S_k = Σ_n r_nk (x_n - μ_k)(x_n - μ_k)ᵀ`, `n_k = Σ_n r_nk + 10 ε` and `λ` the
/// regularization:
///
/// | type | covariance | free covariance parameters | file shape |
/// |---|---|---|---|
/// | full | `Σ_k = S_k / n_k + λ I` | `K·D(D+1)/2` | `[K][D][D]` |
/// | diag | `Σ_k = diag(S_k) / n_k + λ I` | `K·D` | `[K][D]` |
/// | spherical | `Σ_k = (tr(S_k) / (D n_k) + λ) I` | `K` | `[K]` |
/// | tied | `Σ = Σ_k S_k / Σ_k n_k + λ I`, shared by all components | `D(D+1)/2` | `[D][D]` |
///
/// Each type is one ``CovarianceStructure`` in a file of its own (`FullCovariance.swift`, ...);
/// ``structure`` registers them.
public enum CovarianceType: String, Sendable, CaseIterable {
    case full, diag, spherical, tied

    /// The type's rules: one line per type.
    var structure: any CovarianceStructure {
        switch self {
        case .full: return FullCovariance()
        case .diag: return DiagonalCovariance()
        case .spherical: return SphericalCovariance()
        case .tied: return TiedCovariance()
        }
    }

    /// Free parameters of a K-component, D-feature mixture: covariances, `K·D` means and
    /// `K - 1` weights (scikit-learn's `_n_parameters`).
    public func parameterCount(components k: Int, features d: Int) -> Int {
        structure.covarianceParameterCount(components: k, features: d) + k * d + (k - 1)
    }

    /// `matrices` (K full `D x D` matrices of this type's shape: covariances, or precisions'
    /// Cholesky factors) in scikit-learn's shape for the type, for files and foreign interfaces.
    public func compact(_ matrices: [Matrix]) -> CompactMatrices {
        structure.compact(matrices)
    }

    /// The shape of this type's covariances (and precisions) in scikit-learn and in model files:
    /// `[K, D, D]` full, `[K, D]` diag, `[K]` spherical, `[D, D]` tied.
    public func compactShape(components k: Int, features d: Int) -> [Int] {
        structure.compactShape(components: k, features: d)
    }

    /// ``compactShape(components:features:)`` in words for messages, with `entries` naming one
    /// stored number in the plural ("variances", "precisions"): "3 matrices of 4 x 4",
    /// "3 rows of 4 variances (the diagonals)", "3 variances", "one 4 x 4 matrix".
    public func shapeDescription(components k: Int, features d: Int, entries: String) -> String {
        structure.shapeDescription(components: k, features: d, entries: entries)
    }

    /// K full `D x D` matrices from `values` in this type's compact shape (row-major, as many as
    /// ``compactShape(components:features:)`` holds): the inverse of ``compact(_:)``. Diagonal
    /// types put their entries on the diagonal, tied repeats its matrix for every component.
    /// - Throws: ``GaussianMixtureError/invalidShape(_:)`` when `values` has another count.
    public func fullMatrices(fromCompact values: [Double], components k: Int, features d: Int) throws -> [Matrix] {
        let shape = compactShape(components: k, features: d)
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw GaussianMixtureError.invalidShape("\(rawValue) shape \(shape) is too large") }
            count = product
        }
        guard values.count == count else {
            throw GaussianMixtureError.invalidShape(
                "\(shapeDescription(components: k, features: d, entries: "values")) hold \(count) values, got \(values.count)")
        }
        return (0..<k).map { structure.fullMatrix(fromCompact: values, component: $0, features: d) }
    }

    /// Whether this type's covariances are diagonal (diag, spherical): then finite positive
    /// compact entries make them positive definite, and the precisions are diagonal too.
    public var isDiagonal: Bool { structure.hasDiagonalPrecisions }

    /// Whether `covariances` have this type's shape (within `tolerance` relative to the largest
    /// diagonal entry): zero off-diagonals for diag and spherical, one variance for spherical,
    /// the same matrix for every component for tied. Returns what is wrong, or nil.
    func shapeProblem(_ covariances: [Matrix], tolerance: Double = 1e-9) -> String? {
        structure.shapeProblem(covariances, tolerance: tolerance)
    }
}

/// Matrices in scikit-learn's shape for a covariance type: `shape` is `[K, D, D]`, `[K, D]`,
/// `[K]` or `[D, D]`, and `values` holds the entries in row-major order.
public struct CompactMatrices: Sendable, Equatable {
    public let shape: [Int]
    public let values: [Double]
}

/// What one covariance type decides, in one place: its M-step, its parameter count, the E-step's
/// layout, its shape check, its compact shape (in which models store it and files hold it) and
/// its factorization.
protocol CovarianceStructure: Sendable {
    /// Free covariance parameters of K components in D dimensions.
    func covarianceParameterCount(components k: Int, features d: Int) -> Int
    /// The M-step's covariances before regularization, from `T_k = Σ_n r_nk (x_n - μ_k)(x_n - μ_k)ᵀ`
    /// (full, symmetric), `n_k` and `Σ_k n_k`.
    func covariances(scatters: [Matrix], counts: [Double], total: Double) -> [Matrix]
    /// Whether the precisions are diagonal, so that the E-step's quadratic features need only
    /// the squares `x̃_i²` (M = 2D + 1).
    var hasDiagonalPrecisions: Bool { get }
    /// Whether every component shares one covariance (the E-step's tied road).
    var sharesOneCovariance: Bool { get }
    /// What makes `covariances` not of this shape, or nil.
    func shapeProblem(_ covariances: [Matrix], tolerance: Double) -> String?
    /// K full matrices of this shape in scikit-learn's shape.
    func compact(_ matrices: [Matrix]) -> CompactMatrices
    /// scikit-learn's shape for K components in D dimensions.
    func compactShape(components k: Int, features d: Int) -> [Int]
    /// That shape in words, `entries` naming the stored numbers (see ``CovarianceType/shapeDescription(components:features:entries:)``).
    func shapeDescription(components k: Int, features d: Int, entries: String) -> String
    /// Component `c`'s full `D x D` matrix from `values` in the compact shape (of covariances,
    /// or of their Cholesky factors).
    func fullMatrix(fromCompact values: [Double], component c: Int, features d: Int) -> Matrix
    /// Component `c`'s diagonal (`D` entries) from `values` in the compact shape.
    func diagonal(fromCompact values: [Double], component c: Int, features d: Int) -> [Double]
    /// The lower Cholesky factors of covariances given in the compact shape, in that shape, and
    /// `log|Σ_k|` per component; or the first component that is not positive definite (no
    /// factor, or a log-determinant that is not finite).
    func factorize(_ values: [Double], components k: Int, features d: Int) -> Factorization
    /// `L_k⁻ᵀ` in the compact shape from the factors `L_k` in it (scikit-learn's `precisions_cholesky_`).
    func invertFactors(_ factors: [Double], components k: Int, features d: Int) -> [Double]
}

/// The outcome of ``CovarianceStructure/factorize(_:components:features:)``.
enum Factorization {
    case factors([Double], logDeterminants: [Double])
    case notPositiveDefinite(component: Int)
}

extension CovarianceStructure {
    var hasDiagonalPrecisions: Bool { false }
    var sharesOneCovariance: Bool { false }

    func diagonal(fromCompact values: [Double], component c: Int, features d: Int) -> [Double] {
        let m = fullMatrix(fromCompact: values, component: c, features: d)
        return (0..<d).map { m[$0, $0] }
    }

    /// The slack for shape checks: `tolerance` times the largest diagonal entry of `covariance`.
    func slack(_ covariance: Matrix, tolerance: Double) -> Double {
        let scale = (0..<covariance.rows).map { abs(covariance[$0, $0]) }.max() ?? 0
        return tolerance * max(scale, .leastNormalMagnitude)
    }

    /// The first nonzero off-diagonal entry of component `c`'s covariance, as a problem for `type`.
    func offDiagonalProblem(_ cov: Matrix, component c: Int, tolerance: Double, type: String) -> String? {
        let d = cov.rows, allowed = slack(cov, tolerance: tolerance)
        for i in 0..<d { for j in 0..<d where i != j && abs(cov[i, j]) > allowed {
            return "covariance of component \(c) has (\(i), \(j)) = \(cov[i, j]); a \(type) covariance is diagonal"
        } }
        return nil
    }
}

/// The factorizations the types share.
extension CovarianceStructure {
    /// The lower Cholesky factor of the `D x D` block `values[offset...]` (LAPACK's `dpotrf`)
    /// and `log|Σ| = 2 Σ_i log L_ii`, or nil when it is not positive definite.
    func choleskyBlock(_ values: [Double], offset: Int, features d: Int) -> (factor: [Double], logDeterminant: Double)? {
        var l = Array(values[offset..<(offset + d * d)])
        guard LAPACK.choleskyLower(&l, dimension: d) else { return nil }
        var logDet = 0.0
        for i in 0..<d { logDet += Foundation.log(l[i * d + i]) }
        logDet *= 2
        // A finite log-determinant also makes every L_ii positive, so L is invertible.
        return logDet.isFinite ? (l, logDet) : nil
    }

    /// `L⁻ᵀ` of the lower-triangular `D x D` block `factors[offset...]` (LAPACK's `dtrtri`),
    /// row-major; NaN where `L` is singular, which a factor of a model never is.
    func transposedInverseBlock(_ factors: [Double], offset: Int, features d: Int) -> [Double] {
        var inverse = Array(factors[offset..<(offset + d * d)])
        guard LAPACK.invertLowerTriangular(&inverse, dimension: d) else { return [Double](repeating: .nan, count: d * d) }
        var out = [Double](repeating: 0, count: d * d)
        for a in 0..<d { for b in 0..<d { out[a * d + b] = inverse[b * d + a] } }
        return out
    }

    /// `√σ²` per diagonal entry and `log|Σ_k| = 2 Σ_i log √σ²_i` per component, the `D`
    /// diagonal entries of component `c` being `entry(c, i)`; what `dpotrf` gives for a diagonal matrix.
    func diagonalFactorization(_ values: [Double], components k: Int, features d: Int,
                               entry: (Int, Int) -> Int) -> Factorization {
        let roots = values.map { $0.squareRoot() }
        var logDets: [Double] = []
        for c in 0..<k {
            var logDet = 0.0
            for i in 0..<d {
                let v = values[entry(c, i)]
                guard v > 0 else { return .notPositiveDefinite(component: c) }
                logDet += Foundation.log(roots[entry(c, i)])
            }
            logDet *= 2
            guard logDet.isFinite else { return .notPositiveDefinite(component: c) }
            logDets.append(logDet)
        }
        return .factors(roots, logDeterminants: logDets)
    }
}
