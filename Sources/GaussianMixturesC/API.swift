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
private final class StopSignal: @unchecked Sendable {
    let flag: UnsafePointer<Int32>?
    let callback: gm_progress_fn?
    let userData: UnsafeMutableRawPointer?
    private var requested = false  // written and read on the fitting thread only

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
private struct Request {
    var options = FitOptions()
    var components = 1
    var weightsInit: UnsafePointer<Double>?
    var meansInit: UnsafePointer<Double>?
    var precisionsInit: UnsafePointer<Double>?
}

private func request(_ pointer: UnsafePointer<gm_options>?) throws -> Request {
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
    r.weightsInit = c.weights_init
    r.meansInit = c.means_init
    r.precisionsInit = c.precisions_init
    let signal = StopSignal(flag: c.cancel.map { UnsafePointer($0) }, callback: c.progress, userData: c.progress_user_data)
    if c.progress != nil { r.options.progress = { signal.report($0) } }
    if c.progress != nil || c.cancel != nil { r.options.shouldStop = { signal.shouldStop() } }
    return r
}

/// The fit shared by gm_fit and gm_fit_float: `run` fits the data with given options.
private func fitBox(_ r: Request, columns d: Int, start: ModelBox?, run: (FitOptions) throws -> FitResult) throws -> ModelBox {
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

private func fit<Scalar>(_ name: String, _ x: UnsafePointer<Scalar>?, _ rows: Int, _ cols: Int,
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
        _ = try covarianceSize(t, k: k, d: d)
        guard let weights else { throw BoundaryError.argument("weights is NULL") }
        guard let means else { throw BoundaryError.argument("means is NULL") }
        guard let covariances else { throw BoundaryError.argument("covariances is NULL") }
        let m = try GaussianMixture(weights: Array(UnsafeBufferPointer(start: weights, count: k)),
                                    means: Matrix(rows: k, columns: d, values: Array(UnsafeBufferPointer(start: means, count: try product(k, d, "means")))),
                                    covariances: fullCovariances(covariances, type: t, k: k, d: d, name: "covariances"),
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

@_cdecl("gm_model_get_info")
public func c_gm_model_get_info(_ model: OpaquePointer?, _ info: UnsafeMutablePointer<gm_model_info>?) -> gm_status {
    onModel("gm_model_get_info", model) { b in
        guard let info else { throw BoundaryError.argument("info is NULL") }
        let m = b.model
        var i = gm_model_info()
        i.n_components = Int64(m.componentCount)
        i.n_features = Int64(m.featureCount)
        i.covariance_type = covarianceCode(m.covarianceType)
        i.covariance_size = Int64(try covarianceSize(m.covarianceType, k: m.componentCount, d: m.featureCount))
        i.converged = b.converged ? 1 : 0
        i.n_iter = Int64(b.iterations)
        i.lower_bound = b.lowerBound
        i.lower_bounds_count = Int64(b.history.count)
        i.n_parameters = Int64(m.parameterCount)
        info.pointee = i
    }
}

/// Runs `body` on the handle's box, storing a failure's message on the handle too.
private func onModel(_ name: String, _ model: OpaquePointer?, _ body: (ModelBox) throws -> Void) -> gm_status {
    let b = model.map { Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    return guarded(name, handle: b) {
        guard let b else { throw BoundaryError.argument("model is NULL") }
        try body(b)
    }
}

/// Copies `values` into a caller's array of `count` elements.
private func copyOut(_ name: String, _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int,
                     _ values: (ModelBox) -> [Double]) -> gm_status {
    onModel(name, model) { b in
        let v = values(b)
        try checkOutput(out, count: count, required: v.count, "out")
        guard let out else { return }
        for i in v.indices { out[i] = v[i] }
    }
}

@_cdecl("gm_model_weights")
public func c_gm_model_weights(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_weights", model, out, count) { $0.model.weights }
}

@_cdecl("gm_model_means")
public func c_gm_model_means(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_means", model, out, count) { $0.model.means.values }
}

@_cdecl("gm_model_covariances")
public func c_gm_model_covariances(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_covariances", model, out, count) { compactCovariances($0.model) }
}

@_cdecl("gm_model_precisions")
public func c_gm_model_precisions(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_precisions", model, out, count) { compactPrecisions($0.model) }
}

@_cdecl("gm_model_precisions_cholesky")
public func c_gm_model_precisions_cholesky(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_precisions_cholesky", model, out, count) { compactPrecisionsCholesky($0.model) }
}

@_cdecl("gm_model_lower_bounds")
public func c_gm_model_lower_bounds(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int) -> gm_status {
    copyOut("gm_model_lower_bounds", model, out, count) { $0.history }
}

/// Checks data for a model and hands `body` a buffer over them.
private func withData(_ b: ModelBox, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                      _ body: (UnsafeBufferPointer<Double>) throws -> Void) throws {
    let count = try checkData(x, rows: rows, cols: cols)
    guard cols == b.model.featureCount else {
        throw BoundaryError.argument("the model has \(b.model.featureCount) features but X has \(cols) columns")
    }
    guard let x else { throw BoundaryError.argument("X is NULL") }
    try body(UnsafeBufferPointer(start: x, count: count))
}

@_cdecl("gm_score_samples")
public func c_gm_score_samples(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                               _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    onModel("gm_score_samples", model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        try withData(b, x, rows, cols) { data in
            let v = try b.model.logLikelihoods(of: data, rows: rows, columns: cols, threads: b.threads)
            for i in v.indices { out[i] = v[i] }
        }
    }
}

/// The sum of the rows' log-likelihoods.
private func totalLogLikelihood(_ b: ModelBox, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int) throws -> Double {
    var total = 0.0
    try withData(b, x, rows, cols) { data in
        total = try b.model.logLikelihoods(of: data, rows: rows, columns: cols, threads: b.threads).reduce(0, +)
    }
    return total
}

@_cdecl("gm_score")
public func c_gm_score(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                       _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    onModel("gm_score", model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        out.pointee = try totalLogLikelihood(b, x, rows, cols) / Double(rows)
    }
}

@_cdecl("gm_bic")
public func c_gm_bic(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                     _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    onModel("gm_bic", model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        out.pointee = -2 * (try totalLogLikelihood(b, x, rows, cols)) + Double(b.model.parameterCount) * log(Double(rows))
    }
}

@_cdecl("gm_aic")
public func c_gm_aic(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                     _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    onModel("gm_aic", model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        out.pointee = -2 * (try totalLogLikelihood(b, x, rows, cols)) + 2 * Double(b.model.parameterCount)
    }
}

@_cdecl("gm_predict")
public func c_gm_predict(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                         _ labels: UnsafeMutablePointer<Int64>?) -> gm_status {
    onModel("gm_predict", model) { b in
        guard let labels else { throw BoundaryError.argument("labels is NULL") }
        try withData(b, x, rows, cols) { data in
            let v = try b.model.predict(data, rows: rows, columns: cols, threads: b.threads)
            for i in v.indices { labels[i] = Int64(v[i]) }
        }
    }
}

@_cdecl("gm_predict_proba")
public func c_gm_predict_proba(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                               _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    onModel("gm_predict_proba", model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        _ = try product(rows, b.model.componentCount, "out (rows x n_components)")
        try withData(b, x, rows, cols) { data in
            let r = try b.model.predictProbabilities(data, rows: rows, columns: cols, threads: b.threads)
            for i in r.values.indices { out[i] = r.values[i] }
        }
    }
}

@_cdecl("gm_sample")
public func c_gm_sample(_ model: OpaquePointer?, _ n: Int, _ seed: UInt64, _ out: UnsafeMutablePointer<Double>?,
                        _ labels: UnsafeMutablePointer<Int64>?) -> gm_status {
    onModel("gm_sample", model) { b in
        guard n >= 0 else { throw BoundaryError.argument("n is larger than the address space") }
        _ = try product(n, b.model.featureCount, "out (n x n_features)")
        guard n > 0 else { return }
        guard let out else { throw BoundaryError.argument("out is NULL") }
        let (samples, components) = b.model.sample(count: n, seed: seed)
        for i in samples.values.indices { out[i] = samples.values[i] }
        if let labels { for i in components.indices { labels[i] = Int64(components[i]) } }
    }
}

private func modelFile(_ b: ModelBox) -> ModelFile {
    ModelFile(model: b.model, converged: b.converged, iterations: b.iterations,
              lowerBound: b.lowerBound.isFinite ? b.lowerBound : nil, lowerBoundHistory: b.history)
}

private func box(_ file: ModelFile) -> ModelBox {
    ModelBox(model: file.model, converged: file.converged ?? false, iterations: file.iterations ?? 0,
             lowerBound: file.lowerBound ?? -.infinity, history: file.lowerBoundHistory ?? [],
             threads: ProcessInfo.processInfo.activeProcessorCount)
}

@_cdecl("gm_model_to_json")
public func c_gm_model_to_json(_ model: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                               _ length: UnsafeMutablePointer<Int>?) -> gm_status {
    onModel("gm_model_to_json", model) { b in
        guard let json else { throw BoundaryError.argument("json is NULL") }
        let text = modelFile(b).json()
        guard let copy = strdup(text) else { throw BoundaryError(status: gm_status(GM_INTERNAL_ERROR), message: "out of memory") }
        json.pointee = copy
        length?.pointee = text.utf8.count
    }
}

@_cdecl("gm_string_free")
public func c_gm_string_free(_ text: UnsafeMutablePointer<CChar>?) {
    free(text)
}

@_cdecl("gm_model_from_json")
public func c_gm_model_from_json(_ json: UnsafePointer<CChar>?, _ length: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> gm_status {
    guarded("gm_model_from_json") {
        guard let out else { throw BoundaryError.argument("out is NULL") }
        guard let json else { throw BoundaryError.argument("json is NULL") }
        guard length >= 0 else { throw BoundaryError.argument("length is larger than the address space") }
        let bytes = UnsafeRawBufferPointer(start: json, count: length)
        out.pointee = handle(box(try ModelFile.parse(Array(bytes), path: "JSON text")))
    }
}

@_cdecl("gm_model_save")
public func c_gm_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> gm_status {
    onModel("gm_model_save", model) { b in
        guard let path else { throw BoundaryError.argument("path is NULL") }
        let name = String(cString: path)
        do {
            try Data(modelFile(b).json().utf8).write(to: URL(fileURLWithPath: name), options: .atomic)
        } catch {
            throw BoundaryError(status: gm_status(GM_IO_ERROR),
                                message: "cannot write '\(name)': \(error.localizedDescription); check the folder exists and is writable")
        }
    }
}

@_cdecl("gm_model_load")
public func c_gm_model_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> gm_status {
    guarded("gm_model_load") {
        guard let out else { throw BoundaryError.argument("out is NULL") }
        guard let path else { throw BoundaryError.argument("path is NULL") }
        out.pointee = handle(box(try ModelFile.read(path: String(cString: path))))
    }
}
