import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

/// Several data files (a quoted glob, `--files-from`) are their rows concatenated: the same
/// model file, byte for byte, as the one file holding those rows.
@Suite struct SeveralFilesTests {
    let e2e = EndToEndTests()

    /// iris.csv cut into three CSV files (each with the header) and the same rows as three .npy files.
    func shards(in scratch: EndToEndTests.Scratch) throws -> (csv: [String], npy: [String], whole: Matrix) {
        let lines = try String(contentsOfFile: EndToEndTests.iris, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0], rows = Array(lines.dropFirst())
        let cuts = [0, 40, 41, rows.count]
        var csv: [String] = [], npy: [String] = []
        let whole = try DataTable.read(path: EndToEndTests.iris).matrix
        for i in 0..<3 {
            // Names whose byte order (b < c < d) is not the order a shell or a listing by time might give.
            let name = ["b", "c", "d"][i]
            let path = scratch.path("part-\(name).csv")
            try ([header] + rows[cuts[i]..<cuts[i + 1]]).joined(separator: "\n").appending("\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            csv.append(path)
            let values = Array(whole.values[(cuts[i] * 4)..<(cuts[i + 1] * 4)])
            let npyPath = scratch.path("part-\(name).npy")
            try Data(NPY.encode(shape: [cuts[i + 1] - cuts[i], 4], doubles: values)).write(to: URL(fileURLWithPath: npyPath))
            npy.append(npyPath)
        }
        return (csv, npy, whole)
    }

    @Test func aGlobAndAListGiveTheModelOfTheWholeFile() throws {
        let scratch = EndToEndTests.Scratch()
        let parts = try shards(in: scratch)
        let options = ["--components", "3", "--seed", "2", "--quiet"]
        #expect(try e2e.gmm(["fit", EndToEndTests.iris, "-o", scratch.path("whole.json")] + options).status == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: scratch.path("whole.json")))
        let csvGlob = try e2e.gmm(["fit", scratch.path("part-*.csv"), "-o", scratch.path("csv.json")] + options)
        #expect(csvGlob.status == 0, "\(csvGlob.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("csv.json"))) == whole)
        let npyGlob = try e2e.gmm(["fit", scratch.path("part-[b-d].npy"), "-o", scratch.path("npy.json")] + options)
        #expect(npyGlob.status == 0, "\(npyGlob.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("npy.json"))) == whole)
        // A list in its own order, with a blank line: the order given is the order of the rows.
        try (parts.npy.joined(separator: "\n") + "\n\n").write(toFile: scratch.path("list.txt"), atomically: true, encoding: .utf8)
        let list = try e2e.gmm(["fit", "--files-from", scratch.path("list.txt"), "-o", scratch.path("list.json")] + options)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("list.json"))) == whole)
        // score over a glob is the score of the whole file.
        let scoreWhole = try e2e.gmm(["score", scratch.path("whole.json"), EndToEndTests.iris])
        let scoreGlob = try e2e.gmm(["score", scratch.path("whole.json"), scratch.path("part-*.npy")])
        #expect(scoreGlob.status == 0 && scoreGlob.stdout == scoreWhole.stdout)
        let scoreList = try e2e.gmm(["score", scratch.path("whole.json"), "--files-from", scratch.path("list.txt")])
        #expect(scoreList.status == 0 && scoreList.stdout == scoreWhole.stdout)
        // predict over a list: the labels of the whole file, in the same order.
        let predictWhole = try e2e.gmm(["predict", scratch.path("whole.json"), EndToEndTests.iris])
        let predictList = try e2e.gmm(["predict", scratch.path("whole.json"), "--files-from", scratch.path("list.txt")])
        #expect(predictList.status == 0 && predictList.stdout == predictWhole.stdout)
    }

    @Test func mistakesAreNamed() throws {
        let scratch = EndToEndTests.Scratch()
        _ = try shards(in: scratch)
        let none = try e2e.gmm(["fit", scratch.path("nothing-*.npy"), "--components", "2"])
        #expect(none.status == 74 && none.stderr.contains("matches no file"))
        let both = try e2e.gmm(["fit", EndToEndTests.iris, "--files-from", scratch.path("x"), "--components", "2"])
        #expect(both.status == 64 && both.stderr.contains("not both"))
        let neither = try e2e.gmm(["fit", "--components", "2"])
        #expect(neither.status == 64 && neither.stderr.contains("DATA or --files-from"))
        // Files of different widths: the message names the odd one and both widths.
        try Data(NPY.encode(shape: [3, 2], doubles: [1, 2, 3, 4, 5, 6])).write(to: URL(fileURLWithPath: scratch.path("part-e.npy")))
        let odd = try e2e.gmm(["fit", scratch.path("part-*.npy"), "--components", "2"])
        #expect(odd.status == 65 && odd.stderr.contains("part-e.npy") && odd.stderr.contains("2 columns"), "\(odd.stderr)")
        // A bad value is reported with its row in its own file.
        try Data(NPY.encode(shape: [2, 4], doubles: [1, 2, 3, 4, 5, .nan, 7, 8])).write(to: URL(fileURLWithPath: scratch.path("part-e.npy")))
        let bad = try e2e.gmm(["fit", scratch.path("part-*.npy"), "--components", "2"])
        #expect(bad.status == 65 && bad.stderr.contains("part-e.npy") && bad.stderr.contains("row 2, column 2"), "\(bad.stderr)")
    }
}
