import Foundation
import GaussianMixtures

/// Reading model files: the whole model, or the summary `gmm info` shows of wide models.
extension ModelFile {
    /// What `gmm info` shows of a model with many features: the type, the weights and the means,
    /// read without expanding diag or spherical variances (nor a tied matrix) to K full `D x D`
    /// matrices, which for D = 30000 would be 7 GB each.
    public struct Summary {
        public let covarianceType: CovarianceType
        public let weights: [Double]
        public let means: Matrix
        public let converged: Bool?
        public let iterations: Int?
        public let lowerBound: Double?
    }

    /// Reads and checks a model file's keys and shapes as ``parse(_:path:)`` does, except that
    /// diag and spherical variances are checked to be finite and positive (which makes them
    /// positive definite) without expanding them, and a tied or full covariance is checked
    /// through one model of one component each when it is small enough to hold.
    public static func readSummary(path: String) throws -> Summary {
        let bytes = try readAllBytes(path: path)
        let head = try header(bytes, path: path)
        let (root, type, weights, meanRows) = head
        let k = weights.count, d = meanRows[0].count
        func fail(_ message: String) -> DataFileError { .format(path: path, message: message) }
        if type.isDiagonal {
            let variances = try compactCovariances(root["covariances"], type: type, k: k, d: d, path: path)
            for (c, row) in meanRows.enumerated() {
                if let v = row.first(where: { !$0.isFinite }) { throw fail("mean of component \(c) holds \(v)") }
            }
            let perComponent = max(1, variances.count / k)
            for (i, v) in variances.enumerated() where !(v.isFinite && v > 0) {
                throw fail("covariance of component \(i / perComponent) holds the variance \(v); variances must be finite and positive")
            }
            for (i, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
                throw fail("weight of component \(i) is \(w); weights must be finite and non-negative")
            }
            guard abs(weights.reduce(0, +) - 1) <= 1e-6 else { throw fail("the weights sum to \(weights.reduce(0, +)), not 1") }
        } else {
            _ = try parse(bytes, path: path)
        }
        var converged: Bool?, iterations: Int?, lowerBound: Double?
        if case .bool(let value) = root["converged"] { converged = value }
        if case .number(let n) = root["n_iter"], n >= 0, n == n.rounded(), n < 1e15 { iterations = Int(n) }
        if case .number(let bound) = root["lower_bound"], bound.isFinite { lowerBound = bound }
        return Summary(covarianceType: type, weights: weights, means: try Matrix(meanRows), converged: converged,
                       iterations: iterations, lowerBound: lowerBound)
    }

    /// The JSON root, the covariance type, the weights and the means of a model file, checked
    /// for shape (at least one component and one feature, the declared counts).
    static func header(_ bytes: [UInt8], path: String) throws
        -> (root: [String: JSONValue], type: CovarianceType, weights: [Double], means: [[Double]]) {
        func fail(_ message: String) -> DataFileError { .format(path: path, message: message) }
        let value: JSONValue
        do {
            // JSONDecoder reads doubles exactly (JSONSerialization on Linux can miss by an ulp).
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw fail("not valid JSON; expected a model file written by `gmm fit`")
        }
        guard case .object(let root) = value else { throw fail("expected a JSON object at the top level") }
        if let version = root["format_version"] {
            guard case .number(let v) = version, v >= 1, v <= Double(formatVersion), v == v.rounded() else {
                throw fail("format_version \(version) is not supported (this gmm reads up to \(formatVersion))")
            }
        }
        var type = CovarianceType.full
        if let declared = root["covariance_type"] {
            guard case .string(let text) = declared, let known = CovarianceType(rawValue: text) else {
                throw fail("covariance_type \(declared) is not one of full, diag, spherical, tied")
            }
            type = known
        }
        let weights = try doubles(root["weights"], key: "weights", path: path)
        let k = weights.count
        guard k >= 1 else { throw fail("'weights' is empty") }
        let meanRows = try matrixRows(root["means"], key: "means", path: path)
        guard meanRows.count == k else { throw fail("'means' has \(meanRows.count) rows but there are \(k) weights") }
        let d = meanRows.first?.count ?? 0
        guard d >= 1, meanRows.allSatisfy({ $0.count == d }) else {
            throw fail("'means' must be \(k) rows of the same non-zero length")
        }
        if let declared = root["n_components"], declared != .number(Double(k)) {
            throw fail("n_components is \(declared) but there are \(k) weights")
        }
        if let declared = root["n_features"], declared != .number(Double(d)) {
            throw fail("n_features is \(declared) but the means have \(d) columns")
        }
        return (root, type, weights, meanRows)
    }

