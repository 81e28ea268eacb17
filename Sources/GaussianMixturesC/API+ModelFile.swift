import CGaussianMixtures
import Foundation
import GaussianMixtures
import GaussianMixturesIO

// The JSON model file: to and from text and files.

func modelFile(_ b: ModelBox) -> ModelFile {
    ModelFile(model: b.model, converged: b.converged, iterations: b.iterations,
              lowerBound: b.lowerBound.isFinite ? b.lowerBound : nil, lowerBoundHistory: b.history)
}

func box(_ file: ModelFile) -> ModelBox {
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
