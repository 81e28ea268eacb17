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
    /// The data spread so far that their squares overflow the fit's `precision` ("float64" or
    /// "float32"): the value at `row`, `column` (0-based) lies `distance` from its column's mean;
    /// dividing the data by `divisor` brings them into range.
    case dataOutOfRange(row: Int, column: Int, distance: Double, divisor: Double, precision: String)
    /// A partial start (``FitOptions/initialWeights``, ``FitOptions/initialMeans`` or
    /// ``FitOptions/initialPrecisions``, the part named) is unusable; the message says how.
    case invalidStart(StartPart, String)
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
                + "remove or impute rows with NaN or infinity first"
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
        case .dataOutOfRange(let row, let column, let distance, let divisor, let precision):
            let range = precision == "float32" ? "3.4e38; or fit in float64" : "1.8e308"
            return "the value at row \(row + 1), column \(column + 1) (1-based) lies \(distance) from its column's mean: "
                + "sums of the squares of such values overflow \(precision) (largest \(range)), so no covariance can be "
                + "computed. Divide the data by \(divisor) (or standardize each column) and fit again"
        case .invalidStart(let part, let message):
            return "invalid initial \(part.rawValue): \(message)"
        case .invalidSampleWeights(let message):
            return "invalid sample weights: \(message)"
        case .nonFiniteLikelihood(let iteration):
            return "the log-likelihood is not finite at iteration \(iteration); the data may be "
                + "badly scaled (very large or very small values): standardize the features and "
                + "try again, or raise the regularization"
        }
    }
}

/// The parts of a partial start, as scikit-learn's `weights_init`, `means_init`, `precisions_init`.
public enum StartPart: String, Sendable {
    case weights, means, precisions
}