    /// Parses and checks a model file: every key and shape, finite numbers, weights summing
    /// to one, symmetric positive-definite covariances.
    public static func parse(_ bytes: [UInt8], path: String) throws -> ModelFile {
        func fail(_ message: String) -> DataFileError { .format(path: path, message: message) }
        let (root, type, weights, meanRows) = try header(bytes, path: path)
        let k = weights.count, d = meanRows[0].count
        // Scoring, predicting and sampling use every covariance as a full D x D matrix (the E-step's
        // precision factors, their products and a scratch copy): when the file's shape is smaller
        // than that (every type but full), refuse a model that cannot be used before allocating it.
        let (square, o1) = d.multipliedReportingOverflow(by: d)
        let (matrices, o2) = square.multipliedReportingOverflow(by: k)
        let compactCount = type.compactShape(components: k, features: d).reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        if o1 || o2 || compactCount < matrices {
            let machine = Int(clamping: ProcessInfo.processInfo.physicalMemory)
            let (bytes, o3) = matrices.multipliedReportingOverflow(by: 8 * 4)
            if o1 || o2 || o3 || bytes > machine {
                let size = o1 || o2 || o3 ? "more than 9 EB" : String(format: "%.1f GB", Double(bytes) / 1e9)
                throw fail("this \(type.rawValue) model of \(k) components on \(d) features is used as \(k) full "
                           + "\(d) x \(d) matrices, about \(size), more than this machine's "
                           + String(format: "%.1f GB", Double(machine) / 1e9) + " of memory; `gmm info` shows it without "
                           + "them; to score, predict or sample, fit fewer features (reduce the dimension first)")
            }
        }
        let covariances = try compactCovariances(root["covariances"], type: type, k: k, d: d, path: path)
        let model: GaussianMixture
        do {
            model = try GaussianMixture(weights: weights, means: Matrix(meanRows), compactCovariances: covariances,
                                        covarianceType: type)
        } catch let error as GaussianMixtureError {
            throw fail("\(error)")
        }
        var file = ModelFile(model: model)
        if case .bool(let converged) = root["converged"] { file.converged = converged }
        if case .number(let n) = root["n_iter"], n >= 0, n == n.rounded(), n < 1e15 { file.iterations = Int(n) }
        if case .number(let bound) = root["lower_bound"], bound.isFinite {
            file.lowerBound = bound
            file.model.lowerBound = bound
        }
        if let history = root["lower_bound_history"], history != .null {
            file.lowerBoundHistory = try doubles(history, key: "lower_bound_history", path: path)
        }
        return file
    }

    /// Reads and checks a model file.
    public static func read(path: String) throws -> ModelFile {
        try parse(readAllBytes(path: path), path: path)
    }

    static func doubles(_ value: JSONValue?, key: String, path: String) throws -> [Double] {
        guard case .array(let array) = value else {
            throw DataFileError.format(path: path, message: "'\(key)' is missing or not an array of numbers")
        }
        return try array.enumerated().map { index, element in
            guard case .number(let number) = element else {
                throw DataFileError.format(path: path, message: "'\(key)'[\(index)] is \(element), not a finite number")
            }
            return number
        }
    }

