import Foundation

/// Pruned responsibilities on the quadratic and whitening roads (where
/// ``worthPruning(components:quadraticFeatures:whitening:)``): rows that belong, to double
/// precision, to one component alone cost that component's work only.
///
/// **What counts.** With the window (in nats)
///
///     T = 80 ln 2 + ln K + 2,
///
/// a row whose best component `b` leads every other one's log joint density by more than `T`
/// has `r_nk < 2⁻⁸⁰ / K` for every `k ≠ b`. The dense road's `r_nb` then rounds to 1 and its
/// `log p(x_n)` to `ℓ_b(x_n)`, and the other responsibilities add less than `2⁻⁸⁰` of the
/// row's weight to any sum: below rounding (`2⁻⁵⁵` relative) wherever a component holds more
/// than ``lightestComponent`` of the data's weight, which is checked after every pruned
/// E-step (redone in full otherwise; with the M-step's floor of 10ε on every `N_k`, what is
/// left out, below `N·2⁻⁸⁰`, can matter only past about 10⁹ rows). Such a row is *held* by `b`:
/// its E-step is `ℓ_b(x_n)` alone (`θ_b · z(x_n)` on the quadratic road, the whitened distance
/// on the whitening road), and it adds to component `b`'s sums only, one pair instead of K.
///
/// **Which rows, without evaluating the others.** As in Hamerly's k-means, a bound on how far
/// the log-densities can have moved since a row was last evaluated in full decides it, from a
/// few numbers per row. Each component `b` has an anchor `p_b` (its mean when the bounds
/// started). `ℓ_k` is quadratic, so its change between two E-steps is, exactly,
///
///     Δℓ_k(p_b + y) = Δℓ_k(p_b) + ∇Δℓ_k(p_b) · y - ½ yᵀ ΔΛ_k y,
///
/// and a row at distance `r = ‖x - p_b‖` from its leading component's anchor loses at most
///
///     γ_b + β_b r + α_b r²,   γ_b = |Δℓ_b(p_b)| + max_{k≠b} |Δℓ_k(p_b)|,
///     β_b = ‖∇Δℓ_b(p_b)‖ + max_{k≠b} ‖∇Δℓ_k(p_b)‖,   α_b = ½ (‖ΔΛ_b‖ + max_{k≠b} ‖ΔΛ_k‖)
///
/// of its lead per E-step. With `Γ_b, B_b, A_b` those summed over the E-steps so far, a row
/// evaluated in full with lead `g_n > T` keeps its leading component, `r_n` and the budget
///
///     β_n = (g_n − T) + Γ_b + B_b r_n + A_b r_n²
///
/// and is held as long as `Γ_b + B_b r_n + A_b r_n² < β_n` (`‖·‖` of a matrix bounds its
/// spectral norm: the smaller of the Frobenius norm and the largest absolute row sum). A row
/// past its budget is still held when it lies in its component's ball (``ballRadii``: a
/// bound from the current model alone, as in Elkan's k-means). Every other row is evaluated
/// in full, which renews its budget. Memory: 16 bytes per row (twice the data at D = 1, an
/// eighth of it at D = 16), and `K²D + KD²` values per E-step for the anchors' `ℓ_k`, gradients
/// and precisions (no pruning past ``largestAnchorTable``).
///
/// **When it does not pay.** A held row still costs its features, one dot product and one sum
/// (about `3M` flops, and a few dozen nanoseconds of bookkeeping), against `4KM` flops for a row
/// in full on kernels that run near the machine's rate, so small mixtures of few features stay
/// dense (``worthPruning(components:quadraticFeatures:whitening:)``; measured on separated blobs, late
/// iterations pruned against dense: D = 3, K = 16 with 79 % of rows held 0.71x; D = 2, K = 32
/// 0.82x; D = 8, K = 8 with 37 % held 0.87x; D = 4, K = 32 1.73x; D = 5, K = 20 1.88x; D = 16,
/// K = 4 1.26x; D = 24, K = 2 1.00x; D = 100, K = 2 1.89x, K = 10 3.9x; D = 16, K = 16 3.8x). When
/// fewer than ``heldShareFloor`` of the rows could be held (overlapping components), or fewer
/// were held by an E-step that tried (the bounds too loose for the model's moves), the bounds
/// are not kept for the next 1, 2, 4, ... 32 E-steps, so the dense road runs as it would
/// without pruning; a non-finite change (a component coming back from zero weight) starts the
/// bounds afresh.
final class PruningState {
    /// Below this share of rows held (or holdable), stop keeping budgets for a while.
    static let heldShareFloor = 1.0 / 8
    /// The longest pause, in E-steps.
    static let longestPause = 32
    /// Whether pruning can pay for K components of M quadratic features (D = 2: M = 6; D = 3: 10;
    /// D = 5: 21; D = 8: 45; D = 16: 153; D = 32: 561; D = 100: 5151): where `K·M` is at least
    /// 400 with K >= 4, or M >= 1000 with K >= 2 on the quadratic road and K >= 3 on the
    /// whitening road, whose held rows cost more (measured at K = 2, D = 44 to 100 with tight
    /// clusters: 0.6-0.96x; K = 3, D = 48 1.08x). At K = 1 nothing is ever left out.
    static func worthPruning(components k: Int, quadraticFeatures m: Int, whitening: Bool) -> Bool {
        k * m >= 400 && (k >= 4 || (m >= 1000 && k >= (whitening ? 3 : 2)))
    }
    /// A pruned E-step is redone in full when a component's weight is below this share of the data's.
    static let lightestComponent = 0x1p-25
    /// The most values (`K²D + KD²`) the anchors' tables may hold.
    static let largestAnchorTable = 1 << 22

