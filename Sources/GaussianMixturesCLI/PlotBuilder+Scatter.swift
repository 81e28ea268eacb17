import ArgumentParser
import Foundation
import GaussianMixtures
import GaussianMixturesIO
import GaussianMixturesPlot

/// The 2-D figure: points by predicted component, means, 1- and 2-sigma ellipses.
extension PlotBuilder {
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
