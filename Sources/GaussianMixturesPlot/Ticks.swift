import Foundation

/// Axis ticks at round numbers: multiples of 1, 2 or 5 times a power of ten.
public struct Ticks: Equatable, Sendable {
    /// Tick positions, increasing; the first is at or below the data's low end and the last at or
    /// above its high end, so an axis from the first to the last tick holds every value.
    public let values: [Double]
    /// The distance between two ticks.
    public let step: Double

    /// About `target` ticks covering `low...high` (an empty or zero-width range is widened first).
    public init(covering low: Double, _ high: Double, target: Int = 6) {
        var lo = low.isFinite ? low : 0, hi = high.isFinite ? high : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo <= max(abs(lo), abs(hi)) * 1e-12 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        // Halves first: the span of two finite values can overflow a double, half of it cannot.
        let raw = (hi / 2 - lo / 2) / Double(max(target, 1)) * 2
        let power = pow(10, floor(log10(raw)))
        let fraction = raw / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        let step = nice * power
        let first = floor(lo / step + 1e-9), last = ceil(hi / step - 1e-9)
        self.step = step
        // A covering tick beyond a double's range is held at the largest finite value.
        values = stride(from: first, through: last, by: 1).map {
            min(max($0 * step, -Double.greatestFiniteMagnitude), Double.greatestFiniteMagnitude)
        }
    }

    /// The first tick: the axis starts here.
    public var low: Double { values.first ?? 0 }
    /// The last tick: the axis ends here.
    public var high: Double { values.last ?? 1 }

    /// A tick's label with just enough decimals for the step (no "-0"); in scientific notation
    /// (`-3e+153`, `2.5e-08`) on an axis reaching 1e9 or with a step below 1e-6, with the digits
    /// the step needs (a 1e308 covariance's axis had 155-digit labels).
    public func label(_ value: Double) -> String {
        let stepPower = Int(floor(log10(step) + 1e-9))
        // The whole axis in one notation: decided by its ends, not by each value.
        if stepPower >= 9 || stepPower < -6 || max(abs(low), abs(high)) >= 1e9 {
            let value = value == 0 ? 0 : value  // no "-0e+00"
            let magnitude = value == 0 ? stepPower : Int(floor(log10(abs(value)) + 1e-9))
            return String(format: "%.\(max(0, magnitude - stepPower))e", value)
        }
        let decimals = max(0, -stepPower)
        let text = String(format: "%.\(decimals)f", value)
        if let number = Double(text), number == 0 { return String(format: "%.\(decimals)f", 0.0) }
        return text
    }
}
