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
        throw weightCountError(table.path, files: 1, weights: table.rows, rows: rows, dataPath: dataPath)
    }
    return table.withUnsafeValues { Array($0) }
}

/// The complaint that `files` weight files (named `path`) hold `weights` weights for the `rows`
/// rows of `dataPath`.
func weightCountError(_ path: String, files: Int, weights: Int, rows: Int, dataPath: String) -> DataFileError {
    DataFileError.format(path: path, message: files == 1
        ? "\(weights) sample weights for the \(rows) rows of \(dataPath); give one weight per row"
        : "the \(files) weight files hold \(weights) weights for the \(rows) rows of \(dataPath); "
          + "give one weight per row, one weight file per data file")
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
/// out in two dimensions: its compact shape's last axis as the columns and the others stacked
/// as rows (full `K·D x D`, the K matrices one under the other; diag `K x D`; tied `D x D`), a
/// one-axis shape (spherical, K values) as a column or a row. Returns K full matrices.
/// - Throws: ``DataFileError/format(path:message:)`` with the shape found and the one expected.
func readInitialPrecisions(_ path: String, components k: Int, features d: Int, type: CovarianceType) throws -> [Matrix] {
    let shape = type.compactShape(components: k, features: d)
    // scikit-learn's `precisions_` saved as it is is (K, D, D): say how to save it 2-D, rather
    // than the data files' "expected 2-D (samples x features)".
    if path.lowercased().hasSuffix(".npy"), let handle = FileHandle(forReadingAtPath: path),
       let head = try? handle.read(upToCount: 1 << 16),
       let header = try? head.withUnsafeBytes({ try NPY.parseHeader($0, path: path) }), header.shape.count >= 3 {
        throw DataFileError.format(path: path, message:
            "initial precisions as a \(header.shape.count)-D array (shape \(header.shape), as scikit-learn's precisions_ are): "
            + "save them 2-D, np.save(path, precisions.reshape(-1, \(shape.last ?? d)))")
    }
    let table = try readTable(path)
    let described = type.shapeDescription(components: k, features: d, entries: "precisions")
    let columns = shape.last ?? 1
    var rows = 1, overflow = false
    for n in shape.dropLast() {
        let (product, o) = rows.multipliedReportingOverflow(by: n)
        rows = product
        overflow = overflow || o
    }
    let text: String
    switch shape.count {
    case 1: text = "\(columns) values: one precision per component, in one column or one row"
    case 2: text = "\(rows) rows of \(columns) values: \(described)"
    default:
        text = shape.dropLast().map(String.init).joined(separator: "·") + " rows of \(columns) values: the \(described) "
            + "one under the other (np.savetxt(path, precisions.reshape(-1, \(columns)), delimiter=','))"
    }
    let fits = shape.count == 1
        ? (table.rows == columns && table.columns == 1) || (table.rows == 1 && table.columns == columns)
        : !overflow && table.rows == rows && table.columns == columns
    guard fits else {
        throw DataFileError.format(path: table.path, message:
            "initial precisions of a '\(type.rawValue)' model with \(k) components on \(d) features must be "
            + "\(text), found \(table.rows) x \(table.columns)")
    }
    return try type.fullMatrices(fromCompact: table.withUnsafeValues { Array($0) }, components: k, features: d)
}
