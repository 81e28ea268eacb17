import Foundation

/// How a fit starts (scikit-learn's `init_params`, plus a model of the user's own).
public enum Initialization: Sendable {
    /// k-means++ seeding, then Lloyd's k-means to convergence; responsibilities are the
    /// one-hot k-means labels (scikit-learn's default, `"kmeans"`).
    case kMeans
    /// k-means++ seeding only: each seed row starts one component (`"k-means++"`).
    ///
    /// For both k-means starts, data of more than `max(2^16, 64 K)` rows are seeded from a
    /// random sample of that many rows (drawn in proportion to the sample weights), as
    /// scikit-learn's `MiniBatchKMeans` seeds on `init_size` rows; Lloyd's algorithm then runs on
    /// all the rows.
    case kMeansPlusPlus
    /// Uniform random responsibilities, normalised per row (`"random"`).
    case randomResponsibilities
    /// K distinct random rows each start one component (`"random_from_data"`).
    case randomFromData
    /// Start EM from this model's weights, means and covariances (scikit-learn's
    /// `weights_init`, `means_init` and `precisions_init` together). When the model has a
    /// ``GaussianMixture/lowerBound`` (it came from a fit, or a model file that records one),
    /// the first iteration's change is measured against it: scikit-learn's `warm_start=True`.
    case model(GaussianMixture)
}

/// Which implementation runs the E- and M-steps.
public enum ComputePath: String, Sendable, CaseIterable {
    /// BLAS/LAPACK in parallel chunks: the production path.
    case lapack
    /// Plain Swift loops on one thread: the reference the tests and the benchmark compare with.
    case naive
}

/// The floating-point type of the data and of the E-step's arithmetic. The library takes it
/// from the data (`Double` or `Float` values); the `gmm` command has `--precision`.
public enum Precision: String, Sendable, CaseIterable {
    /// 64-bit: scikit-learn's answers to nine digits.
    case float64
    /// 32-bit: half the memory and memory traffic, twice the SIMD width; sums, the M-step and
    /// the model stay 64-bit.
    case float32
}

/// One re-seeding of an emptied component.
public struct Reseed: Sendable, Equatable {
    /// Restart (0-based) and iteration (1-based) whose M-step emptied the component.
    public let restart: Int
    public let iteration: Int
    /// The component moved, and the row (0-based) it was moved onto.
    public let component: Int
    public let row: Int
}

/// One line of progress, reported after every EM iteration.
public struct IterationProgress: Sendable {
    /// 0-based restart number.
    public let restart: Int
    /// 1-based iteration number within the restart.
    public let iteration: Int
    /// Mean log-likelihood per sample under the parameters of this iteration's E-step.
    public let lowerBound: Double
    /// Change from the previous iteration's lower bound; on the first iteration, from the start
    /// model's lower bound for a warm start (``Initialization/model(_:)``), else infinite.
    public let change: Double
    /// Seconds spent in this iteration.
    public let seconds: Double
    /// The share of (row, component) pairs this iteration's E-step evaluated and added to its
    /// sums: 1 for a dense E-step, less when rows held by one component were pruned
    /// (``FitOptions/exactDense``).
    public var evaluatedShare: Double = 1
}

