// gmm-bench --pruning: the same EM iterations from the same start, dense (FitOptions.exactDense)
// and pruned, on the workloads --workloads names: P (blob data whose clusters are well
// separated, the same blobs four times wider, and ten times tighter), W1-W4, S1-S5 and any
// NxDxK, each of the last at every --spreads: seconds per iteration early and late, the share
// of (row, component) pairs evaluated, and how far the two fits' parameters end apart.
import ArgumentParser
import Foundation
import GaussianMixtures

/// The pruning workloads: N = 10^6, D = 16, K = 64; `spread` multiplies each cluster's standard deviation.
let pruningWorkloads: [(workload: Workload, spread: Double)] = [
    (Workload(name: "P-separated", rows: 1_000_000, features: 16, components: 64), 1),
    (Workload(name: "P-overlapping", rows: 1_000_000, features: 16, components: 64), 4),
    // Tight clusters: the quadratic road's guard sends every E-step to the whitening road.
    (Workload(name: "P-tight", rows: 1_000_000, features: 16, components: 64), 0.1),
]

extension Bench {
    func runPruning() throws {
        let t = threads.split(separator: ",").compactMap { Int($0) }.max() ?? 1
        let count = max(iterations, 4)
        print("| workload | N | D | K | spread | threads | iterations | dense s/iter (first half, second half) | "
              + "pruned s/iter (first half, second half) | late speed-up | pairs evaluated (first, last) | "
              + "largest parameter gap | lower bounds |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        let names = Set(workloads.split(separator: ",").map(String.init))
        let spreadList = spreads.split(separator: ",").compactMap { Double($0) }
        // Besides W1-W4 and S1-S5, any shape written NxDxK (e.g. 50000x100x4).
        let named = (namedWorkloads + otherShapes).filter { names.contains($0.name) }
            + names.sorted().compactMap { name -> Workload? in
                let parts = name.split(separator: "x").compactMap { Int($0) }
                return parts.count == 3 ? Workload(name: name, rows: parts[0], features: parts[1], components: parts[2]) : nil
            }
        // "P" names the three pruning workloads at once.
        let chosen = pruningWorkloads.filter { names.contains("P") || names.contains($0.workload.name) }
            + named.flatMap { w in spreadList.map { (w, $0) } }
        for (base, spread) in chosen {
            let w = Workload(name: base.name, rows: max(base.components * 10, Int(Double(base.rows) * scale)),
                             features: base.features, components: base.components)
            let (data, start) = try makeWorkload(w, spread: spread)
            var runs: [(result: FitResult, times: [Double])] = []
            for exact in [true, false] {
                let times = TimeLog()
                var options = FitOptions(tolerance: 0, maxIterations: count, initialization: .model(start),
                                         threads: t, progress: { times.append($0.seconds) })
                options.exactDense = exact
                runs.append((try GaussianMixture.fit(data, components: w.components, options: options), times.values))
            }
            let (dense, pruned) = (runs[0], runs[1])
            let half = count / 2
            func median(_ v: ArraySlice<Double>) -> Double { let s = v.sorted(); return s[s.count / 2] }
            let denseEarly = median(dense.times[..<half]), denseLate = median(dense.times[half...])
            let prunedEarly = median(pruned.times[..<half]), prunedLate = median(pruned.times[half...])
            let shares = pruned.result.evaluatedShareHistory
            if ProcessInfo.processInfo.environment["GMM_BENCH_TIMES"] != nil {
                print("dense  " + dense.times.map { format("%.4f", $0) }.joined(separator: " "))
                print("pruned " + pruned.times.map { format("%.4f", $0) }.joined(separator: " "))
                print("shares " + shares.map { format("%.4f", $0) }.joined(separator: " "))
            }
            let gap = largestParameterGap(pruned.result.model, dense.result.model)
            print("| \(w.name) | \(w.rows) | \(w.features) | \(w.components) | \(format("%g", spread)) | \(t) | \(count) | "
                  + "\(format("%.4f", denseEarly)), \(format("%.4f", denseLate)) | "
                  + "\(format("%.4f", prunedEarly)), \(format("%.4f", prunedLate)) | \(format("%.2fx", denseLate / prunedLate)) | "
                  + "\(format("%.3f", shares.first ?? 1)), \(format("%.4f", shares.last ?? 1)) | \(format("%.1e", gap)) | "
                  + "\(format("%.12g", dense.result.lowerBound)), \(format("%.12g", pruned.result.lowerBound)) |")
        }
    }

    /// The largest gap between two models' parameters, each relative to the largest magnitude of
    /// its kind in that component (weights to 1, a mean to its largest entry, a covariance to its
    /// largest entry).
    func largestParameterGap(_ a: GaussianMixture, _ b: GaussianMixture) -> Double {
        var worst = 0.0
        func relative(_ x: [Double], _ y: [Double]) -> Double {
            let scale = y.map(abs).max() ?? 0
            return zip(x, y).map { abs($0 - $1) }.max().map { scale > 0 ? $0 / scale : $0 } ?? 0
        }
        for c in 0..<a.componentCount {
            worst = max(worst, abs(a.weights[c] - b.weights[c]) / max(b.weights[c], 1e-300))
            worst = max(worst, relative(a.means.row(c), b.means.row(c)))
            worst = max(worst, relative(a.covariances[c].values, b.covariances[c].values))
        }
        return worst
    }
}
