import Foundation

/// k-means for initialisation, as scikit-learn's `GaussianMixture(init_params="kmeans")` does:
/// greedy k-means++ seeding, then Lloyd iterations until the labels stop changing or the centres
/// move less than `1e-4` times the mean feature variance (at most 300 iterations). With sample
/// weights (scikit-learn's `KMeans(sample_weight=)`), seeds are drawn with probability
/// proportional to `w_n d_n²` and centres are weighted means.
/// Runs in the same deterministic parallel chunks as the E-step; rows are global (the data may
/// be one block of rows among several processes'), and every sum, draw and arg-max over rows goes
/// through the data's reducer.
struct KMeans<Scalar: EngineScalar> {
    let data: DataView<Scalar>
    let clusters: Int
    let threads: Int
    let schedule: ChunkSchedule
    /// The mean feature variance once computed (seeding and Lloyd both scale by it).
    private let varianceCache = Cache<Double>()

    init(data: DataView<Scalar>, clusters: Int, threads: Int, chunkRows: Int? = nil) {
        self.data = data
        self.clusters = clusters
        self.threads = max(1, threads)
        let rows = chunkRows ?? ChunkSchedule.powerOfTwo(near: (1 << 17) / max(1, clusters + data.columns), from: 64)
        schedule = ChunkSchedule(data, chunkRows: rows)
    }

    /// Squared Euclidean distance between row `n` and the point `p`.
    @inline(__always)
    private func squaredDistance<Point: EngineScalar>(row n: Int, _ p: UnsafePointer<Point>) -> Double {
        let x = data.row(n)
        var s = 0.0
        for j in 0..<data.columns {
            let t = Double(x[j]) - Double(p[j])
            s += t * t
        }
        return s
    }

    /// `w_r · unit · ‖x_r - p‖²`: the k-means++ weight of row `r` against the point `p`.
    @inline(__always)
    private func scaledDistance(row r: Int, _ p: UnsafePointer<Scalar>, unit: Double) -> Double {
        data.weight(r) * unit * squaredDistance(row: r, p)
    }

    /// Sums `term(rows, sums)` over all chunks of every process: each chunk adds its rows' terms
    /// to its own `count` zeroed sums, and the chunks' sums are added in the fixed chunk tree.
    private func parallelChunkSums(count: Int, _ term: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        treeSum(schedule, threads: threads, reducer: data.reducer, count: count, term)
    }

