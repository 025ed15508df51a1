import Testing
@testable import NNRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Inputs the libFuzzer targets in Fuzz/ found crashing the CSV and safetensors readers
// (docs/robustness.md, "Fuzzing"). Each runs in a child process (an exit test), so a reader
// that still traps fails this one test instead of killing the whole test run; the child exits
// 0 only when the reader gives the documented answer (a diagnostic or a correct load).

@Suite("Fuzz regressions: CSV and safetensors readers")
struct FuzzRegressionTests {
  /// FuzzCSV crash-d7932d6b: a header naming more columns than the data rows hold, with the
  /// target chosen by name. The width came from the first data row, the target index from the
  /// header, so the target column was never met and `Tensor(shape:scalars:)` trapped on a
  /// count mismatch (CSV.swift, `let x = Tensor(shape: [rows, width - 1], …)`). Must be a
  /// `DataError` that names the field counts.
  @Test func csvHeaderWiderThanRowsWithNamedTarget() async {
    await #expect(processExitsWith: .success) {
      do {
        _ = try CSV.load(text: "a,b,c,y\n1,2\n", target: .name("y"))
        exit(2)  // loaded: wrong, the row has 2 fields and the header 4
      } catch let error as DataError {
        exit(error.message.contains("field") ? 0 : 3)
      } catch {
        exit(4)
      }
    }
  }

  /// The same shape of file with the target given by index and by default (last column), and
  /// a header narrower than the rows.
  @Test func csvHeaderAndRowsOfDifferentWidths() async {
    await #expect(processExitsWith: .success) {
      let cases: [(String, CSVTarget)] = [
        ("a,b,c,y\n1,2\n", .last), ("a,b,c,y\n1,2\n", .index(1)),
        ("a,b,c,y\n1,2\n", .index(-1)), ("a,y\n1,2,3,4\n", .name("y")),
      ]
      for (text, target) in cases {
        if (try? CSV.load(text: text, target: target)) != nil { exit(2) }
      }
      exit(0)
    }
  }
}
