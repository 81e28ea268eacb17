// The only file that imports CLAPACK: every BLAS and LAPACK call of the engine goes through here.
import CLAPACK
import Foundation

/// Thin, typed wrappers over the CBLAS and LAPACKE routines the fast path uses.
/// All matrices are row-major `Double`.
///
/// The factorizations (`dpotrf`, `dtrtri`, `dsyevd`) always run on one OpenBLAS thread: their
/// matrices are D x D, too small to gain from threads, and a threaded call wakes OpenBLAS's
/// worker thread, which then spins on `sched_yield` for about 0.1 s, beside our own workers, after
/// every M-step.
enum LAPACK {
    /// Overwrites the lower triangle of the symmetric `n x n` matrix `a` with its Cholesky
    /// factor L (`a = L L^T`, LAPACK `dpotrf`) and zeroes the strict upper triangle.
    /// - Returns: `false` when `a` is not positive definite.
    static func choleskyLower(_ a: inout [Double], dimension n: Int) -> Bool {
        let info = withSingleThreadedBLAS {
            a.withUnsafeMutableBufferPointer { buffer in
                LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), buffer.baseAddress, Int32(n))
            }
        }
        guard info == 0 else { return false }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = 0 } }
        return true
    }

    /// Overwrites the lower-triangular `n x n` matrix `l` with its inverse (LAPACK `dtrtri`).
    /// - Returns: `false` when `l` is singular.
    static func invertLowerTriangular(_ l: inout [Double], dimension n: Int) -> Bool {
        let info = withSingleThreadedBLAS {
            l.withUnsafeMutableBufferPointer { buffer in
                LAPACKE_dtrtri(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int8(UInt8(ascii: "N")),
                               Int32(n), buffer.baseAddress, Int32(n))
            }
        }
        return info == 0
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric `n x n` matrix `a`,
    /// from its lower triangle (LAPACK `dsyevd`, divide and conquer). On return `a` holds the
    /// eigenvectors as columns: column j belongs to eigenvalue j.
    /// - Returns: the eigenvalues, or `nil` when the iteration failed to converge.
    static func symmetricEigen(_ a: inout [Double], dimension n: Int) -> [Double]? {
        var values = [Double](repeating: 0, count: n)
        let info = withSingleThreadedBLAS {
            a.withUnsafeMutableBufferPointer { matrix in
                values.withUnsafeMutableBufferPointer { w in
                    LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                                   Int32(n), matrix.baseAddress, Int32(n), w.baseAddress)
                }
            }
        }
        return info == 0 ? values : nil
    }

    /// Runs `body` with OpenBLAS limited to one thread (our Dispatch chunks are the parallelism),
    /// then restores the caller's setting. The setting is global: concurrent callers (`select`
    /// fits candidates in parallel) share one count, and the last to leave restores it.
    static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        blasThreads.enter()
        defer { blasThreads.leave() }
        return try body()
    }

    private static let blasThreads = SingleThreadedBLASScope()
}

/// Counts the callers inside ``LAPACK/withSingleThreadedBLAS(_:)``.
private final class SingleThreadedBLASScope: @unchecked Sendable {
    private let lock = NSLock()
    private var inside = 0
    private var saved: Int32 = 1

    func enter() {
        lock.lock()
        defer { lock.unlock() }
        if inside == 0 {
            saved = openblas_get_num_threads()
            openblas_set_num_threads(1)
        }
        inside += 1
    }

    func leave() {
        lock.lock()
        defer { lock.unlock() }
        inside -= 1
        if inside == 0 { openblas_set_num_threads(saved) }
    }
}

// The BLAS requirements of `EngineScalar`, one per precision (`d...` and `s...` routines).
extension Double {
    /// `C = op(A) op(B) + beta C`, all row-major (`dgemm`); `lda`/`ldb` are the leading
    /// dimensions of `A` and `B` as stored.
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
                     b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false, beta: Double = 0,
                     c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Lower triangle of `C = AᵀA` (overwriting `C`), `A` of `rows x n` row-major (`dsyrk`).
    static func gramLower(rows: Int, n: Int, a: UnsafePointer<Double>, lda: Int, c: UnsafeMutablePointer<Double>) {
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, blasint(n), blasint(rows), 1.0, a, blasint(lda), 0.0, c, blasint(n))
    }
}

extension Float {
    /// As `Double.gemm`, in single precision (`sgemm`).
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false, beta: Float = 0,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// As `Double.gramLower`, in single precision (`ssyrk`).
    static func gramLower(rows: Int, n: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>) {
        cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, blasint(n), blasint(rows), 1.0, a, blasint(lda), 0.0, c, blasint(n))
    }
}
