import Foundation
import Testing

/// The resource limits of `nn run` and the REPL: each reached limit is a diagnostic at the line
/// that reached it (status 1), never an out-of-memory kill or a stack overflow; bad values are
/// usage errors (status 2).
@Suite struct LimitTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  func run(_ arguments: String..., input: String? = nil) throws -> NNExecutable.Outcome {
    try nn.run(arguments, input: input, in: scratch.url)
  }

  @Test func memoryPastTheLimitIsADiagnosticAtTheLine() throws {
    let outcome = try run(
      "--max-memory", "100M", "-e",
      "let keep = []\nfor i in 0..<100 { keep = append(keep, zeros(1000, 1000)) }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("more than the limit of 104857600 (100 MiB)"))
    #expect(outcome.errors.contains("<-e>:2:"))
  }

  /// A model's parameters count towards the memory limit: 4 × 2048² weights are 64 MiB.
  @Test func aModelPastTheMemoryLimitIsADiagnosticAtTheModel() throws {
    let outcome = try run(
      "--max-memory", "32MiB", "-e",
      "model m(2048) { dense(2048); dense(2048); dense(2048); dense(2048) }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("live tensors and model parameters hold"))
    #expect(outcome.errors.contains("(32 MiB)"))
  }

  /// A model of 10¹¹ parameters fails at declaration, before anything is allocated.
  @Test func aModelOfAHundredBillionParametersIsRefused() throws {
    let outcome = try run("-e", "model m(100000) { dense(1000000) }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("more than the 268435456 elements a tensor may hold"))
    #expect(!outcome.crashed)
  }

  @Test func aTrillionElementTensorIsRefused() throws {
    let outcome = try run("-e", "let t = zeros(1000000, 1000000)")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("has more than the limit of 268435456 elements"))
  }

  @Test func theTensorElementLimitCanBeLowered() throws {
    let outcome = try run("--max-tensor-elements", "10", "-e", "print(zeros(3, 4))")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("has 12 elements, more than the limit of 10"))
  }

  @Test func unboundedRecursionStopsAtTheCallDepth() throws {
    let outcome = try run("--max-call-depth", "50", "-e", "fn f(x) { return f(x) }\nf(1)")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("too many nested calls (the limit is 50)"))
    #expect(!outcome.crashed)
  }

  @Test func anEndlessLoopStopsAtTheTimeLimit() throws {
    let outcome = try run("--time-limit", "0.3", "-e", "while true { }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("the script ran past its time limit of 0.3 s"))
  }

  /// Slow steps between the evaluator's polls: the limit holds within each built-in and
  /// operator, not only every few thousand steps (each of these ran 20 s or more past it).
  @Test(arguments: [
    ("let a = randn(1000, 1000)\nfor i in 0..<100000 { let c = a @ a }", "<-e>:2:31"),
    ("let d = moons(n: 40000, noise: 0.1, seed: 0)\n"
      + "model net(2) { dense(512, relu); dense(512, relu); dense(1, sigmoid) }\n"
      + "evaluate(net, d)", "<-e>:3:1"),
    ("model net(4) { dense(64, tanh); dense(64, tanh); dense(1) }\n"
      + "gradcheck(net, randn(64, 4), randn(64, 1))", "<-e>:2:1"),
    // Each crash-safe save syncs the disk: a few milliseconds, 4,096 steps apart.
    ("for i in 0..<100000 { write(\"w.txt\", \"abc\") }", "<-e>:1:23"),
  ])
  func aSlowBuiltinStopsAtTheTimeLimit(script: String, location: String) throws {
    let start = Date()
    let outcome = try run("--time-limit", "0.5", "-e", script)
    #expect(Date().timeIntervalSince(start) < 12)
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("the script ran past its time limit of 0.5 s"))
    #expect(outcome.errors.contains(location))
  }

  /// A model body's loops run through the evaluator's own statements and stop like any loop.
  @Test func anEndlessLoopInAModelBodyStopsAtTheTimeLimit() throws {
    let outcome = try run("--time-limit", "1", "-e", "model m(2) { while true { } }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("the script ran past its time limit of 1 s"))
    #expect(outcome.errors.contains("<-e>:1:"))
  }

  /// The limits apply to standard input run entry by entry, as in the REPL.
  @Test func theLimitsApplyToTheREPLToo() throws {
    let outcome = try run("--max-tensor-elements", "10", input: "zeros(2, 2)\nzeros(4, 4)\n")
    #expect(outcome.status == 1)
    #expect(outcome.output.contains("[[0, 0],"))
    #expect(outcome.errors.contains("has 16 elements, more than the limit of 10"))
  }

  @Test(arguments: [["--max-memory", "0"], ["--max-memory", "lots"], ["--max-memory", "-1G"],
                    ["--max-tensor-elements", "0"], ["--max-call-depth", "0"],
                    ["--time-limit", "0"], ["--time-limit", "nan"]])
  func badLimitsAreUsageErrors(arguments: [String]) throws {
    let outcome = try nn.run(arguments + ["-e", "1"], in: scratch.url)
    #expect(outcome.status == 2)
    #expect(outcome.output.isEmpty)
  }

  @Test(arguments: ["1.5G", "512MiB", "64kb", "1048576"])
  func sizesTakeUnits(size: String) throws {
    let outcome = try run("--max-memory", size, "-e", "print(1)")
    #expect(outcome.status == 0)
    #expect(outcome.output == "1\n")
  }

  @Test func helpListsTheLimits() throws {
    let outcome = try run("run", "--help")
    for option in ["--max-memory", "--max-tensor-elements", "--max-call-depth", "--time-limit"] {
      #expect(outcome.output.contains(option))
    }
  }
}
