import CGaussianMixtures
import Foundation
import GaussianMixtures
import GaussianMixturesIO

// The model's parameters and fit record, copied into the caller's arrays.

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
func onModel(_ name: String, _ model: OpaquePointer?, _ body: (ModelBox) throws -> Void) -> gm_status {
    let b = model.map { Unmanaged<ModelBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    return guarded(name, handle: b) {
        guard let b else { throw BoundaryError.argument("model is NULL") }
        try body(b)
    }
}

/// Copies `values` into a caller's array of `count` elements.
func copyOut(_ name: String, _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int,
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
