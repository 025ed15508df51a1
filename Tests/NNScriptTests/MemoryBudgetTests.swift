import Foundation
import Synchronization
import Testing

import NNRuntime
@testable import NNScript

/// Memory limits per interpreter (issue 16, item 9) and the allocations a limit refuses before
/// they happen (item 2), through the embedding API.
struct MemoryBudgetTests {
  private func failure(_ script: String, _ options: InterpreterOptions) -> Diagnostic? {
    do {
      try Interpreter(options: options).run(script, name: "limits.nn")
      return nil
    } catch {
      return error.diagnostics.first
    }
  }

  /// B holds 48 MB of tensors while A, on another thread under a 64 MiB limit, makes 40 MB of
  /// its own: with one process-wide count, A's limit failed on B's tensors.
  @Test func twoInterpretersOnTwoThreadsCountOnlyTheirOwnMemory() throws {
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let limits = InterpreterOptions(maxLiveTensorBytes: 64 << 20)
    let outcome = Mutex<String?>(nil)
    let other = Thread {
      let b = Interpreter(options: limits)
      do throws(HostRegistrationError) {
        try b.register("hold", parameters: []) { _ in
          holding.signal()
          release.wait()
          return .nil
        }
      } catch {
        outcome.withLock { $0 = error.description }
      }
      do throws(ScriptError) {
        try b.run("let kept = zeros(12000000)\nhold()", name: "b.nn")
      } catch {
        let text = error.rendered()
        outcome.withLock { $0 = text }
      }
      holding.signal()
    }
    other.stackSize = 1 << 20
    other.start()
    holding.wait()
    let a = Interpreter(options: limits)
    var message: String?
    do {
      try a.run("let mine = zeros(1000, 5000)\nlet more = mine + 1",
                name: "a.nn")
    } catch {
      message = error.rendered()
    }
    release.signal()
    holding.wait()
    #expect(message == nil)
    #expect(outcome.withLock { $0 } == nil)
  }

  /// Each interpreter still meets its own limit, while another holds memory.
  @Test func eachInterpreterMeetsItsOwnLimit() {
    let options = InterpreterOptions(maxLiveTensorBytes: 16 << 20)
    let diagnostic = failure("let a = zeros(1000, 1000)\nlet b = zeros(1000, 4000)", options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.hasPrefix("a tensor of shape [1000, 4000] would take") == true)
  }

  /// A plan's arena is asked for before it is allocated: the batch that sized it is the error.
  @Test func aPlanTooLargeForTheLimitIsRefusedBeforeItsArena() {
    let options = InterpreterOptions(maxLiveTensorBytes: 16 << 20)
    let script = "let net = model(256) { dense(1024, relu)\ndense(1024) }\n"
      + "let y = net(zeros(2048, 256))"
    let diagnostic = failure(script, options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.hasPrefix("the plan's buffers would take") == true)
    let location = diagnostic?.location
    #expect(location.map { $0.source.text($0.range) } == "zeros(2048, 256)")
  }

  /// `ir` compiles without an input: a batch of 10^12 is a diagnostic, not a failed allocation
  /// of 8 TB for an input nobody runs.
  @Test func irOfAHugeBatchIsADiagnostic() {
    let diagnostic = failure("ir(model(2) { dense(2) }, batch: 1e12)", InterpreterOptions())
    #expect(diagnostic?.code == .resourceLimit)
  }

  /// The implicit `adam()` of `train` asks for its state first.
  @Test func optimizerStateIsAskedForBeforeItIsMade() {
    let options = InterpreterOptions(maxLiveTensorBytes: 24 << 20)
    let script = "let net = model(2048) { dense(2048) }\n"
      + "train net on dataset(zeros(4, 2048), zeros(4, 2048)) { epochs: 1 }"
    let diagnostic = failure(script, options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.hasPrefix("the state of adam would take 32 MiB") == true)
  }

  /// Strings and lists that would not fit what is left are refused before they are built.
  @Test(arguments: [
    ("let s = \"ab\"\nfor i in 0..<40 { s = s + s }", "this string would take"),
    ("let s = \"ab\"\nfor i in 0..<40 { s = \"{s}{s}\" }", "this string would take"),
    ("let s = [1, \"a\"]\nfor i in 0..<40 { s = s + s }", "this list would take"),
  ])
  func doublingAStringOrListMeetsTheLimit(script: String, message: String) {
    let options = InterpreterOptions(maxLiveTensorBytes: 8 << 20)
    let diagnostic = failure(script, options)
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.hasPrefix(message) == true)
  }

  /// `maxTensorElements` bounds what a model, a data set or a conversion holds, too.
  @Test(arguments: [
    "let d = iris()", "let n = model(4) { dense(8) }", "let t = tensor(list(0..<20))",
  ])
  func theElementLimitBoundsModelsDataSetsAndConversions(script: String) {
    let diagnostic = failure(script, InterpreterOptions(maxTensorElements: 10))
    #expect(diagnostic?.code == .resourceLimit)
    #expect(diagnostic?.message.contains("more than the limit of 10") == true)
  }

  /// A host function that takes its interpreter as a parameter does not keep it alive.
  @Test func aHostFunctionGivenItsInterpreterDoesNotLeakIt() throws {
    weak var released: Interpreter?
    do {
      let interpreter = Interpreter()
      try interpreter.register("answer", parameters: []) { interpreter, _ in
        interpreter.value(named: "base") ?? .nil
      }
      try interpreter.run("let base = 41\nassert(answer() == 41)", name: "host.nn")
      released = interpreter
    }
    #expect(released == nil)
  }
}
