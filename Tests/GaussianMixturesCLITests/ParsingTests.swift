import ArgumentParser
import GaussianMixtures
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
        #expect(fit.data == "data.csv" && fit.components == 4 && fit.em.maxIter == 50 && fit.em.tolerance == 1e-4)
        #expect(fit.covarianceType == .full)
        #expect(fit.em.regCovar == 1e-5 && fit.em.nInit == 3 && fit.em.initialization == .kmeansPlusPlus && fit.em.seed == 9)
        #expect(fit.threadOptions.threads == 2 && fit.output == "m.json" && fit.verbose && !fit.quiet)
        let defaults = try #require(try GMM.parseAsRoot(["fit", "-", "--components", "2"]) as? GMM.Fit)
        #expect(defaults.em.maxIter == 100 && defaults.em.tolerance == 1e-3 && defaults.em.regCovar == 1e-6 && defaults.em.nInit == 1)
        #expect(defaults.em.initialization == .kmeans && defaults.em.seed == 0 && defaults.output == nil)
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
        ["select", "d.csv"],
        ["select", "d.csv", "--components", "0...3"],
        ["select", "d.csv", "--components", "5...2"],
        ["select", "d.csv", "--components", "2,x"],
        ["select", "d.csv", "--components", "2", "--covariance-types", "full,bogus"],
        ["select", "d.csv", "--components", "2", "--criterion", "aicc"],
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
        let select = try #require(try GMM.parseAsRoot(["select", "d.csv", "--components", "1...10", "--covariance-types",
                                                        "full,tied", "--criterion", "aic", "--n-init", "3", "--seed", "4",
                                                        "-o", "best.json"]) as? GMM.Select)
        #expect(select.components.values == Array(1...10) && select.covarianceTypes.types == [.full, .tied])
        #expect(select.criterion == .aic && select.em.nInit == 3 && select.em.seed == 4 && select.output == "best.json")
        let list = try #require(try GMM.parseAsRoot(["select", "d.csv", "--components", "2,4,8"]) as? GMM.Select)
        #expect(list.components.values == [2, 4, 8] && list.covarianceTypes.types == CovarianceType.allCases && list.criterion == .bic)
    }
}
