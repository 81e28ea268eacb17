import Foundation

/// Opening and reading input files with the system calls, so that every failure is one
/// message in the user's terms ("is a folder", "no such file") rather than a Foundation error
/// code, and a closed standard input is an error rather than a trap.
enum InputFile {
    /// An open descriptor of `path` (standard input for `-`, not to be closed) and its `fstat`.
    /// - Throws: ``DataFileError/io(path:reason:)`` for a missing or unreadable file, a folder,
    ///   or a closed standard input.
    static func open(_ path: String) throws -> (descriptor: Int32, info: stat) {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw DataFileError.io(path: path, reason: openFailure(errno)) }
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            if path == "-" {
                throw DataFileError.io(path: "<stdin>", reason: "standard input is closed; pipe the data in, or give a file name")
            }
            close(descriptor)
            throw DataFileError.io(path: path, reason: String(cString: strerror(code)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if path != "-" { close(descriptor) }
            throw DataFileError.io(path: path == "-" ? "<stdin>" : path,
                                   reason: "is a folder, not a file; give the path of a file in it")
        }
        return (descriptor, info)
    }

    /// Why `open` failed, with what to try.
    static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file; check the path"
        case EACCES, EPERM: return "permission denied; check the file's permissions (ls -l)"
        case ENOTDIR: return "a folder on the path is a file; check the path"
        case ELOOP: return "too many symbolic links (a loop?); check the path"
        default: return "cannot be opened: \(String(cString: strerror(code)))"
        }
    }

    /// The most bytes an input read whole may hold: half of ``MachineMemory/bytes`` for a regular
    /// file, read into memory reserved at its size (a CSV's copy and its doubles then get their
    /// own, finer check in ``CSV/contents(of:path:)``); a quarter for a stream, whose buffer
    /// doubles as it grows (old and new copies held at once).
    static func byteLimit(regularFile: Bool) -> Int { MachineMemory.bytes / (regularFile ? 2 : 4) }

    /// Every byte from `descriptor` up to its end.
    /// - Parameter text: whether the input is text (CSV, a model file, a list of files): then a
    ///   NUL byte is refused at once, so that a device without end (`/dev/zero`) or a binary file
    ///   given by mistake fails in the first megabyte, not when memory runs out. UTF-16 text
    ///   (a byte order mark first), full of NUL bytes, is left to the CSV reader, which names it.
    /// - Throws: ``DataFileError/format(path:message:)`` for more than ``byteLimit(regularFile:)`` bytes (a
    ///   stream without end, or a file this machine cannot hold) or, in text, a NUL byte.
    static func readAll(_ descriptor: Int32, info: stat, path: String, text: Bool) throws -> [UInt8] {
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        let limit = byteLimit(regularFile: regular)
        func tooLarge(_ size: String) -> DataFileError {
            DataFileError.format(path: path, message: "\(size) is more than this process can read whole (\(regular ? "half" : "a quarter") of its "
                + "\(MachineMemory.describe(MachineMemory.bytes)) of memory); "
                + (text ? "give the data as .npy (read in place), split it into several files, or check that the input ends"
                   : "give the .npy as a file (mapped, not read whole), not a pipe"))
        }
        var refuseNUL = text
        var bytes: [UInt8] = []
        if regular && info.st_size > 0 {
            guard info.st_size <= limit else { throw tooLarge("the file's \(MachineMemory.describe(Int(info.st_size)))") }
            bytes.reserveCapacity(Int(info.st_size))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                if path == "<stdin>" && code == EBADF {
                    throw DataFileError.io(path: path, reason: "standard input is closed; pipe the data in, or give a file name")
                }
                throw DataFileError.io(path: path, reason: "read failed: \(String(cString: strerror(code)))")
            }
            if bytes.isEmpty && count >= 2 && (chunk[0] == 0xFF && chunk[1] == 0xFE || chunk[0] == 0xFE && chunk[1] == 0xFF) {
                refuseNUL = false
            }
            if refuseNUL, let nul = chunk[0..<count].firstIndex(of: 0) {
                throw DataFileError.format(path: path, message: "byte \(bytes.count + nul + 1) is a NUL byte: the input holds "
                    + "binary data, not the text expected here (comma-separated numbers, a JSON model, a list of files); "
                    + "give a text file, or data as .npy")
            }
            if bytes.count + count > limit { throw tooLarge("more than \(MachineMemory.describe(limit))") }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}

/// Every byte of a text file (CSV, a model, a list of files), or of standard input for `-`.
/// - Throws: ``DataFileError`` for a missing or unreadable file, a NUL byte, or more than a
///   half of ``MachineMemory/bytes`` (a quarter from a stream).
public func readAllBytes(path: String) throws -> [UInt8] {
    let (descriptor, info) = try InputFile.open(path)
    defer { if path != "-" { close(descriptor) } }
    return try InputFile.readAll(descriptor, info: info, path: path == "-" ? "<stdin>" : path, text: true)
}

/// The memory this process may use, in bytes: the machine's physical memory, or the container's
/// limit (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`) or the address-space limit
/// (`ulimit -v`) when lower.
public enum MachineMemory {
    public static let bytes: Int = {
        var limit = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0 {
                limit = min(limit, value)
            }
        }
        var space = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &space) == 0 && space.rlim_cur != rlim_t.max {
            limit = min(limit, Int(clamping: space.rlim_cur))
        }
        return max(limit, 1 << 20)
    }()

    /// `bytes` for people: "1.5 GB", "40 TB"; "more than 9.2 EB" for an overflowed size.
    public static func describe(_ bytes: Int?) -> String {
        guard let bytes else { return "more than 9.2 EB" }
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
