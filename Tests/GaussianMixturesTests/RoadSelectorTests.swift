@testable import GaussianMixtures
import Testing

/// The E-step's road is a pure function of the model, the data's reach and the fused kernel's
/// availability: tame models take the quadratic road (fused when it can), tied models without
/// the fused kernel the tied road, a far row or a far tight cluster the exact whitening road.
@Suite struct RoadSelectorTests {
    func road(_ data: Matrix, _ model: GaussianMixture, fused: Bool, forced: EStepRoad? = nil) -> EStepRoad {
        data.values.withUnsafeBufferPointer { buffer in
            let view = DataView(base: buffer.baseAddress!, rows: data.rows, columns: data.columns)
            let features = QuadraticFeatures(data: view, diagonal: model.covarianceType.structure.hasDiagonalPrecisions)
            return RoadSelector.choose(model: model, factors: ComponentFactors(model), quadratic: features, fusedAvailable: fused,
                                       limit: Double.quadraticConditionLimit, forced: forced).road
        }
    }

    @Test func roadsFollowTheGuardAndTheCovarianceType() throws {
        let data = try syntheticData(rows: 500, seed: 9).data
        for type in CovarianceType.allCases {
            let model = try GaussianMixture.fit(data, components: 3, options: FitOptions(maxIterations: 3, covarianceType: type, seed: 1)).model
            #expect(road(data, model, fused: true) == .fused, "\(type)")
            #expect(road(data, model, fused: false) == (type == .tied ? .tied : .quadratic), "\(type)")
            #expect(road(data, model, fused: true, forced: .whitening) == .whitening)
            // One far row in the data: no quadratic or tied road can bound its rounding.
            var far = data
            far.values[7] = 1e9
            #expect(road(far, model, fused: true) == .whitening, "\(type) with a far row")
            #expect(road(far, model, fused: false, forced: .quadratic) == .quadratic, "a forced road is taken as it is")
        }
    }
}
