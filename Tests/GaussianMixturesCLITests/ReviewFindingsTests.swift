import Foundation
import Testing

extension EndToEndTests {
    /// C's hexadecimal floats (`0x10`, `0x1p3`) are not numbers of a data table: strtod reads
    /// them, the CSV reader must not.
    @Test func hexadecimalFieldsAreNotNumbers() throws {
        let scratch = Scratch()
        for field in ["0x10", "0x1p3", "0X1P-2", "-0x1"] {
            try "1,2\n3,4\n\(field),6\n".write(toFile: scratch.path("h.csv"), atomically: true, encoding: .utf8)
            let run = try gmm(["fit", scratch.path("h.csv"), "--components", "1", "--quiet", "-o", scratch.path("h.json")])
            #expect(run.status == 65 && run.stderr.contains("'\(field)' is not a number"), "\(field): \(run.status) \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("h.json")))
        }
    }

    /// A 1-feature plot of values that are all equal, at a magnitude where ±0.5 is below their
    /// precision, draws a histogram instead of trapping.
    @Test func plotsOfOneLargeRepeatedValueDrawABar() throws {
        let scratch = Scratch()
        for value in ["1e16", "1e20", "-3e300"] {
            try "\(value)\n\(value)\n\(value)\n".write(toFile: scratch.path("k.csv"), atomically: true, encoding: .utf8)
            let fit = try gmm(["fit", scratch.path("k.csv"), "--components", "1", "--quiet", "-o", scratch.path("k.json")])
            guard fit.status == 0 else { continue }  // a spread beyond the precision is refused by fit itself
            let plot = try gmm(["plot", scratch.path("k.json"), scratch.path("k.csv"), "-o", scratch.path("k.svg")])
            #expect(plot.status == 0 || plot.status == 65, "\(value): \(plot.status) \(plot.stderr)")
            if plot.status == 0 {
                let svg = try String(contentsOfFile: scratch.path("k.svg"), encoding: .utf8)
                #expect(svg.contains("<svg") && !svg.contains("nan") && !svg.contains("inf"))
            } else {
                #expect(plot.stderr.hasPrefix("gmm: error:") && plot.stderr.split(separator: "\n").count == 1)
            }
        }
    }
}

extension EndToEndTests {
    /// Errors about a file the user gave name that file: data whose columns do not match the
    /// model, a start model of another shape, a partial start the engine refuses.
    @Test func errorsNameTheFileAtFault() throws {
        let scratch = Scratch()
        #expect(try gmm(["fit", Self.iris, "--components", "3", "--quiet", "-o", scratch.path("m.json")]).status == 0)
        let narrow = try String(contentsOfFile: Self.iris, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",").prefix(3).joined(separator: ",") }.joined(separator: "\n") + "\n"
        try narrow.write(toFile: scratch.path("narrow.csv"), atomically: true, encoding: .utf8)
        for command in ["score", "predict"] {
            let run = try gmm([command, scratch.path("m.json"), scratch.path("narrow.csv")])
            #expect(run.status == 65 && run.stderr.contains("narrow.csv") && run.stderr.contains("m.json"), "\(run.stderr)")
        }
        let wrongK = try gmm(["fit", Self.iris, "--components", "2", "--init-model", scratch.path("m.json"), "-o", scratch.path("z.json")])
        #expect(wrongK.status == 65 && wrongK.stderr.contains("m.json") && wrongK.stderr.contains("--components 3"), "\(wrongK.stderr)")
        try "0.5\n0.6\n-0.1\n".write(toFile: scratch.path("w.csv"), atomically: true, encoding: .utf8)
        let weights = try gmm(["fit", Self.iris, "--components", "3", "--init-weights", scratch.path("w.csv"), "-o", scratch.path("z.json")])
        #expect(weights.status == 65 && weights.stderr.contains("w.csv: the initial weight of component 2"), "\(weights.stderr)")
        try "1\n-2\n3\n".write(toFile: scratch.path("p.csv"), atomically: true, encoding: .utf8)
        let precisions = try gmm(["fit", Self.iris, "--components", "3", "--covariance-type", "spherical",
                                  "--init-precisions", scratch.path("p.csv"), "-o", scratch.path("z.json")])
        #expect(precisions.status == 65 && precisions.stderr.contains("p.csv:"), "\(precisions.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("z.json")))
    }
}
