import Foundation

/// A small SVG writer: elements as text, numbers with a fixed number of decimals (so the same
/// figure always gives the same bytes), and text escaped for XML.
public struct SVGWriter {
    private(set) var lines: [String] = []
    public let width: Double
    public let height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// A coordinate with `decimals` decimals (no "-0.00").
    public static func number(_ value: Double, decimals: Int = 2) -> String {
        let text = String(format: "%.\(decimals)f", value)
        if text.hasPrefix("-"), let v = Double(text), v == 0 { return String(text.dropFirst()) }
        return text
    }

    /// `text` safe inside an XML element or attribute: markup characters escaped and the control
    /// characters XML 1.0 forbids dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            default:
                let v = scalar.value
                if v < 0x20 || (0xFFFE...0xFFFF).contains(v) || (0xD800...0xDFFF).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// At most `limit` characters of `text`, ending in an ellipsis when cut.
    public static func truncated(_ text: String, limit: Int) -> String {
        guard text.count > limit, limit >= 2 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    public mutating func raw(_ line: String) { lines.append(line) }

    public mutating func open(_ name: String, _ pairs: [(String, String)] = []) {
        lines.append("<\(name)\(Self.attributes(pairs))>")
    }

    public mutating func close(_ name: String) { lines.append("</\(name)>") }

    public mutating func element(_ name: String, _ pairs: [(String, String)]) {
        lines.append("<\(name)\(Self.attributes(pairs))/>")
    }

    public mutating func text(_ content: String, x: Double, y: Double, size: Double, anchor: String = "start",
                              weight: String? = nil, fill: String? = nil, rotate: Bool = false, className: String? = nil) {
        var pairs: [(String, String)] = [("x", Self.number(x, decimals: 1)), ("y", Self.number(y, decimals: 1)),
                                         ("font-size", Self.number(size, decimals: 0)), ("text-anchor", anchor)]
        if let weight { pairs.append(("font-weight", weight)) }
        if let fill { pairs.append(("fill", fill)) }
        if rotate { pairs.append(("transform", "rotate(-90 \(Self.number(x, decimals: 1)) \(Self.number(y, decimals: 1)))")) }
        if let className { pairs.append(("class", className)) }
        lines.append("<text\(Self.attributes(pairs))>\(Self.escape(content))</text>")
    }

    /// The document: an XML declaration, the `svg` root with its view box, then the elements.
    public var document: String {
        let w = Self.number(width, decimals: 0), h = Self.number(height, decimals: 0)
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
            + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + lines.joined(separator: "\n") + "\n</svg>\n"
    }
}
