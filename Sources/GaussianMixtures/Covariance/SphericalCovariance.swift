/// `covariance_type="spherical"`: each component one variance, `Σ_k = tr(T_k) / (D n_k) I`.
struct SphericalCovariance: CovarianceStructure {
    var hasDiagonalPrecisions: Bool { true }

    func covarianceParameterCount(components k: Int, features d: Int) -> Int { k }

    func covariances(scatters: [Matrix], counts: [Double], total: Double) -> [Matrix] {
        scatters.indices.map { c in
            let d = scatters[c].rows
            let variance = (0..<d).reduce(0) { $0 + scatters[c][$1, $1] / counts[c] } / Double(d)
            return Matrix.diagonal([Double](repeating: variance, count: d))
        }
    }

    func shapeProblem(_ covariances: [Matrix], tolerance: Double) -> String? {
        for (c, cov) in covariances.enumerated() {
            if let problem = offDiagonalProblem(cov, component: c, tolerance: tolerance, type: "spherical") { return problem }
            let allowed = slack(cov, tolerance: tolerance)
            if let i = (0..<cov.rows).first(where: { abs(cov[$0, $0] - cov[0, 0]) > allowed }) {
                return "covariance of component \(c) has variances \(cov[0, 0]) and \(cov[i, i]); a spherical covariance has one"
            }
        }
        return nil
    }

    func compact(_ matrices: [Matrix]) -> CompactMatrices {
        CompactMatrices(shape: [matrices.count], values: matrices.map { $0[0, 0] })
    }

    func compactShape(components k: Int, features d: Int) -> [Int] { [k] }

    func shapeDescription(components k: Int, features d: Int, entries: String) -> String { "\(k) \(entries)" }

    func fullMatrix(fromCompact values: [Double], component c: Int, features d: Int) -> Matrix {
        Matrix.diagonal([Double](repeating: values[c], count: d))
    }

    func diagonal(fromCompact values: [Double], component c: Int, features d: Int) -> [Double] {
        [Double](repeating: values[c], count: d)
    }

    func factorize(_ values: [Double], components k: Int, features d: Int) -> Factorization {
        diagonalFactorization(values, components: k, features: d) { c, _ in c }
    }

    func invertFactors(_ factors: [Double], components k: Int, features d: Int) -> [Double] { factors.map { 1 / $0 } }
}
