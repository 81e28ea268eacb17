import FileGuard
import Foundation
import GaussianMixtures

/// NumPy's `.npy` format, versions 1, 2 and 3: a magic string, a Python-dict header
/// (`descr`, `fortran_order`, `shape`) and the raw array.
///
/// We read little-endian `float64` and `float32` arrays in C order, 2-D or 1-D (one feature).
/// `float64` files are memory-mapped, not copied, so a file as large as memory can be fitted.
public enum NPY {
    /// The parsed header of an `.npy` file.
    public struct Header: Equatable {
        public let descr: String
        public let fortranOrder: Bool
        public let shape: [Int]
        /// Byte offset of the array data.
        public let dataOffset: Int
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Parses the header from the first bytes of a file of `fileSize` bytes.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataFileError.format(path: path, message: "not an .npy file (the magic string \\x93NUMPY is missing); save the array with np.save, or give a CSV file a name that does not end in .npy")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DataFileError.format(path: path, message: "the .npy header is cut short; the file is damaged: save the array again with np.save") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataFileError.format(path: path, message: "unsupported .npy format version \(major) (versions 1, 2 and 3 are read); save the array with np.save")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw DataFileError.format(path: path, message: "the .npy header says it is \(headerLength) bytes but the file is shorter; the file is damaged: save the array again with np.save")
        }
        let text = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = stringValue(of: "descr", in: text) else {
            throw DataFileError.format(path: path, message: "the .npy header has no 'descr' (dtype): '\(DataFileError.excerpt(text))'; save the array again with np.save")
        }
        guard let fortran = boolValue(of: "fortran_order", in: text) else {
            throw DataFileError.format(path: path, message: "the .npy header has no 'fortran_order': '\(DataFileError.excerpt(text))'; save the array again with np.save")
        }
        guard let shape = shapeValue(in: text) else {
            throw DataFileError.format(path: path, message: "the .npy header has no readable 'shape': '\(DataFileError.excerpt(text))'; save the array again with np.save")
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: headerStart + headerLength)
    }

    /// Opens an `.npy` file of little-endian float64 or float32 values as an N x D table held in
    /// `precision`. A file whose dtype matches is memory-mapped; otherwise the values are
    /// converted (a copy; float64 values beyond float32's range are an error).
    /// - Throws: ``DataFileError`` for Fortran order, other dtypes, other ranks, a file shorter
    ///   than its header says, or a NaN or infinity (with its row and column).
    public static func read(path: String, precision: Precision = .float64) throws -> DataTable {
        try table(in: MappedFile(path: path), path: path, precision: precision)
    }

    /// Block `block` of `count` balanced, contiguous blocks of the file's rows
    /// (``blockRange(rows:block:of:alignment:)``; a block may be empty): what one of `count`
    /// processes fits. The file is mapped, but only this block's pages are read, checked and
    /// kept; error messages give rows of the whole file.
    public static func read(path: String, precision: Precision = .float64, block: Int, of count: Int) throws -> DataTable {
        try table(in: MappedFile(path: path), path: path, precision: precision) { blockRange(rows: $0, block: block, of: count) }
    }

    /// The rows `selecting(N)` of the file's N rows (clamped to them), as
    /// ``read(path:precision:block:of:)`` reads a block.
    public static func read(path: String, precision: Precision = .float64, selecting: (Int) -> Range<Int>) throws -> DataTable {
        try table(in: MappedFile(path: path), path: path, precision: precision, selecting: selecting)
    }

    /// The number of rows and columns of the `.npy` file at `path`, from its header alone.
    /// - Throws: ``DataFileError`` as ``read(path:precision:)`` for a header it cannot use.
    public static func shape(path: String) throws -> (rows: Int, columns: Int) {
        let table = try read(path: path) { _ in 0..<0 }
        return (table.fileRows, table.columns)
    }

    /// The balanced contiguous blocks, cut at multiples of `alignment` rows: with `U = ⌈rows /
    /// alignment⌉` units, block `b` starts at row `alignment·⌊U·b/count⌋` (the last ends at
    /// `rows`). Blocks cut there give every sum over rows the bits of one process
    /// (``rowBlockAlignment``); they differ in size by at most `alignment` rows, and small data
    /// sets leave the last processes no rows.
    public static func blockRange(rows: Int, block: Int, of count: Int, alignment: Int = rowBlockAlignment) -> Range<Int> {
        let units = rows / alignment + (rows % alignment == 0 ? 0 : 1)
        func start(_ b: Int) -> Int {
            let product = units.multipliedFullWidth(by: b)
            let unit = Int(truncatingIfNeeded: (count.dividingFullWidth((product.high, product.low))).quotient)
            return unit >= units ? rows : unit * alignment
        }
        return start(block)..<start(block + 1)
    }

    /// ``read(path:precision:)`` for the bytes of an `.npy` file held in memory (copied once);
    /// `path` names them in messages.
    public static func parse(_ bytes: [UInt8], path: String, precision: Precision = .float64) throws -> DataTable {
        try table(in: MappedFile(copying: bytes, path: path), path: path, precision: precision)
    }

    private static func table(in file: MappedFile, path: String, precision: Precision,
                              selecting: (Int) -> Range<Int> = { 0..<$0 }) throws -> DataTable {
        let header = try parseHeader(UnsafeRawBufferPointer(start: file.base, count: min(file.size, 1 << 20)), path: path)
        let itemSize: Int
        switch header.descr {
        case "<f8": itemSize = 8
        case "<f4": itemSize = 4
        default:
            throw DataFileError.format(path: path, message:
                "dtype '\(DataFileError.excerpt(header.descr))' is not supported; save little-endian float64 or float32, e.g. np.save(path, x.astype('<f8'))")
        }
        guard !header.fortranOrder else {
            throw DataFileError.format(path: path, message:
                "the array is in Fortran (column-major) order; save it in C order with np.save(path, np.ascontiguousarray(x))")
        }
        let rows: Int, columns: Int
        switch header.shape.count {
        case 1: (rows, columns) = (header.shape[0], 1)
        case 2: (rows, columns) = (header.shape[0], header.shape[1])
        default:
            throw DataFileError.format(path: path, message:
                "the array is \(header.shape.count)-D (shape \(DataFileError.excerpt(header.shape.description))); expected 2-D (samples x features) or 1-D (one feature)")
        }
        guard rows >= 1, columns >= 1 else {
            throw DataFileError.format(path: path, message: "the array has shape \(DataFileError.excerpt(header.shape.description)): no data; save an array with at least one row and one column")
        }
        // The header is untrusted: every product is checked, so a shape like (2^61, 1) is a
        // message, not a trap.
        let elements = rows.multipliedReportingOverflow(by: columns)
        let bytes = elements.partialValue.multipliedReportingOverflow(by: itemSize)
        let needed = header.dataOffset.addingReportingOverflow(bytes.partialValue)
        guard !elements.overflow, !bytes.overflow, !needed.overflow else {
            throw DataFileError.format(path: path, message:
                "the header's shape \(header.shape) of \(header.descr) is larger than any file can be (more than 2^63 bytes); "
                + "the header is damaged: save the array again with np.save")
        }
        guard needed.partialValue <= file.size else {
            throw DataFileError.format(path: path, message:
                "the file is shorter than its header says: shape \(header.shape) of \(header.descr) needs \(needed.partialValue) bytes, "
                + "the file has \(file.size); it was cut short (copy it again, or save it again with np.save)")
        }
        let fileRows = rows
        let selected = selecting(fileRows).clamped(to: 0..<fileRows)
        let count = selected.count * columns
        let start = header.dataOffset + selected.lowerBound * columns * itemSize
        var table: DataTable
        let aligned = (Int(bitPattern: file.base) + start) % itemSize == 0
        if precision == .float32 && itemSize == 4 && aligned {
            let pointer = (file.base + start).assumingMemoryBound(to: Float.self)
            table = DataTable(path: path, rows: selected.count, columns: columns,
                              values: UnsafeBufferPointer(start: pointer, count: count), owner: file)
        } else if itemSize == 8 && aligned {
            let pointer = (file.base + start).assumingMemoryBound(to: Double.self)
            table = DataTable(path: path, rows: selected.count, columns: columns,
                              values: UnsafeBufferPointer(start: pointer, count: count), owner: file)
        } else {
            var values = [Double](repeating: 0, count: count)
            let raw = UnsafeRawPointer(file.base + start)
            for i in 0..<count {
                values[i] = itemSize == 8
                    ? Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    : Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
            table = try DataTable(path: path, matrix: Matrix(rows: selected.count, columns: columns, values: values))
        }
        table.firstRow = selected.lowerBound
        table.fileRows = fileRows
        if precision == .float32 { table = try table.narrowed() }
        try table.checkFinite()
        return table
    }

    /// The bytes of an `.npy` (version 1.0) file holding `values` as a C-order array of `shape`:
    /// float64 (`<f8`), with `floats` float32 (`<f4`), with `integers` int64 (`<i8`).
    public static func encode(shape: [Int], doubles: [Double]? = nil, floats: [Float]? = nil, integers: [Int]? = nil) -> [UInt8] {
        let descr = integers != nil ? "<i8" : floats != nil ? "<f4" : "<f8"
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = magic + [1, 0]
        let length = header.utf8.count
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + 8 * (doubles?.count ?? integers?.count ?? 0))
        if let doubles { for v in doubles { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } } }
        if let floats { for v in floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } } }
        if let integers { for v in integers { withUnsafeBytes(of: Int64(v).littleEndian) { out += $0 } } }
        return out
    }

    // Minimal readers for the three keys of the header dict (a Python literal).
    private static func stringValue(of key: String, in text: String) -> String? {
        guard let keyRange = text.range(of: "'\(key)'") else { return nil }
        let rest = text[keyRange.upperBound...].drop { $0 == ":" || $0 == " " }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let close = body.firstIndex(of: quote) else { return nil }
        return String(body[..<close])
    }

    private static func boolValue(of key: String, in text: String) -> Bool? {
        guard let keyRange = text.range(of: "'\(key)'") else { return nil }
        let rest = text[keyRange.upperBound...].drop { $0 == ":" || $0 == " " }
        if rest.hasPrefix("True") { return true }
        if rest.hasPrefix("False") { return false }
        return nil
    }

    private static func shapeValue(in text: String) -> [Int]? {
        guard let keyRange = text.range(of: "'shape'") else { return nil }
        let rest = text[keyRange.upperBound...].drop { $0 == ":" || $0 == " " }
        guard rest.first == "(", let close = rest.firstIndex(of: ")") else { return nil }
        let inner = rest[rest.index(after: rest.startIndex)..<close]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let dim = Int(trimmed), dim >= 0 else { return nil }
            dims.append(dim)
        }
        return dims
    }
}

