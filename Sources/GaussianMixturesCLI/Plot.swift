import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO
import GaussianMixturesPlot

extension GMM {
    /// `gmm plot MODEL.json DATA -o FIG.svg`, `gmm plot MODEL.json --trace -o trace.svg`
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a model over its data, or its lower bound per EM iteration, as an SVG figure.",
            discussion: """
                1 feature: a histogram of DATA (Freedman-Diaconis bins), the mixture density and every
                weighted component. 2 features: the rows coloured by their predicted component, every
                mean and its 1- and 2-sigma ellipses. More: --features I,J draws two columns with the
                marginal ellipses; without it, the data and the components projected onto the data's
                first two principal axes. At most --max-points rows are drawn, every n-th from a seeded
                start; the histogram counts every row. --trace draws the model file's lower bound per
                iteration (no DATA).
                """)

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Argument(help: "Data file: CSV (or '-' for stdin) or .npy, with the model's features.") var data: String?
        @Option(name: .shortAndLong, help: "The SVG file to write ('-' for stdout).") var output: String
        @Flag(help: "Draw the lower bound per EM iteration from the model file instead of data.") var trace = false
        @Option(help: "Histogram bins for a 1-feature model (default: the Freedman-Diaconis rule).") var bins: Int?
        @Option(help: "The two columns to draw, 'I,J': 1-based numbers or names from the CSV header.") var features: String?
        @Option(name: .customLong("max-points"), help: "Rows drawn at most; more are thinned to every n-th row.")
        var maxPoints = PlotLimits.defaultPoints
        @Option(help: "Seed of the first drawn row when rows are thinned.") var seed: UInt64 = 0
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            try validateStandardInput([("MODEL", model), ("DATA", data)])
            if trace {
                if data != nil { throw ValidationError("--trace draws the model file's history; give no DATA with it") }
                if bins != nil || features != nil { throw ValidationError("--bins and --features draw data; they do not go with --trace") }
            } else if data == nil {
                throw ValidationError("give a DATA file to draw the model over (or --trace for its lower bound per iteration)")
            }
            if let bins, !(1...PlotLimits.maxBins).contains(bins) {
                throw ValidationError("--bins must be between 1 and \(PlotLimits.maxBins), got \(bins)")
            }
            guard (1...PlotLimits.maxPoints).contains(maxPoints) else {
                throw ValidationError("--max-points must be between 1 and \(PlotLimits.maxPoints), got \(maxPoints)")
            }
        }

        func run() throws {
            try reportingErrors {
                guard Cluster.isLeader else { return }  // under mpirun, one process draws the figure
                try checkFigureOutput(output, option: "-o", inputs: [model, data])
                let file = try ModelFile.read(path: model)
                let figure: Figure
                if let data {
                    let table = try DataTable.read(path: data, precision: storedPrecision(of: data))
                    table.warnings.forEach { printStderr("gmm: warning: " + $0) }
                    figure = try PlotBuilder(model: file.model, table: table, maxPoints: maxPoints, seed: seed,
                                             threads: threadOptions.threads).figure(bins: bins, features: features)
                } else {
                    figure = try traceFigure(file, path: model)
                }
                try OutputFile.write(Array(figure.svg().utf8), to: output)
            }
        }
    }
}

/// Bounds of `gmm plot`'s options.
enum PlotLimits {
    /// Rows drawn by default: enough to see the shape, small enough for a browser (about 1 MB of SVG).
    static let defaultPoints = 20_000
    static let maxPoints = 1_000_000
    static let maxBins = 10_000
    /// The most bins the Freedman-Diaconis rule may choose (a long tail would ask for thousands).
    static let maxAutomaticBins = 200
}

/// The precision a `.npy` file holds its values in (float32 for `<f4`), so that reading it
/// maps the file as it is instead of converting a copy; float64 for anything else, or when the
/// header cannot be read (the reader then says why).
func storedPrecision(of path: String) -> Precision {
    guard path.lowercased().hasSuffix(".npy"), let handle = FileHandle(forReadingAtPath: path) else { return .float64 }
    defer { try? handle.close() }
    guard let bytes = try? handle.read(upToCount: 1 << 16), !bytes.isEmpty,
          let header = try? bytes.withUnsafeBytes({ try NPY.parseHeader($0, path: path) }) else { return .float64 }
    return header.descr == "<f4" ? .float32 : .float64
}

/// Checks a figure's output before any work: an SVG name (or `-`) and a writable place that is not an input.
/// - Throws: ``GaussianMixtureError/invalidOption(_:)`` (64) for another extension; as ``OutputFile/check(_:inputs:)``.
func checkFigureOutput(_ path: String?, option: String, inputs: [String?]) throws {
    guard let path else { return }
    guard path == "-" || path.lowercased().hasSuffix(".svg") else {
        throw GaussianMixtureError.invalidOption("\(option) \(path): figures are written as SVG; give a file name ending in .svg")
    }
    try OutputFile.check(path, inputs: inputs)
}

/// The rows a figure draws: all of them, or every `stride`-th from `offset` (chosen by the seed)
/// so that at most the limit are drawn.
struct DrawnRows: Equatable {
    let total: Int
    let stride: Int
    let offset: Int

    init(total: Int, limit: Int, seed: UInt64) {
        self.total = total
        if total <= limit {
            stride = 1
            offset = 0
        } else {
            let step = (total + limit - 1) / limit
            var random = SplitMix64(seed: seed)
            stride = step
            offset = Int(random.next() % UInt64(step))
        }
    }

    var rows: StrideTo<Int> { Swift.stride(from: offset, to: total, by: stride) }
    var count: Int { total > offset ? (total - offset + stride - 1) / stride : 0 }

    /// "all 150 rows", or "20,000 of 10,000,000 rows (every 500th from row 123, seed 0)".
    func description(seed: UInt64) -> String {
        stride == 1 ? "all \(grouped(total)) rows"
            : "\(grouped(count)) of \(grouped(total)) rows (every \(ordinal(stride)) from row \(offset + 1), seed \(seed))"
    }
}

/// "2nd", "3rd", "11th", "500th".
func ordinal(_ n: Int) -> String {
    let suffix: String
    switch (n % 10, n % 100) {
    case (_, 11...13): suffix = "th"
    case (1, _): suffix = "st"
    case (2, _): suffix = "nd"
    case (3, _): suffix = "rd"
    default: suffix = "th"
    }
    return grouped(n) + suffix
}

/// An integer with thousands separators, the same on every machine.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// A number for titles and legends: up to `digits` significant digits.
func short(_ v: Double, digits: Int = 3) -> String { String(format: "%.\(digits)g", v) }
