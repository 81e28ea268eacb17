// gmm-fuzz: the three readers of untrusted bytes (CSV, NPY, model JSON) under one entry point.
//
// Built normally, it replays inputs:  gmm-fuzz csv|npy|model FILE...   (exit 0 unless a reader
// crashes; errors thrown by a reader are the expected outcome for bad input).
// Built by scripts/fuzz with `--sanitize fuzzer -Xswiftc -DFUZZING`, it is a libFuzzer target;
// GMM_FUZZ_TARGET=csv|npy|model chooses the reader.
import Foundation
import GaussianMixtures
import GaussianMixturesIO

/// Feeds `bytes` to one reader and checks what a successful read promises.
func exercise(_ target: String, _ bytes: [UInt8]) {
    switch target {
    case "csv":
        let contents: CSV.Contents
        do { contents = try CSV.contents(of: bytes, path: "fuzz.csv") } catch {
            checkMessage("\(error)")
            return
        }
        contents.warnings.forEach(checkMessage)
        let (matrix, header) = (contents.matrix, contents.header)
        precondition(matrix.rows >= 1 && matrix.values.count == matrix.rows * matrix.columns)
        precondition(header.map { $0.count == matrix.columns } ?? true)
        precondition(matrix.values.allSatisfy(\.isFinite))
        // What we write reads back to the same numbers.
        let again = try? CSV.parse(Array(CSV.format(matrix, header: header).utf8), path: "again.csv")
        precondition(again?.matrix == matrix, "CSV round trip changed the values")
    case "npy":
        for precision in Precision.allCases {
            let table: DataTable
            do { table = try NPY.parse(bytes, path: "fuzz.npy", precision: precision) } catch {
                checkMessage("\(error)")
                continue
            }
            precondition(table.rows >= 1 && table.columns >= 1 && table.precision == precision)
            table.withUnsafeValues { values in
                precondition(values.count == table.rows * table.columns && values.allSatisfy(\.isFinite))
            }
        }
    case "model":
        guard let file = try? ModelFile.parse(bytes, path: "fuzz.json") else { return }
        let model = file.model
        precondition(abs(model.weights.reduce(0, +) - 1) <= 1e-6)
        precondition(model.logDeterminants.allSatisfy(\.isFinite))
        // A model we accepted is written and read back unchanged.
        let again = try? ModelFile.parse(Array(file.json().utf8), path: "again.json")
        precondition(again == file, "model file round trip changed the model")
    default:
        fatalError("unknown fuzz target '\(target)': use csv, npy or model")
    }
}

/// What a reader's message promises whatever the input: one short line, printable, so that no
/// input can flood or garble a terminal (the input is quoted in excerpts of at most 40 characters).
func checkMessage(_ message: String) {
    precondition(message.utf8.count < 1200, "a message of \(message.utf8.count) bytes")
    precondition(!message.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) },
                 "a message with a control character: \(message.debugDescription)")
}

#if FUZZING
private let fuzzTarget = ProcessInfo.processInfo.environment["GMM_FUZZ_TARGET"] ?? "csv"

/// libFuzzer's driver, called from our own main (SwiftPM gives every executable a main of its
/// own, so libFuzzer's cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The entry libFuzzer's objects refer to; the driver below calls the same code.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(fuzzTarget, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

@main
struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let target = arguments.first, ["csv", "npy", "model"].contains(target) else {
            FileHandle.standardError.write(Data("usage: gmm-fuzz csv|npy|model FILE...\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            exercise(target, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }
}
#endif
