import Foundation
import Testing

/// `nn` with no file and standard input not a terminal: the REPL's semantics without readline —
/// entry by entry, values echoed, errors reported and the session kept.
@Suite struct ReplTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  func session(_ input: String) throws -> NNExecutable.Outcome {
    try nn.run([], input: input, in: scratch.url)
  }

  @Test func runsEntriesInOneSession() throws {
    let outcome = try session("let a = 2\nprint(a * 3)\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "6\n")
    #expect(outcome.errors == "")
  }

  @Test func echoesExpressionValuesButNotStatements() throws {
    let outcome = try session("let a = 4\na * 2\n\"hi\"\nfn f(x) { x }\na = 5\n[1, 2]\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "8\n\"hi\"\n[1, 2]\n")
  }

  @Test func anErrorKeepsTheSessionAndFailsAtTheEnd() throws {
    let outcome = try session("let a = 2\nb + 1\nprint(a + 1)\na * 10\n")
    #expect(outcome.status == 1)
    #expect(outcome.output == "3\n20\n")
    #expect(outcome.errors.contains("undefined name 'b'"))
    #expect(!outcome.crashed)
  }

  @Test func diagnosticsCountLinesFromTheStartOfTheInput() throws {
    let outcome = try session("let a = 2\n\nlet b = [\n  1,\n  2]\nprint(c)\n")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("<stdin>:6:7"))
    #expect(outcome.errors.contains("6 | print(c)"))
  }

  @Test func helpForABuiltinGivesItsSignatureSentenceAndExample() throws {
    let outcome = try session(":help adam\n")
    #expect(outcome.output.hasPrefix("adam(lr, beta1, beta2, eps, weight_decay, amsgrad)\n"))
    #expect(outcome.output.contains("example:"))
  }

  @Test func multiLineModelEchoesItsSummary() throws {
    let input = "model net(2) {\n  dense(8, tanh)\n  dense(1, sigmoid)\n}\n"
    let outcome = try session(input)
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(
      outcome.output == "<model net: 2 → dense(8, tanh) → dense(1, sigmoid), 33 parameters>\n")
  }

  @Test func varsListsSessionBindingsWithTypes() throws {
    let outcome = try session("let a = 1\nlet s = \"x\"\nmodel net(2) { dense(1) }\n:vars\n")
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output.hasSuffix("a: number\nnet: model\ns: string\n"))
    #expect(!outcome.output.contains("dense:"))
  }

  @Test func typeCommandPrintsTheTypeName() throws {
    let outcome = try session("let a = [1, 2]\n:type a\n:type 3 + 4\n:type \"s\"\n")
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output == "tensor [2]\nnumber\nstring\n")
  }

  @Test func typeShowsATensorsShapeAndADatasetsSizes() throws {
    let outcome = try session("""
      :type zeros(3, 4)
      :type xor()
      :type iris()
      model net(2) { dense(1) }
      :type net
      """ + "\n")
    #expect(outcome.status == 0, "\(outcome.errors)")
    let lines = outcome.output.split(separator: "\n").map(String.init)
    #expect(lines.count == 5)
    guard lines.count == 5 else { return }
    #expect(lines[0] == "tensor [3, 4]")
    #expect(lines[1] == "dataset 4 rows: x [4, 2], y [4, 1]")
    #expect(lines[2] == "dataset 150 rows: x [150, 4], y [150], 3 classes")
    #expect(lines[4] == "model [2] → [1]")
  }

  @Test func varsAfterResetSaysTheSessionIsEmpty() throws {
    let outcome = try session("let a = 1\n:vars\n:reset\n:vars\n")
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output
      == "a: number\nsession reset\nthe session is empty: no names are bound\n")
  }

  /// `:reset` releases every binding at once: a list as deep as lists may nest goes quietly,
  /// and one that would nest deeper was refused where it was built, not crashed on at release.
  @Test func resetReleasesDeeplyNestedValues() throws {
    let outcome = try session(
      "let l = []\nfor i in 0..<999 { l = [l] }\nlet r = {}\nfor i in 0..<999 { r = {a: r} }\n"
        + "let d = []\nfor i in 0..<100000 { d = [d] }\n:reset\n:vars\n")
    #expect(!outcome.crashed, "\(outcome.errors)")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("lists and records may nest at most 1000 levels deep"))
    #expect(outcome.output
      == "session reset\nthe session is empty: no names are bound\n")
  }

  /// A colon command's errors point at its own text where it was typed (line 3, after
  /// `:type `), and `:ir` of something else than a model says so in its own words, not as
  /// the made-up call `ir(x)` at line 1.
  @Test func commandErrorsPointAtTheCommandsText() throws {
    let outcome = try session("let x = 3\n\n:type nothere\n  :ir x\n")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("undefined name 'nothere'\n --> <stdin>:3:7"),
            "\(outcome.errors)")
    #expect(outcome.errors.contains(
      ":ir shows the plan of a model, but this is a number\n --> <stdin>:4:7"),
            "\(outcome.errors)")
    #expect(!outcome.errors.contains("ir(x)"))
  }

  /// The language's own forms have help too: keywords, operators, with `:help train` listing
  /// the options `fit` declares.
  @Test func helpKnowsKeywordsAndOperators() throws {
    let topics = ["train", "model", "fn", "for", "while", "import", "if", "let", "@", "operators"]
    for topic in topics {
      let outcome = try session(":help \(topic)\n")
      #expect(outcome.status == 0, "\(topic): \(outcome.errors)")
      #expect(outcome.output.contains("example:"), "\(topic): \(outcome.output)")
    }
    let train = try session(":help train\n").output
    #expect(train.hasPrefix("train net on data {"))
    #expect(train.contains("fit"))
    for option in ["epochs", "batch", "optimizer", "early_stop", "schedule"] {
      #expect(train.contains("\n    \(option)"), "\(option) missing from \(train)")
    }
    #expect(try session(":help @\n").output.contains("matrix product"))
    #expect(try session(":help operators\n").output == (try session(":help @\n").output))
    #expect(try session(":help model\n").output.contains("dense"))
    #expect(try session(":help\n").output.contains(":help train"))
    let unknown = try session(":help frobnicate\n")
    #expect(unknown.status == 1)
    #expect(unknown.errors.contains("no built-in, keyword or operator called 'frobnicate'"))
  }

  /// The REPL echoes a model's summary; a script declaring one prints nothing.
  @Test func aScriptDoesNotEchoAModelSummary() throws {
    let path = try scratch.write("m.nn", "model net(2) { dense(1) }\n")
    let outcome = try nn.run(["run", path], in: scratch.url)
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output == "")
  }

  @Test func helpAndSignatures() throws {
    let outcome = try session(":help\n:help dense\n")
    #expect(outcome.status == 0)
    #expect(outcome.output.contains(":vars"))
    #expect(outcome.output.contains("dense(units"))
  }

  @Test func quitStopsReading() throws {
    let outcome = try session("print(1)\n:quit\nprint(2)\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "1\n")
  }

  @Test func unfinishedEntryAtTheEndIsReported() throws {
    let outcome = try session("print(1)\nprint(1 +\n")
    #expect(outcome.status == 1)
    #expect(outcome.output == "1\n")
    #expect(outcome.errors.contains("error:"))
  }

  @Test func hugeAndBinaryLinesGiveDiagnosticsNotCrashes() throws {
    let huge = String(repeating: "1 + ", count: 250_000) + "1"
    var junk = ""
    for byte in 1..<32 where byte != 10 { junk.append(Character(UnicodeScalar(byte)!)) }
    junk += "\u{FFFD}\u{7F}€ ]]}) ((("
    let outcome = try session("let a = 1\n\(huge)\n\(junk)\n@@@ ### $$$\nprint(a)\n")
    #expect(!outcome.crashed)
    #expect(outcome.status == 1)
    #expect(outcome.output.hasSuffix("1\n"))
    #expect(outcome.errors.contains("error:"))
  }

  @Test func loadRunsAFileIntoTheSession() throws {
    let path = try scratch.write("lib.nn", "let loaded = 41\n")
    let outcome = try session(":load \(path)\nloaded + 1\n")
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output == "42\n")
  }
}
