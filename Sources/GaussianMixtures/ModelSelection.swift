import Dispatch
import Foundation

/// What ``GaussianMixture/select(_:rows:columns:components:covarianceTypes:criterion:sampleWeights:options:)``
/// minimises.
public enum SelectionCriterion: String, Sendable, CaseIterable {
    /// Bayesian information criterion, `-2 log L + p ln N`: prefers fewer parameters as N grows.
    case bic
    /// Akaike information criterion, `-2 log L + 2p`.
    case aic
}

/// One fitted point of the grid.
public struct SelectionCandidate: Sendable {
    public let components: Int
    public let covarianceType: CovarianceType
    /// The fit, or nil when it failed (``failure`` says why, e.g. a collapsed component).
    public let fit: FitResult?
    public let failure: String?
    /// `-2 Σ_n w_n log p(x_n) + p ln Σ_n w_n` and `-2 Σ_n w_n log p(x_n) + 2p` of the fitted model
    /// (scikit-learn's `bic(X)` and `aic(X)` without weights); infinite for a failed fit.
    public let bic: Double
    public let aic: Double

    /// The criterion's value.
    public func value(_ criterion: SelectionCriterion) -> Double { criterion == .bic ? bic : aic }
}

/// The whole grid, in the order asked (components outer, covariance types inner), and the winner.
public struct SelectionResult: Sendable {
    public let candidates: [SelectionCandidate]
    public let criterion: SelectionCriterion
    /// Index of the candidate with the lowest criterion (the first on ties).
    public let bestIndex: Int

    public var best: SelectionCandidate { candidates[bestIndex] }
}

extension GaussianMixture {
    /// Model selection: fits every (K, covariance type) of the grid with `options` (restarts,
    /// initialisation, seed, ...) and keeps the lowest BIC or AIC, as one does with
    /// scikit-learn's `GaussianMixture` in a loop. Small data sets fit several candidates at
    /// once, one thread each; large ones fit one candidate at a time on every thread. The
    /// results do not depend on which.
    /// - Throws: ``GaussianMixtureError`` for bad data, weights or options, or when every fit fails.
    public static func select(_ values: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                              components: [Int], covarianceTypes: [CovarianceType] = CovarianceType.allCases,
                              criterion: SelectionCriterion = .bic, sampleWeights: UnsafeBufferPointer<Double>? = nil,
                              options: FitOptions = FitOptions()) throws -> SelectionResult {
        try selectValues(values, rows: rows, columns: columns, components: components, covarianceTypes: covarianceTypes,
                         criterion: criterion, sampleWeights: sampleWeights, options: options)
    }

    /// The same selection over float32 values, without a copy: each candidate is fitted and
    /// scored in float32, as the float32 `fit` does.
    public static func select(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                              components: [Int], covarianceTypes: [CovarianceType] = CovarianceType.allCases,
                              criterion: SelectionCriterion = .bic, sampleWeights: UnsafeBufferPointer<Double>? = nil,
                              options: FitOptions = FitOptions()) throws -> SelectionResult {
        try selectValues(values, rows: rows, columns: columns, components: components, covarianceTypes: covarianceTypes,
                         criterion: criterion, sampleWeights: sampleWeights, options: options)
    }

