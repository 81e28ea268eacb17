import CGaussianMixtures
import Foundation
import GaussianMixtures
import GaussianMixturesIO

// The exported functions of gaussian_mixtures.h. Each one validates its pointers and sizes,
// runs inside `guarded` (no Swift error crosses into C) and touches its outputs only on success.

@_cdecl("gm_last_error")
public func c_gm_last_error() -> UnsafePointer<CChar> {
    threadErrorPointer()
}

@_cdecl("gm_model_last_error")
public func c_gm_model_last_error(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let model else { return threadErrorPointer() }
    let b = Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer(model)).takeUnretainedValue()
    return b.errorPointer ?? emptyCString()
}

/// Stops a fit when the cancellation flag is set or the progress callback asks to.
final class StopSignal: @unchecked Sendable {
    let flag: UnsafePointer<Int32>?
    let callback: gm_progress_fn?
    let userData: UnsafeMutableRawPointer?
    var requested = false  // written and read on the fitting thread only

    init(flag: UnsafePointer<Int32>?, callback: gm_progress_fn?, userData: UnsafeMutableRawPointer?) {
        self.flag = flag
        self.callback = callback
        self.userData = userData
    }

    func report(_ p: IterationProgress) {
        guard let callback else { return }
        if callback(userData, Int64(p.restart), Int64(p.iteration), p.lowerBound, p.change) != 0 { requested = true }
    }

    func shouldStop() -> Bool {
        if requested { return true }
        if let flag, gm_internal_load_flag(flag) != 0 { return true }
        return false
    }
}

/// The fit options of a gm_options, and the partial start it names.
struct Request {
    var options = FitOptions()
    var components = 1
    var weightsInit: UnsafePointer<Double>?
    var meansInit: UnsafePointer<Double>?
    var precisionsInit: UnsafePointer<Double>?
}

func request(_ pointer: UnsafePointer<gm_options>?) throws -> Request {
    var c = gm_options()
    gm_options_init(&c)
    if let pointer {
        guard pointer.pointee.struct_size == MemoryLayout<gm_options>.size else {
            throw BoundaryError.argument("options.struct_size is \(pointer.pointee.struct_size), expected "
                + "\(MemoryLayout<gm_options>.size); call gm_options_init first")
        }
        c = pointer.pointee
    }
    var r = Request()
    guard c.n_components >= 1, c.n_components <= Int64(Int32.max) else {
        throw BoundaryError.argument("n_components must be >= 1, got \(c.n_components)")
    }
    r.components = Int(c.n_components)
    r.options.covarianceType = try covarianceType(c.covariance_type)
    guard c.tol >= 0, c.tol.isFinite else { throw BoundaryError.argument("tol must be a finite number >= 0, got \(c.tol)") }
    r.options.tolerance = c.tol
    guard c.reg_covar >= 0, c.reg_covar.isFinite else {
        throw BoundaryError.argument("reg_covar must be a finite number >= 0, got \(c.reg_covar)")
    }
    r.options.regularization = c.reg_covar
    guard c.max_iter >= 0, c.max_iter <= Int64(Int32.max) else {
        throw BoundaryError.argument("max_iter must be >= 0, got \(c.max_iter)")
    }
    r.options.maxIterations = Int(c.max_iter)
    guard c.n_init >= 1, c.n_init <= Int64(Int32.max) else { throw BoundaryError.argument("n_init must be >= 1, got \(c.n_init)") }
    r.options.restarts = Int(c.n_init)
    switch c.init_params {
    case Int32(GM_INIT_KMEANS): r.options.initialization = .kMeans
    case Int32(GM_INIT_K_MEANS_PLUS_PLUS): r.options.initialization = .kMeansPlusPlus
    case Int32(GM_INIT_RANDOM): r.options.initialization = .randomResponsibilities
    case Int32(GM_INIT_RANDOM_FROM_DATA): r.options.initialization = .randomFromData
    default:
        throw BoundaryError.argument("init_params \(c.init_params) is not one of GM_INIT_KMEANS (0), K_MEANS_PLUS_PLUS (1), "
            + "RANDOM (2), RANDOM_FROM_DATA (3)")
    }
    r.options.seed = c.random_state
    r.options.threads = try defaultThreads(c.n_threads)
    r.options.reseedEmptyComponents = c.reseed_empty_components != 0
    r.options.exactDense = c.exact_dense != 0
    r.weightsInit = c.weights_init
    r.meansInit = c.means_init
    r.precisionsInit = c.precisions_init
    let signal = StopSignal(flag: c.cancel.map { UnsafePointer($0) }, callback: c.progress, userData: c.progress_user_data)
    if c.progress != nil { r.options.progress = { signal.report($0) } }
    if c.progress != nil || c.cancel != nil { r.options.shouldStop = { signal.shouldStop() } }
    return r
}

