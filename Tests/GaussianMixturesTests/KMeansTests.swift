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
}
