import Foundation

/// A point in data coordinates.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// One thing drawn in the plot area, in data coordinates. `role` becomes the element's `class`
/// attribute (e.g. `curve component-0`), so a reader or a test can find each mark.
public enum Layer: Sendable {
    /// Histogram bars: `edges` has one more entry than `heights`.
    case bars(edges: [Double], heights: [Double], role: String)
    /// A polyline (closed when `closed`), with a dash pattern when `dashed`, over a white halo
    /// when `halo` (so that it shows over dots of its own colour).
    case line([Point], color: String, width: Double, dashed: Bool, closed: Bool, role: String, halo: Bool = false)
    /// Filled dots of one colour.
    case dots([Point], color: String, radius: Double, role: String)
    /// Markers: a white-haloed cross (`ring == false`) or an open circle.
    case markers([Point], color: String, ring: Bool, role: String)
    /// A short label next to a data point.
    case label(String, at: Point, color: String, role: String)
}

/// One legend row: a sample of the mark and its text.
public struct LegendEntry: Sendable {
    public enum Mark: Sendable { case line, dashedLine, dot, bar, cross, ring }
    public var text: String
    public var color: String
    public var mark: Mark
    public init(_ text: String, color: String, mark: Mark) {
        self.text = text
        self.color = color
        self.mark = mark
    }
}

