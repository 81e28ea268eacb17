import Foundation
import GaussianMixtures
import Testing

/// The README's library example, verbatim, so the front door stays true.
@Suite struct ReadmeExampleTests {
    @Test func readmeLibraryExampleRuns() throws {
        let data = try Matrix([[5.1, 3.5], [4.9, 3.0], [6.7, 3.1], [6.3, 2.5], [5.0, 3.4], [6.9, 3.1]])
        let result = try GaussianMixture.fit(data, components: 2,
                                             options: FitOptions(tolerance: 1e-6, restarts: 3, seed: 42))
        let model = result.model
        let labels = try model.predict(data)
        let r = try model.predictProbabilities(data)
        let perRow = try model.logLikelihoods(of: data)
        let meanLL = try model.score(data)
        let bic = try model.bic(data), aic = try model.aic(data)
        let (samples, components) = model.sample(count: 1000, seed: 7)

        let diag = try GaussianMixture.fit(data, components: 2, sampleWeights: [1, 2, 1, 1, 0.5, 1],
                                           options: FitOptions(covarianceType: .diag))
        let more = try GaussianMixture.fit(data, components: 2,
                                           options: FitOptions(initialization: .model(diag.model), covarianceType: .diag))
        let selection = try GaussianMixture.select(data, components: [1, 2, 3], covarianceTypes: [.full, .tied],
                                                   criterion: .bic, options: FitOptions(restarts: 3))
        #expect(diag.model.covarianceType == .diag && more.model.covarianceType == .diag)
        #expect(selection.candidates.count == 6 && selection.best.fit != nil)
        // The two groups of rows (small and large first feature) end up in different components.
        #expect(labels[0] == labels[1] && labels[1] == labels[4])
        #expect(labels[2] == labels[3] && labels[3] == labels[5] && labels[0] != labels[2])
        #expect(r.rows == 6 && perRow.count == 6 && abs(meanLL - perRow.reduce(0, +) / 6) < 1e-12)
        #expect(abs((bic - aic) - Double(model.parameterCount) * (Foundation.log(6.0) - 2)) < 1e-9)
        #expect(samples.rows == 1000 && components.count == 1000)
        #expect(result.lowerBoundHistory.last == result.lowerBound)
    }
}
