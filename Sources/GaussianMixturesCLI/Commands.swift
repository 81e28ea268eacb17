import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

extension GMM {
    /// `gmm score MODEL.json DATA [--per-sample -o FILE]`
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mean log-likelihood per sample of DATA under MODEL (last line on stdout).")

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Argument(help: "Data file: CSV (or '-') or .npy.") var data: String
        @Flag(name: .customLong("per-sample"), help: "Also write log p(x) for every row (to -o, or to stdout before the mean).")
        var perSample = false
        @Option(name: .shortAndLong, help: "File for the per-sample values (needs --per-sample).") var output: String?
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            if output != nil && !perSample { throw ValidationError("-o is only used with --per-sample") }
        }

        func run() throws {
            try reportingErrors {
                let model = try ModelFile.read(path: model).model
                let table = try readTable(data)
                let values = try table.withUnsafeValues {
                    try model.logLikelihoods(of: $0, rows: table.rows, columns: table.columns, threads: threadOptions.threads)
                }
                let mean = values.reduce(0, +) / Double(values.count)
                if perSample {
                    try writeColumn(doubles: values, to: output)
                }
                try printResult("\(mean)\n")
            }
        }
    }

    /// `gmm predict MODEL.json DATA [--proba] [-o FILE]`
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Most probable component of every row, or with --proba the responsibilities.")

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Argument(help: "Data file: CSV (or '-') or .npy.") var data: String
        @Flag(help: "Write the N x K matrix of posterior probabilities instead of labels.") var proba = false
        @Option(name: .shortAndLong, help: "Output file (.csv, .npy, .json; default stdout).") var output: String?
        @OptionGroup var threadOptions: ThreadOptions

        func run() throws {
            try reportingErrors {
                let model = try ModelFile.read(path: model).model
                let table = try readTable(data)
                try table.withUnsafeValues { values in
                    if proba {
                        try writeMatrix(try model.predictProbabilities(values, rows: table.rows, columns: table.columns,
                                                                       threads: threadOptions.threads), to: output)
                    } else {
                        try writeColumn(integers: try model.predict(values, rows: table.rows, columns: table.columns,
                                                                    threads: threadOptions.threads), to: output)
                    }
                }
            }
        }
    }

    /// `gmm sample MODEL.json --count N [--seed S] [-o FILE]`
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw rows from MODEL; the last column is the component each row came from.")

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Option(help: "Number of rows to draw.") var count: Int
        @Option(help: "Seed; the same seed gives the same rows.") var seed: UInt64 = 0
        @Flag(name: .customLong("without-component"), help: "Leave out the component column (data ready to fit).")
        var withoutComponent = false
        @Option(name: .shortAndLong, help: "Output file (.csv, .npy, .json; default stdout).") var output: String?

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        }

        func run() throws {
            try reportingErrors {
                let model = try ModelFile.read(path: model).model
                let (samples, components) = model.sample(count: count, seed: seed)
                let d = model.featureCount
                var header = (1...d).map { "x\($0)" }
                var out = samples
                if !withoutComponent {
                    header.append("component")
                    out = Matrix(zeros: count, d + 1)
                    for n in 0..<count {
                        for j in 0..<d { out[n, j] = samples[n, j] }
                        out[n, d] = Double(components[n])
                    }
                }
                try writeMatrix(out, header: header, to: output)
            }
        }
    }

    /// `gmm info MODEL.json`
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the summary table of a saved model.")

        @Argument(help: "Model file written by `gmm fit`.") var model: String

        func run() throws {
            try reportingErrors {
                let file = try ModelFile.read(path: model)
                var text = summary(of: file.model) + "\n"
                if let converged = file.converged, let iterations = file.iterations {
                    text += "\(converged ? "converged" : "did not converge") after \(iterations) iterations"
                        + (file.lowerBound.map { String(format: "; lower bound %.10g", $0) } ?? "") + "\n"
                }
                try printResult(text)
            }
        }
    }
}
