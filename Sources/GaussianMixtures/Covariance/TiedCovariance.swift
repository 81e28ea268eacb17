/// `covariance_type="tied"`: one covariance shared by every component, `Σ = Σ_k T_k / Σ_k n_k`.
///
/// The E-step's tied road hands the M-step the scatter summed over components, `Σ_n w_n x̃_n x̃_nᵀ`
/// about the data's centre, as component 0's scatter with the others' zero (only their sum is
/// read here); its `N_k` and `s_k` are per component as usual.
struct TiedCovariance: CovarianceStructure {
    var sharesOneCovariance: Bool { true }

    func covarianceParameterCount(components k: Int, features d: Int) -> Int { d * (d + 1) / 2 }

    func covariances(scatters: [Matrix], counts: [Double], total: Double) -> [Matrix] {
        guard let first = scatters.first else { return [] }
        var sum = Matrix(zeros: first.rows, first.columns)
        for scatter in scatters { for i in sum.values.indices { sum.values[i] += scatter.values[i] } }
        return [Matrix](repeating: sum.scaled(by: 1 / total), count: scatters.count)
    }

    func shapeProblem(_ covariances: [Matrix], tolerance: Double) -> String? {
        guard let first = covariances.first else { return nil }
        let d = first.rows
        for (c, cov) in covariances.enumerated() {
            let allowed = slack(cov, tolerance: tolerance)
            if let i = cov.values.indices.first(where: { abs(cov.values[$0] - first.values[$0]) > allowed }) {
                return "covariance of component \(c) differs from component 0's at (\(i / d), \(i % d)); tied components share one"
            }
        }
        return nil
    }

    func compact(_ matrices: [Matrix]) -> CompactMatrices {
        let d = matrices.first?.rows ?? 0
        return CompactMatrices(shape: [d, d], values: matrices.first?.values ?? [])
    }

    func compactShape(components k: Int, features d: Int) -> [Int] { [d, d] }

    func shapeDescription(components k: Int, features d: Int, entries: String) -> String { "one \(d) x \(d) matrix" }

    func fullMatrix(fromCompact values: [Double], component c: Int, features d: Int) -> Matrix {
        var shared = Matrix(zeros: d, d)
        shared.values = values
        return shared
    }

    func factorize(_ values: [Double], components k: Int, features d: Int) -> Factorization {
        guard let (l, logDet) = choleskyBlock(values, offset: 0, features: d) else { return .notPositiveDefinite(component: 0) }
        return .factors(l, logDeterminants: [Double](repeating: logDet, count: k))
    }

    func invertFactors(_ factors: [Double], components k: Int, features d: Int) -> [Double] {
        transposedInverseBlock(factors, offset: 0, features: d)
    }
}
