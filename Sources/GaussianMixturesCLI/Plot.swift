import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO
import GaussianMixturesPlot

extension GMM {
    /// `gmm plot MODEL.json DATA -o FIG.svg`, `gmm plot MODEL.json --trace -o trace.svg`
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a model over its data, or its lower bound per EM iteration, as an SVG figure.",
            discussion: """
                1 feature: a histogram of DATA (Freedman-Diaconis bins), the mixture density and every
                weighted component. 2 features: the rows coloured by their predicted component, every
                mean and its 1- and 2-sigma ellipses. More: --features I,J draws two columns with the
                marginal ellipses; without it, the data and the components projected onto the data's
                first two principal axes. At most --max-points rows are drawn, every n-th from a seeded
                start; the histogram counts every row. --trace draws the model file's lower bound per
                iteration (no DATA).
                """)

        @Argument(help: "Model file written by `gmm fit`.") var model: String
        @Argument(help: "Data file: CSV (or '-' for stdin) or .npy, with the model's features.") var data: String?
        @Option(name: .shortAndLong, help: "The SVG file to write ('-' for stdout).") var output: String
        @Flag(help: "Draw the lower bound per EM iteration from the model file instead of data.") var trace = false
        @Option(help: "Histogram bins for a 1-feature model (default: the Freedman-Diaconis rule).") var bins: Int?
        @Option(help: "The two columns to draw, 'I,J': 1-based numbers or names from the CSV header.") var features: String?
        @Option(name: .customLong("max-points"), help: "Rows drawn at most; more are thinned to every n-th row.")
        var maxPoints = PlotLimits.defaultPoints
        @Option(help: "Seed of the first drawn row when rows are thinned.") var seed: UInt64 = 0
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            if trace {
                if data != nil { throw ValidationError("--trace draws the model file's history; give no DATA with it") }
                if bins != nil || features != nil { throw ValidationError("--bins and --features draw data; they do not go with --trace") }
            } else if data == nil {
                throw ValidationError("give a DATA file to draw the model over (or --trace for its lower bound per iteration)")
            }
            if let bins, !(1...PlotLimits.maxBins).contains(bins) {
                throw ValidationError("--bins must be between 1 and \(PlotLimits.maxBins), got \(bins)")
            }
            guard (1...PlotLimits.maxPoints).contains(maxPoints) else {
                throw ValidationError("--max-points must be between 1 and \(PlotLimits.maxPoints), got \(maxPoints)")
            }
        }

        func run() throws {
            try reportingErrors {
                guard Cluster.isLeader else { return }  // under mpirun, one process draws the figure
                try checkFigureOutput(output, option: "-o", inputs: [model, data])
                let file = try ModelFile.read(path: model)
                let figure: Figure
                if let data {
                    let table = try DataTable.read(path: data, precision: storedPrecision(of: data))
                    table.warnings.forEach { printStderr("gmm: warning: " + $0) }
                    figure = try PlotBuilder(model: file.model, table: table, maxPoints: maxPoints, seed: seed,
                                             threads: threadOptions.threads).figure(bins: bins, features: features)
                } else {
                    figure = try traceFigure(file, path: model)
                }
                try OutputFile.write(Array(figure.svg().utf8), to: output)
            }
        }
    }
}

/// Bounds of `gmm plot`'s options.
enum PlotLimits {
    /// Rows drawn by default: enough to see the shape, small enough for a browser (about 1 MB of SVG).
    static let defaultPoints = 20_000
    static let maxPoints = 1_000_000
    static let maxBins = 10_000
    /// The most bins the Freedman-Diaconis rule may choose (a long tail would ask for thousands).
    static let maxAutomaticBins = 200
}

/// The precision a `.npy` file holds its values in (float32 for `<f4`), so that reading it
/// maps the file as it is instead of converting a copy; float64 for anything else, or when the
/// header cannot be read (the reader then says why).
func storedPrecision(of path: String) -> Precision {
    guard path.lowercased().hasSuffix(".npy"), let handle = FileHandle(forReadingAtPath: path) else { return .float64 }
    defer { try? handle.close() }
    guard let bytes = try? handle.read(upToCount: 1 << 16), !bytes.isEmpty,
          let header = try? bytes.withUnsafeBytes({ try NPY.parseHeader($0, path: path) }) else { return .float64 }
    return header.descr == "<f4" ? .float32 : .float64
}

