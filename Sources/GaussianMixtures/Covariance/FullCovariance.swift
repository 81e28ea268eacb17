/// `covariance_type="full"`: each component its own symmetric positive-definite `Σ_k = T_k / n_k`.
struct FullCovariance: CovarianceStructure {
    func covarianceParameterCount(components k: Int, features d: Int) -> Int { k * d * (d + 1) / 2 }

    func covariances(scatters: [Matrix], counts: [Double], total: Double) -> [Matrix] {
        scatters.indices.map { c in scatters[c].scaled(by: 1 / counts[c]) }
    }

    func shapeProblem(_ covariances: [Matrix], tolerance: Double) -> String? { nil }

    func compact(_ matrices: [Matrix]) -> CompactMatrices {
        let d = matrices.first?.rows ?? 0
        return CompactMatrices(shape: [matrices.count, d, d], values: matrices.flatMap(\.values))
    }

    func compactShape(components k: Int, features d: Int) -> [Int] { [k, d, d] }

    func shapeDescription(components k: Int, features d: Int, entries: String) -> String { "\(k) matrices of \(d) x \(d)" }

    func fullMatrix(fromCompact values: [Double], component c: Int, features d: Int) -> Matrix {
        var m = Matrix(zeros: d, d)
        m.values = Array(values[(c * d * d)..<((c + 1) * d * d)])
        return m
    }

    func factorize(_ values: [Double], components k: Int, features d: Int) -> Factorization {
        var factors: [Double] = [], logDets: [Double] = []
        factors.reserveCapacity(values.count)
        for c in 0..<k {
            guard let (l, logDet) = choleskyBlock(values, offset: c * d * d, features: d) else {
                return .notPositiveDefinite(component: c)
            }
            factors += l
            logDets.append(logDet)
        }
        return .factors(factors, logDeterminants: logDets)
    }

    func invertFactors(_ factors: [Double], components k: Int, features d: Int) -> [Double] {
        (0..<k).flatMap { transposedInverseBlock(factors, offset: $0 * d * d, features: d) }
    }
}
