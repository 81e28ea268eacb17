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

        @Argument(help: "Data file: CSV (or '-' for stdin) or .npy; or a quoted glob ('parts/*.npy'): the files' rows in the order of their sorted paths.")
        var data: String?

        @Option(name: .customLong("files-from"),
                help: "A file listing the data files, one path a line (relative to the current folder), read in that order; DATA is then left out.")
        var filesFrom: String?

        @Option(name: .long, parsing: .unconditional, help: "Number of mixture components K.")
        var components: Int

        @Option(name: .customLong("covariance-type"),
                help: "full, diag, spherical or tied (default: full, or the --init-model's type).")
        var covarianceType: CovarianceType?

        @OptionGroup var em: EMOptions

        @Option(name: .customLong("init-model"),
                help: "Start EM from this model file (a warm start: the first change is measured against its lower_bound).")
        var initModel: String?

        @Option(name: .customLong("init-means"), help: "Starting means: K rows of D values (CSV or .npy); the rest as --init makes it.")
        var initMeans: String?

        @Option(name: .customLong("init-weights"), help: "Starting weights: K values summing to 1 (one CSV column or row, or .npy).")
        var initWeights: String?

        @Option(name: .customLong("init-precisions"),
                help: "Starting precisions (inverse covariances), CSV or .npy: full K·D rows of D, diag K x D, spherical K values, tied D x D.")
        var initPrecisions: String?

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
            try validateDataInputs(data, filesFrom)
            try validateStandardInput([("DATA", data), ("--files-from", filesFrom), ("--sample-weight", em.sampleWeight),
                                       ("--init-model", initModel), ("--init-means", initMeans),
                                       ("--init-weights", initWeights), ("--init-precisions", initPrecisions)])
            guard components >= 1 else { throw ValidationError("--components must be at least 1, got \(components)") }
            guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose cannot be used together") }
            if initModel != nil, let part = [("--init-means", initMeans), ("--init-weights", initWeights),
                                             ("--init-precisions", initPrecisions)].first(where: { $0.1 != nil }) {
                throw ValidationError("--init-model gives the weights, means and covariances; leave out \(part.0) "
                                      + "or start from parts alone")
            }
        }

        func run() throws {
            try reportingErrors {
                if Cluster.isLeader {
                    try OutputFile.check(output, inputs: [data, filesFrom, initModel, initMeans, initWeights, initPrecisions, em.sampleWeight])
                }
                try validateModelOutput(output)
                let table = try readDataBlock(dataFiles(data, filesFrom: filesFrom), precision: precision)
                if !quiet { table.warnings.forEach { printStderr("gmm: warning: " + $0) } }
                try Memory.checkFit(components: components, features: table.columns, rows: table.rows)
                let weights = try em.sampleWeights(of: table)
                var options = em.options(threads: threadOptions.threads)
                options.reducer = Cluster.reducer
                options.covarianceType = covarianceType ?? .full
                if let initModel {
                    let start = try ModelFile.read(path: initModel).model
                    guard start.componentCount == components, start.featureCount == table.columns else {
                        throw DataFileError.format(path: initModel, message:
                            "the start model has \(start.componentCount) components and \(start.featureCount) features, but the fit "
                            + "asks for \(components) components on the \(table.columns) columns of \(table.path); "
                            + (start.featureCount == table.columns ? "give --components \(start.componentCount) or another start model"
                               : "start from a model fitted on data with \(table.columns) columns"))
                    }
                    options.initialization = .model(start)
                    options.covarianceType = covarianceType ?? start.covarianceType
                }
                let k = components, d = table.columns, type = options.covarianceType
                options.initialMeans = try initMeans.map { try readInitialMeans($0, components: k, features: d) }
                options.initialWeights = try initWeights.map { try readInitialWeights($0, components: k) }
                options.initialPrecisions = try initPrecisions.map {
                    try readInitialPrecisions($0, components: k, features: d, type: type)
                }
                let showProgress = verbose || (!quiet && isatty(STDERR_FILENO) != 0)
                if showProgress {
                    options.progress = { p in
                        printStderr(String(format: "restart %d  iteration %4d  lower bound %.10g  change %.3e  %.3f s  pairs evaluated %.1f %%",
                                           p.restart, p.iteration, p.lowerBound, p.change, p.seconds, 100 * p.evaluatedShare))
                    }
                }
                if let delay = ProcessInfo.processInfo.environment["GMM_TEST_ITERATION_DELAY"].flatMap(Double.init), delay > 0 {
                    // For the tests of a process killed mid-fit: each iteration lasts at least `delay` seconds.
                    let report = options.progress
                    options.progress = { p in
                        report?(p)
                        usleep(UInt32(min(delay, 60) * 1e6))
                    }
                }
                let result = try em.namingWeightFile {
                    try namingStartFiles { try fit(table, components: components, sampleWeights: weights, options: options) }
                }
                if Cluster.isLeader { try writeOutput(Array(ModelFile(result).json().utf8), to: output) }
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
    @Option(name: .customLong("max-iter"), parsing: .unconditional, help: "EM iterations per restart at most.")
    var maxIter: Int = 100

    @Option(name: .customLong("tol"), parsing: .unconditional, help: "Stop when the mean log-likelihood per sample changes by less than this.")
    var tolerance: Double = 1e-3

    @Option(name: .customLong("reg-covar"), parsing: .unconditional, help: "Added to every covariance diagonal.")
    var regCovar: Double = 1e-6

    @Option(name: .customLong("n-init"), parsing: .unconditional, help: "Restarts; the best lower bound wins.")
    var nInit: Int = 1

    @Option(name: .customLong("init"), help: "Initialisation: kmeans, k-means++, random, random-from-data.")
    var initialization: InitArgument = .kmeans

    @Option(name: .customLong("sample-weight"),
            help: "One non-negative weight per row of DATA: a CSV (one column, optional header) or .npy file, or a quoted glob of them (one per data file, in the same sorted order).")
    var sampleWeight: String?

    @Option(parsing: .unconditional, help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("reseed-empty"),
          help: "Move a component that loses all its points onto the row the model explains worst (reported on stderr).")
    var reseedEmpty = false

    @Flag(name: .customLong("exact-dense"),
          help: "Evaluate every (row, component) pair in every E-step: no pruned responsibilities (for comparison; same model to rounding).")
    var exactDense = false

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
        options.exactDense = exactDense
        return options
    }

    /// Runs `body`, naming the `--sample-weight` file in the engine's complaint about a weight.
    func namingWeightFile<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch GaussianMixtureError.invalidSampleWeights(let message) {
            guard let sampleWeight else { throw GaussianMixtureError.invalidSampleWeights(message) }
            throw DataFileError.format(path: sampleWeight, message: "invalid sample weights: " + message)
        }
    }

    /// The `--sample-weight` file's weights for a data set of `rows` rows, or nil.
    func sampleWeights(rows: Int, dataPath: String) throws -> [Double]? {
        guard let sampleWeight else { return nil }
        let files = try dataFiles(sampleWeight)
        guard files.count > 1 else { return try readSampleWeights(sampleWeight, rows: rows, dataPath: dataPath) }
        // Several weight files (a glob): their values one after the other, as the data files' rows.
        var all: [Double] = []
        for file in files {
            let table = try readTable(file)
            guard table.columns == 1 else {
                throw DataFileError.format(path: table.path, message:
                    "sample weights must be one column, found \(table.columns) columns")
            }
            all += table.withUnsafeValues { Array($0) }
        }
        guard all.count == rows else {
            throw weightCountError(sampleWeight, files: files.count, weights: all.count, rows: rows, dataPath: dataPath)
        }
        return all
    }

    /// The `--sample-weight` file's weights for the rows of `table`, which may be one block of
    /// its file's rows (under MPI): the files must hold one weight per row of the whole data
    /// set, and only the block's are read (a CSV weight file is parsed whole, as data are).
    func sampleWeights(of table: DataTable) throws -> [Double]? {
        guard let sampleWeight else { return nil }
        guard Cluster.isDistributed else { return try sampleWeights(rows: table.fileRows, dataPath: table.path) }
        let files = try dataFiles(sampleWeight)
        guard !files.contains("-") else {
            throw DataFileError.io(path: "<stdin>", reason: "under mpirun every process reads its own sample weights: give a file, not standard input")
        }
        let block = try readRows(files, precision: .float64, lean: true) { total in
            agreeOnWeights(count: total, files: files, option: sampleWeight)
            guard total == table.fileRows else {
                throw weightCountError(sampleWeight, files: files.count, weights: total, rows: table.fileRows, dataPath: table.path)
            }
            return table.firstRow..<(table.firstRow + table.rows)
        }
        guard block.columns == 1 else {
            throw DataFileError.format(path: block.path, message:
                "sample weights must be one column (one value per row of \(table.path)), found \(block.columns) columns")
        }
        return block.withUnsafeValues { Array($0) }
    }
}