/// Options of ``GaussianMixture/fit(_:components:sampleWeights:options:)``, with scikit-learn's defaults.
public struct FitOptions: Sendable {
    /// Stop when the lower bound changes by less than this between iterations (`tol`, 1e-3).
    public var tolerance: Double = 1e-3
    /// Added to every covariance diagonal so they stay positive definite (`reg_covar`, 1e-6).
    public var regularization: Double = 1e-6
    /// Iterations per restart at most (`max_iter`, 100). With 0 the initial model is returned.
    public var maxIterations: Int = 100
    /// Number of initialisations; the one with the best final lower bound wins (`n_init`, 1).
    public var restarts: Int = 1
    /// How each restart starts (`init_params`, k-means).
    public var initialization: Initialization = .kMeans
    /// Given starting weights (`weights_init`): K values >= 0 summing to 1, or nil. What is not
    /// given of weights, means and precisions comes from ``initialization`` as usual (when all
    /// three are given, it does not run). Not with a `.model` start.
    public var initialWeights: [Double]? = nil
    /// Given starting means (`means_init`): `K x D`, or nil.
    public var initialMeans: Matrix? = nil
    /// Given starting precisions `Σ_k⁻¹` (`precisions_init`): K symmetric positive-definite
    /// `D x D` matrices in the shape of ``covarianceType`` (diagonal for diag, a multiple of I
    /// for spherical, all equal for tied), or nil.
    public var initialPrecisions: [Matrix]? = nil
    /// What the covariances are constrained to (`covariance_type`, full). A `.model` start must
    /// have the same type.
    public var covarianceType: CovarianceType = .full
    /// Seed of every random choice; the same seed gives the same fit for any thread count.
    public var seed: UInt64 = 0
    /// Worker threads (default: all cores). Results do not depend on it: the arithmetic runs in
    /// blocks of rows fixed by K and D and summed in a fixed order, whoever runs them, so a fit
    /// gives the same bits for any thread count and on every run.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The LAPACK path (default) or the naive reference path.
    public var path: ComputePath = .lapack
    /// Recovery policy for a component that loses all its points (its responsibilities sum to
    /// at most 1e-9 of the data): when true, after that iteration's M-step it is moved onto the
    /// row the model explains worst (lowest `log p(x)`), with the mean covariance of the others
    /// and one row's weight, and the move is listed in ``FitResult/reseeds``. Off by default, as
    /// in scikit-learn, where such a component stays empty.
    public var reseedEmptyComponents = false
    /// Turns off pruned responsibilities: every E-step evaluates every (row, component) pair.
    ///
    /// By default the E-step skips the components of a row that one component holds
    /// to double precision (its log joint density leads every other by more than
    /// `80 ln 2 + ln K + 2` nats, so their responsibilities are below `2⁻⁸⁰ / K`), using per-row
    /// bounds on how far the densities can have moved since the row was last evaluated. The
    /// fit is the dense fit to rounding; set this to compare (`gmm fit --exact-dense`). Mixtures
    /// where a held row would save little stay dense: pruning needs `K·M >= 400` with `K >= 4`,
    /// or `M >= 1000` with `K >= 2` (`K >= 3` in E-steps on the whitening road), M = D(D+3)/2 + 1
    /// being a row's quadratic features (2D + 1 for diagonal models).
    public var exactDense = false
    /// Called after every iteration (for progress display); keep it cheap.
    public var progress: (@Sendable (IterationProgress) -> Void)? = nil
    /// How sums over rows are combined with other processes holding other rows of the same
    /// data (`mpirun -np P gmm fit`): the rows given to the fit are then this process's block,
    /// in process order. One process by default.
    public var reducer: any Reducer = SingleProcess.shared
    /// Asked before every iteration (and every restart); when it returns true the fit stops by
    /// throwing `CancellationError`. Lets a caller abandon a long fit (the C library's
    /// cancellation flag, Ctrl-C in Python). Keep it cheap.
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// k-means seeds on a sample of this many rows when the data have more; nil for
    /// ``KMeans/seedingSampleRows(clusters:)`` (tests lower it to reach the sampled path on small data).
    var seedingSample: Int? = nil
    /// Prune also where ``PruningState/worthPruning(components:quadraticFeatures:whitening:)``
    /// says it does not pay (tests reach the pruned E-step on small data this way).
    var pruneEvenWhereItDoesNotPay = false

    public init(tolerance: Double = 1e-3, regularization: Double = 1e-6, maxIterations: Int = 100,
                restarts: Int = 1, initialization: Initialization = .kMeans,
                covarianceType: CovarianceType = .full, seed: UInt64 = 0,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                path: ComputePath = .lapack, progress: (@Sendable (IterationProgress) -> Void)? = nil) {
        self.tolerance = tolerance
        self.regularization = regularization
        self.maxIterations = maxIterations
        self.restarts = restarts
        self.initialization = initialization
        self.covarianceType = covarianceType
        self.seed = seed
        self.threads = threads
        self.path = path
        self.progress = progress
    }

    /// Checks every option's range.
    /// - Throws: ``GaussianMixtureError/invalidOption(_:)`` naming the option.
    func validate() throws {
        guard tolerance >= 0, tolerance.isFinite else {
            throw GaussianMixtureError.invalidOption("tolerance must be a finite number >= 0, got \(tolerance)")
        }
        guard regularization >= 0, regularization.isFinite else {
            throw GaussianMixtureError.invalidOption("regularization must be a finite number >= 0, got \(regularization)")
        }
        guard maxIterations >= 0 else {
            throw GaussianMixtureError.invalidOption("maxIterations must be >= 0, got \(maxIterations)")
        }
        guard restarts >= 1 else { throw GaussianMixtureError.invalidOption("restarts must be >= 1, got \(restarts)") }
        if case .model = initialization, initialWeights != nil || initialMeans != nil || initialPrecisions != nil {
            throw GaussianMixtureError.invalidOption(
                "a start model gives weights, means and covariances; give either it or initial weights, means or precisions")
        }
        guard threads >= 1 else { throw GaussianMixtureError.invalidOption("threads must be >= 1, got \(threads)") }
    }
}

/// The outcome of a fit: the best restart's model and how it got there.
public struct FitResult: Sendable {
    /// The fitted model (parameters after the last M-step).
    public let model: GaussianMixture
    /// Whether the lower bound changed by less than the tolerance before `maxIterations`.
    public let converged: Bool
    /// EM iterations run by the best restart (`n_iter_`).
    public let iterations: Int
    /// The best restart's final lower bound: mean log-likelihood per sample (`lower_bound_`).
    public let lowerBound: Double
    /// The best restart's lower bound after every iteration (`lower_bounds_`).
    public let lowerBoundHistory: [Double]
    /// Which restart won (0-based).
    public let bestRestart: Int
    /// Final lower bound of every restart, in order.
    public let restartLowerBounds: [Double]
    /// Every re-seeding of an emptied component (``FitOptions/reseedEmptyComponents``), all restarts.
    public let reseeds: [Reseed]
    /// The best restart's share of (row, component) pairs evaluated per iteration (1 where
    /// the E-step was dense; see ``FitOptions/exactDense``).
    public var evaluatedShareHistory: [Double] = []
    /// Wall-clock seconds of the whole fit.
    public let seconds: Double
}
