/// The starting model of one restart: responsibilities from the chosen initialisation, turned
/// into parameters by one M-step (as scikit-learn's `_initialize` does), or the user's model.
func initialModel<Kernel: EMKernel>(_ data: DataView<Kernel.Scalar>, components k: Int, options: FitOptions,
                                    seed: UInt64, engine: Kernel) throws -> GaussianMixture {
    let d = data.columns
    var generator = Xoshiro256StarStar(seed: seed)
    let source: ResponsibilitySource
    var shifts = [Double](repeating: 0, count: k * d)
    func copyRows(_ rows: [Int]) { shifts = rows.flatMap(data.doubles(ofRow:)) }
    switch options.initialization {
    case .model(let model):
        return model
    case .kMeans:
        let kmeans = KMeans(data: data, clusters: k, threads: options.threads)
        let seeds = kmeans.plusPlusSeeds(using: &generator)
        let (labels, centers) = kmeans.lloyd(seeds: seeds)
        source = .labels(labels)
        shifts = centers
    case .kMeansPlusPlus:
        let seeds = KMeans(data: data, clusters: k, threads: options.threads).plusPlusSeeds(using: &generator)
        source = .seedRows(seeds)
        copyRows(seeds)
    case .randomFromData:
        // Rows of weight zero cannot start a component: draw among the others.
        let candidates = data.weights.map { w in (0..<data.rows).filter { w[$0] > 0 } }
        let rows = distinctRandomRows(k, below: candidates?.count ?? data.rows, using: &generator).map { candidates?[$0] ?? $0 }
        source = .seedRows(rows)
        copyRows(rows)
    case .randomResponsibilities:
        source = .random(seed: generator.next())
        // Shift every component's statistics by the data mean (avoids cancellation).
        var mean = [Double](repeating: 0, count: d)
        for n in 0..<data.rows { for j in 0..<d { mean[j] += Double(data.row(n)[j]) } }
        for c in 0..<k { for j in 0..<d { shifts[c * d + j] = mean[j] / Double(data.rows) } }
    }
    let stats = engine.statistics(of: source, shifts: shifts)
    return try maximizationStep(stats, covarianceType: options.covarianceType, regularization: options.regularization,
                                iteration: 0, kernel: Kernel.self)
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