    static func matrixRows(_ value: JSONValue?, key: String, path: String) throws -> [[Double]] {
        guard case .array(let array) = value else {
            throw DataFileError.format(path: path, message: "'\(key)' is missing or not an array of arrays")
        }
        return try array.enumerated().map { try doubles($1, key: "\(key)[\($0)]", path: path) }
    }

    /// The shape of a JSON value in words: "3 matrices of 4 x 4", "3 rows of 4 values",
    /// "3 values", "a number"; nil when it is not a regular array of numbers.
    static func shapeInWords(_ value: JSONValue?) -> (depth: Int, words: String)? {
        switch value {
        case .number: return (0, "a number")
        case .array(let items):
            guard let first = items.first else { return (1, "an empty array") }
            guard let inner = shapeInWords(first) else { return nil }
            switch inner.depth {
            case 0: return (1, "\(items.count) values")
            case 1:
                guard case .array(let row) = first else { return nil }
                return (2, "\(items.count) rows of \(row.count) values")
            case 2:
                guard case .array(let rows) = first, case .array(let row)? = rows.first else { return nil }
                return (3, "\(items.count) matrices of \(rows.count) x \(row.count)")
            default: return nil
            }
        default: return nil
        }
    }

    /// Checks that `covariances` has the nesting of `type`'s shape; another type's shape (a full
    /// `[K][D][D]` in a diag file, say) is named in those terms.
    static func checkCovarianceDepth(_ value: JSONValue?, type: CovarianceType, k: Int, d: Int, path: String) throws {
        let expected = type.compactShape(components: k, features: d).count
        guard let found = shapeInWords(value), found.depth != expected else { return }
        let types = CovarianceType.allCases.filter { $0.compactShape(components: k, features: d).count == found.depth }
        let likely = types.isEmpty ? "no model's shape; write them as `gmm fit` does"
            : types.count == 1 ? "a \(types[0].rawValue) model's shape; set \"covariance_type\": \"\(types[0].rawValue)\""
            : "a " + types.map(\.rawValue).joined(separator: " or ") + " model's shape; set \"covariance_type\" to "
                + types.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        throw DataFileError.format(path: path, message:
            "'covariances' of a '\(type.rawValue)' model must be \(type.shapeDescription(components: k, features: d, entries: "variances")), "
            + "but the file has \(found.words), \(likely), or write them in the '\(type.rawValue)' shape")
    }

    /// The covariances of a model file in `type`'s compact shape (row-major), checked to be
    /// numbers in exactly that shape.
    static func compactCovariances(_ value: JSONValue?, type: CovarianceType, k: Int, d: Int, path: String) throws -> [Double] {
        try checkCovarianceDepth(value, type: type, k: k, d: d, path: path)
        let expected = type.compactShape(components: k, features: d)
        var values: [Double] = []
        /// Appends the numbers of `element` (nested `rank` deep) and returns its shape, nil when ragged.
        func flatten(_ element: JSONValue, key: String, rank: Int) throws -> [Int]? {
            if rank == 0 {
                guard case .number(let number) = element else {
                    throw DataFileError.format(path: path, message: "'\(key)' is \(element), not a finite number")
                }
                values.append(number)
                return []
            }
            guard case .array(let items) = element else { return nil }
            var inner: [Int]?
            for (i, item) in items.enumerated() {
                guard let shape = try flatten(item, key: "\(key)[\(i)]", rank: rank - 1), inner == nil || inner == shape else { return nil }
                inner = shape
            }
            return [items.count] + (inner ?? [Int](repeating: 0, count: rank - 1))
        }
        guard let value, try flatten(value, key: "covariances", rank: expected.count) == expected else {
            throw DataFileError.format(path: path, message:
                "'covariances' of a '\(type.rawValue)' model must be \(type.shapeDescription(components: k, features: d, entries: "variances"))")
        }
        return values
    }
}