    let rows: Int
    let components: Int
    let features: Int
    /// M, the quadratic features of a row (what a held row costs).
    let quadraticFeatures: Int
    /// False for `FitOptions.exactDense`.
    var enabled = true
    /// `FitOptions.pruneEvenWhereItDoesNotPay`: skip ``worthPruning(components:quadraticFeatures:whitening:)``.
    var evenWhereItDoesNotPay = false
    /// Per row: the component that held it at its last full evaluation, `r_n` and `β_n`.
    private var best: UnsafeMutablePointer<Int32>?
    private var radius: UnsafeMutablePointer<Float>?
    private var budget: UnsafeMutablePointer<Double>?
    /// The anchors `p_b` (K x D), and the last model's `ℓ_k(p_b)` (K x K), `∇ℓ_k(p_b)`
    /// (K x K x D) and `Λ_k` (K x D x D); nil when the bounds start afresh.
    private var anchors: [Double] = []
    private var previous: (values: [Double], gradients: [Double], precisions: [Double])?
    /// `Γ_b`, `B_b`, `A_b`.
    private var constant: [Double], linear: [Double], quadratic: [Double]
    private(set) var pause = 0
    private(set) var backoff = 1

    init(rows: Int, components: Int, features: Int, quadraticFeatures: Int) {
        self.rows = rows
        self.components = components
        self.features = features
        self.quadraticFeatures = quadraticFeatures
        constant = [Double](repeating: 0, count: components)
        linear = constant
        quadratic = constant
    }

    deinit {
        best?.deallocate()
        radius?.deallocate()
        budget?.deallocate()
    }

    /// What one E-step does with the budgets.
    struct Plan {
        /// Whether rows within budget are held (false on the first E-step of an epoch, and when
        /// a pruned E-step is redone in full).
        var hold: Bool
        /// `T`.
        let window: Double
        /// `exp(-T)`: a row whose other components' `Σ exp(ℓ_k - ℓ_best)` is below it leads by more than `T`.
        let holdingOthers: Double
        /// `θ_k` one component after another (K x M), the numbers the dense quadratic road
        /// multiplies by (empty on the whitening road).
        let thetaByComponent: [Double]
        let anchors: [Double]
        let constant: [Double], linear: [Double], quadratic: [Double]
        let best: UnsafeMutablePointer<Int32>
        let radius: UnsafeMutablePointer<Float>
        let budget: UnsafeMutablePointer<Double>
        /// The current means (K x D) and, per component, the squared radius of the ball about
        /// its mean inside which it leads every other by more than `T` (``ballRadii``).
        let means: [Double]
        let ballRadii: [Double]

        /// Whether local row `n` (values `x`) is held by `best[n]`: within its budget, or within
        /// the component's ball.
        @inline(__always) func isHeld<Scalar: EngineScalar>(_ n: Int, _ x: UnsafePointer<Scalar>, columns d: Int) -> Bool {
            let b = Int(best[n]), r = Double(radius[n])
            // The budget and the bound are sums of large terms: past their rounding only.
            let bound = constant[b] + (linear[b] + quadratic[b] * r) * r
            if bound + 8 * Double.ulpOfOne * (abs(bound) + abs(budget[n])) < budget[n] { return true }
            return squaredDistance(x, means, b, columns: d) * (1 + 1e-9) < ballRadii[b]
        }

