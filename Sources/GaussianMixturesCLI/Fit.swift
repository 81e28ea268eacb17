import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

extension GMM {
    /// `gmm fit DATA --components K ...`
    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a Gaussian mixture to DATA by EM and write the model as JSON.",
            discussion: "Without -o the model goes to stdout; a summary goes to stderr unless --quiet.")

        @Argument(help: "Data file: CSV (or '-' for stdin) or .npy.")
        var data: String

        @Option(name: .long, help: "Number of mixture components K.")
        var components: Int

        @Option(name: .customLong("covariance-type"),
                help: "full, diag, spherical or tied (default: full, or the --init-model's type).")
        var covarianceType: CovarianceType?

        @OptionGroup var em: EMOptions

        @Option(name: .customLong("init-model"), help: "Start EM from the weights, means and covariances in this model file.")
        var initModel: String?

        @Option(help: "float64, or float32: half the memory and about twice the speed; the lower bound within about 1e-6 relative.")
        var precision: Precision = .float64

        @OptionGroup var threadOptions: ThreadOptions

        @Option(name: .shortAndLong, help: "Write the model JSON here (default: stdout).")
        var output: String?

        @Flag(help: "Print nothing on stderr unless there is an error.")
        var quiet = false

        @Flag(help: "Print one line per EM iteration on stderr.")
        var verbose = false

        func validate() throws {
            guard components >= 1 else { throw ValidationError("--components must be at least 1, got \(components)") }
            guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose cannot be used together") }
        }

        func run() throws {
            try reportingErrors {
                try OutputFile.check(output, inputs: [data, initModel, em.sampleWeight])
                let table = try DataTable.read(path: data, precision: precision)
                if !quiet { table.warnings.forEach { printStderr("gmm: warning: " + $0) } }
                let weights = try em.sampleWeights(rows: table.rows, dataPath: table.path)
                var options = em.options(threads: threadOptions.threads)
                options.covarianceType = covarianceType ?? .full
                if let initModel {
                    let start = try ModelFile.read(path: initModel).model
                    options.initialization = .model(start)
                    options.covarianceType = covarianceType ?? start.covarianceType
                }
                let showProgress = verbose || (!quiet && isatty(STDERR_FILENO) != 0)
                if showProgress {
                    options.progress = { p in
                        printStderr(String(format: "restart %d  iteration %4d  lower bound %.10g  change %.3e  %.3f s",
                                           p.restart, p.iteration, p.lowerBound, p.change, p.seconds))
                    }
                }
                let result = try fit(table, components: components, sampleWeights: weights, options: options)
                try OutputFile.write(Array(ModelFile(result).json().utf8), to: output ?? "-")
                if !quiet {
                    for r in result.reseeds {
                        printStderr("gmm: re-seeded component \(r.component) after iteration \(r.iteration) of restart \(r.restart): "
                                    + "it had lost all its points; moved onto row \(r.row + 1), the row the model explained worst")
                    }
                    printStderr(summary(of: result.model))
                    let state = result.converged ? "converged" : "did not converge"
                    printStderr("\(state) after \(result.iterations) iterations; "
                                + String(format: "lower bound %.10g; %.3f s", result.lowerBound, result.seconds))
                    if !result.converged && em.maxIter > 0 {
                        let last = result.lowerBoundHistory.count >= 2
                            ? abs(result.lowerBoundHistory[result.lowerBoundHistory.count - 1] - result.lowerBoundHistory[result.lowerBoundHistory.count - 2])
                            : Double.infinity
                        printStderr(String(format: "gmm: warning: restart %d (the best) did not converge in %d iterations: the last change was %.3g, above --tol %.3g; raise --max-iter or --tol",
                                           result.bestRestart, result.iterations, last, em.tolerance))
                    }
                }
            }
        }
    }
}

/// The EM options `fit` and `select` share, with scikit-learn's names and defaults.
struct EMOptions: ParsableArguments {
    @Option(name: .customLong("max-iter"), help: "EM iterations per restart at most.")
    var maxIter: Int = 100

    @Option(name: .customLong("tol"), help: "Stop when the mean log-likelihood per sample changes by less than this.")
    var tolerance: Double = 1e-3

