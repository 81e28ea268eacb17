import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import GaussianMixturesPlot

/// Collects what a parsed SVG holds: every element with its attributes, and the text of every `<text>`.
final class SVGContents: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }
    }
    var elements: [Element] = []
    var texts: [String] = []
    private var currentText: String?

    /// Parses `svg`; `nil` when it is not well-formed XML.
    static func parse(_ svg: String) -> SVGContents? {
        let contents = SVGContents()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = contents
        return parser.parse() ? contents : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes))
        if name == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { currentText? += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let text = currentText { texts.append(text) }
        if name == "text" { currentText = nil }
    }

    func count(class name: String) -> Int { elements.filter { $0.classes.contains(name) }.count }
}

@Suite struct TicksTests {
    @Test func ticksAreRoundAndCoverTheRange() {
        for (lo, hi) in [(0.1, 2.5), (-3.7, 12.2), (1003.0, 1877.0), (-1.2015, -1.1998), (0.0, 0.0), (5.0, 5.0), (1e-7, 3e-7)] {
            let ticks = Ticks(covering: lo, hi)
            #expect(ticks.low <= lo && ticks.high >= hi, "\(lo)...\(hi): \(ticks.values)")
            #expect(ticks.values.count >= 2 && ticks.values.count <= 14, "\(lo)...\(hi): \(ticks.values)")
            let mantissa = ticks.step / pow(10, floor(log10(ticks.step)))
            #expect([1.0, 2.0, 5.0].contains { abs(mantissa - $0) < 1e-9 }, "step \(ticks.step)")
            for t in ticks.values { #expect(abs(t / ticks.step - (t / ticks.step).rounded()) < 1e-6) }
            // Labels are distinct: enough decimals for the step.
            #expect(Set(ticks.values.map(ticks.label)).count == ticks.values.count, "\(ticks.values.map(ticks.label))")
        }
        #expect(Ticks(covering: 0, 2.4).values == [0, 0.5, 1, 1.5, 2, 2.5])
        // A span beyond a double's range still gives a few finite ticks.
        let huge = Ticks(covering: -1.7e308, 1.7e308)
        #expect(huge.values.count <= 14 && huge.values.allSatisfy(\.isFinite) && huge.low <= -1.7e308 && huge.high >= 1.7e308)
        #expect(Ticks(covering: -0.3, 0.3).label(0) == "0.0")
        // Beyond 1e9 and below 1e-6, scientific labels with the digits the step needs (a 1e308
        // covariance's axis had 155-digit labels).
        let wide = Ticks(covering: -3e153, 3e153)
        #expect(wide.values.allSatisfy { wide.label($0).count <= 8 }, "\(wide.values.map(wide.label))")
        #expect(wide.label(-2e153) == "-2e+153" && wide.label(0) == "0e+00" && wide.label(-0.0) == "0e+00")
        let tiny = Ticks(covering: 1e-8, 4e-8)
        #expect(tiny.values.map(tiny.label) == ["1e-08", "2e-08", "3e-08", "4e-08"], "\(tiny.values.map(tiny.label))")
        let fine = Ticks(covering: 1.21e-8, 1.29e-8)
        #expect(Set(fine.values.map(fine.label)).count == fine.values.count && fine.label(1.25e-8) == "1.25e-08",
                "\(fine.values.map(fine.label))")
        let large = Ticks(covering: 1.2e9, 1.8e9)
        #expect(large.label(1.5e9) == "1.5e+09", "\(large.label(1.5e9))")
        #expect(Ticks(covering: 0, 1000).label(500) == "500")
        let mixed = Ticks(covering: 0, 1.9e9)  // one notation for the whole axis
        #expect(mixed.values.map(mixed.label).allSatisfy { $0.contains("e+") }, "\(mixed.values.map(mixed.label))")
    }
}

@Suite struct FigureTests {
    func sample() -> Figure {
        var figure = Figure(title: "A & B <test>", xLabel: "x \"quoted\"", yLabel: "density", caption: "caption")
        figure.layers = [
            .bars(edges: [0, 1, 2, 3], heights: [0.2, 0.5, 0.3], role: "histogram"),
            .line([Point(0, 0.1), Point(1.5, 0.6), Point(3, 0.1)], color: Palette.color(0), width: 2, dashed: false,
                  closed: false, role: "curve mixture"),
            .dots([Point(-2, 0.3), Point(7, 0.05)], color: Palette.color(1), radius: 2, role: "points component-1"),
            .markers([Point(1.5, 0.45)], color: Palette.color(2), ring: false, role: "mean component-2"),
            .markers([Point(2.5, 0.2)], color: Palette.color(3), ring: true, role: "best"),
            .label("best", at: Point(2.5, 0.2), color: Palette.ink, role: "best-label"),
        ]
        figure.legend = [LegendEntry("mixture", color: Palette.color(0), mark: .line),
                         LegendEntry("a very long legend entry that cannot fit", color: Palette.color(1), mark: .dot)]
        return figure
    }