        /// Renews row `n` (values `x`), evaluated in full: its leading component `b` leads every
        /// other by at least `lead` nats (`> T`).
        @inline(__always) func renew<Scalar: EngineScalar>(_ n: Int, _ x: UnsafePointer<Scalar>, columns d: Int,
                                                           best b: Int, lead: Double) {
            // Rounded up by far more than the rounding of the sum and of the float.
            let r = Float(squaredDistance(x, anchors, b, columns: d).squareRoot() * (1 + 1e-6))
            let rr = Double(r)
            best[n] = Int32(b)
            radius[n] = r
            budget[n] = (lead - window) + constant[b] + (linear[b] + quadratic[b] * rr) * rr
        }

        /// `‖x - p_b‖²` in Double, `p_b` row `b` of `points` (K x D).
        @inline(__always) private func squaredDistance<Scalar: EngineScalar>(_ x: UnsafePointer<Scalar>, _ points: [Double],
                                                                            _ b: Int, columns d: Int) -> Double {
            var squares = 0.0
            for j in 0..<d {
                let t = Double(x[j]) - points[b * d + j]
                squares += t * t
            }
            return squares
        }
    }

    /// The plan for an E-step under `model` (whose E-step state is `factors`), on the quadratic
    /// road with coefficients `theta` (M x K, as used) or on the whitening road (`theta` empty,
    /// `m` 0), or nil when pruning is off or paused; adds this step's changes to the sums.
    func plan(_ model: GaussianMixture, _ factors: ComponentFactors, theta: [Double], features m: Int) -> Plan? {
        let k = components, d = features
        // Every decision here comes from the model and global sums, never from this process's
        // rows, so that every process (one may hold no rows) runs the same passes.
        guard enabled, k >= 2,
              evenWhereItDoesNotPay || Self.worthPruning(components: k, quadraticFeatures: quadraticFeatures, whitening: m == 0),
              k * k * d + k * d * d <= Self.largestAnchorTable else {
            // The road can change from one E-step to the next: start afresh when pruning resumes.
            previous = nil
            return nil
        }
        if pause > 0 {
            pause -= 1
            previous = nil
            return nil
        }
        if best == nil {
            let n = max(1, rows)
            best = .allocate(capacity: n)
            radius = .allocate(capacity: n)
            budget = .allocate(capacity: n)
            best!.initialize(repeating: 0, count: n)
            radius!.initialize(repeating: 0, count: n)
            budget!.initialize(repeating: -.infinity, count: n)
        }
        var hold = false
        if let previous {
            let current = anchorTables(model, factors, at: anchors)
            if let changes = changes(from: previous, to: current) {
                self.previous = current
                for b in 0..<k {
                    constant[b] += changes.constant[b]
                    linear[b] += changes.linear[b]
                    quadratic[b] += changes.quadratic[b]
                }
                hold = true
            }
        }
        if !hold {
            // A new epoch: anchors at the current means, every row evaluated in full.
            anchors = model.means.values
            previous = anchorTables(model, factors, at: anchors)
            for b in 0..<k { constant[b] = 0; linear[b] = 0; quadratic[b] = 0 }
        }
        var byComponent = [Double](repeating: 0, count: k * m)
        for p in 0..<m { for c in 0..<k { byComponent[c * m + p] = theta[p * k + c] } }
        let window = 80 * M_LN2 + log(Double(k)) + 2
        return Plan(hold: hold, window: window, holdingOthers: exp(-window), thetaByComponent: byComponent,
                    anchors: anchors, constant: constant, linear: linear, quadratic: quadratic,
                    best: best!, radius: radius!, budget: budget!, means: model.means.values,
                    ballRadii: hold ? ballRadii(anchorTables(model, factors, at: model.means.values), window: window) : [Double](repeating: 0, count: k))
    }

