import Foundation
@testable import GaussianMixtures
import Testing

/// The one pass over the data that the checks, the quadratic road's centre and k-means' feature
/// means read (``ColumnSummary``), against plain loops; and the checks built on it name the
/// same bad value on every process.
@Suite struct ColumnSummaryTests {
    /// Sums bit for bit those of ``DataView/sumOverRows(count:threads:_:)``, the extremes and the
    /// reach exactly the plain loops', the weighted sums to rounding; float64 and float32, any
    /// thread count.
    @Test func summaryMatchesPlainLoops() {
        func check<S: EngineScalar>(_: S.Type) {
            var generator = Xoshiro256StarStar(seed: 3)
            let n = 10_000, d = 5
            let x = (0..<(n * d)).map { i in S(Double(i % d) * 100 + generator.nextGaussian() * Double(1 + i % 3)) }
            let weights = (0..<n).map { $0 % 7 == 0 ? 0 : generator.nextUniform() * 3 }
            x.withUnsafeBufferPointer { values in
                weights.withUnsafeBufferPointer { w in
                    for weighted in [false, true] {
                        let data = DataView(base: values.baseAddress!, rows: n, columns: d, weights: weighted ? w.baseAddress : nil)
                        let sums = data.sumOverRows(count: d) { rows, sums in
                            for r in rows { for j in 0..<d { sums[j] += Double(data.row(r)[j]) } }
                        }
                        for threads in [1, 2, 3] {
                            let summary = data.columnSummary(threads: threads)
                            #expect(summary.sums == sums)
                            #expect(summary.scaledSums.map { $0 / ColumnSummary.down } == sums)
                            for j in 0..<d {
                                let column = (0..<n).map { Double(x[$0 * d + j]) }
                                #expect(summary.least[j] == column.min())
                                #expect(summary.greatest[j] == column.max())
                                let weightedSum = (0..<n).reduce(0.0) { $0 + data.weight($1) * column[$1] }
                                #expect(abs(summary.weightedSums[j] - weightedSum) <= 1e-12 * abs(weightedSum) + 1e-9)
                                let center = sums[j] / Double(n) + 0.25
                                let reach = column.reduce(0.0) { max($0, abs($1 - center)) }
                                #expect(summary.reach(from: (0..<d).map { $0 == j ? center : 0 })[j] == reach)
                            }
                        }
                    }
                }
            }
        }
        check(Double.self)
        check(Float.self)
    }

    /// Runs ``checkValues(_:threads:)`` on processes holding consecutive blocks of `values` (cut
    /// at rows `cuts`), returning each process's error.
    func errors(_ values: [Double], columns d: Int, cuts: [Int]) -> [GaussianMixtureError?] {
        let bounds = [0] + cuts + [values.count / d]
        let reducers = TwoPartReducer.group(bounds.count - 1)
        let out = UnsafeTransfer(UnsafeMutablePointer<GaussianMixtureError?>.allocate(capacity: reducers.count))
        defer { out.wrappedValue.deinitialize(count: reducers.count); out.wrappedValue.deallocate() }
        values.withUnsafeBufferPointer { buffer in
            let shared = UnsafeTransfer(buffer.baseAddress!)
            runParts(reducers.count) { part in
                let rows = bounds[part]..<bounds[part + 1]
                let data = DataView(base: shared.wrappedValue + rows.lowerBound * d, rows: rows.count, columns: d,
                                    reducer: reducers[part], firstRow: rows.lowerBound, globalRows: bounds.last!)
                var error: GaussianMixtureError?
                do { try checkValues(data, threads: 2) } catch let e as GaussianMixtureError { error = e } catch {}
                (out.wrappedValue + part).initialize(to: error)
            }
        }
        return (0..<reducers.count).map { out.wrappedValue[$0] }
    }

    /// A NaN and an infinity: every process stops with the first of them in global row order,
    /// wherever the rows are cut; a value far out: every process names the same farthest row.
    @Test func everyProcessNamesTheSameBadValue() {
        let d = 3, n = 3_000
        var values = (0..<(n * d)).map { Double($0 % 17) }
        values[1_900 * d + 2] = .infinity
        values[2_100 * d + 1] = .nan
        for cuts in [[], [1_000], [2_000], [500, 2_050]] {
            for error in errors(values, columns: d, cuts: cuts) {
                guard case .nonFiniteValue(let row, let column, let value)? = error else {
                    Issue.record("cuts \(cuts): \(String(describing: error))")
                    continue
                }
                #expect(row == 1_900 && column == 2 && value == .infinity, "cuts \(cuts)")
            }
        }
        var far = (0..<(n * d)).map { Double($0 % 17) }
        far[2_500 * d + 1] = 1e300
        far[2_600 * d + 1] = -1e300
        for cuts in [[], [1_000], [2_550]] {
            for error in errors(far, columns: d, cuts: cuts) {
                guard case .dataOutOfRange(let row, let column, _, _, _)? = error else {
                    Issue.record("cuts \(cuts): \(String(describing: error))")
                    continue
                }
                #expect(row == 2_500 && column == 1, "cuts \(cuts)")
            }
        }
    }
}
