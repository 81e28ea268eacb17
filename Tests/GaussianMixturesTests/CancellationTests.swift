import Foundation
import GaussianMixtures
import Synchronization
import Testing

/// `FitOptions.shouldStop`: asked before every iteration, a true answer ends the fit with
/// `CancellationError` (the C library's cancellation flag and Python's Ctrl-C rest on it).
@Suite struct CancellationTests {
    @Test func aStopRequestEndsTheFitBeforeTheNextIteration() throws {
        let iterations = Mutex(0)
        var options = FitOptions(tolerance: 0, maxIterations: 1_000, seed: 1)
        options.progress = { _ in iterations.withLock { $0 += 1 } }
        options.shouldStop = { iterations.withLock { $0 >= 3 } }
        #expect(throws: CancellationError.self) {
            try GaussianMixture.fit(try irisData(), components: 3, options: options)
        }
        #expect(iterations.withLock { $0 } == 3)
    }

    @Test func aFalseAnswerChangesNothing() throws {
        var options = FitOptions(tolerance: 1e-6, seed: 2)
        let plain = try GaussianMixture.fit(try irisData(), components: 3, options: options)
        options.shouldStop = { false }
        let asked = try GaussianMixture.fit(try irisData(), components: 3, options: options)
        #expect(asked.model.means == plain.model.means)
        #expect(asked.lowerBoundHistory == plain.lowerBoundHistory)
    }
}
