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

    /// Every byte from `descriptor` up to its end.
    static func readAll(_ descriptor: Int32, info: stat, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size)) }
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
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}

/// Every byte of a file, or of standard input for `-`.
public func readAllBytes(path: String) throws -> [UInt8] {
    let (descriptor, info) = try InputFile.open(path)
    defer { if path != "-" { close(descriptor) } }
    return try InputFile.readAll(descriptor, info: info, path: path == "-" ? "<stdin>" : path)
}
