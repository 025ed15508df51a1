import Foundation
import Testing

@testable import NNScript

/// A model body runs through the evaluator's own statements, so its loops count steps and stop
/// on the step limit, the time limit and cancel() like every other loop, even when empty.
@Suite struct ModelBodyLoopTests {
  static let endless = [
    "model m(2) { while true { } }",
    "model m(2) { dense(2); while true { continue } }",
    "model m(2) { residual { for i in 0..<1000000000 { } } }",
    "model m(2) { if true { while true { } } }",
  ]

  @Test(arguments: endless)
  func anEmptyLoopInABodyStopsAtTheStepLimit(script: String) {
    let interpreter = Interpreter(options: InterpreterOptions(stepLimit: 10_000, timeLimit: 30))
    do {
      try interpreter.run(script, name: "body.nn")
      Issue.record("the loop was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .stepLimit)
    }
  }

  @Test func anEmptyLoopInABodyStopsAtTheTimeLimit() {
    let interpreter = Interpreter(options: InterpreterOptions(timeLimit: 0.3))
    do {
      try interpreter.run("model m(2) { while true { } }", name: "body.nn")
      Issue.record("the loop was not stopped")
    } catch {
      #expect(error.diagnostics.first?.code == .resourceLimit)
      #expect(error.diagnostics.first?.message.contains("time limit of 0.3 s") == true)
    }
  }

  @Test func cancelFromAnotherThreadStopsALoopInABody() {
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
      try interpreter.run("model m(2) { while true { } }", name: "body.nn")
      Issue.record("the loop was not cancelled")
    } catch {
      #expect(error.diagnostics.first?.code == .interrupted)
    }
  }
}
