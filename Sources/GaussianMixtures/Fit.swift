import Foundation

extension GaussianMixture {
    /// Fits a mixture of `components` Gaussians (of `options.covarianceType`) to the rows of
    /// `data` by EM.
    ///
    /// Each iteration runs the E-step under the current parameters (its mean log-likelihood per
    /// sample is the lower bound, which EM never decreases) and then the M-step. A restart stops
    /// when the lower bound changes by less than `options.tolerance` or after
    /// `options.maxIterations`; of `options.restarts` restarts the best lower bound wins.
    /// These are scikit-learn's `GaussianMixture.fit` semantics.
    /// - Parameters:
    ///   - data: one sample per row, one feature per column; every value finite.
    ///   - components: K >= 1, at most the number of rows.
    ///   - sampleWeights: one non-negative weight per row, or nil for all ones. A row of weight
    ///     `m` counts as `m` copies of it: integer weights give the model of the duplicated rows.
    ///   - options: tolerance, regularization, initialisation, covariance type, threads, seed, ...
    /// - Throws: ``GaussianMixtureError`` for bad data, bad options or a collapsed component.
    public static func fit(_ data: Matrix, components: Int, sampleWeights: [Double]? = nil,
                           options: FitOptions = FitOptions()) throws -> FitResult {
        try data.values.withUnsafeBufferPointer { buffer in
            try withOptionalBuffer(sampleWeights) { weights in
                try fitValues(buffer, rows: data.rows, columns: data.columns, components: components,
                              sampleWeights: weights, options: options)
            }
        }
    }

    /// Fits from row-major values owned by the caller (for example a memory-mapped file):
    /// nothing is copied. See ``fit(_:components:sampleWeights:options:)``.
    public static func fit(_ values: UnsafeBufferPointer<Double>, rows: Int, columns: Int, components: Int,
                           sampleWeights: UnsafeBufferPointer<Double>? = nil,
                           options: FitOptions = FitOptions()) throws -> FitResult {
        try fitValues(values, rows: rows, columns: columns, components: components, sampleWeights: sampleWeights,
                      options: options)
    }

    /// Fits in single precision (float32): the data, the E-step's products and its buffers are
    /// `Float`, which halves the memory traffic and doubles the SIMD width; every sum over rows,
    /// the M-step and the model stay `Double`. On well-conditioned data the lower bound agrees
    /// with a float64 fit to about 1e-6 relative (BENCHMARKS.md has the measured gaps). Nothing
    /// is copied. See ``fit(_:components:sampleWeights:options:)``.
    public static func fit(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, components: Int,
                           sampleWeights: UnsafeBufferPointer<Double>? = nil,
                           options: FitOptions = FitOptions()) throws -> FitResult {
        try fitValues(values, rows: rows, columns: columns, components: components, sampleWeights: sampleWeights,
                      options: options)
    }

    /// The single-precision fit above, from an array of `rows x columns` row-major values.
    public static func fit(_ values: [Float], rows: Int, columns: Int, components: Int, sampleWeights: [Double]? = nil,
                           options: FitOptions = FitOptions()) throws -> FitResult {
        try values.withUnsafeBufferPointer { buffer in
            try withOptionalBuffer(sampleWeights) { weights in
                try fitValues(buffer, rows: rows, columns: columns, components: components, sampleWeights: weights,
                              options: options)
            }
        }
    }

    /// The fit over `Scalar` values; `dataChecked` skips the finiteness and range scans when the
    /// caller has made them (model selection, once for its whole grid).
    static func fitValues<Scalar: EngineScalar>(_ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
                                                components: Int, sampleWeights: UnsafeBufferPointer<Double>?,
                                                options: FitOptions, dataChecked: Bool = false) throws -> FitResult {
        try options.validate()
        let reducer = options.reducer
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        // Over several processes one of them may hold no rows; all of them together must hold some.
        let globalRows = reducer.size > 1 ? Int(reducer.total(Double(rows))) : rows
        guard globalRows >= 1, rows >= 0, columns >= 1, !overflow, values.count == count else {
            throw GaussianMixtureError.invalidShape(
                "expected a non-empty \(rows) x \(columns) data matrix, got \(values.count) values")
        }
        // A block of no rows still needs a pointer: one row of zeros that no loop reads.
        let spare = [Scalar](repeating: 0, count: columns)
        return try spare.withUnsafeBufferPointer { spareBuffer in
            guard let base = values.baseAddress ?? spareBuffer.baseAddress else {
                throw GaussianMixtureError.invalidShape("expected a \(rows) x \(columns) data matrix")
            }
            return try fitRows(base, rows: rows, globalRows: globalRows, columns: columns, components: components,
                               sampleWeights: sampleWeights, options: options, dataChecked: dataChecked)
        }
    }