/// Checks a figure's output before any work: an SVG name (or `-`) and a writable place that is not an input.
/// - Throws: ``GaussianMixtureError/invalidOption(_:)`` (64) for another extension; as ``OutputFile/check(_:inputs:)``.
func checkFigureOutput(_ path: String?, option: String, inputs: [String?]) throws {
    guard let path else { return }
    guard path == "-" || path.lowercased().hasSuffix(".svg") else {
        throw GaussianMixtureError.invalidOption("\(option) \(path): figures are written as SVG; give a file name ending in .svg")
    }
    try OutputFile.check(path, inputs: inputs)
}

/// The rows a figure draws: all of them, or every `stride`-th from `offset` (chosen by the seed)
/// so that at most the limit are drawn.
struct DrawnRows: Equatable {
    let total: Int
    let stride: Int
    let offset: Int

    init(total: Int, limit: Int, seed: UInt64) {
        self.total = total
        if total <= limit {
            stride = 1
            offset = 0
        } else {
            let step = (total + limit - 1) / limit
            var random = SplitMix64(seed: seed)
            stride = step
            offset = Int(random.next() % UInt64(step))
        }
    }

    var rows: StrideTo<Int> { Swift.stride(from: offset, to: total, by: stride) }
    var count: Int { total > offset ? (total - offset + stride - 1) / stride : 0 }

    /// "all 150 rows", or "20,000 of 10,000,000 rows (every 500th from row 123, seed 0)".
    func description(seed: UInt64) -> String {
        stride == 1 ? "all \(grouped(total)) rows"
            : "\(grouped(count)) of \(grouped(total)) rows (every \(ordinal(stride)) from row \(offset + 1), seed \(seed))"
    }
}

/// "2nd", "3rd", "11th", "500th".
func ordinal(_ n: Int) -> String {
    let suffix: String
    switch (n % 10, n % 100) {
    case (_, 11...13): suffix = "th"
    case (1, _): suffix = "st"
    case (2, _): suffix = "nd"
    case (3, _): suffix = "rd"
    default: suffix = "th"
    }
    return grouped(n) + suffix
}

/// An integer with thousands separators, the same on every machine.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// A number for titles and legends: up to `digits` significant digits.
private func short(_ v: Double, digits: Int = 3) -> String { String(format: "%.\(digits)g", v) }

/// Turns a model and a data table into a figure: the numbers (histogram, densities, labels,
/// ellipses, projections) are computed here, the drawing is ``Figure``'s. Memory grows with the
/// rows drawn and the bins, not with the rows of the table: the table is read in passes.
struct PlotBuilder {
    let model: GaussianMixture
    let table: DataTable
    let drawn: DrawnRows
    let seed: UInt64
    let threads: Int

    init(model: GaussianMixture, table: DataTable, maxPoints: Int, seed: UInt64, threads: Int) {
        self.model = model
        self.table = table
        self.drawn = DrawnRows(total: table.rows, limit: maxPoints, seed: seed)
        self.seed = seed
        self.threads = threads
    }

    var dataName: String { (table.path as NSString).lastPathComponent }

    /// Calls `body` with the table's value at a flat row-major index, as a double, without
    /// widening a float32 table into a copy (``DataTable/withUnsafeValues(_:)`` would).
    func withValues<R>(_ body: ((Int) -> Double) throws -> R) rethrows -> R {
        try table.withUnsafeSingleValues { single in
            if let single { return try body { Double(single[$0]) } }
            return try table.withUnsafeValues { values in try body { values[$0] } }
        }
    }

    func columnName(_ j: Int) -> String {
        if let header = table.header, j < header.count, !header[j].isEmpty { return header[j] }
        return "feature \(j + 1)"
    }

    /// "K = 3, full covariances, over iris.csv (150 rows)".
    var title: String {
        "K = \(model.componentCount), \(model.covarianceType.rawValue) covariances, over \(dataName) (\(grouped(table.rows)) rows)"
    }

