// gmm-bench: seconds per EM iteration of the LAPACK path against the naive Swift path, on
// synthetic full-covariance workloads, every path from the same starting model.
//
//     swift run -c release gmm-bench [--workloads W1,W2,W3,W4] [--sweep] [--threads 1,2]
//                                    [--iterations 5] [--naive-iterations 1] [--no-naive]
//                                    [--write-data DIR] [--scale 1.0] [--covariance-types diag,...]
//     swift run -c release gmm-bench --whole [--write-data DIR]     (whole default fits, WholeFits.swift)
//     swift run -c release gmm-bench --pruning [--iterations 20]    (dense against pruned E-steps, Pruning.swift)
//
// With --write-data, each named workload's data (DIR/W1.npy), starting model (DIR/W1-start.json,
// the `gmm` model format) and our results (DIR/results.json) are written for
// scripts/bench-peers.py, which runs scikit-learn and oneDAL on the very same files.
import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

struct Workload {
    let name: String
    let rows: Int
    let features: Int
    let components: Int

    /// `2·N·K·D²`, the flop count GFLOP/s figures use (about one EM iteration's work).
    var flops: Double { 2 * Double(rows) * Double(components) * Double(features * features) }
}

/// The workloads of issue 4, whose peers' times are known.
let namedWorkloads = [
    Workload(name: "W1", rows: 100_000, features: 16, components: 16),
    Workload(name: "W2", rows: 1_000_000, features: 8, components: 8),
    Workload(name: "W3", rows: 50_000, features: 64, components: 32),
    Workload(name: "W4", rows: 200_000, features: 2, components: 3),
]

/// Shapes no issue names (`scripts/bench --shapes`): the goal against oneDAL is for every shape,
/// not only W1-W4. Wider (S1, S2), more components at small D (S3, S5), many rows at tiny D (S4).
let otherShapes = [
    Workload(name: "S1", rows: 200_000, features: 32, components: 8),
    Workload(name: "S2", rows: 50_000, features: 100, components: 10),
    Workload(name: "S3", rows: 500_000, features: 5, components: 20),
    Workload(name: "S4", rows: 1_000_000, features: 3, components: 4),
    Workload(name: "S5", rows: 100_000, features: 20, components: 50),
]

/// The scaling sweep: N = 10^4 ... 10^7 at D = K = 8, and D = 2 ... 128 at N = 10^5, K = 8.
let sweepWorkloads =
    [10_000, 100_000, 1_000_000, 10_000_000].map { Workload(name: "N=\($0)", rows: $0, features: 8, components: 8) }
    + [2, 4, 8, 16, 32, 64, 128].map { Workload(name: "D=\($0)", rows: 100_000, features: $0, components: 8) }

