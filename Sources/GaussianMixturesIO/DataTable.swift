import GaussianMixtures

/// A data set read from a file: `rows x columns` doubles, row-major, either owned or
/// memory-mapped (kept alive by this object).
public final class DataTable {
    /// The file it came from (for messages).
    public let path: String
    public let rows: Int
    public let columns: Int
    /// Column names from a CSV header, if there was one.
    public let header: [String]?
    /// Where the values live; they are lent out through ``withUnsafeValues(_:)`` alone.
    private let storage: Storage

    private enum Storage {
        /// Row-major values inside a memory map that `file` keeps alive.
        case mapped(file: AnyObject, values: UnsafeBufferPointer<Double>)
        /// Row-major values in an array.
        case owned([Double])
    }

    init(path: String, rows: Int, columns: Int, values: UnsafeBufferPointer<Double>, owner: AnyObject) {
        self.path = path
        self.rows = rows
        self.columns = columns
        self.header = nil
        storage = .mapped(file: owner, values: values)
    }

    /// Wraps a matrix (its values are shared, not copied).
    public init(path: String, matrix: Matrix, header: [String]? = nil) {
        self.path = path
        rows = matrix.rows
        columns = matrix.columns
        self.header = header
        storage = .owned(matrix.values)
    }

    /// Reads a `.npy` file (memory-mapped) or a CSV file (any other name, `-` for stdin).
    public static func read(path: String) throws -> DataTable {
        if path.lowercased().hasSuffix(".npy") { return try NPY.read(path: path) }
        let (matrix, header) = try CSV.read(path: path)
        return DataTable(path: path == "-" ? "<stdin>" : path, matrix: matrix, header: header)
    }

    /// Calls `body` with the row-major values, keeping this table (and its memory map) alive
    /// until `body` returns.
    public func withUnsafeValues<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            switch storage {
            case .mapped(_, let values): return try body(values)
            case .owned(let values): return try values.withUnsafeBufferPointer(body)
            }
        }
    }

    /// A copy of the values as a ``Matrix``.
    public var matrix: Matrix {
        var copy = Matrix(zeros: rows, columns)
        withUnsafeValues { copy.values = Array($0) }
        return copy
    }

    /// Rejects NaN and infinity with their 1-based row and column.
    func checkFinite() throws {
        try withUnsafeValues { values in
            for i in 0..<values.count where !values[i].isFinite {
                throw DataFileError.nonFinite(path: path, row: i / columns + 1, column: i % columns + 1, line: nil, value: values[i])
            }
        }
    }
}
