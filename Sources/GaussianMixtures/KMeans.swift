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

    /// Seeding runs on a sample of this many rows when the data have more
    /// (``seedingSampleRows(clusters:)`` unless given).
    let seedingSample: Int
    /// The data's ``ColumnSummary`` if already taken (its weighted sums give the feature means).
    let summary: ColumnSummary?

    init(data: DataView<Scalar>, clusters: Int, threads: Int, chunkRows: Int? = nil, seedingSample: Int? = nil,
         summary: ColumnSummary? = nil) {
        self.data = data
        self.summary = summary
        self.clusters = clusters
        self.seedingSample = seedingSample ?? Self.seedingSampleRows(clusters: clusters)
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

    /// The rows k-means++ seeding draws from when the data have more: `max(2^16, 64 K)`.
    static func seedingSampleRows(clusters: Int) -> Int { max(1 << 16, 64 * clusters) }

    /// Greedy k-means++ seeds (``plusPlusSeeds(using:)``), as global rows. On data of more than
    /// ``seedingSample`` rows, the seeding runs on a random sample of that many
    /// rows (scikit-learn's `MiniBatchKMeans` seeds on `init_size` rows, mclust on a subset):
    /// each draw of k-means++ costs a pass over the data, 2 + ⌊ln K⌋ distances per row, which on
    /// 10^7 rows is most of a fit's initialisation, while a sample of 2^16 rows keeps every
    /// component of weight above a few 10^-4 of the data likely to be seeded. The sample is
    /// uniform without replacement, or with sample weights drawn with probability proportional
    /// to the weight (with replacement, and then unweighted): the same rows on every process and
    /// any split of them. When the sample holds fewer than K distinct points (most of the weight
    /// on a few rows, or few distinct values), its seeds would repeat a point: then the seeding
    /// runs on all the rows instead.
    func seeds(using generator: inout Xoshiro256StarStar) -> [Int] {
        if let sample = sample(using: &generator),
           let seeds = sample.run({ kmeans -> [Int]? in kmeans.distinctSeeds(using: &generator) }) {
            return seeds.map { sample.rows[$0] }
        }
        return plusPlusSeeds(using: &generator)
    }

    /// ``plusPlusSeeds(using:)``, or nil when two seeds are the same point.
    private func distinctSeeds(using generator: inout Xoshiro256StarStar) -> [Int]? {
        let seeds = plusPlusSeeds(using: &generator)
        return Set(data.doubles(ofGlobalRows: seeds)).count == seeds.count ? seeds : nil
    }

    /// k-means as the `kmeans` initialisation runs it: seeds (``seeds(using:)``), then Lloyd's
    /// algorithm on all the rows. When the seeds come from a sample, Lloyd first runs on the
    /// sample to convergence and continues on all the rows from its centres, which then takes a
    /// few passes over the data instead of one per iteration from the seeds; the result is, as
    /// ever, Lloyd's fixed point on all the rows within the tolerance. Those passes, and the last
    /// assignment, compute distances only for the rows near a boundary (``DistanceBounds``).
    func cluster(using generator: inout Xoshiro256StarStar) -> (labels: [Int32], centers: [Double]) {
        let start: [Double]
        if let sample = sample(using: &generator), let centers = sample.run({ kmeans in
            kmeans.distinctSeeds(using: &generator).map { kmeans.lloyd(seeds: $0).centers }
        }) {
            start = centers
        } else {
            start = data.doubles(ofGlobalRows: plusPlusSeeds(using: &generator)).flatMap { $0 }
        }
        return lloyd(centers: start)
    }

    /// A random sample of ``seedingSample`` global rows, copied (the same on every process), or
    /// nil when the data have no more rows than that.
    private func sample(using generator: inout Xoshiro256StarStar) -> Sample? {
        let m = seedingSample
        guard data.globalRows > m else { return nil }
        let rows: [Int]
        if data.weights == nil {
            rows = distinctRandomRows(m, below: data.globalRows, using: &generator).sorted()
        } else {
            let total = data.globalWeight
            let targets = (0..<m).map { _ in generator.nextUniform() * total }
            let last = lastWeightedRow()
            rows = data.firstRows(reaching: targets, strictly: true, threads: threads, value: data.weight)
                .map { $0 ?? last }.sorted()
        }
        return Sample(rows: rows, values: data.doubles(ofGlobalRows: rows).flatMap { $0 }.map { Scalar($0) },
                      columns: data.columns, clusters: clusters, threads: threads)
    }

    /// Sampled rows (their global indices and values) and k-means on them alone.
    private struct Sample {
        let rows: [Int]
        let values: [Scalar]
        let columns: Int
        let clusters: Int
        let threads: Int

        /// Runs `body` with k-means over the sample (one process's rows, unweighted).
        func run<T>(_ body: (KMeans<Scalar>) -> T) -> T {
            values.withUnsafeBufferPointer { buffer in
                body(KMeans(data: DataView(base: buffer.baseAddress!, rows: rows.count, columns: columns),
                            clusters: clusters, threads: threads, seedingSample: rows.count))
            }
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
            guard potential > 0 else {
                // Every row of positive weight lies on a seed (fewer distinct points than K): the
                // other seeds repeat points, drawn as the first seed was, never a row of weight zero.
                seeds.append(data.weights == nil ? generator.nextInt(below: data.globalRows) : weightedDraw(using: &generator))
                continue
            }
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
        return data.firstRows(reaching: [target], strictly: true, value: data.weight)[0] ?? lastWeightedRow()
    }

    /// The last global row of positive weight (a draw past the total by rounding).
    private func lastWeightedRow() -> Int {
        var last = [Double((0..<data.rows).last { data.weight($0) > 0 }.map { data.firstRow + $0 } ?? -1)]
        data.reducer.maximum(&last)
        return max(0, Int(last[0]))
    }

    /// Lloyd's algorithm from the given global seed rows. Returns the final labels (of this
    /// process's rows) and centres (`K x D`).
    func lloyd(seeds: [Int], maxIterations: Int = 300, relativeTolerance: Double = 1e-4) -> (labels: [Int32], centers: [Double]) {
        lloyd(centers: data.doubles(ofGlobalRows: seeds).flatMap { $0 }, maxIterations: maxIterations,
              relativeTolerance: relativeTolerance)
    }

    /// Lloyd's algorithm from the given centres (`K x D`), as scikit-learn's `KMeans` runs it:
    /// until no label changes or the centres move (in total squared distance) by at most
    /// `relativeTolerance` times the mean feature variance, then a last assignment. Each pass over
    /// the data labels a chunk's rows and adds them to their centres' sums while the chunk is in
    /// cache; from the second on, and in the last assignment, only the rows whose
    /// ``DistanceBounds`` no longer decide their label get distances. Returns the final labels
    /// (of this process's rows) and centres.
    func lloyd(centers initial: [Double], maxIterations: Int = 300,
               relativeTolerance: Double = 1e-4) -> (labels: [Int32], centers: [Double]) {
        let d = data.columns, k = clusters, n = data.rows
        var centers = initial
        // The tolerance is first needed after the first pass, which takes the variance's squares
        // unless seeding has already computed it.
        var tolerance = varianceCache.value.map { relativeTolerance * $0 }
        var labels = [Int32](repeating: -1, count: max(1, n))  // one spare: a process may hold no rows
        var bounds = DistanceBounds(rows: n, columns: d, centers: centers, clusters: k)
        for _ in 0..<maxIterations {
            // New centres: sums [count, Σx] per leaf, added in the chunk tree.
            let (changed, sums, squares) = assign(centers: centers, labels: &labels, bounds: &bounds, sums: true,
                                                  squaresAbout: tolerance == nil ? featureMeans() : nil)
            if let squares {
                let variance = meanFeatureVariance(squares: squares)
                varianceCache.value = variance
                tolerance = relativeTolerance * variance
            }
            if changed == 0 { return (labels, centers) }
            let previous = centers, width = d + 1
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
            bounds.move(from: previous, to: centers, columns: d)
            if shift <= tolerance ?? 0 { break }
        }
        _ = assign(centers: centers, labels: &labels, bounds: &bounds, sums: false)
        return (labels, centers)
    }

    /// Labels every row with its nearest centre and returns how many labels changed and, when
    /// `sums`, each centre's `[Σ w, Σ w x]` over its new rows (`K x (D + 1)`, in the chunk tree);
    /// with `squaresAbout` the feature means, also `Σ w (x - mean)²` per feature
    /// (``addSquares(row:about:to:)``, as ``meanFeatureVariance()`` sums them). A row whose ``DistanceBounds`` still decide its label
    /// keeps it; the others of a chunk get their distances from one GEMM, with the labels of the
    /// direct computation (``KMeansAssignment``), and fresh bounds. The chunk's rows are added to
    /// their centres right after, still in cache.
    private func assign(centers: [Double], labels: inout [Int32], bounds: inout DistanceBounds, sums: Bool,
                        squaresAbout means: [Double]? = nil) -> (changed: Int, sums: [Double], squares: [Double]?) {
        let d = data.columns, width = d + 1, k = clusters
        let assignment = KMeansAssignment<Scalar>(centers: centers, columns: d, clusters: clusters)
        let workers = workerCount(schedule, threads: threads), chunkRows = schedule.chunkRows
        let scratch = BoundedAssignmentScratch<Scalar>(workers: workers, rows: chunkRows, assignment: assignment)
        // Per worker: an integer count, whose sum is exact in any order.
        var changes = [Int](repeating: 0, count: workers)
        let rule = bounds.rule
        let totals = labels.withUnsafeMutableBufferPointer { labelBuffer in
            changes.withUnsafeMutableBufferPointer { changeBuffer in
                bounds.upper.withUnsafeMutableBufferPointer { upperBuffer in
                    bounds.lower.withUnsafeMutableBufferPointer { lowerBuffer in
                        let out = UnsafeTransfer((labelBuffer.baseAddress!, changeBuffer.baseAddress!,
                                                  upperBuffer.baseAddress!, lowerBuffer.baseAddress!))
                        return LAPACK.withSingleThreadedBLAS {
                            let count = (sums ? k * width : 1) + (means?.count ?? 0)
                            return treeSum(schedule, threads: threads, reducer: data.reducer,
                                           make: { SumVector(count: count) }) { worker, rows, partial in
                                let (labelOut, changeOut, upperOut, lowerOut) = out.wrappedValue
                                let first = rows.lowerBound, x = data.row(first), chunkLabels = labelOut + first
                                changeOut[worker] += assignment.assign(x, rows: rows.count, labels: chunkLabels, rule: rule,
                                                                       upper: upperOut + first, lower: lowerOut + first,
                                                                       scratch: scratch, worker: worker)
                                if sums {
                                    for i in 0..<rows.count {
                                        let w = data.weight(first + i), xi = x + i * d
                                        let sum = partial.base + Int(chunkLabels[i]) * width
                                        sum[0] += w
                                        for j in 0..<d { sum[1 + j] += w * Double(xi[j]) }
                                    }
                                }
                                if let means {
                                    let squares = partial.base + (sums ? k * width : 1)
                                    for r in rows { addSquares(row: r, about: means, to: squares) }
                                }
                            }.packed.map { $0 }
                        }
                    }
                }
            }
        }
        var changed = [Double(changes.reduce(0, +))]
        data.reducer.sum(&changed)
        let start = sums ? k * width : 1
        let squares = means.map { _ in Array(totals[start..<(start + d)]) }
        return (Int(changed[0]), sums ? Array(totals.prefix(k * width)) : [], squares)
    }

    /// ``meanFeatureVariance()``, computed once for both seeding and Lloyd.
    private func cachedMeanFeatureVariance() -> Double {
        if let value = varianceCache.value { return value }
        let value = meanFeatureVariance()
        varianceCache.value = value
        return value
    }

    /// Mean over features of the (population, weighted) variance of each feature: two passes,
    /// the means (read from the ``summary`` when given) and then the squares about them.
    private func meanFeatureVariance() -> Double {
        let d = data.columns
        let means = featureMeans()
        return meanFeatureVariance(squares: parallelSums(count: d) { r, sums in addSquares(row: r, about: means, to: sums) })
    }

    /// Adds `w_r (x_rj - mean_j)²` of row `r` to `squares[j]` for every feature.
    @inline(__always)
    private func addSquares(row r: Int, about means: [Double], to squares: UnsafeMutablePointer<Double>) {
        let x = data.row(r), w = data.weight(r)
        for j in 0..<data.columns {
            let t = Double(x[j]) - means[j]
            squares[j] += w * t * t
        }
    }

    /// The weighted mean of each feature.
    private func featureMeans() -> [Double] {
        let d = data.columns
        let sums = summary?.weightedSums ?? parallelSums(count: d) { r, sums in
            for j in 0..<d { sums[j] += data.weight(r) * Double(data.row(r)[j]) }
        }
        let total = data.globalWeight
        return sums.map { $0 / total }
    }

    /// The mean feature variance from `Σ w (x - mean)²` per feature.
    private func meanFeatureVariance(squares: [Double]) -> Double {
        squares.reduce(0, +) / (data.globalWeight * Double(data.columns))
    }
}
