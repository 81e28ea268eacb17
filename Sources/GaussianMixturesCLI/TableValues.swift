import GaussianMixtures
import GaussianMixturesIO

/// A table's values in the precision they were read in, so that `score`, `predict` and `select`
/// take a float32 table (a memory-mapped float32 `.npy`, or `--precision float32`) in float32,
/// without a float64 copy, as `fit` does.
enum TableValues {
    case double(UnsafeBufferPointer<Double>)
    case single(UnsafeBufferPointer<Float>)

    /// Rows `range` of a row-major table with `columns` columns (no copy).
    func rows(_ range: Range<Int>, columns: Int) -> TableValues {
        switch self {
        case .double(let v): return .double(UnsafeBufferPointer(rebasing: v[(range.lowerBound * columns)..<(range.upperBound * columns)]))
        case .single(let v): return .single(UnsafeBufferPointer(rebasing: v[(range.lowerBound * columns)..<(range.upperBound * columns)]))
        }
    }
}

extension DataTable {
    /// Calls `body` with the values in the table's own precision, keeping the table (and its
    /// memory map) alive until `body` returns.
    func withValues<R>(_ body: (TableValues) throws -> R) rethrows -> R {
        try withUnsafeSingleValues { single in
            if let single { return try body(.single(single)) }
            return try withUnsafeValues { try body(.double($0)) }
        }
    }
}

extension GaussianMixture {
    func logLikelihoods(of values: TableValues, rows: Int, columns: Int, threads: Int) throws -> [Double] {
        switch values {
        case .double(let v): return try logLikelihoods(of: v, rows: rows, columns: columns, threads: threads)
        case .single(let v): return try logLikelihoods(of: v, rows: rows, columns: columns, threads: threads)
        }
    }

    func predictProbabilities(_ values: TableValues, rows: Int, columns: Int, threads: Int) throws -> Matrix {
        switch values {
        case .double(let v): return try predictProbabilities(v, rows: rows, columns: columns, threads: threads)
        case .single(let v): return try predictProbabilities(v, rows: rows, columns: columns, threads: threads)
        }
    }

    func predict(_ values: TableValues, rows: Int, columns: Int, threads: Int) throws -> [Int] {
        switch values {
        case .double(let v): return try predict(v, rows: rows, columns: columns, threads: threads)
        case .single(let v): return try predict(v, rows: rows, columns: columns, threads: threads)
        }
    }

    static func select(_ values: TableValues, rows: Int, columns: Int, components: [Int], covarianceTypes: [CovarianceType],
                       criterion: SelectionCriterion, sampleWeights: UnsafeBufferPointer<Double>?,
                       options: FitOptions) throws -> SelectionResult {
        switch values {
        case .double(let v):
            return try select(v, rows: rows, columns: columns, components: components, covarianceTypes: covarianceTypes,
                              criterion: criterion, sampleWeights: sampleWeights, options: options)
        case .single(let v):
            return try select(v, rows: rows, columns: columns, components: components, covarianceTypes: covarianceTypes,
                              criterion: criterion, sampleWeights: sampleWeights, options: options)
        }
    }
}
