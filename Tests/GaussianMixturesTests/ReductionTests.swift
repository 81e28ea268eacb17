import Foundation
@testable import GaussianMixtures
import Testing

/// What n "processes" (threads) hand each other: each call waits for every part's and returns
/// them all, in part order, as an all-gather across machines would.
final class PartHub: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [[Double]?]
    private var result: [[Double]] = []
    private var generation = 0

    init(parts: Int) { pending = [[Double]?](repeating: nil, count: parts) }

    func exchange(part: Int, _ values: [Double]) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        let round = generation
        pending[part] = values
        if pending.allSatisfy({ $0 != nil }) {
            result = pending.map { $0! }
            pending = [[Double]?](repeating: nil, count: pending.count)
            generation += 1
            condition.broadcast()
        } else {
            while generation == round { condition.wait() }
        }
        return result
    }
}

/// The reducer of one of n "processes" holding one block of the data each.
final class TwoPartReducer: Reducer, @unchecked Sendable {
    let hub: PartHub
    let rank: Int
    let size: Int

    init(hub: PartHub, rank: Int, size: Int) {
        self.hub = hub
        self.rank = rank
        self.size = size
    }

    /// The reducers of two parts, sharing one hub.
    static func pair() -> [TwoPartReducer] { group(2) }

    /// The reducers of `count` parts, sharing one hub.
    static func group(_ count: Int) -> [TwoPartReducer] {
        let hub = PartHub(parts: count)
        return (0..<count).map { TwoPartReducer(hub: hub, rank: $0, size: count) }
    }

    func gather(_ values: [Double]) -> [[Double]] { hub.exchange(part: rank, values) }
    func sum(_ values: inout [Double]) {
        let parts = gather(values)
        values = parts.dropFirst().reduce(parts[0]) { zip($0, $1).map { $0 + $1 } }
    }
    func maximum(_ values: inout [Double]) {
        let parts = gather(values)
        values = parts.dropFirst().reduce(parts[0]) { zip($0, $1).map { Swift.max($0, $1) } }
    }
}