/// One measured row of the table (and of results.json).
struct Measurement: Codable {
    let workload: String
    let rows: Int
    let features: Int
    let components: Int
    let threads: Int
    /// The dense path (`FitOptions.exactDense`), and its GFLOP/s against DGEMM's on as many threads.
    let secondsPerIteration: Double
    let gflops: Double
    let dgemmGflops: Double
    /// The default path: pruned responsibilities where they can pay (K·M >= 400; PruningState.worthPruning).
    let prunedSecondsPerIteration: Double
    let naiveSecondsPerIteration: Double?
    /// The same iterations in float32, and how far its lower bound ends from float64's (relative).
    let float32SecondsPerIteration: Double?
    let float32LowerBoundGap: Double?
    /// Lower bound after the timed iterations (scripts/bench-peers.py checks the peers reach the same).
    let lowerBound: Double
    let iterations: Int
}

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gmm-bench",
        abstract: "Seconds per EM iteration: LAPACK path vs naive Swift path.")

    @Option(help: "Comma-separated named workloads (W1..W4, S1..S5); empty for none.") var workloads = "W1,W2,W3,W4"
    @Flag(help: "Also run the scaling sweep (N = 1e4..1e7 at D = K = 8; D = 2..128 at N = 1e5, K = 8).") var sweep = false
    @Option(help: "Comma-separated thread counts for the LAPACK path.") var threads = "\(ProcessInfo.processInfo.activeProcessorCount)"
    @Option(help: "Timed LAPACK iterations per workload (the median is reported).") var iterations = 5
    @Option(name: .customLong("naive-iterations"), help: "Timed naive iterations per workload.") var naiveIterations = 1
    @Flag(name: .customLong("no-naive"), help: "Skip the naive path.") var noNaive = false
    @Flag(name: .customLong("no-float32"), help: "Skip the float32 runs.") var noFloat32 = false
    @Option(name: .customLong("write-data"), help: "Folder for the named workloads' .npy data, start models and results.json.")
    var writeData: String?
    @Option(help: "Multiply every N by this (for quick runs).") var scale = 1.0
    @Option(name: .customLong("covariance-types"),
            help: "Also time these covariance types (comma list, e.g. diag,spherical,tied) on the named workloads.")
    var covarianceTypes = ""
    @Flag(help: "Time whole default fits (k-means initialisation included, to convergence) on W2 and W16 instead.")
    var whole = false
    @Flag(help: "Time dense against pruned EM iterations instead: --workloads P (N = 1e6, D = 16, K = 64, separated, overlapping and tight), W1..W4, S1..S5 or NxDxK.")
    var pruning = false
    @Option(help: "With --pruning: the named workloads (W1..W4, S1..S5) at each of these spreads (comma list; 4 overlaps).")
    var spreads = "1"

    func run() throws {
        if whole { return try runWholeFits() }
        if pruning { return try runPruning() }
        let names = Set(workloads.split(separator: ",").map(String.init))
        let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads takes positive integers separated by commas, got '\(threads)'")
        }
        let chosen = (namedWorkloads + otherShapes).filter { names.contains($0.name) } + (sweep ? sweepWorkloads : [])
        let dgemm = Dictionary(uniqueKeysWithValues: threadCounts.map { ($0, dgemmRate(threads: $0)) })
        print("DGEMM (2048 x 2048, OpenBLAS): " + threadCounts.map { "\($0) thread(s) \(format("%.1f", dgemm[$0]!)) GFLOP/s" }
              .joined(separator: ", ") + "\n")
        print("| workload | N | D | K | threads | float64 dense s/iter | GFLOP/s | share of DGEMM | float64 default (pruned) s/iter | "
              + "float32 s/iter | GFLOP/s | float32 lower-bound gap | naive s/iter | speed-up over naive |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        var results: [Measurement] = []
        for base in chosen {
            let w = Workload(name: base.name, rows: max(base.components * 10, Int(Double(base.rows) * scale)),
                             features: base.features, components: base.components)
            let (data, start) = try makeWorkload(w)
            if let folder = writeData, names.contains(w.name) { try write(w, data: data, start: start, to: folder) }
            let naive = noNaive ? nil : try measure(data, start: start, path: .naive, threads: 1, iterations: naiveIterations).seconds
            let singles = noFloat32 ? nil : data.values.map { Float($0) }
            for t in threadCounts {
                let fast = try measure(data, start: start, path: .lapack, threads: t, iterations: iterations, exactDense: true)
                let pruned = try measure(data, start: start, path: .lapack, threads: t, iterations: iterations)
                let single = try singles.map { try measure($0, rows: w.rows, columns: w.features, start: start, threads: t) }
                let m = Measurement(workload: w.name, rows: w.rows, features: w.features, components: w.components,
                                    threads: t, secondsPerIteration: fast.seconds, gflops: w.flops / fast.seconds / 1e9,
                                    dgemmGflops: dgemm[t]!, prunedSecondsPerIteration: pruned.seconds,
                                    naiveSecondsPerIteration: naive,
                                    float32SecondsPerIteration: single?.seconds,
                                    float32LowerBoundGap: single.map { abs($0.lowerBound - fast.lowerBound) / abs(fast.lowerBound) },
                                    lowerBound: fast.lowerBound, iterations: iterations)
                results.append(m)
                let f32 = m.float32SecondsPerIteration
                print("| \(w.name) | \(w.rows) | \(w.features) | \(w.components) | \(t) | \(format("%.4g", m.secondsPerIteration)) | "
                      + "\(format("%.1f", m.gflops)) | \(format("%.0f %%", 100 * m.gflops / m.dgemmGflops)) | "
                      + "\(format("%.4g", m.prunedSecondsPerIteration)) | \(f32.map { format("%.4g", $0) } ?? "-") | "
                      + "\(f32.map { format("%.1f", w.flops / $0 / 1e9) } ?? "-") | "
                      + "\(m.float32LowerBoundGap.map { format("%.1e", $0) } ?? "-") | "
                      + "\(naive.map { format("%.4g", $0) } ?? "-") | "
                      + "\(naive.map { format("%.1fx", $0 / m.secondsPerIteration) } ?? "-") |")
            }
        }
        try timeCovarianceTypes(namedWorkloads.filter { names.contains($0.name) }, threads: threadCounts.max()!)
        if let folder = writeData {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.write(Array(try encoder.encode(results)), to: folder + "/results.json")
        }
    }

    /// A second table: float64 seconds per iteration of each covariance type (dense), on `threads` threads.
    func timeCovarianceTypes(_ workloads: [Workload], threads: Int) throws {
        let types = try covarianceTypes.split(separator: ",").map { name -> CovarianceType in
            guard let type = CovarianceType(rawValue: String(name)) else {
                throw ValidationError("--covariance-types takes full, diag, spherical, tied; got '\(name)'")
            }
            return type
        }
        guard !types.isEmpty else { return }
        print("\n| workload | N | D | K | " + types.map { "\($0.rawValue) s/iter" }.joined(separator: " | ") + " |")
        print("|---|---|---|---|" + String(repeating: "---|", count: types.count))
        for base in workloads {
            let w = Workload(name: base.name, rows: max(base.components * 10, Int(Double(base.rows) * scale)),
                             features: base.features, components: base.components)
            let (data, _) = try makeWorkload(w)
            var cells: [String] = []
            for type in types {
                let start = try GaussianMixture.fit(data, components: w.components, options: FitOptions(
                    maxIterations: 1, initialization: .kMeansPlusPlus, covarianceType: type, seed: 3)).model
                let seconds = try measure(data, start: start, path: .lapack, threads: threads, iterations: iterations,
                                          exactDense: true).seconds
                cells.append(format("%.4g", seconds))
            }
            print("| \(w.name) | \(w.rows) | \(w.features) | \(w.components) | " + cells.joined(separator: " | ") + " |")
        }
    }

    /// Data sampled from a random mixture (means 6σ apart on average), and a common starting
    /// model: one EM iteration from k-means++ seeds, so that no path starts from point masses.
    func makeWorkload(_ w: Workload, spread: Double = 1) throws -> (Matrix, GaussianMixture) {
        let data = try makeData(w, spread: spread)
        let start = try GaussianMixture.fit(data, components: w.components,
            options: FitOptions(maxIterations: 1, initialization: .kMeansPlusPlus, seed: 3)).model
        return (data, start)
    }

    /// The data of ``makeWorkload(_:)`` alone; `spread` multiplies every cluster's standard deviation.
    func makeData(_ w: Workload, spread: Double = 1) throws -> Matrix {
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
                c[i, j] = s * spread * spread
            } }
            return try Matrix(rows: d, columns: d, values: c.values)
        }
        let truth = try GaussianMixture(weights: [Double](repeating: 1 / Double(k), count: k), means: means,
                                        covariances: covariances)
        return truth.sample(count: w.rows, seed: 1).samples
    }

    /// Median seconds per iteration over `iterations` iterations from `start`, and the lower bound reached.
    func measure(_ data: Matrix, start: GaussianMixture, path: ComputePath, threads: Int,
                 iterations: Int, exactDense: Bool = false) throws -> (seconds: Double, lowerBound: Double) {
        let times = TimeLog()
        var options = FitOptions(tolerance: 0, maxIterations: iterations, initialization: .model(start),
                                 covarianceType: start.covarianceType, threads: threads, path: path,
                                 progress: { times.append($0.seconds) })
        options.exactDense = exactDense
        let result = try GaussianMixture.fit(data, components: start.componentCount, options: options)
        let sorted = times.values.sorted()
        return (sorted[sorted.count / 2], result.lowerBound)
    }

    /// As ``measure(_:start:path:threads:iterations:exactDense:)`` for float32 data on the dense LAPACK path.
    func measure(_ values: [Float], rows: Int, columns: Int, start: GaussianMixture,
                 threads: Int) throws -> (seconds: Double, lowerBound: Double) {
        let times = TimeLog()
        var options = FitOptions(tolerance: 0, maxIterations: iterations, initialization: .model(start),
                                 threads: threads, progress: { times.append($0.seconds) })
        options.exactDense = true
        let result = try GaussianMixture.fit(values, rows: rows, columns: columns, components: start.componentCount,
                                             options: options)
        let sorted = times.values.sorted()
        return (sorted[sorted.count / 2], result.lowerBound)
    }

    /// `W.npy` (the data, float64) and `W-start.json` (the starting model) in `folder`.
    func write(_ w: Workload, data: Matrix, start: GaussianMixture, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try OutputFile.write(NPY.encode(shape: [data.rows, data.columns], doubles: data.values), to: "\(folder)/\(w.name).npy")
        try OutputFile.write(Array(ModelFile(model: start).json().utf8), to: "\(folder)/\(w.name)-start.json")
    }
}

func format(_ pattern: String, _ value: Double) -> String { String(format: pattern, value) }

/// Collects per-iteration seconds from the progress callback.
final class TimeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ v: Double) { lock.lock(); storage.append(v); lock.unlock() }
    var values: [Double] { lock.lock(); defer { lock.unlock() }; return storage }
}
