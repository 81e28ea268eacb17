import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO
import GaussianMixturesPlot

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

