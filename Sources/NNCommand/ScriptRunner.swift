import Foundation
import NNDistributed
import NNScript

/// Runs and checks scripts through NNScript's public API and turns the outcome into an exit
/// status, with script output on standard output and diagnostics on standard error.
///
/// No thread of our own with a large stack: `Interpreter` already evaluates on one, so deep
/// recursion in a script meets the interpreter's call-depth diagnostic whatever thread calls it.
enum ScriptRunner {
  /// Runs `text` as a script called `name` (`<-e>`, `<stdin>`).
  static func run(_ text: String, name: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments, script: Array(text.utf8)) {
      interpreter throws(ScriptError) in
      try interpreter.run(text, name: name)
    }
  }

  /// Runs the script at `path`; one that cannot be read is a failed script (status 1), reported
  /// by the interpreter as a diagnostic, not a usage error.
  static func runFile(_ path: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments, script: scriptBytes(path)) {
      interpreter throws(ScriptError) in
      try interpreter.runFile(path)
    }
  }

  /// `nn ir FILE`: runs the script, then prints the compiled plan of every model it declared.
  static func printPlans(_ path: String, arguments: [String]) -> Int32 {
    runReporting(arguments: arguments, script: scriptBytes(path)) {
      interpreter throws(ScriptError) in
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
    // Under mpirun every rank checks the same file: rank 0 reports (no MPI is started).
    if (DistributedLaunch.launchedRank() ?? 0) == 0 {
      StandardStreams.writeDiagnostics(ScriptError(diagnostics))
    }
    let failed = diagnostics.contains { $0.severity == .error }
    return failed ? ExitStatus.scriptFailure : ExitStatus.success
  }

  /// The bytes of the script at `path` (empty when it cannot be read: the interpreter then
  /// reports why), for the ranks of an MPI job to compare.
  private static func scriptBytes(_ path: String) -> [UInt8] {
    // Not a FIFO or a device either: reading one would block before the interpreter refuses it.
    guard DistributedLaunch.launchedRanks() != nil, FileKind.refusal(atPath: path) == nil
    else { return [] }
    return FileManager.default.contents(atPath: path).map { Array($0) } ?? []
  }

  /// Makes an interpreter whose output goes to standard output, runs `body` with it, and reports
  /// a failure's diagnostics. Under mpirun the process first joins the job, whose ranks then
  /// train together (`script` is compared across them) and agree at the end on what to report.
  private static func runReporting(
    arguments: [String], script: [UInt8], _ body: (Interpreter) throws(ScriptError) -> Void
  ) -> Int32 {
    Interrupts.install()
    var options = InterpreterOptions.commandLine(arguments: arguments)
    let job: MPIJob?
    switch MPIJob.join() {
    case .failure(let failure):
      StandardStreams.writeError(failure.message)
      return ExitStatus.scriptFailure
    case .success(let joined):
      job = joined
    }
    if let job {
      if let message = job.checkSameRun(script: script, arguments: arguments) {
        // Every rank found the same disagreement: one says it.
        if job.rank == 0 { StandardStreams.writeError(message) }
        job.communicator.finalize()
        return ExitStatus.scriptFailure
      }
      options.communicator = job.communicator
      // mpirun hands every rank a pseudo-terminal even when its own output goes to a file, so
      // a rank cannot tell whether a live bar would reach a terminal: epoch lines only.
      options.trainingProgress = nil
    }
    var status = ExitStatus.success
    var failure: ScriptError?
    do throws(ScriptError) {
      try body(Interpreter(options: options))
    } catch {
      failure = error
      let interrupted = error.diagnostics.contains { $0.code == .interrupted }
      status = interrupted ? Interrupts.exitStatus : ExitStatus.scriptFailure
    }
    if let job { return job.finish(status: status, diagnostics: failure) }
    if let failure { StandardStreams.writeDiagnostics(failure) }
    return status
  }
}