    /// The figure for the table's dimension, after checking that the table fits the model.
    /// - Throws: ``DataFileError`` for a table of another width or non-finite values;
    ///   ``GaussianMixtureError/invalidOption(_:)`` for `--bins`/`--features` that do not apply.
    func figure(bins: Int?, features: String?) throws -> Figure {
        let d = model.featureCount
        guard table.columns == d else {
            throw DataFileError.format(path: table.path, message:
                "has \(table.columns) column\(table.columns == 1 ? "" : "s") but the model has \(d) feature\(d == 1 ? "" : "s"); "
                + "give the data the model was fitted to")
        }
        if d == 1 {
            if features != nil { throw GaussianMixtureError.invalidOption("--features picks two of several columns; this model has one feature") }
            return try densityFigure(bins: bins)
        }
        if bins != nil { throw GaussianMixtureError.invalidOption("--bins is for a histogram, drawn for 1-feature models; this one has \(d)") }
        if let features { return try scatterFigure(features: try parseFeatures(features)) }
        return try scatterFigure(features: d == 2 ? (0, 1) : nil)
    }

    /// `--features I,J` as two distinct 0-based columns.
    func parseFeatures(_ text: String) throws -> (Int, Int) {
        let d = table.columns
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else {
            throw GaussianMixtureError.invalidOption("--features takes two columns, 'I,J' (e.g. '1,3' or 'petal_length,petal_width'), got '\(text)'")
        }
        let columns = try parts.map { part -> Int in
            if let number = Int(part) {
                guard (1...d).contains(number) else {
                    throw GaussianMixtureError.invalidOption("--features: column \(number) is not between 1 and \(d), the columns of \(dataName)")
                }
                return number - 1
            }
            if let index = table.header?.firstIndex(of: part) { return index }
            let known = table.header.map { "its header names " + $0.prefix(8).joined(separator: ", ") + ($0.count > 8 ? ", ..." : "") }
                ?? "it has no header, so give column numbers 1 to \(d)"
            throw GaussianMixtureError.invalidOption("--features: '\(DataFileError.excerpt(part))' is not a column of \(dataName); \(known)")
        }
        guard columns[0] != columns[1] else {
            throw GaussianMixtureError.invalidOption("--features names column \(columns[0] + 1) twice; give two different columns")
        }
        return (columns[0], columns[1])
    }

    // MARK: one feature

