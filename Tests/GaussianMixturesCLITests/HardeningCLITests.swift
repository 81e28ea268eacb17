import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

/// The `gmm` command against hostile or unusual use: warm and partial starts as scikit-learn
/// has them, standard streams that are closed or full, sizes that cannot fit, options that
/// look like flags. Commands run through `/bin/sh -c` so that a test can redirect or close
/// a stream as a shell user would.
@Suite struct HardeningCLITests {
    typealias Run = EndToEndTests.Run

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let iris = root.appendingPathComponent("Examples/iris.csv").path

    final class Scratch {
        let folder = NSTemporaryDirectory() + "gmm-hardening-\(UInt32.random(in: 0...UInt32.max))"
        init() { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: folder) }
        func path(_ name: String) -> String { folder + "/" + name }
        @discardableResult
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            return path(name)
        }
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs `gmm ARGUMENTS REDIRECTIONS` in `sh`; stdout and stderr are captured unless the
    /// redirections send them elsewhere.
    @discardableResult
    func gmm(_ arguments: [String], redirections: String = "", stdin: String? = nil) throws -> Run {
        let command = ([Self.quoted(EndToEndTests.executable)] + arguments.map(Self.quoted)).joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec " + command + " " + redirections]
        return try EndToEndTests.run(process, stdin: stdin)
    }

    // MARK: Warm and partial starts (defect class 10)

    struct WarmFixture: Decodable {
        struct Call: Decodable { let lower_bound: Double; let converged: Bool }
        struct Partial: Decodable { let lower_bounds: [Double]; let means: [[Double]] }
        let warm: [Call]
        let means_init: [[Double]]
        let weights_init: [Double]
        let precisions_init: [[[Double]]]
        let partial: [String: Partial]

        static func load() throws -> WarmFixture {
            let url = root.appendingPathComponent("Tests/GaussianMixturesTests/Fixtures/warm-start-iris.json")
            return try JSONDecoder().decode(WarmFixture.self, from: Data(contentsOf: url))
        }
    }

    /// `--max-iter 1` fits, each from the last one's file: scikit-learn's `warm_start=True`
    /// sequence, converged after 17 calls with its lower bound at every call. Seed 3's k-means
    /// start is scikit-learn's `random_state=0` one.
    @Test func repeatedWarmFitsConvergeLikeScikitLearn() throws {
        let fixture = try WarmFixture.load()
        let scratch = Scratch()
        var previous: String? = nil
        var convergedAt: Int? = nil
        for call in 1...18 {
            let next = scratch.path("m\(call).json")
            let start = previous.map { ["--init-model", $0] } ?? ["--seed", "3"]
            let run = try gmm(["fit", Self.iris, "--components", "3", "--max-iter", "1", "--quiet", "-o", next] + start)
            #expect(run.status == 0, "\(run.stderr)")
            let file = try ModelFile.read(path: next)
            let expected = fixture.warm[call - 1]
            #expect(abs(try #require(file.lowerBound) - expected.lower_bound) <= 1e-9 * abs(expected.lower_bound), "call \(call)")
            #expect(file.converged == expected.converged, "call \(call)")
            if file.converged == true && convergedAt == nil { convergedAt = call }
            previous = next
        }
        #expect(convergedAt == 17)
    }

    /// `--max-iter 0 --n-init 3`: scikit-learn's answer, the last initialisation with no
    /// iteration, no lower bound and no convergence warning.
    @Test func noIterationsWithRestartsReturnTheLastInitialisation() throws {
        let scratch = Scratch()
        let run = try gmm(["fit", Self.iris, "--components", "3", "--max-iter", "0", "--n-init", "3", "--seed", "5",
                           "-o", scratch.path("m.json")])
        #expect(run.status == 0 && !run.stderr.contains("warning"), "\(run.stderr)")
        let file = try ModelFile.read(path: scratch.path("m.json"))
        #expect(file.converged == false && file.iterations == 0 && file.lowerBound == nil)
        let library = try GaussianMixture.fit(try Matrix(irisRows()), components: 3,
                                              options: FitOptions(maxIterations: 0, restarts: 3, seed: 5))
        #expect(library.bestRestart == 2 && file.model.means == library.model.means)
    }

    /// `--init-means`, `--init-weights` and `--init-precisions` (CSV and NPY) start as
    /// scikit-learn's `means_init`, `weights_init` and `precisions_init`, the rest from k-means.
    @Test func partialStartsFromFilesFollowScikitLearn() throws {
        let fixture = try WarmFixture.load()
        let scratch = Scratch()
        let means = try scratch.write("means.csv", fixture.means_init.map { $0.map { "\($0)" }.joined(separator: ",") }
            .joined(separator: "\n") + "\n")
        let weights = try scratch.write("weights.csv", fixture.weights_init.map { "\($0)" }.joined(separator: ",") + "\n")
        let stacked = fixture.precisions_init.flatMap { $0 }
        try Data(NPY.encode(shape: [stacked.count, 4], doubles: stacked.flatMap { $0 })).write(to: URL(fileURLWithPath: scratch.path("p.npy")))
        let common = ["fit", Self.iris, "--components", "3", "--seed", "3", "--tol", "0", "--max-iter", "10", "--quiet"]
        for (name, parts) in [("means", ["--init-means", means]),
                              ("weights_precisions", ["--init-weights", weights, "--init-precisions", scratch.path("p.npy")])] {
            let out = scratch.path("\(name).json")
            let run = try gmm(common + parts + ["-o", out])
            #expect(run.status == 0, "\(run.stderr)")
            let file = try ModelFile.read(path: out)
            let expected = try #require(fixture.partial[name])
            let history = try #require(file.lowerBoundHistory)
            #expect(history.count == 10)
            for (a, b) in zip(history, expected.lower_bounds) { #expect(abs(a - b) <= 1e-9 * abs(b), "\(name)") }
        }
        // Wrong shapes name the file and the shape expected; a start model with parts is a usage error.
        let cases: [([String], Int32, String)] = [
            (["--init-means", weights], 65, "initial means must be 3 rows"),
            (["--init-weights", means], 65, "initial weights must be 3 values"),
            (["--init-precisions", means], 65, "must be 3·4 rows of 4 values"),
            (["--init-precisions", means, "--covariance-type", "spherical"], 65, "3 values: one precision per component"),
            (["--init-weights", try scratch.write("w2.csv", "0.5,0.5,0.5\n")], 65, "initial weights sum to 1.5"),
            (["--init-model", means, "--init-means", means], 64, "leave out --init-means"),
        ]
        for (arguments, status, message) in cases {
            let run = try gmm(["fit", Self.iris, "--components", "3", "--quiet", "-o", scratch.path("never.json")] + arguments)
            #expect(run.status == status && run.stderr.contains(message), "\(arguments): \(run.status) \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("never.json")))
        }
    }

    /// The model file holds scikit-learn's `precisions_cholesky_` in every type's shape, and a
    /// file without it still reads.
    @Test(arguments: CovarianceType.allCases)
    func modelFilesHoldPrecisionCholeskyFactors(type: CovarianceType) throws {
        let scratch = Scratch()
        let out = scratch.path("m.json")
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--covariance-type", type.rawValue, "--quiet", "-o", out]).status == 0)
        let file = try ModelFile.read(path: out)
        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let d = 4
        func check(_ p: [[Double]], _ covariance: Matrix) {
            // Σ · P · Pᵀ = I
            for i in 0..<d { for j in 0..<d {
                var s = 0.0
                for a in 0..<d { for b in 0..<d { s += covariance[i, a] * p[a][b] * p[j][b] } }
                #expect(abs(s - (i == j ? 1 : 0)) < 1e-9, "\(type) (\(i), \(j))")
            } }
        }
        func diagonal(_ v: [Double]) -> [[Double]] { (0..<d).map { i in (0..<d).map { $0 == i ? v[i] : 0 } } }
        switch type {
        case .full:
            let p = try #require(object["precisions_cholesky"] as? [[[Double]]])
            for c in 0..<2 { check(p[c], file.model.covariances[c]) }
        case .diag:
            let p = try #require(object["precisions_cholesky"] as? [[Double]])
            for c in 0..<2 { check(diagonal(p[c]), file.model.covariances[c]) }
        case .spherical:
            let p = try #require(object["precisions_cholesky"] as? [Double])
            for c in 0..<2 { check(diagonal([Double](repeating: p[c], count: d)), file.model.covariances[c]) }
        case .tied:
            let p = try #require(object["precisions_cholesky"] as? [[Double]])
            check(p, file.model.covariances[0])
        }
        var stripped = object
        stripped["precisions_cholesky"] = nil
        let old = scratch.path("old.json")
        try JSONSerialization.data(withJSONObject: stripped).write(to: URL(fileURLWithPath: old))
        let back = try ModelFile.read(path: old)
        #expect(back.model.covariances == file.model.covariances)
        #expect(try gmm(["info", old]).status == 0)
    }

    // MARK: Standard streams (defect class 3)

    /// A diagnostic that cannot be written is dropped: stderr full or closed, even with
    /// --verbose, leaves the exit code and the output as they would be; an error keeps its code.
    @Test func stderrThatCannotBeWrittenIsDropped() throws {
        let scratch = Scratch()
        for (redirection, flags) in [("2>/dev/full", ["--verbose"]), ("2>&-", ["--verbose"]), ("2>/dev/full", []), ("2>&-", [])] {
            let out = scratch.path("m.json")
            try? FileManager.default.removeItem(atPath: out)
            let run = try gmm(["fit", Self.iris, "--components", "3", "-o", out] + flags, redirections: redirection)
            #expect(run.status == 0, "\(redirection) \(flags): \(run.status)")
            // Nothing else took descriptor 2: the file is the model alone.
            #expect(try ModelFile.read(path: out).model.componentCount == 3, "\(redirection)")
        }
        let missing = try gmm(["fit", scratch.path("nosuch.csv"), "--components", "2"], redirections: "2>/dev/full")
        #expect(missing.status == 74)
        let usage = try gmm(["fit", Self.iris, "--components", "0"], redirections: "2>&-")
        #expect(usage.status == 64)
    }

    /// A closed standard input, or a directory as standard input, is an I/O error (74) with a message.
    @Test func closedOrUnreadableStdinIsAnIOError() throws {
        for (redirection, words) in [("<&-", "standard input is closed"), ("</", "standard input is a directory")] {
            for arguments in [["fit", "-", "--components", "2"], ["score", "m.json", "-"]] {
                let scratch = Scratch()
                #expect(try gmm(["fit", Self.iris, "--components", "2", "--quiet", "-o", scratch.path("m.json")]).status == 0)
                let command = arguments.map { $0 == "m.json" ? scratch.path("m.json") : $0 }
                let run = try gmm(command, redirections: redirection)
                #expect(run.status == 74 && run.stderr.contains(words), "\(command) \(redirection): \(run.status) \(run.stderr)")
            }
        }
    }

    /// Every command exits 74 with a message when its results cannot be written to stdout
    /// (full, closed, or a pipe whose reader has gone).
    @Test func everyCommandFailsWhenStdoutCannotBeWritten() throws {
        let scratch = Scratch()
        let model = scratch.path("m.json")
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--quiet", "-o", model]).status == 0)
        let commands: [[String]] = [
            ["fit", Self.iris, "--components", "2", "--quiet"],
            ["score", model, Self.iris], ["score", model, Self.iris, "--per-sample"],
            ["predict", model, Self.iris], ["predict", model, Self.iris, "--proba"],
            ["sample", model, "--count", "5"], ["info", model],
            ["select", Self.iris, "--components", "1...2", "--quiet"],
        ]
        for command in commands {
            for redirection in [">/dev/full", ">&-"] {
                let run = try gmm(command, redirections: redirection)
                #expect(run.status == 74 && run.stderr.contains("gmm: error: stdout:"),
                        "\(command[0]) \(redirection): \(run.status) \(run.stderr)")
            }
        }
        // A pipe whose read end is closed before gmm writes: EPIPE, not death by SIGPIPE.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEndTests.executable)
        process.arguments = ["info", model]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try out.fileHandleForReading.close()
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 74 && message.contains("reader has gone"),
                "\(process.terminationReason) \(process.terminationStatus) \(message)")
    }

    // MARK: Sizes (defect class 2, the command's part)

    /// `sample --count` beyond the machine's memory, or beyond Int arithmetic, is refused
    /// before anything is drawn: usage error 64, the memory it would need and what to try.
    @Test func sampleCountsTooLargeForMemoryAreRefused() throws {
        let scratch = Scratch()
        let model = scratch.path("m.json")
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--quiet", "-o", model]).status == 0)
        for count in ["1000000000000", "4611686018427387904", String(Int.max)] {
            let run = try gmm(["sample", model, "--count", count, "-o", scratch.path("s.csv")])
            #expect(run.status == 64 && run.stderr.contains("of memory") && run.stderr.contains("Draw at most about"),
                    "\(count): \(run.status) \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
            #expect(!FileManager.default.fileExists(atPath: scratch.path("s.csv")))
        }
        #expect(try gmm(["sample", model, "--count", "10"]).status == 0)
    }

    /// A fit whose full covariances cannot be held is refused before allocating: 64 when fewer
    /// components would fit (the option is the cause), 65 when even one is too wide (the data).
    @Test func fitsTooLargeForMemoryAreRefusedFirst() throws {
        let scratch = Scratch()
        let rows = 1_000, columns = 3_000  // 1000 components of 3000 x 3000: about 864 GB
        let values = (0..<(rows * columns)).map { Double($0 % 7) + Double($0 % 13) * 0.1 }
        try Data(NPY.encode(shape: [rows, columns], doubles: values)).write(to: URL(fileURLWithPath: scratch.path("x.npy")))
        let many = try gmm(["fit", scratch.path("x.npy"), "--components", "1000", "-o", scratch.path("m.json")])
        #expect(many.status == 64 && many.stderr.contains("--components 1000 on 3000 features would need about")
                && many.stderr.contains("Use at most about"), "\(many.status) \(many.stderr)")
        let select = try gmm(["select", scratch.path("x.npy"), "--components", "1,1000"])
        #expect(select.status == 64 && select.stderr.contains("--components 1000"), "\(select.stderr)")
        let wide = try scratch.write("wide.csv", (0..<2).map { r in (0..<40_000).map { "\(($0 + r) % 5)" }.joined(separator: ",") }
            .joined(separator: "\n") + "\n")
        let one = try gmm(["fit", wide, "--components", "1"])
        #expect(one.status == 65 && one.stderr.contains("the data have 40000 features") && one.stderr.contains("Reduce the number of features"),
                "\(one.status) \(one.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("m.json")))
    }

    /// A model file of `k` components on `d` features of `type` (diag or spherical), written as text.
    func wideModel(_ type: String, components k: Int, features d: Int, in scratch: Scratch) throws -> String {
        let zeros = "[" + Array(repeating: "0.5", count: d).joined(separator: ",") + "]"
        let variances = type == "diag" ? "[" + Array(repeating: zeros, count: k).joined(separator: ",") + "]"
            : "[" + Array(repeating: "2.0", count: k).joined(separator: ",") + "]"
        let text = "{\"covariance_type\": \"\(type)\", \"weights\": [" + Array(repeating: "\(1.0 / Double(k))", count: k)
            .joined(separator: ",") + "], \"means\": [" + Array(repeating: zeros, count: k).joined(separator: ",")
            + "], \"covariances\": \(variances)}"
        return try scratch.write("\(type)-\(d).json", text)
    }

    /// `gmm info` shows a diag or spherical model with many features without expanding its
    /// variances to D x D (30000 features: 7 GB per component; 100000: 80 GB); commands that
    /// need the full matrices refuse it with the size and what to try (65), before allocating.
    @Test func wideDiagonalModelsAreNeverExpandedForInfo() throws {
        let scratch = Scratch()
        for (type, d) in [("spherical", 100_000), ("diag", 30_000)] {
            let path = try wideModel(type, components: 2, features: d, in: scratch)
            let info = try gmm(["info", path])
            #expect(info.status == 0 && info.stdout.hasPrefix("2 components, \(d) features, \(type) covariances"),
                    "\(type): \(info.status) \(info.stderr)")
            for command in [["score", path, Self.iris], ["sample", path, "--count", "2"], ["predict", path, Self.iris]] {
                let run = try gmm(command)
                #expect(run.status == 65 && run.stderr.contains("full \(d) x \(d) matrices")
                        && run.stderr.contains("`gmm info` shows it"), "\(command[0]) \(type): \(run.status) \(run.stderr)")
            }
        }
        // A small diag model with a variance that is not positive is still caught by info.
        let bad = try scratch.write("bad.json", "{\"covariance_type\": \"diag\", \"weights\": [1], \"means\": [[0,0,0,0,0]], "
                                    + "\"covariances\": [[1,1,0,1,1]]}")
        let run = try gmm(["info", bad])
        #expect(run.status == 65 && run.stderr.contains("variances must be finite and positive"), "\(run.stderr)")
    }

    /// Labels and responsibilities computed chunk by chunk (600 components: chunks of 873 rows)
    /// are the library's on the whole data (the labels exactly), in every output format.
    @Test func predictInChunksGivesTheWholeAnswer() throws {
        let scratch = Scratch()
        let k = 600
        let means: [[Double]] = (0..<k).map { (c: Int) -> [Double] in [Double(c % 30) * 3, Double(c / 30) * 3] }
        let model = try GaussianMixture(weights: [Double](repeating: 1 / Double(k), count: k), means: Matrix(means),
                                        covariances: [Matrix](repeating: try Matrix([[1, 0.2], [0.2, 1.5]]), count: k))
        let modelPath = scratch.path("many.json")
        try Data(ModelFile(model: model).json().utf8).write(to: URL(fileURLWithPath: modelPath))
        let rows: [[Double]] = (0..<2_000).map { (n: Int) -> [Double] in
            let a = Double((n * 37) % 97), b = Double((n * 61) % 89)
            return [a * 0.9 - 1, b * 0.7 - 2]
        }
        try scratch.write("x.csv", rows.map { "\($0[0]),\($0[1])" }.joined(separator: "\n") + "\n")
        let data = try Matrix(rows)
        let labels = try model.predict(data, threads: 1)
        let proba = try model.predictProbabilities(data, threads: 1)
        let run = try gmm(["predict", modelPath, scratch.path("x.csv")])
        #expect(run.status == 0)
        let printed = run.stdout.split(separator: "\n").map { Int($0) ?? -1 }
        #expect(printed.count == labels.count && zip(printed, labels).allSatisfy { $0 == $1 })
        for ext in ["csv", "npy", "json"] {
            let out = scratch.path("p.\(ext)")
            #expect(try gmm(["predict", modelPath, scratch.path("x.csv"), "--proba", "-o", out]).status == 0)
            let back: Matrix
            switch ext {
            case "json":
                let array = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[Double]])
                back = try Matrix(array)
            default:
                let table = try DataTable.read(path: out)
                back = try Matrix(rows: table.rows, columns: table.columns, values: table.withUnsafeValues { Array($0) })
            }
            #expect(back.rows == 2_000 && back.columns == k, "\(ext)")
            // Each chunk is centred on its own column means, so tiny probabilities differ in their
            // last digits from the whole data's; every probability agrees to 1e-13.
            let worst = zip(back.values, proba.values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(back.values.count == proba.values.count && worst <= 1e-13, "\(ext): \(worst)")
        }
    }

    // MARK: Options and model messages (defect class 9, the command's part)

    /// Negative numbers are values: every numeric option gets its own range error (64) with the
    /// `gmm: error:` prefix, not "Missing value".
    @Test func negativeNumbersParseAsValuesAndGetTheRangeError() throws {
        let cases: [([String], String)] = [
            (["--tol", "-1"], "--tol must be a finite number >= 0, got -1.0"),
            (["--reg-covar", "-1e-3"], "--reg-covar must be a finite number >= 0, got -0.001"),
            (["--max-iter", "-5"], "--max-iter must be at least 0, got -5"),
            (["--n-init", "-2"], "--n-init must be at least 1, got -2"),
            (["--threads", "-1"], "--threads must be at least 1, got -1"),
            (["--components", "-3"], "--components must be at least 1, got -3"),
            (["--seed", "-1"], "'-1' is invalid for '--seed"),
        ]
        for (option, message) in cases {
            let run = try gmm(["fit", Self.iris, "--components", "2"] + option)
            #expect(run.status == 64 && run.stderr.hasPrefix("gmm: error: ") && run.stderr.contains(message),
                    "\(option): \(run.status) \(run.stderr)")
            #expect(!run.stderr.contains("Missing value"))
        }
        let sample = try gmm(["sample", "m.json", "--count", "-5"])
        #expect(sample.status == 64 && sample.stderr.hasPrefix("gmm: error: --count must be at least 1, got -5"), "\(sample.stderr)")
        let unknown = try gmm(["bogus"])
        #expect(unknown.status == 64 && unknown.stderr.hasPrefix("gmm: error: "))
        let help = try gmm(["fit", "--help"])
        #expect(help.status == 0 && help.stdout.contains("OVERVIEW") && help.stderr.isEmpty)
    }

    /// Covariances in another type's shape than the file's `covariance_type` say so in those
    /// terms, for every command that reads the model.
    /// Standard input named twice is a usage error naming both inputs (the second reader met an
    /// empty stream and blamed "<stdin>"); a model output named .npy, .csv or .svg is refused
    /// (it was written as JSON under that name).
    @Test func standardInputOnceAndModelsAsJSON() throws {
        let scratch = Scratch()
        for (arguments, names) in [(["fit", "-", "--sample-weight", "-", "--components", "2"], "DATA and --sample-weight"),
                                   (["fit", Self.iris, "--init-means", "-", "--init-weights", "-", "--components", "2"],
                                    "--init-means and --init-weights"),
                                   (["score", "-", "-"], "MODEL and DATA")] {
            let run = try gmm(arguments, stdin: "1,2\n3,4\n")
            #expect(run.status == 64 && run.stderr.contains("'-' (standard input) is given for \(names)"), "\(arguments): \(run.stderr)")
        }
        for name in ["m.npy", "m.CSV", "m.svg"] {
            let run = try gmm(["fit", Self.iris, "--components", "1", "--quiet", "-o", scratch.path(name)])
            #expect(run.status == 64 && run.stderr.contains("written as JSON"), "\(name): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path(name)))
        }
        #expect(try gmm(["fit", Self.iris, "--components", "1", "--quiet", "-o", scratch.path("m.model")]).status == 0)
    }

    /// UTF-16 text, full of NUL bytes, is named as UTF-16 (the NUL check stands aside for a
    /// byte order mark), not as binary data.
    @Test func utf16IsNamedByTheCommand() throws {
        let scratch = Scratch()
        let path = scratch.path("u16.csv")
        #expect(FileManager.default.createFile(atPath: path, contents: "1,2\n3,4\n5,7\n".data(using: .utf16LittleEndian)
            .map { Data([0xFF, 0xFE]) + $0 }))
        let run = try gmm(["fit", path, "--components", "1", "-o", scratch.path("m.json")])
        #expect(run.status == 65 && run.stderr.contains("UTF-16"), "\(run.stderr)")
    }

    /// Tab- and semicolon-separated files name their separator and the conversion; a model of 4
    /// features against data of 1 column says "1 column" and "4 features".
    @Test func separatorsAndCountsAreNamed() throws {
        let scratch = Scratch()
        for (name, text, separator) in [("tab.csv", "a\tb\n1\t2\n3\t4\n", "tab"), ("semi.csv", "a;b\n1;2\n3;4\n", "semicolon")] {
            let run = try gmm(["fit", try scratch.write(name, text), "--components", "1", "-o", scratch.path("m.json")])
            #expect(run.status == 65 && run.stderr.contains("looks \(separator)-separated"), "\(run.stderr)")
        }
        let model = scratch.path("iris.json")
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--quiet", "-o", model]).status == 0)
        let run = try gmm(["predict", model, try scratch.write("one.csv", "1\n2\n")])
        #expect(run.status == 65 && run.stderr.contains("1 column, but the model") && run.stderr.contains("has 4 features"), "\(run.stderr)")
    }

    /// scikit-learn's `precisions_` saved as they are, (K, D, D), get the reshape that fixes them
    /// (they got the data files' "expected 2-D (samples x features)").
    @Test func threeDimensionalInitialPrecisionsGetTheReshape() throws {
        let scratch = Scratch()
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4, 4), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count % 256), UInt8(header.utf8.count / 256)]
        bytes += Array(header.utf8)
        for c in 0..<3 { for i in 0..<4 { for j in 0..<4 { bytes += withUnsafeBytes(of: (i == j ? Double(c + 1) : 0).bitPattern.littleEndian, Array.init) } } }
        let path = scratch.path("p.npy")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let run = try gmm(["fit", Self.iris, "--components", "3", "--init-precisions", path, "--quiet", "-o", scratch.path("m.json")])
        #expect(run.status == 65 && run.stderr.contains("precisions.reshape(-1, 4)"), "\(run.stderr)")
    }

    /// A run with two outputs that fails on one leaves both as they were: `select --plot F -o M`
    /// with M on a full disk (a link to /dev/full) kept F's old bytes only since the figure and
    /// the model commit together; `score --per-sample -o F` with a full stdout leaves no F.
    @Test func runsWithTwoOutputsFailWhole() throws {
        let scratch = Scratch()
        let figure = try scratch.write("f.svg", "OLD FIGURE\n")
        #expect(symlink("/dev/full", scratch.path("full.json")) == 0)
        let select = try gmm(["select", Self.iris, "--components", "1,2", "--plot", figure, "-o", scratch.path("full.json"), "--quiet"],
                             redirections: "> /dev/null")
        #expect(select.status == 74 && select.stderr.contains("full.json"), "\(select.stderr)")
        #expect(try String(contentsOfFile: figure, encoding: .utf8) == "OLD FIGURE\n")
        let model = scratch.path("m.json")
        #expect(try gmm(["fit", Self.iris, "--components", "3", "--quiet", "-o", model]).status == 0)
        let score = try gmm(["score", model, Self.iris, "--per-sample", "-o", scratch.path("ps.csv")], redirections: "> /dev/full")
        #expect(score.status == 74 && score.stderr.contains("stdout"), "\(score.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("ps.csv")))
        let good = try gmm(["score", model, Self.iris, "--per-sample", "-o", scratch.path("ps.csv")])
        #expect(good.status == 0 && Double(good.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(good.stdout)")
        #expect(try String(contentsOfFile: scratch.path("ps.csv"), encoding: .utf8).split(separator: "\n").count == 150)
    }

    /// Inputs without end: a text input with a NUL byte is refused in its first megabyte
    /// (`/dev/zero` as data, a model or a list of files grew to 17 GB and died on a failed
    /// allocation), and text beyond half the memory the process may use (here `ulimit
    /// -v`) is refused with the size and what to try, exit 65, no file.
    @Test func inputsWithoutEndAreRefusedBeforeMemoryRunsOut() throws {
        let scratch = Scratch()
        for arguments in [["fit", "/dev/zero", "--components", "1", "-o", scratch.path("z.json")],
                          ["info", "/dev/zero"],
                          ["fit", "--files-from", "/dev/zero", "--components", "1", "-o", scratch.path("z.json")]] {
            let run = try gmm(arguments)
            #expect(run.status == 65 && run.stderr.contains("NUL byte"), "\(arguments): \(run.stderr.prefix(300))")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("z.json")))
        // Under a sanitizer (scripts/sanitize) the shadow memory alone exceeds any `ulimit -v`.
        let environment = ProcessInfo.processInfo.environment
        guard environment["LSAN_OPTIONS"] == nil && environment["TSAN_OPTIONS"] == nil else { return }
        // 500 MB of a stream is past a quarter of 1.5 GB; a 500 MB file is within half of it, but
        // its 125 million numbers would not fit beside it.
        let gmm = Self.quoted(EndToEndTests.executable), file = Self.quoted(scratch.path("big.csv"))
        let lines = "yes 1.5,2.5,3.5 | head -c 500000000"
        for (command, expected) in [("\(lines) | exec \(gmm) fit -", "more than"), ("\(lines) > \(file); exec \(gmm) fit \(file)", "to parse")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -v 1500000; \(command) --components 1 -o " + Self.quoted(scratch.path("big.json"))]
            let big = try EndToEndTests.run(process, stdin: nil)
            #expect(big.status == 65 && big.stderr.contains(expected) && big.stderr.contains(".npy"), "\(big.stderr.prefix(400))")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("big.json")))
        }
    }

    /// 200 rows of three clusters in 4-D whose first six rows are scaled by 1000
    /// (`Fixtures/far-pair-200x4.csv`: numpy's `default_rng(7)`, centres N(0, 10²), unit noise):
    /// one component takes two far rows, a rank-one covariance that float64 holds with `reg_covar`
    /// on its null space, as scikit-learn does, but float32 cannot (its sums round at 1e-7 of
    /// 1e8; scikit-learn's float32 fit fails as well). The float32 failure is exit 65, leaves no
    /// file, names the component and says that float64 may succeed.
    @Test func float32CollapseSuggestsFloat64() throws {
        let data = Self.root.appendingPathComponent("Tests/GaussianMixturesTests/Fixtures/far-pair-200x4.csv").path
        let scratch = Scratch()
        let wide = try gmm(["fit", data, "--components", "3", "--quiet", "-o", scratch.path("f64.json")])
        #expect(wide.status == 0, "\(wide.stderr)")
        let single = try gmm(["fit", data, "--components", "3", "--precision", "float32", "-o", scratch.path("f32.json")])
        #expect(single.status == 65)
        #expect(single.stderr.contains("covariance of component") && single.stderr.contains("--precision float64"), "\(single.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("f32.json")))
    }

    @Test func covariancesOfAnotherTypesShapeAreNamed() throws {
        let scratch = Scratch()
        let full = scratch.path("full.json")
        #expect(try gmm(["fit", Self.iris, "--components", "2", "--quiet", "-o", full]).status == 0)
        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: full))) as? [String: Any])
        let cases: [(String, Any?, String)] = [
            ("diag", nil, "must be 2 rows of 4 variances (the diagonals), but the file has 2 matrices of 4 x 4, a full model's shape; set \"covariance_type\": \"full\""),
            ("spherical", nil, "must be 2 variances, but the file has 2 matrices of 4 x 4"),
            ("tied", nil, "must be one 4 x 4 matrix, but the file has 2 matrices of 4 x 4"),
            ("full", [[1, 2, 3, 4], [1, 2, 3, 4]], "must be 2 matrices of 4 x 4, but the file has 2 rows of 4 values, a diag or tied model's shape"),
            ("diag", [1, 2], "must be 2 rows of 4 variances (the diagonals), but the file has 2 values, a spherical model's shape"),
        ]
        for (type, covariances, message) in cases {
            var changed = object
            changed["covariance_type"] = type
            if let covariances { changed["covariances"] = covariances }
            let path = scratch.path("\(type)-bad.json")
            try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: path))
            for command in [["info", path], ["score", path, Self.iris], ["fit", Self.iris, "--components", "2", "--init-model", path]] {
                let run = try gmm(command)
                #expect(run.status == 65 && run.stderr.contains(message) && !run.stderr.contains("is an array"),
                        "\(type) \(command[0]): \(run.status) \(run.stderr)")
            }
        }
    }
}

/// The rows of Examples/iris.csv.
func irisRows() throws -> [[Double]] {
    try String(contentsOfFile: HardeningCLITests.iris, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
        line.split(separator: ",").compactMap { Double($0) }
    }
}
