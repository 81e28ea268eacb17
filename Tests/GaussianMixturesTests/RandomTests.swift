import GaussianMixtures
import Testing

/// The generators must give the published sequences bit for bit (reference values from an
/// independent Python implementation of the authors' C code).
@Suite struct RandomTests {
    @Test func splitMix64MatchesReference() {
        var g = SplitMix64(seed: 1_234_567)
        #expect([g.next(), g.next(), g.next()] == [0x599E_D017_FB08_FC85, 0x2C73_F084_5854_0FA5, 0x883E_BCE5_A3F2_7C77])
    }

    @Test func xoshiro256StarStarMatchesReference() {
        var g = Xoshiro256StarStar(seed: 0)
        #expect([g.next(), g.next(), g.next(), g.next()]
            == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C])
        var h = Xoshiro256StarStar(seed: 42)
        #expect([h.next(), h.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E])
    }

    @Test func gaussianDrawsHaveUnitVariance() {
        var g = Xoshiro256StarStar(seed: 5)
        let draws = (0..<200_000).map { _ in g.nextGaussian() }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        #expect(abs(mean) < 0.01)       // standard error 0.0022
        #expect(abs(variance - 1) < 0.015)  // standard error 0.0032
    }
}
