@testable import GaussianMixtures
import Testing

/// Hamerly's bounds in Lloyd's passes (``DistanceBounds``): they hold the exact distances, and
/// the labels they keep are the direct computation's after every pass.
@Suite struct KMeansBoundsTests {
    func gaussians(_ count: Int, mean: Double = 0, scale: Double = 1, seed: UInt64) -> [Double] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in mean + scale * generator.nextGaussian() }
    }

    #if arch(x86_64) || arch(i386)
    typealias Wide = Float80  // distances to about 1e-19: the bounds are checked without slack
    static let slack: Double = 0
    #else
    typealias Wide = Double
    static let slack = 1e-15
    #endif

    /// Distances from row `n` of `x` to every centre, in extended precision where there is one.
    func distances<S: EngineScalar>(_ x: [S], row n: Int, columns d: Int, centers: [Double]) -> [Wide] {
        stride(from: 0, to: centers.count, by: d).map { start in
            var s: Wide = 0
            for j in 0..<d {
                let t = Wide(Double(x[n * d + j])) - Wide(centers[start + j])
                s += t * t
            }
            return s.squareRoot()
        }
    }

    /// Labels from the direct computation (`gmm_nearest_centers`), all rows at once.
    func directLabels<S: EngineScalar>(_ x: UnsafePointer<S>, rows: Int, columns d: Int, centers: [Double]) -> [Int32] {
        let k = centers.count / d
        var byFeature = [Double](repeating: 0, count: d * k)
        for c in 0..<k { for j in 0..<d { byFeature[j * k + c] = centers[c * d + j] } }
        var labels = [Int32](repeating: -1, count: rows)
        _ = S.nearestCenters(x, rows: rows, columns: d, centersByFeature: byFeature, components: k, labels: &labels)
        return labels
    }

    /// Every row assigned with bounds (`chunk` rows at a time, as one worker), then the bounds
    /// moved for `moved` centres; returns the labels and the rows the bounds kept.
    func assignAndMove<S: EngineScalar>(_ x: [S], columns d: Int, centers: [Double], moved: [Double], clusters k: Int,
                                        chunk: Int = 37) -> (labels: [Int32], bounds: DistanceBounds, kept: [Bool]) {
        let rows = x.count / d
        var labels = [Int32](repeating: -1, count: rows)
        var bounds = DistanceBounds(rows: rows, columns: d, centers: centers, clusters: k)
        var kept = [Bool](repeating: false, count: rows)
        for (pass, current) in [centers, moved].enumerated() {
            let assignment = KMeansAssignment<S>(centers: current, columns: d, clusters: k)
            let scratch = BoundedAssignmentScratch<S>(workers: 1, rows: chunk, assignment: assignment)
            let rule = bounds.rule
            x.withUnsafeBufferPointer { xs in
                labels.withUnsafeMutableBufferPointer { l in
                    bounds.upper.withUnsafeMutableBufferPointer { upper in
                        bounds.lower.withUnsafeMutableBufferPointer { lower in
                            for start in stride(from: 0, to: rows, by: chunk) {
                                let count = min(chunk, rows - start)
                                if pass == 1 {
                                    // Which rows the moved bounds keep, before the pass assigns the others.
                                    var u = Array(upper[start..<(start + count)]), lo = Array(lower[start..<(start + count)])
                                    var candidates = [Int32](repeating: 0, count: count)
                                    let m = rule.update(count: count, labels: l.baseAddress! + start, upper: &u, lower: &lo,
                                                        candidates: &candidates)
                                    for i in 0..<count { kept[start + i] = true }
                                    for t in 0..<m { kept[start + Int(candidates[t])] = false }
                                }
                                _ = assignment.assign(xs.baseAddress! + start * d, rows: count, labels: l.baseAddress! + start,
                                                      rule: rule, upper: upper.baseAddress! + start,
                                                      lower: lower.baseAddress! + start, scratch: scratch, worker: 0)
                            }
                        }
                    }
                }
            }
            if pass == 0 { bounds.move(from: centers, to: moved, columns: d) }
        }
        return (labels, bounds, kept)
    }

    /// From a full assignment, `U` is at least the distance to the row's centre and `L` at most
    /// the distance to any other, both within 1e-6 of them (1e-4 in float32; so not vacuous) for the rows the GEMM
    /// decides; after the centres move, the rows the moved bounds keep still have their nearest
    /// centre, and every row's bounds hold the new distances. float64 and float32, K = 1 too.
    @Test(arguments: [(2, 3), (5, 1), (8, 16), (16, 7)])
    func boundsHoldTheExactDistances(columns d: Int, clusters k: Int) {
        func check<S: EngineScalar>(_ x: [S]) {
            let rows = x.count / d
            let centers = gaussians(k * d, scale: 4, seed: 5)
            let moved = zip(centers, gaussians(k * d, scale: 0.05, seed: 6)).map { $0 + $1 }
            let (labels, bounds, kept) = assignAndMove(x, columns: d, centers: centers, moved: moved, clusters: k)
            let scale = bounds.rule.scale
            // The bounds are floats widened by 2^-22; float32 rows' GEMM is off by about 1e-6 of the norms.
            let tolerance = S.self == Double.self ? 1e-6 : 1e-4
            var tight = 0, keptCount = 0
            for n in 0..<rows {
                let a = Int(labels[n]), distance = distances(x, row: n, columns: d, centers: moved)
                let nearest = distance.indices.min { distance[$0] < distance[$1] }!
                #expect(distance[nearest] == distance[a], "row \(n) is labelled with a nearest centre")
                let own = distance[a], other = distance.indices.filter { $0 != a }.map { distance[$0] }.min() ?? .infinity
                let upper = Wide(Double(bounds.upper[n]) / scale), lower = Wide(Double(bounds.lower[n]) / scale)
                #expect(upper >= own * Wide(1 - Self.slack), "row \(n): U \(upper) below its distance \(own)")
                #expect(lower <= other * Wide(1 + Self.slack), "row \(n): L \(lower) above the others' \(other)")
                if kept[n] {
                    keptCount += 1
                } else if upper <= own * Wide(1 + tolerance) + 1e-300, k == 1 || lower >= other * Wide(1 - tolerance) {
                    tight += 1
                }
            }
            #expect(keptCount > rows / 2, "the moved bounds keep most rows (\(keptCount) of \(rows))")
            #expect(tight >= (rows - keptCount) / 2, "the rows assigned again get tight bounds (\(tight))")
        }
        let x = gaussians(2_001 * d, scale: 4, seed: UInt64(10 * d + k))
        check(x)
        check(x.map { Float($0) })
    }

    /// After any number of Lloyd passes (each with bounds moved from the last), the labels are
    /// those of the direct computation (`gmm_nearest_centers`) with the same centres: on blobs, on integer grid points with
    /// exact ties and repeated rows, with weights, at scales 1e-150 and 1e150, in float32, and
    /// with more threads than chunks.
    @Test(arguments: [1.0, 1e-150, 1e150])
    func everyPassKeepsTheDirectLabels(scale: Double) {
        let d = 3, k = 6, n = 1_500
        var generator = Xoshiro256StarStar(seed: 17)
        // Grid points (ties between centres that sit symmetrically) and Gaussian blobs.
        var values: [Double] = []
        for r in 0..<n {
            for _ in 0..<d {
                values.append(r % 3 == 0 ? Double(generator.nextInt(below: 5)) : Double(r % 4) * 6 + generator.nextGaussian())
            }
        }
        values = values.map { $0 * scale }
        let weights = (0..<n).map { Double($0 % 5) }
        func check<S: EngineScalar>(_ x: [S], weighted: Bool) {
            x.withUnsafeBufferPointer { buffer in
                weights.withUnsafeBufferPointer { w in
                    let data = DataView(base: buffer.baseAddress!, rows: n, columns: d, weights: weighted ? w.baseAddress : nil)
                    let kmeans = KMeans(data: data, clusters: k, threads: 2, chunkRows: 64)
                    let start = (0..<(k * d)).map { Double(x[($0 / d) * 97 * d + $0 % d]) }
                    for passes in 1...8 {
                        let (labels, centers) = kmeans.lloyd(centers: start, maxIterations: passes, relativeTolerance: 0)
                        #expect(Array(labels.prefix(n)) == directLabels(buffer.baseAddress!, rows: n, columns: d, centers: centers),
                                "\(S.self), \(passes) passes, scale \(scale)")
                    }
                }
            }
        }
        for weighted in [false, true] {
            check(values, weighted: weighted)
            if scale == 1 { check(values.map { Float($0) }, weighted: weighted) }  // else outside float's range
        }
    }
}
