import ArgumentParser
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

/// The data files of a command: `data` itself (also when it names an existing file), or the
/// files a glob in it matches (`*`, `?`, `[`; sorted by their paths' bytes), or the lines of `filesFrom` (one path a line, relative
/// to the current folder, in their order; blank lines skipped).
/// - Throws: ``DataFileError/io(path:reason:)`` for a glob that matches nothing or a list that
///   cannot be read or is empty.
func dataFiles(_ data: String?, filesFrom: String? = nil) throws -> [String] {
    if let filesFrom {
        let text = String(decoding: try readAllBytes(path: filesFrom), as: UTF8.self)
        let paths = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !paths.isEmpty else {
            throw DataFileError.io(path: filesFrom, reason: "lists no data file; give one path a line")
        }
        return paths
    }
    guard let data else { throw DataFileError.io(path: "DATA", reason: "no data file given; give DATA or --files-from LIST") }
    // A file whose name holds a glob character is itself, not a pattern.
    guard data != "-", data.contains(where: { "*?[".contains($0) }), !FileManager.default.fileExists(atPath: data) else {
        return [data]
    }
    var matches = glob_t()
    defer { globfree(&matches) }
    guard glob(data, 0, nil, &matches) == 0, matches.gl_pathc > 0 else {
        throw DataFileError.io(path: data, reason: "the pattern matches no file; check it, and quote it so that gmm expands it")
    }
    let paths = (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    return paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}

/// Refuses standard input (`-`) named for more than one input: it can be read once, and the
/// second reader met an empty stream ("<stdin>: no data rows found", naming neither input).
func validateStandardInput(_ inputs: [(name: String, path: String?)]) throws {
    let readers = inputs.filter { $0.path == "-" }.map(\.name)
    guard readers.count > 1 else { return }
    throw ValidationError("'-' (standard input) is given for \(readers.joined(separator: " and ")); standard input can be "
                          + "read only once: give all but one of them as files")
}

/// Refuses a model output named as another format (`-o model.npy`: the model is JSON, and a
/// `.npy`, `.csv` or `.svg` name made `np.load` and spreadsheets fail on it later); called after
/// ``OutputFile/check(_:inputs:)``, whose "the output is the input" says more. Exit 64.
func validateModelOutput(_ output: String?) throws {
    guard let output, let dot = output.lastIndex(of: "."), !output[dot...].contains("/") else { return }
    let ext = output[output.index(after: dot)...].lowercased()
    guard ["npy", "csv", "svg"].contains(ext) else { return }
    throw GaussianMixtureError.invalidOption("-o \(output): the model is written as JSON, not .\(ext); name the output .json")
}

/// Checks that a command got its data one way: DATA or `--files-from LIST`.
func validateDataInputs(_ data: String?, _ filesFrom: String?) throws {
    guard (data == nil) != (filesFrom == nil) else {
        throw ValidationError(data == nil ? "give the data: DATA or --files-from LIST" : "give DATA or --files-from LIST, not both")
    }
}

/// Reads the data of a command from `paths` (``dataFiles(_:filesFrom:)``): their rows one after
/// the other, or under MPI this process's contiguous, balanced block of them
/// (``NPY/blockRange(rows:block:of:alignment:)`` of the rows of all files; a file may be split between
/// processes and a process may get no rows). An `.npy` file is mapped and only the rows needed
/// read; a CSV file is parsed whole and the rows needed kept (under MPI, parsed once to count
/// its rows and again only if it holds rows of the block). Standard input is refused under
/// MPI: every process reads the data itself.
///
/// With `block` false every process reads all the rows (the commands not distributed yet).
/// With `block`, the processes then check that they all read data of one shape
/// (``agreeOnData(_:files:)``; nothing on one process).
func readDataBlock(_ paths: [String], precision: Precision, block: Bool = true) throws -> DataTable {
    let table = try readRowsOfThisProcess(paths, precision: precision, distributed: block && Cluster.isDistributed)
    if block { agreeOnData(table, files: paths) }
    return table
}

/// ``readDataBlock(_:precision:block:)``'s rows, before the processes compare them.
private func readRowsOfThisProcess(_ paths: [String], precision: Precision, distributed: Bool) throws -> DataTable {
    if paths.count == 1 {
        let path = paths[0]
        guard distributed else { return try readTable(path, precision: precision) }
        guard path != "-" else {
            throw DataFileError.io(path: "<stdin>", reason: "under mpirun every process reads its own rows of the data: "
                                   + "give a file (.npy or CSV), not standard input")
        }
        if path.lowercased().hasSuffix(".npy") {
            return try NPY.read(path: path, precision: precision, block: Cluster.rank, of: Cluster.size)
        }
        return try DataTable.read(path: path, precision: precision).block(Cluster.rank, of: Cluster.size)
    }
    if let stdin = paths.firstIndex(of: "-") {
        throw DataFileError.io(path: "<stdin>", reason: "standard input cannot be one of several data files (entry \(stdin + 1))")
    }
    return try readRows(paths, precision: precision, lean: distributed) { total in
        distributed ? NPY.blockRange(rows: total, block: Cluster.rank, of: Cluster.size) : 0..<total
    }
}

/// The rows `wanted(total)` of the files `paths` taken one after the other (`total` their rows in
/// all), as one table that remembers where it starts. An `.npy` file's rows come from its header
/// and only the rows wanted are read; a CSV file is parsed to count its rows and kept, or with
/// `lean` (under MPI) parsed again only if it holds rows wanted, so that a process never holds
/// more than its share of the rows plus one file.
func readRows(_ paths: [String], precision: Precision, lean: Bool,
              wanted: (_ total: Int) throws -> Range<Int>) throws -> DataTable {
    var parsed: [Int: DataTable] = [:]
    var counts: [Int] = []
    for (i, path) in paths.enumerated() {
        if path.lowercased().hasSuffix(".npy") {
            counts.append(try NPY.shape(path: path).rows)
        } else {
            let table = try DataTable.read(path: path, precision: precision)
            parsed[i] = lean ? try table.rows(0..<0) : table
            counts.append(table.rows)
        }
    }
    let total = counts.reduce(0, +)
    let range = try wanted(total)
    var parts: [DataTable] = []
    var start = 0
    for (i, path) in paths.enumerated() {
        let file = start..<(start + counts[i])
        start += counts[i]
        let overlap = file.clamped(to: range)
        // Files outside the range still count: an empty part keeps their columns checked.
        let local = overlap.isEmpty ? 0..<0 : (overlap.lowerBound - file.lowerBound)..<(overlap.upperBound - file.lowerBound)
        if let table = parsed[i] {
            // With `lean`, `table` is the file's empty part (its columns), parsed again if needed.
            let rows = lean && !overlap.isEmpty ? try DataTable.read(path: path, precision: precision) : table
            parts.append(try rows.rows(local))
        } else {
            parts.append(try NPY.read(path: path, precision: precision) { _ in local })
        }
    }
    return try DataTable.concatenating(parts, path: paths.count > 3 ? "\(paths[0]) ... \(paths[paths.count - 1])" : paths.joined(separator: ", "),
                                       precision: precision, firstRow: range.lowerBound, totalRows: total)
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