    /// Histogram of every row (two streaming passes: range, then counts), the mixture density and
    /// each weighted component's density.
    func densityFigure(bins requested: Int?) throws -> Figure {
        let n = table.rows
        let (low, high) = try withValues { value -> (Double, Double) in
            var low = Double.infinity, high = -Double.infinity
            for i in 0..<n {
                let v = value(i)
                guard v.isFinite else { throw DataFileError.nonFinite(path: table.path, row: i + 1, column: 1, line: nil, value: v) }
                low = min(low, v)
                high = max(high, v)
            }
            return (low, high)
        }
        guard (high - low).isFinite else {
            throw DataFileError.format(path: table.path, message:
                "its values run from \(low) to \(high), a span beyond a double's range; divide the column by a power of ten")
        }
        // Freedman-Diaconis: width 2 IQR / N^(1/3), the quartiles from the drawn rows.
        var binCount: Int
        let rule: String
        if let requested {
            binCount = requested
            rule = "--bins"
        } else {
            let sample = withValues { value in drawn.rows.map { value($0) } }.sorted()
            let iqr = quantile(sample, 0.75) - quantile(sample, 0.25)
            if iqr > 0 && high > low {
                let bins = ((high - low) / (2 * iqr / cbrt(Double(n)))).rounded(.up)
                binCount = bins.isFinite ? Int(min(bins, Double(PlotLimits.maxAutomaticBins))) : PlotLimits.maxAutomaticBins
                rule = "Freedman-Diaconis"
            } else {
                binCount = Int(log2(Double(n)).rounded(.up)) + 1
                rule = "Sturges (the quartiles coincide)"
            }
            binCount = min(max(binCount, 1), PlotLimits.maxAutomaticBins)
        }
        let start = high > low ? low : low - 0.5, end = high > low ? high : high + 0.5
        let width = (end - start) / Double(binCount)
        var counts = [Double](repeating: 0, count: binCount)
        withValues { value in
            for i in 0..<n { counts[min(max(Int((value(i) - start) / width), 0), binCount - 1)] += 1 }
        }
        let edges = (0...binCount).map { start + Double($0) * width }
        let heights = counts.map { $0 / (Double(n) * width) }

        // Curves over the data's range, widened to show every component's bulk (by at most one span a side).
        let span = end - start
        var from = start, to = end
        for k in 0..<model.componentCount {
            let mu = model.means[k, 0], sd = model.covariances[k][0, 0].squareRoot()
            from = min(from, max(mu - 3 * sd, start - span))
            to = max(to, min(mu + 3 * sd, end + span))
        }
        let gridCount = 401
        let grid = (0..<gridCount).map { from + (to - from) * Double($0) / Double(gridCount - 1) }
        let mixture = try model.logLikelihoods(of: try Matrix(rows: gridCount, columns: 1, values: grid), threads: 1).map { exp($0) }

        var figure = Figure(title: title, xLabel: columnName(0), yLabel: "density",
                            caption: "Histogram of all \(grouped(n)) rows, \(binCount) bins (\(rule))")
        if requested == nil && drawn.stride > 1 {
            figure.caption? += "\nthe quartiles for the bin width from \(drawn.description(seed: seed))"
        }
        figure.layers.append(.bars(edges: edges, heights: heights, role: "histogram"))
        figure.legend.append(LegendEntry("data (histogram)", color: Palette.bar, mark: .bar))
        figure.legend.append(LegendEntry("mixture", color: Palette.ink, mark: .line))
        // The mixture under the components, wider, so a component that is the whole mixture somewhere stays visible.
        figure.layers.append(.line(zip(grid, mixture).map { Point($0, $1) }, color: Palette.ink, width: 3.5, dashed: false,
                                   closed: false, role: "curve mixture"))
        for k in 0..<model.componentCount {
            let w = model.weights[k], mu = model.means[k, 0], variance = model.covariances[k][0, 0]
            let scale = w / (2 * Double.pi * variance).squareRoot()
            let points = grid.map { x in Point(x, scale * exp(-0.5 * (x - mu) * (x - mu) / variance)) }
            figure.layers.append(.line(points, color: Palette.color(k), width: 2, dashed: k >= Palette.okabeIto.count,
                                       closed: false, role: "curve component-\(k)"))
            figure.legend.append(LegendEntry("component \(k + 1), w \(short(w, digits: 2))", color: Palette.color(k),
                                             mark: k >= Palette.okabeIto.count ? .dashedLine : .line))
        }
        figure.yIncludes = [0]
        return figure
    }

    // MARK: two or more features