    private static func fitRows<Scalar: EngineScalar>(_ base: UnsafePointer<Scalar>, rows: Int, globalRows: Int, columns: Int,
                                                      components: Int, sampleWeights: UnsafeBufferPointer<Double>?,
                                                      options: FitOptions, dataChecked: Bool) throws -> FitResult {
        let reducer = options.reducer
        guard components >= 1 else {
            throw GaussianMixtureError.invalidOption("components must be >= 1, got \(components)")
        }
        _ = try checkSampleWeights(sampleWeights, rows: rows, reducer: reducer)
        // A row whose weight underflows to zero next to the largest (a ratio below about 1e-323)
        // counts as absent, here as in the fit.
        let normalized = sampleWeights.map { meanNormalizedWeights($0, reducer: reducer) }
        let localWeighted = normalized.map { w in w.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } } ?? rows
        let weightedRows = reducer.size > 1 ? Int(reducer.total(Double(localWeighted))) : localWeighted
        guard weightedRows >= components else {
            throw GaussianMixtureError.tooFewSamples(samples: weightedRows, components: components)
        }
        if case .model(let start) = options.initialization {
            guard start.componentCount == components, start.featureCount == columns else {
                throw GaussianMixtureError.invalidModel(
                    "the initial model has \(start.componentCount) components and \(start.featureCount) features, "
                    + "but the fit asks for \(components) components on \(columns) features")
            }
            guard start.covarianceType == options.covarianceType else {
                throw GaussianMixtureError.invalidModel(
                    "the initial model has \(start.covarianceType.rawValue) covariances but the fit asks for "
                    + "\(options.covarianceType.rawValue); set the covariance type to the model's")
            }
        }
        return try withOptionalBuffer(normalized) { weights in
            let firstRow = reducer.size > 1 ? Int(reducer.exclusivePrefixSum(Double(rows))) : 0
            let data = DataView(base: base, rows: rows, columns: columns, weights: weights?.baseAddress,
                                reducer: reducer, firstRow: firstRow, globalRows: globalRows)
            let summary = dataChecked ? nil : try checkValues(data, threads: options.threads)
            switch options.path {
            case .lapack:
                return try runEM(data, components: components, options: options, kernel: BLASKernel<Scalar>.self, summary: summary)
            case .naive:
                return try runEM(data, components: components, options: options, kernel: NaiveKernel<Scalar>.self, summary: summary)
            }
        }
    }
}

/// A component is empty when its responsibilities sum to at most this share of the data's weight.
let emptyComponentShare = 1e-9

extension GaussianMixture {
    /// This model with each of `components` moved onto the row of `points` at the same index:
    /// its mean becomes the point, its covariance the mean of the other components' (so the
    /// covariance type is kept), its weight one row's share (`1 / sampleCount`, the others scaled
    /// down to make room).
    func reseeding(_ components: [Int], at points: [[Double]], sampleCount: Double,
                   iteration: Int, regularization: Double) throws -> GaussianMixture {
        let k = componentCount, d = featureCount
        let kept = (0..<k).filter { !components.contains($0) }
        let current = self.covariances  // full views, made once
        var shared = Matrix(zeros: d, d)
        for c in kept { for i in shared.values.indices { shared.values[i] += current[c].values[i] / Double(kept.count) } }
        var weights = self.weights, means = self.means, covariances = current
        let share = min(1 / max(sampleCount, 1), 1 / Double(k))
        for c in kept { weights[c] *= 1 - share * Double(components.count) }
        for (c, point) in zip(components, points) {
            weights[c] = share
            for j in 0..<d { means[c, j] = point[j] }
            covariances[c] = kept.isEmpty ? current[c] : shared
        }
        let total = weights.reduce(0, +)
        return try GaussianMixture(validatedWeights: weights.map { $0 / total }, means: means, covariances: covariances,
                                   covarianceType: covarianceType, iteration: iteration,
                                   regularization: regularization)
    }
}

