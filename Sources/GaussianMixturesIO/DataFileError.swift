/// What can go wrong reading or writing a file, with the file, the line or row and column,
/// and what to try. ``category`` tells the command which exit code to use.
public enum DataFileError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened, read, written or renamed (`reason` comes from the system).
    case io(path: String, reason: String)
    /// A CSV token is not a number (line and column are 1-based; `token` is an ``excerpt(_:limit:)``).
    case parse(path: String, line: Int, column: Int, token: String)
    /// The file is readable but not what we expect (message says what and what to try).
    case format(path: String, message: String)
    /// NaN or infinity at a 1-based row and column (`line` is the text line for CSV).
    case nonFinite(path: String, row: Int, column: Int, line: Int?, value: Double)
    /// A number written in the file (`token`, an ``excerpt(_:limit:)``) beyond the range of a double,
    /// such as `1e400`, at a 1-based row and column (`line` is the text line).
    case outOfRange(path: String, row: Int, column: Int, line: Int, token: String)
    /// An output file that is also one of the command's inputs: writing it would destroy the input.
    case outputIsInput(output: String, input: String)

    /// Data errors (65), I/O errors (74) and usage errors (64).
    public enum Category {
        case data, io, usage

        /// The exit code of the category: 65, 74 or 64.
        public var exitCode: Int32 {
            switch self {
            case .data: return 65
            case .io: return 74
            case .usage: return 64
            }
        }
    }

    public var category: Category {
        switch self {
        case .io: return .io
        case .outputIsInput: return .usage
        case .parse, .format, .nonFinite, .outOfRange: return .data
        }
    }

    public var description: String {
        switch self {
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .parse(let path, let line, let column, let token):
            // The token is escaped: a tab reads as \t.
            let separator = token.contains("\\t") ? "tab" : token.contains(";") ? "semicolon" : nil
            let hint = separator.map { s in "; the file looks \(s)-separated: convert it, e.g. tr '\(s == "tab" ? "\\t" : ";")' ',' < in > out.csv" } ?? ""
            return "\(path):\(line): column \(column): '\(token)' is not a number; "
                + "the file must hold comma-separated numbers (an optional header line first)" + hint
        case .format(let path, let message):
            return "\(path): \(message)"
        case .nonFinite(let path, let row, let column, let line, let value):
            let place = line.map { "\(path):\($0): row \(row), column \(column)" } ?? "\(path): row \(row), column \(column)"
            return "\(place) holds \(value); remove or impute rows with NaN or infinity first"
        case .outOfRange(let path, let row, let column, let line, let token):
            return "\(path):\(line): row \(row), column \(column): '\(token)' is beyond the range of a double (about 1.8e308); "
                + "divide that column by a power of ten before fitting"
        case .outputIsInput(let output, let input):
            return "the output \(output) is the input \(input); writing it would destroy the input: choose another output file"
        }
    }

    /// At most `limit` characters of `bytes` for a message, with control characters, NUL bytes
    /// and bytes that are not UTF-8 escaped (`\0`, `\t`, `\x7F`, `\u{FFFD}`), and the length of
    /// the whole when it is cut, so that a bad field of ten million bytes is a short, printable
    /// line on a terminal.
    public static func excerpt<Bytes: Collection>(_ bytes: Bytes, limit: Int = 40) -> String where Bytes.Element == UInt8 {
        // 4 bytes per scalar at most: enough bytes for `limit` scalars, without decoding the rest.
        let head = String(decoding: bytes.prefix(4 * limit + 4), as: UTF8.self)
        var out = ""
        var shown = 0
        var cut = false
        for scalar in head.unicodeScalars {
            if shown == limit { cut = true; break }
            shown += 1
            switch scalar.value {
            case 0: out += "\\0"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x5C: out += "\\\\"
            case 0x27: out += "\\'"
            case 0..<0x20, 0x7F..<0xA0, 0xFFFD, 0x2028, 0x2029, 0xFEFF:
                out += scalar.value < 0x100 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        if cut || bytes.count > 4 * limit + 4 {
            out += "... (\(bytes.count) bytes in all)"
        }
        return out
    }

    /// ``excerpt(_:limit:)`` of a string's UTF-8 bytes.
    public static func excerpt(_ text: some StringProtocol, limit: Int = 40) -> String {
        excerpt(text.utf8, limit: limit)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