    /// After an E-step that kept budgets: `holdable` rows (of `globalRows`, every process's)
    /// were held or could be held next time, and `held` were held when it was `holding`. Too
    /// few of either, and budgets pause.
    func finish(holdable: Double, held: Double, holding: Bool, globalRows: Int) {
        if holdable < Self.heldShareFloor * Double(globalRows)
            || (holding && held < Self.heldShareFloor * Double(globalRows)) {
            pause = backoff
            backoff = min(2 * backoff, Self.longestPause)
            previous = nil
        } else if holding {
            // Only an E-step that held enough ends the backoff: a new epoch after a pause
            // finds rows holdable whether or not the bounds will then hold them.
            backoff = 1
        }
    }

    /// `ℓ_k(p_b)`, `∇ℓ_k(p_b)` (up to its sign: only differences' norms are used) and `Λ_k`
    /// of `model` at the current anchors: `ℓ_k(x) = log-normalizer_k - ½ ‖y‖²` with
    /// `y = L_k⁻¹ (x - μ_k)`, `∇ℓ_k(x) = -L_k⁻ᵀ y`; per component three GEMMs with its block
    /// `F = L_k⁻ᵀ` of ``ComponentFactors``: `Λ_k = F Fᵀ`, `Y = (A - 1 μ_kᵀ) F`, `Y Fᵀ`.
    private func anchorTables(_ model: GaussianMixture, _ factors: ComponentFactors, at anchors: [Double])
        -> (values: [Double], gradients: [Double], precisions: [Double]) {
        let k = components, d = features, kd = k * d
        var values = [Double](repeating: 0, count: k * k)
        var gradients = [Double](repeating: 0, count: k * k * d)
        var precisions = [Double](repeating: 0, count: k * d * d)
        var block = [Double](repeating: 0, count: d * d)      // F, D x D
        var centred = [Double](repeating: 0, count: k * d)    // A - 1 μ_kᵀ
        var whitened = [Double](repeating: 0, count: k * d)   // Y
        var slopes = [Double](repeating: 0, count: k * d)     // Y Fᵀ
        for c in 0..<k {
            for a in 0..<d {
                for b in 0..<d {
                    block[a * d + b] = factors.diagonalFactors.map { a == b ? $0[c * d + a] : 0 }
                        ?? factors.precisionFactors[a * kd + c * d + b]
                }
            }
            for b in 0..<k { for j in 0..<d { centred[b * d + j] = anchors[b * d + j] - model.means[c, j] } }
            block.withUnsafeBufferPointer { f in
                precisions.withUnsafeMutableBufferPointer { out in
                    Double.gemm(m: d, n: d, k: d, a: f.baseAddress!, lda: d, b: f.baseAddress!, ldb: d, transposeB: true,
                                c: out.baseAddress! + c * d * d, ldc: d)
                }
                centred.withUnsafeBufferPointer { x in
                    whitened.withUnsafeMutableBufferPointer { y in
                        Double.gemm(m: k, n: d, k: d, a: x.baseAddress!, lda: d, b: f.baseAddress!, ldb: d,
                                    c: y.baseAddress!, ldc: d)
                    }
                }
                whitened.withUnsafeBufferPointer { y in
                    slopes.withUnsafeMutableBufferPointer { g in
                        Double.gemm(m: k, n: d, k: d, a: y.baseAddress!, lda: d, b: f.baseAddress!, ldb: d, transposeB: true,
                                    c: g.baseAddress!, ldc: d)
                    }
                }
            }
            for b in 0..<k {
                var squares = 0.0
                for j in 0..<d { squares += whitened[b * d + j] * whitened[b * d + j] }
                values[b * k + c] = factors.logNormalizers[c] - 0.5 * squares
                for j in 0..<d { gradients[(b * k + c) * d + j] = slopes[b * d + j] }
            }
        }
        return (values, gradients, precisions)
    }

