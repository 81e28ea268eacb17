import GaussianMixtures

/// A data set read from a file: `rows x columns` doubles, row-major, either owned or
/// memory-mapped (kept alive by this object).
public final class DataTable {
    /// The file it came from (for messages).
    public let path: String
    public let rows: Int
    public let columns: Int
    /// The values, row after row; valid only while this table lives, so they are lent out
    /// through ``withUnsafeValues(_:)`` alone.
    private let values: UnsafeBufferPointer<Double>
    /// Column names from a CSV header, if there was one.
    public let header: [String]?
    private let owner: AnyObject?

    init(path: String, rows: Int, columns: Int, values: UnsafeBufferPointer<Double>, owner: AnyObject) {
        self.path = path
        self.rows = rows
        self.columns = columns
        self.values = values
        self.owner = owner
        self.header = nil
    }

    /// Wraps a matrix (copied once into storage this table owns).
    public init(path: String, matrix: Matrix, header: [String]? = nil) {
        self.path = path
        rows = matrix.rows
        columns = matrix.columns
        let stored = matrix.values
        let pointer = UnsafeMutablePointer<Double>.allocate(capacity: max(1, stored.count))
        pointer.initialize(from: stored, count: stored.count)
        values = UnsafeBufferPointer(start: pointer, count: stored.count)
        owner = nil
        self.header = header
    }

    deinit {
        if owner == nil { values.baseAddress.map { UnsafeMutablePointer(mutating: $0).deallocate() } }
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
        try withExtendedLifetime(self) { try body(values) }
    }

    /// A copy of the values as a ``Matrix``.
    public var matrix: Matrix {
        var copy = Matrix(zeros: rows, columns)
        withUnsafeValues { copy.values = Array($0) }
        return copy
    }

    /// Rejects NaN and infinity with their 1-based row and column.
    func checkFinite() throws {
        for i in 0..<values.count where !values[i].isFinite {
            throw DataFileError.nonFinite(path: path, row: i / columns + 1, column: i % columns + 1, line: nil, value: values[i])
        }
    }
}