    @Option(name: .customLong("reg-covar"), help: "Added to every covariance diagonal.")
    var regCovar: Double = 1e-6

    @Option(name: .customLong("n-init"), help: "Restarts; the best lower bound wins.")
    var nInit: Int = 1

    @Option(name: .customLong("init"), help: "Initialisation: kmeans, k-means++, random, random-from-data.")
    var initialization: InitArgument = .kmeans

    @Option(name: .customLong("sample-weight"),
            help: "One non-negative weight per row of DATA: a CSV (one column, optional header) or .npy file.")
    var sampleWeight: String?

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("reseed-empty"),
          help: "Move a component that loses all its points onto the row the model explains worst (reported on stderr).")
    var reseedEmpty = false

    func validate() throws {
        guard maxIter >= 0 else { throw ValidationError("--max-iter must be at least 0, got \(maxIter)") }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tol must be a finite number >= 0, got \(tolerance)") }
        guard regCovar >= 0, regCovar.isFinite else { throw ValidationError("--reg-covar must be a finite number >= 0, got \(regCovar)") }
        guard nInit >= 1 else { throw ValidationError("--n-init must be at least 1, got \(nInit)") }
    }

    func options(threads: Int) -> FitOptions {
        var options = FitOptions(tolerance: tolerance, regularization: regCovar, maxIterations: maxIter, restarts: nInit,
                                 initialization: initialization.initialization, seed: seed, threads: threads)
        options.reseedEmptyComponents = reseedEmpty
        return options
    }

    /// The `--sample-weight` file's weights for a data set of `rows` rows, or nil.
    func sampleWeights(rows: Int, dataPath: String) throws -> [Double]? {
        try sampleWeight.map { try readSampleWeights($0, rows: rows, dataPath: dataPath) }
    }
}

/// Fits the table in its own precision (float32 tables without a copy).
func fit(_ table: DataTable, components: Int, sampleWeights: [Double]?, options: FitOptions) throws -> FitResult {
    try table.withUnsafeSingleValues { single in
        if let single {
            return try withWeights(sampleWeights) { weights in
                try GaussianMixture.fit(single, rows: table.rows, columns: table.columns, components: components,
                                        sampleWeights: weights, options: options)
            }
        }
        return try table.withUnsafeValues { values in
            try withWeights(sampleWeights) { weights in
                try GaussianMixture.fit(values, rows: table.rows, columns: table.columns, components: components,
                                        sampleWeights: weights, options: options)
            }
        }
    }
}

/// Calls `body` with a buffer over `weights`, or nil.
func withWeights<R>(_ weights: [Double]?, _ body: (UnsafeBufferPointer<Double>?) throws -> R) rethrows -> R {
    guard let weights else { return try body(nil) }
    return try weights.withUnsafeBufferPointer { try body($0) }
}

/// Reads `--sample-weight`: one column (or a 1-D .npy) with one value per data row.
/// - Throws: ``DataFileError/format(path:message:)`` naming the file for a wrong shape or count,
///   and the reader's errors (a non-number, NaN) with their line.
func readSampleWeights(_ path: String, rows: Int, dataPath: String) throws -> [Double] {
    let table = try DataTable.read(path: path)
    guard table.columns == 1 else {
        throw DataFileError.format(path: table.path, message:
            "sample weights must be one column (one value per row of \(dataPath)), found \(table.columns) columns")
    }
    guard table.rows == rows else {
        throw DataFileError.format(path: table.path, message:
            "\(table.rows) sample weights for the \(rows) rows of \(dataPath); give one weight per row")
    }
    return table.withUnsafeValues { Array($0) }
}

/// `--init` values, spelled as in scikit-learn.
enum InitArgument: String, ExpressibleByArgument, CaseIterable {
    case kmeans
    case kmeansPlusPlus = "k-means++"
    case random
    case randomFromData = "random-from-data"

    var initialization: Initialization {
        switch self {
        case .kmeans: return .kMeans
        case .kmeansPlusPlus: return .kMeansPlusPlus
        case .random: return .randomResponsibilities
        case .randomFromData: return .randomFromData
        }
    }
}

extension Precision: ExpressibleByArgument {}

extension CovarianceType: ExpressibleByArgument {}
