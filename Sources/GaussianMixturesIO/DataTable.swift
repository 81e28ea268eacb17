import GaussianMixtures

/// A data set read from a file: `rows x columns` values, row-major, float64 or float32 (its
/// ``precision``), either owned or memory-mapped (kept alive by this object).
public final class DataTable {
    /// The file it came from (for messages).
    public let path: String
    public let rows: Int
    public let columns: Int
    /// Column names from a CSV header, if there was one.
    public let header: [String]?
    /// Reading choices the user may not have meant, one line each naming the file and line
    /// (a first row taken as a header that looks like data); a command shows them on stderr.
    public internal(set) var warnings: [String] = []
    /// The file's row (0-based) of this table's first row: 0, unless the table is one block of
    /// a file's rows (``NPY/read(path:precision:block:of:)``).
    public internal(set) var firstRow = 0
    /// The rows of the whole file (``rows`` unless the table is one block of them).
    public internal(set) var fileRows: Int
    /// Where the values live; they are lent out through ``withUnsafeValues(_:)`` alone.
    private let storage: Storage

    private enum Storage {
        /// Row-major values inside a memory map that `file` keeps alive.
        case mapped(file: AnyObject, values: UnsafeBufferPointer<Double>)
        /// Row-major values in an array.
        case owned([Double])
        /// float32 values inside a memory map.
        case mappedSingle(file: AnyObject, values: UnsafeBufferPointer<Float>)
        /// float32 values in an array.
        case ownedSingle([Float])
    }

    /// The type the values are held in.
    public var precision: Precision {
        switch storage {
        case .mapped, .owned: return .float64
        case .mappedSingle, .ownedSingle: return .float32
        }
    }

    private init(path: String, rows: Int, columns: Int, header: [String]?, storage: Storage) {
        self.path = path
        self.rows = rows
        self.columns = columns
        self.header = header
        self.storage = storage
        self.fileRows = rows
    }

    convenience init(path: String, rows: Int, columns: Int, values: UnsafeBufferPointer<Double>, owner: AnyObject) {
        self.init(path: path, rows: rows, columns: columns, header: nil, storage: .mapped(file: owner, values: values))
    }

    convenience init(path: String, rows: Int, columns: Int, values: UnsafeBufferPointer<Float>, owner: AnyObject) {
        self.init(path: path, rows: rows, columns: columns, header: nil, storage: .mappedSingle(file: owner, values: values))
    }

    /// Wraps float32 values (shared, not copied).
    init(path: String, rows: Int, columns: Int, values: [Float], header: [String]? = nil) {
        self.path = path
        self.rows = rows
        self.columns = columns
        self.header = header
        storage = .ownedSingle(values)
        fileRows = rows
    }

    /// Wraps a matrix (its values are shared, not copied).
    public init(path: String, matrix: Matrix, header: [String]? = nil) {
        self.path = path
        rows = matrix.rows
        columns = matrix.columns
        self.header = header
        storage = .owned(matrix.values)
        fileRows = matrix.rows
    }

    /// Reads a `.npy` file (memory-mapped when its dtype is `precision`'s) or a CSV file (any
    /// other name, `-` for stdin), holding the values in `precision`.
    /// - Throws: ``DataFileError``; for float32, also a value too large for float32 (with its row and column).
    public static func read(path: String, precision: Precision = .float64) throws -> DataTable {
        if path.lowercased().hasSuffix(".npy") { return try NPY.read(path: path, precision: precision) }
        let contents = try CSV.readContents(path: path)
        let table = DataTable(path: path == "-" ? "<stdin>" : path, matrix: contents.matrix, header: contents.header)
        let result = precision == .float32 ? try table.narrowed() : table
        result.warnings = contents.warnings
        return result
    }

    /// The values as float32 in a new table (this one if it is float32 already).
    /// - Throws: ``DataFileError/format(path:message:)`` naming the first value beyond float32's range.
    func narrowed() throws -> DataTable {
        guard precision == .float64 else { return self }
        let values = try withUnsafeValues { values -> [Float] in
            var out = [Float](repeating: 0, count: values.count)
            for i in 0..<values.count {
                out[i] = Float(values[i])
                if !out[i].isFinite && values[i].isFinite {
                    throw DataFileError.format(path: path, message:
                        "row \(firstRow + i / columns + 1), column \(i % columns + 1): \(values[i]) is beyond float32's range; "
                        + "use --precision float64")
                }
            }
            return out
        }
        let table = DataTable(path: path, rows: rows, columns: columns, values: values, header: header)
        table.firstRow = firstRow
        table.fileRows = fileRows
        return table
    }