    /// Per component b, the squared radius `R_b²` of the ball about `μ_b` inside which b leads
    /// every other component by more than `window`, from the tables at the means: the lead
    /// over k at `μ_b + y` is, exactly, `G - h · y - ½ yᵀ (Λ_b - Λ_k) y` with
    /// `G = ℓ_b(μ_b) - ℓ_k(μ_b)` and `h = ∇(ℓ_k - ℓ_b)(μ_b)`, so it stays above `T` while
    /// `G - ‖h‖ r - ½ ‖Λ_b - Λ_k‖ r² > T` (``spectralBound(features:_:)`` for the matrix norm;
    /// `G` less the tables' rounding). This needs no history: it holds rows in E-steps
    /// whose changes have spent their budgets (Elkan's static bound beside Hamerly's).
    private func ballRadii(_ tables: (values: [Double], gradients: [Double], precisions: [Double]), window: Double) -> [Double] {
        let k = components, d = features, dd = d * d
        let rounding = Double(d + 4) * Double.ulpOfOne
        return (0..<k).map { b in
            var radius = Double.infinity
            for c in 0..<k where c != b {
                let own = tables.values[b * k + b], other = tables.values[b * k + c]
                let gap = own - other - window - rounding * (abs(own) + abs(other))
                guard gap > 0 else { return 0 }
                var slope = 0.0, curvature = 0.0
                for a in 0..<d {
                    let t = tables.gradients[(b * k + c) * d + a] - tables.gradients[(b * k + b) * d + a]
                    slope += t * t
                }
                slope = slope.squareRoot()
                curvature = 0.5 * Self.spectralBound(features: d) { tables.precisions[b * dd + $0] - tables.precisions[c * dd + $0] }
                // The positive root of gap - slope r - curvature r² = 0 (infinite when both are 0);
                // NaN from a non-finite model holds nothing.
                let root = 2 * gap / (slope + (slope * slope + 4 * curvature * gap).squareRoot())
                guard root >= 0 else { return 0 }
                radius = min(radius, root)
            }
            return radius * radius * (1 - 1e-9)
        }
    }

    /// An upper bound on the spectral norm of the symmetric D x D matrix whose entry (i, j) is
    /// `entry(i D + j)`: the smaller of its Frobenius norm and its largest absolute row sum.
    private static func spectralBound(features d: Int, _ entry: (Int) -> Double) -> Double {
        var frobenius = 0.0, rows = 0.0
        for i in 0..<d {
            var row = 0.0
            for j in 0..<d {
                let t = entry(i * d + j)
                frobenius += t * t
                row += abs(t)
            }
            rows = max(rows, row)
        }
        return min(frobenius.squareRoot(), rows)
    }

    /// `γ_b`, `β_b`, `α_b` from one model's tables to the next, or nil when a change is not finite.
    private func changes(from old: (values: [Double], gradients: [Double], precisions: [Double]),
                         to new: (values: [Double], gradients: [Double], precisions: [Double]))
        -> (constant: [Double], linear: [Double], quadratic: [Double])? {
        let k = components, d = features, dd = d * d
        // Rounding of a table entry: a sum of D products and a few more operations.
        let rounding = Double(d + 4) * Double.ulpOfOne
        let curvature = (0..<k).map { c in
            0.5 * (Self.spectralBound(features: d) { new.precisions[c * dd + $0] - old.precisions[c * dd + $0] }
                   + rounding * (Self.spectralBound(features: d) { new.precisions[c * dd + $0] }
                                 + Self.spectralBound(features: d) { old.precisions[c * dd + $0] }))
        }
        var constant = [Double](repeating: 0, count: k), linear = constant, quadratic = constant
        for b in 0..<k {
            var ownValue = 0.0, ownSlope = 0.0, otherValue = 0.0, otherSlope = 0.0, otherCurvature = 0.0
            for c in 0..<k {
                // Each change plus the rounding of the two tables it comes from (sums of D terms).
                let newValue = new.values[b * k + c], oldValue = old.values[b * k + c]
                let value = abs(newValue - oldValue) + rounding * (abs(newValue) + abs(oldValue))
                var s = 0.0, size = 0.0
                for a in 0..<d {
                    let n = new.gradients[(b * k + c) * d + a], o = old.gradients[(b * k + c) * d + a]
                    s += (n - o) * (n - o)
                    size += n * n + o * o
                }
                let slope = s.squareRoot() + rounding * 2 * size.squareRoot()
                if c == b {
                    ownValue = value
                    ownSlope = slope
                } else {
                    otherValue = max(otherValue, value)
                    otherSlope = max(otherSlope, slope)
                    otherCurvature = max(otherCurvature, curvature[c])
                }
            }
            constant[b] = ownValue + otherValue
            linear[b] = ownSlope + otherSlope
            quadratic[b] = curvature[b] + otherCurvature
            // NaN (a weight coming back from zero: -inf - -inf) or infinity: start afresh.
            guard constant[b].isFinite, linear[b].isFinite, quadratic[b].isFinite else { return nil }
        }
        return (constant, linear, quadratic)
    }
}

