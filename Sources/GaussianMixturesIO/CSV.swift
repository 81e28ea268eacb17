import Foundation
import GaussianMixtures

/// Comma-separated numbers, one sample per line, an optional header line.
public enum CSV {
    /// What a CSV file holds: the numbers, the header if there was one, and warnings about
    /// reading choices the user may not have meant (one line each, naming the file and line).
    public struct Contents {
        public let matrix: Matrix
        public let header: [String]?
        public let warnings: [String]
    }

    /// Parses CSV bytes into a matrix.
    ///
    /// The first non-empty line is a header when one of its fields does not parse as a number.
    /// Blank lines are skipped; spaces around fields are allowed; LF, CRLF and CR alone all end a
    /// line; a UTF-8 byte order mark at the start is skipped.
    /// - Parameter path: the file name used in error messages.
    /// - Throws: ``DataFileError`` naming the line and column of a bad token, a row of the
    ///   wrong length, a NaN or infinity, or a number beyond the range of a double.
    public static func parse(_ bytes: [UInt8], path: String) throws -> (matrix: Matrix, header: [String]?) {
        let contents = try contents(of: bytes, path: path)
        return (contents.matrix, contents.header)
    }

    /// ``parse(_:path:)`` with the warnings: a first line taken as a header although it looks
    /// like data with a typo (`1,2x`) is named, since silently dropping a row changes the model.
    public static func contents(of bytes: [UInt8], path: String) throws -> Contents {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw DataFileError.format(path: path, message:
                "the file is UTF-16 text; save it as UTF-8 (or plain ASCII) comma-separated text")
        }
        // The values are at most the commas and line ends, plus one: room for them at once (no
        // doubling as they come), or a clear refusal where they and a copy of the bytes would
        // not fit in memory beside the bytes themselves.
        var fieldBound = 1
        for byte in bytes where byte == UInt8(ascii: ",") || byte == lineFeed { fieldBound += 1 }
        if bytes.count + 8 * fieldBound > MachineMemory.bytes - bytes.count {
            throw DataFileError.format(path: path, message: "up to \(fieldBound) numbers in \(MachineMemory.describe(bytes.count)) of text "
                + "need about \(MachineMemory.describe(bytes.count + 8 * fieldBound)) more to parse, beyond this process's "
                + "\(MachineMemory.describe(MachineMemory.bytes)) of memory; give the data as .npy (read in place) or split it")
        }
        var buffer = bytes
        buffer.append(0)
        return try buffer.withUnsafeMutableBufferPointer { raw -> Contents in
            guard let base = raw.baseAddress else { throw DataFileError.format(path: path, message: "no data rows found") }
            let end = bytes.count
            var values: [Double] = []
            values.reserveCapacity(fieldBound)
            var header: [String]? = nil
            var warnings: [String] = []
            var columns = -1
            var rows = 0
            var lineNumber = 0
            // A UTF-8 byte order mark (as some spreadsheets write) is not part of the first field.
            var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            while start < end {
                lineNumber += 1
                var stop = start
                while stop < end && base[stop] != lineFeed && base[stop] != carriageReturn { stop += 1 }
                let lineEnd = stop
                let next = stop + 1 < end && base[stop] == carriageReturn && base[stop + 1] == lineFeed ? stop + 2 : stop + 1
                defer { start = next }
                if isBlank(base, start, lineEnd) { continue }
                let fields = split(base, start, lineEnd)
                var parsed: [Double] = []
                parsed.reserveCapacity(fields.count)
                var bad: Int? = nil
                var overflowing: Int? = nil
                for (i, field) in fields.enumerated() {
                    switch number(base, field) {
                    case .value(let value): parsed.append(value)
                    case .overflow(let value):
                        parsed.append(value)
                        if overflowing == nil { overflowing = i }
                    case .notANumber: bad = i
                    }
                    if bad != nil { break }
                }
                if let bad {
                    if columns < 0 && header == nil {
                        header = fields.map { text(base, trimmed(base, $0)) }
                        columns = fields.count
                        if looksLikeData(base, fields) {
                            warnings.append("\(path):\(lineNumber): the first line '\(excerpt(base, start..<lineEnd))' was read as a header "
                                + "(column names) because column \(bad + 1), '\(excerpt(base, trimmed(base, fields[bad])))', is not a number, "
                                + "but it looks like data; if it is data, fix that field; if it is a header, name the columns with words")
                        }
                        continue
                    }
                    throw DataFileError.parse(path: path, line: lineNumber, column: bad + 1,
                                              token: excerpt(base, trimmed(base, fields[bad])))
                }
                if columns < 0 { columns = fields.count }
                guard fields.count == columns else {
                    throw DataFileError.format(path: path, message:
                        "line \(lineNumber) has \(fields.count) fields but the first line has \(columns); every row needs the same number of columns")
                }
                if let overflowing {
                    throw DataFileError.outOfRange(path: path, row: rows + 1, column: overflowing + 1, line: lineNumber,
                                                   token: excerpt(base, trimmed(base, fields[overflowing])))
                }
                for (i, value) in parsed.enumerated() where !value.isFinite {
                    throw DataFileError.nonFinite(path: path, row: rows + 1, column: i + 1, line: lineNumber, value: value)
                }
                values.append(contentsOf: parsed)
                rows += 1
            }
            guard rows > 0 else {
                // The only line may be data with a typo that was taken for a header: say so.
                let reason = warnings.isEmpty ? "" : " (\(warnings[0]))"
                throw DataFileError.format(path: path, message:
                    "no data rows found (an empty file, or only a header); give a file with one row of comma-separated numbers per sample"
                    + reason)
            }
            return Contents(matrix: try Matrix(rows: rows, columns: columns, values: values), header: header, warnings: warnings)
        }
    }

    /// Reads a CSV file, or standard input when `path` is `-`.
    public static func read(path: String) throws -> (matrix: Matrix, header: [String]?) {
        try parse(readAllBytes(path: path), path: path == "-" ? "<stdin>" : path)
    }

    /// ``read(path:)`` with the warnings of ``contents(of:path:)``.
    public static func readContents(path: String) throws -> Contents {
        try contents(of: readAllBytes(path: path), path: path == "-" ? "<stdin>" : path)
    }

    /// Formats rows as CSV text with full precision (the shortest text that reads back to the
    /// same double).
    public static func format(_ matrix: Matrix, header: [String]? = nil) -> String {
        var out = ""
        if let header { out += header.joined(separator: ",") + "\n" }
        for i in 0..<matrix.rows {
            out += matrix.row(i).map { "\($0)" }.joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// The bytes a field may carry around its value: space, tab, CR, vertical tab, form feed.
    @inline(__always) private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private static func isBlank(_ base: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        for i in from..<to where !isSpace(base[i]) { return false }
        return true
    }

    /// `range` without the spaces around it (the same trimming for numbers and header names, so a
    /// header written back reads back as a header).
    private static func trimmed(_ base: UnsafeMutablePointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && isSpace(base[lo]) { lo += 1 }
        while hi > lo && isSpace(base[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    private static func split(_ base: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        var fieldStart = from
        for i in from..<to where base[i] == UInt8(ascii: ",") {
            fields.append(fieldStart..<i)
            fieldStart = i + 1
        }
        fields.append(fieldStart..<to)
        return fields
    }

    private static func text(_ base: UnsafeMutablePointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// What a field holds: a double, a number too large for a double (strtod's ERANGE with an
    /// infinite result, as for `1e400`), or something else.
    private enum Field {
        case value(Double)
        case overflow(Double)
        case notANumber
    }

    /// The field as a double, or `.notANumber` unless the whole field (spaces aside) is one
    /// decimal number: strtod also reads C's hexadecimal floats (`0x10`, `0x1p3`), which no
    /// table of data means, so a field with an `x` is not a number.
    private static func number(_ base: UnsafeMutablePointer<UInt8>, _ range: Range<Int>) -> Field {
        let field = trimmed(base, range)
        if field.contains(where: { base[$0] == UInt8(ascii: "x") || base[$0] == UInt8(ascii: "X") }) { return .notANumber }
        let (value, consumed, rangeError) = prefixNumber(base, field)
        guard consumed == field.count, consumed > 0 else { return .notANumber }
        return rangeError && value.isInfinite ? .overflow(value) : .value(value)
    }

    /// strtod on the trimmed field: the value, how many bytes it read and whether it set ERANGE.
    private static func prefixNumber(_ base: UnsafeMutablePointer<UInt8>, _ field: Range<Int>) -> (Double, Int, Bool) {
        let lo = field.lowerBound, hi = field.upperBound
        guard lo < hi else { return (0, 0, false) }
        // strtod stops at the first byte that cannot continue a number; put a terminator there.
        let saved = base[hi]
        base[hi] = 0
        defer { base[hi] = saved }
        var endPointer: UnsafeMutablePointer<CChar>? = nil
        errno = 0
        let value = base.withMemoryRebound(to: CChar.self, capacity: hi + 1) { chars in
            strtod(chars + lo, &endPointer)
        }
        let rangeError = errno == ERANGE
        let consumed = endPointer.map { UnsafeMutableRawPointer($0) - UnsafeMutableRawPointer(base) } ?? lo
        return (value, consumed - lo, rangeError)
    }

    /// A first line that fails as data but looks like it: one of its fields is a number, or
    /// every field starts like one (`1x,2y`). A header of names (`x,y`, `petal length`) does not.
    private static func looksLikeData(_ base: UnsafeMutablePointer<UInt8>, _ fields: [Range<Int>]) -> Bool {
        var startsLikeNumbers = true
        for field in fields {
            if case .notANumber = number(base, field) {} else { return true }
            if prefixNumber(base, trimmed(base, field)).1 == 0 { startsLikeNumbers = false }
        }
        return startsLikeNumbers
    }

    /// The bytes of `range` for a message: short and escaped (see ``DataFileError/excerpt(_:limit:)``).
    private static func excerpt(_ base: UnsafeMutablePointer<UInt8>, _ range: Range<Int>) -> String {
        DataFileError.excerpt(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}
