import ArgumentParser
@testable import GaussianMixturesCLI
import Testing

/// Every subcommand parses its valid options and rejects invalid ones before doing any work.
@Suite struct ParsingTests {
    @Test func fitParsesEveryOption() throws {
        let command = try GMM.parseAsRoot([
            "fit", "data.csv", "--components", "4", "--covariance-type", "full", "--max-iter", "50", "--tol", "1e-4",
            "--reg-covar", "1e-5", "--n-init", "3", "--init", "k-means++", "--seed", "9", "--threads", "2",
            "-o", "m.json", "--verbose",
        ])
        let fit = try #require(command as? GMM.Fit)
        #expect(fit.data == "data.csv" && fit.components == 4 && fit.maxIter == 50 && fit.tolerance == 1e-4)
        #expect(fit.covarianceType == .full)
        #expect(fit.regCovar == 1e-5 && fit.nInit == 3 && fit.initialization == .kmeansPlusPlus && fit.seed == 9)
        #expect(fit.threadOptions.threads == 2 && fit.output == "m.json" && fit.verbose && !fit.quiet)
        let defaults = try #require(try GMM.parseAsRoot(["fit", "-", "--components", "2"]) as? GMM.Fit)
        #expect(defaults.maxIter == 100 && defaults.tolerance == 1e-3 && defaults.regCovar == 1e-6 && defaults.nInit == 1)
        #expect(defaults.initialization == .kmeans && defaults.seed == 0 && defaults.output == nil)
        for type in ["diag", "spherical", "tied"] {
            let parsed = try #require(try GMM.parseAsRoot(["fit", "d.csv", "--components", "2", "--covariance-type", type]) as? GMM.Fit)
            #expect(parsed.covarianceType?.rawValue == type)
        }
        for name in ["random", "random-from-data", "kmeans"] {
            #expect(throws: Never.self) { try GMM.parseAsRoot(["fit", "d.csv", "--components", "2", "--init", name]) }
        }
    }

    @Test(arguments: [
        ["fit", "d.csv"],
        ["fit", "d.csv", "--components", "0"],
        ["fit", "d.csv", "--components", "x"],
        ["fit", "d.csv", "--components", "2", "--tol", "-1"],
        ["fit", "d.csv", "--components", "2", "--reg-covar", "-1"],
        ["fit", "d.csv", "--components", "2", "--max-iter", "-1"],
        ["fit", "d.csv", "--components", "2", "--n-init", "0"],
        ["fit", "d.csv", "--components", "2", "--init", "bogus"],
        ["fit", "d.csv", "--components", "2", "--threads", "0"],
        ["fit", "d.csv", "--components", "2", "--covariance-type", "diagonal"],
        ["fit", "d.csv", "--components", "2", "--quiet", "--verbose"],
        ["score", "m.json"],
        ["score", "m.json", "d.csv", "-o", "out.csv"],
        ["predict", "m.json"],
        ["sample", "m.json"],
        ["sample", "m.json", "--count", "0"],
        ["info"],
        ["frobnicate"],
    ])
    func invalidCommandLinesAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try GMM.parseAsRoot(arguments) }
    }

    @Test func otherSubcommandsParse() throws {
        let score = try #require(try GMM.parseAsRoot(["score", "m.json", "d.npy", "--per-sample", "-o", "s.npy"]) as? GMM.Score)
        #expect(score.model == "m.json" && score.data == "d.npy" && score.perSample && score.output == "s.npy")
        let predict = try #require(try GMM.parseAsRoot(["predict", "m.json", "d.csv", "--proba"]) as? GMM.Predict)
        #expect(predict.proba && predict.output == nil)
        let sample = try #require(try GMM.parseAsRoot(["sample", "m.json", "--count", "5", "--seed", "3"]) as? GMM.Sample)
        #expect(sample.count == 5 && sample.seed == 3 && !sample.withoutComponent)
        #expect(try GMM.parseAsRoot(["info", "m.json"]) is GMM.Info)
    }
}
