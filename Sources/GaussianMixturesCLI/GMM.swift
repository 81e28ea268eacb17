import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// The `gmm` command: fit, score, predict, sample and inspect Gaussian mixture models on
/// CSV and NPY files, with a JSON model file.
public struct GMM: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gmm",
        abstract: "Fit Gaussian mixture models by EM (LAPACK/OpenBLAS) and use them.",
        discussion: """
            Data files: CSV (comma-separated numbers, optional header line, '-' for stdin) or
            .npy (float64/float32, C order, memory-mapped). Outputs follow the extension of -o
            (.csv, .npy, .json); without -o they go to stdout as CSV.
            Exit codes: 64 usage, 65 bad data or model, 74 I/O.
            """,
        version: "0.1.0",
        subcommands: [Fit.self, Select.self, Score.self, Predict.self, Sample.self, Info.self, Plot.self]
    )

    public init() {}

    /// Runs the command line of this process, after making the standard streams safe to use
    /// (see ``StandardStreams/prepare()``). Help and the version go to stdout; a usage error
    /// is `gmm: error: ...` on stderr, then the usage, and exit 64. Under `mpirun` (the `MPI`
    /// trait) MPI starts first and ends last; rank 0 alone prints, and a failure stops every
    /// process with its exit code (``Cluster/fail(_:code:ownData:namingRank:)``). Before the
    /// command runs, the processes check that they run the same subcommand with the same
    /// options (``agreeOnOptions(_:)``).
    public static func main() {
        StandardStreams.prepare()
        OutputFile.guardSignals()
        Cluster.start()
        var agreed = false
        do {
            var command = try parseAsRoot()
            agreeOnOptions(command)
            agreed = true
            try command.run()
            Cluster.finish()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            // A command line that asks for help or cannot be parsed still meets the others' options.
            if !agreed { agreeOnUnparsedCommandLine(failed: code != .success, message: message) }
            if code != .success && Cluster.isDistributed {
                let text = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
                Cluster.fail(text, code: code.rawValue, ownData: false)
            }
            Cluster.finish()
            if code == .success, !Cluster.isLeader {
                Foundation.exit(0)
            } else if code == .success {
                do {
                    if !message.isEmpty { try StandardStreams.writeResults(Array((message + "\n").utf8)) }
                } catch {
                    printError("\(error)")
                    Foundation.exit(74)
                }
            } else if !message.isEmpty {
                let text = message.hasPrefix("Error: ") ? "gmm: error: " + message.dropFirst("Error: ".count) : message
                StandardStreams.writeDiagnostic(text + "\n")
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// Under `mpirun`, stops every process (exit 64, one message naming the option and the ranks)
/// unless all run the same subcommand with the same options that shape the collectives or the
/// result (``AgreedOptions``): the first exchange of every subcommand, the same call on every
/// process whatever its subcommand. Nothing on one process.
func agreeOnOptions(_ command: ParsableCommand) {
    Cluster.agree("options", {
        var agreement = OptionAgreement(command: type(of: command)._commandName)
        (command as? AgreedOptions)?.agreeing(&agreement)
        return agreement.facts
    }(), code: 64, advice: "every process must run the same command")
}

/// ``agreeOnOptions(_:)`` for a process whose command line gave help or the version
/// (`failed` false) or an error `message`: it meets the others' exchange, so that a process
/// that cannot parse what the others can (another version of `gmm`) stops the job at once.
func agreeOnUnparsedCommandLine(failed: Bool, message: String) {
    Cluster.agree("options", {
        var line = message.split(separator: "\n").first.map(String.init) ?? ""
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return [failed ? Cluster.Fact(value: "command line error", phrase: "cannot parse its command line (\(line))")
                       : Cluster.Fact(value: "command line help", phrase: "asks for help or the version")]
    }(), code: 64, advice: "every process must run the same command")
}

// Numeric options parse their next argument unconditionally, so that `--tol -1` is the value
// -1 (and gets the option's range error) rather than an unknown flag `-1`.

/// Options every data-reading subcommand shares.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads (default: the number of cores). Results do not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

/// A fitting error (exit 65) with one more sentence on what to try, known only to the command
/// (the precision it asked for, say).
struct HintedError: Error, CustomStringConvertible {
    let error: GaussianMixtureError
    let hint: String

    init(_ error: GaussianMixtureError, hint: String) {
        self.error = error
        self.hint = hint
    }

    var description: String { "\(error); \(hint)" }
}

/// Runs `body`, turning our errors into one line on stderr and the conventional exit code:
/// 64 for a usage error, 65 for bad data or a model that cannot be fitted, 74 for I/O.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as DataFileError {
        // Under MPI a bad value in an .npy file (no line number) lies in this process's own block of
        // rows: it reports it at once. Others (a missing file, a CSV that every process parses
        // whole) every process may meet alike: rank 0 reports them.
        if Cluster.isDistributed {
            var ownBlock = false
            if case .nonFinite(_, _, _, nil, _) = error { ownBlock = true }
            Cluster.fail("\(error)", code: error.category.exitCode, ownData: ownBlock)
        }
        printError("\(error)")
        throw ExitCode(error.category.exitCode)
    } catch let error as HintedError {
        if Cluster.isDistributed { Cluster.fail("\(error)", code: 65, ownData: false) }
        printError("\(error)")
        throw ExitCode(65)
    } catch let error as GaussianMixtureError {
        if Cluster.isDistributed {
            let code: Int32 = { if case .invalidOption = error { return 64 } else { return 65 } }()
            Cluster.fail("\(error)", code: code, ownData: false)
        }
        printError("\(error)")
        if case .invalidOption = error { throw ExitCode(64) }
        throw ExitCode(65)
    }
}

/// One error line on stderr (dropped when stderr cannot be written: the exit code says it).
func printError(_ message: String) {
    StandardStreams.writeDiagnostic("gmm: error: \(message)\n")
}

/// One line of progress or summary on stderr (dropped when stderr cannot be written); under
/// MPI, rank 0's alone.
func printStderr(_ message: String) {
    guard Cluster.isLeader else { return }
    StandardStreams.writeDiagnostic(message + "\n")
}

/// The output kind chosen by a file's extension; stdout (`nil` or `-`) is CSV.
enum OutputFormat {
    case csv, npy, json

    init(path: String?) {
        let lower = (path ?? "-").lowercased()
        if lower.hasSuffix(".npy") { self = .npy } else if lower.hasSuffix(".json") { self = .json } else { self = .csv }
    }
}

/// Writes a matrix (with optional CSV header) to `path` (stdout when nil) in the format of its extension.
func writeMatrix(_ matrix: Matrix, header: [String]? = nil, to path: String?) throws {
    let bytes: [UInt8]
    switch OutputFormat(path: path) {
    case .csv: bytes = Array(CSV.format(matrix, header: header).utf8)
    case .npy: bytes = NPY.encode(shape: [matrix.rows, matrix.columns], doubles: matrix.values)
    case .json: bytes = Array(("[\n" + matrix.rowArrays.map { "  [" + $0.map(jsonNumber).joined(separator: ", ") + "]" }
            .joined(separator: ",\n") + "\n]\n").utf8)
    }
    try writeOutput(bytes, to: path)
}

/// Writes one value per row.
func writeColumn(doubles: [Double]? = nil, integers: [Int]? = nil, to path: String?) throws {
    let text = doubles?.map { "\($0)" } ?? integers?.map { "\($0)" } ?? []
    let bytes: [UInt8]
    switch OutputFormat(path: path) {
    case .csv: bytes = Array(text.map { $0 + "\n" }.joined().utf8)
    case .npy: bytes = NPY.encode(shape: [text.count], doubles: doubles, integers: integers)
    case .json:
        let numbers = doubles?.map(jsonNumber) ?? text
        bytes = Array(("[" + numbers.joined(separator: ", ") + "]\n").utf8)
    }
    try writeOutput(bytes, to: path)
}

/// A double as a JSON value: JSON has no infinity or NaN, so those are `null` (a row too far
/// from every component for a finite log-likelihood, whose `log p(x)` is -inf in CSV and NPY).
func jsonNumber(_ value: Double) -> String {
    value.isFinite ? "\(value)" : "null"
}

/// The model summary: a table of components, and for D <= 4 their covariances.
func summary(of model: GaussianMixture) -> String {
    summary(type: model.covarianceType, weights: model.weights, means: model.means, covariances: model.covariances)
}

/// The summary table from the parameters; `covariances` (full matrices) are shown for D <= 4.
func summary(type: CovarianceType, weights: [Double], means: Matrix, covariances: [Matrix]?) -> String {
    let d = means.columns
    func format(_ v: Double) -> String { String(format: "%.6g", v) }
    var lines = ["\(weights.count) components, \(d) features, \(type.rawValue) covariances",
                 "component  weight      mean"]
    for c in 0..<weights.count {
        let mean = means.row(c).map(format).joined(separator: ", ")
        lines.append(padded("\(c)", 11) + padded(format(weights[c]), 12) + "[\(mean)]")
        if d <= 4, let covariances {
            for (i, row) in covariances[c].rowArrays.enumerated() {
                lines.append(padded(i == 0 ? "           covariance" : "", 23) + "[" + row.map(format).joined(separator: ", ") + "]")
            }
        }
    }
    return lines.joined(separator: "\n")
}

func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