    /// Calls `body` with the row-major values as float64, keeping this table (and its memory map)
    /// alive until `body` returns. A float32 table is widened into a temporary copy.
    public func withUnsafeValues<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            switch storage {
            case .mapped(_, let values): return try body(values)
            case .owned(let values): return try values.withUnsafeBufferPointer(body)
            case .mappedSingle(_, let values): return try values.map { Double($0) }.withUnsafeBufferPointer(body)
            case .ownedSingle(let values): return try values.map { Double($0) }.withUnsafeBufferPointer(body)
            }
        }
    }

    /// Calls `body` with the row-major values as float32 (no copy), or with `nil` when the table
    /// is float64.
    public func withUnsafeSingleValues<R>(_ body: (UnsafeBufferPointer<Float>?) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            switch storage {
            case .mapped, .owned: return try body(nil)
            case .mappedSingle(_, let values): return try body(values)
            case .ownedSingle(let values): return try values.withUnsafeBufferPointer { try body($0) }
            }
        }
    }

    /// Block `block` of `count` balanced, contiguous blocks of these rows
    /// (``NPY/blockRange(rows:block:of:alignment:)``), as a table of its own that remembers where it starts.
    public func block(_ block: Int, of count: Int) throws -> DataTable {
        try self.rows(NPY.blockRange(rows: rows, block: block, of: count))
    }

    /// Rows `range` of this table, as a table of its own that remembers where it starts.
    public func rows(_ range: Range<Int>) throws -> DataTable {
        let range = range.clamped(to: 0..<rows)
        let table: DataTable
        if let single = withUnsafeSingleValues({ $0.map { Array($0[(range.lowerBound * columns)..<(range.upperBound * columns)]) } }) {
            table = DataTable(path: path, rows: range.count, columns: columns, values: single, header: header)
        } else {
            let values = withUnsafeValues { Array($0[(range.lowerBound * columns)..<(range.upperBound * columns)]) }
            table = try DataTable(path: path, matrix: Matrix(rows: range.count, columns: columns, values: values), header: header)
        }
        table.firstRow = firstRow + range.lowerBound
        table.fileRows = fileRows
        table.warnings = warnings
        return table
    }

    /// The rows of `parts` one after the other, in `precision`, as one table named `path`:
    /// the data set of several files. Its ``firstRow`` is `firstRow` and its ``fileRows``
    /// `totalRows` (the rows of every file, of which these may be one block).
    /// - Throws: ``DataFileError/format(path:message:)`` naming a part whose columns differ from the first's.
    public static func concatenating(_ parts: [DataTable], path: String, precision: Precision, firstRow: Int,
                                     totalRows: Int) throws -> DataTable {
        let columns = parts.first?.columns ?? 1
        for part in parts where part.columns != columns {
            throw DataFileError.format(path: part.path, message:
                "has \(part.columns) columns, but \(parts[0].path) has \(columns); every file of one data set needs the same columns")
        }
        let rows = parts.reduce(0) { $0 + $1.rows }
        let table: DataTable
        if precision == .float32 {
            var values: [Float] = []
            values.reserveCapacity(rows * columns)
            for part in parts {
                part.withUnsafeSingleValues { single in
                    if let single { values += single } else { part.withUnsafeValues { values += $0.map { Float($0) } } }
                }
            }
            table = DataTable(path: path, rows: rows, columns: columns, values: values, header: parts.first?.header)
        } else {
            var values: [Double] = []
            values.reserveCapacity(rows * columns)
            for part in parts { part.withUnsafeValues { values += $0 } }
            table = try DataTable(path: path, matrix: Matrix(rows: rows, columns: columns, values: values), header: parts.first?.header)
        }
        table.firstRow = firstRow
        table.fileRows = totalRows
        table.warnings = parts.flatMap(\.warnings)
        return table
    }

    /// A copy of the values as a ``Matrix``.
    public var matrix: Matrix {
        var copy = Matrix(zeros: rows, columns)
        withUnsafeValues { copy.values = Array($0) }
        return copy
    }

    /// Rejects NaN and infinity with their 1-based row and column.
    func checkFinite() throws {
        try withUnsafeSingleValues { single in
            guard let values = single else { return }
            for i in 0..<values.count where !values[i].isFinite {
                throw DataFileError.nonFinite(path: path, row: firstRow + i / columns + 1, column: i % columns + 1, line: nil,
                                              value: Double(values[i]))
            }
        }
        guard precision == .float64 else { return }
        try withUnsafeValues { values in
            for i in 0..<values.count where !values[i].isFinite {
                throw DataFileError.nonFinite(path: path, row: firstRow + i / columns + 1, column: i % columns + 1, line: nil, value: values[i])
            }
        }
    }
}
