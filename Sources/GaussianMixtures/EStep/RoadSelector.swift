/// The roads of the E-step (see ``BLASKernel``); tests take each on purpose.
enum EStepRoad: Sendable {
    /// Quadratic features, fused kernel (needs AVX2).
    case fused
    /// Quadratic features, two products per chunk (``QuadraticProducts``).
    case quadratic
    /// Each component whitens the rows about its own mean: exact, and the road of scoring.
    case whitening
    /// Tied models only: one shared whitening (``BLASKernel/tiedExpectation(_:_:)``).
    case tied
}

/// Chooses an E-step's road from the model and what the data allow; a pure function, so tests
/// can ask it directly which road a model would take.
enum RoadSelector {
    /// The road for `model` (whose E-step state is `factors`) over data described by `quadratic`,
    /// and `Θ` when it is a quadratic one.
    ///
    /// A tied model takes the tied road where the quadratic road would not run fused (measured:
    /// at D = 64, K = 32 it is 3.9x faster than the GEMMs; at D <= 16 the fused kernel is 1.6x
    /// faster than it). The tied road sums a constant scatter about the data's centre, so it has
    /// the quadratic road's conditioning and the same guard: every `B_k` at most `limit`.
    /// Otherwise the quadratic road (fused when `fusedAvailable`) when the guard allows, else
    /// the whitening road. A `forced` road is taken as it is; a forced quadratic road skips the guard.
    static func choose(model: GaussianMixture, factors: ComponentFactors, quadratic: QuadraticFeatures,
                       fusedAvailable: Bool, limit: Double, forced: EStepRoad?) -> (road: EStepRoad, theta: [Double]?) {
        if forced == .tied || (forced == nil && model.covarianceType.structure.sharesOneCovariance && !fusedAvailable
                               && quadratic.coefficients(of: model, factors, limit: limit) != nil) {
            return (.tied, nil)
        }
        let forcedQuadratic = forced == .fused || forced == .quadratic
        if forced != .whitening, let theta = quadratic.coefficients(of: model, factors, limit: forcedQuadratic ? .infinity : limit) {
            return (forced ?? (fusedAvailable ? .fused : .quadratic), theta)
        }
        return (.whitening, nil)
    }
}
