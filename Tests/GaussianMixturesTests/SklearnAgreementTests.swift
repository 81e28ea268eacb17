@testable import GaussianMixtures
import Testing

/// From the same starting model, our EM must follow scikit-learn's GaussianMixture iteration
/// by iteration, for every covariance type on two data sets (fixtures from scripts/make-fixtures.py).
@Suite struct SklearnAgreementTests {
    /// `em-blobs-16-full` has K = 16 in 2-D, where the fast path prunes responsibilities
    /// (PruningTests) when made to: by default it would not pay there (``replay(_:)``).
    static let fixtures = ["iris", "synthetic-5d"].flatMap { data in
        CovarianceType.allCases.map { "em-\(data)-\($0.rawValue).json" }
    } + ["em-blobs-16-full.json"]

    @Test(arguments: fixtures, ComputePath.allCases)
    func lowerBoundHistoryMatchesSklearnToNineDigits(fixture name: String, path: ComputePath) throws {
        let fixture = try EMFixture.load(name)
        var options = try Self.replay(name, fixture)
        options.path = path
        let result = try GaussianMixture.fit(fixture.data, components: fixture.weights.count, options: options)
        #expect(fixture.iterations >= 20)
        #expect(result.iterations == fixture.n_iter)
        #expect(result.lowerBoundHistory.count == fixture.lower_bounds.count)
        #expect(maxRelativeError(result.lowerBoundHistory, fixture.lower_bounds) < 1e-9)
        #expect(result.converged == false)  // tol = 0 never converges, as in scikit-learn
    }

    @Test(arguments: fixtures, ComputePath.allCases)
    func finalParametersMatchSklearn(fixture name: String, path: ComputePath) throws {
        let fixture = try EMFixture.load(name)
        var options = try Self.replay(name, fixture)
        options.path = path
        let model = try GaussianMixture.fit(fixture.data, components: fixture.weights.count, options: options).model
        #expect(model.covarianceType == fixture.covarianceType)
        #expect(maxRelativeError(model.weights, fixture.weights) < 1e-7)
        #expect(maxScaledError(model.means.values, fixture.means.flatMap { $0 }) < 1e-7)
        #expect(maxScaledError(model.covariances.flatMap(\.values), fixture.covariances.flatMap { $0.flatMap { $0 } }) < 1e-7)
    }

    @Test(arguments: fixtures)
    func scoringMatchesSklearnOnTheFittedModel(fixture name: String) throws {
        let fixture = try EMFixture.load(name)
        let data = try fixture.data
        let options = try Self.replay(name, fixture)
        let model = try GaussianMixture.fit(data, components: fixture.weights.count, options: options).model
        #expect(maxRelativeError(try model.logLikelihoods(of: data), fixture.score_samples) < 1e-7)
        #expect(maxScaledError(try model.predictProbabilities(data).values, fixture.predict_proba.flatMap { $0 }) < 1e-7)
        #expect(abs(try model.score(data) - fixture.score) / abs(fixture.score) < 1e-8)
        #expect(abs(try model.bic(data) - fixture.bic) / abs(fixture.bic) < 1e-8)
        #expect(abs(try model.aic(data) - fixture.aic) / abs(fixture.aic) < 1e-8)
    }

    /// The fixture's options, pruning the blobs even where it does not pay.
    static func replay(_ name: String, _ fixture: EMFixture) throws -> FitOptions {
        var options = try fixture.replayOptions
        options.pruneEvenWhereItDoesNotPay = name.contains("blobs")
        return options
    }
}
