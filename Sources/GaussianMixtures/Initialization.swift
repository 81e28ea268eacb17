/// The starting model of one restart: responsibilities from the chosen initialisation, turned
/// into parameters by one M-step (as scikit-learn's `_initialize` does), or the user's model.
/// Given parts of a start (`start`) replace what the initialisation computed; when all three
/// are given the initialisation does not run (scikit-learn's `_initialize_parameters`).
func initialModel<Kernel: EMKernel>(_ data: DataView<Kernel.Scalar>, components k: Int, options: FitOptions,
                                    seed: UInt64, engine: Kernel, start: PartialStart = PartialStart(),
                                    summary: ColumnSummary? = nil) throws -> GaussianMixture {
    let d = data.columns
    if let weights = start.weights, let means = start.means, let covariances = start.covariances {
        return try GaussianMixture(validatedWeights: weights, means: means, covariances: covariances,
                                   covarianceType: options.covarianceType, iteration: 0,
                                   regularization: options.regularization)
    }
    var generator = Xoshiro256StarStar(seed: seed)
    let source: ResponsibilitySource
    var shifts = [Double](repeating: 0, count: k * d)
    func copyRows(_ rows: [Int]) { shifts = data.doubles(ofGlobalRows: rows).flatMap { $0 } }
    switch options.initialization {
    case .model(let model):
        return model
    case .kMeans:
        let (labels, centers) = KMeans(data: data, clusters: k, threads: options.threads, seedingSample: options.seedingSample,
                                       summary: summary).cluster(using: &generator)
        source = .labels(labels)
        shifts = centers
    case .kMeansPlusPlus:
        let seeds = KMeans(data: data, clusters: k, threads: options.threads, seedingSample: options.seedingSample,
                           summary: summary).seeds(using: &generator)
        source = .seedRows(seeds)
        copyRows(seeds)
    case .randomFromData:
        // Rows of weight zero cannot start a component: draw among the others.
        let candidates = data.weights.map { w in (0..<data.rows).filter { w[$0] > 0 } }
        let rows = globalCandidates(candidates, of: data, picks: distinctRandomRows(
            k, below: data.reducer.total(Double(candidates?.count ?? data.rows)).rounded().clampedToInt, using: &generator))
        source = .seedRows(rows)
        copyRows(rows)
    case .randomResponsibilities:
        source = .random(seed: generator.next())
        // Shift every component's statistics by the data mean (avoids cancellation).
        let mean = data.sumOverRows(count: d) { rows, sums in
            for n in rows { for j in 0..<d { sums[j] += Double(data.row(n)[j]) } }
        }
        for c in 0..<k { for j in 0..<d { shifts[c * d + j] = mean[j] / Double(data.globalRows) } }
    }
    return try startingModel(engine.statistics(of: source, shifts: shifts), options: options, start: start)
}

/// The model of one M-step from the initialisation's statistics, with the parts of a start the
/// user gave in place of its own.
private func startingModel(_ stats: SufficientStatistics, options: FitOptions, start: PartialStart) throws -> GaussianMixture {
    let model = try maximizationStep(stats, covarianceType: options.covarianceType, regularization: options.regularization,
                                     iteration: 0)
    guard start.weights != nil || start.means != nil || start.covariances != nil else { return model }
    return try GaussianMixture(validatedWeights: start.weights ?? model.weights, means: start.means ?? model.means,
                               covariances: start.covariances ?? model.covariances, covarianceType: options.covarianceType,
                               iteration: 0, regularization: options.regularization)
}

/// The parts of a start the user gave (scikit-learn's `weights_init`, `means_init` and
/// `precisions_init`), checked against K and D, with the precisions turned into covariances.
struct PartialStart {
    var weights: [Double]?
    var means: Matrix?
    var covariances: [Matrix]?

    init() {}

