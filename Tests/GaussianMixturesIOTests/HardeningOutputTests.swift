import Foundation
@testable import GaussianMixturesIO
import Testing

/// Outputs that are not plain files (devices, FIFOs, links, open descriptors), the mode of a
/// replaced file, outputs that are inputs, and the sweep of temporaries left by killed runs.
/// Special files are made with mknod and mkfifo in a scratch folder.
@Suite struct HardeningOutputTests {
    final class Scratch {
        let folder = NSTemporaryDirectory() + "output-tests-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func path(_ name: String) -> String { folder + "/" + name }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: path(name), atomically: false, encoding: .utf8)
            return path(name)
        }
        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }
    }

    func kind(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    // MARK: what is not ours to replace

    /// A character device (the null and zero devices, made with mknod in the scratch folder) is
    /// written, not replaced by a JSON file.
    @Test(.enabled(if: geteuid() == 0, "mknod needs root"), arguments: [(UInt32(1), UInt32(3)), (1, 5)])
    func aDeviceIsWrittenNotReplaced(major: UInt32, minor: UInt32) throws {
        let scratch = Scratch()
        let device = scratch.path("dev")
        let number = dev_t(major << 8 | minor)
        guard mknod(device, S_IFCHR | 0o666, number) == 0 else {
            Issue.record("mknod needs CAP_MKNOD (root): \(String(cString: strerror(errno)))")
            return
        }
        try OutputFile.write(Array("{\"model\": 1}\n".utf8), to: device)
        var info = stat()
        #expect(lstat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == number)
        #expect(scratch.entries == ["dev"])
    }

    /// A full device (mknod 1 7, as /dev/full) is written, and its ENOSPC is an I/O error saying what to try.
    @Test(.enabled(if: geteuid() == 0, "mknod needs root"))
    func aFullDeviceIsAnIOErrorWithWhatToTry() throws {
        let scratch = Scratch()
        let device = scratch.path("full")
        #expect(mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)
        #expect(throws: DataFileError.io(path: device, reason:
            "write failed: No space left on device; free some space or choose another output folder")) {
            try OutputFile.write(Array("x".utf8), to: device)
        }
        #expect(kind(device) == S_IFCHR && scratch.entries == ["full"])
    }

    @Test func aFifoIsWrittenThrough() throws {
        let scratch = Scratch()
        let fifo = scratch.path("out.csv")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        try OutputFile.write(Array("1,2\n3,4\n".utf8), to: fifo)
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &bytes, bytes.count)
        #expect(count == 8 && String(decoding: bytes[0..<max(count, 0)], as: UTF8.self) == "1,2\n3,4\n")
        #expect(kind(fifo) == S_IFIFO && scratch.entries == ["out.csv"])
    }

    /// `/proc/self/fd/N` and `/dev/fd/N` write to descriptor N (a pipe here); `/dev/stdout` means
    /// descriptor 1, whatever it is.
    @Test func descriptorNamesWriteToTheDescriptor() throws {
        for name in ["/proc/self/fd/", "/dev/fd/", "/proc/\(getpid())/fd/"] {
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            try OutputFile.write(Array("through \(name)\n".utf8), to: name + "\(ends[1])")
            close(ends[1])
            var bytes = [UInt8](repeating: 0, count: 256)
            let count = read(ends[0], &bytes, bytes.count)
            close(ends[0])
            #expect(String(decoding: bytes[0..<max(count, 0)], as: UTF8.self) == "through \(name)\n")
        }
        #expect(try OutputFile.destination(of: "/dev/stdout") == .descriptor(1))
        #expect(try OutputFile.destination(of: "/dev/stderr") == .descriptor(2))
        #expect(try OutputFile.destination(of: "/proc/thread-self/fd/7") == .descriptor(7))
        #expect(throws: DataFileError.self) { try OutputFile.write([1], to: "/proc/self/fd/987654") }
    }

    /// A link is followed: its target is replaced atomically and the link stays a link (also a
    /// chain of links, a link into another folder, and a link to a name not yet taken).
    @Test func aSymlinkIsFollowedAndItsTargetReplaced() throws {
        let scratch = Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("other"), withIntermediateDirectories: true)
        let real = try scratch.write("other/real.json", "old")
        #expect(symlink("other/real.json", scratch.path("link.json")) == 0)
        #expect(symlink("link.json", scratch.path("chain.json")) == 0)
        #expect(symlink(scratch.path("other/new.json"), scratch.path("dangling.json")) == 0)
        try OutputFile.write(Array("new".utf8), to: scratch.path("link.json"))
        #expect(contents(real) == "new" && kind(scratch.path("link.json")) == S_IFLNK)
        try OutputFile.write(Array("newer".utf8), to: scratch.path("chain.json"))
        #expect(contents(real) == "newer" && kind(scratch.path("chain.json")) == S_IFLNK && kind(scratch.path("link.json")) == S_IFLNK)
        try OutputFile.write(Array("created".utf8), to: scratch.path("dangling.json"))
        #expect(contents(scratch.path("other/new.json")) == "created" && kind(scratch.path("dangling.json")) == S_IFLNK)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("other")).sorted() == ["new.json", "real.json"])
        // A loop of links is an error, not a hang.
        #expect(symlink("b", scratch.path("a")) == 0 && symlink("a", scratch.path("b")) == 0)
        #expect(throws: DataFileError.self) { try OutputFile.write([1], to: scratch.path("a")) }
    }

    @Test(arguments: [mode_t(0o600), 0o640, 0o444, 0o755])
    func aReplacedFileKeepsItsMode(mode: mode_t) throws {
        let scratch = Scratch()
        let path = try scratch.write("m.json", "old")
        #expect(chmod(path, mode) == 0)
        try OutputFile.write(Array("new".utf8), to: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o7777 == mode && contents(path) == "new")
    }

    // MARK: an output that is an input

    @Test func anOutputThatIsAnInputIsRefused() throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", "1,2\n")
        let other = try scratch.write("other.csv", "1,2\n")
        #expect(symlink("data.csv", scratch.path("alias.csv")) == 0)
        #expect(link(data, scratch.path("hard.csv")) == 0)
        // The scratch folder as seen from the working directory, without changing it (tests run in parallel).
        let cwd = FileManager.default.currentDirectoryPath
        let relative = String(repeating: "../", count: cwd.split(separator: "/").count) + scratch.folder.dropFirst()
        for output in [data, relative + "/data.csv", relative + "/./data.csv", scratch.folder + "//./data.csv",
                       scratch.path("alias.csv"), relative + "/hard.csv"] {
            #expect(throws: DataFileError.outputIsInput(output: output, input: data)) {
                try OutputFile.check(output, inputs: [nil, other, data])
            }
        }
        // Neither exists yet: the same resolved name is still the same file.
        #expect(throws: DataFileError.outputIsInput(output: relative + "/new.csv", input: scratch.path("new.csv"))) {
            try OutputFile.check(relative + "/new.csv", inputs: [scratch.path("new.csv")])
        }
        #expect(DataFileError.outputIsInput(output: "a", input: "b").category.exitCode == 64)
        try OutputFile.check(scratch.path("model.json"), inputs: [data, other, nil, "-"])
        try OutputFile.check(nil, inputs: [data])
        try OutputFile.check("-", inputs: [data, "-"])
    }

    /// The folder is checked before any work: missing, or the target a folder, are I/O errors.
    @Test func theOutputFolderIsCheckedBeforeWork() throws {
        let scratch = Scratch()
        for output in [scratch.path("missing/m.json"), scratch.folder, scratch.folder + "/", scratch.path("f.csv/m.json")] {
            _ = try scratch.write("f.csv", "1\n")
            do {
                try OutputFile.check(output, inputs: [])
                Issue.record("\(output) was accepted")
            } catch let error as DataFileError {
                #expect(error.category == .io, "\(error)")
                #expect(error.description.hasPrefix(output + ": "), "\(error)")
            }
        }
    }

    // MARK: temporaries

    /// A temporary that a live writer holds locked is kept, whatever the pid in its name says
    /// (a writer in another PID namespace has a pid that means nothing here).
    @Test func aLockedTemporaryIsKeptWhateverItsPid() throws {
        let scratch = Scratch()
        let live = scratch.path(".m.json.tmp-999999999-1")
        let fd = open(live, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        try OutputFile.write(Array("new".utf8), to: scratch.path("m.json"))
        #expect(scratch.entries == [".m.json.tmp-999999999-1", "m.json"])
    }

    /// An unlocked temporary is stale even when its pid is alive (pid reuse, or ours).
    @Test func anUnlockedTemporaryIsSweptWhateverItsPid() throws {
        let scratch = Scratch()
        for pid in [getpid(), 1, 999_999_999] { _ = try scratch.write(".m.json.tmp-\(pid)-7", "half") }
        _ = try scratch.write(".other.json.tmp-999999999-7", "not ours to sweep")
        try OutputFile.write(Array("new".utf8), to: scratch.path("m.json"))
        #expect(scratch.entries == [".other.json.tmp-999999999-7", "m.json"])
    }

    /// A writer in progress holds its temporary locked, so another writer's sweep keeps it.
    @Test func twoWritersOfOneTargetDoNotSweepEachOther() throws {
        let scratch = Scratch()
        let first = try OutputFile(path: scratch.path("m.json"))
        try first.write("first")
        let second = try OutputFile(path: scratch.path("m.json"))
        try second.write("second")
        try first.commit()
        try second.commit()
        #expect(contents(scratch.path("m.json")) == "second" && scratch.entries == ["m.json"])
    }
}
