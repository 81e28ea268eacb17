import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

@Suite struct NPYTests {
    /// A scratch folder removed at the end of each test.
    final class Scratch {
        let folder: String
        init() {
            folder = NSTemporaryDirectory() + "npy-tests-\(UInt32.random(in: 0...UInt32.max))"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let path = folder + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            return path
        }
    }

    /// An .npy file built by hand: `version` 1, 2 or 3, the given header dict and payload.
    static func npy(version: UInt8, header: String, payload: [UInt8]) -> [UInt8] {
        var dict = header
        let prefix = version == 1 ? 10 : 12
        dict += String(repeating: " ", count: (64 - (prefix + dict.utf8.count + 1) % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = dict.utf8.count
        out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), 0, 0]
        return out + Array(dict.utf8) + payload
    }

    static func bytes(_ values: [Double]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) } }
    static func bytes(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) } }

    @Test func encodedFilesReadBack() throws {
        let scratch = Scratch()
        let values: [Double] = [1, 2, 3, 4.5, -6, 1e-300]
        let path = scratch.write("a.npy", NPY.encode(shape: [3, 2], doubles: values))
        let table = try NPY.read(path: path)
        #expect(table.rows == 3 && table.columns == 2 && table.matrix.values == values)
        let header = try NPY.encode(shape: [3, 2], doubles: values).withUnsafeBytes { try NPY.parseHeader($0, path: "a") }
        #expect(header.dataOffset % 64 == 0)
    }

    @Test(arguments: [UInt8(1), 2, 3])
    func readsEveryFormatVersionAndOneDimensionalArrays(version: UInt8) throws {
        let scratch = Scratch()
        let path = scratch.write("v.npy", Self.npy(version: version,
            header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", payload: Self.bytes([1.0, 2, 3, 4])))
        let table = try NPY.read(path: path)
        #expect(table.rows == 4 && table.columns == 1 && table.matrix.values == [1, 2, 3, 4])
    }

    @Test func widensFloat32() throws {
        let scratch = Scratch()
        let path = scratch.write("f.npy", Self.npy(version: 1,
            header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: Self.bytes([Float(0.5), 1.25, -3, 7])))
        #expect(try NPY.read(path: path).matrix.values == [0.5, 1.25, -3, 7])
    }

    @Test func unsupportedFilesGetClearErrors() throws {
        let scratch = Scratch()
        let cases: [(String, [UInt8], String)] = [
            ("fortran.npy", Self.npy(version: 1, header: "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                                     payload: Self.bytes([1.0, 2, 3, 4])), "Fortran"),
            ("int.npy", Self.npy(version: 1, header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                                 payload: Array(repeating: 0, count: 16)), "dtype '<i8'"),
            ("big.npy", Self.npy(version: 1, header: "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
                                 payload: Array(repeating: 0, count: 16)), "dtype '>f8'"),
            ("short.npy", Self.npy(version: 1, header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
                                   payload: Self.bytes([1.0, 2, 3])), "shorter than its header"),
            ("rank3.npy", Self.npy(version: 1, header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }",
                                   payload: Self.bytes([1.0])), "expected 2-D"),
            ("notnpy.npy", Array("hello, world, this is text".utf8), "not an .npy file"),
            ("v9.npy", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0, 0, 0], "version 9"),
        ]
        for (name, bytes, expected) in cases {
            let path = scratch.write(name, bytes)
            do {
                _ = try NPY.read(path: path)
                Issue.record("\(name) was accepted")
            } catch let error as DataFileError {
                #expect(error.description.contains(expected), "\(name): \(error)")
                #expect(error.description.contains(name))
                #expect(error.category == .data)
            }
        }
        #expect(throws: DataFileError.io(path: scratch.folder + "/missing.npy", reason: "no such file; check the path")) {
            try NPY.read(path: scratch.folder + "/missing.npy")
        }
    }

    @Test func nonFiniteValuesNameRowAndColumn() throws {
        let scratch = Scratch()
        let path = scratch.write("nan.npy", NPY.encode(shape: [2, 3], doubles: [1, 2, 3, 4, .nan, 6]))
        do {
            _ = try NPY.read(path: path)
            Issue.record("NaN accepted")
        } catch let error as DataFileError {
            guard case .nonFinite(_, let row, let column, _, _) = error else { Issue.record("\(error)"); return }
            #expect(row == 2 && column == 2)
        }
    }
}

@Suite struct Float32ReadingTests {
    @Test func float32FilesAreMappedAsFloat32AndWidenedAsFloat64() throws {
        let scratch = NPYTests.Scratch()
        let values: [Float] = [1, 2.5, -3, 4e-20, 5, 6]
        let path = scratch.write("f.npy", NPYTests.npy(version: 1, header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                                                      payload: NPYTests.bytes(values)))
        let single = try DataTable.read(path: path, precision: .float32)
        #expect(single.precision == .float32 && single.rows == 3 && single.columns == 2)
        #expect(single.withUnsafeSingleValues { Array($0 ?? UnsafeBufferPointer(start: nil, count: 0)) } == values)
        let double = try DataTable.read(path: path)
        #expect(double.precision == .float64)
        #expect(double.withUnsafeValues { Array($0) } == values.map { Double($0) })
    }

    @Test func float64ValuesBeyondFloat32AreRefusedWithTheirPlace() throws {
        let scratch = NPYTests.Scratch()
        let path = scratch.write("big.npy", NPY.encode(shape: [2, 2], doubles: [1, 2, 3, 1e300]))
        #expect(throws: DataFileError.self) { _ = try DataTable.read(path: path, precision: .float32) }
        do {
            _ = try DataTable.read(path: path, precision: .float32)
        } catch {
            #expect("\(error)".contains("row 2, column 2") && "\(error)".contains("float32"), "\(error)")
        }
        let csv = scratch.write("a.csv", Array("x,y\n1,2\n3,4.5\n".utf8))
        let table = try DataTable.read(path: csv, precision: .float32)
        #expect(table.precision == .float32 && table.header == ["x", "y"])
        #expect(table.withUnsafeSingleValues { Array($0 ?? UnsafeBufferPointer(start: nil, count: 0)) } == [1, 2, 3, 4.5])
    }
}
