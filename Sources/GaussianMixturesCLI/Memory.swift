import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// Memory estimates made before a command allocates, from N, D and K, so that a request the
/// machine cannot hold is refused with the number and what to try instead of failing an
/// allocation (or overflowing a size) halfway.
enum Memory {
    /// The product of `factors` (sizes and bytes per element), or nil when it overflows `Int`.
    static func product(_ factors: Int...) -> Int? {
        var total = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (next, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// Whether `bytes` (nil: overflowed) fits in the machine's memory.
    static func fits(_ bytes: Int?) -> Bool { bytes.map { $0 <= MachineMemory.bytes } ?? false }
}

extension Memory {
    /// Refuses a fit of `k` components on `d` features that cannot be held: the fit works on
    /// every covariance as a full `D x D` matrix whatever the type (the model stores its type's
    /// shape, but the E-step's precision factors and the statistics do not), so the sums of at
    /// least two waiting nodes of the chunk tree, the model of a full fit, the E-step's factors
    /// and the M-step's scatters
    /// come to about 12 K·D² doubles.
    /// - Throws: ``GaussianMixtureError/invalidOption(_:)`` (64) when fewer components would fit,
    ///   ``GaussianMixtureError/invalidShape(_:)`` (65) when even one component is too wide.
    /// More components than rows are left to the engine's own error, which says that.
    static func checkFit(components k: Int, features d: Int, rows: Int) throws {
        guard k <= rows else { return }
        let needed = product(12, k, d, d, 8)
        guard !fits(needed) else { return }
        let machine = MachineMemory.describe(MachineMemory.bytes)
        if fits(product(12, 1, d, d, 8)) {
            let most = MachineMemory.bytes / max(1, 12 * 8 * d * d)
            throw GaussianMixtureError.invalidOption(
                "--components \(k) on \(d) features would need \(needed == nil ? "" : "about ")\(MachineMemory.describe(needed)) of memory "
                + "(every covariance is held as a full \(d) x \(d) matrix); this machine has \(machine). "
                + "Use at most about \(most) components, or fewer features")
        }
        throw GaussianMixtureError.invalidShape(
            "the data have \(d) features: one \(d) x \(d) covariance, with the sums and factors the fit keeps of it, "
            + "would need about \(MachineMemory.describe(product(12, 1, d, d, 8))) of memory; this machine has \(machine). "
            + "Reduce the number of features first (for example by PCA)")
    }
}

/// Rows per chunk for per-row work with `components` values per row: about 4 MB of them.
func chunkRows(components: Int) -> Int { max(64, min(65_536, (1 << 19) / max(1, components))) }

/// Writes an N x K (or N x D) matrix that is produced chunk by chunk, in the format of `path`'s
/// extension (CSV for stdout), so that only one chunk is in memory.
final class MatrixStream {
    private let format: OutputFormat
    private let file: OutputFile?
    private var first = true

    /// Starts the output: the NPY header (from `rows` and `columns`), the CSV header line or the JSON bracket.
    init(rows: Int, columns: Int, header: [String]? = nil, to path: String?) throws {
        format = OutputFormat(path: path)
        file = try path.flatMap { $0 == "-" ? nil : try OutputFile(path: $0) }
        switch format {
        case .npy: try emit(NPY.encode(shape: [rows, columns]))
        case .csv: if let header { try emit(Array((header.joined(separator: ",") + "\n").utf8)) }
        case .json: try emit(Array("[\n".utf8))
        }
    }

    /// Appends the rows of `chunk`.
    func append(_ chunk: Matrix) throws {
        switch format {
        case .npy:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(8 * chunk.values.count)
            for v in chunk.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
            try emit(bytes)
        case .csv:
            try emit(Array(CSV.format(chunk).utf8))
        case .json:
            guard chunk.rows > 0 else { return }
            let text = chunk.rowArrays.map { "  [" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ",\n")
            try emit(Array(((first ? "" : ",\n") + text).utf8))
            first = false
        }
    }

    /// Ends the output and makes a file visible (a file is absent if this is never called).
    func finish() throws {
        if format == .json { try emit(Array("\n]\n".utf8)) }
        try file?.commit()
    }

    private func emit(_ bytes: [UInt8]) throws {
        if let file { try file.write(bytes) } else { try StandardStreams.writeResults(bytes) }
    }
}
