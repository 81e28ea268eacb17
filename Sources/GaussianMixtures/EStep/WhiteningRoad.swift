import Foundation

extension BLASKernel {
    /// The whitening road: per chunk, each component's whitened rows `(x_n - μ_k) L_k⁻ᵀ`, the
    /// responsibilities, and the statistics about the current means (one `syrk` per component).
    /// Unless pruning is off or paused (``PruningState``), rows held by one component take that
    /// component's whitened distance alone and a responsibility of one.
    func whiteningExpectation(_ model: GaussianMixture, _ componentFactors: ComponentFactors) -> SufficientStatistics {
        let factors = componentFactors.precisionFactors.map { Scalar($0) }, normalizers = componentFactors.logNormalizers
        let diagonal = componentFactors.diagonalFactors?.map { Scalar($0) }
        let logJoint = { (rows: Range<Int>, scratch: ChunkScratch<Scalar>, view: DataView<Scalar>, leads: Bool) in
            self.logJointAndNormalize(model, factors: factors, diagonalFactors: diagonal, normalizers: normalizers, rows: rows,
                                      scratch: scratch, logLikelihoodsOut: nil, view: view,
                                      leads: leads ? (scratch.best, scratch.others) : nil)
        }
        return pruned(pruning.plan(model, componentFactors, theta: [], features: 0)) { plan in
            reduce(shifts: model.means.values) { s, stats, rows in
                guard let plan else {
                    stats.logLikelihood += logJoint(rows, s, data, false)
                    accumulate(rows: rows, responsibilities: s.responsibilities, scratch: s, into: &stats)
                    stats.evaluatedPairs += Double(rows.count * components)
                    return
                }
                let k = components, n = rows.count, r = s.responsibilities
                var (held, full) = split(rows, plan, s)
                var logLikelihood = 0.0
                if held > 0 {
                    let values = s.rowLogLikelihoods
                    for j in 0..<held {
                        let row = rows.lowerBound + Int(s.heldRows[j])
                        values[j] = whitenedLogJoint(data.row(row), component: Int(plan.best[row]), model, componentFactors)
                    }
                    logLikelihood = settle(values, held: &held, full: &full, rows: rows, scratch: s)
                }
                var holdable = Double(held)
                if full > 0 {
                    let (view, range) = full < n ? (gatherFullRows(rows, full: full, scratch: s), 0..<full) : (data, rows)
                    logLikelihood += logJoint(range, s, view, true)
                    holdable += renew(plan, rows: rows, full: full, view: view, range: range, scratch: s, underflowLead: 708)
                    accumulate(rows: range, responsibilities: r, scratch: s, into: &stats, view: view)
                }
                if held > 0 {
                    accumulateOwned(rows: rows, count: held, local: { s.heldRows[$0] }, owner: { Int(plan.best[$0]) },
                                    scratch: s, into: &stats)
                }
                stats.logLikelihood += logLikelihood
                stats.evaluatedPairs += Double(held + full * k)
                stats.holdableRows += holdable
            }
        }
    }

