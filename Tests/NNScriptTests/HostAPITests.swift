import Foundation
import Testing

import NNRuntime
@testable import NNScript

/// Time and call-depth limits, host functions and typed accessors of `Value`.
struct HostAPITests {
  struct HostFailure: Error, CustomStringConvertible {
    var description: String { "the host said no" }
  }

  @Test func timeLimitStopsALoop() {
    let interpreter = Interpreter(options: InterpreterOptions(timeLimit: 0.2))
    do {
      try interpreter.run("let i = 0\nwhile true { i += 1 }", name: "loop.nn")
      Issue.record("the loop was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .resourceLimit)
      #expect(error.diagnostics.first?.message == "the script ran past its time limit of 0.2 s")
    }
    // The limit is per run: a short run afterwards succeeds.
    #expect(throws: Never.self) { try interpreter.run("i = 1", name: "after.nn") }
  }

  /// Loops whose bodies evaluate nothing that counts a step (an empty body, a bare literal
  /// condition) still stop: every iteration is a step.
  @Test(arguments: ["while true { }", "while true { continue }", "for i in 0..<1000000000 { }"])
  func anEmptyLoopStillStops(script: String) {
    let interpreter = Interpreter(options: InterpreterOptions(stepLimit: 10_000, timeLimit: 5))
    do {
      try interpreter.run(script, name: "loop.nn")
      Issue.record("the loop was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .stepLimit)
    }
  }

  @Test func timeLimitStopsTraining() {
    let interpreter = Interpreter(options: InterpreterOptions(timeLimit: 0.3))
    do {
      try interpreter.run("""
        seed(0)
        model net(2) { dense(16, tanh); dense(1, sigmoid) }
        train net on xor() { epochs: 100000000, progress: false }
        """, name: "train.nn")
      Issue.record("training was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .resourceLimit)
    }
  }

  @Test func maxCallDepthIsConfigurableAndClamped() {
    let options = InterpreterOptions(maxCallDepth: 10)
    #expect(options.maxCallDepth == 10)
    #expect(InterpreterOptions(maxCallDepth: 1_000_000).maxCallDepth == 1_000)
    let interpreter = Interpreter(options: options)
    let script = "fn f(n) { if n == 0 { return 0 }\n return f(n - 1) }\n"
    #expect(throws: Never.self) { try interpreter.run(script + "f(9)", name: "ok.nn") }
    do {
      try interpreter.run(script + "f(20)", name: "deep.nn")
      Issue.record("the recursion was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .recursionLimit)
      #expect(error.diagnostics.first?.message.contains("10") == true)
    }
  }

  @Test func hostFunctionsTakePositionalAndNamedArguments() throws {
    let interpreter = Interpreter()
    try interpreter.register("scale", parameters: ["x", "by"]) { call in
      let arguments = call.arguments
      return .number((arguments["x"]?.number ?? 0) * (arguments["by"]?.number ?? 1))
    }
    #expect(try interpreter.evaluate("scale(3, 2)").number == 6)
    #expect(try interpreter.evaluate("scale(by: 5, x: 2)").number == 10)
    #expect(try interpreter.evaluate("scale(4)").number == 4)
    do {
      _ = try interpreter.evaluate("scale(1, nope: 2)")
      Issue.record("an unknown named argument was accepted")
    } catch {
      #expect(error.diagnostics.first?.code == .invalidArgument)
    }
  }

  @Test func hostErrorsBecomeDiagnosticsAtTheCall() throws {
    let interpreter = Interpreter()
    try interpreter.register("refuse", parameters: []) { _ in throw HostFailure() }
    do {
      try interpreter.run("let a = 1\nrefuse()", name: "host.nn")
      Issue.record("the error was lost")
    } catch {
      let diagnostic = error.diagnostics.first
      #expect(diagnostic?.message.contains("the host said no") == true)
      #expect(diagnostic?.location?.range.start == 10)
    }
  }

  /// A host function's result is held to the nesting bound scripts meet: a list 100,000 deep
  /// is a diagnostic at the call, not a stack overflow when it is printed or released.
  @Test func aHostValueNestedTooDeeplyIsADiagnostic() throws {
    let interpreter = Interpreter()
    try interpreter.register("deep", parameters: []) { _ in
      var value = Value.list([])
      for _ in 0..<1_001 { value = .list([value]) }
      return value
    }
    do {
      try interpreter.run("print(deep())", name: "host.nn")
      Issue.record("the deep value was accepted")
    } catch {
      #expect(error.diagnostics.first?.message
        == "deep returned a value where lists and records may nest at most 1000 levels deep")
    }
  }

  @Test func typedAccessors() throws {
    let interpreter = Interpreter()
    #expect(try interpreter.evaluate("1.5").number == 1.5)
    #expect(try interpreter.evaluate("\"hi\"").string == "hi")
    #expect(try interpreter.evaluate("true").bool == true)
    #expect(try interpreter.evaluate("1").string == nil)
    let tensor = try #require(try interpreter.evaluate("[[1, 2], [3, 4]]").tensor)
    #expect(tensor.shape == [2, 2])
    #expect(tensor.scalars == [1, 2, 3, 4])
    let list = try #require(try interpreter.evaluate("[1, \"a\"]").list)
    #expect(list.count == 2)
    #expect(list[1].string == "a")
    let record = try #require(try interpreter.evaluate("{b: 1, a: true}").record)
    #expect(record.map(\.0) == ["b", "a"])
    #expect(record[1].1.bool == true)
    #expect(try interpreter.evaluate("nil").number == nil)
    #expect(try interpreter.evaluate("nil").typeName == "nil")
  }
}

/// Tensor limits in the options, and host functions that check their arguments.
struct TensorLimitTests {
  private func failure(_ script: String, _ options: InterpreterOptions) -> Diagnostic? {
    do {
      try Interpreter(options: options).run(script, name: "limits.nn")
      return nil
    } catch {
      return error.diagnostics.first
    }
  }

  @Test func aTensorPastTheElementLimitIsADiagnostic() {
    let options = InterpreterOptions(maxTensorElements: 1_000)
    #expect(failure("let small = zeros(10, 10)", options) == nil)
    let diagnostic = failure("let big = zeros(100, 100)", options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.contains("10000 elements, more than the limit of 1000") == true)
    #expect(failure("let a = ones(40, 40)", options)?.code == .resourceLimit)
    #expect(failure("let a = ones(20, 1) @ ones(1, 100)", options)?.code == .resourceLimit)
  }

  @Test func liveTensorBytesPastTheLimitAreADiagnostic() {
    // Another test's tensors may be alive in this process too, so the limit is measured from
    // what is alive now.
    let options = InterpreterOptions(maxLiveTensorBytes: Tensor.liveBytes + 64 << 20)
    let script = "let keep = []\nfor i in 0..<100 { keep = append(keep, zeros(1000, 1000)) }"
    let diagnostic = failure(script, options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.hasPrefix("a tensor of shape [1000, 1000] would take") == true)
  }

  @Test func aHostFunctionRejectsArgumentsOfTheWrongType() throws {
    struct WrongType: Error, CustomStringConvertible {
      var description: String { "celsius must be a number" }
    }
    let interpreter = Interpreter()
    try interpreter.register("to_fahrenheit", parameters: ["celsius"]) { call in
      let arguments = call.arguments
      guard let celsius = arguments["celsius"]?.number else { throw WrongType() }
      return .number(celsius * 9 / 5 + 32)
    }
    #expect(throws: Never.self) {
      try interpreter.run("assert(to_fahrenheit(100) == 212)", name: "ok.nn")
    }
    do {
      try interpreter.run("to_fahrenheit(\"hot\")", name: "bad.nn")
      Issue.record("the host function accepted a string")
    } catch {
      #expect(error.diagnostics.first?.message == "to_fahrenheit: celsius must be a number")
    }
  }
}