    /// The drawn rows as points coloured by their predicted component, with every component's
    /// mean and 1- and 2-sigma ellipses, in two columns (`features`) or on the first two principal axes.
    func scatterFigure(features: (Int, Int)?) throws -> Figure {
        let d = model.featureCount
        var axes = Matrix(zeros: d, 2)
        var center = [Double](repeating: 0, count: d)
        let xLabel: String, yLabel: String
        var note = ""
        if let (i, j) = features {
            axes[i, 0] = 1
            axes[j, 1] = 1
            xLabel = columnName(i)
            yLabel = columnName(j)
            if d > 2 { note = "\nellipses of the marginal 2 x 2 covariances of columns \(i + 1) and \(j + 1)" }
        } else {
            let (mean, covariance) = try columnMoments()
            let eigen = try SymmetricEigen(covariance)
            let total = eigen.values.reduce(0) { $0 + max($1, 0) }
            for r in 0..<d { axes[r, 0] = eigen.vectors[r, 0]; axes[r, 1] = eigen.vectors[r, 1] }
            center = mean
            func share(_ v: Double) -> String { total > 0 ? " (\(String(format: "%.1f", 100 * max(v, 0) / total)) % of the variance)" : "" }
            xLabel = "principal axis 1" + share(eigen.values[0])
            yLabel = "principal axis 2" + share(eigen.values[1])
            note = "\ndata and components projected onto the first two principal axes of the data"
        }
        func project(_ x: UnsafeBufferPointer<Double>.SubSequence) -> Point {
            var p = (0.0, 0.0)
            for (r, v) in x.enumerated() {
                p.0 += axes[r, 0] * (v - center[r])
                p.1 += axes[r, 1] * (v - center[r])
            }
            return Point(p.0, p.1)
        }

        // Gather the drawn rows (the only rows labelled), checking each value.
        var values = [Double]()
        values.reserveCapacity(drawn.count * d)
        try withValues { value in
            for row in drawn.rows {
                for j in 0..<d {
                    let v = value(row * d + j)
                    guard v.isFinite else { throw DataFileError.nonFinite(path: table.path, row: row + 1, column: j + 1, line: nil, value: v) }
                    values.append(v)
                }
            }
        }
        let labels = try values.withUnsafeBufferPointer {
            try model.predict($0, rows: drawn.count, columns: d, threads: threads)
        }
        var groups = [[Point]](repeating: [], count: model.componentCount)
        values.withUnsafeBufferPointer { buffer in
            for n in 0..<drawn.count { groups[labels[n]].append(project(buffer[(n * d)..<((n + 1) * d)])) }
        }

        var figure = Figure(title: title, xLabel: xLabel, yLabel: yLabel,
                            caption: "\(drawn.description(seed: seed).prefix(1).uppercased() + drawn.description(seed: seed).dropFirst()) "
                                + "drawn, coloured by predicted component" + note)
        let radius = drawn.count <= 500 ? 3.0 : drawn.count <= 5000 ? 2.0 : 1.2
        for k in 0..<model.componentCount where !groups[k].isEmpty {
            figure.layers.append(.dots(groups[k], color: Palette.color(k), radius: radius, role: "points component-\(k)"))
        }
        var means: [Point] = []
        // Among thousands of dots of its own colour an ellipse needs a white edge to be seen; among
        // a few the edge would hide dots.
        let haloed = drawn.count > 1_000
        for k in 0..<model.componentCount {
            let ellipse = try EllipseAxes(covariance: model.projectedCovariance(component: k, axes: axes))
            let mean = model.means.row(k).withUnsafeBufferPointer { project($0[...]) }
            means.append(mean)
            for sigma in [1.0, 2.0] {
                let points = ellipse.points(center: (mean.x, mean.y), scale: sigma, count: 96).map { Point($0.0, $0.1) }
                figure.layers.append(.line(points, color: Palette.color(k), width: 2, dashed: sigma == 2, closed: true,
                                           role: "ellipse sigma-\(Int(sigma)) component-\(k)", halo: haloed))
            }
        }
        for k in 0..<model.componentCount {
            figure.layers.append(.markers([means[k]], color: Palette.color(k), ring: false, role: "mean component-\(k)"))
        }
        for k in 0..<model.componentCount {
            figure.legend.append(LegendEntry("component \(k + 1), w \(short(model.weights[k], digits: 2))",
                                             color: Palette.color(k), mark: .dot))
        }
        figure.legend.append(LegendEntry("mean", color: Palette.ink, mark: .cross))
        figure.legend.append(LegendEntry("1-sigma ellipse", color: Palette.ink, mark: .line))
        figure.legend.append(LegendEntry("2-sigma ellipse", color: Palette.ink, mark: .dashedLine))
        return figure
    }

    /// Column means and covariance of every row, in two streaming passes (memory D²).
    func columnMoments() throws -> ([Double], Matrix) {
        let n = table.rows, d = table.columns
        return try withValues { value in
            var mean = [Double](repeating: 0, count: d)
            for i in 0..<n {
                for j in 0..<d {
                    let v = value(i * d + j)
                    guard v.isFinite else { throw DataFileError.nonFinite(path: table.path, row: i + 1, column: j + 1, line: nil, value: v) }
                    mean[j] += v
                }
            }
            for j in 0..<d { mean[j] /= Double(n) }
            var covariance = Matrix(zeros: d, d)
            var centred = [Double](repeating: 0, count: d)
            for i in 0..<n {
                for j in 0..<d { centred[j] = value(i * d + j) - mean[j] }
                for a in 0..<d { for b in 0...a { covariance[a, b] += centred[a] * centred[b] } }
            }
            for a in 0..<d {
                for b in 0...a {
                    covariance[a, b] /= Double(max(n - 1, 1))
                    covariance[b, a] = covariance[a, b]
                }
            }
            return (mean, covariance)
        }
    }
}

