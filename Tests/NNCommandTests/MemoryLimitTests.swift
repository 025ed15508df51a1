import Foundation
import Testing

/// Every allocation a script can size is asked of the memory limit before it is made (issue 16,
/// item 2): each reproducer ends in a diagnostic with status 1, never in `Fatal error: failed to
/// allocate`. The limits are small so that each check fires at once.
@Suite struct MemoryLimitTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  func run(_ arguments: String...) throws -> NNExecutable.Outcome {
    try nn.run(arguments, in: scratch.url)
  }

  func write(_ name: String, _ text: String) throws {
    try Data(text.utf8).write(to: scratch.url.appendingPathComponent(name))
  }

  private func expectRefusal(
    _ outcome: NNExecutable.Outcome, _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(outcome.status == 1, sourceLocation: sourceLocation)
    #expect(!outcome.crashed, sourceLocation: sourceLocation)
    #expect(outcome.errors.contains(message), "\(outcome.errors)", sourceLocation: sourceLocation)
    #expect(!outcome.errors.contains("Fatal error"), sourceLocation: sourceLocation)
  }

  @Test func irOfATrillionRowBatchIsADiagnostic() throws {
    expectRefusal(try run("-e", "ir(model(2) { dense(2) }, batch: 1e12)"),
                  "a batch of 1000000000000 through model needs more than")
  }

  @Test func aStringDoubledInALoopMeetsTheLimit() throws {
    let outcome = try run("--max-memory", "16M", "-e",
                          "let s = \"ab\"\nfor i in 0..<40 { s = s + s }")
    expectRefusal(outcome, "this string would take 32 MiB, more than the memory limit of 16 MiB")
    #expect(outcome.errors.contains("<-e>:2:23"))
  }

  @Test func aListDoubledInALoopMeetsTheLimit() throws {
    expectRefusal(try run("--max-memory", "16M", "-e",
                          "let s = [1, \"a\"]\nfor i in 0..<40 { s = s + s }"),
                  "this list would take")
  }

  /// `list(t)` makes a tensor per row, `list(range)` a value per number: asked before.
  @Test(arguments: ["let l = list(zeros(1e6))", "let l = list(0..<1e7)"])
  func aListOfManyValuesIsAskedForFirst(script: String) throws {
    expectRefusal(try run("--max-memory", "16M", "-e", script), "this list would take")
  }

  /// A tensor an op is about to make is asked for before it is allocated: the refusal names
  /// its shape (an op's result used to be allocated first and counted afterwards).
  @Test(arguments: [
    ("let t = zeros(1e8)", "a tensor of shape [100000000] would take 381.5 MiB"),
    ("let t = zeros(10000, 1) @ zeros(1, 10000)", "a tensor of shape [10000, 10000] would take"),
    ("let t = zeros(10000, 1) + zeros(1, 10000)", "a tensor of shape [10000, 10000] would take"),
  ])
  func aTensorIsAskedForBeforeItIsMade(script: String, message: String) throws {
    expectRefusal(try run("--max-memory", "64M", "-e", script), message)
  }

  /// A device that never ends is refused before it is read (only regular files are read);
  /// the memory limit is what a regular file that keeps growing meets.
  @Test(arguments: ["read(\"/dev/zero\")", "load_csv(\"/dev/zero\", target: 0)",
                    "load(\"/dev/zero\")"])
  func readingAnEndlessStreamIsRefused(script: String) throws {
    expectRefusal(try run("--max-memory", "16M", "-e", script),
                  "'/dev/zero': it is a character device, not a regular file")
  }

  @Test func aFileLargerThanTheLimitIsRefusedBeforeItIsRead() throws {
    try write("big.csv", "x,y\n" + String(repeating: "1,2\n", count: 600_000))
    expectRefusal(try run("--max-memory", "2M", "-e", "load_csv(\"big.csv\", target: \"y\")"),
                  "cannot read 'big.csv': reading it would take 2.3 MiB")
  }

  /// A CSV file that fits the limit as text but not as the floats it holds is refused first.
  @Test func aCSVFileTooLargeToLoadIsRefused() throws {
    try write("mid.csv", "x,y\n" + String(repeating: "1,2\n", count: 200_000))
    expectRefusal(try run("--max-memory", "2M", "-e", "load_csv(\"mid.csv\", target: \"y\")"),
                  "loading 'mid.csv' would take 3.1 MiB")
  }

  /// The parser takes many bytes per byte of source (a 200 MB file once asked for 2.9 GB).
  @Test func importingAFileTooLargeToParseIsRefused() throws {
    try write("big.nn", String(repeating: "let a = 1\n", count: 20_000))
    try write("main.nn", "import \"big.nn\"\nprint(a)")
    expectRefusal(try run("--max-memory", "2M", "main.nn"), "parsing 'big.nn' would take")
    expectRefusal(try run("--max-memory", "2M", "big.nn"), "parsing big.nn would take")
  }

  @Test func anLSTMOverManyStepsMeetsTheLimit() throws {
    expectRefusal(try run("--max-memory", "24M", "-e",
                          "let net = model([2000, 8]) { lstm(512) }\n"
                            + "print(net(zeros(1, 2000, 8)).shape)"),
                  "a kernel's scratch buffer would take")
  }

  /// A 1024-wide model on 16,384 rows under 64 MiB once used 329 MiB: the arena is asked for.
  @Test func aPlanArenaPastTheLimitIsRefused() throws {
    let outcome = try run("--max-memory", "24M", "-e",
                          "let net = model(1024) { dense(1024, relu)\ndense(10) }\n"
                            + "print(net(zeros(2048, 1024)).shape)")
    expectRefusal(outcome, "the plan's buffers would take")
    #expect(outcome.errors.contains("<-e>:3:11"))
  }

  @Test func theImplicitAdamAsksForItsStateFirst() throws {
    expectRefusal(try run("--max-memory", "40M", "-e",
                          "let net = model(2048) { dense(2048) }\n"
                            + "train net on dataset(zeros(4, 2048), zeros(4, 2048)) { epochs: 1 }"),
                  "the state of adam would take 32 MiB")
  }

  /// Under an address-space limit the default memory limit leaves room: every case above is a
  /// diagnostic with the limit nn picks itself.
  @Test(.disabled(if: NNExecutable.underAddressSanitizer, "ulimit -v cannot hold ASan"),
        arguments: [
    "let s = \"ab\"\nfor i in 0..<40 { s = s + s }",
    "let s = [1, \"a\"]\nfor i in 0..<40 { s = s + s }",
    "let l = list(zeros(1e8))",
    "let a = zeros(1e8)\nlet b = zeros(1e8)\nlet c = zeros(1e8)\nlet d = zeros(1e8)",
  ])
  func underAnAddressSpaceLimitNothingAborts(script: String) throws {
    let shell = URL(fileURLWithPath: "/bin/sh")
    let outcome = try runProgram(
      shell, ["-c", "ulimit -v 4000000 && exec \"$0\" -e \"$1\"", nn.url.path, script],
      in: scratch.url)
    expectRefusal(outcome, "more than the")
  }
}