/// The fit shared by gm_fit and gm_fit_float: `run` fits the data with given options.
func fitBox(_ r: Request, columns d: Int, start: ModelBox?, run: (FitOptions) throws -> FitResult) throws -> ModelBox {
    let k = r.components, type = r.options.covarianceType
    var result: FitResult
    if let start {
        var options = r.options
        options.initialization = .model(start.model)
        result = try run(options)
    } else if r.weightsInit != nil || r.meansInit != nil || r.precisionsInit != nil {
        // scikit-learn's partial start: what is given replaces what the initialisation makes.
        _ = try product(k, d, "means_init")
        var options = r.options
        options.initialWeights = r.weightsInit.map { Array(UnsafeBufferPointer(start: $0, count: k)) }
        options.initialMeans = try r.meansInit.map {
            try Matrix(rows: k, columns: d, values: Array(UnsafeBufferPointer(start: $0, count: k * d)))
        }
        options.initialPrecisions = try r.precisionsInit.map { try precisionMatrices($0, type: type, k: k, d: d) }
        result = try run(options)
    } else {
        result = try run(r.options)
    }
    return ModelBox(model: result.model, converged: result.converged, iterations: result.iterations,
                    lowerBound: result.lowerBound, history: result.lowerBoundHistory, threads: r.options.threads)
}

func fit<Scalar>(_ name: String, _ x: UnsafePointer<Scalar>?, _ rows: Int, _ cols: Int,
                         _ sampleWeight: UnsafePointer<Double>?, _ options: UnsafePointer<gm_options>?,
                         _ start: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                         engine: (UnsafeBufferPointer<Scalar>, Int, Int, Int, UnsafeBufferPointer<Double>?, FitOptions) throws -> FitResult)
    -> gm_status {
    guarded(name) {
        guard let out else { throw BoundaryError.argument("out is NULL") }
        let count = try checkData(x, rows: rows, cols: cols)
        guard let x else { throw BoundaryError.argument("X is NULL") }
        let r = try request(options)
        let startBox = try start.map { try box($0, "start") }
        let data = UnsafeBufferPointer(start: x, count: count)
        let weights = sampleWeight.map { UnsafeBufferPointer(start: $0, count: rows) }
        let b = try fitBox(r, columns: cols, start: startBox) { o in
            try engine(data, rows, cols, r.components, weights, o)
        }
        out.pointee = handle(b)
    }
}

@_cdecl("gm_fit")
public func c_gm_fit(_ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int, _ sampleWeight: UnsafePointer<Double>?,
                     _ options: UnsafePointer<gm_options>?, _ start: OpaquePointer?,
                     _ out: UnsafeMutablePointer<OpaquePointer?>?) -> gm_status {
    fit("gm_fit", x, rows, cols, sampleWeight, options, start, out) { data, rows, cols, k, w, o in
        try GaussianMixture.fit(data, rows: rows, columns: cols, components: k, sampleWeights: w, options: o)
    }
}

@_cdecl("gm_fit_float")
public func c_gm_fit_float(_ x: UnsafePointer<Float>?, _ rows: Int, _ cols: Int, _ sampleWeight: UnsafePointer<Double>?,
                           _ options: UnsafePointer<gm_options>?, _ start: OpaquePointer?,
                           _ out: UnsafeMutablePointer<OpaquePointer?>?) -> gm_status {
    fit("gm_fit_float", x, rows, cols, sampleWeight, options, start, out) { data, rows, cols, k, w, o in
        try GaussianMixture.fit(data, rows: rows, columns: cols, components: k, sampleWeights: w, options: o)
    }
}

@_cdecl("gm_model_create")
public func c_gm_model_create(_ k: Int, _ d: Int, _ type: Int32, _ weights: UnsafePointer<Double>?,
                              _ means: UnsafePointer<Double>?, _ covariances: UnsafePointer<Double>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> gm_status {
    guarded("gm_model_create") {
        guard let out else { throw BoundaryError.argument("out is NULL") }
        guard k >= 1 else { throw BoundaryError.argument("n_components must be >= 1, got \(k)") }
        guard d >= 1 else { throw BoundaryError.argument("n_features must be >= 1, got \(d)") }
        let t = try covarianceType(type)
        let size = try covarianceSize(t, k: k, d: d)
        guard let weights else { throw BoundaryError.argument("weights is NULL") }
        guard let means else { throw BoundaryError.argument("means is NULL") }
        guard let covariances else { throw BoundaryError.argument("covariances is NULL") }
        let m = try GaussianMixture(weights: Array(UnsafeBufferPointer(start: weights, count: k)),
                                    means: Matrix(rows: k, columns: d, values: Array(UnsafeBufferPointer(start: means, count: try product(k, d, "means")))),
                                    compactCovariances: Array(UnsafeBufferPointer(start: covariances, count: size)),
                                    covarianceType: t)
        out.pointee = handle(ModelBox(model: m, threads: ProcessInfo.processInfo.activeProcessorCount))
    }
}

@_cdecl("gm_model_free")
public func c_gm_model_free(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("gm_model_set_threads")
public func c_gm_model_set_threads(_ model: OpaquePointer?, _ threads: Int64) -> gm_status {
    let b = model.map { Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    return guarded("gm_model_set_threads", handle: b) {
        let b = try box(model)
        b.threads = try defaultThreads(threads)
    }
}
