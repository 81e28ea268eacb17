// The machine's DGEMM rate, measured in the same run as the EM timings they are compared with
// (issue 15: the dense E-step's GFLOP/s as a share of it).
import CLAPACK
import Foundation

/// GFLOP/s of `C = A B` for square `n x n` doubles on `threads` OpenBLAS threads: the best of
/// `repeats` runs after one warm-up, counting `2 n³` flops.
func dgemmRate(threads: Int, n: Int = 2048, repeats: Int = 3) -> Double {
    let saved = openblas_get_num_threads()
    openblas_set_num_threads(Int32(threads))
    defer { openblas_set_num_threads(saved) }
    var generator = SystemRandomNumberGenerator()
    let a = (0..<(n * n)).map { _ in Double.random(in: -1...1, using: &generator) }
    let b = (0..<(n * n)).map { _ in Double.random(in: -1...1, using: &generator) }
    var c = [Double](repeating: 0, count: n * n)
    var best = Double.infinity
    for run in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1, a, blasint(n),
                    b, blasint(n), 0, &c, blasint(n))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if run > 0 { best = min(best, seconds) }
    }
    return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
}
