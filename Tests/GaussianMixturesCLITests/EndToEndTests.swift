import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

/// Runs the built `gmm` executable on small files, as a pipeline would.
@Suite struct EndToEndTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `gmm` binary next to the test bundle (SwiftPM builds it because this target depends on it).
    static let executable: String = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("gmm").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/gmm").path
    }()

    static let iris: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/iris.csv").path

    final class Scratch {
        let folder = NSTemporaryDirectory() + "gmm-e2e-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func path(_ name: String) -> String { folder + "/" + name }
    }

    @discardableResult
    func gmm(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        return try Self.run(process, stdin: stdin)
    }

    /// Runs `process` with `stdin` (or nothing) as its input, capturing its stdout and stderr.
    static func run(_ process: Process, stdin: String?) throws -> Run {
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                   stderr: String(decoding: stderrData, as: UTF8.self))
    }

    @Test func fitInfoScorePredictSampleSession() throws {
        let scratch = Scratch()
        let model = scratch.path("iris.json")
        let fit = try gmm(["fit", Self.iris, "--components", "3", "-o", model])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.isEmpty)
        #expect(fit.stderr.contains("3 components, 4 features") && fit.stderr.contains("converged after"))

        // Same fit as the library, and scikit-learn's default fit of Iris (lower bound -1.2014746139).
        let file = try ModelFile.read(path: model)
        #expect(file.converged == true && file.iterations == 17)
        #expect(abs(try #require(file.lowerBound) - (-1.201474613906473)) < 1e-9)

        let info = try gmm(["info", model])
        #expect(info.status == 0 && info.stdout.contains("component  weight") && info.stdout.contains("converged after 17"))

        // score prints the mean log-likelihood as its last line, equal to the library's.
        let score = try gmm(["score", model, Self.iris])
        let lastLine = score.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let printed = try #require(Double(lastLine))
        let data = try CSV.read(path: Self.iris).matrix
        #expect(printed == (try file.model.score(data)))

        let perSample = scratch.path("ll.npy")
        #expect(try gmm(["score", model, Self.iris, "--per-sample", "-o", perSample]).status == 0)
        let values = try NPY.read(path: perSample).matrix.values
        #expect(values == (try file.model.logLikelihoods(of: data)))

        let predict = try gmm(["predict", model, Self.iris])
        let labels = predict.stdout.split(separator: "\n").map { Int($0)! }
        #expect(labels == (try file.model.predict(data)))
        let proba = try gmm(["predict", model, Self.iris, "--proba", "-o", scratch.path("p.csv")])
        #expect(proba.status == 0)
        let r = try CSV.read(path: scratch.path("p.csv")).matrix
        #expect(r.rows == 150 && r.columns == 3)

        let sample = try gmm(["sample", model, "--count", "4", "--seed", "2"])
        let lines = sample.stdout.split(separator: "\n")
        #expect(lines.count == 5 && lines[0] == "x1,x2,x3,x4,component")
        #expect(try gmm(["sample", model, "--count", "4", "--seed", "2"]).stdout == sample.stdout)
    }

    @Test func sampleThenFitRecoversTheMeans() throws {
        let scratch = Scratch()
        let truth = ModelFile(model: try GaussianMixture(
            weights: [0.6, 0.4], means: Matrix([[0, 0], [8, 3]]),
            covariances: [Matrix([[1, 0.5], [0.5, 2]]), Matrix([[0.5, 0], [0, 0.5]])]))
        try OutputFile.write(Array(truth.json().utf8), to: scratch.path("truth.json"))
        #expect(try gmm(["sample", scratch.path("truth.json"), "--count", "20000", "--seed", "5", "--without-component",
                         "-o", scratch.path("s.npy")]).status == 0)
        let fit = try gmm(["fit", scratch.path("s.npy"), "--components", "2", "--quiet", "-o", scratch.path("fit.json")])
        #expect(fit.status == 0 && fit.stderr.isEmpty)
        let fitted = try ModelFile.read(path: scratch.path("fit.json")).model
        let order = fitted.means[0, 0] < fitted.means[1, 0] ? [0, 1] : [1, 0]
        for (c, f) in order.enumerated() {
            for j in 0..<2 { #expect(abs(fitted.means[f, j] - truth.model.means[c, j]) < 0.05) }
            #expect(abs(fitted.weights[f] - truth.model.weights[c]) < 0.015)
        }
    }

    @Test func nonConvergenceIsReportedOnStderrAndInTheModel() throws {
        let run = try gmm(["fit", Self.iris, "--components", "3", "--max-iter", "2", "--init", "random", "--n-init", "2"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("gmm: warning: restart") && run.stderr.contains("did not converge in 2 iterations"))
        let file = try ModelFile.parse(Array(run.stdout.utf8), path: "stdout")
        #expect(file.converged == false && file.iterations == 2 && file.lowerBoundHistory?.count == 2)
        let quiet = try gmm(["fit", Self.iris, "--components", "3", "--max-iter", "2", "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
    }

    @Test func fitReadsStdinAndWritesTheModelToStdout() throws {
        let csv = try String(contentsOfFile: Self.iris, encoding: .utf8)
        let run = try gmm(["fit", "-", "--components", "2", "--quiet"], stdin: csv)
        #expect(run.status == 0 && run.stderr.isEmpty)
        #expect(try ModelFile.parse(Array(run.stdout.utf8), path: "stdout").model.componentCount == 2)
    }

    @Test func warmStartFromAModelFileContinuesTheFit() throws {
        let scratch = Scratch()
        let first = scratch.path("first.json")
        #expect(try gmm(["fit", Self.iris, "--components", "3", "--max-iter", "5", "--quiet", "-o", first]).status == 0)
        let continued = try gmm(["fit", Self.iris, "--components", "3", "--init-model", first, "--tol", "1e-8", "--quiet",
                                 "-o", scratch.path("second.json")])
        #expect(continued.status == 0)
        let a = try ModelFile.read(path: first), b = try ModelFile.read(path: scratch.path("second.json"))
        let before = try #require(a.lowerBound)
        let after = try #require(b.lowerBound)
        #expect(after > before)
    }

    @Test func errorsExitWithTheirCodeAndLeaveNoOutput() throws {
        let scratch = Scratch()
        let output = scratch.path("model.json")
        // Bad data: 65, message with file, line and column; no output file.
        let bad = scratch.path("bad.csv")
        try "a,b\n1,2\n3,oops\n4,5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let parse = try gmm(["fit", bad, "--components", "1", "-o", output])
        #expect(parse.status == 65)
        #expect(parse.stderr.contains("bad.csv:3: column 2: 'oops'"))
        #expect(!parse.stderr.contains("Fatal") && parse.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: output))

        let nan = scratch.path("nan.csv")
        try "1,2\n3,nan\n".write(toFile: nan, atomically: true, encoding: .utf8)
        let nanRun = try gmm(["fit", nan, "--components", "1"])
        #expect(nanRun.status == 65 && nanRun.stderr.contains("row 2, column 2"))

        // Missing file: 74.
        #expect(try gmm(["fit", scratch.path("missing.csv"), "--components", "2"]).status == 74)
        // Usage: 64.
        #expect(try gmm(["fit", Self.iris]).status == 64)
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--tol", "-3"]).status == 64)
        // Too many components: a data error naming the counts; an existing output is untouched.
        try "keep me".write(toFile: output, atomically: true, encoding: .utf8)
        let many = try gmm(["fit", Self.iris, "--components", "151", "-o", output])
        #expect(many.status == 65 && many.stderr.contains("151 components"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        // A broken model file: 65, naming the file.
        let broken = try gmm(["info", output])
        #expect(broken.status == 65 && broken.stderr.contains(output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.folder).sorted() == ["bad.csv", "model.json", "nan.csv"])
    }

    @Test func float32FitAgreesWithFloat64() throws {
        let scratch = Scratch()
        let lowerBound = { (arguments: [String]) throws -> Double in
            let run = try gmm(["fit", Self.iris, "--components", "3", "--quiet", "-o", scratch.path("m.json")] + arguments)
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(ModelFile.read(path: scratch.path("m.json")).lowerBound)
        }
        let double = try lowerBound([])
        let single = try lowerBound(["--precision", "float32"])
        #expect(abs(single - double) / abs(double) < 1e-5)
        #expect(single != double)
        let bad = try gmm(["fit", Self.iris, "--components", "3", "--precision", "float16"])
        #expect(bad.status == 64 && bad.stderr.contains("precision"))
    }

    /// A diag fit, then a warm start from its file: the type carries over, and EM continues
    /// from the saved model (its first bound is the saved model's, not a fresh start's).
    @Test func covarianceTypesAndWarmStartsRoundTrip() throws {
        let scratch = Scratch()
        for type in ["diag", "spherical", "tied"] {
            let first = scratch.path("\(type).json"), second = scratch.path("\(type)-more.json")
            let fit = try gmm(["fit", Self.iris, "--components", "3", "--covariance-type", type, "--max-iter", "3",
                               "--quiet", "-o", first])
            #expect(fit.status == 0, "\(fit.stderr)")
            let saved = try ModelFile.read(path: first)
            #expect(saved.model.covarianceType.rawValue == type)
            let more = try gmm(["fit", Self.iris, "--components", "3", "--init-model", first, "--quiet", "-o", second])
            #expect(more.status == 0, "\(more.stderr)")
            let continued = try ModelFile.read(path: second)
            #expect(continued.model.covarianceType.rawValue == type)
            let history = try #require(continued.lowerBoundHistory)
            #expect(history.first! >= saved.lowerBound! - 1e-12)
            let info = try gmm(["info", second])
            #expect(info.stdout.contains("\(type) covariances"))
        }
        let clash = try gmm(["fit", Self.iris, "--components", "3", "--init-model", scratch.path("diag.json"),
                             "--covariance-type", "full"])
        #expect(clash.status == 65 && clash.stderr.contains("diag"), "\(clash.stderr)")
    }

    /// `--sample-weight`: weights of 2 give the model of the file with those rows twice; bad
    /// weight files exit 65 with the file named and no model written.
    @Test func sampleWeightsFromAFile() throws {
        let scratch = Scratch()
        let rows = try String(contentsOfFile: Self.iris, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
        let weights = rows.indices.map { $0 % 3 == 0 ? 2 : 1 }
        try ("w\n" + weights.map(String.init).joined(separator: "\n") + "\n").write(toFile: scratch.path("w.csv"), atomically: true, encoding: .utf8)
        let doubled = rows.indices.flatMap { [String](repeating: rows[$0], count: weights[$0]) }
        try (doubled.joined(separator: "\n") + "\n").write(toFile: scratch.path("doubled.csv"), atomically: true, encoding: .utf8)
        try gmm(["fit", Self.iris, "--components", "2", "--max-iter", "0", "--quiet", "-o", scratch.path("start.json")])
        let common = ["--components", "2", "--init-model", scratch.path("start.json"), "--tol", "0", "--max-iter", "10", "--quiet"]
        let weighted = try gmm(["fit", Self.iris, "--sample-weight", scratch.path("w.csv"), "-o", scratch.path("a.json")] + common)
        #expect(weighted.status == 0, "\(weighted.stderr)")
        let copies = try gmm(["fit", scratch.path("doubled.csv"), "-o", scratch.path("b.json")] + common)
        #expect(copies.status == 0, "\(copies.stderr)")
        let a = try ModelFile.read(path: scratch.path("a.json")), b = try ModelFile.read(path: scratch.path("b.json"))
        #expect(abs(a.lowerBound! - b.lowerBound!) < 1e-10 * abs(b.lowerBound!))

        try "1\n2\n".write(toFile: scratch.path("short.csv"), atomically: true, encoding: .utf8)
        try ("-1\n" + String(repeating: "1\n", count: 149)).write(toFile: scratch.path("negative.csv"), atomically: true, encoding: .utf8)
        for (file, expected) in [("short.csv", "2 sample weights for the 150 rows"), ("negative.csv", "negative.csv: invalid sample weights: the weight of row 1 ")] {
            let out = scratch.path("never.json")
            let run = try gmm(["fit", Self.iris, "--components", "2", "--sample-weight", scratch.path(file), "-o", out])
            #expect(run.status == 65 && run.stderr.contains(expected), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// `gmm select` on three blobs sampled by `gmm sample`: the table has every (K, type), the
    /// best is K = 3 and is written to -o.
    @Test func selectPicksTheGeneratingK() throws {
        let scratch = Scratch()
        let truth = ModelFile(model: try GaussianMixture(
            weights: [0.3, 0.3, 0.4], means: Matrix([[0, 0], [8, 1], [2, 9]]),
            covariances: [Matrix([[1, 0.3], [0.3, 0.6]]), Matrix([[1, 0.3], [0.3, 0.6]]), Matrix([[1, 0.3], [0.3, 0.6]])]))
        try truth.json().write(toFile: scratch.path("truth.json"), atomically: true, encoding: .utf8)
        let sample = try gmm(["sample", scratch.path("truth.json"), "--count", "600", "--seed", "2", "--without-component",
                              "-o", scratch.path("blobs.csv")])
        #expect(sample.status == 0, "\(sample.stderr)")
        let run = try gmm(["select", scratch.path("blobs.csv"), "--components", "1...5", "--n-init", "2",
                           "-o", scratch.path("best.json")])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 20)
        let best = try #require(rows.first { $0.hasPrefix("*") })
        #expect(best.split(separator: " ").dropFirst().first == "3", "\(best)")
        #expect(try ModelFile.read(path: scratch.path("best.json")).model.componentCount == 3)
        #expect(run.stderr.contains("best by BIC: 3 components"))
    }

    /// `gmm predict --proba` writing a 10 MB CSV slowly (64 KiB every 2 ms, the test hook of
    /// OutputFile), killed (SIGKILL) at random moments of the whole run: the target is always the
    /// complete old file or the complete new one, and the temporary files the killed runs left
    /// are swept by the next run. (Writing straight into the target fails this test.)
    @Test func killedRunsNeverLeaveATornOutput() throws {
        let scratch = Scratch()
        let truth = ModelFile(model: try GaussianMixture(
            weights: [0.5, 0.5], means: Matrix([[0, 0], [5, 5]]),
            covariances: [Matrix([[1, 0], [0, 1]]), Matrix([[1, 0.5], [0.5, 1]])]))
        try truth.json().write(toFile: scratch.path("m.json"), atomically: true, encoding: .utf8)
        let data = truth.model.sample(count: 250_000, seed: 4).samples
        try Data(NPY.encode(shape: [data.rows, data.columns], doubles: data.values)).write(to: URL(fileURLWithPath: scratch.path("x.npy")))
        let target = scratch.path("proba.csv")
        let old = "old,complete\n"
        let arguments = ["predict", scratch.path("m.json"), scratch.path("x.npy"), "--proba", "-o", target]
        setenv("GMM_SLOW_OUTPUT_FOR_TESTS", "2000", 1)
        defer { unsetenv("GMM_SLOW_OUTPUT_FOR_TESTS") }
        let started = Date()
        #expect(try gmm(arguments).status == 0)
        let full = Date().timeIntervalSince(started)
        let expected = try String(contentsOfFile: target, encoding: .utf8)
        #expect(expected.split(separator: "\n").count == 250_000)
        var outcomes: [String: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<12 {
            try old.write(toFile: target, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(Double.random(in: 0.3...1.05, using: &generator) * full * 1e6))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try String(contentsOfFile: target, encoding: .utf8)
            #expect(now == old || now == expected, "a torn output of \(now.utf8.count) bytes")
            outcomes[now == old ? "old" : "new", default: 0] += 1
        }
        #expect(outcomes["old", default: 0] >= 1, "\(outcomes)")
        #expect(try gmm(arguments).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// `--reseed-empty` reports the move on stderr; without it the component stays empty.
    @Test func reseedEmptyIsReported() throws {
        let scratch = Scratch()
        let eye = try Matrix([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let start = ModelFile(model: try GaussianMixture(
            weights: [0.5, 0.4, 0.1], means: Matrix([[5, 3.4, 1.5, 0.2], [6.3, 2.9, 5, 1.7], [100, 100, 100, 100]]),
            covariances: [eye, eye, eye.scaledForTest(0.01)]))
        try start.json().write(toFile: scratch.path("start.json"), atomically: true, encoding: .utf8)
        let arguments = ["fit", Self.iris, "--components", "3", "--init-model", scratch.path("start.json"), "-o", scratch.path("m.json")]
        let plain = try gmm(arguments)
        #expect(plain.status == 0 && !plain.stderr.contains("re-seeded"), "\(plain.stderr)")
        let reseeded = try gmm(arguments + ["--reseed-empty"])
        #expect(reseeded.status == 0, "\(reseeded.stderr)")
        #expect(reseeded.stderr.contains("re-seeded component 2 after iteration 1 of restart 0"), "\(reseeded.stderr)")
    }

    /// The same data, options and seed give the same model file, byte for byte, for any
    /// --threads and on every run, in float64 and float32 (fixed blocks, fixed summation order).
    @Test func modelFilesAreByteIdenticalAcrossThreadsAndRuns() throws {
        let scratch = Scratch()
        let truth = ModelFile(model: try GaussianMixture(
            weights: [0.3, 0.3, 0.4], means: Matrix([[0, 0, 0], [4, 1, 0], [1, 4, 2]]),
            covariances: [Matrix([[1, 0.2, 0], [0.2, 1, 0], [0, 0, 1]]), Matrix([[1, 0, 0], [0, 2, 0.3], [0, 0.3, 1]]),
                          Matrix([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]])]))
        try truth.json().write(toFile: scratch.path("truth.json"), atomically: true, encoding: .utf8)
        #expect(try gmm(["sample", scratch.path("truth.json"), "--count", "12000", "--seed", "5", "--without-component",
                         "-o", scratch.path("x.npy")]).status == 0)
        for precision in ["float64", "float32"] {
            var files: [Data] = []
            for threads in ["1", "3", "2"] {
                let out = scratch.path("m-\(precision)-\(threads)-\(files.count).json")
                let run = try gmm(["fit", scratch.path("x.npy"), "--components", "4", "--n-init", "2", "--seed", "9",
                                   "--precision", precision, "--threads", threads, "--quiet", "-o", out])
                #expect(run.status == 0, "\(run.stderr)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            #expect(Set(files).count == 1, "\(precision): the model files differ")
        }
    }
}

extension Matrix {
    func scaledForTest(_ factor: Double) -> Matrix {
        var m = self
        for i in m.values.indices { m.values[i] *= factor }
        return m
    }
}
