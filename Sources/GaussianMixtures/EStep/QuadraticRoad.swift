import Foundation
import CGaussianMixturesKernels

extension BLASKernel {
    /// The quadratic-feature road: per chunk `Z`, `V = Z Θ`, normalise `V` into `R`, add `Rᵀ Z`
    /// (fused in one pass over the chunk, or as two products, ``QuadraticProducts``). Unless pruning is off or paused
    /// (``PruningState``), rows held by one component take `θ_b · z` and one sum instead.
    func quadraticExpectation(_ model: GaussianMixture, _ factors: ComponentFactors, _ theta: [Scalar],
                              fused: Bool) -> SufficientStatistics {
        pruned(pruning.plan(model, factors, theta: theta.map { Double($0) }, features: quadratic.count)) { plan in
            quadraticPass(model, theta, fused: fused, plan: plan)
        }
    }

    /// One pass of the quadratic road over every chunk, with budgets kept and rows held as `plan` says.
    private func quadraticPass(_ model: GaussianMixture, _ theta: [Scalar], fused: Bool,
                               plan: PruningState.Plan?) -> SufficientStatistics {
        let k = components, m = quadratic.count, km = k * m
        // Per leaf: `Σ_n r_nk z(x_n)` (K x M), the log-likelihood, the weight total, the
        // (row, component) pairs evaluated and the rows held or holdable. In float64 the
        // statistics product adds each chunk into the leaf's sums, and the fused kernel into the
        // worker's lane sums, folded into the leaf's at its end; in float32 the product adds into
        // the worker's float sums, which move into the leaf's Double sums every
        // `Scalar.maxChunkRows` rows and at the end of the leaf, and the fused kernel's lanes
        // every `Scalar.rowsBeforeFoldingLanes` rows and at the end of the leaf.
        let products = QuadraticProducts(theta: fused ? [] : theta, components: k, features: m, kernels: quadraticKernels)
        let total = theta.withUnsafeBufferPointer { theta in
            LAPACK.withSingleThreadedBLAS {
                treeSum(schedule, threads: threads, reducer: data.reducer,
                        make: { SumVector(count: km + 4) },
                        leafDone: { worker, partial in
                            scratch[worker].widen(into: partial.base, count: km)
                            scratch[worker].foldLanes(into: partial.base, count: km)
                        }
                ) { worker, rows, partial in
                    let s = scratch[worker], sums = partial.base
                    if let plan {
                        prunedChunk(model, theta.baseAddress!, products, fused: fused, plan: plan, rows: rows, scratch: s, sums: sums)
                    } else {
                        sums[km] += denseChunk(model, theta.baseAddress!, products, fused: fused, view: data, rows: rows, scratch: s,
                                               sums: sums, keepLeads: false)
                        sums[km + 2] += Double(rows.count * k)
                    }
                    sums[km + 1] += data.totalWeight(rows)
                }
            }
        }
        var stats = quadratic.statistics(from: total.base, components: k)
        stats.logLikelihood = total.values[km]
        stats.sampleCount = total.values[km + 1]
        stats.evaluatedPairs = total.values[km + 2]
        stats.holdableRows = total.values[km + 3]
        return stats
    }

