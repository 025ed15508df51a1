import Foundation
import Testing

/// Running scripts through `nn`: files, `-e`, standard input, `args`, `check`, and how output
/// and diagnostics reach the user. These need the evaluator.
@Suite struct ScriptRunTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  func run(_ arguments: [String], input: String? = nil) throws -> NNExecutable.Outcome {
    try nn.run(arguments, input: input, in: scratch.url)
  }

  // MARK: - Running

  @Test func evaluatesCodeGivenWithE() throws {
    let outcome = try run(["-e", "print(1 + 2)"])
    #expect(outcome.status == 0)
    #expect(outcome.output == "3\n")
    #expect(outcome.errors == "")
  }

  @Test func matrixProductPrintsRowPerLine() throws {
    let outcome = try run(["-e", "print([[1, 2], [3, 4]] @ [[5], [6]])"])
    #expect(outcome.status == 0)
    #expect(outcome.output == "[[17],\n [39]]\n")
  }

  @Test(arguments: [["run", "args.nn", "a", "b"], ["args.nn", "a", "b"]])
  func argumentsAfterTheFileAreBoundToArgs(arguments: [String]) throws {
    try scratch.write("args.nn", "print(args)\n")
    let outcome = try run(arguments)
    #expect(outcome.status == 0)
    #expect(outcome.output == "[\"a\", \"b\"]\n")
  }

  @Test(arguments: [["run", "args.nn", "--lr", "3"], ["args.nn", "--lr", "3"]])
  func argumentsThatLookLikeOptionsGoToTheScript(arguments: [String]) throws {
    try scratch.write("args.nn", "print(args)\n")
    let outcome = try run(arguments)
    #expect(outcome.status == 0)
    #expect(outcome.output == "[\"--lr\", \"3\"]\n")
  }

  @Test func argumentsAfterEGoToTheCode() throws {
    let outcome = try run(["-e", "print(args)", "x", "--y"])
    #expect(outcome.status == 0)
    #expect(outcome.output == "[\"x\", \"--y\"]\n")
  }

  @Test func noArgumentsRunsStandardInput() throws {
    let outcome = try run([], input: "let x = 2\nprint(x * 21)\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "42\n")
  }

  @Test(arguments: [["-", "a"], ["run", "-", "a"]])
  func dashRunsStandardInputAsOneScript(arguments: [String]) throws {
    let outcome = try run(arguments, input: "let x = 1\nprint(args, x)\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "[\"a\"] 1\n")
  }

  @Test func dashRunsStandardInputWithArguments() throws {
    let outcome = try run(["-", "a"], input: "print(args)\n")
    #expect(outcome.status == 0)
    #expect(outcome.output == "[\"a\"]\n")
  }

  // MARK: - Paths

  /// Makes `scripts/` and `data/` in the scratch folder, as a project laid out for
  /// `nn run scripts/t.nn data/x.csv` from its top folder would be.
  func makeProject(script: String) throws {
    for folder in ["scripts", "data"] {
      try FileManager.default.createDirectory(
        at: scratch.url.appendingPathComponent(folder), withIntermediateDirectories: true)
    }
    try scratch.write("scripts/t.nn", script)
    try scratch.write("data/x.csv", "a,b,label\n1,2,0\n3,4,1\n")
  }

  @Test func relativePathsAreTakenFromTheWorkingDirectoryNotTheScriptsFolder() throws {
    try makeProject(script: """
      let d = load_csv(args[0], classes: 2)
      print(d)
      write("out.txt", "written")
      save(model(2) { dense(2) }, "m.safetensors")
      plot([1, 2, 3], file: "loss.svg")
      print(read("out.txt"), load("m.safetensors"))
      """)
    let outcome = try run(["run", "scripts/t.nn", "data/x.csv"])
    #expect(outcome.errors == "")
    #expect(outcome.status == 0)
    #expect(outcome.output.hasPrefix(
      "<dataset 2 rows: x [2, 2], y [2], 2 classes>\nwritten <model"))
    for name in ["out.txt", "m.safetensors", "loss.svg"] {
      #expect(FileManager.default.fileExists(atPath: scratch.url.path + "/" + name), "\(name)")
      #expect(!FileManager.default.fileExists(atPath: scratch.url.path + "/scripts/" + name))
    }
  }

  @Test func aMissingFileIsNamedAsItWasLookedFor() throws {
    try makeProject(script: "load_csv(args[0])\n")
    // `x.csv` sits in data/, beside nothing the script's folder holds: the working directory
    // has no x.csv, and the message says which path was tried.
    let outcome = try run(["run", "scripts/t.nn", "./data/../x.csv"])
    #expect(outcome.status == 1)
    #expect(outcome.output == "")
    #expect(outcome.errors.hasPrefix(
      "error: cannot read 'x.csv': No such file or directory\n --> scripts/t.nn:1:10\n"))
  }

  @Test func importsStayRelativeToTheImportingFile() throws {
    try makeProject(script: "import \"lib.nn\"\nprint(helper)\n")
    try scratch.write("scripts/lib.nn", "let helper = 7\n")
    let outcome = try run(["run", "scripts/t.nn"])
    #expect(outcome.errors == "")
    #expect(outcome.output == "7\n")
  }

  @Test func bigOutputArrivesWhole() throws {
    let outcome = try run(["-e", "for i in 0..<20000 { print(i) }"])
    #expect(outcome.status == 0)
    let expected = (0..<20000).map { "\($0)\n" }.joined()
    // Compared as one Bool: a failure should not print 20,000 lines twice.
    let arrivedWhole = outcome.output == expected
    #expect(arrivedWhole, "got \(outcome.output.count) of \(expected.count) characters")
  }

  // MARK: - Failures

  @Test func syntaxErrorFailsWithARenderedDiagnostic() throws {
    let path = try scratch.write("broken.nn", "print(1 +)\n")
    let outcome = try run([path])
    #expect(outcome.status == 1)
    #expect(outcome.output == "")
    #expect(outcome.errors.contains("error:"))
    #expect(outcome.errors.contains("-->"))
    #expect(outcome.errors.contains("broken.nn:1:"))
    #expect(!outcome.errors.contains("\u{1B}"))
  }

  @Test func syntaxErrorOnStandardInputIsNamedStdin() throws {
    let outcome = try run([], input: "print(1 +)\n")
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("<stdin>:1:"))
  }

  @Test func syntaxErrorInECodeIsNamedE() throws {
    let outcome = try run(["-e", "print(1 +)"])
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("<-e>:1:"))
  }

  @Test func outputBeforeAnErrorIsKept() throws {
    let path = try scratch.write("late.nn", "print(\"before\")\nprint(undefined_name)\n")
    let outcome = try run([path])
    #expect(outcome.status == 1)
    #expect(outcome.output == "before\n")
    #expect(outcome.errors.contains("undefined_name"))
  }

  @Test func noColorKeepsDiagnosticsPlain() throws {
    let outcome = try nn.run(
      ["-e", "print(1 +)"], environment: ["NO_COLOR": "1"], in: scratch.url)
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("error:"))
    #expect(!outcome.errors.contains("\u{1B}"))
  }

  @Test func runawayRecursionIsADiagnosticNotACrash() throws {
    let outcome = try run(["-e", "fn down(n) { down(n + 1) }\ndown(0)"])
    #expect(!outcome.crashed)
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains("error:"))
  }

  // MARK: - check

  @Test func checkOfAGoodScriptIsSilentAndRunsNothing() throws {
    let path = try scratch.write("good.nn", "let x = 1\nprint(x + 1)\n")
    let outcome = try run(["check", path])
    #expect(outcome.status == 0)
    #expect(outcome.output == "")
    #expect(outcome.errors == "")
  }

  @Test func checkOfABadScriptFailsWithDiagnostics() throws {
    let path = try scratch.write("bad.nn", "print(\"start\")\nlet = 3\n")
    let outcome = try run(["check", path])
    #expect(outcome.status == 1)
    #expect(outcome.output == "")
    #expect(outcome.errors.contains("error:"))
    #expect(outcome.errors.contains("-->"))
    #expect(outcome.errors.contains("bad.nn:2:"))
  }

  @Test func checkFailsOnAShapeErrorWithTheDiagnosticOfTheRun() throws {
    let script = "model m([1, 8, 8]) {\n  conv2d(4, 3)\n  dense(10)\n}\n"
    let path = try scratch.write("shapes.nn", script)
    let checked = try run(["check", path])
    let ran = try run(["run", path])
    #expect(checked.status == 1)
    #expect(checked.output == "")
    #expect(checked.errors.contains("shapes.nn:3:3"))
    #expect(checked.errors == ran.errors)
  }

  @Test func checkWarnsOfADiscardedResultAndStillSucceeds() throws {
    let path = try scratch.write("warn.nn", "let l = [1]\nappend(l, 2)\n")
    let outcome = try run(["check", path])
    #expect(outcome.status == 0)
    #expect(outcome.errors.hasPrefix("warning: the result of append is discarded"))
  }

  // MARK: - Pipes

  @Test func closedOutputPipeEndsQuietly() throws {
    let process = Process()
    process.executableURL = nn.url
    process.arguments = ["-e", "for i in 0..<1000000 { print(i) }"]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read a little, then go away like `head` does.
    _ = output.fileHandleForReading.availableData
    try output.fileHandleForReading.close()
    process.waitUntilExit()
    let errorText = String(
      decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0)
    #expect(errorText == "")
  }
}
