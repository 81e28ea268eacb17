import Foundation
@testable import gmm_fuzz
import Testing

/// Every input the fuzzers (scripts/fuzz) ever failed on, and the seeds they start from, replayed
/// through the same checks: a reader may reject an input, but never crash on it, and what it
/// accepts must round-trip through our writers.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func inputs(_ reader: String) throws -> [URL] {
        var folders: [URL] = [root.appendingPathComponent("Fuzz/seeds/\(reader)")]
        if let regressions = Bundle.module.url(forResource: "FuzzRegressions", withExtension: nil) {
            folders.append(regressions.appendingPathComponent(reader))
        }
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
        }.sorted { $0.path < $1.path }
    }

    @Test(arguments: ["csv", "npy", "model"])
    func readersSurviveEveryKnownInput(reader: String) throws {
        let files = try Self.inputs(reader)
        #expect(files.count >= 3, "the seeds of \(reader) are missing")
        for file in files { exercise(reader, Array(try Data(contentsOf: file))) }
    }
}
