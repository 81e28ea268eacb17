import Foundation

/// An output that is either complete or absent: bytes go to a temporary file in the target's
/// folder, which is flushed to disk (`fsync`) and renamed over the target by ``commit()``.
/// A failure or a kill before that leaves the old file (or none) in place. The path `-` writes
/// to standard output instead.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String?
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false

    /// Opens a temporary file next to `path` (or standard output for `-`).
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            temporaryPath = nil
            descriptor = STDOUT_FILENO
            return
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataFileError.io(path: path, reason: "the folder \(folder) does not exist")
        }
        Self.removeStaleTemporaries(of: url.lastPathComponent, in: folder)
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataFileError.io(path: path, reason: "cannot create a file in \(folder): \(String(cString: strerror(errno)))")
        }
        temporaryPath = temporary
        descriptor = fd
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
            let written = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, length) }
            if written < 0 {
                if errno == EINTR { continue }
                throw DataFileError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the output visible: flush, `fsync`, close and rename over the target.
    public func commit() throws {
        try flush()
        guard let temporaryPath else { return }
        guard fsync(descriptor) == 0 else {
            throw DataFileError.io(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            finished = true
            throw DataFileError.io(path: path, reason: "cannot rename the finished output into place: \(reason)")
        }
        finished = true
        // Make the rename itself durable (best effort).
        let folder = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Drops the output: the temporary file is removed and the target is untouched.
    public func abort() {
        guard !finished else { return }
        finished = true
        guard let temporaryPath else { return }
        if descriptor >= 0 { close(descriptor) }
        unlink(temporaryPath)
    }

    /// Removes the temporary files an earlier writer of `name` left when it was killed before
    /// committing: `.<name>.tmp-<pid>-<n>` whose process no longer exists.
    private static func removeStaleTemporaries(of name: String, in folder: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).split(separator: "-").first ?? ""), pid > 0,
                  pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            unlink(folder + "/" + entry)
        }
    }

    /// Writes `bytes` to `path` atomically in one go.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try OutputFile(path: path)
        try file.write(bytes)
        try file.commit()
    }
}