/// Runs `body(part)` for `count` parts at once, each on a thread of its own (the parts wait for
/// each other in their exchanges, so none may wait for a free thread as in a thread pool).
func runParts(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for part in 0..<count {
        let thread = Thread {
            body(part)
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    for _ in 0..<count { done.wait() }
}

/// The sums of `stats` with only the lower triangle of each scatter (the meaningful part).
func lowerPacked(_ stats: SufficientStatistics, diagonal: Bool = false) -> [Double] {
    let k = stats.components, d = stats.features
    var scatter: [Double] = []
    for c in 0..<k { for i in 0..<d { for j in (diagonal ? i : 0)...i { scatter.append(stats.centeredScatter[c * d * d + i * d + j]) } } }
    return stats.weightSums + stats.centeredSums + scatter + [stats.logLikelihood, stats.sampleCount]
}

/// Everything the E-step sums over rows goes through the data's reducer: the statistics of two
/// blocks combined by it equal the statistics of the whole, on every road; bit for bit when the
/// blocks are cut at a chunk boundary.
@Suite struct ReductionTests {
    func expectation(_ values: UnsafeBufferPointer<Double>, rows: Range<Int>, of total: Int, columns d: Int,
                     model: GaussianMixture, reducer: any Reducer, road: EStepRoad?, chunkRows: Int) -> SufficientStatistics {
        let view = DataView(base: values.baseAddress! + rows.lowerBound * d, rows: rows.count, columns: d,
                            reducer: reducer, firstRow: rows.lowerBound, globalRows: total)
        let kernel = BLASKernel(data: view, components: model.componentCount, covarianceType: model.covarianceType,
                                threads: 2, chunkRows: chunkRows)
        return kernel.expectation(model, road: road)
    }

    @Test(arguments: CovarianceType.allCases)
    func blocksThroughTheReducerEqualTheWhole(type: CovarianceType) throws {
        let data = try syntheticData(rows: 9_001, seed: 12).data
        let model = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 4, covarianceType: type, seed: 3)).model
        let roads: [EStepRoad?] = type == .tied ? [nil, .quadratic, .whitening, .tied] : [nil, .quadratic, .whitening]
        // 4096 is a multiple of every grid's chunks (the E-step's 64 rows, the data centre's
        // 4096): every sum has the bits of one process. 4500 splits chunks, which are then
        // added in process order: the same to rounding.
        for (cut, exact) in [(4_096, true), (4_500, false), (9_001, true)] {
            for road in roads {
                data.values.withUnsafeBufferPointer { values in
                    let whole = expectation(values, rows: 0..<9_001, of: 9_001, columns: 3, model: model,
                                            reducer: SingleProcess.shared, road: road, chunkRows: 64)
                    let reducers = TwoPartReducer.pair()
                    let parts = UnsafeTransfer(UnsafeMutablePointer<SufficientStatistics>.allocate(capacity: 2))
                    defer { parts.wrappedValue.deinitialize(count: 2); parts.wrappedValue.deallocate() }
                    let transfer = UnsafeTransfer(values)
                    DispatchQueue.concurrentPerform(iterations: 2) { part in
                        let rows = part == 0 ? 0..<cut : cut..<9_001
                        (parts.wrappedValue + part).initialize(to: expectation(
                            transfer.wrappedValue, rows: rows, of: 9_001, columns: 3, model: model, reducer: reducers[part],
                            road: road, chunkRows: 64))
                    }
                    for part in 0..<2 {
                        let combined = parts.wrappedValue[part]
                        if exact {
                            #expect(combined.shifts == whole.shifts, "the shifts (the data's centre on the quadratic road) are one sum")
                            #expect(combined.packed == whole.packed, "\(type), road \(String(describing: road)), cut \(cut)")
                        } else {
                            // Diagonal layouts carry only the scatter's diagonal, which is all their M-step reads.
                            let diagonal = type == .diag || type == .spherical
                            #expect(maxRelativeError(combined.shifts, whole.shifts, floor: 1) < 1e-14)
                            let moved = combined.recentred(to: whole.shifts)
                            #expect(maxScaledError(lowerPacked(moved, diagonal: diagonal), lowerPacked(whole, diagonal: diagonal))
                                    < 1e-13, "\(type), road \(String(describing: road))")
                        }
                    }
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
    /// The starting statistics of every initialisation (k-means labels, seed rows, random
    /// responsibilities) agree with the naive path's, which forms every row's K responsibilities
    /// and sums them one by one: with sample weights (some zero), a seed row shared by two
    /// components, a component that owns no row, float32 and several chunkings; and the thread
    /// count changes no bit.
    @Test func initialisationStatisticsAgreeWithTheNaivePath() throws {
        let n = 1_000, k = 4
        let data = try syntheticData(rows: n, seed: 8).data
        let labels: [Int32] = (0..<n).map { (r: Int) -> Int32 in Int32((r * 7 + r / 13) % 3) }  // component 3 owns no row
        let weights: [Double] = (0..<n).map { (r: Int) -> Double in r % 11 == 0 ? 0 : 0.25 + Double(r % 5) }
        let shifts = (0..<(k * 3)).map { Double($0) * 0.4 - 2 }
        let sources: [ResponsibilitySource] = [.labels(labels), .seedRows([17, 400, 17, 999]), .random(seed: 5)]
        let float32 = data.values.map { Float($0) }
        for weighted in [false, true] {
            for source in sources {
                weights.withUnsafeBufferPointer { w in
                    let weightPointer = weighted ? w.baseAddress! : nil
                    let naive = data.values.withUnsafeBufferPointer { values in
                        NaiveKernel(data: DataView(base: values.baseAddress!, rows: n, columns: 3, weights: weightPointer),
                                    components: k, covarianceType: .full, threads: 1, chunkRows: nil)
                            .statistics(of: source, shifts: shifts)
                    }
                    for chunkRows in [64, 256, 1_024] {
                        let (fast, serial) = data.values.withUnsafeBufferPointer { values in
                            let view = DataView(base: values.baseAddress!, rows: n, columns: 3, weights: weightPointer)
                            return (BLASKernel(data: view, components: k, covarianceType: .full, threads: 2, chunkRows: chunkRows)
                                        .statistics(of: source, shifts: shifts),
                                    BLASKernel(data: view, components: k, covarianceType: .full, threads: 1, chunkRows: chunkRows)
                                        .statistics(of: source, shifts: shifts))
                        }
                        #expect(serial.packed == fast.packed, "threads change no bit: \(source)")
                        #expect(maxRelativeError(fast.weightSums, naive.weightSums, floor: 1) < 1e-14,
                                "\(source), weighted \(weighted)")
                        #expect(maxScaledError(fast.centeredSums, naive.centeredSums) < 1e-13, "\(source), weighted \(weighted)")
                        #expect(maxScaledError(lowerPacked(fast), lowerPacked(naive)) < 1e-13, "\(source), weighted \(weighted)")
                        if case .labels = source {
                            #expect(fast.weightSums[3] == 0 && fast.centeredScatter[(3 * 9)..<(4 * 9)].allSatisfy { $0 == 0 })
                        }
                        let single = float32.withUnsafeBufferPointer { values in
                            BLASKernel(data: DataView(base: values.baseAddress!, rows: n, columns: 3, weights: weightPointer),
                                       components: k, covarianceType: .full, threads: 2, chunkRows: chunkRows)
                                .statistics(of: source, shifts: shifts)
                        }
                        #expect(maxScaledError(lowerPacked(single), lowerPacked(naive)) < 1e-5, "float32 \(source)")
                    }
                }
            }
        }
    }
    /// The small-block Gram kernel against the plain loop of its contract (each product rounded
    /// in double, summed over the rows in order from zero, then added), every D from 1 to 17
    /// (whole and edge tiles), float64 and float32 rows; the upper triangle is left alone.
    @Test func smallGramKernelMatchesThePlainLoop() {
        func check<S: EngineScalar>(_: S.Type) {
            var generator = Xoshiro256StarStar(seed: 31)
            for d in 1...17 {
                for rows in [0, 1, 5, 37] {
                    let a = (0..<(rows * d)).map { _ in S(3 * generator.nextGaussian()) }
                    let start = (0..<(d * d)).map { _ in generator.nextGaussian() }
                    var expected = start
                    for i in 0..<d {
                        for j in 0...i {
                            var sum = 0.0
                            for r in 0..<rows { sum += Double(a[r * d + i]) * Double(a[r * d + j]) }
                            expected[i * d + j] += sum
                        }
                    }
                    var out = start
                    a.withUnsafeBufferPointer { S.gramLowerAdd(rows: rows, columns: d, a: $0.baseAddress ?? UnsafePointer(bitPattern: 8)!, into: &out) }
                    #expect(out == expected, "D = \(d), \(rows) rows, \(S.self)")
                }
            }
        }
        check(Double.self)
        check(Float.self)
    }

    /// The hard-label statistics at D = 8 (where whole components' blocks go through the small
    /// Gram kernel) against the naive path, with weights, float32 and two threads.
    @Test func hardLabelStatisticsAtEightFeaturesAgreeWithTheNaivePath() {
        let n = 2_000, k = 5, d = 8
        var generator = Xoshiro256StarStar(seed: 41)
        let values = (0..<(n * d)).map { _ in 2 * generator.nextGaussian() + 10 }
        let labels = (0..<n).map { Int32(($0 * 3 + $0 / 7) % k) }
        let weights = (0..<n).map { $0 % 5 == 0 ? 0 : 0.5 + Double($0 % 3) }
        let shifts = (0..<(k * d)).map { Double($0 % 7) + 7 }
        func check<S: EngineScalar>(_ x: [S], weighted: Bool) {
            x.withUnsafeBufferPointer { buffer in
                weights.withUnsafeBufferPointer { w in
                    let view = DataView(base: buffer.baseAddress!, rows: n, columns: d, weights: weighted ? w.baseAddress : nil)
                    let fast = BLASKernel(data: view, components: k, covarianceType: .full, threads: 2, chunkRows: 256)
                        .statistics(of: .labels(labels), shifts: shifts)
                    let naive = NaiveKernel(data: view, components: k, covarianceType: .full, threads: 1, chunkRows: nil)
                        .statistics(of: .labels(labels), shifts: shifts)
                    #expect(maxScaledError(lowerPacked(fast), lowerPacked(naive)) < (S.self == Double.self ? 1e-13 : 1e-6),
                            "\(S.self), weighted \(weighted)")
                }
            }
        }
        for weighted in [false, true] {
            check(values, weighted: weighted)
            check(values.map { Float($0) }, weighted: weighted)
        }
    }
}
