import Foundation
import GaussianMixtures
import Testing

/// A scikit-learn EM fixture written by scripts/make-fixtures.py.
struct EMFixture: Decodable {
    struct Start: Decodable {
        let weights: [Double]
        let means: [[Double]]
        let covariances: [[[Double]]]
    }
    let X: [[Double]]
    let reg_covar: Double
    let covariance_type: String?
    let iterations: Int
    let `init`: Start
    let lower_bounds: [Double]
    let n_iter: Int
    let weights: [Double]
    let means: [[Double]]
    let covariances: [[[Double]]]
    let score_samples: [Double]
    let predict_proba: [[Double]]
    let score: Double
    let bic: Double
    let aic: Double

    static func load(_ name: String) throws -> EMFixture {
        try JSONDecoder().decode(EMFixture.self, from: fixtureData(name))
    }

    var data: Matrix { get throws { try Matrix(X) } }

    var covarianceType: CovarianceType { CovarianceType(rawValue: covariance_type ?? "full") ?? .full }

    var startModel: GaussianMixture {
        get throws {
            try GaussianMixture(weights: self.`init`.weights, means: Matrix(self.`init`.means),
                                covariances: self.`init`.covariances.map { try Matrix($0) }, covarianceType: covarianceType)
        }
    }

    /// Options that replay scikit-learn's run: the same start, type and regularization, no tolerance.
    var replayOptions: FitOptions {
        get throws {
            FitOptions(tolerance: 0, regularization: reg_covar, maxIterations: iterations,
                       initialization: .model(try startModel), covarianceType: covarianceType)
        }
    }
}

func fixtureData(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw FixtureError.missing(name)
    }
    return try Data(contentsOf: url)
}

enum FixtureError: Error { case missing(String) }

/// Largest relative difference `|a - b| / max(|b|, floor)` over two equally long arrays.
func maxRelativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-300) -> Double {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var worst = 0.0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(abs(y), floor)) }
    return worst
}

/// Largest difference relative to the largest magnitude in `b` (for parameter arrays whose
/// small entries are not meaningful alone, such as near-zero covariances).
func maxScaledError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 1
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / max(scale, 1e-300) } ?? 0
}

/// Data drawn from a known mixture, for tests that need more than the fixtures.
func syntheticData(rows: Int, seed: UInt64, separation: Double = 6) throws -> (data: Matrix, truth: GaussianMixture) {
    let truth = try GaussianMixture(
        weights: [0.5, 0.3, 0.2],
        means: Matrix([[0, 0, 0], [separation, 0, 1], [0, separation, -1]]),
        covariances: [
            Matrix([[1, 0.3, 0], [0.3, 1, 0.2], [0, 0.2, 0.5]]),
            Matrix([[0.5, 0, 0], [0, 2, -0.4], [0, -0.4, 1]]),
            Matrix([[1.5, 0.5, 0.1], [0.5, 1, 0], [0.1, 0, 0.8]]),
        ])
    return (truth.sample(count: rows, seed: seed).samples, truth)
}
