/// A dense matrix of `Double` stored row-major: element (i, j) sits at `values[i * columns + j]`.
///
/// Data sets are matrices with one sample per row and one feature per column,
/// as in scikit-learn (`X` of shape `(n_samples, n_features)`).
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements, row after row (`rows * columns` of them).
    public var values: [Double]

    /// Creates a matrix from row-major values.
    /// - Throws: ``GaussianMixtureError/invalidShape(_:)`` when `values.count != rows * columns`
    ///   or a dimension is negative.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw GaussianMixtureError.invalidShape(
                "a \(rows) x \(columns) matrix needs \(max(0, rows) * max(0, columns)) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Creates a matrix of zeros.
    public init(zeros rows: Int, _ columns: Int) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.values = [Double](repeating: 0, count: rows * columns)
    }

    /// Creates a matrix from an array of rows.
    /// - Throws: ``GaussianMixtureError/invalidShape(_:)`` when the rows differ in length
    ///   (naming the first row that does).
    public init(_ rowArrays: [[Double]]) throws {
        let columns = rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * columns)
        for (index, row) in rowArrays.enumerated() {
            guard row.count == columns else {
                throw GaussianMixtureError.invalidShape(
                    "row \(index) has \(row.count) values but row 0 has \(columns)")
            }
            values.append(contentsOf: row)
        }
        self.rows = rowArrays.count
        self.columns = columns
        self.values = values
    }

    /// The element at row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] {
        Array(values[(i * columns)..<((i + 1) * columns)])
    }

    /// The rows as nested arrays (handy for JSON and tests).
    public var rowArrays: [[Double]] {
        (0..<rows).map(row)
    }

    /// The matrix with only the listed columns, in that order.
    public func selectingColumns(_ indices: [Int]) -> Matrix {
        var out = Matrix(zeros: rows, indices.count)
        for i in 0..<rows {
            for (j, c) in indices.enumerated() { out[i, j] = self[i, c] }
        }
        return out
    }
}