/// A read-only memory map of a whole file, unmapped when released.
///
/// Another program may truncate the file while it is mapped; touching a page beyond the new end
/// raises SIGBUS. The map is registered with FileGuard's SIGBUS handler, which then writes one
/// line naming the file, removes the temporaries of outputs in progress and exits with 74. (The
/// file stays mapped rather than read, because mapping is what lets a file as large as memory be
/// fitted; reading it instead would need all of it in anonymous memory.)
final class MappedFile: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int
    /// FileGuard's slot for this map, or -1 (anonymous memory, or no slot free).
    private let guardSlot: Int32

    /// Maps the file at `path`; a pipe or device (`<(cat x.npy)`, a FIFO), which cannot be
    /// mapped, is read into anonymous memory instead.
    convenience init(path: String) throws {
        let (fd, info) = try InputFile.open(path)
        defer { if path != "-" { close(fd) } }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            try self.init(copying: InputFile.readAll(fd, info: info, path: path, text: false), path: path)
            return
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw DataFileError.format(path: path, message: "the file is empty; give an .npy file written by np.save") }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw DataFileError.io(path: path, reason: "cannot be memory-mapped: \(String(cString: strerror(errno)))")
        }
        _ = madvise(pointer, size, MADV_SEQUENTIAL)
        let message = "gmm: error: \(path): the file shrank while it was being read (another program truncated or rewrote it); "
            + "leave it unchanged until gmm is done, or give gmm a copy\n"
        self.init(base: pointer, size: size, guardSlot: gmm_guard_mapping(pointer, size, message))
    }

    private init(base: UnsafeMutableRawPointer, size: Int, guardSlot: Int32) {
        self.base = base
        self.size = size
        self.guardSlot = guardSlot
    }

    /// Anonymous memory holding a copy of `bytes`, as if they had been mapped from a file.
    init(copying bytes: [UInt8], path: String) throws {
        let count = bytes.count
        guard count > 0 else { throw DataFileError.format(path: path, message: "the file is empty; give an .npy file written by np.save") }
        guard let pointer = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pointer != MAP_FAILED else {
            throw DataFileError.io(path: path, reason: "cannot allocate \(count) bytes: \(String(cString: strerror(errno)))")
        }
        bytes.withUnsafeBytes { if let source = $0.baseAddress { pointer.copyMemory(from: source, byteCount: count) } }
        size = count
        base = pointer
        guardSlot = -1
    }

    deinit {
        gmm_unguard_mapping(guardSlot)
        munmap(base, size)
    }
}
