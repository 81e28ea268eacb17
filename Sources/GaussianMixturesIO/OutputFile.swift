import FileGuard
import Foundation

/// An output that is either complete or absent: bytes go to a temporary file in the target's
/// folder, which is flushed to disk (`fsync`) and renamed over the target by ``commit()``.
/// A failure or a kill before that leaves the old file (or none) in place. The path `-` writes
/// to standard output instead.
///
/// Only a regular file (or a name not yet taken) is replaced that way. A symbolic link is
/// followed and its target replaced, so the link stays a link. Anything else is written
/// directly, since it is not ours to replace: a device, a FIFO or a socket, and the names of
/// open descriptors (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`). A replaced file keeps its
/// mode (and, for root, its owner).
///
/// The temporary is named `.<name>.tmp-<pid>-<random>` and locked (`flock`) by its writer for
/// as long as the writer lives; a run sweeps the unlocked ones that killed runs left behind.
/// (Process ids say nothing across PID namespaces: containers that share a folder.) SIGINT,
/// SIGTERM and SIGHUP remove the temporaries of a run before it ends.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String?
    /// The path the temporary is renamed to: `path` with its symbolic links resolved.
    private let target: String?
    private var descriptor: Int32
    /// Whether `descriptor` is ours to close (not standard output).
    private let ownsDescriptor: Bool
    /// FileGuard's slot for the temporary (removed on SIGINT/SIGTERM/SIGHUP), or -1.
    private var guardSlot: Int32 = -1
    private var buffer: [UInt8] = []
    private var finished = false

    /// Opens a temporary file next to `path`'s target (or, for what is not a regular file,
    /// the target itself; standard output for `-`).
    /// - Throws: ``DataFileError/io(path:reason:)`` for a folder that does not exist or cannot be
    ///   written, a target that is a folder, or a target that cannot be opened.
    public init(path: String) throws {
        self.path = path
        switch try Self.destination(of: path) {
        case .standardOutput:
            (temporaryPath, target, descriptor, ownsDescriptor) = (nil, nil, STDOUT_FILENO, false)
        case .descriptor(let number):
            let copy = fcntl(number, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else {
                throw DataFileError.io(path: path, reason: "descriptor \(number) is not open; give a file name, or '-' for stdout")
            }
            (temporaryPath, target, descriptor, ownsDescriptor) = (nil, nil, copy, true)
        case .direct(let special):
            let fd = open(special, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard fd >= 0 else {
                throw DataFileError.io(path: path, reason: "cannot be opened for writing: \(String(cString: strerror(errno))); choose another output")
            }
            (temporaryPath, target, descriptor, ownsDescriptor) = (nil, nil, fd, true)
        case .replace(let resolved, let existing):
            let (temporary, fd, slot) = try Self.createTemporary(for: resolved, path: path, existing: existing)
            (temporaryPath, target, descriptor, ownsDescriptor) = (temporary, resolved, fd, true)
            guardSlot = slot
            Self.removeStaleTemporaries(of: resolved)
        }
    }

    deinit { abort() }

    /// Appends text.
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Appends bytes (buffered).
    public func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Test hook: `GMM_SLOW_OUTPUT_FOR_TESTS=<microseconds>` writes 64 KiB at a time with that
    /// pause in between, so that a test can kill a writer in the middle of its output.
    private static let slowWritePause: useconds_t? = ProcessInfo.processInfo.environment["GMM_SLOW_OUTPUT_FOR_TESTS"]
        .flatMap { useconds_t($0) }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            var length = buffer.count - offset
            if let pause = Self.slowWritePause {
                length = min(length, 1 << 16)
                usleep(pause)
            }
            let written = buffer.withUnsafeBytes { bytes in
                bytes.baseAddress.map { Foundation.write(descriptor, $0 + offset, length) } ?? 0
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw DataFileError.io(path: path, reason: Self.writeFailure(errno))
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the output visible: flush, and for a replaced file `fsync` and rename over the
    /// target (while still holding the lock, so that no sweep can take the temporary).
    public func commit() throws {
        try flush()
        guard let temporaryPath, let target else {
            if ownsDescriptor && descriptor >= 0 {
                let status = close(descriptor)
                descriptor = -1
                finished = true
                guard status == 0 else {
                    throw DataFileError.io(path: path, reason: Self.writeFailure(errno))
                }
            }
            finished = true
            return
        }
        guard fsync(descriptor) == 0 else {
            throw DataFileError.io(path: path, reason: Self.writeFailure(errno))
        }
        guard rename(temporaryPath, target) == 0 else {
            let reason = String(cString: strerror(errno))
            abort()
            throw DataFileError.io(path: path, reason: "cannot rename the finished output into place: \(reason); nothing was written, choose another output folder")
        }
        gmm_unguard_temporary(guardSlot)
        close(descriptor)
        descriptor = -1
        finished = true
        // Make the rename itself durable (best effort).
        let folder = open(Self.folder(of: target), O_RDONLY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Drops the output: the temporary file is removed and the target is untouched. (What was
    /// written directly to a device or a pipe cannot be taken back.)
    public func abort() {
        guard !finished else { return }
        finished = true
        if let temporaryPath { unlink(temporaryPath) }
        gmm_unguard_temporary(guardSlot)
        if ownsDescriptor && descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Why writing (or flushing to disk) failed, with what to try.
    private static func writeFailure(_ code: Int32) -> String {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return "write failed: \(reason); free some space or choose another output folder"
        case EPIPE: return "write failed: \(reason); the reader of the output went away"
        default: return "write failed: \(reason); choose another output"
        }
    }

    /// Writes `bytes` to `path` atomically in one go.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try OutputFile(path: path)
        try file.write(bytes)
        try file.commit()
    }

    // MARK: checks before any work

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
    private static func resolvedFolder(of file: String, path: String) throws -> String {
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

    private static func folder(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    private static func name(of file: String) -> String {
        file.lastIndex(of: "/").map { String(file[file.index(after: $0)...]) } ?? file
    }

    // MARK: temporaries

    /// Creates, locks and returns the temporary for `target` (with the mode and owner of the file
    /// it will replace) and its FileGuard slot, registered before the file exists so that no
    /// signal can come between the two.
    private static func createTemporary(for target: String, path: String, existing: Existing?) throws -> (String, Int32, Int32) {
        let folder = folder(of: target)
        for _ in 0..<8 {
            let temporary = folder + "/." + name(of: target) + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let slot = gmm_guard_temporary(temporary)
            // 0600 until the mode is set, so a private file is never readable by others on the way.
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, existing == nil ? 0o644 : 0o600)
            guard fd >= 0 else {
                let code = errno
                gmm_unguard_temporary(slot)
                if code == EEXIST { continue }
                throw DataFileError.io(path: path, reason:
                    "cannot create a file in \(folder): \(String(cString: strerror(code))); choose another output folder")
            }
            // A sweep may take the file between open and flock; then it is gone and we start over.
            var own = stat(), named = stat()
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &own) == 0, stat(temporary, &named) == 0,
                  own.st_ino == named.st_ino, own.st_dev == named.st_dev else {
                close(fd)
                gmm_unguard_temporary(slot)
                continue
            }
            if let existing {
                if geteuid() == 0 { _ = fchown(fd, existing.owner, existing.group) }
                guard fchmod(fd, existing.mode) == 0 else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    unlink(temporary)
                    gmm_unguard_temporary(slot)
                    throw DataFileError.io(path: path, reason: "cannot keep the mode of the file it replaces: \(reason); remove the file or choose another output")
                }
            }
            return (temporary, fd, slot)
        }
        throw DataFileError.io(path: path, reason: "cannot create a temporary file in \(folder); try again")
    }

    /// Removes the temporary files earlier writers of `target` left when they were killed before
    /// committing: `.<name>.tmp-*` that no live writer holds locked.
    private static func removeStaleTemporaries(of target: String) {
        let folder = folder(of: target)
        let prefix = "." + name(of: target) + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let candidate = folder + "/" + entry
            let fd = open(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, (held.st_mode & S_IFMT) == S_IFREG, flock(fd, LOCK_EX | LOCK_NB) == 0,
                  lstat(candidate, &named) == 0, named.st_ino == held.st_ino, named.st_dev == held.st_dev else { continue }
            unlink(candidate)
        }
    }
}
