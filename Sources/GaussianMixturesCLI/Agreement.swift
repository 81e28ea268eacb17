import Foundation
import GaussianMixturesIO

/// What the processes of a distributed run must agree on (``Cluster/agree(_:_:code:advice:)``),
/// in three stages: the command and its options before the command runs (``GMM/main()``), the
/// data's shape once the data are read (``agreeOnData(_:files:)``), and the sample weights'
/// count once their files are read. Threads, output paths and printing need not match.

/// A subcommand whose options shape the collectives or the result: every process must give the
/// same. The subcommand itself is always compared; one that only rank 0 runs (`sample`, `info`,
/// `plot`) compares nothing more.
protocol AgreedOptions {
    /// Fills `agreement` with the options that must match.
    func agreeing(_ agreement: inout OptionAgreement)
}

/// The facts of the options stage, each named as the command line gives it.
struct OptionAgreement {
    private(set) var facts: [Cluster.Fact] = []

    init(command: String) {
        facts.append(Cluster.Fact(value: "command " + command, phrase: "runs gmm \(command)"))
    }

    /// An option by its canonical text (`--tol 0.001` and `--tol 1e-3` alike).
    mutating func option(_ name: String, _ value: some CustomStringConvertible) {
        let text = value.description
        facts.append(Cluster.Fact(value: "\(name) \(text)", phrase: "has \(name) \(text)"))
    }

    /// An option that may be left out.
    mutating func option(_ name: String, _ value: (some CustomStringConvertible)?) {
        guard let value else { return facts.append(Cluster.Fact(value: "\(name) none", phrase: "has no \(name)")) }
        option(name, value)
    }

    mutating func flag(_ name: String, _ on: Bool) {
        facts.append(Cluster.Fact(value: "\(name) \(on)", phrase: on ? "has \(name)" : "has no \(name)"))
    }

    /// An input file every process reads whole (a model, a start): given or not, and its size
    /// (not its path, which may differ between hosts).
    mutating func file(_ name: String, _ path: String?) {
        guard let path else { return facts.append(Cluster.Fact(value: "\(name) none", phrase: "has no \(name)")) }
        let size = fileSize(path)
        facts.append(Cluster.Fact(value: "\(name) \(size.map(String.init) ?? "missing")",
                                  phrase: "has \(name) \(path) (\(size.map { "\($0) bytes" } ?? "missing"))"))
    }
}

/// The size of the file at `path` in bytes, or nil (missing, unreadable, standard input).
func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard path != "-", stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}

extension EMOptions {
    func agreeing(_ agreement: inout OptionAgreement) {
        agreement.option("--max-iter", maxIter)
        agreement.option("--tol", tolerance)
        agreement.option("--reg-covar", regCovar)
        agreement.option("--n-init", nInit)
        agreement.option("--init", initialization.rawValue)
        agreement.option("--seed", seed)
        agreement.flag("--reseed-empty", reseedEmpty)
        agreement.flag("--exact-dense", exactDense)
        // Given or not; the count and bytes of its files are compared once they are read.
        agreement.flag("--sample-weight", sampleWeight != nil)
    }
}

extension GMM.Fit: AgreedOptions {
    func agreeing(_ agreement: inout OptionAgreement) {
        agreement.option("--components", components)
        agreement.option("--covariance-type", covarianceType?.rawValue)
        agreement.option("--precision", precision.rawValue)
        em.agreeing(&agreement)
        agreement.file("--init-model", initModel)
        agreement.file("--init-means", initMeans)
        agreement.file("--init-weights", initWeights)
        agreement.file("--init-precisions", initPrecisions)
    }
}

extension GMM.Select: AgreedOptions {
    func agreeing(_ agreement: inout OptionAgreement) {
        agreement.option("--components", components.values.map(String.init).joined(separator: ","))
        agreement.option("--covariance-types", covarianceTypes.types.map(\.rawValue).joined(separator: ","))
        agreement.option("--criterion", criterion.rawValue)
        agreement.option("--precision", precision.rawValue)
        em.agreeing(&agreement)
    }
}

extension GMM.Score: AgreedOptions {
    func agreeing(_ agreement: inout OptionAgreement) {
        agreement.file("the model", model)
        agreement.option("--precision", precision.rawValue)
        agreement.flag("--per-sample", perSample)
    }
}

extension GMM.Predict: AgreedOptions {
    func agreeing(_ agreement: inout OptionAgreement) {
        agreement.file("the model", model)
        agreement.option("--precision", precision.rawValue)
        agreement.flag("--proba", proba)
    }
}

/// Stops every process (exit 65) unless all read data of the same shape from `files`: as many
/// files, of as many bytes in all, with as many rows and columns in all (`table` is this
/// process's block; its ``DataTable/fileRows`` the rows of all the files). The contents are not
/// compared: copies of one file on several hosts agree, a stale or truncated copy does not.
func agreeOnData(_ table: DataTable, files: [String]) {
    Cluster.agree("data", {
        let name = table.path
        let bytes = files.reduce(0) { $0 + (fileSize($1) ?? 0) }
        return [
            Cluster.Fact(value: "files \(files.count)", phrase: "reads \(files.count) data file\(files.count == 1 ? "" : "s") (\(name))"),
            Cluster.Fact(value: "columns \(table.columns)", phrase: "reads \(table.columns) columns in \(name)"),
            Cluster.Fact(value: "rows \(table.fileRows)", phrase: "reads \(table.fileRows) rows in \(name)"),
            Cluster.Fact(value: "bytes \(bytes)", phrase: "reads \(bytes) bytes of data in \(name)"),
        ]
    }(), code: 65, advice: "every process must read the same data (a copy of a file on each host must be the same file)")
}

/// Stops every process (exit 65) unless all read as many sample weights, in files of as many
/// bytes, from `files` (the `--sample-weight` files, `count` weights in all).
func agreeOnWeights(count: Int, files: [String], option: String) {
    Cluster.agree("sample weights", {
        let bytes = files.reduce(0) { $0 + (fileSize($1) ?? 0) }
        return [
            Cluster.Fact(value: "weights \(count)", phrase: "reads \(count) sample weights in \(option)"),
            Cluster.Fact(value: "bytes \(bytes)", phrase: "reads \(bytes) bytes of sample weights in \(option)"),
        ]
    }(), code: 65, advice: "every process must read the same sample weights")
}
