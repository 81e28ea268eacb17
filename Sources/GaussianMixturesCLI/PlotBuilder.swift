import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO
import GaussianMixturesPlot

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
        // One value only: a bin of width 1, or of the value's own scale when 1 is below its
        // precision (at 1e16 and beyond, low ± 0.5 is low itself).
        let pad = max(0.5, abs(low) * 1e-3)
        let start = high > low ? low : low - pad, end = high > low ? high : high + pad
        guard (end - start).isFinite, end > start else {
            throw DataFileError.format(path: table.path, message:
                "the values of the plotted column span \(low) to \(high), which no axis can show; divide the column first")
        }
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
            let mu = model.means[k, 0], sd = model.covariance(k)[0, 0].squareRoot()
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
            let w = model.weights[k], mu = model.means[k, 0], variance = model.covariance(k)[0, 0]
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
}

/// The `q`-quantile of sorted values, linearly interpolated (NumPy's default).
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard let first = sorted.first else { return 0 }
    guard sorted.count > 1 else { return first }
    let position = q * Double(sorted.count - 1)
    let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
    return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
}
