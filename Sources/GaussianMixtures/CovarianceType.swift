/// The shape of the component covariances, with scikit-learn's `covariance_type` semantics.
/// Every type is stored as full `D x D` matrices in ``GaussianMixture/covariances``; the type
/// decides what the M-step estimates and how many parameters the model has.
///
/// With `S_k = Σ_n r_nk (x_n - μ_k)(x_n - μ_k)ᵀ`, `n_k = Σ_n r_nk + 10 ε` and `λ` the
/// regularization:
///
/// | type | covariance | free covariance parameters |
/// |---|---|---|
/// | full | `Σ_k = S_k / n_k + λ I` | `K·D(D+1)/2` |
/// | diag | `Σ_k = diag(S_k) / n_k + λ I` | `K·D` |
/// | spherical | `Σ_k = (tr(S_k) / (D n_k) + λ) I` | `K` |
/// | tied | `Σ = Σ_k S_k / Σ_k n_k + λ I`, shared by all components | `D(D+1)/2` |
public enum CovarianceType: String, Sendable, CaseIterable {
    case full, diag, spherical, tied

    /// Free parameters of a K-component, D-feature mixture: covariances, `K·D` means and
    /// `K - 1` weights (scikit-learn's `_n_parameters`).
    public func parameterCount(components k: Int, features d: Int) -> Int {
        let covariance: Int
        switch self {
        case .full: covariance = k * d * (d + 1) / 2
        case .diag: covariance = k * d
        case .spherical: covariance = k
        case .tied: covariance = d * (d + 1) / 2
        }
        return covariance + k * d + (k - 1)
    }

    /// Whether `covariances` have this type's shape (within `tolerance` relative to the largest
    /// diagonal entry): zero off-diagonals for diag and spherical, one variance for spherical,
    /// the same matrix for every component for tied. Returns what is wrong, or nil.
    func shapeProblem(_ covariances: [Matrix], tolerance: Double = 1e-9) -> String? {
        guard let first = covariances.first else { return nil }
        let d = first.rows
        for (c, cov) in covariances.enumerated() {
            let scale = (0..<d).map { abs(cov[$0, $0]) }.max() ?? 0
            let slack = tolerance * max(scale, .leastNormalMagnitude)
            switch self {
            case .full:
                return nil
            case .diag, .spherical:
                for i in 0..<d { for j in 0..<d where i != j && abs(cov[i, j]) > slack {
                    return "covariance of component \(c) has (\(i), \(j)) = \(cov[i, j]); a \(rawValue) covariance is diagonal"
                } }
                if self == .spherical, let i = (0..<d).first(where: { abs(cov[$0, $0] - cov[0, 0]) > slack }) {
                    return "covariance of component \(c) has variances \(cov[0, 0]) and \(cov[i, i]); a spherical covariance has one"
                }
            case .tied:
                if let i = cov.values.indices.first(where: { abs(cov.values[$0] - first.values[$0]) > slack }) {
                    return "covariance of component \(c) differs from component 0's at (\(i / d), \(i % d)); tied components share one"
                }
            }
        }
        return nil
    }
}
