// gmm-bench: seconds per EM iteration of the LAPACK path against the naive Swift path, on
// synthetic full-covariance workloads, from the same starting model.
//
//     swift run -c release gmm-bench [--workloads W1,W2,W3,W4] [--iterations 5] [--naive-iterations 1]
//                                    [--threads N] [--scale 1.0] [--no-naive]
import ArgumentParser
import Foundation
import GaussianMixtures

struct Workload {
    let name: String
    let rows: Int
    let features: Int
    let components: Int
}

let allWorkloads = [
    Workload(name: "W1", rows: 100_000, features: 16, components: 16),
    Workload(name: "W2", rows: 1_000_000, features: 8, components: 8),
    Workload(name: "W3", rows: 50_000, features: 64, components: 32),
    Workload(name: "W4", rows: 200_000, features: 2, components: 3),
]

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gmm-bench",
        abstract: "Seconds per EM iteration: LAPACK path vs naive Swift path.")

    @Option(help: "Comma-separated workload names (W1..W4).") var workloads = "W1,W2,W3,W4"
    @Option(help: "Timed LAPACK iterations per workload (the median is reported).") var iterations = 5
    @Option(name: .customLong("naive-iterations"), help: "Timed naive iterations per workload.") var naiveIterations = 1
    @Option(help: "Worker threads for the LAPACK path.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Multiply every N by this (for quick runs).") var scale = 1.0
    @Flag(name: .customLong("no-naive"), help: "Skip the naive path.") var noNaive = false
    @Option(name: .customLong("chunk-rows"), help: "Rows per E-step chunk (default: the engine's choice).") var chunkRows: Int?

    func run() throws {
        let names = Set(workloads.split(separator: ",").map(String.init))
        print("| workload | N | D | K | LAPACK s/iter | GFLOP/s | naive s/iter | speed-up |")
        print("|---|---|---|---|---|---|---|---|")
        for w in allWorkloads where names.contains(w.name) {
            let n = max(w.components * 10, Int(Double(w.rows) * scale))
            let (data, start) = try makeWorkload(w, rows: n)
            let fast = try secondsPerIteration(data, start: start, path: .lapack, iterations: iterations)
            let flops = 2.0 * Double(n) * Double(w.components) * Double(w.features * w.features)
            var naiveText = "-", speedup = "-"
            if !noNaive {
                let naive = try secondsPerIteration(data, start: start, path: .naive, iterations: naiveIterations)
                naiveText = String(format: "%.4g", naive)
                speedup = String(format: "%.1fx", naive / fast)
            }
            print("| \(w.name) | \(n) | \(w.features) | \(w.components) | \(String(format: "%.4g", fast)) | "
                  + "\(String(format: "%.1f", flops / fast / 1e9)) | \(naiveText) | \(speedup) |")
        }
    }

    /// Data sampled from a random mixture, and a common starting model (one k-means++ init).
    func makeWorkload(_ w: Workload, rows: Int) throws -> (Matrix, GaussianMixture) {
        var generator = Xoshiro256StarStar(seed: 2026)
        let d = w.features, k = w.components
        var means = Matrix(zeros: k, d)
        for i in 0..<(k * d) { means.values[i] = 6 * generator.nextGaussian() }
        let covariances = try (0..<k).map { _ -> Matrix in
            var a = Matrix(zeros: d, d)
            for i in 0..<(d * d) { a.values[i] = generator.nextGaussian() / Double(d).squareRoot() }
            var c = Matrix(zeros: d, d)
            for i in 0..<d { for j in 0..<d {
                var s = i == j ? 0.5 : 0
                for m in 0..<d { s += a[i, m] * a[j, m] }
                c[i, j] = s
            } }
            return try Matrix(rows: d, columns: d, values: c.values)
        }
        let truth = try GaussianMixture(weights: [Double](repeating: 1 / Double(k), count: k), means: means,
                                        covariances: covariances)
        let data = truth.sample(count: rows, seed: 1).samples
        let start = try GaussianMixture.fit(data, components: k,
            options: FitOptions(maxIterations: 0, initialization: .kMeansPlusPlus, seed: 3, threads: threads)).model
        return (data, start)
    }

    func secondsPerIteration(_ data: Matrix, start: GaussianMixture, path: ComputePath, iterations: Int) throws -> Double {
        let times = TimeLog()
        let options = FitOptions(tolerance: 0, maxIterations: iterations, initialization: .model(start),
                                 threads: threads, chunkRows: chunkRows, path: path, progress: { times.append($0.seconds) })
        _ = try GaussianMixture.fit(data, components: start.componentCount, options: options)
        let sorted = times.values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// Collects per-iteration seconds from the progress callback.
final class TimeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ v: Double) { lock.lock(); storage.append(v); lock.unlock() }
    var values: [Double] { lock.lock(); defer { lock.unlock() }; return storage }
}
