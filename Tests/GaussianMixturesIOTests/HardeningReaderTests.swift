import Foundation
import GaussianMixtures
@testable import GaussianMixturesIO
import Testing

/// Readers facing hostile input: sizes from headers that overflow, text with a byte order mark
/// or CR line ends, huge or binary bad fields, numbers beyond double, folders given as files.
@Suite struct HardeningReaderTests {
    final class Scratch {
        let folder = NSTemporaryDirectory() + "reader-tests-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let path = folder + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
    }

    func contents(_ text: String) throws -> CSV.Contents { try CSV.contents(of: Array(text.utf8), path: "t.csv") }

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    // MARK: sizes

    /// Shapes whose element count or byte count does not fit in an Int are a data error naming
    /// the shape, not a trap (each traps in the unchecked `dataOffset + count * itemSize`).
    @Test(arguments: [
        ("<f8", "(2305843009213693952, 1)", UInt8(1)),   // 2^61 x 1: count * 8 overflows
        ("<f4", "(4611686018427387904, 1)", UInt8(1)),   // 2^62 x 1: count * 4 overflows
        ("<f8", "(2147483648, 2147483648)", UInt8(2)),   // 2^31 x 2^31: count * 8 overflows
        ("<f8", "(9223372036854775807,)", UInt8(3)),     // Int.max: count * 8 overflows
        ("<f8", "(4294967296, 4294967296)", UInt8(1)),   // 2^32 x 2^32: count overflows
        ("<f4", "(1, 2305843009213693951L)", UInt8(1)),  // offset + bytes overflows
    ])
    func npyShapesBeyondAnyFileAreDataErrors(descr: String, shape: String, version: UInt8) throws {
        let scratch = Scratch()
        let bytes = NPYTests.npy(version: version, header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }",
                                 payload: NPYTests.bytes([1.0, 2]))
        let path = scratch.write("huge.npy", bytes)
        for precision in Precision.allCases {
            do {
                _ = try NPY.read(path: path, precision: precision)
                Issue.record("a shape of \(shape) was accepted")
            } catch let error as DataFileError {
                #expect(error.category == .data)
                #expect(error.description.contains("huge.npy") && error.description.contains("np.save"), "\(error)")
            }
            #expect(throws: DataFileError.self) { try NPY.parse(bytes, path: "huge.npy", precision: precision) }
        }
    }

    // MARK: text

    @Test func byteOrderMarkIsSkippedWithAndWithoutHeader() throws {
        let plain = try CSV.contents(of: [0xEF, 0xBB, 0xBF] + Array("1,2\n3,4\n".utf8), path: "t.csv")
        #expect(plain.header == nil && plain.matrix.values == [1, 2, 3, 4] && plain.matrix.columns == 2 && plain.warnings.isEmpty)
        let named = try CSV.contents(of: [0xEF, 0xBB, 0xBF] + Array("a,b\r\n5,6\r\n".utf8), path: "t.csv")
        #expect(named.header == ["a", "b"] && named.matrix.values == [5, 6])
        let single = try CSV.contents(of: [0xEF, 0xBB, 0xBF] + Array("7\n".utf8), path: "t.csv")
        #expect(single.matrix.values == [7])
    }

    @Test func utf16IsNamed() throws {
        let text: [UInt8] = [0xFF, 0xFE] + Array("1,2\n".utf8).flatMap { [$0, 0] }
        let said = message { _ = try CSV.contents(of: text, path: "t.csv") }
        #expect(said?.contains("UTF-16") == true, "\(said ?? "accepted")")
    }

    @Test(arguments: ["1,2\r3,4\r", "1,2\n3,4\n", "1,2\r\n3,4\r\n", "1,2\r3,4", "1,2\r\n3,4\n", "1,2\n\r3,4\r\n\r\n"])
    func crLfAndCrlfAllEndLines(text: String) throws {
        let read = try contents(text)
        #expect(read.header == nil && read.matrix.values == [1, 2, 3, 4] && read.matrix.columns == 2)
    }

    @Test func crOnlyLinesAreCountedForMessages() throws {
        #expect(throws: DataFileError.parse(path: "t.csv", line: 3, column: 2, token: "x")) { try contents("a,b\r1,2\r3,x\r") }
        let header = try contents("a,b\r1,2\r3,4\r")
        #expect(header.header == ["a", "b"] && header.matrix.rows == 2)
    }

    @Test(arguments: ["1,2x\n3,4\n", "1x\n2\n", "1,,3\n4,5,6\n", "1.5,2.5.1\n3,4\n", "2x,3y\n1,2\n", "\u{FEFF}1,2o\r3,4\r"])
    func aDroppedFirstRowThatLooksLikeDataIsNamed(text: String) throws {
        let read = try contents(text)
        #expect(read.header != nil && read.matrix.rows == 1)
        #expect(read.warnings.count == 1)
        let warning = read.warnings.first ?? ""
        #expect(warning.hasPrefix("t.csv:1: ") && warning.contains("header") && warning.contains("column "), "\(warning)")
    }

    @Test func aLoneFirstRowThatLooksLikeDataIsNamedInTheError() throws {
        let said = message { _ = try contents("1,2x\n") } ?? "accepted"
        #expect(said.contains("no data rows found") && said.contains("'1,2x' was read as a header"), "\(said)")
    }

    @Test(arguments: ["x,y\n1,2\n", "sepal length,petal width\n1,2\n", "a\n1\n", "id_1,id_2\n1,2\n"])
    func aHeaderOfNamesGivesNoWarning(text: String) throws {
        let read = try contents(text)
        #expect(read.header != nil && read.warnings.isEmpty, "\(read.warnings)")
    }

    // MARK: messages

    @Test func aHugeBadFieldIsQuotedShortAndEscaped() throws {
        var bytes = Array("1,2\n3,".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 10_000_000)
        bytes += Array("\n".utf8)
        let said = message { _ = try CSV.parse(bytes, path: "t.csv") } ?? "accepted"
        #expect(said.utf8.count < 250, "a message of \(said.utf8.count) bytes")
        #expect(said.contains("t.csv:2") && said.contains("column 2") && said.contains("10000006 bytes") == false)
        #expect(said.contains("(10000000 bytes in all)"), "\(said)")
    }

    @Test func controlBytesAndNulAreEscaped() throws {
        let bytes = Array("1,2\n3,a".utf8) + [0, 0x1B, 0x07] + Array("b\u{7F}\n".utf8)
        let said = message { _ = try CSV.parse(bytes, path: "t.csv") } ?? "accepted"
        #expect(!said.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(said.debugDescription)")
        #expect(said.contains("'a\\0\\x1B\\x07b\\x7F'"), "\(said)")
        // Bytes that are not UTF-8 are escaped too, and a header line is trimmed the same way.
        let invalid = message { _ = try CSV.parse(Array("1,2\n".utf8) + [0xC3, 0x28, 0x0A], path: "t.csv") } ?? "accepted"
        #expect(invalid.contains("\\u{FFFD}("), "\(invalid)")
    }

    @Test(arguments: ["1e400", "-1e400", "1.8e308", "123456789e301"])
    func numbersBeyondDoubleAreSaidToOverflow(token: String) throws {
        let text = "a,b\n1,2\n3,\(token)\n"
        #expect(throws: DataFileError.outOfRange(path: "t.csv", row: 2, column: 2, line: 3, token: token)) { try contents(text) }
        let said = message { _ = try contents(text) } ?? "accepted"
        #expect(said.contains("beyond the range of a double") && !said.contains("holds"), "\(said)")
        #expect(said.contains("t.csv:3") && said.contains("row 2, column 2") && said.contains("divide"))
    }

    @Test func tinyNumbersAndWrittenInfinityKeepTheirMeaning() throws {
        #expect(try contents("1e-400,2\n").matrix.values == [0, 2])
        #expect(throws: DataFileError.nonFinite(path: "t.csv", row: 1, column: 2, line: 1, value: .infinity)) { try contents("1,inf\n") }
    }

    @Test func aFolderGivenAsDataSaysSo() throws {
        let scratch = Scratch()
        let csvFolder = scratch.folder + "/data.csv", npyFolder = scratch.folder + "/data.npy"
        try FileManager.default.createDirectory(atPath: csvFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: npyFolder, withIntermediateDirectories: true)
        for path in [csvFolder, npyFolder, scratch.folder] {
            do {
                _ = try DataTable.read(path: path)
                Issue.record("a folder was read")
            } catch let error as DataFileError {
                #expect(error == .io(path: path, reason: "is a folder, not a file; give the path of a file in it"))
                #expect(!error.description.contains("NSCocoaErrorDomain"))
            }
        }
        #expect(throws: DataFileError.io(path: csvFolder, reason: "is a folder, not a file; give the path of a file in it")) {
            try ModelFile.read(path: csvFolder)
        }
        let missing = message { _ = try DataTable.read(path: scratch.folder + "/none.csv") } ?? ""
        #expect(missing.contains("none.csv: no such file; check the path"))
    }

    /// A FIFO (as `<(cat x.npy)` gives) cannot be mapped; it is read instead.
    @Test func npyFromAPipeIsRead() throws {
        let scratch = Scratch()
        let fifo = scratch.folder + "/x.npy"
        #expect(mkfifo(fifo, 0o600) == 0)
        let bytes = NPY.encode(shape: [2, 2], doubles: [1, 2, 3, 4])
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        #expect(try NPY.read(path: fifo).matrix.values == [1, 2, 3, 4])
    }

    @Test func excerptsAreShortAndPrintable() {
        #expect(DataFileError.excerpt("4x") == "4x")
        #expect(DataFileError.excerpt(String(repeating: "é", count: 41)) == String(repeating: "é", count: 40) + "... (82 bytes in all)")
        #expect(DataFileError.excerpt("a\tb\nc\\'") == "a\\tb\\nc\\\\\\'")
    }
}
