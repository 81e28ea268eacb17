import Foundation
import GaussianMixtures
import Testing

/// BIC/AIC for every covariance type against scikit-learn, and `select` finding the generating K.
@Suite struct ModelSelectionTests {
    struct Fixture: Decodable {
        struct Candidate: Decodable {
            let k: Int
            let covariance_type: String
            let `init`: EMFixture.Start
            let n_iter: Int
            let lower_bound: Double
            let bic: Double
            let aic: Double
            let n_parameters: Int
        }
        let X: [[Double]]
        let grid: [Candidate]
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: fixtureData("select-blobs.json"))
    }

    /// From scikit-learn's start, with its default tolerance: the same iterations, BIC and AIC.
    @Test func bicAndAicMatchSklearnForEveryKAndType() throws {
        let fixture = try Self.fixture()
        let data = try Matrix(fixture.X)
        #expect(fixture.grid.count == 20)
        for candidate in fixture.grid {
            let type = try #require(CovarianceType(rawValue: candidate.covariance_type))
            let start = try GaussianMixture(weights: candidate.`init`.weights, means: Matrix(candidate.`init`.means),
                                            covariances: candidate.`init`.covariances.map { try Matrix($0) },
                                            covarianceType: type)
            let fit = try GaussianMixture.fit(data, components: candidate.k,
                                              options: FitOptions(initialization: .model(start), covarianceType: type))
            let label = "K=\(candidate.k) \(type)"
            #expect(fit.iterations == candidate.n_iter, "\(label)")
            #expect(fit.model.parameterCount == candidate.n_parameters, "\(label)")
            #expect(abs(fit.lowerBound - candidate.lower_bound) / abs(candidate.lower_bound) < 1e-9, "\(label)")
            #expect(abs(try fit.model.bic(data) - candidate.bic) / abs(candidate.bic) < 1e-6, "\(label)")
            #expect(abs(try fit.model.aic(data) - candidate.aic) / abs(candidate.aic) < 1e-6, "\(label)")
        }
    }

    @Test func selectFindsTheGeneratingComponentCount() throws {
        let data = try Matrix(try Self.fixture().X)
        let options = FitOptions(restarts: 3, seed: 1)
        let selection = try GaussianMixture.select(data, components: Array(1...6), criterion: .bic, options: options)
        #expect(selection.candidates.count == 24)
        #expect(selection.candidates.map(\.components) == (1...6).flatMap { [Int](repeating: $0, count: 4) })
        #expect(selection.best.components == 3)
        // The blobs share one covariance: tied explains them with the fewest parameters.
        #expect(selection.best.covarianceType == .tied)
        // The table's BIC is the model's own.
        let best = try #require(selection.best.fit)
        #expect(abs(try best.model.bic(data) - selection.best.bic) <= 1e-9 * abs(selection.best.bic))
        let byAIC = try GaussianMixture.select(data, components: [2, 3, 4], covarianceTypes: [.full, .tied],
                                               criterion: .aic, options: options)
        // AIC penalises less and, here, takes a fourth tied component by 0.8 (AIC overfits).
        #expect(byAIC.candidates.count == 6 && byAIC.best.aic == byAIC.candidates.map(\.aic).min())
        #expect(byAIC.candidates.allSatisfy { $0.aic <= $0.bic })
    }

    @Test func selectRefusesBadGrids() throws {
        let data = try Matrix(try Self.fixture().X)
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture.select(data, components: []) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture.select(data, components: [0, 2]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture.select(data, components: [2], covarianceTypes: []) }
        // A K larger than the data fails alone; the rest of the grid still runs.
        let small = try Matrix(Array(try Self.fixture().X.prefix(4)))
        let selection = try GaussianMixture.select(small, components: [1, 5], covarianceTypes: [.spherical])
        #expect(selection.candidates[1].fit == nil && selection.candidates[1].failure != nil)
        #expect(selection.best.components == 1)
    }
}
