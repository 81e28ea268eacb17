import Foundation
import GaussianMixtures

/// The JSON model file. Its keys are scikit-learn's attribute names, so a few lines of Python
/// load it into `sklearn.mixture.GaussianMixture` (see scripts/to_sklearn.py):
///
///     format_version, covariance_type, n_components, n_features, weights [K], means [K][D],
///     covariances (full: [K][D][D]; diag: [K][D]; spherical: [K]; tied: [D][D]),
///     precisions_cholesky (the same shapes), converged, n_iter, lower_bound, lower_bound_history
///
/// `precisions_cholesky` is scikit-learn's `precisions_cholesky_`: per component the upper
/// triangular `L⁻ᵀ` of the covariance's Cholesky factor `L` (so `Σ⁻¹ = L⁻ᵀ L⁻¹`), for diag and
/// spherical `1 / sqrt(variance)`; readers need not invert. Reading ignores it (the covariances
/// are the model; files without it read alike). `lower_bound` is null when no iteration ran;
/// reading gives it to the model (``GaussianMixture/lowerBound``), so that a warm start from
/// the file measures its first change against it. Reading expands every shape to full
/// matrices and keeps the type; writing uses the type's own shape.
public struct ModelFile: Equatable {
    public static let formatVersion = 1

    public var model: GaussianMixture
    public var converged: Bool?
    public var iterations: Int?
    public var lowerBound: Double?
    public var lowerBoundHistory: [Double]?

    public init(model: GaussianMixture, converged: Bool? = nil, iterations: Int? = nil,
                lowerBound: Double? = nil, lowerBoundHistory: [Double]? = nil) {
        self.model = model
        self.converged = converged
        self.iterations = iterations
        self.lowerBound = lowerBound
        self.lowerBoundHistory = lowerBoundHistory
    }

    public init(_ result: FitResult) {
        self.init(model: result.model, converged: result.converged, iterations: result.iterations,
                  lowerBound: result.lowerBound.isFinite ? result.lowerBound : nil,
                  lowerBoundHistory: result.lowerBoundHistory)
    }

    public static func == (a: ModelFile, b: ModelFile) -> Bool {
        a.model.weights == b.model.weights && a.model.means == b.model.means && a.model.compactCovariances == b.model.compactCovariances
            && a.converged == b.converged && a.iterations == b.iterations && a.lowerBound == b.lowerBound
            && a.lowerBoundHistory == b.lowerBoundHistory
    }

    /// The JSON text: one matrix row per line, numbers in full precision.
    public func json() -> String {
        let m = model
        func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
        func vector(_ v: [Double]) -> String { "[" + v.map(number).joined(separator: ", ") + "]" }
        func rows(_ m: Matrix, indent: String) -> String {
            "[\n" + m.rowArrays.map { indent + "  " + vector($0) }.joined(separator: ",\n") + "\n" + indent + "]"
        }
        var lines = [
            "  \"format_version\": \(Self.formatVersion)",
            "  \"covariance_type\": \"\(m.covarianceType.rawValue)\"",
            "  \"n_components\": \(m.componentCount)",
            "  \"n_features\": \(m.featureCount)",
            "  \"weights\": \(vector(m.weights))",
            "  \"means\": \(rows(m.means, indent: "  "))",
            "  \"covariances\": \(covariances(of: m))",
            "  \"precisions_cholesky\": \(precisionsCholesky(of: m))",
        ]
        if let converged { lines.append("  \"converged\": \(converged)") }
        if let iterations { lines.append("  \"n_iter\": \(iterations)") }
        if converged != nil || lowerBound != nil { lines.append("  \"lower_bound\": \(lowerBound.map(number) ?? "null")") }
        if let lowerBoundHistory { lines.append("  \"lower_bound_history\": \(vector(lowerBoundHistory))") }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    /// `covariances` in the shape of the model's type: `[K][D][D]` full, `[K][D]` diag (the
    /// variances), `[K]` spherical, `[D][D]` tied.
    private func covariances(of m: GaussianMixture) -> String {
        json(m.compactCovariances)
    }

    /// `precisions_cholesky` in the shape of the model's type: `[K][D][D]` full (`L⁻ᵀ`), `[K][D]`
    /// diag and `[K]` spherical (`1 / sqrt(variance)`, as scikit-learn computes them), `[D][D]` tied.
    private func precisionsCholesky(of m: GaussianMixture) -> String {
        json(m.compactPrecisionCholeskyFactors)
    }

    /// Nested JSON arrays of `array`'s shape (rank 1 to 3), one innermost row per line.
    private func json(_ array: CompactMatrices) -> String {
        func vector(_ v: ArraySlice<Double>) -> String { "[" + v.map { "\($0)" }.joined(separator: ", ") + "]" }
        func rows(_ v: ArraySlice<Double>, width: Int, indent: String) -> String {
            let lines = stride(from: v.startIndex, to: v.endIndex, by: max(1, width)).map {
                indent + "  " + vector(v[$0..<min($0 + width, v.endIndex)])
            }
            return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
        }
        let v = array.values[...]
        switch array.shape.count {
        case 1: return vector(v)
        case 2: return rows(v, width: array.shape[1], indent: "  ")
        default:
            let block = array.shape[1] * array.shape[2]
            let blocks = stride(from: 0, to: v.count, by: max(1, block)).map {
                "    " + rows(v[$0..<min($0 + block, v.count)], width: array.shape[2], indent: "    ")
            }
            return "[\n" + blocks.joined(separator: ",\n") + "\n  ]"
        }
    }
}