    @Test func svgIsWellFormedAndEscapesText() throws {
        let contents = try #require(SVGContents.parse(sample().svg()))
        #expect(contents.texts.contains("A & B <test>"))
        #expect(contents.texts.contains("x \"quoted\""))
        #expect(contents.elements.first?.name == "svg")
        #expect(contents.elements.first?.attributes["viewBox"] == "0 0 \(Int(Figure.width)) \(Int(Figure.height))")
    }

    @Test func controlCharactersAreDroppedSoTheXMLStaysValid() throws {
        var figure = sample()
        figure.xLabel = "col\u{0}umn\u{1B}[1m"
        let contents = try #require(SVGContents.parse(figure.svg()))
        #expect(contents.texts.contains("column[1m"))
    }

    @Test func everyMarkLiesInsideThePlotArea() throws {
        let contents = try #require(SVGContents.parse(sample().svg()))
        let a = Figure.area
        var checked = 0
        for e in contents.elements {
            if let cx = e.attributes["cx"].flatMap(Double.init), let cy = e.attributes["cy"].flatMap(Double.init) {
                // Data dots and markers sit in the plot area; legend samples in the legend column.
                #expect(cx >= 0 && cx <= Figure.width && cy >= 0 && cy <= Figure.height)
                checked += 1
            }
            if let d = e.attributes["d"] {
                let numbers = d.split(whereSeparator: { "MLZ ".contains($0) }).compactMap { Double($0) }
                for i in stride(from: 0, to: numbers.count - 1, by: 2) {
                    #expect(numbers[i] >= a.left - 7 && numbers[i] <= Figure.width, "x \(numbers[i]) in \(d)")
                    #expect(numbers[i + 1] >= a.top - 7 && numbers[i + 1] <= a.bottom + 7, "y \(numbers[i + 1]) in \(d)")
                }
            }
        }
        #expect(checked >= 4)
        // The two dots far outside the bars widened the axes: they are inside the area.
        let dots = contents.elements.filter { $0.name == "circle" && $0.attributes["r"] == "2.00" }
        #expect(dots.count == 2)
        for dot in dots {
            let cx = try #require(dot.attributes["cx"].flatMap(Double.init)), cy = try #require(dot.attributes["cy"].flatMap(Double.init))
            #expect(cx >= a.left && cx <= a.right && cy >= a.top && cy <= a.bottom)
        }
        for bar in contents.elements where bar.classes.contains("bar") {
            let x = try #require(bar.attributes["x"].flatMap(Double.init)), w = try #require(bar.attributes["width"].flatMap(Double.init))
            let y = try #require(bar.attributes["y"].flatMap(Double.init)), h = try #require(bar.attributes["height"].flatMap(Double.init))
            #expect(x >= a.left && x + w <= a.right + 1e-9 && y >= a.top && y + h <= a.bottom + 1e-9)
        }
    }

    @Test func legendHasOneEntryPerSeriesAndLongTextIsCut() throws {
        let contents = try #require(SVGContents.parse(sample().svg()))
        let entries = contents.elements.filter { $0.classes.contains("legend-entry") }
        #expect(entries.count == 2)
        #expect(contents.texts.contains("mixture"))
        let long = try #require(contents.texts.first { $0.hasPrefix("a very long") })
        #expect(long.count == Figure.legendCharacters && long.hasSuffix("…"))
    }

    @Test func moreThanSixteenLegendRowsAreSummarised() throws {
        var figure = sample()
        figure.legend = (0..<20).map { LegendEntry("component \($0 + 1)", color: Palette.color($0), mark: .dot) }
        let contents = try #require(SVGContents.parse(figure.svg()))
        #expect(contents.count(class: "legend-entry") == Figure.maxLegendRows)
        #expect(contents.texts.contains("and 4 more"))
    }

    @Test func theSameFigureGivesTheSameBytes() {
        #expect(sample().svg() == sample().svg())
    }

    @Test func paletteIsOkabeItoWithEightDistinctColours() {
        #expect(Set(Palette.okabeIto).count == 8)
        #expect(Palette.color(8) == Palette.color(0) && Palette.color(-1) == Palette.color(7))
    }
}
