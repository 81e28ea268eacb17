import GaussianMixtures
import GaussianMixturesIO
import Testing

@Suite struct CSVTests {
    func parse(_ text: String) throws -> (matrix: Matrix, header: [String]?) {
        try CSV.parse(Array(text.utf8), path: "t.csv")
    }

    @Test func readsNumbersWithAndWithoutHeader() throws {
        let plain = try parse("1,2\n3.5,-4e2\n")
        #expect(plain.header == nil)
        #expect(plain.matrix == (try Matrix([[1, 2], [3.5, -400]])))
        let withHeader = try parse("a, b\r\n 1 , 2\r\n\r\n3,4")
        #expect(withHeader.header == ["a", "b"])
        #expect(withHeader.matrix == (try Matrix([[1, 2], [3, 4]])))
    }

    @Test func fullPrecisionRoundTrip() throws {
        let m = try Matrix([[0.1, 1.0 / 3], [1e-300, -2.5e300]])
        #expect(try parse(CSV.format(m)).matrix == m)
        #expect(try parse(CSV.format(m, header: ["x", "y"])).matrix == m)
    }

    @Test func badTokenNamesFileLineColumnAndToken() throws {
        #expect(throws: DataFileError.parse(path: "t.csv", line: 3, column: 2, token: "4x")) {
            try parse("a,b\n1,2\n3,4x\n")
        }
        #expect(throws: DataFileError.parse(path: "t.csv", line: 2, column: 1, token: "")) {
            try parse("1,2\n,2\n")
        }
        let message = DataFileError.parse(path: "t.csv", line: 3, column: 2, token: "4x").description
        #expect(message.contains("t.csv:3") && message.contains("column 2") && message.contains("'4x'"))
    }

    @Test func raggedRowIsRejected() throws {
        #expect(throws: DataFileError.self) { try parse("1,2\n3\n") }
    }

    @Test func nonFiniteValuesAreRejectedWithRowAndColumn() throws {
        #expect(throws: DataFileError.nonFinite(path: "t.csv", row: 2, column: 2, line: 3, value: .infinity)) {
            try parse("x,y\n1,2\n3,inf\n")
        }
        do {
            _ = try parse("1,nan\n")
            Issue.record("NaN accepted")
        } catch let error as DataFileError {
            #expect(error.description.contains("row 1, column 2"))
        }
        #expect(throws: DataFileError.self) { try parse("1,1e999\n") }
    }

    @Test func emptyInputIsRejected() throws {
        #expect(throws: DataFileError.self) { try parse("") }
        #expect(throws: DataFileError.self) { try parse("a,b\n") }
        #expect(throws: DataFileError.self) { try CSV.read(path: "/nonexistent/file.csv") }
    }
}
