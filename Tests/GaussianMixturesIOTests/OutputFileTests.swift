import Foundation
import GaussianMixturesIO
import Testing

@Suite struct OutputFileTests {
    @Test func commitReplacesAndAbortKeepsTheOldFile() throws {
        let folder = NSTemporaryDirectory() + "out-tests-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.json"
        try OutputFile.write(Array("old".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")

        let aborted = try OutputFile(path: path)
        try aborted.write("half of a new")
        aborted.abort()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")

        do {
            let dropped = try OutputFile(path: path)
            try dropped.write("dropped without commit")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")

        try OutputFile.write(Array("new".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.json"])
    }

    @Test func missingFolderIsAnIOError() throws {
        #expect(throws: DataFileError.self) { try OutputFile.write([1], to: "/nonexistent-folder/x.csv") }
    }
}
