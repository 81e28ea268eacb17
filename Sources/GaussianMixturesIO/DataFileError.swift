/// What can go wrong reading or writing a file, with the file, the line or row and column,
/// and what to try. ``category`` tells the command which exit code to use.
public enum DataFileError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened, read, written or renamed (`reason` comes from the system).
    case io(path: String, reason: String)
    /// A CSV token is not a number (line and column are 1-based).
    case parse(path: String, line: Int, column: Int, token: String)
    /// The file is readable but not what we expect (message says what and what to try).
    case format(path: String, message: String)
    /// NaN or infinity at a 1-based row and column (`line` is the text line for CSV).
    case nonFinite(path: String, row: Int, column: Int, line: Int?, value: Double)

    /// Data errors (65) versus I/O errors (74).
    public enum Category { case data, io }

    public var category: Category {
        if case .io = self { return .io }
        return .data
    }

    public var description: String {
        switch self {
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .parse(let path, let line, let column, let token):
            return "\(path):\(line): column \(column): '\(token)' is not a number; "
                + "the file must hold comma-separated numbers (an optional header line first)"
        case .format(let path, let message):
            return "\(path): \(message)"
        case .nonFinite(let path, let row, let column, let line, let value):
            let place = line.map { "\(path):\($0): row \(row), column \(column)" } ?? "\(path): row \(row), column \(column)"
            return "\(place) holds \(value); remove or impute rows with NaN or infinity before fitting"
        }
    }
}
