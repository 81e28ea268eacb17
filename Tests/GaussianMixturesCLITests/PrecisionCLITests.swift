import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

extension EndToEndTests {
    /// `score`, `predict` and `select` take `--precision float32` (a float32 `.npy` mapped as it
    /// is) and agree with float64 on the same values.
    @Test func float32ScorePredictAndSelectAgreeWithFloat64() throws {
        let scratch = Scratch()
        let table = try DataTable.read(path: Self.iris)
        let singles = table.matrix.values.map { Float($0) }
        try Data(NPY.encode(shape: [table.rows, table.columns], floats: singles)).write(to: URL(fileURLWithPath: scratch.path("x32.npy")))
        try Data(NPY.encode(shape: [table.rows, table.columns], doubles: singles.map(Double.init)))
            .write(to: URL(fileURLWithPath: scratch.path("x64.npy")))
        #expect(try gmm(["fit", scratch.path("x64.npy"), "--components", "3", "--quiet", "-o", scratch.path("m.json")]).status == 0)
        let single = try gmm(["score", scratch.path("m.json"), scratch.path("x32.npy"), "--precision", "float32", "--per-sample"])
        let double = try gmm(["score", scratch.path("m.json"), scratch.path("x64.npy"), "--per-sample"])
        #expect(single.status == 0 && double.status == 0, "\(single.stderr) \(double.stderr)")
        let a = single.stdout.split(separator: "\n").compactMap { Double($0) }
        let b = double.stdout.split(separator: "\n").compactMap { Double($0) }
        #expect(a.count == 151 && b.count == 151)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * max(1, abs(y)), "\(x) vs \(y)") }
        let labels32 = try gmm(["predict", scratch.path("m.json"), scratch.path("x32.npy"), "--precision", "float32"])
        let labels64 = try gmm(["predict", scratch.path("m.json"), scratch.path("x64.npy")])
        #expect(labels32.status == 0 && labels32.stdout == labels64.stdout)
        let select32 = try gmm(["select", scratch.path("x32.npy"), "--components", "1...4", "--covariance-types", "full,diag",
                                "--precision", "float32", "--quiet"])
        let select64 = try gmm(["select", scratch.path("x64.npy"), "--components", "1...4", "--covariance-types", "full,diag", "--quiet"])
        #expect(select32.status == 0 && select64.status == 0, "\(select32.stderr)")
        // The same winner, marked '*', in both tables.
        let best = { (text: String) in text.split(separator: "\n").first { $0.contains("*") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } }
        #expect(best(select32.stdout) != nil && best(select32.stdout) == best(select64.stdout), "\(select32.stdout)\n\(select64.stdout)")
    }
}
