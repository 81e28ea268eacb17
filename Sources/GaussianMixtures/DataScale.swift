import Foundation

/// Refuses data whose spread is too large for a covariance to be a number of the data's type.
///
/// The M-step sums `r_nk (x_n - μ_k)(x_n - μ_k)ᵀ` over the rows; with `m` the largest distance of
/// a value from its column's mean, those sums stay below `4·n·D·m²`, where `n` is the number of
/// rows one sum runs over in the data's type: all of them in float64 (`m` near 1e152 for a few
/// hundred rows), one chunk in float32 before the sum moves to a double (`m` near 1e17). When
/// that overflows, every covariance is infinite and the fit could only fail later as a
/// "collapsed" component; this says instead what is wrong and by how much to scale the data.
/// - Throws: ``GaussianMixtureError/dataOutOfRange(row:column:distance:divisor:precision:)``.
func checkScale<Scalar>(_ data: DataView<Scalar>, _ summary: ColumnSummary) throws {
    let d = data.columns, n = data.rows
    guard d >= 1 else { return }
    // Column means of the values scaled by 2⁻⁵¹² (exact), so that the sums cannot overflow.
    let total = Double(max(1, data.globalRows)), down = ColumnSummary.down
    let means = (0..<d).map { summary.scaledSums[$0] / total / down }
    // Every process decides on the largest distance of all, so that all of them stop together.
    let largest = summary.reach(from: means).max() ?? 0
    let summed = Scalar.self == Double.self ? total : min(total, Double(Scalar.maxChunkRows))
    let limit = (Double(Scalar.greatestFiniteMagnitude) / (4 * Double(summed) * Double(d))).squareRoot()
    guard largest > limit || !largest.isFinite else { return }
    // The first farthest value (in row order, over every process), for the message.
    var farthest = (distance: 0.0, row: 0, column: 0)
    for i in 0..<n {
        let x = data.row(i)
        for j in 0..<d {
            let distance = abs(Double(x[j]) - means[j])
            if distance > farthest.distance { farthest = (distance, data.firstRow + i, j) }
        }
    }
    if data.reducer.size > 1 {
        for part in data.reducer.gather([farthest.distance, Double(farthest.row), Double(farthest.column)])
        where part[0] > farthest.distance || (part[0] == farthest.distance && Int(part[1]) < farthest.row) {
            farthest = (part[0], Int(part[1]), Int(part[2]))
        }
    }
    let divisor = Foundation.pow(10, Foundation.floor(Foundation.log10(min(largest, .greatestFiniteMagnitude))))
    throw GaussianMixtureError.dataOutOfRange(row: farthest.row, column: farthest.column,
                                              distance: farthest.distance, divisor: divisor,
                                              precision: Scalar.self == Double.self ? "float64" : "float32")
}