extension BLASKernel {
    /// Runs one E-step `pass` under `plan`, redoes it in full when a component weighs less than
    /// ``PruningState/lightestComponent`` of the data, and tells the state how many rows could
    /// be held. The pass fills the statistics' pruning counts.
    func pruned(_ plan: PruningState.Plan?, _ pass: (PruningState.Plan?) -> SufficientStatistics) -> SufficientStatistics {
        var stats = pass(plan)
        if var full = plan, full.hold,
           stats.weightSums.contains(where: { !($0 >= PruningState.lightestComponent * stats.sampleCount) }) {
            full.hold = false
            stats = pass(full)
        }
        let pairs = Double(data.globalRows) * Double(components)
        if let plan {
            // Rows held: every pair of the others was evaluated, one pair of each held row.
            let held = components > 1 ? (pairs - stats.evaluatedPairs) / Double(components - 1) : 0
            pruning.finish(holdable: stats.holdableRows, held: held, holding: plan.hold, globalRows: data.globalRows)
        }
        stats.evaluatedShare = stats.evaluatedPairs / pairs
        return stats
    }

    /// Splits a chunk's rows into those `plan` holds (`s.heldRows`, chunk indices) and the
    /// others (`s.fullRows`); returns their counts.
    func split(_ rows: Range<Int>, _ plan: PruningState.Plan, _ s: ChunkScratch<Scalar>) -> (held: Int, full: Int) {
        var held = 0, full = 0
        for i in 0..<rows.count {
            let row = rows.lowerBound + i
            if plan.hold && plan.isHeld(row, data.row(row), columns: data.columns) {
                s.heldRows[held] = Int32(i)
                held += 1
            } else {
                s.fullRows[full] = Int32(i)
                full += 1
            }
        }
        return (held, full)
    }

    /// The `full` rows of `s.fullRows`, evaluated in full as `range` of `view` with their leads
    /// in `s.best` and `s.others`: renews each one's budget (or marks it for evaluation next
    /// time) and returns how many could be held. `underflowLead`: the lead when `others` is 0.
    func renew(_ plan: PruningState.Plan, rows: Range<Int>, full: Int, view: DataView<Scalar>, range: Range<Int>,
               scratch s: ChunkScratch<Scalar>, underflowLead: Double) -> Double {
        var holdable = 0.0
        for j in 0..<full {
            let row = rows.lowerBound + Int(s.fullRows[j]), others = s.others[j]
            guard others < plan.holdingOthers else {
                plan.budget[row] = -.infinity
                continue
            }
            plan.renew(row, view.row(range.lowerBound + j), columns: data.columns, best: Int(s.best[j]),
                       lead: others > 0 ? -log(others) : underflowLead)
            holdable += 1
        }
        return holdable
    }

    /// The rows of `s.fullRows` (`full` of them) copied to `s.gathered` with their weights, as a view.
    func gatherFullRows(_ rows: Range<Int>, full: Int, scratch s: ChunkScratch<Scalar>) -> DataView<Scalar> {
        let d = data.columns
        for j in 0..<full {
            let row = rows.lowerBound + Int(s.fullRows[j])
            s.gathered.advanced(by: j * d).update(from: data.row(row), count: d)
            s.gatheredWeights[j] = data.weight(row)
        }
        return DataView(base: s.gathered, rows: full, columns: d, weights: data.weights == nil ? nil : s.gatheredWeights)
    }

    /// After the held rows' log joint densities `values`: a row below ``FarRows/threshold``
    /// (far from every component) moves to the full rows, to be computed by ``FarRows``; returns
    /// `Σ w_n ℓ_b(x_n)` over the rows still held.
    func settle(_ values: UnsafePointer<Double>, held: inout Int, full: inout Int, rows: Range<Int>,
                scratch s: ChunkScratch<Scalar>) -> Double {
        var kept = 0, logLikelihood = 0.0
        for j in 0..<held {
            guard values[j] >= FarRows.threshold else {
                s.fullRows[full] = s.heldRows[j]
                full += 1
                continue
            }
            s.heldRows[kept] = s.heldRows[j]
            kept += 1
            let w = data.weight(rows.lowerBound + Int(s.heldRows[j]))
            if w > 0 { logLikelihood += w * values[j] }
        }
        held = kept
        // Every row full: the roads then evaluate the chunk in place, row j as full row j.
        if full == rows.count { for j in 0..<full { s.fullRows[j] = Int32(j) } }
        return logLikelihood
    }
}