extension GMM.Fit {
    /// Runs `body`, naming the file of a partial start that the engine finds wrong (the engine
    /// says which part, which component and what; the file is the user's to fix).
    func namingStartFiles<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch GaussianMixtureError.invalidStart(let part, let message) {
            let file: String?
            switch part {
            case .weights: file = initWeights
            case .means: file = initMeans
            case .precisions: file = initPrecisions
            }
            guard let file else { throw GaussianMixtureError.invalidStart(part, message) }
            throw DataFileError.format(path: file, message: message)
        }
    }
}

/// Fits the table in its own precision (float32 tables without a copy). A float32 fit whose
/// covariance loses positive definiteness says that float64 may succeed: its sums round at
/// about 1e-7 of the data's squares, which can swamp `reg_covar` where float64's do not (a
/// component on a few outliers a thousand times the data's scale, say).
func fit(_ table: DataTable, components: Int, sampleWeights: [Double]?, options: FitOptions) throws -> FitResult {
    try table.withUnsafeSingleValues { single in
        if let single {
            do {
                return try withWeights(sampleWeights) { weights in
                    try GaussianMixture.fit(single, rows: table.rows, columns: table.columns, components: components,
                                            sampleWeights: weights, options: options)
                }
            } catch let error as GaussianMixtureError {
                guard case .covarianceNotPositiveDefinite = error else { throw error }
                throw HintedError(error, hint: "in float32 the covariance sums round at about 1e-7 of the data's "
                                  + "squares: fitting in float64 (--precision float64) may succeed")
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
