import Foundation
import Testing

/// The command line itself: options, subcommands, usage errors and exit statuses. None of these
/// need a script to run.
@Suite struct CommandLineTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  func run(_ arguments: String..., input: String? = nil) throws -> NNExecutable.Outcome {
    try nn.run(arguments, input: input, in: scratch.url)
  }

  @Test func versionPrintsNameAndVersion() throws {
    let outcome = try run("--version")
    #expect(outcome.status == 0)
    #expect(outcome.output.hasPrefix("nn 0.1.0 (OpenBLAS "))
    #expect(outcome.output.hasSuffix(")\n"))
    #expect(outcome.errors == "")
  }

  @Test(arguments: [["--help"], ["-h"], ["help"], ["help", "run"], ["run", "--help"],
                    ["check", "--help"]])
  func helpGoesToStandardOutputWithSuccess(arguments: [String]) throws {
    let outcome = try nn.run(arguments, in: scratch.url)
    #expect(outcome.status == 0)
    #expect(outcome.output.contains("USAGE:"))
    #expect(outcome.errors == "")
  }

  @Test func rootHelpNamesEveryWayToRunAScript() throws {
    let outcome = try run("--help")
    for usage in ["nn [run] <file>", "nn -e <code>", "nn check <file>"] {
      #expect(outcome.output.contains(usage))
    }
  }

  @Test(arguments: [["--bogus"], ["run", "--bogus"], ["check", "--bogus", "f.nn"], ["check"],
                    ["-e"], ["check", "a.nn", "b.nn"]])
  func usageErrorsExitWithTwoAndExplainOnStandardError(arguments: [String]) throws {
    let outcome = try nn.run(arguments, in: scratch.url)
    #expect(outcome.status == 2)
    #expect(outcome.output == "")
    #expect(outcome.errors.contains("Usage:"))
  }

  /// `nn run` names a script: without one it does not fall back to reading standard input.
  @Test(arguments: [["run"], ["run", "--max-call-depth", "10"]])
  func runWithoutAFileIsAUsageError(arguments: [String]) throws {
    let outcome = try nn.run(arguments, input: "print(1)\n", in: scratch.url)
    #expect(outcome.status == 2)
    #expect(outcome.output == "")
    #expect(outcome.errors.contains("nn run needs a script file; use 'nn run -'"))
    #expect(outcome.errors.contains("Usage:"))
  }

  @Test func unknownOptionIsNamedInTheMessage() throws {
    let outcome = try run("--bogus")
    #expect(outcome.status == 2)
    #expect(outcome.errors.contains("--bogus"))
  }

  @Test(arguments: [["run", "missing.nn"], ["missing.nn"], ["check", "missing.nn"],
                    ["missing.nn", "a", "--b"]])
  func missingFileIsAScriptFailureNamingThePath(arguments: [String]) throws {
    let outcome = try nn.run(arguments, in: scratch.url)
    #expect(outcome.status == 1)
    #expect(outcome.output == "")
    #expect(outcome.errors.hasPrefix("error:"))
    #expect(outcome.errors.contains("missing.nn"))
  }

  @Test func directoryIsAScriptFailure() throws {
    let outcome = try run(scratch.url.path)
    #expect(outcome.status == 1)
    #expect(outcome.errors.contains(scratch.url.path))
  }

  @Test func missingFileErrorHasNoEscapeCodesWhenNotATerminal() throws {
    let outcome = try run("missing.nn")
    #expect(!outcome.errors.contains("\u{1B}"))
  }
}

/// Colour in diagnostics: only on a terminal and only without NO_COLOR. `script` gives `nn` a
/// pseudo-terminal for both output streams.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct TerminalColourTests {
  let nn: NNExecutable
  let scratch: ScratchDirectory

  init() throws {
    nn = try NNExecutable.locate()
    scratch = try ScratchDirectory()
  }

  /// Runs `nn missing.nn` on a terminal and returns what the terminal showed.
  func terminalOutput(environment: [String: String]) throws -> NNExecutable.Outcome {
    let command = "'\(nn.url.path)' missing.nn"
    return try runProgram(
      URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"],
      environment: environment, in: scratch.url)
  }

  @Test func diagnosticsAreColouredOnATerminal() throws {
    let outcome = try terminalOutput(environment: [:])
    #expect(outcome.status == 1)
    #expect(outcome.output.contains("\u{1B}["))
  }

  @Test func noColorTurnsColourOff() throws {
    let outcome = try terminalOutput(environment: ["NO_COLOR": "1"])
    #expect(outcome.status == 1)
    #expect(outcome.output.contains("error:"))
    #expect(!outcome.output.contains("\u{1B}"))
  }
}
