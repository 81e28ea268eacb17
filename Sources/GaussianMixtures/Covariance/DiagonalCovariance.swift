/// `covariance_type="diag"`: each component its own diagonal `Σ_k = diag(T_k) / n_k`.
struct DiagonalCovariance: CovarianceStructure {
    var hasDiagonalPrecisions: Bool { true }

    func covarianceParameterCount(components k: Int, features d: Int) -> Int { k * d }

    func covariances(scatters: [Matrix], counts: [Double], total: Double) -> [Matrix] {
        scatters.indices.map { c in Matrix.diagonal((0..<scatters[c].rows).map { scatters[c][$0, $0] / counts[c] }) }
    }

    func shapeProblem(_ covariances: [Matrix], tolerance: Double) -> String? {
        for (c, cov) in covariances.enumerated() {
            if let problem = offDiagonalProblem(cov, component: c, tolerance: tolerance, type: "diag") { return problem }
        }
        return nil
    }

    func compact(_ matrices: [Matrix]) -> CompactMatrices {
        let d = matrices.first?.rows ?? 0
        return CompactMatrices(shape: [matrices.count, d], values: matrices.flatMap { m in (0..<d).map { m[$0, $0] } })
    }

    func compactShape(components k: Int, features d: Int) -> [Int] { [k, d] }

    func shapeDescription(components k: Int, features d: Int, entries: String) -> String {
        "\(k) rows of \(d) \(entries) (the diagonals)"
    }

    func fullMatrix(fromCompact values: [Double], component c: Int, features d: Int) -> Matrix {
        Matrix.diagonal(Array(values[(c * d)..<((c + 1) * d)]))
    }

    func diagonal(fromCompact values: [Double], component c: Int, features d: Int) -> [Double] {
        Array(values[(c * d)..<((c + 1) * d)])
    }

    func factorize(_ values: [Double], components k: Int, features d: Int) -> Factorization {
        diagonalFactorization(values, components: k, features: d) { c, i in c * d + i }
    }

    func invertFactors(_ factors: [Double], components k: Int, features d: Int) -> [Double] { factors.map { 1 / $0 } }
}