/// A figure: title, axes with labels, layers, a legend and a caption. ``svg()`` lays it out on a
/// fixed canvas; the axes run from tick to tick around everything drawn, so every mark lies
/// inside the plot area.
public struct Figure: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// One or two lines (split at "\n"), under the x axis.
    public var caption: String?
    public var layers: [Layer] = []
    public var legend: [LegendEntry] = []
    /// Values the axes must include besides the layers' (e.g. 0 on a density axis).
    public var yIncludes: [Double] = []
    /// Integer ticks only on the x axis (iterations, component counts).
    public var integerX = false

    public static let width = 800.0
    public static let height = 510.0

    public init(title: String, xLabel: String, yLabel: String, caption: String? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.caption = caption
    }

    /// The plot area on the canvas: left, top, right, bottom.
    public static let area = (left: 78.0, top: 48.0, right: 548.0, bottom: 418.0)
    /// Characters of 13-pixel text that fit in the legend column (at most about 8 pixels each).
    public static let legendCharacters = 24
    public static let maxLegendRows = 16

    /// The smallest and largest x and y of every layer.
    func extent() -> (x: (Double, Double), y: (Double, Double)) {
        var xs: [Double] = [], ys: [Double] = yIncludes
        for layer in layers {
            switch layer {
            case .bars(let edges, let heights, _):
                xs += [edges.first, edges.last].compactMap { $0 }
                ys += [0] + [heights.max() ?? 0]
            case .line(let p, _, _, _, _, _, _), .dots(let p, _, _, _), .markers(let p, _, _, _):
                xs += [p.map(\.x).min(), p.map(\.x).max()].compactMap { $0 }
                ys += [p.map(\.y).min(), p.map(\.y).max()].compactMap { $0 }
            case .label(_, let at, _, _):
                xs.append(at.x)
                ys.append(at.y)
            }
        }
        xs = xs.filter(\.isFinite)
        ys = ys.filter(\.isFinite)
        // A margin of 2 % keeps marks off the axis lines, except at 0 on a density (or count) axis.
        func padded(_ values: [Double], keepZero: Bool) -> (Double, Double) {
            let low = values.min() ?? 0, high = values.max() ?? 1, pad = 0.02 * (high - low)
            return (keepZero && low == 0 ? 0 : low - pad, high + pad)
        }
        return (padded(xs, keepZero: false), padded(ys, keepZero: true))
    }

    /// The figure as an SVG document.
    public func svg() -> String {
        let (xExtent, yExtent) = extent()
        var xTicks = Ticks(covering: xExtent.0, xExtent.1, target: 7)
        if integerX && xTicks.step < 1 { xTicks = Ticks(covering: xExtent.0, max(xExtent.1, xExtent.0 + 6), target: 6) }
        let yTicks = Ticks(covering: yExtent.0, yExtent.1, target: 6)
        let a = Self.area
        // In halves, so that axes spanning nearly all doubles do not overflow.
        func px(_ x: Double) -> Double { a.left + (x / 2 - xTicks.low / 2) / (xTicks.high / 2 - xTicks.low / 2) * (a.right - a.left) }
        func py(_ y: Double) -> Double { a.bottom - (y / 2 - yTicks.low / 2) / (yTicks.high / 2 - yTicks.low / 2) * (a.bottom - a.top) }
        func n(_ v: Double) -> String { SVGWriter.number(v, decimals: 2) }

        var svg = SVGWriter(width: Self.width, height: Self.height)
        svg.element("rect", [("x", "0"), ("y", "0"), ("width", n(Self.width)), ("height", n(Self.height)),
                             ("fill", "#FFFFFF"), ("class", "background")])
        svg.text(SVGWriter.truncated(title, limit: 76), x: Self.width / 2, y: 26, size: 16, anchor: "middle",
                 weight: "bold", className: "title")

        // Grid and ticks.
        svg.open("g", [("class", "grid"), ("stroke", Palette.faint), ("stroke-width", "1")])
        for t in xTicks.values { svg.element("line", [("x1", n(px(t))), ("y1", n(a.top)), ("x2", n(px(t))), ("y2", n(a.bottom))]) }
        for t in yTicks.values { svg.element("line", [("x1", n(a.left)), ("y1", n(py(t))), ("x2", n(a.right)), ("y2", n(py(t)))]) }
        svg.close("g")

        // Layers, in order.
        svg.open("g", [("class", "data")])
        for layer in layers {
            switch layer {
            case .bars(let edges, let heights, let role):
                svg.open("g", [("class", role), ("fill", Palette.bar), ("stroke", "#FFFFFF"), ("stroke-width", "0.5")])
                for (i, h) in heights.enumerated() where h > 0 && i + 1 < edges.count {
                    let x0 = px(edges[i]), x1 = px(edges[i + 1]), y = py(h)
                    svg.element("rect", [("class", "bar"), ("x", n(x0)), ("y", n(y)), ("width", n(max(x1 - x0, 0))),
                                         ("height", n(max(py(0) - y, 0)))])
                }
                svg.close("g")
            case .line(let points, let color, let width, let dashed, let closed, let role, let halo):
                guard let first = points.first else { continue }
                var d = "M" + n(px(first.x)) + " " + n(py(first.y))
                for p in points.dropFirst() { d += " L" + n(px(p.x)) + " " + n(py(p.y)) }
                if closed { d += " Z" }
                if halo {
                    svg.element("path", [("class", "halo"), ("d", d), ("fill", "none"), ("stroke", "#FFFFFF"),
                                         ("stroke-width", n(width + 3)), ("stroke-opacity", "0.85"), ("stroke-linejoin", "round")])
                }
                var pairs: [(String, String)] = [("class", role), ("d", d), ("fill", "none"), ("stroke", color),
                                                 ("stroke-width", n(width)), ("stroke-linejoin", "round")]
                if dashed { pairs.append(("stroke-dasharray", "6 4")) }
                svg.element("path", pairs)
            case .dots(let points, let color, let radius, let role):
                svg.open("g", [("class", role), ("fill", color), ("fill-opacity", "0.55")])
                for p in points {
                    svg.element("circle", [("cx", SVGWriter.number(px(p.x), decimals: 1)),
                                           ("cy", SVGWriter.number(py(p.y), decimals: 1)), ("r", n(radius))])
                }
                svg.close("g")
            case .markers(let points, let color, let ring, let role):
                for p in points {
                    let x = px(p.x), y = py(p.y)
                    if ring {
                        svg.element("circle", [("class", role), ("cx", n(x)), ("cy", n(y)), ("r", "8"), ("fill", "none"),
                                               ("stroke", color), ("stroke-width", "2.5")])
                    } else {
                        let d = "M\(n(x - 6)) \(n(y - 6)) L\(n(x + 6)) \(n(y + 6)) M\(n(x - 6)) \(n(y + 6)) L\(n(x + 6)) \(n(y - 6))"
                        svg.open("g", [("class", role)])
                        svg.element("path", [("d", d), ("stroke", "#FFFFFF"), ("stroke-width", "5"), ("stroke-linecap", "round")])
                        svg.element("path", [("d", d), ("stroke", color), ("stroke-width", "2.5"), ("stroke-linecap", "round")])
                        svg.close("g")
                    }
                }
            case .label(let text, let at, let color, let role):
                let x = px(at.x), y = py(at.y)
                // Keep the label inside the plot area: to the left of the point when it is near the right edge.
                let left = x > (a.left + a.right) / 2
                svg.text(SVGWriter.truncated(text, limit: 28), x: left ? x - 12 : x + 12, y: max(y - 10, a.top + 14),
                         size: 13, anchor: left ? "end" : "start", fill: color, className: role)
            }
        }
        svg.close("g")

        // Axes, tick labels and axis labels.
        svg.open("g", [("class", "axes"), ("stroke", Palette.ink), ("stroke-width", "1")])
        svg.element("line", [("x1", n(a.left)), ("y1", n(a.bottom)), ("x2", n(a.right)), ("y2", n(a.bottom))])
        svg.element("line", [("x1", n(a.left)), ("y1", n(a.top)), ("x2", n(a.left)), ("y2", n(a.bottom))])
        for t in xTicks.values { svg.element("line", [("x1", n(px(t))), ("y1", n(a.bottom)), ("x2", n(px(t))), ("y2", n(a.bottom + 5))]) }
        for t in yTicks.values { svg.element("line", [("x1", n(a.left - 5)), ("y1", n(py(t))), ("x2", n(a.left)), ("y2", n(py(t)))]) }
        svg.close("g")
        svg.open("g", [("class", "tick-labels"), ("fill", Palette.ink)])
        for t in xTicks.values { svg.text(xTicks.label(t), x: px(t), y: a.bottom + 20, size: 12, anchor: "middle") }
        for t in yTicks.values {
            svg.text(SVGWriter.truncated(yTicks.label(t), limit: 9), x: a.left - 8, y: py(t) + 4, size: 12, anchor: "end")
        }
        svg.close("g")
        svg.text(SVGWriter.truncated(xLabel, limit: 70), x: (a.left + a.right) / 2, y: a.bottom + 44, size: 14,
                 anchor: "middle", className: "x-label")
        svg.text(SVGWriter.truncated(yLabel, limit: 50), x: 18, y: (a.top + a.bottom) / 2, size: 14, anchor: "middle",
                 rotate: true, className: "y-label")

        // Legend, in the column right of the plot area.
        if !legend.isEmpty {
            let x = a.right + 22
            svg.open("g", [("class", "legend")])
            let shown = legend.prefix(Self.maxLegendRows)
            for (i, entry) in shown.enumerated() {
                let y = a.top + 8 + Double(i) * 22
                switch entry.mark {
                case .line, .dashedLine:
                    var pairs: [(String, String)] = [("x1", n(x)), ("y1", n(y)), ("x2", n(x + 24)), ("y2", n(y)),
                                                     ("stroke", entry.color), ("stroke-width", "2.5")]
                    if entry.mark == .dashedLine { pairs.append(("stroke-dasharray", "6 4")) }
                    svg.element("line", pairs)
                case .dot: svg.element("circle", [("cx", n(x + 12)), ("cy", n(y)), ("r", "4"), ("fill", entry.color)])
                case .bar: svg.element("rect", [("x", n(x + 2)), ("y", n(y - 6)), ("width", "20"), ("height", "12"), ("fill", entry.color)])
                case .cross:
                    svg.element("path", [("d", "M\(n(x + 7)) \(n(y - 5)) L\(n(x + 17)) \(n(y + 5)) M\(n(x + 7)) \(n(y + 5)) L\(n(x + 17)) \(n(y - 5))"),
                                         ("stroke", entry.color), ("stroke-width", "2.5")])
                case .ring:
                    svg.element("circle", [("cx", n(x + 12)), ("cy", n(y)), ("r", "6"), ("fill", "none"), ("stroke", entry.color),
                                           ("stroke-width", "2.5")])
                }
                svg.text(SVGWriter.truncated(entry.text, limit: Self.legendCharacters), x: x + 32, y: y + 4.5, size: 13,
                         className: "legend-entry")
            }
            if legend.count > shown.count {
                svg.text("and \(legend.count - shown.count) more", x: x + 32, y: a.top + 8 + Double(shown.count) * 22 + 4.5,
                         size: 13, className: "legend-more")
            }
            svg.close("g")
        }

        if let caption {
            let lines = caption.split(separator: "\n").prefix(2)
            for (i, line) in lines.enumerated() {
                svg.text(SVGWriter.truncated(String(line), limit: 110), x: Self.width / 2,
                         y: Self.height - 10 - 15 * Double(lines.count - 1 - i), size: 12, anchor: "middle", className: "caption")
            }
        }
        return svg.document
    }
}
