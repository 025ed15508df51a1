import ArgumentParser
import Foundation
import NNDistributed
import NNScript

/// The version `nn --version` reports; the one place it is written.
let nnVersion = "0.1.0"

/// Exit statuses of `nn` (LANGUAGE.md §11).
enum ExitStatus {
  static let success: Int32 = 0
  /// The script (or the file holding it) failed: diagnostics are on standard error.
  static let scriptFailure: Int32 = 1
  /// The command line itself is wrong. ArgumentParser would use 64 (EX_USAGE); the language
  /// promises 2, as most Unix tools do.
  static let usage: Int32 = 2
}

/// A command that reports its own exit status rather than throwing, so that a failing script
/// (status 1) stays apart from ArgumentParser's usage errors (status 2).
protocol StatusCommand: ParsableCommand {
  func execute() -> Int32
}

/// The root command: `nn [run] FILE [ARGS...]`, `nn -e CODE`, `nn check FILE`.
struct NNTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nn",
    abstract: "Describe and train neural networks with small scripts.",
    usage: """
      nn [run] <file> [<args> ...]
      nn -e <code> [<args> ...]
      nn check <file>
      nn ir <file>
      nn run - [<args> ...] < script.nn
      nn < entries.nn
      """,
    discussion: """
      `args` in the script is bound to the list of <args>. Relative paths in the script
      (load_csv, read, write, save, load, plot's file:) are taken from the working directory;
      import paths from the importing file. '-' as <file> runs standard input as one script.
      With no file and no -e, nn starts the REPL on a terminal, and otherwise runs standard
      input entry by entry as the REPL would (exit status 1 if any entry failed); `nn run`
      with no file is a usage error.
      Exit status: 0 on success, 1 when the script fails, 2 for a usage error.
      Set NO_COLOR to turn off coloured diagnostics.
      """,
    version: "nn \(nnVersion) (\(Interpreter.blasDescription)"
      + (DistributedLaunch.libraryVersion.map { ", \($0)" } ?? "") + ")",
    subcommands: [RunCommand.self, CheckCommand.self, IRCommand.self],
    // `nn FILE ARGS...` and `nn -e CODE` are `nn run ...` without the word.
    defaultSubcommand: RunCommand.self
  )

  /// Parses `arguments` (without the program name), runs the command and returns the status.
  static func execute(_ arguments: [String]) -> Int32 {
    do {
      var command = try parseAsRoot(arguments)
      // `nn` alone is the REPL (or a piped session), but `nn run` names a file to run: without
      // one it is a usage error, not a silent read of standard input.
      if arguments.first == "run", let run = command as? RunCommand, run.names == nil {
        throw ValidationError(
          "nn run needs a script file; use 'nn run -' to run standard input as a script, "
            + "or 'nn' alone for the REPL.")
      }
      if let command = command as? any StatusCommand {
        return command.execute()
      }
      // Only ArgumentParser's own commands (`nn help`) get here; they end by throwing.
      try command.run()
      return ExitStatus.success
    } catch {
      return report(error)
    }
  }

  /// Prints a parse outcome: help and version to standard output (status 0), anything else to
  /// standard error as a usage error (status 2).
  private static func report(_ error: any Error) -> Int32 {
    let message = fullMessage(for: error)
    if exitCode(for: error) == .success {
      if !message.isEmpty { StandardStreams.output.write(message + "\n") }
      return ExitStatus.success
    }
    StandardStreams.writeError(message + "\n")
    return ExitStatus.usage
  }
}

/// `nn run FILE [ARGS...]`, `nn -e CODE [ARGS...]`, or a script on standard input.
struct RunCommand: StatusCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a script, with `args` bound to the arguments that follow it."
  )

  @Option(
    name: [.customShort("e"), .customLong("eval")],
    help: ArgumentHelp("Run CODE instead of a file.", valueName: "code"))
  var code: String?

  @OptionGroup(title: "Limits")
  var limits: LimitOptions

  @Argument(help: "The script to run; '-' reads it from standard input.")
  var file: String?

  // Everything after the file belongs to the script, even words that look like options
  // (`nn run train.nn --lr 3`).
  @Argument(
    parsing: .captureForPassthrough,
    help: ArgumentHelp("Bound to `args` in the script.", valueName: "args"))
  var arguments: [String] = []

  func validate() throws {
    // An unknown option before the file is captured as the file; it is a usage error, not a
    // script that cannot be found.
    if code == nil, let file, file.count > 1, file.hasPrefix("-") {
      throw ValidationError("Unknown option '\(file)'.")
    }
  }

  /// The script this names: a file, `-`, or `-e` code; nil when it names none (the REPL).
  var names: String? { code ?? file }

  func execute() -> Int32 {
    CommandLimits.current = limits.settings
    if let code {
      // With -e there is no file: every positional word is a script argument.
      let scriptArguments = (file.map { [$0] } ?? []) + arguments
      return ScriptRunner.run(code, name: "<-e>", arguments: scriptArguments)
    }
    guard let file else {
      if let ranks = DistributedLaunch.launchedRanks(), ranks > 1 {
        StandardStreams.writeError(
          "error: the REPL runs in one process; under mpirun give nn a script file "
            + "(mpirun -np \(ranks) nn run train.nn)\n")
        return ExitStatus.usage
      }
      // No file: a REPL session, interactive on a terminal, entry by entry from a pipe.
      if isatty(0) == 1 { return Repl.runInteractive(arguments: arguments) }
      return Repl.runPiped(arguments: arguments)
    }
    if file == "-" {
      return ScriptRunner.runStandardInput(arguments: arguments)
    }
    return ScriptRunner.runFile(file, arguments: arguments)
  }
}

/// `nn check FILE`: parse and check a script without running it; silent when it is clean.
struct CheckCommand: StatusCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Parse and check a script without running it; prints nothing when it is clean."
  )

  @Argument(help: "The script to check.")
  var file: String

  func execute() -> Int32 {
    ScriptRunner.checkFile(file)
  }
}

/// `nn ir FILE`: run a script, then print the compiled plan of each model it declared.
struct IRCommand: StatusCommand {
  static let configuration = CommandConfiguration(
    commandName: "ir",
    abstract: "Run a script, then print the compiled plan (kernels, buffers, arena) of each model."
  )

  @Argument(help: "The script declaring the models.")
  var file: String

  func execute() -> Int32 {
    ScriptRunner.printPlans(file, arguments: [])
  }
}
