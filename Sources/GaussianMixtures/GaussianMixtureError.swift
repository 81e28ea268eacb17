/// Everything that can go wrong in a fit or with a model, with the context a user needs
/// (row, column, component, iteration) and a sentence saying what to try.
public enum GaussianMixtureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A matrix or array does not have the size it must have.
    case invalidShape(String)
    /// An option is out of its range (the message names the option and the range).
    case invalidOption(String)
    /// The data contain NaN or infinity at `row`, `column` (both 0-based).
    case nonFiniteValue(row: Int, column: Int, value: Double)
    /// Fewer rows than components.
    case tooFewSamples(samples: Int, components: Int)
    /// A model given by the user is not a valid mixture (message says which part).
    case invalidModel(String)
    /// The covariance of `component` is not positive definite, even with the regularization,
    /// after the M-step of `iteration` (0 means at initialisation).
    case covarianceNotPositiveDefinite(component: Int, iteration: Int, regularization: Double)
    /// The log-likelihood became NaN or infinite at `iteration`.
    case nonFiniteLikelihood(iteration: Int)
    /// The sample weights are unusable: wrong count, a negative or non-finite weight at a row,
    /// or all zero (the message says which).
    case invalidSampleWeights(String)

    public var description: String {
        switch self {
        case .invalidShape(let message):
            return "invalid shape: \(message)"
        case .invalidOption(let message):
            return "invalid option: \(message)"
        case .nonFiniteValue(let row, let column, let value):
            return "the data hold \(value) at row \(row + 1), column \(column + 1) (1-based); "
                + "remove or impute rows with NaN or infinity before fitting"
        case .tooFewSamples(let samples, let components):
            return "expected at least as many samples as components, got \(samples) samples "
                + "for \(components) components; use fewer components or more data"
        case .invalidModel(let message):
            return "invalid model: \(message)"
        case .covarianceNotPositiveDefinite(let component, let iteration, let regularization):
            let when = iteration == 0 ? "at initialisation" : "after the M-step of iteration \(iteration)"
            return "the covariance of component \(component) is not positive definite \(when), "
                + "even with regularization \(regularization): the component has collapsed onto "
                + "too few points or a lower-dimensional subspace. Try a larger regularization "
                + "(reg_covar), fewer components, or scaling the data to unit variance"
        case .invalidSampleWeights(let message):
            return "invalid sample weights: \(message)"
        case .nonFiniteLikelihood(let iteration):
            return "the log-likelihood is not finite at iteration \(iteration); the data may be "
                + "badly scaled (very large or very small values): standardize the features and "
                + "try again, or raise the regularization"
        }
    }
}
