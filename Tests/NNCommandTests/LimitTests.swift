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
    // Asked for before the 1000 × 1000 tensor that would pass it is made.
    #expect(outcome.errors.contains(
      "a tensor of shape [1000, 1000] would take 3.8 MiB, more than the memory limit of 100 MiB"))
    #expect(outcome.errors.contains("<-e>:2:"))
  }

  /// A model's parameters count towards the memory limit: 4 × 2048² weights are 64 MiB, asked
  /// for before the store is allocated.
  @Test func aModelPastTheMemoryLimitIsADiagnosticAtTheModel() throws {
    let outcome = try run(
      "--max-memory", "32MiB", "-e",
      "model m(2048) { dense(2048); dense(2048); dense(2048); dense(2048) }")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("the parameters of m would take 64 MiB"))
    #expect(outcome.errors.contains("the memory limit of 32 MiB"))
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

  /// Under `ulimit -v` the interpreter cannot map its 1 GiB stack and runs on the main
  /// thread's 8 MiB: recursion stops at what that stack holds, with a diagnostic, where it
  /// used to run on towards 1,000 calls and overflow (SIGSEGV).
  @Test(.disabled(if: NNExecutable.underAddressSanitizer, "ulimit -v cannot hold ASan"))
  func recursionOnASmallStackStopsBeforeTheStackEnds() throws {
    let script = "fn f(n) { if n == 0 { return 0 }\n return 1 + f(n - 1) }\nprint(f(100000))"
    let outcome = try runProgram(
      URL(fileURLWithPath: "/bin/bash"),
      ["-c", "ulimit -v 600000; exec \"$0\" -e \"$1\"", nn.url.path, script],
      in: scratch.url)
    #expect(!outcome.crashed, "\(outcome.errors)")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("too many nested calls for this thread's stack"),
            "\(outcome.errors)")
    #expect(outcome.errors.contains("<-e>:2:13"))
  }

  /// A flat sum of 10,000 operands is no nesting: it parses, and it evaluates in a loop, even
  /// on the 8 MiB stack the interpreter falls back to under `ulimit -v`.
  @Test(.disabled(if: NNExecutable.underAddressSanitizer, "ulimit -v cannot hold ASan"))
  func aLongFlatSumRunsOnASmallStack() throws {
    let script = "print(" + Array(repeating: "1", count: 10_000).joined(separator: " + ") + ")"
    let outcome = try runProgram(
      URL(fileURLWithPath: "/bin/bash"),
      ["-c", "ulimit -v 600000; exec \"$0\" -e \"$1\"", nn.url.path, script],
      in: scratch.url)
    #expect(!outcome.crashed, "\(outcome.errors)")
    #expect(outcome.status == 0, "\(outcome.errors)")
    #expect(outcome.output == "10000\n")
    // `nn check` walks the chain in a loop too (it recursed once per link: ~5 KiB each).
    let file = scratch.url.appendingPathComponent("sum.nn")
    try ("fn f(x) { return " + Array(repeating: "x", count: 10_000).joined(separator: " + ")
      + " }\nprint(f(1))\n").write(to: file, atomically: true, encoding: .utf8)
    let checked = try runProgram(
      URL(fileURLWithPath: "/bin/bash"),
      ["-c", "ulimit -v 600000; exec \"$0\" check \"$1\"", nn.url.path, file.path],
      in: scratch.url)
    #expect(!checked.crashed, "\(checked.errors)")
    #expect(checked.status == 0, "\(checked.errors)")
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
    // One model call on a large batch runs in chunks of 1,024 rows, with a poll between them
    // (the whole call used to run to its end: about 100 s here).
    ("let x = zeros(100000, 64)\n"
      + "model m(64) { dense(1024, relu); dense(1024, relu); dense(1) }\n"
      + "let y = m(x)", "<-e>:3:11"),
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

  /// One large product runs in blocks of rows with a poll between them: 2 TFLOP used to run to
  /// its end (20 s or more here) before the limit was looked at.
  @Test func aSingleLargeProductStopsAtTheTimeLimit() throws {
    let start = Date()
    let outcome = try run("--time-limit", "3", "-e", "let a = zeros(10000, 10000)\nlet c = a @ a")
    #expect(Date().timeIntervalSince(start) < 10)
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("the script ran past its time limit of 3 s"))
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

  /// A negative value is the value, not a missing one, and a value past what the interpreter
  /// can honour is refused, never clamped to the most it can.
  @Test(arguments: [
    (["--time-limit", "-1"], "--time-limit must be a number of seconds above 0."),
    (["--max-call-depth", "-5"], "--max-call-depth must be a whole number from 1 to 1000."),
    (["--max-call-depth", "5000"], "--max-call-depth must be a whole number from 1 to 1000."),
    (["--max-tensor-elements", "999999999999"],
     "--max-tensor-elements must be a whole number from 1 to 268435456."),
    (["--max-memory", "-1G"], "The value '-1G' is invalid for '--max-memory <size>'"),
  ])
  func outOfRangeLimitsAreRefusedWithTheirRange(arguments: [String], message: String) throws {
    let outcome = try nn.run(arguments + ["-e", "print(1)"], in: scratch.url)
    #expect(outcome.status == 2)
    #expect(outcome.output.isEmpty)
    #expect(outcome.errors.contains(message), "\(outcome.errors)")
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
