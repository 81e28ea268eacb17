import Foundation

extension GaussianMixture {
    /// `log p(x_n) = log Σ_k w_k N(x_n | μ_k, Σ_k)` for every row (scikit-learn's `score_samples`),
    /// computed in log space through the Cholesky factors.
    /// - Throws: when `data` has the wrong number of columns or holds NaN or infinity.
    public func logLikelihoods(of data: Matrix, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Double] {
        try evaluate(data, threads: threads, responsibilities: false).logLikelihoods
    }

    /// Mean log-likelihood per sample (scikit-learn's `score`).
    public func score(_ data: Matrix, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Double {
        let values = try logLikelihoods(of: data, threads: threads)
        return values.withUnsafeBufferPointer { SingleProcess.shared.sumOfRows($0) } / Double(values.count)
    }

    /// The posterior probability of each component for each row, `r_nk = w_k N(x_n|k) / p(x_n)`:
    /// the soft clustering (`predict_proba`). An N x K matrix whose rows sum to one.
    public func predictProbabilities(_ data: Matrix, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Matrix {
        try evaluate(data, threads: threads, responsibilities: true).responsibilities
    }

    /// The most probable component of each row (`predict`); ties go to the lower index.
    public func predict(_ data: Matrix, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Int] {
        Self.mostProbable(try predictProbabilities(data, threads: threads))
    }

    /// ``predict(_:threads:)`` for row-major values owned by the caller (no copy).
    public func predict(_ values: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                        threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Int] {
        Self.mostProbable(try predictProbabilities(values, rows: rows, columns: columns, threads: threads))
    }

    /// The index of the largest entry of every row (the lowest index on ties).
    private static func mostProbable(_ r: Matrix) -> [Int] {
        (0..<r.rows).map { n in
            var best = 0
            for c in 1..<r.columns where r[n, c] > r[n, best] { best = c }
            return best
        }
    }

    /// Bayesian information criterion, `-2 log L + p ln N` (lower is better).
    public func bic(_ data: Matrix) throws -> Double {
        let total = try logLikelihoods(of: data).withUnsafeBufferPointer { SingleProcess.shared.sumOfRows($0) }
        return -2 * total + Double(parameterCount) * Foundation.log(Double(data.rows))
    }

    /// Akaike information criterion, `-2 log L + 2 p` (lower is better).
    public func aic(_ data: Matrix) throws -> Double {
        let total = try logLikelihoods(of: data).withUnsafeBufferPointer { SingleProcess.shared.sumOfRows($0) }
        return -2 * total + 2 * Double(parameterCount)
    }

    /// ``logLikelihoods(of:threads:)`` for row-major values owned by the caller (no copy).
    public func logLikelihoods(of values: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Double] {
        try evaluate(values, rows: rows, columns: columns, threads: threads, responsibilities: false).logLikelihoods
    }

    /// ``predictProbabilities(_:threads:)`` for row-major values owned by the caller (no copy).
    public func predictProbabilities(_ values: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                                     threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Matrix {
        try evaluate(values, rows: rows, columns: columns, threads: threads, responsibilities: true).responsibilities
    }

    private func evaluate(_ data: Matrix, threads: Int, responsibilities wanted: Bool) throws
        -> (logLikelihoods: [Double], responsibilities: Matrix) {
        try data.values.withUnsafeBufferPointer {
            try evaluate($0, rows: data.rows, columns: data.columns, threads: threads, responsibilities: wanted)
        }
    }

    /// ``logLikelihoods(of:threads:)`` for float32 values owned by the caller (no copy): each row
    /// is centred on each mean in float64 and whitened in float32 (about 1e-6 relative).
    public func logLikelihoods(of values: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Double] {
        try evaluate(values, rows: rows, columns: columns, threads: threads, responsibilities: false).logLikelihoods
    }

    /// ``predictProbabilities(_:threads:)`` for float32 values owned by the caller (no copy).
    public func predictProbabilities(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                                     threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Matrix {
        try evaluate(values, rows: rows, columns: columns, threads: threads, responsibilities: true).responsibilities
    }

    /// ``predict(_:threads:)`` for float32 values owned by the caller (no copy).
    public func predict(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                        threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Int] {
        Self.mostProbable(try predictProbabilities(values, rows: rows, columns: columns, threads: threads))
    }

    /// Per-row log-likelihoods and, when `wanted`, responsibilities of `Scalar` values;
    /// `dataChecked` skips the finiteness scan when the caller has made it.
    func evaluate<Scalar: EngineScalar>(_ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, threads: Int,
                                        responsibilities wanted: Bool,
                                        dataChecked: Bool = false) throws -> (logLikelihoods: [Double], responsibilities: Matrix) {
        guard columns == featureCount else {
            throw GaussianMixtureError.invalidShape("the model has \(featureCount) features but the data have \(columns) columns")
        }
        guard rows >= 1, values.count == rows * columns, let base = values.baseAddress else {
            throw GaussianMixtureError.invalidShape("expected a non-empty \(rows) x \(columns) data matrix, got \(values.count) values")
        }
        guard threads >= 1 else { throw GaussianMixtureError.invalidOption("threads must be >= 1, got \(threads)") }
        let view = DataView(base: base, rows: rows, columns: columns)
        // One pass serves the kernel's centre and, unless made already, the finiteness check
        // (the scaled sums are finite exactly when every value is).
        let summary = view.columnSummary(threads: threads)
        if !dataChecked && !summary.scaledSums.allSatisfy(\.isFinite) { try checkFinite(view) }
        var logLikelihoods = [Double](repeating: 0, count: rows)
        var posterior = Matrix(zeros: wanted ? rows : 0, componentCount)
        let kernel = BLASKernel<Scalar>(data: view, components: componentCount, covarianceType: covarianceType,
                                        threads: threads, chunkRows: nil, summary: summary)
        logLikelihoods.withUnsafeMutableBufferPointer { out in
            posterior.values.withUnsafeMutableBufferPointer { r in
                kernel.score(self, logLikelihoods: out.baseAddress!, responsibilities: wanted ? r.baseAddress : nil)
            }
        }
        return (logLikelihoods, posterior)
    }
}
