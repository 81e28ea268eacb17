// gmm-bench --whole: whole default fits, as `gmm fit data --components K` runs them (k-means++
// seeds, Lloyd, one M-step, then EM to convergence at scikit-learn's defaults), with the
// initialisation's share. scripts/bench-peers.py --whole runs scikit-learn's and oneDAL's default
// fits on the same files (DIR/W2.npy, DIR/W16.npy, our numbers in DIR/whole.json).
import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// The whole-fit workloads: W2 and ten million rows of D = 8 from a 16-component mixture.
let wholeWorkloads = [
    Workload(name: "W2", rows: 1_000_000, features: 8, components: 8),
    Workload(name: "W16", rows: 10_000_000, features: 8, components: 16),
]

/// One whole default fit (and a row of whole.json).
struct WholeFit: Codable {
    let workload: String
    let rows: Int
    let features: Int
    let components: Int
    let threads: Int
    /// Wall-clock seconds of the whole `fit` call (the data checks included), and of everything
    /// in it but the EM iterations.
    let seconds: Double
    let initSeconds: Double
    let iterations: Int
    let converged: Bool
    /// The final lower bound: mean log-likelihood per sample (`lower_bound_`).
    let lowerBound: Double
}

extension Bench {
    /// Times one default fit per workload on the most threads asked for, prints the table and,
    /// with --write-data, writes the data and whole.json for scripts/bench-peers.py --whole.
    func runWholeFits() throws {
        let t = threads.split(separator: ",").compactMap { Int($0) }.max() ?? 1
        guard t >= 1 else { throw ValidationError("--threads takes positive integers, got '\(threads)'") }
        print("| workload | N | D | K | threads | fit s | initialisation s | initialisation share | iterations | converged | "
              + "final mean log-likelihood |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        var results: [WholeFit] = []
        for base in wholeWorkloads {
            let w = Workload(name: base.name, rows: max(base.components * 10, Int(Double(base.rows) * scale)),
                             features: base.features, components: base.components)
            let data = try makeData(w)
            if let folder = writeData {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try OutputFile.write(NPY.encode(shape: [data.rows, data.columns], doubles: data.values),
                                     to: "\(folder)/\(w.name).npy")
            }
            let times = TimeLog()
            // The whole call: the data checks, the initialisation and EM.
            let clock = ContinuousClock(), started = clock.now
            let result = try GaussianMixture.fit(data, components: w.components, options: FitOptions(
                threads: t, progress: { times.append($0.seconds) }))
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let iterationSeconds = times.values.reduce(0, +)
            let fit = WholeFit(workload: w.name, rows: w.rows, features: w.features, components: w.components, threads: t,
                               seconds: seconds, initSeconds: max(0, seconds - iterationSeconds),
                               iterations: result.iterations, converged: result.converged, lowerBound: result.lowerBound)
            results.append(fit)
            print("| \(w.name) | \(w.rows) | \(w.features) | \(w.components) | \(t) | \(format("%.3f", fit.seconds)) | "
                  + "\(format("%.3f", fit.initSeconds)) | \(format("%.0f %%", 100 * fit.initSeconds / fit.seconds)) | "
                  + "\(fit.iterations) | \(fit.converged) | \(format("%.8f", fit.lowerBound)) |")
        }
        if let folder = writeData {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.write(Array(try encoder.encode(results)), to: folder + "/whole.json")
        }
    }
}
