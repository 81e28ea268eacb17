import Foundation
import GaussianMixtures
import Testing

/// Data whose squares overflow the fit's precision are refused up front with the scale to divide
/// by (not reported later as a collapsed component); the same data divided by it fit.
@Suite struct DataScaleTests {
    @Test(arguments: [1e160, 1e200, 1e300])
    func float64DataWhoseSquaresOverflowAreRefusedWithTheirScale(scale: Double) throws {
        let unit = try syntheticData(rows: 300, seed: 4).data
        var scaled = unit
        for i in scaled.values.indices { scaled.values[i] *= scale }
        do {
            _ = try GaussianMixture.fit(scaled, components: 3)
            Issue.record("a fit at scale \(scale) should be refused")
        } catch GaussianMixtureError.dataOutOfRange(_, _, let distance, let divisor, let precision) {
            #expect(precision == "float64")
            // Dividing by the suggested divisor brings the spread to order one.
            #expect(distance / divisor >= 1 && distance / divisor < 10, "\(distance) / \(divisor)")
            var divided = scaled
            for i in divided.values.indices { divided.values[i] /= divisor }
            let result = try GaussianMixture.fit(divided, components: 3, options: FitOptions(seed: 1))
            #expect(result.lowerBound.isFinite)
        }
    }

    @Test func float32DataWhoseSquaresOverflowFloatAreRefused() throws {
        let unit = try syntheticData(rows: 300, seed: 4).data
        let scaled = unit.values.map { Float($0 * 1e20) }
        #expect(throws: GaussianMixtureError.self) {
            _ = try GaussianMixture.fit(scaled, rows: 300, columns: 3, components: 3)
        }
        do {
            _ = try GaussianMixture.fit(scaled, rows: 300, columns: 3, components: 3)
        } catch GaussianMixtureError.dataOutOfRange(_, _, _, _, let precision) {
            #expect(precision == "float32")
        }
        // The same data fit in float64, and float32 data at 1e15 fit in float32.
        #expect(try GaussianMixture.fit(try Matrix(rows: 300, columns: 3, values: scaled.map(Double.init)),
                                        components: 3).lowerBound.isFinite)
        let moderate = unit.values.map { Float($0 * 1e15) }
        #expect(try GaussianMixture.fit(moderate, rows: 300, columns: 3, components: 3).lowerBound.isFinite)
    }
}