    /// Sums `term(row)` over all rows of every process for each of `count` terms, in the chunk tree.
    private func parallelSums(count: Int, _ term: (Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        parallelChunkSums(count: count) { rows, sums in
            for n in rows { term(n, sums) }
        }
    }

    /// Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's `2 + ⌊ln K⌋` local
    /// trials per centre). Returns the global row indices of the seeds.
    ///
    /// Each draw is the first global row whose running sum of `w d²` reaches the target, the
    /// running sum taken on a grid of global rows that makes it the same over any number of
    /// processes (``DataView/firstRows(reaching:strictly:threads:value:)``).
    func plusPlusSeeds(using generator: inout Xoshiro256StarStar) -> [Int] {
        let n = data.rows, k = clusters
        let trials = 2 + Int(Foundation.log(Double(k)))
        var seeds = [data.weights == nil ? generator.nextInt(below: data.globalRows) : weightedDraw(using: &generator)]
        // Squared distance of each row to its nearest seed, as Float: it only weighs the draws,
        // and N floats is the largest allocation of a fit (40 MB at 10^7 rows). Distances are in
        // units of the mean feature variance, so that data at 1e150 or 1e-150 neither overflow
        // nor underflow a Float.
        let variance = cachedMeanFeatureVariance()
        let unit = variance > 0 && variance.isFinite ? 1 / variance : 1
        var closest = [Float](repeating: 0, count: max(1, n))  // one spare: a process may hold no rows
        let firstSeed = data.doubles(ofGlobalRows: [seeds[0]])[0].map { Scalar($0) }
        closest.withUnsafeMutableBufferPointer { buffer in
            firstSeed.withUnsafeBufferPointer { seedBuffer in
                let out = UnsafeTransfer((buffer.baseAddress, seedBuffer.baseAddress!))
                forEachChunk(schedule, threads: threads) { _, _, rows in
                    for r in rows { out.wrappedValue.0![r] = Float(scaledDistance(row: r, out.wrappedValue.1, unit: unit)) }
                }
            }
        }
        var potential = parallelSums(count: 1) { r, sums in sums[0] += Double(closest[r]) }[0]
        while seeds.count < k {
            // Draw `trials` rows with probability proportional to `closest`: the first row whose
            // running sum reaches each sorted target (numpy's searchsorted), in one pass.
            let targets = (0..<trials).map { _ in generator.nextUniform() * potential }
            let candidates = closest.withUnsafeBufferPointer { buffer in
                data.firstRows(reaching: targets, threads: threads) { Double(buffer[$0]) }.map { $0 ?? data.globalRows - 1 }
            }
            let candidatePoints = data.doubles(ofGlobalRows: candidates)
            let points = candidatePoints.flatMap { $0 }
            let potentials = closest.withUnsafeBufferPointer { closestBuffer in
                points.withUnsafeBufferPointer { pointBuffer in
                    let shared = UnsafeTransfer((closestBuffer.baseAddress!, pointBuffer.baseAddress!))
                    return parallelChunkSums(count: trials) { rows, sums in
                        Scalar.seedPotentials(data.row(rows.lowerBound), weights: data.weights.map { $0 + rows.lowerBound },
                                              rows: rows.count, columns: data.columns,
                                              candidates: shared.wrappedValue.1, trials: trials, unit: unit,
                                              closest: shared.wrappedValue.0 + rows.lowerBound, sums: sums)
                    }
                }
            }
            var best = 0
            for t in 1..<trials where potentials[t] < potentials[best] { best = t }
            let chosen = candidates[best]
            seeds.append(chosen)
            potential = potentials[best]
            let point = candidatePoints[best]
            closest.withUnsafeMutableBufferPointer { buffer in
                point.withUnsafeBufferPointer { pointBuffer in
                    let shared = UnsafeTransfer((buffer.baseAddress!, pointBuffer.baseAddress!))
                    forEachChunk(schedule, threads: threads) { _, _, rows in
                        Scalar.seedClosest(data.row(rows.lowerBound), weights: data.weights.map { $0 + rows.lowerBound },
                                           rows: rows.count, columns: data.columns, point: shared.wrappedValue.1,
                                           unit: unit, closest: shared.wrappedValue.0 + rows.lowerBound)
                    }
                }
            }
        }
        return seeds
    }

    /// A global row drawn with probability proportional to its weight (the first weighted seed).
    private func weightedDraw(using generator: inout Xoshiro256StarStar) -> Int {
        let target = generator.nextUniform() * data.globalWeight
        if let found = data.firstRows(reaching: [target], strictly: true, value: data.weight)[0] { return found }
        // Past the last row by rounding: the last row of positive weight.
        var last = [Double((0..<data.rows).last { data.weight($0) > 0 }.map { data.firstRow + $0 } ?? -1)]
        data.reducer.maximum(&last)
        return max(0, Int(last[0]))
    }

    /// Lloyd's algorithm from the given global seed rows. Returns the final labels (of this
    /// process's rows) and centres (`K x D`).
    func lloyd(seeds: [Int], maxIterations: Int = 300, relativeTolerance: Double = 1e-4) -> (labels: [Int32], centers: [Double]) {
        let d = data.columns, k = clusters, n = data.rows
        var centers = data.doubles(ofGlobalRows: seeds).flatMap { $0 }
        let tolerance = relativeTolerance * cachedMeanFeatureVariance()
        var labels = [Int32](repeating: -1, count: max(1, n))  // one spare: a process may hold no rows
        for _ in 0..<maxIterations {
            let changed = assign(centers: centers, labels: &labels)
            if changed == 0 { break }
            // New centres: sums [count, Σx] per leaf, added in the chunk tree.
            let width = d + 1
            let assigned = labels  // a constant in the row loop: no exclusivity check per row
            let sums = parallelSums(count: k * width) { r, sums in
                let c = Int(assigned[r])
                let x = data.row(r)
                let w = data.weight(r)
                sums[c * width] += w
                for j in 0..<d { sums[c * width + 1 + j] += w * Double(x[j]) }
            }
            var shift = 0.0
            var empty: [Int] = []
            for c in 0..<k {
                let count = sums[c * width]
                guard count > 0 else { empty.append(c); continue }
                for j in 0..<d {
                    let value = sums[c * width + 1 + j] / count
                    shift += (value - centers[c * d + j]) * (value - centers[c * d + j])
                    centers[c * d + j] = value
                }
            }
            // An empty cluster moves to the point farthest from its centre (as scikit-learn does).
            if !empty.isEmpty {
                let distance = { (r: Int) in centers.withUnsafeBufferPointer {
                    squaredDistance(row: r, $0.baseAddress! + Int(labels[r]) * d) } }
                // The `empty.count` farthest rows, farthest first; on equal distances the lower
                // row stays ahead (rows arrive in increasing order and go after their equals).
                var far: [(distance: Double, row: Int)] = []
                for r in 0..<n where data.weight(r) > 0 {
                    let value = distance(r)
                    if far.count == empty.count, let nearest = far.last, !(value > nearest.distance) { continue }
                    far.insert((value, data.firstRow + r), at: far.firstIndex { value > $0.distance } ?? far.count)
                    if far.count > empty.count { far.removeLast() }
                }
                let farthest = extremeRows(far.map { ($0.distance, $0.row) }, count: empty.count,
                                           reducer: data.reducer, largest: true)
                for (c, point) in zip(empty, data.doubles(ofGlobalRows: farthest)) {
                    centers.replaceSubrange((c * d)..<((c + 1) * d), with: point)
                }
                shift = .infinity
            }
            if shift <= tolerance {
                _ = assign(centers: centers, labels: &labels)
                break
            }
        }
        return (labels, centers)
    }

    /// Labels every row with its nearest centre; returns how many labels changed. Each chunk's
    /// distances come from one GEMM, with the labels of the direct computation (``KMeansAssignment``).
    private func assign(centers: [Double], labels: inout [Int32]) -> Int {
        let assignment = KMeansAssignment<Scalar>(centers: centers, columns: data.columns, clusters: clusters)
        let workers = workerCount(schedule, threads: threads)
        let perWorker = assignment.scratchCount(rows: schedule.chunkRows)
        var scratch = [Scalar](repeating: 0, count: workers * perWorker)
        // Per worker: an integer count, whose sum is exact in any order.
        var changes = [Int](repeating: 0, count: workers)
        labels.withUnsafeMutableBufferPointer { labelBuffer in
            changes.withUnsafeMutableBufferPointer { changeBuffer in
                scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                    let out = UnsafeTransfer((labelBuffer.baseAddress!, changeBuffer.baseAddress!, scratchBuffer.baseAddress!))
                    LAPACK.withSingleThreadedBLAS {
                        forEachChunk(schedule, threads: threads) { worker, _, rows in
                            let (labelOut, changeOut, scratchOut) = out.wrappedValue
                            changeOut[worker] += assignment.assign(data.row(rows.lowerBound), rows: rows.count,
                                                                 labels: labelOut + rows.lowerBound,
                                                                 scratch: scratchOut + worker * perWorker).changed
                        }
                    }
                }
            }
        }
        var changed = [Double(changes.reduce(0, +))]
        data.reducer.sum(&changed)
        return Int(changed[0])
    }

    /// ``meanFeatureVariance()``, computed once for both seeding and Lloyd.
    private func cachedMeanFeatureVariance() -> Double {
        if let value = varianceCache.value { return value }
        let value = meanFeatureVariance()
        varianceCache.value = value
        return value
    }

    /// Mean over features of the (population, weighted) variance of each feature.
    private func meanFeatureVariance() -> Double {
        let d = data.columns
        let n = data.globalWeight
        let sums = parallelSums(count: d) { r, sums in
            for j in 0..<d { sums[j] += data.weight(r) * Double(data.row(r)[j]) }
        }
        let means = sums.map { $0 / n }
        let squares = parallelSums(count: d) { r, sums in
            for j in 0..<d {
                let t = Double(data.row(r)[j]) - means[j]
                sums[j] += data.weight(r) * t * t
            }
        }
        return squares.reduce(0, +) / (n * Double(d))
    }
}
