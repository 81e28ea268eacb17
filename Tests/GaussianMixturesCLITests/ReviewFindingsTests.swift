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