    /// Whitening road: adds the statistics of `count` rows of a chunk that each belong wholly to
    /// one component (responsibility one): the `j`-th is the chunk's row `local(j)` (increasing),
    /// owned by component `owner(row)` (a row of this process's block). Per component, its rows in
    /// row order: their weights, `Σ w (x - μ_b)` and the Gram matrix of `√w (x - μ_b)` (one `syrk`,
    /// or at D = 4, 8, 12, 16 `gmm_gram_lower_add`). These are the sums ``accumulate`` forms from
    /// one-hot responsibilities (bit for bit where both take the `syrk`), without visiting the
    /// other K - 1 components of every row.
    func accumulateOwned(rows: Range<Int>, count: Int, local: (Int) -> Int32, owner: (Int) -> Int,
                         scratch s: ChunkScratch<Scalar>, into stats: inout SufficientStatistics) {
        let k = components, d = data.columns, w = s.weightedRows
        // Each component's block of `weightedRows` (a counting sort of the rows of weight > 0).
        var next = [Int](repeating: 0, count: k + 1)
        for j in 0..<count {
            let row = rows.lowerBound + Int(local(j))
            if data.weight(row) != 0 { next[owner(row) + 1] += 1 }
        }
        for c in 0..<k { next[c + 1] += next[c] }
        let starts = next
        // One pass in row order (the rows stream from memory); each row goes to its component's block.
        var weights = [Double](repeating: 0, count: k)
        stats.shifts.withUnsafeBufferPointer { shifts in
            stats.centeredSums.withUnsafeMutableBufferPointer { sums in
                for j in 0..<count {
                    let row = rows.lowerBound + Int(local(j)), rc = data.weight(row)
                    guard rc != 0 else { continue }
                    let c = owner(row), x = data.row(row)
                    let shift = shifts.baseAddress! + c * d, sum = sums.baseAddress! + c * d
                    addRow(x, rc, shift: shift, sum: sum, weighted: w + next[c] * d)
                    next[c] += 1
                    weights[c] += rc
                }
            }
        }
        for c in 0..<k {
            stats.weightSums[c] += weights[c]
            guard weights[c] > 0 else { continue }
            let count = starts[c + 1] - starts[c], block = w + starts[c] * d
            if d <= 16 && d % 4 == 0 {
                // A component's share of a chunk is a few dozen rows: adding their products in
                // registers, whole 4 x 4 tiles, costs less than a `syrk` call (at 32 rows, 5.5
                // against 9.5-14 ns a row at D = 8, 15 against 23-27 at D = 16; at other D the
                // kernel's edge tiles cost more than the call).
                stats.centeredScatter.withUnsafeMutableBufferPointer { scatter in
                    Scalar.gramLowerAdd(rows: count, columns: d, a: block, into: scatter.baseAddress! + c * d * d)
                }
            } else {
                addScatter(of: c, rows: count, block, scratch: s, into: &stats)
            }
        }
    }

    /// Adds the statistics of one chunk's rows under the responsibilities of an initialisation
    /// (`source`). Hard sources add each row to its own component only: k-means labels through
    /// ``accumulateOwned``, seed rows one row per component; random responsibilities are formed
    /// in full and summed by ``accumulate``.
    func accumulate(_ source: ResponsibilitySource, rows: Range<Int>, scratch s: ChunkScratch<Scalar>,
                    into stats: inout SufficientStatistics) {
        let k = components
        switch source {
        case .labels(let labels):
            labels.withUnsafeBufferPointer { owners in
                accumulateOwned(rows: rows, count: rows.count, local: { Int32($0) }, owner: { Int(owners[$0]) },
                                scratch: s, into: &stats)
            }
        case .seedRows(let seeds):
            // Component c's only row is its seed: one row for each seed in this chunk, components in order.
            for (c, seed) in seeds.enumerated() where rows.contains(seed - data.firstRow) {
                addRows(of: c, count: 1, scratch: s, into: &stats) { _ in
                    (data.row(seed - data.firstRow), data.weight(seed - data.firstRow))
                }
            }
        case .random:
            let r = s.responsibilities
            for (i, row) in rows.enumerated() {
                source.fill(row: row, firstRow: data.firstRow, components: k, into: r + i * k, seedLookup: [:])
            }
            accumulate(rows: rows, responsibilities: r, scratch: s, into: &stats)
        }
    }