    /// One chunk with budgets: its held rows first, then the others in full (gathered when some
    /// rows were held), whose budgets are renewed. Adds to `sums` as ``quadraticPass`` lays them out.
    private func prunedChunk(_ model: GaussianMixture, _ theta: UnsafePointer<Scalar>, _ products: QuadraticProducts<Scalar>,
                             fused: Bool,
                             plan: PruningState.Plan, rows: Range<Int>, scratch s: ChunkScratch<Scalar>,
                             sums: UnsafeMutablePointer<Double>) {
        let k = components, m = quadratic.count, km = k * m, d = data.columns, n = rows.count
        var (held, full) = split(rows, plan, s)
        var logLikelihood = 0.0
        if held > 0 {
            // θ_b · z and w z into b's sums per held row; `rowLogLikelihoods` takes the values.
            let values = s.rowLogLikelihoods
            quadratic.center.withUnsafeBufferPointer { c in
                plan.thetaByComponent.withUnsafeBufferPointer { theta in
                    Scalar.heldRows(data.row(rows.lowerBound), columns: d, rows: s.heldRows, count: held,
                                    best: plan.best + rows.lowerBound, weights: data.weights.map { $0 + rows.lowerBound },
                                    diagonal: quadratic.diagonal, center: c.baseAddress!, theta: theta.baseAddress!,
                                    threshold: FarRows.threshold, sums: sums, values: values, scratch: s.heldScratch)
                }
            }
            logLikelihood = settle(values, held: &held, full: &full, rows: rows, scratch: s)
        }
        var holdable = Double(held)
        if full > 0 {
            // The rest in full, in place when nothing was held, else gathered with their weights.
            let (view, range) = full < n ? (gatherFullRows(rows, full: full, scratch: s), 0..<full) : (data, rows)
            logLikelihood += denseChunk(model, theta, products, fused: fused, view: view, rows: range, scratch: s, sums: sums,
                                        keepLeads: true)
            // The fused float32 kernel's exp gives 0 below -87, the others below -708.
            holdable += renew(plan, rows: rows, full: full, view: view, range: range, scratch: s,
                              underflowLead: fused && Scalar.self == Float.self ? 87 : 708)
        }
        sums[km] += logLikelihood
        sums[km + 2] += Double(held + full * k)
        sums[km + 3] += holdable
    }

    /// The dense road over `rows` of `view` (the kernel's data, or rows gathered from one chunk):
    /// adds `Σ w_n r_nk z(x_n)` to `sums` (or the worker's float sums) and returns
    /// `Σ w_n log p(x_n)`. With `keepLeads`, each row's leading component and the others'
    /// `Σ exp(ℓ_k - ℓ_best)` go to `s.best` and `s.others`.
    private func denseChunk(_ model: GaussianMixture, _ theta: UnsafePointer<Scalar>, _ products: QuadraticProducts<Scalar>,
                            fused: Bool, view: DataView<Scalar>,
                            rows: Range<Int>, scratch s: ChunkScratch<Scalar>, sums: UnsafeMutablePointer<Double>,
                            keepLeads: Bool) -> Double {
        let k = components, m = quadratic.count, d = data.columns, km = k * m, n = rows.count
        let x = view.row(rows.lowerBound)
        return center.withUnsafeBufferPointer { center in
            if fused {
                // Added to the lanes' sums, which move into the leaf's at its end (float64) or
                // every few hundred rows (float32).
                if s.laneRows + n > Scalar.rowsBeforeFoldingLanes(s.lanes) { s.foldLanes(into: sums, count: km) }
                let logLikelihood = Scalar.fusedQuadraticChunk(
                    x, lanes: s.lanes, weights: view.weights.map { $0 + rows.lowerBound }, rows: n, columns: d,
                    diagonal: quadratic.diagonal, center: center.baseAddress!, theta: theta,
                    components: k, laneSums: s.laneSums, scratch: s.fusedBlocks,
                    best: keepLeads ? s.best : nil, gaps: keepLeads ? s.others : nil)
                s.laneRows += n
                return logLikelihood
            }
            Scalar.quadraticFeatures(x, rows: n, columns: d, diagonal: quadratic.diagonal, center: center.baseAddress!,
                                     into: s.features, scratch: s.centred)
            products.logJoint(s.features, rows: n, theta: theta, into: s.logJoint)
            for i in 0..<(n * k) { s.responsibilities[i] = Double(s.logJoint[i]) }
            let logLikelihood = normalize(s.responsibilities, rows: rows, scratch: s, model: model, view: view,
                                          leads: keepLeads ? (s.best, s.others) : nil)
            weighted(s.responsibilities, rows: rows, into: s.weightedResponsibilities, view: view)
            if Scalar.self == Double.self {
                let c = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Scalar.self)
                products.addSums(s.weightedResponsibilities, s.features, rows: n, into: c)
            } else {
                if s.pendingRows + n > Scalar.maxChunkRows { s.widen(into: sums, count: km) }
                products.addSums(s.weightedResponsibilities, s.features, rows: n, beta: s.pendingRows == 0 ? 0 : 1,
                                 into: s.featureSums)
                s.pendingRows += n
            }
            return logLikelihood
        }
    }
}
