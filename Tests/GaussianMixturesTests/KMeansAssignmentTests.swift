import Foundation
@testable import GaussianMixtures
import Testing

/// The GEMM k-means assignment against the direct one (`gmm_nearest_centers`, feature-order sums,
/// lowest index on ties) and against scikit-learn's `KMeans` assignment.
@Suite struct KMeansAssignmentTests {
    /// Labels from the direct computation, all rows at once.
    func directLabels<S: EngineScalar>(_ x: [S], columns d: Int, centers: [Double], clusters k: Int) -> [Int32] {
        var byFeature = [Double](repeating: 0, count: d * k)
        for c in 0..<k { for j in 0..<d { byFeature[j * k + c] = centers[c * d + j] } }
        let rows = x.count / d
        var labels = [Int32](repeating: -1, count: rows)
        _ = x.withUnsafeBufferPointer { xs in
            S.nearestCenters(xs.baseAddress!, rows: rows, columns: d, centersByFeature: byFeature, components: k,
                             labels: &labels)
        }
        return labels
    }

    /// Labels from the GEMM path in chunks of `chunk` rows (odd, so that the four-row vectors
    /// leave remainders), with the rows the direct computation decided and the labels changed.
    func gemmLabels<S: EngineScalar>(_ x: [S], columns d: Int, centers: [Double], clusters k: Int,
                                     chunk: Int = 37) -> (labels: [Int32], undecided: Int, changed: Int) {
        let assignment = KMeansAssignment<S>(centers: centers, columns: d, clusters: k)
        let rows = x.count / d
        var labels = [Int32](repeating: -1, count: rows)
        var scratch = [S](repeating: 0, count: assignment.scratchCount(rows: chunk))
        var undecided = 0, changed = 0
        x.withUnsafeBufferPointer { xs in
            for start in stride(from: 0, to: rows, by: chunk) {
                let count = min(chunk, rows - start)
                let result = labels.withUnsafeMutableBufferPointer { l in
                    scratch.withUnsafeMutableBufferPointer { s in
                        assignment.assign(xs.baseAddress! + start * d, rows: count, labels: l.baseAddress! + start,
                                          scratch: s.baseAddress!)
                    }
                }
                undecided += result.undecided
                changed += result.changed
            }
        }
        return (labels, undecided, changed)
    }

    func gaussians(_ count: Int, mean: Double = 0, scale: Double = 1, seed: UInt64) -> [Double] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in mean + scale * generator.nextGaussian() }
    }

    @Test(arguments: [(5, 7), (8, 16), (3, 1), (16, 33)])
    func randomDataMatchesTheDirectLabels(columns d: Int, clusters k: Int) {
        let x = gaussians(1001 * d, scale: 3, seed: UInt64(d * 100 + k))
        let centers = gaussians(k * d, scale: 3, seed: 7)
        let direct = directLabels(x, columns: d, centers: centers, clusters: k)
        let gemm = gemmLabels(x, columns: d, centers: centers, clusters: k)
        #expect(gemm.labels == direct)
        #expect(gemm.changed == direct.count)  // every label starts at -1
        let single = x.map { Float($0) }
        #expect(gemmLabels(single, columns: d, centers: centers, clusters: k).labels
                == directLabels(single, columns: d, centers: centers, clusters: k))
    }

    /// Rows on the bisector of two centres, and off it by 1e-16 ... 1e-12 of the centres' spacing,
    /// are near ties the GEMM cannot decide: the direct computation decides them, lowest index first.
    @Test(arguments: [0.0, 1e6])
    func nearTiesAreDecidedByTheDirectComputation(offset: Double) {
        let d = 6, k = 5
        var centers = gaussians(k * d, mean: offset, scale: 2, seed: 11)
        centers.replaceSubrange((4 * d)..<(5 * d), with: centers[(1 * d)..<(2 * d)])  // centre 4 repeats centre 1
        var x: [Double] = []
        for (a, b) in [(0, 2), (3, 1), (2, 3)] {
            for t in [0, 1e-16, -1e-16, 1e-15, -1e-15, 3e-14, -3e-14, 1e-12, -1e-12] {
                for j in 0..<d {
                    let ca = centers[a * d + j], cb = centers[b * d + j]
                    x.append((ca + cb) / 2 + t * (cb - ca))
                }
            }
        }
        x += gaussians(200 * d, mean: offset, scale: 2, seed: 12)
        let direct = directLabels(x, columns: d, centers: centers, clusters: k)
        let gemm = gemmLabels(x, columns: d, centers: centers, clusters: k)
        #expect(gemm.labels == direct)
        // Every row nearest to centre 1 ties exactly with its repeat, centre 4, and loses to it.
        #expect(gemm.undecided >= direct.filter { $0 == 1 }.count)
        #expect(gemm.undecided > 0)
        #expect(!direct.contains(4))
        let single = x.map { Float($0) }
        #expect(gemmLabels(single, columns: d, centers: centers, clusters: k).labels
                == directLabels(single, columns: d, centers: centers, clusters: k))
    }

    /// Data at 1e6 with unit spread: `‖x‖² - 2x·c` cancels 12 digits without the shift. The labels
    /// are still the direct ones, and the shift leaves the GEMM deciding nearly every row.
    @Test func largeOffsetsKeepTheDirectLabels() {
        let d = 8, k = 12
        let x = gaussians(3000 * d, mean: 1e6, scale: 1, seed: 21)
        let centers = gaussians(k * d, mean: 1e6, scale: 1, seed: 22)
        let direct = directLabels(x, columns: d, centers: centers, clusters: k)
        let gemm = gemmLabels(x, columns: d, centers: centers, clusters: k)
        #expect(gemm.labels == direct)
        #expect(gemm.undecided < 30)
    }

    struct Fixture: Decodable {
        struct Case: Decodable {
            let name: String
            let centers: [[Double]]
            let labels: [Int32]
        }
        let X: [[Double]]
        let cases: [Case]
    }

    /// scikit-learn's `KMeans.predict` on Iris with the same centres (scripts/make-kmeans-fixtures.py).
    @Test func irisLabelsMatchScikitLearn() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: fixtureData("kmeans-labels-iris.json"))
        let d = fixture.X[0].count
        let x = fixture.X.flatMap { $0 }
        for c in fixture.cases {
            let gemm = gemmLabels(x, columns: d, centers: c.centers.flatMap { $0 }, clusters: c.centers.count)
            #expect(gemm.labels == c.labels, "\(c.name)")
        }
    }
}
