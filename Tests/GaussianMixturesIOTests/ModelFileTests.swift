import Foundation
import GaussianMixtures
import GaussianMixturesIO
import Testing

@Suite struct ModelFileTests {
    static let model = try! GaussianMixture(
        weights: [0.25, 0.75], means: Matrix([[0.1, -2], [1.0 / 3, 4e-5]]),
        covariances: [Matrix([[1, 0.2], [0.2, 2]]), Matrix([[0.5, -0.1], [-0.1, 0.3]])])

    func parse(_ text: String) throws -> ModelFile { try ModelFile.parse(Array(text.utf8), path: "m.json") }

    @Test func roundTripIsExact() throws {
        let file = ModelFile(model: Self.model, converged: true, iterations: 12, lowerBound: -1.2345678901234567,
                             lowerBoundHistory: [-3, -1.5, -1.2345678901234567])
        let back = try parse(file.json())
        #expect(back == file)
        let bare = try parse(ModelFile(model: Self.model).json())
        #expect(bare.model.means == Self.model.means && bare.converged == nil && bare.lowerBound == nil)
    }

    @Test func sklearnKeysArePresent() throws {
        let object = try JSONSerialization.jsonObject(with: Data(ModelFile(model: Self.model, converged: false, iterations: 3,
            lowerBound: -1, lowerBoundHistory: [-2, -1]).json().utf8)) as! [String: Any]
        for key in ["format_version", "covariance_type", "n_components", "n_features", "weights", "means", "covariances",
                    "converged", "n_iter", "lower_bound", "lower_bound_history"] {
            #expect(object[key] != nil, "missing \(key)")
        }
    }

    @Test func otherCovarianceShapesExpandToFull() throws {
        let head = "{\"n_components\": 2, \"n_features\": 2, \"weights\": [0.5, 0.5], \"means\": [[0, 0], [1, 1]], "
        let diag = try parse(head + "\"covariance_type\": \"diag\", \"covariances\": [[1, 2], [3, 4]]}")
        #expect(diag.model.covariances[1] == (try Matrix([[3, 0], [0, 4]])))
        let spherical = try parse(head + "\"covariance_type\": \"spherical\", \"covariances\": [2, 5]}")
        #expect(spherical.model.covariances[0] == (try Matrix([[2, 0], [0, 2]])))
        let tied = try parse(head + "\"covariance_type\": \"tied\", \"covariances\": [[2, 1], [1, 2]]}")
        #expect(tied.model.covariances[0] == tied.model.covariances[1])
    }

    /// Every covariance type is written in its own shape and read back exactly, type included.
    @Test(arguments: CovarianceType.allCases)
    func everyCovarianceTypeRoundTrips(type: CovarianceType) throws {
        var rows: [[Double]] = []
        for i in 0..<60 {
            let a = Double(i % 7) + 0.1 * Double(i)
            let b = Double((i * 5) % 11) - 0.3 * Double(i % 3)
            rows.append([a, b])
        }
        let data = try Matrix(rows)
        let fitted = try GaussianMixture.fit(data, components: 2, options: FitOptions(covarianceType: type, seed: 1))
        let text = ModelFile(fitted).json()
        let back = try parse(text)
        #expect(back.model.covarianceType == type)
        #expect(back.model.covariances == fitted.model.covariances && back.model.means == fitted.model.means)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["covariance_type"] as? String == type.rawValue)
        switch type {
        case .full: #expect((object["covariances"] as? [[[Double]]])?.count == 2)
        case .diag: #expect((object["covariances"] as? [[Double]])?.map(\.count) == [2, 2])
        case .spherical: #expect((object["covariances"] as? [Double])?.count == 2)
        case .tied: #expect((object["covariances"] as? [[Double]])?.map(\.count) == [2, 2])
        }
    }

    @Test func badModelsAreRejectedWithTheirReason() throws {
        let head = "{\"covariance_type\": \"full\", \"weights\": [0.5, 0.5], \"means\": [[0, 0], [1, 1]], "
        let cases: [(String, String)] = [
            ("not json", "not valid JSON"),
            ("[1, 2]", "JSON object"),
            ("{\"means\": [[0]], \"covariances\": [[[1]]]}", "'weights'"),
            (head + "\"covariances\": [[[1, 0], [0, 1]]]}", "2 matrices of 2 x 2"),
            (head + "\"covariances\": [[[1, 0], [0, 1]], [[1, 2], [2, 1]]]}", "component 1 is not positive definite"),
            (head + "\"covariances\": [[[1, 0], [0, 1]], [[1, 0.5], [0, 1]]]}", "not symmetric"),
            ("{\"weights\": [0.5, 0.6], \"means\": [[0], [1]], \"covariances\": [[[1]], [[1]]]}", "sum to"),
            ("{\"weights\": [1], \"means\": [[0, 1]], \"covariances\": [[[1, 0], [0, 1]]], \"n_features\": 3}", "n_features is 3 but"),
            ("{\"weights\": [1], \"means\": [[0]], \"covariances\": [[[1]]], \"n_components\": 0}", "n_components is 0 but"),
            ("{\"weights\": [1], \"means\": [[\"a\"]], \"covariances\": [[[1]]]}", "not a finite number"),
            ("{\"covariance_type\": \"banana\", \"weights\": [1], \"means\": [[0]], \"covariances\": [[[1]]]}", "banana"),
            ("{\"format_version\": 99, \"weights\": [1], \"means\": [[0]], \"covariances\": [[[1]]]}", "format_version 99 is"),
            (head.replacingOccurrences(of: "full", with: "diag") + "\"covariances\": [[1, 2], [3, -4]]}", "not positive definite"),
            (head.replacingOccurrences(of: "full", with: "spherical") + "\"covariances\": [1, 2, 3]}", "2 variances"),
        ]
        for (text, expected) in cases {
            do {
                _ = try parse(text)
                Issue.record("accepted: \(text)")
            } catch let error as DataFileError {
                #expect(error.description.contains(expected), "\(text) -> \(error)")
                #expect(error.description.hasPrefix("m.json"))
            }
        }
    }
}
