import Foundation

/// Rows too far from every component for any of their log-densities to be a double.
///
/// `log w_k + log N(x | μ_k, Σ_k) = a_k - ½ ‖L_k⁻¹ (x - μ_k)‖²` overflows to `-∞` once the
/// Mahalanobis distance passes about 1e154, for every component at once when the row is far
/// from all of them; the log-sum-exp then has no finite maximum to shift by and would give NaN.
/// Such a row's `log p(x)` is `-∞` (it is below `-1.7e308`), and its responsibilities are decided
/// by the distances alone, which are computed here with scaling so that they stay finite: the
/// nearest component takes the row (an exact tie shares it). This is scikit-learn's answer
/// wherever scikit-learn's own arithmetic does not overflow.
enum FarRows {
    /// The indices (within the chunk) of the rows of `r` (n x K log joint densities) with no
    /// entry above `-∞` or with a NaN; those rows are set to zero so that the log-sum-exp over
    /// the chunk stays finite, and the caller then overwrites them with ``nearest(_:model:into:)``.
    static func detach(_ r: UnsafeMutablePointer<Double>, rows n: Int, components k: Int) -> [Int] {
        var far: [Int] = []
        for i in 0..<n {
            var best = -Double.infinity, nan = false
            for c in 0..<k {
                let v = r[i * k + c]
                if v.isNaN { nan = true } else if v > best { best = v }
            }
            guard nan || best == -.infinity else { continue }
            far.append(i)
            for c in 0..<k { r[i * k + c] = 0 }
        }
        return far
    }

    /// Writes the responsibilities of the far row `x` into `r[0..<K]`: one for the component of
    /// smallest Mahalanobis distance among those of positive weight, shared equally on an exact tie.
    static func nearest(_ x: [Double], model: GaussianMixture, into r: UnsafeMutablePointer<Double>) {
        let k = model.componentCount
        let distances = (0..<k).map { c in
            model.weights[c] > 0 ? logMahalanobisDistance(x, component: c, of: model) : .infinity
        }
        let smallest = distances.min() ?? .infinity
        let winners = (0..<k).filter { distances[$0] == smallest || (smallest == .infinity && model.weights[$0] > 0) }
        let chosen = winners.isEmpty ? Array(0..<k) : winners
        for c in 0..<k { r[c] = 0 }
        for c in chosen { r[c] = 1 / Double(chosen.count) }
    }

    /// `log ‖L_c⁻¹ (x - μ_c)‖`, with `x - μ_c` and the solve taken on values scaled by a power of
    /// two (exact) so that neither overflows.
    static func logMahalanobisDistance(_ x: [Double], component c: Int, of model: GaussianMixture) -> Double {
        let d = model.featureCount
        var largest = 0.0
        for j in 0..<d { largest = max(largest, abs(x[j]), abs(model.means[c, j])) }
        guard largest > 0 else { return -.infinity }
        // A power of two near the largest magnitude: dividing by it is exact.
        let scale = Double(sign: .plus, exponent: largest.exponent, significand: 1)
        let l = model.choleskyFactors[c]
        var z = [Double](repeating: 0, count: d)
        var zMax = 0.0
        for i in 0..<d {
            var s = x[i] / scale - model.means[c, i] / scale
            for m in 0..<i { s -= l[i, m] * z[m] }
            z[i] = s / l[i, i]
            zMax = max(zMax, abs(z[i]))
        }
        guard zMax > 0 else { return -.infinity }
        guard zMax.isFinite else { return .infinity }
        var squares = 0.0
        for v in z { squares += (v / zMax) * (v / zMax) }
        return Foundation.log(scale) + Foundation.log(zMax) + 0.5 * Foundation.log(squares)
    }
}