/// The EM loop, written once for every kernel. `summary` is the data's ``ColumnSummary`` when
/// the checks have taken it.
func runEM<Kernel: EMKernel>(_ data: DataView<Kernel.Scalar>, components k: Int, options: FitOptions,
                             kernel: Kernel.Type, summary: ColumnSummary? = nil) throws -> FitResult {
    let clock = ContinuousClock()
    let fitStart = clock.now
    let summary = summary ?? data.columnSummary(threads: options.threads)
    let engine = Kernel(data: data, components: k, covarianceType: options.covarianceType, threads: options.threads,
                        chunkRows: nil, summary: summary)
    engine.prune(!options.exactDense, evenWhereItDoesNotPay: options.pruneEvenWhereItDoesNotPay)
    let start = try PartialStart(options, components: k, features: data.columns)
    // A warm start measures its first change against the lower bound its model was fitted to.
    var startBound = -Double.infinity
    if case .model(let model) = options.initialization, let bound = model.lowerBound, bound.isFinite { startBound = bound }
    var best: (model: GaussianMixture, converged: Bool, iterations: Int, lowerBound: Double, history: [Double],
               shares: [Double], restart: Int)?
    var restartBounds: [Double] = []
    var reseeds: [Reseed] = []
    // A start model is one start: its restarts would all be the same fit (scikit-learn's
    // warm_start likewise fits once).
    var restarts = options.restarts
    if case .model = options.initialization { restarts = 1 }
    for restart in 0..<restarts {
        if let stop = options.shouldStop, stop() { throw CancellationError() }
        var model = try initialModel(data, components: k, options: options,
                                     seed: restartSeed(options.seed, restart: restart), engine: engine, start: start,
                                     summary: summary)
        var lowerBound = startBound
        var history: [Double] = [], shares: [Double] = []
        var converged = false
        var iterations = 0
        for iteration in stride(from: 1, through: options.maxIterations, by: 1) {
            if let stop = options.shouldStop, stop() { throw CancellationError() }
            let started = clock.now
            let stats = engine.expectation(model)
            let current = stats.logLikelihood / stats.sampleCount
            guard current.isFinite else { throw GaussianMixtureError.nonFiniteLikelihood(iteration: iteration) }
            model = try maximizationStep(stats, covarianceType: options.covarianceType, regularization: options.regularization,
                                         iteration: iteration)
            var reseeded = false
            if options.reseedEmptyComponents {
                let empty = (0..<k).filter { stats.weightSums[$0] <= emptyComponentShare * stats.sampleCount }
                if !empty.isEmpty {
                    let rows = engine.worstExplainedRows(model, count: empty.count)
                    model = try model.reseeding(empty, at: data.doubles(ofGlobalRows: rows),
                                                sampleCount: stats.sampleCount, iteration: iteration,
                                                regularization: options.regularization)
                    for (component, row) in zip(empty, rows) {
                        reseeds.append(Reseed(restart: restart, iteration: iteration, component: component, row: row))
                    }
                    reseeded = true
                }
            }
            let change = current - lowerBound
            lowerBound = current
            history.append(current)
            shares.append(stats.evaluatedShare ?? 1)
            iterations = iteration
            if let progress = options.progress {
                let elapsed = clock.now - started
                progress(IterationProgress(restart: restart, iteration: iteration, lowerBound: current, change: change,
                                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                           evaluatedShare: stats.evaluatedShare ?? 1))
            }
            if abs(change) < options.tolerance && !reseeded {
                converged = true
                break
            }
        }
        if iterations == 0 { lowerBound = -.infinity }
        restartBounds.append(lowerBound)
        // Without iterations every restart's bound is -inf and the last one wins, as in
        // scikit-learn (whose `max_iter=0` keeps the last initialisation's parameters).
        if best == nil || lowerBound > best!.lowerBound || options.maxIterations == 0 {
            best = (model, converged, iterations, lowerBound, history, shares, restart)
        }
    }
    let elapsed = clock.now - fitStart
    guard var winner = best else {  // restarts >= 1 was validated, so the loop ran at least once.
        throw GaussianMixtureError.invalidOption("restarts must be >= 1, got \(options.restarts)")
    }
    winner.model.lowerBound = winner.lowerBound.isFinite ? winner.lowerBound : nil
    var result = FitResult(model: winner.model, converged: winner.converged, iterations: winner.iterations,
                           lowerBound: winner.lowerBound, lowerBoundHistory: winner.history,
                           bestRestart: winner.restart, restartLowerBounds: restartBounds, reseeds: reseeds,
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    result.evaluatedShareHistory = winner.shares
    return result
}
