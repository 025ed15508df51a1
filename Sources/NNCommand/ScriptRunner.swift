import Foundation
import NNScript

/// Runs and checks scripts through NNScript's public API and turns the outcome into an exit
/// status, with script output on standard output and diagnostics on standard error.
///
/// No thread of our own with a large stack: `Interpreter` already evaluates on one, so deep
/// recursion in a script meets the interpreter's call-depth diagnostic whatever thread calls it.
enum ScriptRunner {
  /// Runs `text` as a script called `name` (`<-e>`, `<stdin>`).
  static func run(_ text: String, name: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments) { interpreter throws(ScriptError) in
      try interpreter.run(text, name: name)
    }
  }

  /// Runs the script at `path`; one that cannot be read is a failed script (status 1), reported
  /// by the interpreter as a diagnostic, not a usage error.
  static func runFile(_ path: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments) { interpreter throws(ScriptError) in
      try interpreter.runFile(path)
    }
  }

  /// `nn ir FILE`: runs the script, then prints the compiled plan of every model it declared.
  static func printPlans(_ path: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments) { interpreter throws(ScriptError) in
      try interpreter.runFile(path)
      for name in interpreter.modelNames {
        _ = try interpreter.evaluate("ir(\(name))", name: "<ir>")
      }
    }
  }

  /// Reads all of standard input and runs it as a script called `<stdin>`.
  static func runStandardInput(arguments: [String]) -> Int32 {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    return run(String(decoding: data, as: UTF8.self), name: "<stdin>", arguments: arguments)
  }

  /// Checks the script at `path` without running it. Prints its diagnostics, if any; fails only
  /// when one of them is an error, so warnings alone leave the status at 0.
  static func checkFile(_ path: String) -> Int32 {
    let diagnostics = Interpreter().checkFile(path)
    guard !diagnostics.isEmpty else { return ExitStatus.success }
    StandardStreams.writeDiagnostics(ScriptError(diagnostics))
    let failed = diagnostics.contains { $0.severity == .error }
    return failed ? ExitStatus.scriptFailure : ExitStatus.success
  }

  /// Makes an interpreter whose output goes to standard output, runs `body` with it, and reports
  /// a failure's diagnostics.
  private static func runReporting(
    arguments: [String], _ body: (Interpreter) throws(ScriptError) -> Void
  ) -> Int32 {
    Interrupts.install()
    let options = InterpreterOptions.commandLine(arguments: arguments)
    do throws(ScriptError) {
      try body(Interpreter(options: options))
      return ExitStatus.success
    } catch {
      StandardStreams.writeDiagnostics(error)
      let interrupted = error.diagnostics.contains { $0.code == .interrupted }
      return interrupted ? Interrupts.exitStatus : ExitStatus.scriptFailure
    }
  }
}
