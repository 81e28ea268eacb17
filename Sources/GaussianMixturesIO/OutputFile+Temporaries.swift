import FileGuard
import Foundation

/// The hidden temporaries an atomic replace writes: created locked (flock), registered for
/// removal on signals, and swept when no live writer holds their lock.
extension OutputFile {

    /// Creates, locks and returns the temporary for `target` (with the mode and owner of the file
    /// it will replace) and its FileGuard slot, registered before the file exists so that no
    /// signal can come between the two.
    static func createTemporary(for target: String, path: String, existing: Existing?) throws -> (String, Int32, Int32) {
        let folder = folder(of: target)
        for _ in 0..<8 {
            let temporary = folder + "/." + name(of: target) + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let slot = gmm_guard_temporary(temporary)
            // 0600 until the mode is set, so a file is never readable by others on the way.
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
    static func removeStaleTemporaries(of target: String) {
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
