import GaussianMixtures
import Testing

/// Bad input is a feature: each failure is typed, names where it happened and says what to try.
@Suite struct ErrorTests {
    @Test func nonFiniteDataIsRejectedWithRowAndColumn() throws {
        var data = try syntheticData(rows: 50, seed: 1).data
        data[17, 2] = .nan
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture.fit(data, components: 2) }
        do {
            _ = try GaussianMixture.fit(data, components: 2)
        } catch let error as GaussianMixtureError {
            guard case .nonFiniteValue(let row, let column, let value) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(row == 17 && column == 2 && value.isNaN)
            #expect(error.description.contains("row 18, column 3"))
        }
        data[17, 2] = -.infinity
        #expect(throws: GaussianMixtureError.nonFiniteValue(row: 17, column: 2, value: -.infinity)) {
            try GaussianMixture.fit(data, components: 2)
        }
    }

    /// Scoring and prediction refuse NaN and infinity too, naming the first bad value in row
    /// order (float64 and float32), and score clean data as before.
    @Test func scoringRejectsNonFiniteDataWithRowAndColumn() throws {
        var data = try syntheticData(rows: 60, seed: 3).data
        let model = try GaussianMixture.fit(data, components: 2, options: FitOptions(threads: 1)).model
        let clean = try model.score(data)
        #expect(clean.isFinite)
        data[40, 0] = .infinity
        data[23, 1] = .nan
        let single = data.values.map { Float($0) }
        let attempts: [(String, () throws -> Void)] = [
            ("score", { _ = try model.score(data) }),
            ("predict", { _ = try model.predict(data) }),
            ("predictProbabilities", { _ = try model.predictProbabilities(data) }),
            ("float32 predict", { _ = try single.withUnsafeBufferPointer { try model.predict($0, rows: 60, columns: 3) } }),
        ]
        for (name, attempt) in attempts {
            do {
                try attempt()
                Issue.record("\(name) accepted a NaN")
            } catch let error as GaussianMixtureError {
                guard case .nonFiniteValue(let row, let column, let value) = error else {
                    Issue.record("\(name): wrong error \(error)")
                    continue
                }
                #expect(row == 23 && column == 1 && value.isNaN, "\(name)")
            }
        }
    }

    @Test func collapsedComponentNamesComponentAndIteration() throws {
        // Ten copies of the origin and a spread cloud far away, no regularization: component 0
        // takes exactly the copies, so its covariance is exactly zero after the first M-step.
        let cloud = try syntheticData(rows: 20, seed: 9).data.rowArrays.map { $0.prefix(2).map { $0 + 50 } }
        let data = try Matrix(Array(repeating: [0.0, 0.0], count: 10) + cloud)
        let start = try GaussianMixture(weights: [0.5, 0.5], means: Matrix([[0, 0], [50, 50]]),
                                        covariances: [Matrix([[0.01, 0], [0, 0.01]]), Matrix([[10, 0], [0, 10]])])
        for path in ComputePath.allCases {
            let options = FitOptions(regularization: 0, initialization: .model(start), path: path)
            do {
                _ = try GaussianMixture.fit(data, components: 2, options: options)
                Issue.record("expected a collapse error on \(path)")
            } catch let error as GaussianMixtureError {
                guard case .covarianceNotPositiveDefinite(let component, let iteration, _) = error else {
                    Issue.record("wrong error \(error)")
                    continue
                }
                #expect(component == 0 && iteration == 1)
                #expect(error.description.contains("regularization"))
            }
            // With scikit-learn's default regularization the same fit succeeds with finite parameters.
            let fitted = try GaussianMixture.fit(data, components: 2, options: FitOptions(initialization: .model(start), path: path))
            #expect(fitted.model.covariances.allSatisfy { $0.values.allSatisfy(\.isFinite) })
            #expect(fitted.lowerBound.isFinite)
        }
    }

    @Test func invalidOptionsAreRejected() throws {
        let data = try syntheticData(rows: 20, seed: 2).data
        let bad: [FitOptions] = [
            FitOptions(tolerance: -1), FitOptions(tolerance: .nan), FitOptions(regularization: -1e-6),
            FitOptions(maxIterations: -1), FitOptions(restarts: 0), FitOptions(threads: 0),
        ]
        for options in bad {
            #expect(throws: GaussianMixtureError.self) { try GaussianMixture.fit(data, components: 2, options: options) }
        }
        #expect(throws: GaussianMixtureError.tooFewSamples(samples: 20, components: 21)) {
            try GaussianMixture.fit(data, components: 21)
        }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture.fit(data, components: 0) }
        let wrongShape = try GaussianMixture(weights: [1], means: Matrix([[0, 0]]), covariances: [Matrix([[1, 0], [0, 1]])])
        #expect(throws: GaussianMixtureError.self) {
            try GaussianMixture.fit(data, components: 1, options: FitOptions(initialization: .model(wrongShape)))
        }
        #expect(throws: GaussianMixtureError.self) { try wrongShape.score(data) }
    }

    @Test func invalidModelsAreRejected() throws {
        let eye = try Matrix([[1, 0], [0, 1]])
        let means = try Matrix([[0, 0]])
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [0.5], means: means, covariances: [eye]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [-1, 2], means: Matrix([[0, 0], [1, 1]]), covariances: [eye, eye]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [1], means: means, covariances: [Matrix([[1, 2], [2, 1]])]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [1], means: means, covariances: [Matrix([[1, 0.5], [0, 1]])]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [1], means: means, covariances: [Matrix([[1]])]) }
        #expect(throws: GaussianMixtureError.self) { try GaussianMixture(weights: [1], means: Matrix([[.nan, 0]]), covariances: [eye]) }
        #expect(throws: GaussianMixtureError.self) { try Matrix([[1, 2], [3]]) }
        #expect(throws: GaussianMixtureError.self) { try Matrix(rows: 2, columns: 2, values: [1, 2, 3]) }
    }

    @Test func maxIterationsZeroReturnsTheInitialModel() throws {
        let data = try syntheticData(rows: 300, seed: 3).data
        let result = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 0))
        #expect(result.iterations == 0 && !result.converged && result.lowerBoundHistory.isEmpty)
        #expect(abs(result.model.weights.reduce(0, +) - 1) < 1e-12)
    }
}