/// The `q`-quantile of sorted values, linearly interpolated (NumPy's default).
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard let first = sorted.first else { return 0 }
    guard sorted.count > 1 else { return first }
    let position = q * Double(sorted.count - 1)
    let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
    return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
}

/// The lower bound after every EM iteration of the model file's history.
/// - Throws: ``DataFileError/format(path:message:)`` when the file keeps no history.
func traceFigure(_ file: ModelFile, path: String) throws -> Figure {
    guard let history = file.lowerBoundHistory, !history.isEmpty else {
        throw DataFileError.format(path: path, message:
            "holds no lower_bound_history (one value per EM iteration); fit the model with `gmm fit`, whose model files keep it, to draw the trace")
    }
    let model = file.model
    let points = history.enumerated().compactMap { $1.isFinite ? Point(Double($0 + 1), $1) : nil }
    var figure = Figure(title: "EM lower bound per iteration: K = \(model.componentCount), \(model.covarianceType.rawValue) covariances",
                        xLabel: "iteration", yLabel: "lower bound (mean log-likelihood per row)")
    let state = file.converged.map { $0 ? "converged" : "did not converge" } ?? "ran"
    figure.caption = "The fit \(state) after \(history.count) iteration\(history.count == 1 ? "" : "s"); "
        + "the model file keeps the history of the best restart only"
    figure.integerX = true
    figure.layers = [.line(points, color: Palette.color(0), width: 2, dashed: false, closed: false, role: "trace restart-best"),
                     .dots(points, color: Palette.color(0), radius: 3, role: "iterations")]
    figure.legend = [LegendEntry("best restart", color: Palette.color(0), mark: .line)]
    return figure
}

/// The criterion of every candidate against K, one line per covariance type, the best ringed.
func selectionFigure(_ selection: SelectionResult, dataPath: String, rows: Int) -> Figure {
    let name = selection.criterion.rawValue.uppercased()
    let dataName = (dataPath as NSString).lastPathComponent
    var figure = Figure(title: "\(name) of \(selection.candidates.count) fits over \(dataName) (\(grouped(rows)) rows)",
                        xLabel: "components K", yLabel: "\(name) (lower is better)")
    figure.integerX = true
    var types: [CovarianceType] = []
    for c in selection.candidates where !types.contains(c.covarianceType) { types.append(c.covarianceType) }
    for (t, type) in types.enumerated() {
        let points = selection.candidates.filter { $0.covarianceType == type && $0.fit != nil }
            .map { Point(Double($0.components), $0.value(selection.criterion)) }.filter { $0.y.isFinite }
        guard !points.isEmpty else { continue }
        figure.layers.append(.line(points, color: Palette.color(t), width: 2, dashed: false, closed: false, role: "criterion \(type.rawValue)"))
        figure.layers.append(.dots(points, color: Palette.color(t), radius: 3.5, role: "candidates \(type.rawValue)"))
        figure.legend.append(LegendEntry(type.rawValue, color: Palette.color(t), mark: .line))
    }
    let best = selection.best
    let value = best.value(selection.criterion)
    if best.fit != nil, value.isFinite {
        let at = Point(Double(best.components), value)
        figure.layers.append(.markers([at], color: Palette.ink, ring: true, role: "best"))
        figure.layers.append(.label("best: K = \(best.components), \(best.covarianceType.rawValue)", at: at, color: Palette.ink, role: "best-label"))
        figure.legend.append(LegendEntry("best (lowest \(name))", color: Palette.ink, mark: .ring))
    }
    let failed = selection.candidates.filter { $0.fit == nil }
    figure.caption = failed.isEmpty ? "Every fit succeeded; the ring marks the lowest \(name)"
        : "\(failed.count) fit\(failed.count == 1 ? "" : "s") failed and \(failed.count == 1 ? "is" : "are") left out: "
            + failed.prefix(4).map { "K = \($0.components) \($0.covarianceType.rawValue)" }.joined(separator: ", ")
            + (failed.count > 4 ? ", ..." : "")
    return figure
}

/// `gmm select --plot FIG.svg`: writes the selection's figure.
func writeSelectionPlot(_ selection: SelectionResult, dataPath: String, rows: Int, to path: String) throws {
    try OutputFile.write(Array(selectionFigure(selection, dataPath: dataPath, rows: rows).svg().utf8), to: path)
}
