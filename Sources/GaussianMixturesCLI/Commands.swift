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
        @Argument(help: "Data file: CSV (or '-') or .npy, or a quoted glob of them (rows in the order of the sorted paths).") var data: String?
        @Option(name: .customLong("files-from"), help: "A file listing the data files, one path a line, read in that order; DATA is then left out.")
        var filesFrom: String?
        @Flag(name: .customLong("per-sample"), help: "Also write log p(x) for every row (to -o, or to stdout before the mean).")
        var perSample = false
        @Option(name: .shortAndLong, help: "File for the per-sample values (needs --per-sample).") var output: String?
        @OptionGroup var threadOptions: ThreadOptions
        @Option(help: "float64, or float32 (a float32 .npy is read as it is, without a float64 copy).")
        var precision: Precision = .float64

        func validate() throws {
            if output != nil && !perSample { throw ValidationError("-o is only used with --per-sample") }
            try validateDataInputs(data, filesFrom)
            try validateStandardInput([("MODEL", model), ("DATA", data), ("--files-from", filesFrom)])
        }

        func run() throws {
            try reportingErrors {
                if Cluster.isLeader { try OutputFile.check(output, inputs: [model, data, filesFrom]) }
                let model = try ModelFile.read(path: model).model
                // Under mpirun each process scores its block of the rows; the mean is over all of them.
                let table = try readDataBlock(dataFiles(data, filesFrom: filesFrom), precision: precision)
                table.warnings.forEach { printStderr("gmm: warning: " + $0) }
                try checkColumns(table, model: model, modelPath: self.model)
                let values = table.rows == 0 ? [] : try table.withValues {
                    try model.logLikelihoods(of: $0, rows: table.rows, columns: table.columns, threads: threadOptions.threads)
                }
                // The sum in the fixed chunk tree over the global rows: the same bits on any number of processes.
                var count = [Double(values.count)]
                Cluster.reducer.sum(&count)
                let mean = values.withUnsafeBufferPointer { Cluster.reducer.sumOfRows($0) } / count[0]
                if perSample {
                    // Under mpirun rank 0 receives every process's values, in row order, and writes them.
                    var all: [Double] = []
                    try Cluster.forEachPart(values) { all += $0 }
                    if let output, output != "-" {
                        // Into a file: the mean on stdout first, so that a failing stdout leaves no file.
                        try printResult("\(mean)\n")
                        return try writeColumn(doubles: all, to: output)
                    }
                    try writeColumn(doubles: all, to: output)
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
        @Argument(help: "Data file: CSV (or '-') or .npy, or a quoted glob of them (rows in the order of the sorted paths).") var data: String?
        @Option(name: .customLong("files-from"), help: "A file listing the data files, one path a line, read in that order; DATA is then left out.")
        var filesFrom: String?
        @Flag(help: "Write the N x K matrix of posterior probabilities instead of labels.") var proba = false
        @Option(name: .shortAndLong, help: "Output file (.csv, .npy, .json; default stdout).") var output: String?
        @OptionGroup var threadOptions: ThreadOptions
        @Option(help: "float64, or float32 (a float32 .npy is read as it is, without a float64 copy).")
        var precision: Precision = .float64

        func validate() throws {
            try validateDataInputs(data, filesFrom)
            try validateStandardInput([("MODEL", model), ("DATA", data), ("--files-from", filesFrom)])
        }

        func run() throws {
            try reportingErrors {
                if Cluster.isLeader { try OutputFile.check(output, inputs: [model, data, filesFrom]) }
                let model = try ModelFile.read(path: model).model
                // Under mpirun each process predicts its block of the rows and rank 0 writes them all, in row order.
                let table = try readDataBlock(dataFiles(data, filesFrom: filesFrom), precision: precision)
                table.warnings.forEach { printStderr("gmm: warning: " + $0) }
                try checkColumns(table, model: model, modelPath: self.model)
                let k = model.componentCount, d = table.columns, rows = table.rows
                let step = chunkRows(components: k)
                let distributed = Cluster.isDistributed
                var stream: MatrixStream?
                var labels: [Int] = []
                var probabilities: [Double] = []  // this process's, under mpirun
                // Chunk by chunk: one process's N x K responsibilities are never held whole outside mpirun.
                try table.withValues { values in
                    guard d == model.featureCount else {
                        _ = try model.predict(values, rows: rows, columns: d, threads: threadOptions.threads)  // throws the shape error
                        return
                    }
                    if proba && Cluster.isLeader { stream = try MatrixStream(rows: table.fileRows, columns: k, to: output) }
                    guard rows > 0 else { return }  // a process with no rows
                    labels.reserveCapacity(proba ? 0 : rows)
                    for start in stride(from: 0, to: rows, by: step) {
                        let count = min(step, rows - start)
                        let chunk = values.rows(start..<(start + count), columns: d)
                        if proba {
                            let part = try model.predictProbabilities(chunk, rows: count, columns: d, threads: threadOptions.threads)
                            if distributed { probabilities += part.values } else { try stream?.append(part) }
                        } else {
                            labels += try model.predict(chunk, rows: count, columns: d, threads: threadOptions.threads)
                        }
                    }
                }
                if distributed {
                    var all: [Int] = []
                    try Cluster.forEachPart(proba ? probabilities : labels.map(Double.init)) { part in
                        if proba {
                            if !part.isEmpty { try stream?.append(try Matrix(rows: part.count / k, columns: k, values: part)) }
                        } else {
                            all += part.map { Int($0) }
                        }
                    }
                    labels = all
                }
                guard Cluster.isLeader else { return }
                if let stream { try stream.finish() } else { try writeColumn(integers: labels, to: output) }
            }
        }
    }

    /// `gmm sample MODEL.json --count N [--seed S] [-o FILE]`
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw rows from MODEL; the last column is the component each row came from.")

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Option(parsing: .unconditional, help: "Number of rows to draw.") var count: Int
        @Option(parsing: .unconditional, help: "Seed; the same seed gives the same rows.") var seed: UInt64 = 0
        @Flag(name: .customLong("without-component"), help: "Leave out the component column (data ready to fit).")
        var withoutComponent = false
        @Option(name: .shortAndLong, help: "Output file (.csv, .npy, .json; default stdout).") var output: String?

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        }

        func run() throws {
            try reportingErrors {
                guard Cluster.isLeader else { return }  // under mpirun, one process draws the sample
                try OutputFile.check(output, inputs: [model])
                let model = try ModelFile.read(path: model).model
                let d = model.featureCount
                // The rows twice (drawn, then with their component) and about 25 bytes of text per value.
                let needed = Memory.product(count, d + 1, 8 + 8 + 25)
                guard Memory.fits(needed) else {
                    let perRow = MachineMemory.bytes / ((d + 1) * 41)
                    throw GaussianMixtureError.invalidOption(
                        "--count \(count) rows of \(d + 1) values would need \(needed == nil ? "" : "about ")\(MachineMemory.describe(needed)) "
                        + "of memory; "
                        + "this machine has \(MachineMemory.describe(MachineMemory.bytes)). Draw at most about \(perRow / 2) rows per run "
                        + "(several runs with different --seed give different rows)")
                }
                let (samples, components) = model.sample(count: count, seed: seed)
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
                guard Cluster.isLeader else { return }  // under mpirun, one process prints
                // Read without expanding diag or spherical variances to D x D (the table shows
                // covariances only for D <= 4, where they are small).
                let file = try ModelFile.readSummary(path: model)
                let covariances = file.means.columns <= 4 ? try ModelFile.read(path: model).model.covariances : nil
                var text = summary(type: file.covarianceType, weights: file.weights, means: file.means,
                                   covariances: covariances) + "\n"
                if let converged = file.converged, let iterations = file.iterations {
                    text += "\(converged ? "converged" : "did not converge") after \(iterations) iterations"
                        + (file.lowerBound.map { String(format: "; lower bound %.10g", $0) } ?? "") + "\n"
                }
                try printResult(text)
            }
        }
    }
}

/// Refuses data whose column count is not the model's feature count, naming both files.
func checkColumns(_ table: DataTable, model: GaussianMixture, modelPath: String) throws {
    guard table.columns == model.featureCount else {
        throw DataFileError.format(path: table.path, message:
            "\(table.columns) column\(table.columns == 1 ? "" : "s"), but the model \(modelPath) has \(model.featureCount) "
            + "feature\(model.featureCount == 1 ? "" : "s"); "
            + "score and predict data with the columns the model was fitted on")
    }
}
