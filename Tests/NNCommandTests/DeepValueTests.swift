import Foundation
import Testing

/// A list or record nested 100,000 deep used to overflow the stack when it was released
/// (SIGSEGV, the output and diagnostic lost). Nesting is bounded where a value is built, so every
/// way of running a script reports the bound at the line that passed it.
@Suite struct DeepValueTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  static let deepList = "let l = []\nfor i in 0..<100000 { l = [l] }\nprint(\"after\")\n"
  static let deepRecord = "let r = {}\nfor i in 0..<100000 { r = {a: r} }\nprint(\"after\")\n"
  static let message = "lists and records may nest at most 1000 levels deep"

  func expectBoundReported(_ outcome: NNExecutable.Outcome, at location: String) {
    #expect(!outcome.crashed, "\(outcome.errors)")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains(Self.message), "\(outcome.errors)")
    #expect(outcome.errors.contains(location), "\(outcome.errors)")
  }

  @Test(arguments: [deepList, deepRecord])
  func nnRunReportsTheBound(_ script: String) throws {
    let file = scratch.url.appendingPathComponent("deep.nn")
    try script.write(to: file, atomically: true, encoding: .utf8)
    let outcome = try nn.run(["run", file.path], in: scratch.url)
    expectBoundReported(outcome, at: "deep.nn:2:")
    #expect(!outcome.output.contains("after"))
  }

  @Test(arguments: [deepList, deepRecord])
  func inlineScriptsReportTheBound(_ script: String) throws {
    let outcome = try nn.run(["-e", script], in: scratch.url)
    expectBoundReported(outcome, at: "<-e>:2:")
  }

  /// Piped input runs entry by entry and keeps the session: the next entry still runs.
  @Test(arguments: [deepList, deepRecord])
  func pipedInputReportsTheBoundAndGoesOn(_ script: String) throws {
    let outcome = try nn.run([], input: script, in: scratch.url)
    expectBoundReported(outcome, at: ":2:")
    #expect(outcome.output == "after\n")
  }
}
