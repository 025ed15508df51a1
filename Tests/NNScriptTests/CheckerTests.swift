import Foundation
import Testing

@testable import NNScript

/// `nn check`: what is found without running anything.
struct CheckerTests {
  /// The errors found (the statements here drop values on purpose: warnings are left out).
  private func messages(_ script: String) -> [String] {
    Interpreter().check(script, name: "check.nn").filter { $0.severity == .error }
      .map { diagnostic in
        let line = diagnostic.location.map {
          $0.source.lineAndColumn(of: $0.range.start).line
        } ?? 0
        return "\(line): \(diagnostic.message)"
      }
  }

  @Test func aCorrectScriptHasNoDiagnostics() {
    let script = """
      fn area(r) { pi * r ^ 2 }
      let pi = 3.14
      let total = 0
      for r in [1, 2] { total += area(r) }
      let (a, b) = (1, 2)
      while total > 100 { break }
      print(total, a, b, fn (x) { x + 1 }(1))
      """
    #expect(messages(script) == [])
  }

  @Test func aDiscardedResultIsAWarningWhoseCodeHostsCanMatch() {
    let diagnostics = Interpreter().check("let l = [1]\nappend(l, 2)", name: "c.nn")
    #expect(diagnostics.map(\.severity) == [.warning])
    #expect(diagnostics.first?.code == .unusedResult)
    // A script's own function of the same name is not the built-in.
    #expect(Interpreter().check("fn append(l, x) { l }\nappend([1], 2)", name: "c.nn") == [])
  }

