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
    /// `rows` points of `centers.count / 2` well-separated 2-D blobs (blob `n % K`, σ = 1, blob
    /// centres 40 apart), with the blob of each row.
    func blobs(rows: Int, clusters k: Int, seed: UInt64) -> (values: [Double], truth: [Int]) {
        var generator = Xoshiro256StarStar(seed: seed)
        var values: [Double] = [], truth: [Int] = []
        for n in 0..<rows {
            let c = (n * 7 + n / 3) % k
            truth.append(c)
            values += [40 * Double(c % 4) + generator.nextGaussian(), 40 * Double(c / 4) + generator.nextGaussian()]
        }
        return (values, truth)
    }

    /// Seeding on a sample (here 600 of 8,000 rows) still finds every one of 16 separated blobs,
    /// and Lloyd ends at a fixed point of all the rows: every label is its row's nearest centre
    /// (by the plain sum of squares) and every centre the mean of its rows to the tolerance.
    @Test func sampledSeedingFindsEveryBlobAndLloydEndsOnAllRows() throws {
        let k = 16, n = 8_000
        for seed in [UInt64(1), 2, 3] {
            let (values, truth) = blobs(rows: n, clusters: k, seed: seed)
            try values.withUnsafeBufferPointer { buffer in
                let data = DataView(base: try #require(buffer.baseAddress), rows: n, columns: 2)
                let kmeans = KMeans(data: data, clusters: k, threads: 2, seedingSample: 600)
                var generator = Xoshiro256StarStar(seed: seed)
                let seeds = kmeans.seeds(using: &generator)
                #expect(Set(seeds.map { truth[$0] }).count == k, "one seed in every blob (seed \(seed))")
                generator = Xoshiro256StarStar(seed: seed)
                let clustered = kmeans.cluster(using: &generator), centers = clustered.centers
                let labels = clustered.labels
                // The labels are the blobs, up to a renaming.
                var blobOf = [Int: Int]()
                for r in 0..<n { blobOf[Int(labels[r])] = blobOf[Int(labels[r])] ?? truth[r] }
                #expect((0..<n).allSatisfy { blobOf[Int(labels[$0])] == truth[$0] }, "seed \(seed)")
                var sums = [Double](repeating: 0, count: 3 * k)
                for r in 0..<n {
                    var best = 0, bestDistance = Double.infinity
                    for c in 0..<k {
                        let dx = values[2 * r] - centers[2 * c], dy = values[2 * r + 1] - centers[2 * c + 1]
                        if dx * dx + dy * dy < bestDistance { (best, bestDistance) = (c, dx * dx + dy * dy) }
                    }
                    #expect(Int(labels[r]) == best)
                    sums[3 * best] += 1
                    sums[3 * best + 1] += values[2 * r]
                    sums[3 * best + 2] += values[2 * r + 1]
                }
                for c in 0..<k {
                    #expect(abs(sums[3 * c + 1] / sums[3 * c] - centers[2 * c]) < 1e-9)
                    #expect(abs(sums[3 * c + 2] / sums[3 * c] - centers[2 * c + 1]) < 1e-9)
                }
            }
        }
    }

    /// With sample weights the sample is drawn in proportion to them: rows of weight zero, here
    /// half of the data and far from the rest, are never seeds, sampled or not.
    /// (``seedsAreDistinctPointsOfPositiveWeight()`` covers data of fewer distinct points.)
    @Test func sampledSeedingNeverSeedsARowOfWeightZero() throws {
        let k = 8, n = 6_000
        var (values, _) = blobs(rows: n, clusters: k, seed: 4)
        for r in stride(from: 1, to: n, by: 2) { values[2 * r] += 1e4 }
        let weights = (0..<n).map { $0 % 2 == 0 ? 1.0 + Double($0 % 3) : 0 }
        try values.withUnsafeBufferPointer { buffer in
            try weights.withUnsafeBufferPointer { w in
                let data = DataView(base: try #require(buffer.baseAddress), rows: n, columns: 2, weights: w.baseAddress)
                for sample in [300, n] {
                    for seed in [UInt64(5), 6, 7] {
                        var generator = Xoshiro256StarStar(seed: seed)
                        let seeds = KMeans(data: data, clusters: k, threads: 2, seedingSample: sample).seeds(using: &generator)
                        #expect(seeds.allSatisfy { weights[$0] > 0 }, "sample \(sample), seed \(seed): \(seeds)")
                    }
                }
            }
        }
    }
    /// Most of the weight on one row: a sample drawn in proportion to the weights is that row
    /// again and again, so its seeds would repeat it; the seeding then runs on all the rows and
    /// finds every blob. And when the rows of positive weight hold fewer distinct points than
    /// K, the seeds repeat points but never take a row of weight zero.
    @Test func seedsAreDistinctPointsOfPositiveWeight() throws {
        let k = 8, n = 6_000
        let (values, truth) = blobs(rows: n, clusters: k, seed: 9)
        var heavy = [Double](repeating: 1, count: n)
        heavy[0] = 1e7
        try values.withUnsafeBufferPointer { buffer in
            try heavy.withUnsafeBufferPointer { w in
                let data = DataView(base: try #require(buffer.baseAddress), rows: n, columns: 2, weights: w.baseAddress)
                for seed in [UInt64(1), 2, 3] {
                    var generator = Xoshiro256StarStar(seed: seed)
                    let kmeans = KMeans(data: data, clusters: k, threads: 2, seedingSample: 600)
                    let seeds = kmeans.seeds(using: &generator)
                    #expect(Set(seeds.map { truth[$0] }).count == k, "seed \(seed): \(seeds)")
                    generator = Xoshiro256StarStar(seed: seed)
                    let centers = kmeans.cluster(using: &generator).centers
                    for c in 0..<k {
                        // Each centre within a few σ of a blob's centre (blobs 40 apart).
                        let x = centers[2 * c], y = centers[2 * c + 1]
                        #expect(abs(x - 40 * (x / 40).rounded()) < 1 && abs(y - 40 * (y / 40).rounded()) < 1, "centre \(c): \(x), \(y)")
                    }
                }
            }
        }
        // Three distinct points of positive weight (rows 1-3), K = 5, the other rows weigh nothing.
        let few: [Double] = (0..<1_000).map { Double($0 % 7) * 10 }
        let weights = (0..<1_000).map { $0 >= 1 && $0 <= 3 ? 1.0 : 0 }
        try few.withUnsafeBufferPointer { buffer in
            try weights.withUnsafeBufferPointer { w in
                let data = DataView(base: try #require(buffer.baseAddress), rows: 1_000, columns: 1, weights: w.baseAddress)
                for sample in [100, 1_000] {
                    for seed in [UInt64(4), 5, 6] {
                        var generator = Xoshiro256StarStar(seed: seed)
                        let seeds = KMeans(data: data, clusters: 5, threads: 1, seedingSample: sample).seeds(using: &generator)
                        #expect(seeds.allSatisfy { weights[$0] > 0 }, "sample \(sample), seed \(seed): \(seeds)")
                    }
                }
            }
        }
    }
}
