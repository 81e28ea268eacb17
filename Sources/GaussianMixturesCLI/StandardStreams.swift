import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// Standard input, output and error as a shell can hand them over: closed (`<&-`, `>&-`,
/// `2>&-`), full (`>/dev/full`), a pipe whose reader has gone. Results that cannot be written
/// are an I/O error (exit 74); a diagnostic that cannot be written is dropped and the exit code
/// stays what it was.
enum StandardStreams {
    /// Whether descriptor 0, 1 or 2 was closed when `gmm` started.
    nonisolated(unsafe) private(set) static var closedAtStart: Set<Int32> = []

    /// Run once before anything opens a file: a closed standard descriptor gets `/dev/null`,
    /// opened the wrong way round (read-only for 1 and 2, write-only for 0) so that every write
    /// or read on it fails, instead of the next file opened taking its number (an output file
    /// on descriptor 2 would receive the progress lines). A write to a pipe nobody reads returns
    /// `EPIPE` instead of killing the process, so that the error can be reported.
    static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        for descriptor: Int32 in [0, 1, 2] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            closedAtStart.insert(descriptor)
            let placeholder = open("/dev/null", descriptor == 0 ? O_WRONLY : O_RDONLY)
            if placeholder >= 0 && placeholder != descriptor {
                dup2(placeholder, descriptor)
                close(placeholder)
            }
        }
    }

    /// Writes all of `bytes` to `descriptor`, retrying on `EINTR`.
    /// - Returns: nil, or the `errno` of the write that failed.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }

    /// Writes results to standard output.
    /// - Throws: ``DataFileError/io(path:reason:)`` (exit 74) when stdout is closed, full or gone.
    static func writeResults(_ bytes: [UInt8]) throws {
        guard !closedAtStart.contains(STDOUT_FILENO) else {
            throw DataFileError.io(path: "stdout", reason: "standard output is closed; give -o FILE or redirect it")
        }
        if let error = writeAll(bytes, to: STDOUT_FILENO) {
            throw DataFileError.io(path: "stdout", reason: "cannot write the results: \(String(cString: strerror(error)))"
                                   + (error == EPIPE ? " (the reader has gone)" : "; give -o FILE or free some space"))
        }
    }

    /// Writes a diagnostic to standard error; dropped when it cannot be written.
    static func writeDiagnostic(_ text: String) {
        _ = writeAll(Array(text.utf8), to: STDERR_FILENO)
    }

    /// Checks that standard input can be read before `-` is read from it.
    /// - Throws: ``DataFileError/io(path:reason:)`` (exit 74) when stdin is closed or a directory.
    static func checkInput() throws {
        guard !closedAtStart.contains(STDIN_FILENO) else {
            throw DataFileError.io(path: "<stdin>", reason: "standard input is closed; pipe the data in or give a file name")
        }
        var info = stat()
        if fstat(STDIN_FILENO, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw DataFileError.io(path: "<stdin>", reason: "standard input is a directory; pipe the data in or give a file name")
        }
    }
}

/// Reads a data file as ``DataTable/read(path:precision:)`` does, after checking standard input for `-`.
func readTable(_ path: String, precision: Precision = .float64) throws -> DataTable {
    if path == "-" { try StandardStreams.checkInput() }
    return try DataTable.read(path: path, precision: precision)
}

/// Reads the data of a fit: the whole file, or under MPI this process's block of its rows
/// (``NPY/read(path:precision:block:of:)``: an `.npy` file is mapped and only the block read; a
/// CSV file is parsed whole and the block kept). Standard input is refused under MPI: every
/// process reads the data itself.
func readDataBlock(_ path: String, precision: Precision) throws -> DataTable {
    guard Cluster.isDistributed else { return try readTable(path, precision: precision) }
    guard path != "-" else {
        throw DataFileError.io(path: "<stdin>", reason: "under mpirun every process reads its own rows of the data: "
                               + "give a file (.npy or CSV), not standard input")
    }
    if path.lowercased().hasSuffix(".npy") {
        return try NPY.read(path: path, precision: precision, block: Cluster.rank, of: Cluster.size)
    }
    return try DataTable.read(path: path, precision: precision).block(Cluster.rank, of: Cluster.size)
}

/// Writes `bytes` to `path`, or to standard output for nil or `-`.
/// - Throws: ``DataFileError/io(path:reason:)`` when they cannot be written (exit 74).
func writeOutput(_ bytes: [UInt8], to path: String?) throws {
    guard Cluster.isLeader else { return }  // under MPI, rank 0 alone writes results
    guard let path, path != "-" else { return try StandardStreams.writeResults(bytes) }
    try OutputFile.write(bytes, to: path)
}

/// Writes text to standard output (the results of `score`, `info` and `select`).
func printResult(_ text: String) throws {
    guard Cluster.isLeader else { return }
    try StandardStreams.writeResults(Array(text.utf8))
}
