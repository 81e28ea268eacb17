import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

/// The `gmm` executable against hostile files and outputs: what it reads, where it writes, and
/// what is left when it fails or is interrupted.
@Suite struct HardeningIOTests {
    typealias Run = EndToEndTests.Run

    final class Scratch {
        let folder = NSTemporaryDirectory() + "gmm-hardening-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func path(_ name: String) -> String { folder + "/" + name }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: path(name), atomically: false, encoding: .utf8)
            return path(name)
        }
        /// Everything in the folder (hidden temporaries included).
        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }
    }

    @discardableResult
    func gmm(_ arguments: [String], stdin: String? = nil) throws -> Run { try EndToEndTests().gmm(arguments, stdin: stdin) }

    static let iris = EndToEndTests.iris

    /// Two well separated clusters, one row per line, as CSV text.
    static func clusters(_ n: Int = 40) -> String {
        (0..<n).map { i in i % 2 == 0 ? "\(Double(i % 7) * 0.1),\(Double(i % 5) * 0.1)" : "\(9 + Double(i % 7) * 0.1),\(9 + Double(i % 3) * 0.1)" }
            .joined(separator: "\n") + "\n"
    }

    // MARK: text and messages (classes 6 and 9)

    @Test func aFirstRowDroppedAsAHeaderIsNamedOnStderr() throws {
        let scratch = Scratch()
        let data = try scratch.write("typo.csv", "1,2x\n" + Self.clusters())
        let fit = try gmm(["fit", data, "--components", "2", "-o", scratch.path("m.json")])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stderr.contains("gmm: warning: \(data):1: the first line '1,2x' was read as a header"), "\(fit.stderr)")
        let quiet = try gmm(["fit", data, "--components", "2", "--quiet", "-o", scratch.path("m.json")])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
        let named = try scratch.write("named.csv", "x,y\n" + Self.clusters())
        #expect(!(try gmm(["fit", named, "--components", "2", "-o", scratch.path("m.json")])).stderr.contains("warning"))
    }

    @Test func byteOrderMarkAndCarriageReturnsReadAsPlainCSV() throws {
        let scratch = Scratch()
        let plain = try gmm(["fit", Self.iris, "--components", "3", "--quiet"])
        let iris = try String(contentsOfFile: Self.iris, encoding: .utf8)
        for (name, text) in [("bom.csv", "\u{FEFF}" + iris), ("cr.csv", iris.replacingOccurrences(of: "\n", with: "\r")),
                             ("crlf.csv", "\u{FEFF}" + iris.replacingOccurrences(of: "\n", with: "\r\n"))] {
            let run = try gmm(["fit", try scratch.write(name, text), "--components", "3", "--quiet"])
            #expect(run.status == 0 && run.stdout == plain.stdout, "\(name): \(run.stderr)")
        }
    }

    @Test func readerMessagesNameThePlaceAndStayShort() throws {
        let scratch = Scratch()
        let folder = scratch.path("data.csv")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let asFolder = try gmm(["fit", folder, "--components", "2"])
        #expect(asFolder.status == 74 && asFolder.stderr == "gmm: error: \(folder): is a folder, not a file; give the path of a file in it\n")

        let overflow = try gmm(["fit", try scratch.write("big.csv", "1,2\n3,1e400\n" + Self.clusters()), "--components", "2"])
        #expect(overflow.status == 65 && overflow.stderr.contains("big.csv:2: row 2, column 2: '1e400' is beyond the range of a double"),
                "\(overflow.stderr)")

        // (A NUL byte is refused before parsing: inputsWithoutEndAreRefusedBeforeMemoryRunsOut.)
        let long = String(repeating: "9", count: 100) + "\u{1}" + String(repeating: "z", count: 1_000_000)
        let huge = try gmm(["fit", try scratch.write("long.csv", "1,2\n3," + long + "\n"), "--components", "1"])
        #expect(huge.status == 65 && huge.stderr.utf8.count < 300 && !huge.stderr.contains("\u{1}"), "\(huge.stderr.prefix(400))")
        #expect(huge.stderr.contains("long.csv:2: column 2: '9999") && huge.stderr.contains("bytes in all)"))
    }

    // MARK: a mapped input that shrinks (class 4)

    /// Truncating the memory-mapped `.npy` while EM runs on it ends the run with one line naming
    /// the file and exit code 74 (SIGBUS killed it, exit 135), and leaves no output behind.
    @Test func aMappedInputThatShrinksIsAnIOErrorNamingTheFile() throws {
        let scratch = Scratch()
        let rows = 300_000, columns = 4
        var values = [Double](repeating: 0, count: rows * columns)
        for i in 0..<values.count { values[i] = Double((i &* 2654435761) % 1000) / 100 + Double(i / columns % 3) * 20 }
        let data = scratch.path("x.npy")
        try Data(NPY.encode(shape: [rows, columns], doubles: values)).write(to: URL(fileURLWithPath: data))
        let output = scratch.path("m.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEndTests.executable)
        process.arguments = ["fit", data, "--components", "3", "--tol", "0", "--max-iter", "100000", "--verbose", "-o", output]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until EM is iterating over the mapped data, then cut the file down to its header.
        var seen = ""
        while !seen.contains("iteration") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(truncate(data, 128) == 0)
        // A run that survives the truncation would iterate forever: end it after a minute.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { kill(pid, SIGKILL) } }
        let rest = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = seen + String(decoding: rest, as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 74, "status \(process.terminationStatus)")
        let last = stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("gmm: error: \(data): the file shrank while it was being read"), "\(last)")
        #expect(scratch.entries == ["x.npy"], "\(scratch.entries)")
    }

    // MARK: outputs (classes 1 and 8)

    /// An output that is one of the inputs is refused before any work, with exit 64, and the
    /// input is left as it was; for every command that writes a file.
    @Test func anOutputThatIsAnInputIsRefusedBeforeFitting() throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", Self.clusters())
        let model = scratch.path("m.json")
        #expect(try gmm(["fit", data, "--components", "2", "--quiet", "-o", model]).status == 0)
        let modelText = try String(contentsOfFile: model, encoding: .utf8)
        #expect(symlink("data.csv", scratch.path("alias.csv")) == 0)
        let weights = try scratch.write("w.csv", String(repeating: "1\n", count: 40))
        let runs: [[String]] = [
            ["fit", data, "--components", "2", "--verbose", "-o", data],
            ["fit", data, "--components", "2", "--verbose", "-o", scratch.path("alias.csv")],
            ["fit", data, "--components", "2", "--verbose", "--init-model", model, "-o", model],
            ["fit", data, "--components", "2", "--verbose", "--sample-weight", weights, "-o", weights],
            ["select", data, "--components", "1...2", "-o", data],
            ["predict", model, data, "-o", data],
            ["score", model, data, "--per-sample", "-o", model],
            ["sample", model, "--count", "5", "-o", model],
        ]
        for arguments in runs {
            let run = try gmm(arguments)
            #expect(run.status == 64, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.hasPrefix("gmm: error: the output ") && run.stderr.contains("choose another output file"), "\(run.stderr)")
            #expect(!run.stderr.contains("iteration"), "the fit ran before the check")
        }
        #expect(try String(contentsOfFile: data, encoding: .utf8) == Self.clusters())
        #expect(try String(contentsOfFile: model, encoding: .utf8) == modelText)
        #expect(try String(contentsOfFile: weights, encoding: .utf8) == String(repeating: "1\n", count: 40))
    }

    /// `gmm fit - -o data.csv < data.csv`: standard input that is the output file is refused too.
    @Test func standardInputThatIsTheOutputIsRefused() throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", Self.clusters())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEndTests.executable)
        process.arguments = ["fit", "-", "--components", "2", "-o", data]
        process.standardInput = FileHandle(forReadingAtPath: data)
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64 && stderr.contains("is the input <stdin>"), "\(stderr)")
        #expect(try String(contentsOfFile: data, encoding: .utf8) == Self.clusters())
    }

    /// A missing output folder, or an output that is a folder, fails at once (74), not after the fit.
    @Test func theOutputFolderIsCheckedBeforeFitting() throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", Self.clusters())
        for output in [scratch.path("nosuchdir/m.json"), scratch.folder] {
            let run = try gmm(["fit", data, "--components", "2", "--verbose", "-o", output])
            #expect(run.status == 74 && run.stderr.hasPrefix("gmm: error: \(output): "), "\(run.stderr)")
            #expect(!run.stderr.contains("iteration"), "the fit ran before the check: \(run.stderr)")
        }
    }

    /// Devices are written, not replaced; descriptor names write to the descriptor.
    @Test func specialOutputsAreWrittenThrough() throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", Self.clusters())
        let labels = try gmm(["fit", data, "--components", "2", "--quiet", "-o", scratch.path("m.json")])
        #expect(labels.status == 0)
        let expected = try gmm(["predict", scratch.path("m.json"), data]).stdout
        for name in ["/dev/fd/1", "/proc/self/fd/1", "/dev/stdout"] {
            let run = try gmm(["predict", scratch.path("m.json"), data, "-o", name])
            #expect(run.status == 0 && run.stdout == expected, "\(name): \(run.stderr)")
        }
        if geteuid() == 0 {
            let device = scratch.path("null")
            #expect(mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0)
            #expect(try gmm(["fit", data, "--components", "2", "--quiet", "-o", device]).status == 0)
            var info = stat()
            #expect(lstat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        }
    }

    /// SIGINT, SIGTERM and SIGQUIT in the middle of writing remove the hidden temporary; the old
    /// output stays, and the run ends by the signal (SIGQUIT: the Swift runtime's handler printed
    /// a crash report and let the run finish with exit 0).
    @Test(arguments: [SIGINT, SIGTERM, SIGQUIT])
    func interruptedRunsRemoveTheirTemporary(signal: Int32) throws {
        let scratch = Scratch()
        let data = try scratch.write("data.csv", Self.clusters(4000))
        #expect(try gmm(["fit", data, "--components", "2", "--quiet", "-o", scratch.path("m.json")]).status == 0)
        let target = try scratch.write("p.csv", "old\n")
        // posix_spawn with an empty signal mask: Foundation's Process starts children with most
        // signals blocked, which no shell does.
        let arguments = [EndToEndTests.executable, "predict", scratch.path("m.json"), data, "--proba", "-o", target]
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" } + ["GMM_SLOW_OUTPUT_FOR_TESTS=200000"]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, EndToEndTests.executable, &actions, &attributes, &argv, &envp) == 0)
        let deadline = Date().addingTimeInterval(60)
        while !scratch.entries.contains(where: { $0.hasPrefix(".p.csv.tmp-") }) && Date() < deadline { usleep(10_000) }
        #expect(scratch.entries.contains { $0.hasPrefix(".p.csv.tmp-") }, "no temporary appeared")
        kill(pid, signal)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7F == signal, "wait status \(status)")
        #expect(scratch.entries == ["data.csv", "m.json", "p.csv"], "\(scratch.entries)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old\n")
    }
}
