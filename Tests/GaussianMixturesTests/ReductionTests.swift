import Foundation
@testable import GaussianMixtures
import Testing

/// What two "processes" (threads) hand each other: each call waits for the other's and returns
/// both, in part order, as an all-gather across machines would.
final class TwoPartHub: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [[Double]?] = [nil, nil]
    private var result: [[Double]] = []
    private var generation = 0

    func exchange(part: Int, _ values: [Double]) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        let round = generation
        pending[part] = values
        if let first = pending[0], let second = pending[1] {
            result = [first, second]
            pending = [nil, nil]
            generation += 1
            condition.broadcast()
        } else {
            while generation == round { condition.wait() }
        }
        return result
    }
}

/// The reducer of one of two "processes" holding one block of the data each.
final class TwoPartReducer: Reducer, @unchecked Sendable {
    let hub: TwoPartHub
    let rank: Int
    var size: Int { 2 }

    init(hub: TwoPartHub, rank: Int) {
        self.hub = hub
        self.rank = rank
    }

    /// The reducers of the two parts, sharing one hub.
    static func pair() -> [TwoPartReducer] {
        let hub = TwoPartHub()
        return [TwoPartReducer(hub: hub, rank: 0), TwoPartReducer(hub: hub, rank: 1)]
    }

    func gather(_ values: [Double]) -> [[Double]] { hub.exchange(part: rank, values) }
    func sum(_ values: inout [Double]) {
        let parts = gather(values)
        values = zip(parts[0], parts[1]).map { $0 + $1 }
    }
    func maximum(_ values: inout [Double]) {
        let parts = gather(values)
        values = zip(parts[0], parts[1]).map { Swift.max($0, $1) }
    }
}

/// The sums of `stats` with only the lower triangle of each scatter (the meaningful part).
func lowerPacked(_ stats: SufficientStatistics, diagonal: Bool = false) -> [Double] {
    let k = stats.components, d = stats.features
    var scatter: [Double] = []
    for c in 0..<k { for i in 0..<d { for j in (diagonal ? i : 0)...i { scatter.append(stats.centeredScatter[c * d * d + i * d + j]) } } }
    return stats.weightSums + stats.centeredSums + scatter + [stats.logLikelihood, stats.sampleCount]
}

/// Everything the E-step sums over rows goes through the data's reducer: the statistics of two
/// halves combined by it equal the statistics of the whole, on every road.
@Suite struct ReductionTests {
    func expectation(_ values: UnsafeBufferPointer<Double>, rows: Range<Int>, columns d: Int, model: GaussianMixture,
                     reducer: any Reducer, road: EStepRoad?) -> SufficientStatistics {
        var view = DataView(base: values.baseAddress! + rows.lowerBound * d, rows: rows.count, columns: d)
        view.reducer = reducer
        let kernel = BLASKernel(data: view, components: model.componentCount, covarianceType: model.covarianceType,
                                threads: 1, chunkRows: nil)
        return kernel.expectation(model, road: road)
    }

    @Test(arguments: CovarianceType.allCases)
    func halvesThroughTheReducerEqualTheWhole(type: CovarianceType) throws {
        let data = try syntheticData(rows: 1_001, seed: 12).data
        let model = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 4, covarianceType: type, seed: 3)).model
        let roads: [EStepRoad?] = type == .tied ? [nil, .quadratic, .whitening, .tied] : [nil, .quadratic, .whitening]
        for road in roads {
            data.values.withUnsafeBufferPointer { values in
                let whole = expectation(values, rows: 0..<1_001, columns: 3, model: model, reducer: SingleProcess.shared, road: road)
                let reducers = TwoPartReducer.pair()
                let parts = UnsafeTransfer(UnsafeMutablePointer<SufficientStatistics>.allocate(capacity: 2))
                defer { parts.wrappedValue.deinitialize(count: 2); parts.wrappedValue.deallocate() }
                let transfer = UnsafeTransfer(values)
                DispatchQueue.concurrentPerform(iterations: 2) { part in
                    let rows = part == 0 ? 0..<400 : 400..<1_001
                    (parts.wrappedValue + part).initialize(to: expectation(transfer.wrappedValue, rows: rows, columns: 3,
                                                                          model: model, reducer: reducers[part], road: road))
                }
                for part in 0..<2 {
                    // The quadratic road's shift is the data's centre, summed in another order by halves.
                    let combined = parts.wrappedValue[part]
                    #expect(maxRelativeError(combined.shifts, whole.shifts, floor: 1) < 1e-14)
                    // Diagonal layouts carry only the scatter's diagonal, which is all their M-step reads.
                    let diagonal = type == .diag || type == .spherical
                    let moved = combined.recentred(to: whole.shifts)
                    #expect(maxScaledError(lowerPacked(moved, diagonal: diagonal), lowerPacked(whole, diagonal: diagonal)) < 1e-13,
                            "\(type), road \(String(describing: road))")
                }
            }
        }
    }

    /// Statistics re-centred on other shifts equal the statistics taken about them directly.
    @Test func recentredStatisticsEqualDirectOnes() throws {
        let data = try syntheticData(rows: 300, seed: 2).data
        let labels = (0..<300).map { Int32($0 % 3) }
        let a = (0..<9).map { Double($0) * 0.7 - 2 }, b = (0..<9).map { Double($0) * -0.3 + 1 }
        data.values.withUnsafeBufferPointer { values in
            let view = DataView(base: values.baseAddress!, rows: 300, columns: 3)
            let kernel = NaiveKernel(data: view, components: 3, covarianceType: .full, threads: 1, chunkRows: nil)
            let aboutA = kernel.statistics(of: .labels(labels), shifts: a)
            let aboutB = kernel.statistics(of: .labels(labels), shifts: b)
            let moved = aboutA.recentred(to: b)
            #expect(moved.shifts == b)
            #expect(maxRelativeError(lowerPacked(moved), lowerPacked(aboutB), floor: 1e-9) < 1e-12)
        }
    }
}
