import Foundation
@testable import GaussianMixtures
import Testing

/// A fit whose rows are split between two "processes" (threads, each with its block and a
/// ``TwoPartReducer``) gives the one-process model bit for bit when the blocks are cut at a
/// multiple of ``rowBlockAlignment`` rows, and to rounding otherwise: every sum, k-means++
/// draw, Lloyd step, empty-cluster move and re-seeding goes through the reducer (what `mpirun
/// -np 2 gmm fit` does, tested end to end by scripts/test-mpi).
@Suite struct DistributedFitTests {
    /// Fits `data` split at `split` rows on two threads; returns both parts' results.
    func splitFit(_ data: Matrix, split: Int, components k: Int, weights: [Double]?, options: FitOptions) throws -> [FitResult] {
        let d = data.columns
        let reducers = TwoPartReducer.pair()
        let results = UnsafeTransfer(UnsafeMutablePointer<Result<FitResult, Error>>.allocate(capacity: 2))
        defer { results.wrappedValue.deinitialize(count: 2); results.wrappedValue.deallocate() }
        data.values.withUnsafeBufferPointer { values in
            let shared = UnsafeTransfer(values)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                let rows = part == 0 ? 0..<split : split..<data.rows
                var options = options
                options.reducer = reducers[part]
                let block = UnsafeBufferPointer(rebasing: shared.wrappedValue[(rows.lowerBound * d)..<(rows.upperBound * d)])
                let blockWeights = weights.map { Array($0[rows]) }
                (results.wrappedValue + part).initialize(to: Result {
                    try withOptionalBuffer(blockWeights) { w in
                        try GaussianMixture.fit(block, rows: rows.count, columns: d, components: k, sampleWeights: w, options: options)
                    }
                })
            }
        }
        return try (0..<2).map { try results.wrappedValue[$0].get() }
    }

    func expectClose(_ a: FitResult, _ b: FitResult, _ label: String, tolerance: Double = 1e-13) {
        #expect(a.iterations == b.iterations, "\(label)")
        #expect(a.converged == b.converged, "\(label)")
        #expect(maxScaledError(a.model.weights, b.model.weights) < tolerance, "\(label)")
        #expect(maxScaledError(a.model.means.values, b.model.means.values) < tolerance, "\(label)")
        #expect(maxScaledError(a.model.covariances.flatMap(\.values), b.model.covariances.flatMap(\.values)) < tolerance, "\(label)")
        #expect(maxScaledError(a.lowerBoundHistory, b.lowerBoundHistory) < tolerance, "\(label)")
    }

    /// The same model and history, bit for bit.
    func expectIdentical(_ a: FitResult, _ b: FitResult, _ label: String) {
        #expect(a.iterations == b.iterations, "\(label)")
        #expect(a.model.weights == b.model.weights, "\(label)")
        #expect(a.model.means == b.model.means, "\(label)")
        #expect(a.model.covariances == b.model.covariances, "\(label)")
        #expect(a.lowerBoundHistory == b.lowerBoundHistory, "\(label)")
    }

    @Test(arguments: CovarianceType.allCases)
    func twoBlocksGiveTheOneProcessModel(type: CovarianceType) throws {
        let rows = 9_001
        let data = try syntheticData(rows: rows, seed: 21).data
        let weights = (0..<rows).map { Double($0 % 4) * 0.5 }
        let inits: [Initialization] = [.kMeans, .kMeansPlusPlus, .randomFromData, .randomResponsibilities]
        for (index, initialization) in inits.enumerated() {
            for w in [nil, weights] {
                let options = FitOptions(maxIterations: 40, initialization: initialization, covarianceType: type, seed: 5, threads: 2)
                let whole = try GaussianMixture.fit(data, components: 3, sampleWeights: w, options: options)
                let label = "\(type) \(initialization) weights: \(w != nil)"
                // Cut at 4096 rows: the bits of one process. At 437: to rounding.
                for part in try splitFit(data, split: rowBlockAlignment, components: 3, weights: w, options: options) {
                    expectIdentical(part, whole, label + ", aligned")
                }
                let parts = try splitFit(data, split: 437, components: 3, weights: w, options: options)
                expectClose(parts[0], whole, label, tolerance: index == 3 ? 1e-10 : 1e-13)  // random responsibilities amplify rounding
                // Both processes hold the same model, bit for bit (they take the same branches).
                #expect(parts[0].model.means == parts[1].model.means, "\(label)")
                #expect(parts[0].model.covariances == parts[1].model.covariances, "\(label)")
            }
        }
    }

    /// A bad weight is named by its row among every process's rows. (Both blocks hold one, so
    /// that both processes stop before their next exchange, as MPI_Abort would make them.)
    @Test func aBadWeightIsNamedByItsGlobalRow() {
        var bad = [Double](repeating: 1, count: 600)
        bad[10] = -1
        bad[449] = .nan
        let weights = bad
        let reducers = TwoPartReducer.pair()
        let messages = UnsafeTransfer(UnsafeMutablePointer<String>.allocate(capacity: 2))
        defer { messages.wrappedValue.deinitialize(count: 2); messages.wrappedValue.deallocate() }
        runParts(2) { part in
            let block = Array(weights[(part == 0 ? 0..<300 : 300..<600)])
            let message: String
            do {
                _ = try block.withUnsafeBufferPointer { try checkSampleWeights($0, rows: 300, reducer: reducers[part]) }
                message = "no error"
            } catch {
                message = "\(error)"
            }
            (messages.wrappedValue + part).initialize(to: message)
        }
        #expect(messages.wrappedValue[0].contains("row 11 (1-based)"), "\(messages.wrappedValue[0])")
        #expect(messages.wrappedValue[1].contains("row 450 (1-based)"), "\(messages.wrappedValue[1])")
    }

    /// One process holding no rows takes part in every exchange and changes nothing.
    @Test func aProcessWithNoRows() throws {
        let data = try syntheticData(rows: 300, seed: 4).data
        let options = FitOptions(seed: 2, threads: 1)
        let whole = try GaussianMixture.fit(data, components: 3, options: options)
        for split in [0, 300] {
            let parts = try splitFit(data, split: split, components: 3, weights: nil, options: options)
            expectClose(parts[0], whole, "split at \(split)")
            expectClose(parts[1], whole, "split at \(split)")
        }
    }

    /// Random responsibilities are drawn per global row, so the split does not change them.
    @Test func randomResponsibilitiesFollowGlobalRows() throws {
        let data = try syntheticData(rows: 600, seed: 8).data
        let options = FitOptions(maxIterations: 5, initialization: .randomResponsibilities, seed: 3, threads: 1)
        let whole = try GaussianMixture.fit(data, components: 3, options: options)
        let parts = try splitFit(data, split: 250, components: 3, weights: nil, options: options)
        expectClose(parts[0], whole, "random", tolerance: 1e-11)
    }

    /// Re-seeding an emptied component picks the same global row as one process would.
    @Test func reseedingPicksTheSameGlobalRow() throws {
        let data = try syntheticData(rows: 400, seed: 5).data
        var options = FitOptions(tolerance: 0, maxIterations: 30, initialization: .model(try DegenerateFitTests.startWithAFarComponent()))
        options.reseedEmptyComponents = true
        let whole = try GaussianMixture.fit(data, components: 3, options: options)
        #expect(!whole.reseeds.isEmpty, "the start must empty a component for this test to mean anything")
        for split in [100, 333] {
            let parts = try splitFit(data, split: split, components: 3, weights: nil, options: options)
            #expect(parts[0].reseeds == whole.reseeds, "split at \(split)")
            expectClose(parts[0], whole, "reseeding, split at \(split)")
        }
    }

    /// k-means' empty cluster moves to the farthest row of all processes: the one-process case
    /// of KMeansTests with rows {0, 0} on one process and {0, 10, 11} on the other.
    @Test func emptyClusterMovesToTheFarthestRowOfAllProcesses() throws {
        let values: [Double] = [0, 0, 0, 10, 11]
        let reducers = TwoPartReducer.pair()
        let out = UnsafeTransfer(UnsafeMutablePointer<([Int32], [Double])>.allocate(capacity: 2))
        defer { out.wrappedValue.deinitialize(count: 2); out.wrappedValue.deallocate() }
        values.withUnsafeBufferPointer { buffer in
            let shared = UnsafeTransfer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                let rows = part == 0 ? 0..<2 : 2..<5
                let data = DataView(base: shared.wrappedValue + rows.lowerBound, rows: rows.count, columns: 1,
                                    reducer: reducers[part], firstRow: rows.lowerBound, globalRows: 5)
                let (labels, centers) = KMeans(data: data, clusters: 2, threads: 1).lloyd(seeds: [0, 1])
                (out.wrappedValue + part).initialize(to: (Array(labels.prefix(rows.count)), centers))
            }
        }
        #expect(out.wrappedValue[0].0 + out.wrappedValue[1].0 == [0, 0, 0, 1, 1])
        #expect(out.wrappedValue[0].1 == [0, 10.5])
        #expect(out.wrappedValue[1].1 == [0, 10.5])
    }
    /// A fit whose k-means seeds on a sample (of 700 of its 6,000 rows) gives the same model on
    /// one process and split over two, with and without sample weights: the sample's rows are
    /// global draws, gathered to every process.
    @Test func sampledSeedingIsTheSameOverProcesses() throws {
        let data = try syntheticData(rows: 6_000, seed: 12).data
        let weights = (0..<6_000).map { Double($0 % 4) * 0.5 }
        for w in [nil, weights] {
            for initialization in [Initialization.kMeans, .kMeansPlusPlus] {
                var options = FitOptions(maxIterations: 3, initialization: initialization, threads: 2)
                options.seedingSample = 700
                let whole = try withOptionalBuffer(w) { buffer in
                    try data.values.withUnsafeBufferPointer {
                        try GaussianMixture.fit($0, rows: data.rows, columns: 3, components: 3, sampleWeights: buffer, options: options)
                    }
                }
                let parts = try splitFit(data, split: 4_096, components: 3, weights: w, options: options)
                expectClose(parts[0], whole, "\(initialization), weighted \(w != nil)")
                expectClose(parts[1], whole, "\(initialization), weighted \(w != nil)")
            }
        }
    }
}
