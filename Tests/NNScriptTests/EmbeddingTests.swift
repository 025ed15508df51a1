import Foundation
import Testing

@testable import NNScript

/// The embedding API beyond `run`: values in and out, and cancelling from another thread.
struct EmbeddingTests {
  @Test func definedValuesAreVisibleToScriptsAndResultsToTheHost() throws {
    let interpreter = Interpreter()
    interpreter.define("rate", .number(0.5))
    try interpreter.run("let doubled = rate * 2", name: "host.nn")
    guard case .number(let doubled)? = interpreter.value(named: "doubled") else {
      Issue.record("doubled is not a number")
      return
    }
    #expect(doubled == 1)
    #expect(interpreter.value(named: "missing") == nil)
  }

  /// A cancel that arrives while a host function runs a script of its own stops the outer
  /// script too: the inner run used to clear the request as if a new run were starting.
  @Test func aCancelDuringAHostFunctionThatRunsAScriptIsNotLost() throws {
    let interpreter = Interpreter()
    let handle = interpreter.cancellation
    try interpreter.register("inner", parameters: []) { [unowned interpreter] _ in
      handle.cancel()
      return try interpreter.evaluate("1 + 1", name: "inner.nn")
    }
    do {
      try interpreter.run("let i = 0\ninner()\nwhile i < 1e7 { i += 1 }", name: "outer.nn")
      Issue.record("the cancel was lost")
    } catch {
      #expect(error.diagnostics.first?.code == .interrupted)
    }
  }

  /// The time limit counts from the start of the outermost run, host functions' runs included.
  @Test func aHostFunctionsRunDoesNotRestartTheTimeLimit() throws {
    var options = InterpreterOptions()
    options.timeLimit = 0.2
    let interpreter = Interpreter(options: options)
    try interpreter.register("inner", parameters: []) { [unowned interpreter] _ in
      try interpreter.evaluate("1", name: "inner.nn")
    }
    let start = Date()
    do {
      // Finite, so that without the fix the test fails instead of hanging.
      try interpreter.run("for i in 0..<200000 { inner() }", name: "outer.nn")
      Issue.record("the time limit never fired")
    } catch {
      #expect(error.diagnostics.first?.code == .resourceLimit)
    }
    #expect(Date().timeIntervalSince(start) < 20)
  }

  @Test func cancelFromAnotherThreadStopsALoop() throws {
    let interpreter = Interpreter()
    let handle = interpreter.cancellation
    // Cancels again and again for a while, so a request that lands before the run starts
    // (and is dropped by it) cannot leave the loop running forever.
    DispatchQueue.global().async {
      for _ in 0..<200 {
        Thread.sleep(forTimeInterval: 0.05)
        handle.cancel()
      }
    }
    do {
      try interpreter.run("let i = 0\nwhile true { i += 1 }", name: "loop.nn")
      Issue.record("the loop was not cancelled")
    } catch {
      #expect(error.diagnostics.first?.code == .interrupted)
    }
    // The session survives, with what the loop computed.
    guard case .number(let i)? = interpreter.value(named: "i") else {
      Issue.record("i is gone")
      return
    }
    #expect(i > 0)
    // A later run is not cancelled by the old request.
    try interpreter.run("i = 1", name: "after.nn")
  }

  @Test func cancelStopsTrainingAfterTheCurrentBatch() throws {
    let interpreter = Interpreter()
    let handle = interpreter.cancellation
    DispatchQueue.global().async {
      for _ in 0..<200 {
        Thread.sleep(forTimeInterval: 0.05)
        handle.cancel()
      }
    }
    do {
      try interpreter.run("""
        seed(0)
        model net(2) { dense(16, tanh); dense(1, sigmoid) }
        train net on xor() { epochs: 100000000, progress: false }
        """, name: "train.nn")
      Issue.record("training was not cancelled")
    } catch {
      #expect(error.diagnostics.first?.code == .interrupted)
      #expect(error.diagnostics.first?.message.contains("training interrupted at epoch") == true)
    }
    #expect(interpreter.value(named: "net") != nil)
  }
}