  @Test func aModelIsBuiltOnlyFromWhatIsKnownBeforeTheRun() {
    #expect(messages("model m([1, 4, 4]) { conv2d(2, 3); dense(1) }")
      == ["1: dense1: a dense layer needs samples of shape [features] or [time, features], but "
          + "its input has shape [2, 4, 4]"])
    // Shadowed by a parameter: the global constant is not the value the model would see.
    #expect(messages("let n = [1, 4, 4]\nfn f(n) { model(n) { conv2d(2, 3); dense(1) } }")
      == [])
    #expect(messages("let n = [1, 4, 4]\nmodel m(n) { conv2d(2, 3); dense(1) }").count == 1)
  }

  @Test func nothingRuns() {
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(output: { output.append($0) }))
    _ = interpreter.check("print(\"ran\")\nwhile true { }", name: "loop.nn")
    #expect(output.text == "")
  }

  @Test func aMisspeltArgumentLabelOfABuiltinIsReportedWithASuggestion() {
    let diagnostics = Interpreter().check("let opt = adam(lr: 0.01, beta_1: 0.8)", name: "c.nn")
    #expect(diagnostics.map(\.message) == ["adam has no parameter named 'beta_1'"])
    #expect(diagnostics.first?.hint == "did you mean 'beta1'?")
    #expect(diagnostics.first?.code == .invalidArgument)
    #expect(messages("nadam(lr: 0.01, momentum_dacay: 0.1)")
      == ["1: nadam has no parameter named 'momentum_dacay'"])
  }

  @Test func literalArgumentsOfBuiltinsAreCheckedAgainstTheirDeclaration() {
    #expect(messages("adagrad(initial_accumulator: -1)")
      == ["1: the argument 'initial_accumulator' of adagrad must be a number ≥ 0, not -1"])
    #expect(messages("sgd(0.1, nesterov: \"yes\")")
      == ["1: the argument 'nesterov' of sgd must be a bool, but this is a string"])
    #expect(messages("sgd(\"fast\")")
      == ["1: the argument 'lr' of sgd must be a number, but this is a string"])
    // Values that are not literals are left to the run.
    #expect(messages("let b = 2\nadam(beta1: b)") == [])
  }

  @Test func aTrainBlockOptionIsCheckedAgainstTheTrainingOptions() {
    let script = "let m = model(1) { dense(1) }\ntrain m on xor() { epocs: 2 }"
    let diagnostics = Interpreter().check(script, name: "c.nn")
    #expect(diagnostics.map(\.message) == ["train has no option named 'epocs'"])
    #expect(diagnostics.first?.hint == "did you mean 'epochs'?")
  }

  @Test func anOptimizerSettingGivenToTrainingPointsAtTheOptimizer() {
    let script = "let m = model(1) { dense(1) }\nfit(m, xor(), lr: 0.1)\n"
      + "train m on xor() { optimizer: sgd(), momentum: 0.9 }"
    let diagnostics = Interpreter().check(script, name: "c.nn")
    #expect(diagnostics.map(\.message) == [
      "fit has no parameter named 'lr': the learning rate belongs to the optimizer",
      "train has no option named 'momentum': momentum belongs to the optimizer",
    ])
    #expect(diagnostics.map(\.hint)
      == ["optimizer: adam(lr: 0.1)", "optimizer: sgd(momentum: 0.9)"])
  }

  @Test func aFunctionThatShadowsABuiltinIsNotCheckedAsTheBuiltin() {
    #expect(messages("fn adam(rate) { rate }\nprint(adam(rate: 1))") == [])
  }

  @Test func undefinedNamesAreReportedWithSuggestions() {
    let diagnostics = Interpreter().check("let rate = 1\nprint(rat)\nprint(zzz)", name: "c.nn")
    #expect(diagnostics.map(\.message) == ["undefined name 'rat'", "undefined name 'zzz'"])
    #expect(diagnostics.first?.hint == "did you mean 'rate'?")
    #expect(diagnostics.allSatisfy { $0.code == .undefinedName })
  }

  @Test func anArgumentsUndefinedNameIsHintedFromItsParametersKind() {
    let script = "let d = xor()\nlet m = model(2) { dense(4, init: h) }\n"
      + "fit(m, d, metrics: [accuracy, dat])"
    let diagnostics = Interpreter().check(script, name: "c.nn")
    #expect(diagnostics.map(\.message) == ["undefined name 'h'", "undefined name 'dat'"])
    #expect(diagnostics.map(\.hint) == [
      "did you mean 'he'?",
      "a metric is one of acc, accuracy, auc, f1, mae, mse, precision, r2, recall",
    ])
  }

  @Test func assignmentToAnUndeclaredNameIsReported() {
    #expect(messages("let count = 0\ncout = 1") == ["2: cannot assign to undeclared name 'cout'"])
  }

  @Test func breakOutsideALoopIsReported() {
    #expect(messages("fn f() { break }\nfor i in 0..<2 { if i > 0 { continue } }")
      == ["1: `break` and `continue` must be inside a loop"])
  }

  @Test func everySyntaxErrorIsReported() {
    #expect(messages("let a = 1 +* 2\nprint(a b)\nlet = 5").count == 3)
  }

  @Test func aMissingImportIsReported() {
    #expect(messages("import \"nowhere.nn\"") == ["1: cannot import 'nowhere.nn': no such file"])
  }

  @Test func namesFromImportsAreKnown() {
    let interpreter = Interpreter(options: InterpreterOptions(workingDirectory: Golden.root))
    let diagnostics = interpreter.check(
      "import \"imports/lib/helpers.nn\"\nprint(square(greeting))", name: "main.nn")
    #expect(diagnostics.isEmpty)
  }

  @Test func aFileThatCannotBeReadIsOneDiagnostic() {
    let diagnostics = Interpreter().checkFile("/no/such/dir/script.nn")
    #expect(diagnostics.count == 1)
    #expect(diagnostics.first?.code == .fileError)
  }

  @Test func modelBodiesAndTrainOptionsAreChecked() {
    let script = """
      model m(2) {
        h = dense(3, relu)
        residual { dense(3) }
        dnse(2)
      }
      train m on xor() { optimizer: adamm(lr: 1), epochs: 1 }
      """
    #expect(messages(script) == ["4: undefined name 'dnse'", "6: undefined name 'adamm'"])
  }

  @Test func declaredRangesOfLiteralArgumentsAreChecked() {
    #expect(messages("let m = model(2) { dense(0); dropout(1.5) }")
      == ["1: dense needs at least 1 unit, not 0",
          "1: dropout's probability must be in [0, 1), not 1.5"])
    #expect(messages("exponential(gamma: 0)")
      == ["1: the argument 'gamma' of exponential must be a number > 0, not 0"])
    #expect(messages("warmup(epochs: 0)")
      == ["1: the argument 'epochs' of warmup must be a whole number ≥ 1, not 0"])
  }

  @Test func progressTakesTrueFalseOrEvery() {
    #expect(messages("""
      let m = model(1) { dense(1) }
      train m on linear() { progress: "every" }
      fit(m, linear(), progress: false)
      train m on linear() { progress: "all" }
      """) == ["4: progress is true, false or \"every\", not \"all\""])
  }

  @Test func literalArgumentsOfTheObjectKindsAreChecked() {
    #expect(messages("summary(3)")
      == ["1: the argument 'net' of summary must be a model, not a number"])
    #expect(messages("print(exp(\"e\"))")
      == ["1: the argument 't' of exp must be a tensor, but this is a string"])
    #expect(messages("split(true, 0.5)")
      == ["1: the argument 'data' of split must be a dataset, but this is a bool"])
  }

  @Test func tooManyPositionalArgumentsAreReported() {
    let diagnostics = Interpreter().check("let e = eye(2, 3)", name: "c.nn")
    #expect(diagnostics.map(\.message) == ["eye takes 1 argument but 2 were given"])
    // A variadic parameter takes the rest.
    #expect(messages("print(1, 2, 3)\nlet z = zeros(2, 3, 4)") == [])
  }

  @Test func aMissingRequiredArgumentIsReported() {
    #expect(messages("let m = model(2) { dense(act: relu) }")
      == ["1: dense needs the argument 'units'"])
    #expect(messages("let t = full([2, 2])") == ["1: full needs the argument 'value'"])
    // Given by name, or optional, is fine.
    #expect(messages("let t = full(value: 1, shape: [2])\nlet o = adam()") == [])
  }

  @Test("every golden script that runs cleanly also checks cleanly", arguments: Golden.scripts)
  func cleanGoldenScriptsCheckCleanly(_ path: String) throws {
    let expected = try String(
      contentsOfFile: Golden.root + "/" + path.replacingOccurrences(of: ".nn", with: ".out"),
      encoding: .utf8)
    guard !expected.contains("error"), !expected.contains("[exit") else { return }
    let interpreter = Interpreter(options: InterpreterOptions(workingDirectory: Golden.root))
    let diagnostics = interpreter.checkFile(Golden.root + "/" + path)
    #expect(diagnostics.map(\.message) == [], "\(path)")
  }
}
