import Foundation
import Testing

@testable import NNScript

/// A small, seeded generator so that a failing case can be replayed from its index.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Random and mutated scripts through lexer, parser and evaluator: every run must end in output
/// or diagnostics. A trap or a hang fails the whole test run, which is the point.
enum ScriptMutator {
  /// Pieces of the language that random edits splice in, so mutations reach deep into the
  /// parser and evaluator rather than stopping at the first stray byte.
  static let fragments: [String] = [
    "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "\n", "=", "+=", "==", "<", "..<", "...",
    "+", "-", "*", "/", "%", "@", "^", "\"", "\"{", "}\"", "\\", "#", "let ", "fn ", "return ",
    "if ", "else ", "for ", " in ", "while ", "break", "continue", "model ", "train ", " on ",
    "import ", "true", "false", "nil", " and ", " or ", "not ", "x", "t", "f(", "print(",
    "zeros(", "sum(", "[[1, 2], [3, 4]]", "0", "1", "-1", "1e308", "1e-9", "0.5", "999999",
    "\u{00}", "\u{FF}", "é", "\t", "$", "!", "&&", "axis: ", "len(", "args", "{a: 1}",
  ]

  static func randomScript(_ random: inout SplitMix64) -> String {
    let count = Int.random(in: 0..<40, using: &random)
    return (0..<count).map { _ in fragments.randomElement(using: &random)! }.joined()
  }

  static func randomBytes(_ random: inout SplitMix64) -> String {
    let count = Int.random(in: 0..<80, using: &random)
    let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
    var bytes = Array(text.utf8)
    let edits = Int.random(in: 1...4, using: &random)
    for _ in 0..<edits {
      let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
      switch Int.random(in: 0..<5, using: &random) {
      case 0:  // delete a span
        let end = min(bytes.count, position + Int.random(in: 1...12, using: &random))
        bytes.removeSubrange(position..<end)
      case 1:  // insert a fragment
        bytes.insert(contentsOf: Array(fragments.randomElement(using: &random)!.utf8), at: position)
      case 2:  // duplicate a span
        let end = min(bytes.count, position + Int.random(in: 1...30, using: &random))
        bytes.insert(contentsOf: bytes[position..<end], at: position)
      case 3:  // replace a byte
        if !bytes.isEmpty { bytes[position] = UInt8.random(in: 0...255, using: &random) }
      default:  // truncate
        bytes.removeSubrange(position..<bytes.count)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

@Test("10,000 random and mutated scripts end in output or diagnostics, never a trap")
func randomScriptsNeverTrap() throws {
  let corpus = Golden.scripts.compactMap {
    try? String(contentsOfFile: Golden.root + "/" + $0, encoding: .utf8)
  }
  #expect(!corpus.isEmpty)
  // NN_FUZZ_ITERATIONS and NN_FUZZ_SEED run a longer or different campaign by hand.
  let environment = ProcessInfo.processInfo.environment
  let iterations = environment["NN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 10_000
  var random = SplitMix64(state: environment["NN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_129)
  var failures = 0
  var successes = 0
  for index in 0..<iterations {
    let script: String
    switch index % 4 {
    case 0: script = ScriptMutator.randomScript(&random)
    case 1: script = ScriptMutator.randomBytes(&random)
    default: script = ScriptMutator.mutate(corpus.randomElement(using: &random)!, &random)
    }
    // Read-only: a mutated `write`, `save` or `plot(file:)` must not leave files in the tree.
    let interpreter = Interpreter(options: InterpreterOptions(
      workingDirectory: Golden.root + "/imports", stepLimit: 20_000,
      fileAccess: .readOnly(root: Golden.root)))
    do {
      try interpreter.run(script, name: "fuzz-\(index).nn")
      successes += 1
    } catch {
      failures += 1
      #expect(!error.diagnostics.isEmpty, "case \(index) failed without a diagnostic")
      let text = error.rendered(color: false)
      #expect(text.hasPrefix("error: "), "case \(index): \(text.prefix(200))")
    }
  }
  // Both outcomes must be common, or the generator is not exercising the interpreter.
  #expect(successes > iterations / 50)
  #expect(failures > iterations / 5)
}
