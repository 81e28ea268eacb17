import Foundation

/// Rows far from every component, whose log-densities the E-step's roads cannot resolve.
///
/// A road computes `log w_k + log N(x | μ_k, Σ_k) = a_k - ½ ‖L_k⁻¹ (x - μ_k)‖²` with an absolute
/// rounding error of about `ε ‖L_k⁻¹ (x - μ_k)‖²`. Far from every component (Mahalanobis
/// distances past about 140, log-densities below `-10⁴`) that error reaches the differences
/// between components that decide the responsibilities: for components that share a
/// covariance (every tied model) those differences are linear in `x` while each term is
/// quadratic, and they drown. Past about 1e154 the squares overflow and every log-density is
/// `-∞`, so the log-sum-exp has nothing to shift by.
///
/// Such a row is computed again here, per group of components with one Cholesky factor `L`
/// (a group of one for a component with a covariance of its own): with `c` the mean of the
/// group's means, `z = L⁻¹ (x - c)` and `v_k = L⁻¹ (μ_k - c)`,
///
///     log w_k + log N(x | μ_k, Σ) = (a_k - ½ ‖v_k‖² + v_k · z) - ½ ‖z‖²
///
/// where the bracket holds what tells the group's components apart without cancellation, and
/// `-½ ‖z‖²`, shared by the group, may be `-∞`. `x - c` and the solve are taken on values
/// scaled by a power of two (exact), so nothing overflows before the last step. When every
/// group's `-½ ‖z‖²` is `-∞`, the row's `log p(x)` is `-∞` and it belongs to the group at the
/// smallest Mahalanobis distance, shared among that group's components by their brackets.
enum FarRows {
    /// Rows whose largest log joint density is below this are computed again here.
    static let threshold = -1e4

    /// The indices (within the chunk) of the rows of `r` (n x K log joint densities) whose
    /// largest entry is below ``threshold`` or NaN; those rows are set to zero so that the
    /// log-sum-exp over the chunk stays finite, and the caller then overwrites them with
    /// ``posterior(_:_:into:)``.
    static func detach(_ r: UnsafeMutablePointer<Double>, rows n: Int, components k: Int) -> [Int] {
        var far: [Int] = []
        for i in 0..<n {
            var best = -Double.infinity, nan = false
            for c in 0..<k {
                let v = r[i * k + c]
                if v.isNaN { nan = true } else if v > best { best = v }
            }
            guard nan || !(best >= threshold) else { continue }
            far.append(i)
            for c in 0..<k { r[i * k + c] = 0 }
        }
        return far
    }

    /// What ``posterior(_:_:into:)`` needs of a model, whatever the row: the groups of components
    /// sharing a Cholesky factor, each with its centre `c` and, per component of positive weight,
    /// `a_k - ½ ‖v_k‖²` and `v_k = L⁻¹ (μ_k - c)`. Made once per chunk that has far rows.
    struct Geometry {
        struct Group {
            let center: [Double]
            let factor: Factor
            /// The components of positive weight.
            let members: [Int]
            /// Per member, `v_k` and `a_k - ½ ‖v_k‖²`.
            let offsets: [[Double]]
            let constants: [Double]
        }
        let components: Int
        let groups: [Group]

        init(_ model: GaussianMixture) {
            components = model.componentCount
            let structure = model.covarianceType.structure, d = model.featureCount
            let factors: [Factor] = (0..<model.componentCount).map { c in
                structure.hasDiagonalPrecisions
                    ? .diagonal(structure.diagonal(fromCompact: model.compactCholeskyFactors.values, component: c, features: d))
                    : .full(model.choleskyFactor(c))
            }
            groups = FarRows.groups(of: factors).map { members in
                let c = FarRows.center(of: members, in: model)
                let live = members.filter { model.weights[$0] > 0 }
                var offsets: [[Double]] = [], constants: [Double] = []
                for m in live {
                    let (scaled, vScale, _) = FarRows.whitened(model.means.row(m), about: c, factor: factors[m])
                    let v = scaled.map { $0 * vScale }
                    var vv = 0.0
                    for value in v { vv += value * value }
                    offsets.append(v)
                    constants.append(model.logNormalizers[m] - 0.5 * vv)
                }
                return Group(center: c, factor: factors[members[0]], members: live,
                             offsets: offsets, constants: constants)
            }
        }
    }