    /// `log w_b + log N(x | μ_b, Σ_b) = log-normalizer_b - ½ ‖L_b⁻¹ (x - μ_b)‖²` for one row and
    /// one component, in Double.
    func whitenedLogJoint(_ x: UnsafePointer<Scalar>, component b: Int, _ model: GaussianMixture,
                          _ factors: ComponentFactors) -> Double {
        let d = data.columns, kd = components * d
        var squares = 0.0
        model.means.values.withUnsafeBufferPointer { means in
            let mean = means.baseAddress! + b * d
            if let u = factors.diagonalFactors {
                for j in 0..<d {
                    let y = (Double(x[j]) - mean[j]) * u[b * d + j]
                    squares += y * y
                }
                return
            }
            factors.precisionFactors.withUnsafeBufferPointer { p in
                // y = Pᵀ (x - μ_b) with P's block L_b⁻ᵀ (upper triangular), a row of P at a time.
                withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { y in
                    y.initialize(repeating: 0)
                    for a in 0..<d {
                        let t = Double(x[a]) - mean[a], row = p.baseAddress! + a * kd + b * d
                        for j in a..<d { y[j] += t * row[j] }
                    }
                    for j in 0..<d { squares += y[j] * y[j] }
                }
            }
        }
        return factors.logNormalizers[b] - 0.5 * squares
    }

    /// Whitening road: fills `scratch.responsibilities` with `r_nk` for the rows of one chunk and
    /// returns `Σ_n w_n log p(x_n)` over them; writes each `log p(x_n)` to `logLikelihoodsOut` if given.
    /// Component k's block of `Y` is `(x_n - μ_k) L_k⁻ᵀ`: each row is centred on each mean in
    /// `Double`, so no other row and no shared centre enters its value.
    /// `factors` is the model's `P = [L_1⁻ᵀ | ... | L_K⁻ᵀ]` in the data's type, or for a diagonal
    /// type `diagonalFactors` its diagonals (K x D; then `y = (x_n - μ_k) ⊙ u_k`, the same numbers
    /// as the product with `P`, whose other entries are zero), and `normalizers` its log
    /// normalizers (``ComponentFactors``). `rows` are rows of `view` (the kernel's data unless
    /// given); with `leads`, each row's leading component and the others' `Σ exp(ℓ_k - ℓ_best)`.
    func logJointAndNormalize(_ model: GaussianMixture, factors: [Scalar], diagonalFactors: [Scalar]?, normalizers: [Double],
                              rows: Range<Int>, scratch: ChunkScratch<Scalar>,
                              logLikelihoodsOut: UnsafeMutablePointer<Double>?, view: DataView<Scalar>? = nil,
                              leads: (best: UnsafeMutablePointer<Int32>, others: UnsafeMutablePointer<Double>)? = nil) -> Double {
        let data = view ?? data
        let d = data.columns, k = components, kd = k * d, n = rows.count
        let y = scratch.whitened, r = scratch.responsibilities, centred = scratch.centred
        let x = data.row(rows.lowerBound)
        model.means.values.withUnsafeBufferPointer { means in
            if let u = diagonalFactors {
                for c in 0..<k {
                    let mean = means.baseAddress! + c * d
                    for i in 0..<n {
                        for j in 0..<d { y[i * kd + c * d + j] = Scalar(Double(x[i * d + j]) - mean[j]) * u[c * d + j] }
                    }
                }
                return
            }
            factors.withUnsafeBufferPointer { p in
                for c in 0..<k {
                    let mean = means.baseAddress! + c * d
                    for i in 0..<n {
                        for j in 0..<d { centred[i * d + j] = Scalar(Double(x[i * d + j]) - mean[j]) }
                    }
                    Scalar.gemm(m: n, n: d, k: d, a: centred, lda: d, transposeA: false,
                                b: p.baseAddress! + c * d, ldb: kd, transposeB: false, beta: 0, c: y + c * d, ldc: kd)
                }
            }
        }
        normalizers.withUnsafeBufferPointer { normalizer in
            for i in 0..<n {
                for c in 0..<k {
                    let yc = y + i * kd + c * d
                    var squares = 0.0
                    for j in 0..<d {
                        let t = Double(yc[j])
                        squares += t * t
                    }
                    r[i * k + c] = normalizer[c] - 0.5 * squares
                }
            }
        }
        return normalize(r, rows: rows, scratch: scratch, model: model, logLikelihoodsOut: logLikelihoodsOut, view: data,
                         leads: leads)
    }

