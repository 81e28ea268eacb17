import Foundation

/// The naive reference path: the same E- and M-step maths as ``BLASKernel`` written as plain
/// Swift loops on one thread, with its own Cholesky factorization (of the model's covariances,
/// once per E-step) and triangular solves and no BLAS or LAPACK. Tests hold the fast path to it;
/// the benchmark measures against it.
struct NaiveKernel<Scalar: EngineScalar>: EMKernel {
    let data: DataView<Scalar>
    let components: Int

    init(data: DataView<Scalar>, components: Int, covarianceType: CovarianceType, threads: Int, chunkRows: Int?,
         summary: ColumnSummary?) {
        self.data = data
        self.components = components
    }

    /// Cholesky–Banachiewicz: `L[i][j] = (A[i][j] - Σ_{m<j} L[i][m] L[j][m]) / L[j][j]`.
    static func choleskyLower(_ a: [Double], dimension n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for m in 0..<j { s -= l[i * n + m] * l[j * n + m] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        return l
    }

    /// Inverse of a lower-triangular matrix, column by column by forward substitution.
    static func invertLower(_ l: [Double], dimension n: Int) -> [Double]? {
        var inverse = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            for i in column..<n {
                var s = i == column ? 1.0 : 0.0
                for m in column..<i { s -= l[i * n + m] * inverse[m * n + column] }
                guard l[i * n + i] != 0 else { return nil }
                inverse[i * n + column] = s / l[i * n + i]
            }
        }
        return inverse
    }

    /// `L_k` (own Cholesky of `Σ_k`, LAPACK's when that fails) and `log|Σ_k|` from it, per component.
    private func factors(_ model: GaussianMixture) -> [(factor: Matrix, logDeterminant: Double)] {
        let d = data.columns
        return (0..<components).map { c in
            guard let l = Self.choleskyLower(model.covariance(c).values, dimension: d),
                  let factor = try? Matrix(rows: d, columns: d, values: l)
            else { return (model.choleskyFactor(c), model.logDeterminants[c]) }
            var logDet = 0.0
            for i in 0..<d { logDet += Foundation.log(l[i * d + i]) }
            return (factor, 2 * logDet)
        }
    }

    func expectation(_ model: GaussianMixture) -> SufficientStatistics {
        var stats = SufficientStatistics(components: components, features: data.columns, shifts: model.means.values)
        var logJoint = [Double](repeating: 0, count: components)
        let factors = factors(model)
        for n in 0..<data.rows {
            let logLikelihood = posterior(row: n, model, factors, into: &logJoint)
            if data.weight(n) > 0 { stats.logLikelihood += data.weight(n) * logLikelihood }
            add(row: n, responsibilities: logJoint, to: &stats)
        }
        return stats
    }

    /// Per-row `log p(x_n)` and, when `responsibilities` is given, the N x K posterior matrix:
    /// the reference for ``BLASKernel/score(_:logLikelihoods:responsibilities:)``.
    func score(_ model: GaussianMixture, logLikelihoods: UnsafeMutablePointer<Double>,
               responsibilities: UnsafeMutablePointer<Double>?) {
        var r = [Double](repeating: 0, count: components)
        let factors = factors(model)
        for n in 0..<data.rows {
            logLikelihoods[n] = posterior(row: n, model, factors, into: &r)
            if let out = responsibilities { for c in 0..<components { out[n * components + c] = r[c] } }
        }
    }

    /// `log p(x_n)`, leaving the responsibilities `r_nk` in `r` (a row far from every component
    /// as ``FarRows`` computes it).
    private func posterior(row n: Int, _ model: GaussianMixture, _ factors: [(factor: Matrix, logDeterminant: Double)],
                           into r: inout [Double]) -> Double {
        let logLikelihood = self.logLikelihood(row: n, model, factors, into: &r)
        // A row far from every component (every log joint density below FarRows.threshold, or
        // none a number) is computed again as the fast path does.
        guard (r.max() ?? -.infinity) >= FarRows.threshold else {
            return r.withUnsafeMutableBufferPointer { FarRows.posterior(data.doubles(ofRow: n), FarRows.Geometry(model), into: $0.baseAddress!) }
        }
        for c in 0..<components { r[c] = Foundation.exp(r[c] - logLikelihood) }
        return logLikelihood
    }

    /// `log p(x_n)`, leaving `log w_k + log N(x_n | μ_k, Σ_k)` in `logJoint`.
    private func logLikelihood(row n: Int, _ model: GaussianMixture, _ factors: [(factor: Matrix, logDeterminant: Double)],
                               into logJoint: inout [Double]) -> Double {
        let d = data.columns, k = components
        let logTwoPi = Foundation.log(2 * Double.pi)
        var z = [Double](repeating: 0, count: d)
        let x = data.row(n)
        for c in 0..<k {
            // z = L⁻¹ (x - μ) by forward substitution; log N = -½ (D log 2π + log|Σ| + ‖z‖²).
            let l = factors[c].factor
            var squares = 0.0
            for i in 0..<d {
                var s = Double(x[i]) - model.means[c, i]
                for m in 0..<i { s -= l[i, m] * z[m] }
                z[i] = s / l[i, i]
                squares += z[i] * z[i]
            }
            logJoint[c] = Foundation.log(model.weights[c])
                - 0.5 * (Double(d) * logTwoPi + factors[c].logDeterminant + squares)
        }
        let maximum = logJoint.max() ?? 0
        guard maximum > -.infinity else { return -.infinity }
        var sum = 0.0
        for c in 0..<k { sum += Foundation.exp(logJoint[c] - maximum) }
        return maximum + Foundation.log(sum)
    }

    func statistics(of source: ResponsibilitySource, shifts: [Double]) -> SufficientStatistics {
        let k = components
        var stats = SufficientStatistics(components: k, features: data.columns, shifts: shifts)
        let lookup = source.seedLookup
        var r = [Double](repeating: 0, count: k)
        for n in 0..<data.rows {
            r.withUnsafeMutableBufferPointer { source.fill(row: n, firstRow: data.firstRow, components: k, into: $0.baseAddress!, seedLookup: lookup) }
            add(row: n, responsibilities: r, to: &stats)
        }
        return stats
    }

    private func add(row n: Int, responsibilities r: [Double], to stats: inout SufficientStatistics) {
        let d = data.columns
        let x = data.row(n)
        let w = data.weight(n)
        stats.sampleCount += w
        for c in 0..<components {
            let rc = w * r[c]
            stats.weightSums[c] += rc
            for i in 0..<d {
                let ti = Double(x[i]) - stats.shifts[c * d + i]
                stats.centeredSums[c * d + i] += rc * ti
                for j in 0...i {
                    stats.centeredScatter[c * d * d + i * d + j] += rc * ti * (Double(x[j]) - stats.shifts[c * d + j])
                }
            }
        }
    }
}
