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
        switch type {
        case .diag, .spherical:
            try checkCovarianceDepth(root["covariances"], type: type, k: k, d: d, path: path)
            let variances = type == .diag
                ? try matrixRows(root["covariances"], key: "covariances", path: path)
                : try doubles(root["covariances"], key: "covariances", path: path).map { [$0] }
            let width = type == .diag ? d : 1
            guard variances.count == k, variances.allSatisfy({ $0.count == width }) else {
                throw fail("'covariances' of a '\(type.rawValue)' model must be "
                           + (type == .diag ? "\(k) rows of \(d) variances" : "\(k) variances"))
            }
            for (c, row) in meanRows.enumerated() {
                if let v = row.first(where: { !$0.isFinite }) { throw fail("mean of component \(c) holds \(v)") }
            }
            for (c, row) in variances.enumerated() {
                if let v = row.first(where: { !($0.isFinite && $0 > 0) }) {
                    throw fail("covariance of component \(c) holds the variance \(v); variances must be finite and positive")
                }
            }
            for (i, w) in weights.enumerated() where !(w.isFinite && w >= 0) {
                throw fail("weight of component \(i) is \(w); weights must be finite and non-negative")
            }
            guard abs(weights.reduce(0, +) - 1) <= 1e-6 else { throw fail("the weights sum to \(weights.reduce(0, +)), not 1") }
        case .full, .tied:
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
        // The library holds every covariance as a full D x D matrix, with its Cholesky factor, its
        // inverse and a scratch copy: refuse a model that cannot be held before allocating it.
        if type != .full {
            let machine = Int(clamping: ProcessInfo.processInfo.physicalMemory)
            let (square, o1) = d.multipliedReportingOverflow(by: d)
            let (matrices, o2) = square.multipliedReportingOverflow(by: k)
            let (bytes, o3) = matrices.multipliedReportingOverflow(by: 8 * 4)
            if o1 || o2 || o3 || bytes > machine {
                let size = o1 || o2 || o3 ? "more than 9 EB" : String(format: "%.1f GB", Double(bytes) / 1e9)
                throw fail("this \(type.rawValue) model of \(k) components on \(d) features is used as \(k) full "
                           + "\(d) x \(d) matrices, about \(size), more than this machine's "
                           + String(format: "%.1f GB", Double(machine) / 1e9) + " of memory; `gmm info` shows it without "
                           + "them; to score, predict or sample, fit fewer features (reduce the dimension first)")
            }
        }
        let covariances = try fullCovariances(root["covariances"], type: type, k: k, d: d, path: path)
        let model: GaussianMixture
        do {
            model = try GaussianMixture(weights: weights, means: Matrix(meanRows), covariances: covariances,
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
        let depths: [CovarianceType: (Int, String)] = [
            .full: (3, "\(k) matrices of \(d) x \(d)"), .diag: (2, "\(k) rows of \(d) variances (the diagonals)"),
            .spherical: (1, "\(k) variances"), .tied: (2, "one \(d) x \(d) matrix"),
        ]
        if let expected = depths[type], let found = shapeInWords(value), found.depth != expected.0 {
            let likely = found.depth == 3 ? "a full model's shape; set \"covariance_type\": \"full\""
                : found.depth == 1 ? "a spherical model's shape; set \"covariance_type\": \"spherical\""
                : found.depth == 2 ? "a diag or tied model's shape; set \"covariance_type\" to \"diag\" or \"tied\""
                : "no model's shape; write them as `gmm fit` does"
            throw DataFileError.format(path: path, message:
                "'covariances' of a '\(type.rawValue)' model must be \(expected.1), but the file has \(found.words), "
                + "\(likely), or write them in the '\(type.rawValue)' shape")
        }
    }

    static func fullCovariances(_ value: JSONValue?, type: CovarianceType, k: Int, d: Int, path: String) throws -> [Matrix] {
        func fail(_ expected: String) -> DataFileError {
            .format(path: path, message: "'covariances' of a '\(type.rawValue)' model must be \(expected)")
        }
        try checkCovarianceDepth(value, type: type, k: k, d: d, path: path)
        func diagonal(_ v: [Double]) -> Matrix {
            var m = Matrix(zeros: d, d)
            for i in 0..<d { m[i, i] = v[i] }
            return m
        }
        switch type {
        case .full:
            guard case .array(let array) = value, array.count == k else { throw fail("\(k) matrices of \(d) x \(d)") }
            return try array.enumerated().map { c, element in
                let rows = try matrixRows(element, key: "covariances[\(c)]", path: path)
                guard rows.count == d, rows.allSatisfy({ $0.count == d }) else { throw fail("\(k) matrices of \(d) x \(d)") }
                return try Matrix(rows)
            }
        case .diag:
            let rows = try matrixRows(value, key: "covariances", path: path)
            guard rows.count == k, rows.allSatisfy({ $0.count == d }) else { throw fail("\(k) rows of \(d) variances") }
            return rows.map(diagonal)
        case .spherical:
            let variances = try doubles(value, key: "covariances", path: path)
            guard variances.count == k else { throw fail("\(k) variances") }
            return variances.map { diagonal([Double](repeating: $0, count: d)) }
        case .tied:
            let rows = try matrixRows(value, key: "covariances", path: path)
            guard rows.count == d, rows.allSatisfy({ $0.count == d }) else { throw fail("one \(d) x \(d) matrix") }
            let shared = try Matrix(rows)
            return [Matrix](repeating: shared, count: k)
        }
    }
}
