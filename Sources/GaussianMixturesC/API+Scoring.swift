import CGaussianMixtures
import Foundation
import GaussianMixtures
import GaussianMixturesIO

// Per-row log-likelihoods, scores, labels, responsibilities and samples of a model.

/// Checks data for a model and hands `body` a buffer over them.
func withData<Scalar>(_ b: ModelBox, _ x: UnsafePointer<Scalar>?, _ rows: Int, _ cols: Int,
                      _ body: (UnsafeBufferPointer<Scalar>) throws -> Void) throws {
    let count = try checkData(x, rows: rows, cols: cols)
    guard cols == b.model.featureCount else {
        throw BoundaryError.argument("the model has \(b.model.featureCount) features but X has \(cols) columns")
    }
    guard let x else { throw BoundaryError.argument("X is NULL") }
    try body(UnsafeBufferPointer(start: x, count: count))
}

/// Per-row log-likelihoods of `x` into `out`, through `score` (the model's float64 or float32 call).
private func scoreSamples<Scalar>(_ name: String, _ model: OpaquePointer?, _ x: UnsafePointer<Scalar>?, _ rows: Int,
                                  _ cols: Int, _ out: UnsafeMutablePointer<Double>?,
                                  _ score: (GaussianMixture, UnsafeBufferPointer<Scalar>, Int) throws -> [Double]) -> gm_status {
    onModel(name, model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        try withData(b, x, rows, cols) { data in
            let v = try score(b.model, data, b.threads)
            for i in v.indices { out[i] = v[i] }
        }
    }
}

/// Labels of `x` into `labels`, through `predict`.
private func predictLabels<Scalar>(_ name: String, _ model: OpaquePointer?, _ x: UnsafePointer<Scalar>?, _ rows: Int,
                                   _ cols: Int, _ labels: UnsafeMutablePointer<Int64>?,
                                   _ predict: (GaussianMixture, UnsafeBufferPointer<Scalar>, Int) throws -> [Int]) -> gm_status {
    onModel(name, model) { b in
        guard let labels else { throw BoundaryError.argument("labels is NULL") }
        try withData(b, x, rows, cols) { data in
            let v = try predict(b.model, data, b.threads)
            for i in v.indices { labels[i] = Int64(v[i]) }
        }
    }
}

/// Responsibilities of `x` into `out` (rows x K), through `proba`.
private func predictProba<Scalar>(_ name: String, _ model: OpaquePointer?, _ x: UnsafePointer<Scalar>?, _ rows: Int,
                                  _ cols: Int, _ out: UnsafeMutablePointer<Double>?,
                                  _ proba: (GaussianMixture, UnsafeBufferPointer<Scalar>, Int) throws -> Matrix) -> gm_status {
    onModel(name, model) { b in
        guard let out else { throw BoundaryError.argument("out is NULL") }
        _ = try product(rows, b.model.componentCount, "out (rows x n_components)")
        try withData(b, x, rows, cols) { data in
            let r = try proba(b.model, data, b.threads)
            for i in r.values.indices { out[i] = r.values[i] }
        }
    }
}

@_cdecl("gm_score_samples")
public func c_gm_score_samples(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                               _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    scoreSamples("gm_score_samples", model, x, rows, cols, out) { try $0.logLikelihoods(of: $1, rows: rows, columns: cols, threads: $2) }
}

/// The sum of the rows' log-likelihoods.
func totalLogLikelihood(_ b: ModelBox, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int) throws -> Double {
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
    predictLabels("gm_predict", model, x, rows, cols, labels) { try $0.predict($1, rows: rows, columns: cols, threads: $2) }
}

@_cdecl("gm_predict_proba")
public func c_gm_predict_proba(_ model: OpaquePointer?, _ x: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
                               _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    predictProba("gm_predict_proba", model, x, rows, cols, out) { try $0.predictProbabilities($1, rows: rows, columns: cols, threads: $2) }
}

@_cdecl("gm_sample")
public func c_gm_sample(_ model: OpaquePointer?, _ n: Int, _ seed: UInt64, _ out: UnsafeMutablePointer<Double>?,
                        _ labels: UnsafeMutablePointer<Int64>?) -> gm_status {
    onModel("gm_sample", model) { b in
        guard n >= 0 else { throw BoundaryError.argument("n is larger than the address space") }
        _ = try product(n, b.model.featureCount, "out (n x n_features)")
        guard n > 0 else { return }
        guard let out else { throw BoundaryError.argument("out is NULL") }
        // Straight into the caller's buffers: no copy of n x D to fail to allocate.
        b.model.sample(count: n, seed: seed, into: out) { row, component in labels?[row] = Int64(component) }
    }
}

// The same over float32 rows, scored in float32 without a copy (each row centred on each mean
// in float64, whitened in float32).

@_cdecl("gm_score_samples_float")
public func c_gm_score_samples_float(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ rows: Int, _ cols: Int,
                                     _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    scoreSamples("gm_score_samples_float", model, x, rows, cols, out) { try $0.logLikelihoods(of: $1, rows: rows, columns: cols, threads: $2) }
}

@_cdecl("gm_predict_float")
public func c_gm_predict_float(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ rows: Int, _ cols: Int,
                               _ labels: UnsafeMutablePointer<Int64>?) -> gm_status {
    predictLabels("gm_predict_float", model, x, rows, cols, labels) { try $0.predict($1, rows: rows, columns: cols, threads: $2) }
}

@_cdecl("gm_predict_proba_float")
public func c_gm_predict_proba_float(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ rows: Int, _ cols: Int,
                                     _ out: UnsafeMutablePointer<Double>?) -> gm_status {
    predictProba("gm_predict_proba_float", model, x, rows, cols, out) { try $0.predictProbabilities($1, rows: rows, columns: cols, threads: $2) }
}