    /// The grid over `Scalar` data, checked for finiteness and range once for every candidate.
    private static func selectValues<Scalar: EngineScalar>(
        _ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, components: [Int], covarianceTypes: [CovarianceType],
        criterion: SelectionCriterion, sampleWeights: UnsafeBufferPointer<Double>?, options: FitOptions
    ) throws -> SelectionResult {
        guard !components.isEmpty, components.allSatisfy({ $0 >= 1 }) else {
            throw GaussianMixtureError.invalidOption("components must be a non-empty list of integers >= 1, got \(components)")
        }
        guard !covarianceTypes.isEmpty else {
            throw GaussianMixtureError.invalidOption("give at least one covariance type")
        }
        try options.validate()
        if case .model = options.initialization {
            throw GaussianMixtureError.invalidOption("a start model fits one K and one type; select needs another initialisation")
        }
        // Over several processes (options.reducer) each holds a block of the rows, maybe none.
        let reducer = options.reducer
        let globalRows = reducer.size > 1 ? Int(reducer.total(Double(rows))) : rows
        guard globalRows >= 1, rows >= 0, columns >= 1, values.count == rows * columns else {
            throw GaussianMixtureError.invalidShape("expected a non-empty \(rows) x \(columns) data matrix, got \(values.count) values")
        }
        let weights = try checkSampleWeights(sampleWeights, rows: rows, reducer: reducer)
        let spare = [Scalar](repeating: 0, count: columns)
        try spare.withUnsafeBufferPointer { spareBuffer in
            guard let base = values.baseAddress ?? spareBuffer.baseAddress else { return }
            let blocks = RowBlocks(rows: rows, reducer: reducer)
            let view = DataView(base: base, rows: rows, columns: columns, weights: weights, reducer: reducer,
                                firstRow: blocks.starts[reducer.rank], globalRows: blocks.total)
            try checkValues(view, threads: options.threads)
        }
        let grid = components.flatMap { k in covarianceTypes.map { (k, $0) } }
        let data = UnsafeTransfer((values, sampleWeights))
        // The fits of a distributed grid exchange sums, so they run one after the other, in grid order.
        let concurrent = reducer.size == 1 && rows * columns < 200_000 && options.threads > 1 && grid.count > 1
        let results = ResultSlots<SelectionCandidate>(count: grid.count)
        let fitOne: @Sendable (Int, Int) -> Void = { index, threads in
            let (k, type) = grid[index]
            var candidateOptions = options
            candidateOptions.covarianceType = type
            candidateOptions.threads = threads
            candidateOptions.progress = nil
            results[index] = candidate(data.wrappedValue.0, rows: rows, columns: columns, components: k, type: type,
                                       sampleWeights: data.wrappedValue.1, options: candidateOptions)
        }
        if concurrent {
            DispatchQueue.concurrentPerform(iterations: grid.count) { fitOne($0, 1) }
        } else {
            for index in grid.indices { fitOne(index, options.threads) }
        }
        let candidates = results.values
        guard let bestIndex = candidates.indices.filter({ candidates[$0].fit != nil })
            .min(by: { candidates[$0].value(criterion) < candidates[$1].value(criterion) }) else {
            throw GaussianMixtureError.invalidModel("every fit of the grid failed; the first: \(candidates[0].failure ?? "")")
        }
        return SelectionResult(candidates: candidates, criterion: criterion, bestIndex: bestIndex)
    }

    /// ``select(_:rows:columns:components:covarianceTypes:criterion:sampleWeights:options:)`` on a matrix.
    public static func select(_ data: Matrix, components: [Int], covarianceTypes: [CovarianceType] = CovarianceType.allCases,
                              criterion: SelectionCriterion = .bic, sampleWeights: [Double]? = nil,
                              options: FitOptions = FitOptions()) throws -> SelectionResult {
        try data.values.withUnsafeBufferPointer { values in
            try withOptionalBuffer(sampleWeights) { weights in
                try select(values, rows: data.rows, columns: data.columns, components: components,
                           covarianceTypes: covarianceTypes, criterion: criterion, sampleWeights: weights, options: options)
            }
        }
    }

    /// One point of the grid: the fit and its criteria, or why it failed.
    private static func candidate<Scalar: EngineScalar>(_ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
                                                        components k: Int, type: CovarianceType,
                                                        sampleWeights: UnsafeBufferPointer<Double>?,
                                                        options: FitOptions) -> SelectionCandidate {
        do {
            let fit = try fitValues(values, rows: rows, columns: columns, components: k, sampleWeights: sampleWeights,
                                    options: options, dataChecked: true)
            let perRow = rows == 0 ? [] : try fit.model.evaluate(values, rows: rows, columns: columns, threads: options.threads,
                                                                 responsibilities: false, dataChecked: true).logLikelihoods
            // Σ_n w_n log p(x_n) and Σ_n w_n over every process's rows, in the fixed chunk tree.
            let total = options.reducer.sumOfRows(rows) { (sampleWeights?[$0] ?? 1) * perRow[$0] }
            let count = sampleWeights.map { options.reducer.sumOfRows($0) }
                ?? Double(options.reducer.size > 1 ? Int(options.reducer.total(Double(rows))) : rows)
            let p = Double(fit.model.parameterCount)
            return SelectionCandidate(components: k, covarianceType: type, fit: fit, failure: nil,
                                      bic: -2 * total + p * Foundation.log(count), aic: -2 * total + 2 * p)
        } catch {
            return SelectionCandidate(components: k, covarianceType: type, fit: nil, failure: "\(error)",
                                      bic: .infinity, aic: .infinity)
        }
    }
}

/// Results written by concurrent tasks, one slot each.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    init(count: Int) { storage = [Value?](repeating: nil, count: count) }

    subscript(index: Int) -> Value? {
        get { lock.lock(); defer { lock.unlock() }; return storage[index] }
        set { lock.lock(); storage[index] = newValue; lock.unlock() }
    }

    var values: [Value] { lock.lock(); defer { lock.unlock() }; return storage.map { $0! } }
}
