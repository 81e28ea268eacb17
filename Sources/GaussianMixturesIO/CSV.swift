import Foundation
import GaussianMixtures

/// Comma-separated numbers, one sample per line, an optional header line.
public enum CSV {
    /// Parses CSV bytes into a matrix.
    ///
    /// The first non-empty line is a header when one of its fields does not parse as a number.
    /// Blank lines are skipped; spaces around fields are allowed; `\r\n` line ends are fine.
    /// - Parameter path: the file name used in error messages.
    /// - Throws: ``DataFileError`` naming the line and column of a bad token, a row of the
    ///   wrong length, or a NaN or infinity.
    public static func parse(_ bytes: [UInt8], path: String) throws -> (matrix: Matrix, header: [String]?) {
        var buffer = bytes
        buffer.append(0)
        return try buffer.withUnsafeMutableBufferPointer { raw -> (Matrix, [String]?) in
            let base = raw.baseAddress!
            let end = bytes.count
            var values: [Double] = []
            var header: [String]? = nil
            var columns = -1
            var rows = 0
            var lineNumber = 0
            var start = 0
            while start < end {
                lineNumber += 1
                var stop = start
                while stop < end && base[stop] != UInt8(ascii: "\n") { stop += 1 }
                var lineEnd = stop
                if lineEnd > start && base[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                defer { start = stop + 1 }
                if isBlank(base, start, lineEnd) { continue }
                let fields = split(base, start, lineEnd)
                var parsed: [Double] = []
                parsed.reserveCapacity(fields.count)
                var bad: Int? = nil
                for (i, field) in fields.enumerated() {
                    guard let value = number(base, field) else { bad = i; break }
                    parsed.append(value)
                }
                if let bad {
                    if columns < 0 && header == nil {
                        header = fields.map { text(base, trimmed(base, $0)) }
                        columns = fields.count
                        continue
                    }
                    throw DataFileError.parse(path: path, line: lineNumber, column: bad + 1, token: text(base, fields[bad]))
                }
                if columns < 0 { columns = fields.count }
                guard fields.count == columns else {
                    throw DataFileError.format(path: path, message:
                        "line \(lineNumber) has \(fields.count) fields but the first line has \(columns); every row needs the same number of columns")
                }
                for (i, value) in parsed.enumerated() where !value.isFinite {
                    throw DataFileError.nonFinite(path: path, row: rows + 1, column: i + 1, line: lineNumber, value: value)
                }
                values.append(contentsOf: parsed)
                rows += 1
            }
            guard rows > 0 else {
                throw DataFileError.format(path: path, message: "no data rows found (an empty file, or only a header)")
            }
            return (try Matrix(rows: rows, columns: columns, values: values), header)
        }
    }

    /// Reads a CSV file, or standard input when `path` is `-`.
    public static func read(path: String) throws -> (matrix: Matrix, header: [String]?) {
        try parse(readAllBytes(path: path), path: path == "-" ? "<stdin>" : path)
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

    /// The field as a double, or nil unless the whole field (spaces aside) is one number.
    private static func number(_ base: UnsafeMutablePointer<UInt8>, _ range: Range<Int>) -> Double? {
        let field = trimmed(base, range)
        let lo = field.lowerBound, hi = field.upperBound
        guard lo < hi else { return nil }
        // strtod stops at the first byte that cannot continue a number; put a terminator there.
        let saved = base[hi]
        base[hi] = 0
        defer { base[hi] = saved }
        var endPointer: UnsafeMutablePointer<CChar>? = nil
        let value = base.withMemoryRebound(to: CChar.self, capacity: hi + 1) { chars in
            strtod(chars + lo, &endPointer)
        }
        let consumed = endPointer.map { UnsafeMutableRawPointer($0) - UnsafeMutableRawPointer(base) } ?? lo
        return consumed == hi ? value : nil
    }
}

/// Every byte of a file, or of standard input for `-`.
func readAllBytes(path: String) throws -> [UInt8] {
    if path == "-" {
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "no such file"
        throw DataFileError.io(path: path, reason: reason)
    }
    defer { try? handle.close() }
    do {
        return [UInt8](try handle.readToEnd() ?? Data())
    } catch {
        throw DataFileError.io(path: path, reason: "read failed: \(error.localizedDescription)")
    }
}