    /// Whitening road: adds the statistics of one chunk (rows of `view`, the kernel's data unless
    /// given) with responsibilities `r` (n x K) to `stats`.
    /// A row whose weighted responsibility for a component is exactly zero adds nothing to that
    /// component's sums, so only the others enter its `syrk`: one-hot responsibilities (the
    /// start from k-means labels or seed rows) cost `N·D²` instead of `N·K·D²`.
    func accumulate(rows: Range<Int>, responsibilities r: UnsafeMutablePointer<Double>,
                    scratch: ChunkScratch<Scalar>, into stats: inout SufficientStatistics, view: DataView<Scalar>? = nil) {
        let data = view ?? data
        let k = components, x = data.row(rows.lowerBound)
        for c in 0..<k {
            addRows(of: c, count: rows.count, scratch: scratch, into: &stats) { i in
                (x + i * data.columns, r[i * k + c] * data.weight(rows.lowerBound + i))
            }
        }
    }

    /// Adds `count` rows to component `c`'s statistics about its shift: `entry(j)` gives row j
    /// and its weighted responsibility `w r` (a row of 0 adds nothing): the weights, `Σ w r (x - c_k)`
    /// and one `syrk` of the rows `√(w r) (x - c_k)`.
    private func addRows(of c: Int, count: Int, scratch: ChunkScratch<Scalar>, into stats: inout SufficientStatistics,
                         _ entry: (Int) -> (UnsafePointer<Scalar>, Double)) {
        let d = data.columns, w = scratch.weightedRows
        var weight = 0.0, kept = 0
        stats.shifts.withUnsafeBufferPointer { shifts in
            stats.centeredSums.withUnsafeMutableBufferPointer { sums in
                let shift = shifts.baseAddress! + c * d, sum = sums.baseAddress! + c * d
                for j in 0..<count {
                    let (xi, rc) = entry(j)
                    guard rc != 0 else { continue }
                    weight += rc
                    addRow(xi, rc, shift: shift, sum: sum, weighted: w + kept * d)
                    kept += 1
                }
            }
        }
        stats.weightSums[c] += weight
        if weight > 0 { addScatter(of: c, rows: kept, w, scratch: scratch, into: &stats) }
    }

    /// One row `x` of weighted responsibility `rc` about `shift`: adds `rc (x - shift)` to `sum`
    /// and writes `√rc (x - shift)` (a row of the next `syrk`) to `weighted`.
    @inline(__always)
    private func addRow(_ x: UnsafePointer<Scalar>, _ rc: Double, shift: UnsafePointer<Double>,
                        sum: UnsafeMutablePointer<Double>, weighted: UnsafeMutablePointer<Scalar>) {
        let root = rc.squareRoot()
        for a in 0..<data.columns {
            let t = Double(x[a]) - shift[a]
            weighted[a] = Scalar(root * t)
            sum[a] += rc * t
        }
    }

    /// Adds the lower triangle of `aᵀ a` (`rows x D`, row-major) to component `c`'s scatter: one `syrk`.
    private func addScatter(of c: Int, rows: Int, _ a: UnsafeMutablePointer<Scalar>, scratch: ChunkScratch<Scalar>,
                            into stats: inout SufficientStatistics) {
        let d = data.columns, gram = scratch.gram
        Scalar.gramLower(rows: rows, n: d, a: a, lda: d, c: gram)
        stats.centeredScatter.withUnsafeMutableBufferPointer { scatter in
            let out = scatter.baseAddress! + c * d * d
            for i in 0..<d { for j in 0...i { out[i * d + j] += Double(gram[i * d + j]) } }
        }
    }
}
