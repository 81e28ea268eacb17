import CGaussianMixtures
import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// A failure to report through the C interface: a status code and a one-line message.
struct BoundaryError: Error {
    let status: gm_status
    let message: String

    static func argument(_ message: String) -> BoundaryError { BoundaryError(status: gm_status(GM_INVALID_ARGUMENT), message: message) }
}

/// What `gm_model*` points to: an immutable model, what its fit reported, and the handle's
/// mutable bits (scoring threads, last error) under a lock.
final class ModelBox: @unchecked Sendable {
    let model: GaussianMixture
    let converged: Bool
    let iterations: Int
    let lowerBound: Double
    let history: [Double]
    private let lock = NSLock()
    private var threadCount: Int
    private var error: UnsafeMutablePointer<CChar>?

    init(model: GaussianMixture, converged: Bool = false, iterations: Int = 0, lowerBound: Double = -.infinity,
         history: [Double] = [], threads: Int) {
        self.model = model
        self.converged = converged
        self.iterations = iterations
        self.lowerBound = lowerBound
        self.history = history
        self.threadCount = threads
    }

    deinit { free(error) }

    var threads: Int {
        get { lock.withLock { threadCount } }
        set { lock.withLock { threadCount = newValue } }
    }

    /// Replaces the handle's message; the old one is freed.
    func setError(_ message: String) {
        let copy = strdup(message)
        lock.withLock {
            free(error)
            error = copy
        }
    }

    var errorPointer: UnsafePointer<CChar>? { lock.withLock { error.map { UnsafePointer($0) } } }
}

/// The calling thread's last message, freed by the thread's exit or the next failure.
private let errorKey: pthread_key_t = {
    var key = pthread_key_t()
    _ = pthread_key_create(&key) { free($0) }
    return key
}()

/// A static empty C string for "no error".
nonisolated(unsafe) private let emptyMessage: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

func setThreadError(_ message: String) {
    let old = pthread_getspecific(errorKey)
    _ = pthread_setspecific(errorKey, strdup(message))
    free(old)
}

func emptyCString() -> UnsafePointer<CChar> { UnsafePointer(emptyMessage) }

func threadErrorPointer() -> UnsafePointer<CChar> {
    guard let p = pthread_getspecific(errorKey) else { return UnsafePointer(emptyMessage) }
    return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
}

/// Runs `body`, turning every thrown error into a status code and a message stored for the
/// thread and, when given, on the handle. `function` starts the message so it says where.
func guarded(_ function: String, handle: ModelBox? = nil, _ body: () throws -> Void) -> gm_status {
    let failure: BoundaryError
    do {
        try body()
        return gm_status(GM_OK)
    } catch let error as BoundaryError {
        failure = error
    } catch let error as GaussianMixtureError {
        let status: Int32
        switch error {
        case .invalidShape, .invalidOption, .invalidModel, .invalidStart: status = Int32(GM_INVALID_ARGUMENT)
        case .nonFiniteValue, .tooFewSamples, .invalidSampleWeights, .dataOutOfRange: status = Int32(GM_INVALID_DATA)
        case .covarianceNotPositiveDefinite, .nonFiniteLikelihood: status = Int32(GM_FIT_FAILED)
        }
        failure = BoundaryError(status: gm_status(status), message: "\(error)")
    } catch let error as DataFileError {
        if case .io = error {
            failure = BoundaryError(status: gm_status(GM_IO_ERROR), message: "\(error)")
        } else {
            failure = BoundaryError(status: gm_status(GM_FORMAT_ERROR), message: "\(error)")
        }
    } catch is CancellationError {
        failure = BoundaryError(status: gm_status(GM_CANCELLED), message: "the fit was cancelled")
    } catch {
        failure = BoundaryError(status: gm_status(GM_INTERNAL_ERROR), message: "unexpected error: \(error)")
    }
    let message = "\(function): \(failure.message)"
    setThreadError(message)
    handle?.setError(message)
    return failure.status
}

/// The box behind a handle, or an error naming the argument.
func box(_ handle: OpaquePointer?, _ name: String = "model") throws -> ModelBox {
    guard let handle else { throw BoundaryError.argument("\(name) is NULL") }
    return Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

/// A retained handle for `box`.
func handle(_ box: ModelBox) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(box).toOpaque())
}

/// `a * b` for sizes from C, refusing negatives (a size_t above Int.max) and overflow.
func product(_ a: Int, _ b: Int, _ what: String) throws -> Int {
    guard a >= 0, b >= 0 else { throw BoundaryError.argument("\(what): size is larger than the address space") }
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow else { throw BoundaryError.argument("\(what): \(a) x \(b) overflows") }
    return p
}

/// Checks a data matrix's pointer and sizes.
func checkData(_ pointer: UnsafeRawPointer?, rows: Int, cols: Int) throws -> Int {
    guard pointer != nil else { throw BoundaryError.argument("X is NULL") }
    guard rows >= 1 else { throw BoundaryError.argument("rows must be >= 1, got \(rows)") }
    guard cols >= 1 else { throw BoundaryError.argument("cols must be >= 1, got \(cols)") }
    return try product(rows, cols, "X (rows x cols)")
}

/// Checks an output array's pointer and element count.
func checkOutput(_ pointer: UnsafeRawPointer?, count: Int, required: Int, _ name: String) throws {
    guard pointer != nil else { throw BoundaryError.argument("\(name) is NULL") }
    guard count == required else {
        throw BoundaryError.argument("\(name) holds \(count) values but \(required) are needed")
    }
}

func covarianceType(_ code: Int32) throws -> CovarianceType {
    switch code {
    case Int32(GM_COVARIANCE_FULL): return .full
    case Int32(GM_COVARIANCE_TIED): return .tied
    case Int32(GM_COVARIANCE_DIAG): return .diag
    case Int32(GM_COVARIANCE_SPHERICAL): return .spherical
    default: throw BoundaryError.argument("covariance_type \(code) is not one of GM_COVARIANCE_FULL (0), TIED (1), DIAG (2), SPHERICAL (3)")
    }
}

func covarianceCode(_ type: CovarianceType) -> Int32 {
    switch type {
    case .full: return Int32(GM_COVARIANCE_FULL)
    case .tied: return Int32(GM_COVARIANCE_TIED)
    case .diag: return Int32(GM_COVARIANCE_DIAG)
    case .spherical: return Int32(GM_COVARIANCE_SPHERICAL)
    }
}

/// Elements of a covariance-shaped array in scikit-learn's shape for `type`.
func covarianceSize(_ type: CovarianceType, k: Int, d: Int) throws -> Int {
    try type.compactShape(components: k, features: d).reduce(1) { try product($0, $1, "covariances") }
}

func defaultThreads(_ requested: Int64) throws -> Int {
    guard requested >= 0 else { throw BoundaryError.argument("n_threads must be >= 0 (0: all cores), got \(requested)") }
    guard requested > 0 else { return ProcessInfo.processInfo.activeProcessorCount }
    guard requested <= 1 << 16 else { throw BoundaryError.argument("n_threads must be <= 65536, got \(requested)") }
    return Int(requested)
}