    /// Writes the responsibilities of the far row `x` into `r[0..<K]` (finite, summing to one)
    /// and returns its `log p(x)` (`-∞` when it is below the smallest double). Within a group the
    /// shares come from the brackets alone; between groups from `-½ ‖z‖²` plus the group's
    /// log-sum-exp of brackets, or, when those are all `-∞`, from the Mahalanobis distances.
    static func posterior(_ x: [Double], _ geometry: Geometry, into r: UnsafeMutablePointer<Double>) -> Double {
        let k = geometry.components
        var bracket = [Double](repeating: -.infinity, count: k)
        var groupsOfRow: [(members: [Int], logSum: Double, total: Double, logDistance: Double)] = []
        for group in geometry.groups {
            let (z, scale, zMax) = whitened(x, about: group.center, factor: group.factor)
            var squares = 0.0
            if zMax > 0 { for v in z { squares += (v / zMax) * (v / zMax) } }
            // -½ ‖z‖² with ‖z‖ = scale · zMax · √squares; -∞ when it overflows.
            let norm = scale * zMax
            let common = -0.5 * norm * norm * squares
            let logDistance = zMax > 0 ? Foundation.log(scale) + Foundation.log(zMax) + 0.5 * Foundation.log(squares) : -.infinity
            for (i, m) in group.members.enumerated() {
                var dot = 0.0
                for j in z.indices { dot += group.offsets[i][j] * z[j] }
                // z was divided by `scale`: v·z is `dot` times scale.
                bracket[m] = group.constants[i] + dot * scale
            }
            let logSum = logSumExp(group.members.map { bracket[$0] })
            groupsOfRow.append((group.members, logSum, common + logSum, logDistance))
        }
        // Each group's share of the row.
        var shares = [Double](repeating: 0, count: groupsOfRow.count)
        var logLikelihood = -Double.infinity
        let top = groupsOfRow.map(\.total).max() ?? -.infinity
        if top > -.infinity {
            logLikelihood = logSumExp(groupsOfRow.map(\.total))
            for (g, group) in groupsOfRow.enumerated() { shares[g] = Foundation.exp(group.total - logLikelihood) }
        } else {
            // Every log-density is below the smallest double: the nearest group takes the row.
            let candidates = groupsOfRow.indices.filter { !groupsOfRow[$0].members.isEmpty }
            let nearest = candidates.map { groupsOfRow[$0].logDistance }.min() ?? 0
            let tied = candidates.filter { groupsOfRow[$0].logDistance == nearest }
            for g in tied { shares[g] = 1 / Double(tied.count) }
        }
        for c in 0..<k { r[c] = 0 }
        for (g, group) in groupsOfRow.enumerated() where shares[g] > 0 {
            for m in group.members {
                r[m] = shares[g] * (group.logSum.isFinite ? Foundation.exp(bracket[m] - group.logSum) : 1 / Double(group.members.count))
            }
        }
        return logLikelihood
    }

    /// `log Σ exp(v)`, shifted by the largest (`-∞` for none).
    static func logSumExp(_ values: [Double]) -> Double {
        guard let top = values.max(), top > -.infinity else { return -.infinity }
        guard top.isFinite else { return top }
        return top + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - top) })
    }

    /// The components grouped by identical Cholesky factors (each group in increasing order).
    static func groups(of factors: [Factor]) -> [[Int]] {
        var groups: [[Int]] = []
        for c in factors.indices {
            if let g = groups.firstIndex(where: { factors[$0[0]] == factors[c] }) {
                groups[g].append(c)
            } else {
                groups.append([c])
            }
        }
        return groups
    }

    /// The mean of the means of `members`.
    static func center(of members: [Int], in model: GaussianMixture) -> [Double] {
        let d = model.featureCount
        return (0..<d).map { j in members.reduce(0) { $0 + model.means[$1, j] } / Double(members.count) }
    }

    /// A component's Cholesky factor `L`: full, or the diagonal of a diagonal type's (whose
    /// other entries are zero), so that no full matrix is made for it.
    enum Factor: Equatable {
        case full(Matrix)
        case diagonal([Double])
    }

    /// `L⁻¹ (x - c) / scale` by forward substitution (a division per entry for a diagonal `L`),
    /// with `scale` a power of two above the largest magnitude in `x` and `c`, and the largest `|z_i|`.
    static func whitened(_ x: [Double], about c: [Double], factor: Factor) -> (z: [Double], scale: Double, zMax: Double) {
        let d = x.count
        var largest = 0.0
        for j in 0..<d { largest = max(largest, abs(x[j]), abs(c[j])) }
        let scale = largest > 0 && largest.isFinite ? Double(sign: .plus, exponent: largest.exponent + 1, significand: 1) : 1
        var z = [Double](repeating: 0, count: d)
        var zMax = 0.0
        for i in 0..<d {
            var s = x[i] / scale - c[i] / scale
            switch factor {
            case .full(let l):
                for m in 0..<i { s -= l[i, m] * z[m] }
                z[i] = s / l[i, i]
            case .diagonal(let l):
                z[i] = s / l[i]
            }
            zMax = max(zMax, abs(z[i]))
        }
        return (z, scale, zMax)
    }
}
