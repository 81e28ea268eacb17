@testable import GaussianMixtures
import Testing

@Suite struct KMeansTests {
    /// Two seeds on the same row leave cluster 1 empty after the first assignment; it must move
    /// to the row farthest from its centre (11, at distance 6.8 from the mean 4.2), after which
    /// Lloyd separates {0, 0, 0} from {10, 11}.
    @Test func emptyClusterMovesToTheFarthestRow() throws {
        let values: [Double] = [0, 0, 0, 10, 11]
        try values.withUnsafeBufferPointer { buffer in
            let data = DataView(base: try #require(buffer.baseAddress), rows: 5, columns: 1)
            let (labels, centers) = KMeans(data: data, clusters: 2, threads: 1).lloyd(seeds: [0, 1])
            #expect(labels == [0, 0, 0, 1, 1])
            #expect(centers == [0, 10.5])
        }
    }

    /// The k-means++ kernels (several rows or trials per vector) against a plain Swift loop of the
    /// documented arithmetic: `(w_n · unit) · Σ_j (x_nj - p_j)²` in feature order, capped by
    /// `closest_n` and added row by row; the closest distance lowered to the `Float` of it.
    @Test(arguments: [(5, 5, true), (9, 3, false), (8, 4, true), (70, 2, false)])
    func seedingKernelsMatchThePlainLoop(columns d: Int, trials: Int, weighted: Bool) {
        func check<S: EngineScalar>(_: S.Type) {
            var generator = Xoshiro256StarStar(seed: UInt64(d * 10 + trials))
            let rows = 4099
            let x = (0..<(rows * d)).map { _ in S(3 * generator.nextGaussian()) }
            let weights = weighted ? (0..<rows).map { _ in generator.nextUniform() * 2 } : nil
            let candidates = (0..<(trials * d)).map { _ in 3 * generator.nextGaussian() }
            let closest = (0..<rows).map { _ in Float(40 * generator.nextUniform()) }
            let unit = 0.37
            func value(_ n: Int, _ p: ArraySlice<Double>) -> Double {
                var sum = 0.0
                for j in 0..<d {
                    let t = Double(x[n * d + j]) - p[p.startIndex + j]
                    sum += t * t
                }
                return (weights?[n] ?? 1) * unit * sum
            }
            var expectedSums = [Double](repeating: 0.5, count: trials)
            var expectedClosest = closest
            for n in 0..<rows {
                for c in 0..<trials {
                    let v = value(n, candidates[(c * d)..<((c + 1) * d)])
                    let cap = Double(closest[n])
                    expectedSums[c] += cap < v ? cap : v
                }
                let candidate = Float(value(n, candidates[0..<d]))
                expectedClosest[n] = candidate < expectedClosest[n] ? candidate : expectedClosest[n]
            }
            var sums = [Double](repeating: 0.5, count: trials)
            var lowered = closest
            let weightValues = weights ?? []
            x.withUnsafeBufferPointer { xs in
                weightValues.withUnsafeBufferPointer { ws in
                    let w = weighted ? ws.baseAddress : nil
                    S.seedPotentials(xs.baseAddress!, weights: w, rows: rows, columns: d, candidates: candidates,
                                     trials: trials, unit: unit, closest: closest, sums: &sums)
                    S.seedClosest(xs.baseAddress!, weights: w, rows: rows, columns: d, point: candidates, unit: unit,
                                  closest: &lowered)
                }
            }
            #expect(sums == expectedSums)
            #expect(lowered == expectedClosest)
        }
        check(Double.self)
        check(Float.self)
    }
}
