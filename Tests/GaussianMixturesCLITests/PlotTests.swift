import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GaussianMixtures
@testable import GaussianMixturesCLI
import GaussianMixturesIO
import GaussianMixturesPlot
import Testing

/// What a parsed SVG holds: every element with its attributes, and the text of every `<text>`.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }
        func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
    }
    var elements: [Element] = []
    var texts: [(text: String, classes: [String])] = []
    private var open: (text: String, classes: [String])?

    /// Parses `bytes`; `nil` when they are not well-formed XML.
    static func parse(_ bytes: Data) -> ParsedSVG? {
        let svg = ParsedSVG()
        let parser = XMLParser(data: bytes)
        parser.delegate = svg
        return parser.parse() ? svg : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let element = Element(name: name, attributes: attributes)
        elements.append(element)
        if name == "text" { open = ("", element.classes) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { open?.text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let open { texts.append(open) }
        if name == "text" { open = nil }
    }

    func all(_ name: String) -> [Element] { elements.filter { $0.classes.contains(name) } }
    func texts(_ name: String) -> [String] { texts.filter { $0.classes.contains(name) }.map(\.text) }
    /// The data points (circles inside the groups of class `points`), in document order.
    var pointCount: Int {
        var count = 0, inside = false
        for e in elements {
            if e.name == "g" { inside = e.classes.contains("points") }
            if e.name == "circle" && inside { count += 1 }
        }
        return count
    }
}

/// `gmm plot` and `gmm select --plot`: the figures are well-formed SVG holding the marks they should.
@Suite struct PlotTests {
    static let iris = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/iris.csv").path

    final class Scratch {
        let folder = NSTemporaryDirectory() + "gmm-plot-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func path(_ name: String) -> String { folder + "/" + name }
        func write(_ text: String, _ name: String) throws -> String {
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            return path(name)
        }
    }

    struct Run {
        let status: Int32
        let stdout: Data
        let stderr: String
    }

    /// Runs the built `gmm` (SwiftPM builds it: this test target depends on it).
    func gmm(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEndTests.executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The Iris columns `columns` (0-based) as CSV with their header.
    func irisColumns(_ columns: [Int], scratch: Scratch, name: String) throws -> String {
        let table = try CSV.read(path: Self.iris)
        let header = try #require(table.header)
        let data = table.matrix.selectingColumns(columns)
        return try scratch.write(CSV.format(data, header: columns.map { header[$0] }), name)
    }

    /// Fits `data` with `gmm fit` and returns the model's path.
    func fitted(_ data: String, k: Int, type: String = "full", scratch: Scratch, name: String) throws -> String {
        let model = scratch.path(name)
        let run = try gmm(["fit", data, "--components", "\(k)", "--covariance-type", type, "--quiet", "-o", model])
        #expect(run.status == 0, "\(run.stderr)")
        return model
    }

    func plot(_ arguments: [String]) throws -> ParsedSVG {
        let run = try gmm(["plot"] + arguments + ["-o", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(ParsedSVG.parse(run.stdout), "not well-formed XML: \(String(decoding: run.stdout.prefix(300), as: UTF8.self))")
    }

    /// Every circle and path point of the data layer lies inside the plot area; every text inside the canvas.
    func expectMarksInside(_ svg: ParsedSVG) {
        let a = Figure.area
        var inData = false
        for e in svg.elements {
            if e.name == "g" && (e.classes.contains("data") || e.classes.contains("legend") || e.classes.contains("axes")) {
                inData = e.classes.contains("data")
            }
            guard inData else { continue }
            if e.name == "circle", let cx = e.number("cx"), let cy = e.number("cy") {
                #expect(cx >= a.left && cx <= a.right && cy >= a.top && cy <= a.bottom, "circle at \(cx), \(cy)")
            }
            if e.name == "path", let d = e.attributes["d"] {
                let numbers = d.split(whereSeparator: { "MLZ ".contains($0) }).compactMap { Double($0) }
                for i in stride(from: 0, to: numbers.count - 1, by: 2) {
                    // Mean crosses reach 6 pixels beyond their centre (their halo 2.5 more).
                    #expect(numbers[i] >= a.left - 9 && numbers[i] <= a.right + 9 && numbers[i + 1] >= a.top - 9
                            && numbers[i + 1] <= a.bottom + 9, "path point \(numbers[i]), \(numbers[i + 1])")
                }
            }
        }
        for e in svg.elements where e.name == "text" {
            let x = e.number("x") ?? -1, y = e.number("y") ?? -1
            #expect(x >= 0 && x <= Figure.width && y >= 0 && y <= Figure.height)
        }
    }

    @Test func oneFeatureDrawsAHistogramAndOneCurvePerComponentPlusTheMixture() throws {
        let scratch = Scratch()
        let data = try irisColumns([3], scratch: scratch, name: "pw.csv")
        let model = try fitted(data, k: 3, scratch: scratch, name: "pw.json")
        let svg = try plot([model, data])
        #expect(svg.all("curve").count == 4)
        #expect(svg.all("mixture").count == 1)
        for k in 0..<3 { #expect(svg.all("component-\(k)").count == 1) }
        #expect(svg.all("bar").count >= 3)
        #expect(svg.texts("legend-entry") == ["data (histogram)", "mixture", "component 1, w 0.32", "component 2, w 0.33", "component 3, w 0.34"])
        #expect(svg.texts("x-label") == ["petal_width"])
        #expect(svg.texts("title").first?.contains("K = 3, full covariances") == true)
        #expect(svg.texts("title").first?.contains("150 rows") == true)
        expectMarksInside(svg)
        // --bins overrides the rule; empty bins draw no bar.
        let twelve = try plot([model, data, "--bins", "12"])
        #expect(twelve.all("bar").count <= 12 && twelve.all("bar").count >= 8)
        #expect(twelve.texts("caption").first?.contains("12 bins (--bins)") == true)
    }

    @Test func theHistogramIsADensityAndCountsEveryRow() throws {
        let scratch = Scratch()
        let data = try irisColumns([2], scratch: scratch, name: "pl.csv")
        let model = try ModelFile.read(path: try fitted(data, k: 2, scratch: scratch, name: "pl.json")).model
        let table = try DataTable.read(path: data)
        // Rows thinned to 10 for the points do not thin the histogram.
        let figure = try PlotBuilder(model: model, table: table, maxPoints: 10, seed: 3, threads: 1).figure(bins: 17, features: nil)
        guard case .bars(let edges, let heights, _)? = figure.layers.first else {
            Issue.record("the first layer is not the histogram")
            return
        }
        #expect(edges.count == 18)
        let area = zip(heights, zip(edges, edges.dropFirst())).reduce(0) { $0 + $1.0 * ($1.1.1 - $1.1.0) }
        #expect(abs(area - 1) < 1e-12)
        let width = edges[1] - edges[0]
        let counts = heights.map { ($0 * 150 * width).rounded() }
        #expect(counts.reduce(0, +) == 150)
        // The mixture curve is the sum of the component curves.
        var curves: [String: [Point]] = [:]
        for case .line(let points, _, _, _, _, let role, _) in figure.layers { curves[role] = points }
        let mixture = try #require(curves["curve mixture"]), c0 = try #require(curves["curve component-0"])
        let c1 = try #require(curves["curve component-1"])
        for i in stride(from: 0, to: mixture.count, by: 40) {
            #expect(abs(mixture[i].y - c0[i].y - c1[i].y) <= 1e-12 * max(1, mixture[i].y))
        }
    }

    @Test(arguments: ["full", "diag", "spherical", "tied"])
    func twoFeaturesDrawEveryRowTwoEllipsesAndAMeanPerComponent(type: String) throws {
        let scratch = Scratch()
        let data = try irisColumns([2, 3], scratch: scratch, name: "p.csv")
        let model = try fitted(data, k: 3, type: type, scratch: scratch, name: "p.json")
        let svg = try plot([model, data])
        #expect(svg.pointCount == 150)
        #expect(svg.all("ellipse").count == 6)
        #expect(svg.all("sigma-1").count == 3 && svg.all("sigma-2").count == 3)
        #expect(svg.all("mean").count == 3)
        #expect(svg.all("sigma-2").allSatisfy { $0.attributes["stroke-dasharray"] != nil })
        #expect(svg.all("halo").isEmpty)
        #expect(svg.texts("legend-entry").count == 6)
        #expect(svg.texts("legend-entry").suffix(3) == ["mean", "1-sigma ellipse", "2-sigma ellipse"])
        #expect(svg.texts("x-label") == ["petal_length"] && svg.texts("y-label") == ["petal_width"])
        #expect(svg.texts("caption").first == "All 150 rows drawn, coloured by predicted component")
        expectMarksInside(svg)
    }

    @Test func eightComponentsGetEightDistinctColours() throws {
        let scratch = Scratch()
        var centres: [[Double]] = []
        for k in 0..<8 { centres.append([Double(k % 4) * 10, Double(k / 4) * 10]) }
        let means = try Matrix(centres)
        let identity = try Matrix([[1, 0], [0, 1]])
        let model = try GaussianMixture(weights: [Double](repeating: 0.125, count: 8), means: means,
                                        covariances: [Matrix](repeating: identity, count: 8))
        let modelPath = try scratch.write(ModelFile(model: model).json(), "eight.json")
        let data = scratch.path("eight.csv")
        #expect(try gmm(["sample", modelPath, "--count", "800", "--seed", "4", "--without-component", "-o", data]).status == 0)
        let svg = try plot([modelPath, data])
        let fills = svg.elements.filter { $0.name == "g" && $0.classes.contains("points") }.compactMap { $0.attributes["fill"] }
        #expect(fills.count == 8 && Set(fills).count == 8 && Set(fills) == Set(Palette.okabeIto))
        #expect(svg.all("ellipse").count == 16 && svg.all("mean").count == 8)
        #expect(svg.texts("legend-entry").count == 11)
        expectMarksInside(svg)
    }

    @Test func theEllipsesAreTheComponentsOneAndTwoSigmaContours() throws {
        let scratch = Scratch()
        let model = try ModelFile.read(path: try fitted(Self.iris, k: 2, scratch: scratch, name: "iris.json")).model
        let table = try DataTable.read(path: Self.iris)
        let figure = try PlotBuilder(model: model, table: table, maxPoints: 1000, seed: 0, threads: 1).figure(bins: nil, features: "4,2")
        var checked = 0
        for case .line(let points, _, _, _, let closed, let role, let halo) in figure.layers where role.hasPrefix("ellipse") {
            #expect(closed && !halo)  // 150 dots: no white edge to hide them
            let k = role.hasSuffix("component-0") ? 0 : 1
            let sigma: Double = role.contains("sigma-1") ? 1 : 2
            // The marginal covariance of columns 4 and 2 (1-based): x is column 4, y column 2.
            let s = model.covariances[k]
            let a = s[3, 3], b = s[3, 1], c = s[1, 1], det = a * c - b * b
            for p in points {
                let u = p.x - model.means[k, 3], v = p.y - model.means[k, 1]
                #expect(abs((c * u * u - 2 * b * u * v + a * v * v) / det - sigma * sigma) < 1e-9)
            }
            checked += 1
        }
        #expect(checked == 4)
    }

    @Test func moreThanTwoFeaturesUseTheFeaturesOrThePrincipalAxes() throws {
        let scratch = Scratch()
        let model = try fitted(Self.iris, k: 3, scratch: scratch, name: "iris.json")
        let byName = try plot([model, Self.iris, "--features", "petal_length,petal_width"])
        let byNumber = try plot([model, Self.iris, "--features", "3,4"])
        #expect(byName.texts("x-label") == ["petal_length"] && byName.texts("y-label") == ["petal_width"])
        #expect(byName.all("ellipse").count == 6 && byName.pointCount == 150)
        #expect(byName.elements.map(\.attributes) == byNumber.elements.map(\.attributes))
        #expect(byName.texts("caption").last?.contains("marginal 2 x 2 covariances of columns 3 and 4") == true)
        expectMarksInside(byName)

        let projected = try plot([model, Self.iris])
        let x = try #require(projected.texts("x-label").first), y = try #require(projected.texts("y-label").first)
        #expect(x.hasPrefix("principal axis 1 (") && x.hasSuffix("% of the variance)"))
        #expect(y.hasPrefix("principal axis 2 ("))
        #expect(projected.texts("caption").last?.contains("principal axes") == true)
        #expect(projected.all("ellipse").count == 6 && projected.all("mean").count == 3 && projected.pointCount == 150)
        expectMarksInside(projected)
    }

    @Test func theSameInputsAndSeedGiveTheSameBytes() throws {
        let scratch = Scratch()
        let model = try fitted(Self.iris, k: 3, scratch: scratch, name: "iris.json")
        let first = try gmm(["plot", model, Self.iris, "--max-points", "40", "--seed", "7", "-o", "-"])
        let again = try gmm(["plot", model, Self.iris, "--max-points", "40", "--seed", "7", "-o", "-"])
        let other = try gmm(["plot", model, Self.iris, "--max-points", "40", "--seed", "8", "-o", "-"])
        #expect(first.status == 0 && !first.stdout.isEmpty)
        #expect(first.stdout == again.stdout)
        #expect(first.stdout != other.stdout)
        let svg = try #require(ParsedSVG.parse(first.stdout))
        // 150 rows thinned to at most 40: every 4th row, 37 or 38 of them.
        #expect(svg.pointCount >= 37 && svg.pointCount <= 38)
        #expect(svg.texts("caption").first?.contains("of 150 rows (every 4th from row ") == true)
        #expect(svg.texts("caption").first?.contains("seed 7") == true)
    }

    @Test func drawnRowsAreAStrideFromASeededStart() {
        #expect(Array(DrawnRows(total: 10, limit: 20, seed: 1).rows) == Array(0..<10))
        for seed in UInt64(0)..<20 {
            let drawn = DrawnRows(total: 10_000_000, limit: 20_000, seed: seed)
            #expect(drawn.stride == 500 && drawn.offset < 500 && drawn.count == 20_000)
            #expect(drawn.rows.underestimatedCount == drawn.count)
        }
        let odd = DrawnRows(total: 20_001, limit: 20_000, seed: 5)
        #expect(odd.stride == 2 && odd.count <= 20_000 && Array(odd.rows).count == odd.count)
        #expect(grouped(10_000_000) == "10,000,000" && grouped(999) == "999")
        #expect([1, 2, 3, 4, 11, 12, 13, 22, 500].map(ordinal) == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "22nd", "500th"])
    }

    @Test func aLargeMappedFileDrawsAtMostTheLimit() throws {
        let scratch = Scratch()
        // 60,000 rows of 2 features, memory-mapped from .npy; default limit 20,000 points.
        var values = [Double](repeating: 0, count: 120_000)
        var random = SplitMix64(seed: 11)
        for i in 0..<60_000 {
            let c = Double(i % 2) * 6
            values[2 * i] = c + Double(random.next() % 1000) / 500
            values[2 * i + 1] = -c + Double(random.next() % 1000) / 500
        }
        let data = scratch.path("big.npy")
        try Data(NPY.encode(shape: [60_000, 2], doubles: values)).write(to: URL(fileURLWithPath: data))
        let model = try fitted(data, k: 2, scratch: scratch, name: "big.json")
        let svg = try plot([model, data])
        #expect(svg.pointCount == 20_000)
        #expect(svg.texts("caption").first?.hasPrefix("20,000 of 60,000 rows (every 3rd from row ") == true)
        // Among 20,000 dots every ellipse has a white edge under it.
        #expect(svg.all("halo").count == 4 && svg.all("ellipse").count == 4)
        expectMarksInside(svg)
    }

    /// docs/figures holds what scripts/article-figures makes now: the same commands give the same bytes.
    @Test func theCommittedArticleFiguresAreUpToDate() throws {
        let scratch = Scratch()
        let figures = URL(fileURLWithPath: Self.iris).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/figures")
        for (columns, name, extra) in [([3], "iris-petal-width", ["--bins", "12"]), ([2, 3], "iris-petal", [])] {
            let data = try irisColumns(columns, scratch: scratch, name: name + ".csv")
            let model = try fitted(data, k: 3, scratch: scratch, name: name + ".json")
            let run = try gmm(["plot", model, data] + extra + ["-o", "-"])
            #expect(run.status == 0, "\(run.stderr)")
            let committed = try Data(contentsOf: figures.appendingPathComponent(name + ".svg"))
            #expect(run.stdout == committed, "docs/figures/\(name).svg is out of date: run scripts/article-figures")
        }
    }

    /// The peak anonymous memory (kB, from /proc) of `gmm` run on `arguments`, polled every 2 ms:
    /// memory-mapped file pages are not counted, copies of the data would be.
    func peakAnonymousMemory(_ arguments: [String]) throws -> (status: Int32, kilobytes: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEndTests.executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var peak = 0
        while process.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
               let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peak = max(peak, kilobytes)
            }
            usleep(2000)
        }
        process.waitUntilExit()
        return (process.terminationStatus, peak)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")))
    func aMappedFileIsPlottedWithoutCopyingIt() throws {
        let scratch = Scratch()
        // 64 MB of float64 each: 4,000,000 x 2 (points) and 8,000,000 x 1 (histogram).
        let rows = 4_000_000
        var values = [Double](repeating: 0, count: 2 * rows)
        for i in 0..<rows {
            let t = Double(i % 10_007) / 10_007
            values[2 * i] = (i % 2 == 0 ? 0 : 5) + t
            values[2 * i + 1] = (i % 2 == 0 ? 0 : -5) + t * t
        }
        try Data(NPY.encode(shape: [rows, 2], doubles: values)).write(to: URL(fileURLWithPath: scratch.path("points.npy")))
        try Data(NPY.encode(shape: [2 * rows], doubles: values)).write(to: URL(fileURLWithPath: scratch.path("column.npy")))
        // The column again as float32 (32 MB), mapped as it is rather than widened into a copy.
        var float32 = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(2 * rows),), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        float32 += Data([UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]) + Data(header.utf8)
        float32 += values.map { Float($0) }.withUnsafeBytes { Data($0) }
        try float32.write(to: URL(fileURLWithPath: scratch.path("column32.npy")))
        values = []
        let identity = try Matrix([[1, 0], [0, 1]])
        let two = try GaussianMixture(weights: [0.5, 0.5], means: try Matrix([[0.5, 0.3], [5.5, -4.7]]), covariances: [identity, identity])
        let one = try GaussianMixture(weights: [0.5, 0.5], means: try Matrix([[0.5], [1.5]]), covariances: [try Matrix([[1.0]]), try Matrix([[2.0]])])
        let twoPath = try scratch.write(ModelFile(model: two).json(), "two.json")
        let onePath = try scratch.write(ModelFile(model: one).json(), "one.json")
        let scatter = try peakAnonymousMemory(["plot", twoPath, scratch.path("points.npy"), "-o", scratch.path("points.svg")])
        let histogram = try peakAnonymousMemory(["plot", onePath, scratch.path("column.npy"), "-o", scratch.path("column.svg")])
        let histogram32 = try peakAnonymousMemory(["plot", onePath, scratch.path("column32.npy"), "-o", scratch.path("column32.svg")])
        #expect(scatter.status == 0 && histogram.status == 0 && histogram32.status == 0)
        // Under a sanitizer (scripts/sanitize) shadow memory and quarantine inflate every process.
        let environment = ProcessInfo.processInfo.environment
        if environment["LSAN_OPTIONS"] == nil && environment["TSAN_OPTIONS"] == nil {
            #expect(histogram32.kilobytes > 0 && histogram32.kilobytes < 24_000, "peak anonymous memory \(histogram32.kilobytes) kB")
            // A copy of either float64 file would be 62,500 kB; a float64 copy of the float32 one too.
            #expect(scatter.kilobytes > 0 && scatter.kilobytes < 32_000, "peak anonymous memory \(scatter.kilobytes) kB")
            #expect(histogram.kilobytes > 0 && histogram.kilobytes < 32_000, "peak anonymous memory \(histogram.kilobytes) kB")
        }
        let svg = try #require(ParsedSVG.parse(try Data(contentsOf: URL(fileURLWithPath: scratch.path("points.svg")))))
        #expect(svg.pointCount == 20_000)
        let column = try #require(ParsedSVG.parse(try Data(contentsOf: URL(fileURLWithPath: scratch.path("column.svg")))))
        #expect(column.texts("caption").first == "Histogram of all 8,000,000 rows, 200 bins (Freedman-Diaconis)")
        #expect(column.texts("caption").last?.hasPrefix("the quartiles for the bin width from 20,000 of 8,000,000 rows (every 400th") == true)
    }

    @Test func theTraceDrawsOnePointPerIteration() throws {
        let scratch = Scratch()
        let model = try fitted(Self.iris, k: 3, scratch: scratch, name: "iris.json")
        let history = try #require(try ModelFile.read(path: model).lowerBoundHistory)
        let svg = try plot([model, "--trace"])
        #expect(svg.all("trace").count == 1)
        #expect(svg.pointCount == 0)
        let dots = svg.elements.drop { !$0.classes.contains("iterations") }.dropFirst().prefix { $0.name == "circle" }
        #expect(dots.count == history.count)
        // The bound never falls: the drawn y (downwards) never increases.
        let ys = dots.compactMap { $0.number("cy") }
        #expect(zip(ys, ys.dropFirst()).allSatisfy { $1 <= $0 + 1e-9 })
        #expect(svg.texts("legend-entry") == ["best restart"])
        #expect(svg.texts("caption").first?.contains("best restart only") == true)
        expectMarksInside(svg)
    }

    @Test func selectDrawsOneLinePerCovarianceTypeAndRingsTheBest() throws {
        let scratch = Scratch()
        let figure = scratch.path("bic.svg")
        let run = try gmm(["select", Self.iris, "--components", "1...4", "--covariance-types", "full,diag,tied",
                           "--quiet", "--plot", figure])
        #expect(run.status == 0, "\(run.stderr)")
        let svg = try #require(ParsedSVG.parse(try Data(contentsOf: URL(fileURLWithPath: figure))))
        #expect(svg.all("criterion").count == 3)
        for type in ["full", "diag", "tied"] {
            let group = svg.elements.drop { !($0.classes.contains("candidates") && $0.classes.contains(type)) }.dropFirst()
            #expect(group.prefix { $0.name == "circle" && $0.attributes["class"] == nil }.count == 4)
        }
        #expect(svg.all("best").count == 1)
        let best = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("*") }
        let fields = try #require(best).split(separator: " ")
        #expect(svg.texts("best-label") == ["best: K = \(fields[1]), \(fields[2])"])
        #expect(svg.texts("legend-entry") == ["full", "diag", "tied", "best (lowest BIC)"])
        #expect(svg.texts("y-label") == ["BIC (lower is better)"])
        expectMarksInside(svg)
    }

    @Test func badInputsNameTheOptionOrFileWithTheirExitCode() throws {
        let scratch = Scratch()
        let model = try fitted(Self.iris, k: 2, scratch: scratch, name: "iris.json")
        let twoColumns = try irisColumns([2, 3], scratch: scratch, name: "p.csv")
        // CSV under an .svg name: an output that would replace its input.
        let svgNamedData = try scratch.write(try String(contentsOfFile: Self.iris, encoding: .utf8), "data.svg")
        let cases: [([String], Int32, String)] = [
            (["plot", model, Self.iris, "-o", scratch.path("fig.png")], 64, "give a file name ending in .svg"),
            (["plot", model, "-o", scratch.path("fig.svg")], 64, "give a DATA file"),
            (["plot", model, Self.iris, "--trace", "-o", scratch.path("fig.svg")], 64, "give no DATA"),
            (["plot", model, Self.iris, "--bins", "0", "-o", scratch.path("fig.svg")], 64, "--bins must be between 1 and"),
            (["plot", model, Self.iris, "--bins", "10", "-o", scratch.path("fig.svg")], 64, "--bins is for a histogram"),
            (["plot", model, Self.iris, "--features", "2,2", "-o", scratch.path("fig.svg")], 64, "names column 2 twice"),
            (["plot", model, Self.iris, "--features", "1,9", "-o", scratch.path("fig.svg")], 64, "column 9 is not between 1 and 4"),
            (["plot", model, Self.iris, "--features", "petal,1", "-o", scratch.path("fig.svg")], 64,
             "'petal' is not a column of iris.csv; its header names sepal_length"),
            (["plot", model, Self.iris, "--features", "1", "-o", scratch.path("fig.svg")], 64, "takes two columns"),
            (["plot", model, Self.iris, "--max-points", "0", "-o", scratch.path("fig.svg")], 64, "--max-points must be"),
            (["plot", model, twoColumns, "-o", scratch.path("fig.svg")], 65, "p.csv: has 2 columns but the model has 4 features"),
            (["plot", model, svgNamedData, "-o", svgNamedData], 64, "writing it would destroy the input"),
            (["plot", scratch.path("none.json"), Self.iris, "-o", scratch.path("fig.svg")], 74, "none.json"),
            (["plot", model, Self.iris, "-o", scratch.path("no/fig.svg")], 74, "mkdir -p"),
            (["select", Self.iris, "--components", "1...2", "--plot", scratch.path("bic.png")], 64, "--plot"),
        ]
        for (arguments, status, message) in cases {
            let run = try gmm(arguments)
            #expect(run.status == status, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("fig.svg")))
        }
        // A model file without a history cannot be traced (65), and NaN in the data is named (65).
        var file = try ModelFile.read(path: model)
        file.lowerBoundHistory = nil
        let bare = try scratch.write(file.json(), "bare.json")
        let trace = try gmm(["plot", bare, "--trace", "-o", scratch.path("fig.svg")])
        #expect(trace.status == 65 && trace.stderr.contains("bare.json: holds no lower_bound_history"), "\(trace.stderr)")
        let oneFeature = try fitted(try irisColumns([3], scratch: scratch, name: "pw.csv"), k: 2, scratch: scratch, name: "pw.json")
        let nan = try scratch.write("x\n1\n2\nnan\n3\n", "nan.csv")
        let nanRun = try gmm(["plot", oneFeature, nan, "-o", scratch.path("fig.svg")])
        #expect(nanRun.status == 65 && nanRun.stderr.contains("nan.csv"), "\(nanRun.stderr)")
        let wide = try scratch.write("x\n-1e308\n1\n2\n1e308\n", "wide.csv")
        let wideRun = try gmm(["plot", oneFeature, wide, "-o", scratch.path("fig.svg")])
        #expect(wideRun.status == 65 && wideRun.stderr.contains("wide.csv: its values run from -1e+308 to 1e+308"), "\(wideRun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("fig.svg")))
    }
}
