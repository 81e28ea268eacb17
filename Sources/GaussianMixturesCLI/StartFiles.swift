import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// Reads `--sample-weight`: one column (or a 1-D .npy) with one value per data row.
/// - Throws: ``DataFileError/format(path:message:)`` naming the file for a wrong shape or count,
///   and the reader's errors (a non-number, NaN) with their line.
func readSampleWeights(_ path: String, rows: Int, dataPath: String) throws -> [Double] {
    let table = try readTable(path)
    guard table.columns == 1 else {
        throw DataFileError.format(path: table.path, message:
            "sample weights must be one column (one value per row of \(dataPath)), found \(table.columns) columns")
    }
    guard table.rows == rows else {
        throw DataFileError.format(path: table.path, message:
            "\(table.rows) sample weights for the \(rows) rows of \(dataPath); give one weight per row")
    }
    return table.withUnsafeValues { Array($0) }
}

/// Reads `--init-means`: `components` rows of `features` values.
/// - Throws: ``DataFileError/format(path:message:)`` with the shape found and the one expected.
func readInitialMeans(_ path: String, components k: Int, features d: Int) throws -> Matrix {
    let table = try readTable(path)
    guard table.rows == k, table.columns == d else {
        throw DataFileError.format(path: table.path, message:
            "initial means must be \(k) rows (one per component) of \(d) values (one per feature), found "
            + "\(table.rows) x \(table.columns); in Python: np.savetxt(path, means, delimiter=',')")
    }
    return try Matrix(rows: k, columns: d, values: table.withUnsafeValues { Array($0) })
}

/// Reads `--init-weights`: `components` values as one column or one row.
/// - Throws: ``DataFileError/format(path:message:)`` with the shape found and the one expected.
func readInitialWeights(_ path: String, components k: Int) throws -> [Double] {
    let table = try readTable(path)
    guard (table.rows == k && table.columns == 1) || (table.rows == 1 && table.columns == k) else {
        throw DataFileError.format(path: table.path, message:
            "initial weights must be \(k) values (one per component) in one column or one row, found "
            + "\(table.rows) x \(table.columns)")
    }
    return table.withUnsafeValues { Array($0) }
}

/// Reads `--init-precisions` in the shape of `type`, as scikit-learn's `precisions_init` laid
/// out in two dimensions: full `K·D x D` (the K matrices one under the other), diag `K x D`,
/// spherical K values (a column or a row), tied `D x D`. Returns K full matrices.
/// - Throws: ``DataFileError/format(path:message:)`` with the shape found and the one expected.
func readInitialPrecisions(_ path: String, components k: Int, features d: Int, type: CovarianceType) throws -> [Matrix] {
    let table = try readTable(path)
    let values = table.withUnsafeValues { Array($0) }
    let (stacked, overflow) = k.multipliedReportingOverflow(by: d)
    let shape: (rows: Int, columns: Int, text: String)
    switch type {
    case .full: shape = (overflow ? -1 : stacked, d, "\(k)·\(d) rows of \(d) values: the \(k) matrices of \(d) x \(d) one under the other "
                         + "(np.savetxt(path, precisions.reshape(-1, \(d)), delimiter=','))")
    case .diag: shape = (k, d, "\(k) rows of \(d) values: one row of diagonal precisions per component")
    case .spherical: shape = (k, 1, "\(k) values: one precision per component, in one column or one row")
    case .tied: shape = (d, d, "one \(d) x \(d) matrix")
    }
    let fits = (table.rows == shape.rows && table.columns == shape.columns)
        || (type == .spherical && table.rows == 1 && table.columns == k)
    guard fits else {
        throw DataFileError.format(path: table.path, message:
            "initial precisions of a '\(type.rawValue)' model with \(k) components on \(d) features must be "
            + "\(shape.text), found \(table.rows) x \(table.columns)")
    }
    func diagonal(_ v: ArraySlice<Double>) -> Matrix {
        var m = Matrix(zeros: d, d)
        for (i, x) in v.enumerated() { m[i, i] = x }
        return m
    }
    switch type {
    case .full:
        return try (0..<k).map { c in try Matrix(rows: d, columns: d, values: Array(values[(c * d * d)..<((c + 1) * d * d)])) }
    case .diag:
        return (0..<k).map { c in diagonal(values[(c * d)..<((c + 1) * d)]) }
    case .spherical:
        return values.map { diagonal(ArraySlice(repeating: $0, count: d)) }
    case .tied:
        let shared = try Matrix(rows: d, columns: d, values: values)
        return [Matrix](repeating: shared, count: k)
    }
}
