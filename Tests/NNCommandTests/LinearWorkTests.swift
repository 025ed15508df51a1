import Foundation
import Testing

/// Work that grew with the square of its input, tested by size: each input here took a
/// minute or more before, and takes well under a second now, so a generous bound separates
/// the two on any machine.
@Suite struct LinearWorkTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  /// Every piped entry was padded with the newlines of all the lines before it (so that its
  /// diagnostics count lines from the start of the input) and ran on a thread of its own:
  /// 10,000 lines took 65 s in a debug build.
  @Test func tenThousandPipedLinesRunEntryByEntryAndKeepTheirLineNumbers() throws {
    let lines = (1...10_000).map { "let x\($0 % 50) = \($0)" }
    let input = lines.joined(separator: "\n") + "\nx1 + 1\nprint(nope)\n"
    let start = Date()
    let outcome = try nn.run([], input: input, in: scratch.url)
    #expect(Date().timeIntervalSince(start) < 30)
    #expect(outcome.status == 1)
    #expect(outcome.output == "9952\n")
    #expect(outcome.errors.contains("<stdin>:10002:7"))
    #expect(outcome.errors.contains("10002 | print(nope)"))
  }

  /// A binary file read as a script: the first 100 syntax errors and a count of the rest,
  /// not one per stray byte (232,762 of them, 88 MB, for a 4 MB file).
  @Test func aBinaryFileGivesAHundredSyntaxErrorsAndACountOfTheRest() throws {
    var generator = SplitMix(seed: 16)
    let bytes = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let file = scratch.url.appendingPathComponent("binary.nn")
    try Data(bytes).write(to: file)
    for arguments in [["check", file.path], [file.path]] {
      let outcome = try nn.run(arguments, in: scratch.url)
      #expect(outcome.status == 1)
      let errors = outcome.errors.components(separatedBy: "\n")
        .filter { $0.hasPrefix("error:") }
      #expect(errors.count == 100)
      #expect(outcome.errors.contains("more syntax errors not shown: stopped after the first 100"))
      #expect(!outcome.crashed)
    }
  }

  /// A chain of imports, each file importing the next: the check for an import cycle searched
  /// the whole chain at every step. The cycle's message still names the files of the cycle.
  @Test func aLongChainOfImportsRunsAndACycleInItIsNamed() throws {
    let count = 400
    for i in 0..<count {
      let next = i + 1 < count ? "import \"f\(i + 1).nn\"\n" : "let last = \(i)\n"
      try next.write(to: scratch.url.appendingPathComponent("f\(i).nn"), atomically: true,
                     encoding: .utf8)
    }
    let outcome = try nn.run(["-e", "import \"f0.nn\"\nprint(last)"], in: scratch.url)
    #expect(outcome.errors == "")
    #expect(outcome.output == "\(count - 1)\n")
    try "import \"f397.nn\"\n".write(to: scratch.url.appendingPathComponent("f399.nn"),
                                     atomically: true, encoding: .utf8)
    let cycle = try nn.run(["-e", "import \"f0.nn\""], in: scratch.url)
    #expect(cycle.status == 1)
    #expect(cycle.errors.contains("import cycle: f397.nn → f398.nn → f399.nn → f397.nn"))
  }
}

/// A small deterministic generator, so the binary file is the same on every run.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
