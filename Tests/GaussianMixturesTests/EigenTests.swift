import Foundation
import Testing
@testable import GaussianMixtures

/// The symmetric eigen-decomposition (LAPACK dsyevd) and the ellipse axes drawn from it.
@Suite struct EigenTests {
    @Test func ellipseAxesMatchTheClosedFormOfA2x2Covariance() throws {
        // [[a, b], [b, c]]: λ = (a+c)/2 ± sqrt(((a-c)/2)² + b²), major axis at ½ atan2(2b, a-c).
        for (a, b, c) in [(4.0, 1.5, 1.0), (1.0, -0.8, 2.0), (0.3, 0.0, 0.1), (2.0, 0.0, 5.0), (1e-4, 3e-5, 2e-4)] {
            let axes = try EllipseAxes(covariance: try Matrix([[a, b], [b, c]]))
            let mid = (a + c) / 2, radius = (((a - c) / 2) * ((a - c) / 2) + b * b).squareRoot()
            #expect(abs(axes.semiMajor - (mid + radius).squareRoot()) <= 1e-12 * (mid + radius).squareRoot())
            #expect(abs(axes.semiMinor - (mid - radius).squareRoot()) <= 1e-9 * (mid + radius).squareRoot())
            var expected = 0.5 * atan2(2 * b, a - c)
            if expected <= -Double.pi / 2 { expected += Double.pi }
            #expect(abs(axes.angle - expected) < 1e-12, "angle of [[\(a), \(b)], [\(b), \(c)]]")
        }
    }

    @Test func ellipsePointsLieAtMahalanobisDistanceTheScale() throws {
        let sigma = try Matrix([[2.0, 0.9], [0.9, 1.0]])
        let axes = try EllipseAxes(covariance: sigma)
        let det = 2.0 * 1.0 - 0.9 * 0.9
        for scale in [1.0, 2.0] {
            for (x, y) in axes.points(center: (3, -1), scale: scale, count: 36) {
                let u = x - 3, v = y + 1
                let d2 = (1.0 * u * u - 2 * 0.9 * u * v + 2.0 * v * v) / det
                #expect(abs(d2 - scale * scale) < 1e-10)
            }
        }
    }

    @Test func eigenDecompositionReconstructsTheMatrixInDecreasingOrder() throws {
        let m = try Matrix([[4, 1, 0.5], [1, 3, -0.2], [0.5, -0.2, 1]])
        let e = try SymmetricEigen(m)
        #expect(e.values == e.values.sorted(by: >))
        for i in 0..<3 {
            for j in 0..<3 {
                var s = 0.0
                for k in 0..<3 { s += e.vectors[i, k] * e.values[k] * e.vectors[j, k] }
                #expect(abs(s - m[i, j]) < 1e-12)
                var dot = 0.0
                for k in 0..<3 { dot += e.vectors[k, i] * e.vectors[k, j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
        // Signs are fixed: the largest entry of every eigenvector is positive.
        for j in 0..<3 {
            let column = (0..<3).map { e.vectors[$0, j] }
            let largest = column.max(by: { abs($0) < abs($1) }) ?? 0
            #expect(largest > 0)
        }
    }

    @Test func badMatricesAreErrorsNotCrashes() throws {
        #expect(throws: GaussianMixtureError.self) { try SymmetricEigen(try Matrix([[1, 2, 3]])) }
        #expect(throws: GaussianMixtureError.self) { try SymmetricEigen(try Matrix([[1, .nan], [.nan, 1]])) }
        #expect(throws: GaussianMixtureError.self) { try EllipseAxes(covariance: try Matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]])) }
    }

    @Test func projectedCovarianceOfUnitAxesIsTheMarginalBlock() throws {
        let sigma = try Matrix([[4, 1, 0.5], [1, 3, -0.2], [0.5, -0.2, 1]])
        let model = try GaussianMixture(weights: [1], means: try Matrix([[0, 0, 0]]), covariances: [sigma])
        let axes = try Matrix([[0, 0], [0, 1], [1, 0]])  // features 2 and 1 (0-based), in that order
        let block = model.projectedCovariance(component: 0, axes: axes)
        #expect(block == (try Matrix([[1, -0.2], [-0.2, 3]])))
    }
}
