import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO

extension GMM {
    /// `gmm select DATA --components 1...10 --covariance-types full,diag --criterion bic -o best.json`
    struct Select: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a grid of component counts and covariance types; keep the lowest BIC or AIC.",
            discussion: """
                Prints one row per (K, type) on stdout: lower bound, BIC, AIC, converged, seconds, with
                the best marked '*'. A fit that fails (a collapsed component, say) is reported in its
                row and the rest goes on. With -o the best model is written as JSON.
                """)

        @Argument(help: "Data file: CSV (or '-' for stdin) or .npy, or a quoted glob of them (rows in the order of the sorted paths).")
        var data: String?

        @Option(name: .customLong("files-from"), help: "A file listing the data files, one path a line, read in that order; DATA is then left out.")
        var filesFrom: String?

        @Option(name: .long, parsing: .unconditional, help: "Component counts: a range 'A...B' or a comma list '2,4,8'.")
        var components: ComponentList

        @Option(name: .customLong("covariance-types"), help: "Comma list of full, diag, spherical, tied (default: all four).")
        var covarianceTypes: CovarianceTypeList = CovarianceTypeList(types: CovarianceType.allCases)

        @Option(help: "bic or aic.")
        var criterion: SelectionCriterion = .bic

        @OptionGroup var em: EMOptions

        @OptionGroup var threadOptions: ThreadOptions

        @Option(name: .shortAndLong, help: "Write the best model's JSON here.")
        var output: String?

        @Flag(help: "Print nothing on stderr unless there is an error.")
        var quiet = false

        @Option(help: "Also draw the criterion against K, one line per covariance type, as SVG.")
        var plot: String?

        @Option(help: "float64, or float32: every candidate fitted in float32 (half the memory, about twice the speed).")
        var precision: Precision = .float64

        func validate() throws {
            try validateDataInputs(data, filesFrom)
            try validateStandardInput([("DATA", data), ("--files-from", filesFrom), ("--sample-weight", em.sampleWeight)])
        }

        func run() throws {
            try reportingErrors {
                if Cluster.isLeader {
                    try OutputFile.check(output, inputs: [data, filesFrom, em.sampleWeight])
                    try validateModelOutput(output)
                    try checkFigureOutput(plot, option: "--plot", inputs: [data, em.sampleWeight, output])
                }
                // Under mpirun each process holds a block of the rows; every fit of the grid is distributed.
                let table = try readDataBlock(dataFiles(data, filesFrom: filesFrom), precision: precision)
                if !quiet { table.warnings.forEach { printStderr("gmm: warning: " + $0) } }
                try Memory.checkFit(components: components.values.filter { $0 <= table.fileRows }.max() ?? 1,
                                    features: table.columns, rows: table.rows)
                let weights = try em.sampleWeights(of: table)
                var options = em.options(threads: threadOptions.threads)
                options.reducer = Cluster.reducer
                let selection = try em.namingWeightFile { try table.withValues { values in
                    try withWeights(weights) { weights in
                        try GaussianMixture.select(values, rows: table.rows, columns: table.columns,
                                                   components: components.values, covarianceTypes: covarianceTypes.types,
                                                   criterion: criterion, sampleWeights: weights, options: options)
                    }
                } }
                try printResult(Self.table(selection))
                let best = selection.best
                // Rank 0 writes: the figure and the model replaced together or not at all, a model
                // for standard output first.
                if Cluster.isLeader {
                    var outputs: [(bytes: [UInt8], path: String)] = []
                    if let plot {
                        outputs.append((Array(selectionFigure(selection, dataPath: table.path, rows: table.fileRows).svg().utf8), plot))
                    }
                    if let output, let fit = best.fit {
                        let json = Array(ModelFile(fit).json().utf8)
                        if output == "-" { try writeOutput(json, to: output) } else { outputs.append((json, output)) }
                    }
                    try OutputFile.write(outputs)
                }
                if !quiet {
                    printStderr("best by \(criterion.rawValue.uppercased()): \(best.components) components, "
                                + "\(best.covarianceType.rawValue) (\(String(format: "%.6g", best.value(criterion))))")
                }
            }
        }

        /// One line per candidate, aligned; the best marked with '*'.
        static func table(_ selection: SelectionResult) -> String {
            var lines = ["  " + padded("K", 5) + padded("type", 11) + padded("lower bound", 17) + padded("BIC", 17)
                         + padded("AIC", 17) + padded("converged", 11) + "seconds"]
            for (i, c) in selection.candidates.enumerated() {
                let mark = i == selection.bestIndex ? "* " : "  "
                let head = mark + padded("\(c.components)", 5) + padded(c.covarianceType.rawValue, 11)
                guard let fit = c.fit else {
                    lines.append(head + "failed: " + (c.failure ?? "unknown error"))
                    continue
                }
                lines.append(head + padded(String(format: "%.10g", fit.lowerBound), 17)
                             + padded(String(format: "%.10g", c.bic), 17) + padded(String(format: "%.10g", c.aic), 17)
                             + padded(fit.converged ? "yes" : "no", 11) + String(format: "%.3f", fit.seconds))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

/// `--components`: `A...B` (inclusive) or `a,b,c`.
struct ComponentList: ExpressibleByArgument {
    let values: [Int]

    init?(argument: String) {
        let bounds = argument.components(separatedBy: "...")
        if bounds.count == 2 {
            guard let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 1, low <= high, high - low < 1000 else { return nil }
            values = Array(low...high)
        } else {
            let list = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
            values = list.compactMap { $0 }
        }
    }
}

/// `--covariance-types`: a comma list of type names.
struct CovarianceTypeList: ExpressibleByArgument {
    let types: [CovarianceType]

    init(types: [CovarianceType]) { self.types = types }

    init?(argument: String) {
        let list = argument.split(separator: ",").map { CovarianceType(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ $0 != nil }) else { return nil }
        types = list.compactMap { $0 }
    }

    var defaultValueDescription: String { types.map(\.rawValue).joined(separator: ",") }
}

extension SelectionCriterion: ExpressibleByArgument {}
