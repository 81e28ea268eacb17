import Foundation
import Testing

extension EndToEndTests {
    /// `gmm score --per-sample` and `gmm predict --proba` give a row the same value whether or not
    /// a far row shares its file (the far row once moved the first score from -0.34 to -3.4e7).
    @Test func perRowOutputsDoNotDependOnTheOtherRowsOfTheFile() throws {
        let scratch = Scratch()
        try "0,0\n1,1\n0,1\n1,0\n0.2,0.9\n".write(toFile: scratch.path("sq.csv"), atomically: true, encoding: .utf8)
        #expect(try gmm(["fit", scratch.path("sq.csv"), "--components", "1", "--quiet", "-o", scratch.path("sq.json")]).status == 0)
        let near = "0.5,0.5\n2,2\n-1,0.5\n"
        try near.write(toFile: scratch.path("near.csv"), atomically: true, encoding: .utf8)
        let alone = try gmm(["score", scratch.path("sq.json"), scratch.path("near.csv"), "--per-sample"])
        let aloneValues = alone.stdout.split(separator: "\n").prefix(3).compactMap { Double($0) }
        #expect(aloneValues.count == 3 && abs(aloneValues[0] + 0.34043776222310446) < 1e-14, "\(alone.stdout)")
        for far in ["1e8", "1e12", "1e20", "1e200"] {
            try (near + "\(far),\(far)\n").write(toFile: scratch.path("far.csv"), atomically: true, encoding: .utf8)
            let mixed = try gmm(["score", scratch.path("sq.json"), scratch.path("far.csv"), "--per-sample"])
            let values = mixed.stdout.split(separator: "\n").prefix(3).compactMap { Double($0) }
            #expect(values.count == 3, "\(mixed.stdout) \(mixed.stderr)")
            for (a, b) in zip(values, aloneValues) { #expect(abs(a - b) <= 1e-13 * max(1, abs(b)), "far row \(far): \(a) vs \(b)") }
            // K = 1: every row, the far one included, belongs wholly to the one component.
            let proba = try gmm(["predict", scratch.path("sq.json"), scratch.path("far.csv"), "--proba"])
            #expect(proba.status == 0 && proba.stdout.split(separator: "\n").allSatisfy { Double($0) == 1 }, "\(proba.stdout)")
        }
    }
}

extension EndToEndTests {
    /// A row beyond every component's reach: `log p = -inf` in CSV, `null` in JSON (which has no
    /// infinity), responsibilities finite and one-hot on the nearest component.
    @Test func farRowOutputsStayValid() throws {
        let scratch = Scratch()
        try "0,0\n1,1\n0,1\n1,0\n0.2,0.9\n5,5\n7,7\n5,7\n7,5\n5.4,6.8\n".write(toFile: scratch.path("two.csv"), atomically: true, encoding: .utf8)
        #expect(try gmm(["fit", scratch.path("two.csv"), "--components", "2", "--quiet", "-o", scratch.path("m.json")]).status == 0)
        try "0.5,0.5\n1e200,1e200\n".write(toFile: scratch.path("far.csv"), atomically: true, encoding: .utf8)
        let json = try gmm(["score", scratch.path("m.json"), scratch.path("far.csv"), "--per-sample", "-o", scratch.path("ll.json")])
        #expect(json.status == 0, "\(json.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path("ll.json")))) as? [Any]
        #expect(parsed?.count == 2 && parsed?[0] is Double && parsed?[1] is NSNull, "\(String(describing: parsed))")
        let proba = try gmm(["predict", scratch.path("m.json"), scratch.path("far.csv"), "--proba", "-o", scratch.path("p.json")])
        #expect(proba.status == 0, "\(proba.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path("p.json")))) as? [[Double]]
        let far = try #require(rows?.last)
        #expect(far.sorted() == [0, 1], "\(far)")
    }
}
