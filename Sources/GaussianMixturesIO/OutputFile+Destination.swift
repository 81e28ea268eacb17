import FileGuard
import Foundation

/// Where an output goes, checked before any work: a regular file to replace atomically, a
/// device, FIFO or descriptor to write in place, or a refusal (an input, a folder, a missing folder).
extension OutputFile {

    /// Checks an output path before a command does any work, so that a long fit does not end
    /// in an error it could have given at once.
    ///
    /// - Throws: ``DataFileError/outputIsInput(output:input:)`` (a usage error, 64) when `output`
    ///   is one of `inputs`: the same file (device and inode, after following links, hard links
    ///   included), or, when it does not exist yet, the same resolved path; and
    ///   ``DataFileError/io(path:reason:)`` (74) when its folder does not exist or cannot be
    ///   written, or it names a folder. `nil` and `-` (stdout) are fine; so are `nil` inputs.
    public static func check(_ output: String?, inputs: [String?]) throws {
        guard let output, output != "-" else { return }
        let destination = try destination(of: output)
        var outputInfo = stat()
        var outputExists = false
        switch destination {
        case .standardOutput: return
        case .descriptor(let number):
            outputExists = fstat(number, &outputInfo) == 0
        case .direct(let special):
            outputExists = stat(special, &outputInfo) == 0
        case .replace(let resolved, _):
            let folder = folder(of: resolved)
            guard access(folder, W_OK) == 0 else {
                throw DataFileError.io(path: output, reason:
                    "cannot write in the folder \(folder): \(String(cString: strerror(errno))); choose another output folder")
            }
            outputExists = stat(resolved, &outputInfo) == 0
        }
        for case let input? in inputs {
            var inputInfo = stat()
            let inputExists = input == "-" ? fstat(STDIN_FILENO, &inputInfo) == 0 : stat(input, &inputInfo) == 0
            if outputExists && inputExists {
                // Standard input that is a pipe or a terminal is not a file an output can replace.
                let isFile = (inputInfo.st_mode & S_IFMT) == S_IFREG || (inputInfo.st_mode & S_IFMT) == S_IFBLK
                if (input != "-" || isFile) && inputInfo.st_dev == outputInfo.st_dev && inputInfo.st_ino == outputInfo.st_ino {
                    throw DataFileError.outputIsInput(output: output, input: input == "-" ? "<stdin>" : input)
                }
            } else if !outputExists, input != "-", case .replace(let resolved, _) = destination,
                      case .replace(let resolvedInput, _)? = try? Self.destination(of: input), resolvedInput == resolved {
                throw DataFileError.outputIsInput(output: output, input: input)
            }
        }
    }

    // MARK: where the bytes go

    /// What writing to a path means.
    enum Destination: Equatable {
        /// `-`.
        case standardOutput
        /// The name of an open descriptor: `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`.
        case descriptor(Int32)
        /// A device, FIFO or socket, written in place.
        case direct(String)
        /// A regular file (or a free name) at this resolved path, replaced by a rename; `mode`
        /// and owner of the file it replaces, if there is one.
        case replace(String, existing: Existing?)
    }

    /// Mode and owner of a file that is replaced.
    struct Existing: Equatable {
        let mode: mode_t
        let owner: uid_t
        let group: gid_t
    }

    /// Follows `path`'s symbolic links (at most 40, as the kernel does) to what writing it means.
    static func destination(of path: String) throws -> Destination {
        if path == "-" { return .standardOutput }
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw DataFileError.io(path: path, reason: "names a folder, not a file; give a file name for the output")
        }
        var current = path
        for _ in 0..<40 {
            if let number = descriptorNumber(current) { return .descriptor(number) }
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { break }
            var bytes = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &bytes, Int(PATH_MAX))
            guard count > 0 else { break }
            let link = String(decoding: bytes[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : folder(of: current) + "/" + link
        }
        var info = stat()
        if lstat(current, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                return .replace(try resolvedFolder(of: current, path: path) + "/" + name(of: current),
                                existing: Existing(mode: info.st_mode & 0o7777, owner: info.st_uid, group: info.st_gid))
            case S_IFDIR:
                throw DataFileError.io(path: path, reason: "is a folder; give a file name for the output, e.g. \(path)/out.json")
            case S_IFLNK:
                throw DataFileError.io(path: path, reason: "too many symbolic links (a loop?); check the path")
            default:
                return .direct(current)
            }
        }
        return .replace(try resolvedFolder(of: current, path: path) + "/" + name(of: current), existing: nil)
    }

    /// The descriptor a path names without being a file of its own: `/dev/stdout`,
    /// `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, `/proc/thread-self/fd/N`, `/proc/<our pid>/fd/N`.
    /// (The links under `/proc` point at pipes and sockets with names that are not paths.)
    static func descriptorNumber(_ path: String) -> Int32? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.hasPrefix("/") else { return nil }
        if parts == ["dev", "stdout"] { return STDOUT_FILENO }
        if parts == ["dev", "stderr"] { return STDERR_FILENO }
        if parts.count == 3 && parts[0] == "dev" && parts[1] == "fd" { return Int32(parts[2]) }
        if parts.count == 4 && parts[0] == "proc" && parts[2] == "fd"
            && (parts[1] == "self" || parts[1] == "thread-self" || parts[1] == "\(getpid())") {
            return Int32(parts[3])
        }
        return nil
    }

    /// The folder of `file` with every link resolved (`realpath`).
    static func resolvedFolder(of file: String, path: String) throws -> String {
        let folder = folder(of: file)
        guard let resolved = realpath(folder, nil) else {
            let reason = errno == ENOENT || errno == ENOTDIR
                ? "the folder \(folder) does not exist; create it first (mkdir -p \(folder))"
                : "the folder \(folder) cannot be used: \(String(cString: strerror(errno)))"
            throw DataFileError.io(path: path, reason: reason)
        }
        defer { free(resolved) }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DataFileError.io(path: path, reason: "the folder \(folder) does not exist; create it first (mkdir -p \(folder))")
        }
        let text = String(cString: resolved)
        return text == "/" ? "" : text
    }

    static func folder(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    static func name(of file: String) -> String {
        file.lastIndex(of: "/").map { String(file[file.index(after: $0)...]) } ?? file
    }
}