    /// Checks ``FitOptions/initialWeights``, ``FitOptions/initialMeans`` and
    /// ``FitOptions/initialPrecisions`` for `k` components on `d` features.
    /// - Throws: ``GaussianMixtureError/invalidStart(_:_:)`` saying which part is wrong and how.
    init(_ options: FitOptions, components k: Int, features d: Int) throws {
        func fail(_ part: StartPart, _ message: String) -> GaussianMixtureError { .invalidStart(part, message) }
        if let weights = options.initialWeights {
            guard weights.count == k else {
                throw fail(.weights, "the initial weights are \(weights.count) values for \(k) components; give one weight per component")
            }
            for (c, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
                throw fail(.weights, "the initial weight of component \(c) is \(w); weights must be finite and non-negative")
            }
            let total = weights.reduce(0, +)
            guard abs(total - 1) <= 1e-6 else { throw fail(.weights, "the initial weights sum to \(total); they must sum to 1") }
            self.weights = weights
        }
        if let means = options.initialMeans {
            guard means.rows == k, means.columns == d else {
                throw fail(.means, "the initial means are \(means.rows) x \(means.columns), but the fit has \(k) components "
                           + "on \(d) features; give one row of \(d) values per component")
            }
            if let i = means.values.firstIndex(where: { !$0.isFinite }) {
                throw fail(.means, "the initial mean of component \(i / d) holds \(means.values[i]) in feature \(i % d)")
            }
            self.means = means
        }
        if let precisions = options.initialPrecisions {
            guard precisions.count == k else {
                throw fail(.precisions, "\(precisions.count) initial precision matrices for \(k) components")
            }
            for (c, p) in precisions.enumerated() {
                guard p.rows == d, p.columns == d else {
                    throw fail(.precisions, "the initial precision of component \(c) is \(p.rows) x \(p.columns), expected \(d) x \(d)")
                }
                if let v = p.values.first(where: { !$0.isFinite }) {
                    throw fail(.precisions, "the initial precision of component \(c) holds \(v)")
                }
                for i in 0..<d {
                    for j in 0..<i where abs(p[i, j] - p[j, i]) > 1e-8 + 1e-5 * abs(p[j, i]) {
                        throw fail(.precisions, "the initial precision of component \(c) is not symmetric: "
                                   + "(\(i), \(j)) = \(p[i, j]) but (\(j), \(i)) = \(p[j, i])")
                    }
                }
            }
            if let problem = options.covarianceType.shapeProblem(precisions) {
                throw fail(.precisions, "initial precisions: " + problem.replacingOccurrences(of: "covariance", with: "precision"))
            }
            covariances = try precisions.enumerated().map { c, p in
                guard let covariance = Self.inverse(of: p, diagonal: options.covarianceType.structure.hasDiagonalPrecisions) else {
                    throw fail(.precisions, "the initial precision of component \(c) is not positive definite")
                }
                return covariance
            }
        }
    }

    /// `P⁻¹` for a symmetric positive-definite `P`: with `P = R Rᵀ`, `P⁻¹ = R⁻ᵀ R⁻¹` (symmetric
    /// bit for bit); for a diagonal `P`, the reciprocals of its diagonal. Nil when `P` is not
    /// positive definite.
    static func inverse(of p: Matrix, diagonal: Bool) -> Matrix? {
        let d = p.rows
        var result = Matrix(zeros: d, d)
        if diagonal {
            for i in 0..<d {
                guard p[i, i] > 0 else { return nil }
                result[i, i] = 1 / p[i, i]
            }
            return result
        }
        var r = p.values
        guard LAPACK.choleskyLower(&r, dimension: d) else { return nil }
        var inverse = r
        guard LAPACK.invertLowerTriangular(&inverse, dimension: d) else { return nil }
        for i in 0..<d {
            for j in 0..<d {
                var s = 0.0
                for m in max(i, j)..<d { s += inverse[m * d + i] * inverse[m * d + j] }
                result[i, j] = s
            }
        }
        return result.values.allSatisfy(\.isFinite) ? result : nil
    }
}

/// The global rows of the `picks`-th candidates (0-based among all processes' candidates, in
/// row order), where `candidates` are this process's (its rows, or all of them when nil).
private func globalCandidates<Scalar>(_ candidates: [Int]?, of data: DataView<Scalar>, picks: [Int]) -> [Int] {
    let count = candidates?.count ?? data.rows
    guard data.reducer.size > 1 else { return picks.map { candidates?[$0] ?? $0 } }
    let before = Int(data.reducer.exclusivePrefixSum(Double(count)))
    var mine = [Double](repeating: -1, count: picks.count)
    for (i, p) in picks.enumerated() where p >= before && p < before + count {
        mine[i] = Double(data.firstRow + (candidates?[p - before] ?? (p - before)))
    }
    let parts = data.reducer.gather(mine)
    return picks.indices.map { i in Int(parts.map { $0[i] }.max() ?? 0) }
}

extension Double {
    /// This whole number as an Int (0 when it is not finite or beyond Int's range).
    var clampedToInt: Int { isFinite && abs(self) < 0x1p62 ? Int(self) : 0 }
}

/// `count` distinct integers from `0..<bound`, in draw order (Floyd's algorithm).
func distinctRandomRows(_ count: Int, below bound: Int, using generator: inout Xoshiro256StarStar) -> [Int] {
    var chosen = Set<Int>()
    var order: [Int] = []
    for j in (bound - count)..<bound {
        let t = generator.nextInt(below: j + 1)
        let pick = chosen.contains(t) ? j : t
        chosen.insert(pick)
        order.append(pick)
    }
    return order
}
