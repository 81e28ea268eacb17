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
/// SIGTERM, SIGHUP and SIGQUIT remove the temporaries of a run before it ends.
public final class OutputFile {
    /// Installs the interrupting signals' handlers now rather than at the first output, so
    /// that SIGQUIT ends a run at any time (the command calls it first).
    public static func guardSignals() {
        gmm_guard_signals()
    }

    public let path: String
    private let temporaryPath: String?
    /// The path the temporary is renamed to: `path` with its symbolic links resolved.
    let target: String?
    var descriptor: Int32
    /// Whether `descriptor` is ours to close (not standard output).
    private let ownsDescriptor: Bool
    /// FileGuard's slot for the temporary (removed on SIGINT/SIGTERM/SIGHUP/SIGQUIT), or -1.
    private var guardSlot: Int32 = -1
    private var buffer: [UInt8] = []
    private var finished = false
    /// Whether ``prepare()`` synced the temporary (and nothing was written after it).
    private var synced = false

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
        synced = false
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

    /// Makes the output visible: flush, and for a replaced file `fsync` (``prepare()``) and
    /// rename over the target (while still holding the lock, so that no sweep can take the
    /// temporary).
    public func commit() throws {
        try prepare()
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

    /// Writes several outputs of one run so that a failure to write any leaves every target as
    /// it was: each file's bytes are written out and synced (``prepare()``) before any of them is
    /// renamed into place. (`gmm select --plot F.svg -o M.json` replaced F.svg, then failed on
    /// M.json.) A rename that fails after another succeeded, far rarer, leaves the first in place.
    public static func write(_ outputs: [(bytes: [UInt8], path: String)]) throws {
        let files = try outputs.map { output in
            let file = try OutputFile(path: output.path)
            try file.write(output.bytes)
            return file
        }
        for file in files { try file.prepare() }
        for file in files { try file.commit() }
    }

    /// Everything ``commit()`` does short of making a replaced file visible: the bytes written
    /// and synced to disk, so that the commit that follows only renames (or, for a device or
    /// standard output, has nothing left to write).
    public func prepare() throws {
        try flush()
        if temporaryPath != nil && !synced {
            guard fsync(descriptor) == 0 else { throw DataFileError.io(path: path, reason: Self.writeFailure(errno)) }
            synced = true
        }
    }
}
