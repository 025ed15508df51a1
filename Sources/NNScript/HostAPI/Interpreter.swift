import NNRuntime
import NNSyntax

@_exported import struct NNSyntax.Diagnostic
@_exported import struct NNSyntax.DiagnosticNote
@_exported import struct NNSyntax.SourceSpan
@_exported import enum NNSyntax.DiagnosticCode
@_exported import enum NNSyntax.DiagnosticRenderer

/// Options an embedding host gives the interpreter. The core does no I/O of its own: whatever a
/// script prints goes to `output`.
public struct InterpreterOptions: Sendable {
  /// Receives every piece of text a script prints (`print` adds its own line break).
  public var output: @Sendable (String) -> Void
  /// Bound to `args` in scripts.
  public var arguments: [String]
  /// Where relative paths are resolved: `runFile`'s, and every path a script gives `load_csv`,
  /// `read`, `write`, `save`, `load` and `plot(file:)`, as Python's `open` resolves them
  /// (`import` alone is relative to the importing file); `nil` is the process's working
  /// directory.
  public var workingDirectory: String?
  /// The most statements, calls and loop iterations one `run` may take; `nil` for no limit.
  public var stepLimit: Int?
  /// Polled while a script runs (every few thousand steps, and after every training batch):
  /// returning true stops it with an `.interrupted` diagnostic, keeping every value computed so
  /// far. A command line sets a flag from its SIGINT handler and returns it here.
  public var interruptRequested: @Sendable () -> Bool
  /// Receives live training progress (batch by batch) when set — a terminal host draws a bar.
  /// When nil, training prints one line per epoch through `output` instead.
  public var trainingProgress: (@Sendable (TrainingUpdate) -> Void)?
  /// Whether progress lines show elapsed seconds; off for reproducible transcripts.
  public var showsTimings: Bool
  /// The most elements one tensor a script makes may hold (never more than the runtime's
  /// own bound, 2^28): results of operators and built-ins, list-to-tensor conversion, the
  /// parameters of a model, the tensors `load`, `load_csv` and the built-in data sets make;
  /// `nil` for that bound alone.
  public var maxTensorElements: Int?
  /// The most bytes this interpreter's tensors, model parameters, optimizer state, compiled
  /// plans (arenas and scratch) and file buffers may hold together; strings, lists and the
  /// parser's input are refused when they would not fit what is left. Buffers whose size a
  /// script chooses are asked for before they are allocated, so passing the limit is a
  /// `.resourceLimit` diagnostic, never a failed allocation. The count is per interpreter:
  /// each counts what is allocated on its own evaluation thread.
  public var maxLiveTensorBytes: Int?
  /// Which files scripts may read and write (`.unrestricted` by default).
  public var fileAccess: FileAccessPolicy
  /// Seconds of wall time one `run` or `evaluate` may take; `nil` for no limit. Checked where
  /// interrupts are (every few thousand steps and after every training batch); running past it
  /// is a `.resourceLimit` diagnostic.
  public var timeLimit: Double?
  /// The most nested calls of script functions; clamped to the built-in limit (1,000).
  public var maxCallDepth: Int
  /// The most `maxCallDepth` can be: the depth the interpreter's own stack is sized for.
  public static let mostCallDepth = Limits.maxCallDepth
  /// The most `maxTensorElements` can be: what one tensor may ever hold.
  public static let mostTensorElements = Tensor.maxElements
  /// The processes this one trains with (an MPI job), or nil to train alone. With more than
  /// one rank, training shares each batch out among them, and only rank 0 prints, plots and
  /// writes files unless a call says `every_rank: true`; `rank()` and `ranks()` read it.
  public var communicator: (any Communicator)?

  /// Makes options; the defaults discard output and set no step, time or file limits.
  public init(
    output: @escaping @Sendable (String) -> Void = { _ in }, arguments: [String] = [],
    workingDirectory: String? = nil, stepLimit: Int? = nil,
    interruptRequested: @escaping @Sendable () -> Bool = { false },
    trainingProgress: (@Sendable (TrainingUpdate) -> Void)? = nil, showsTimings: Bool = true,
    fileAccess: FileAccessPolicy = .unrestricted, timeLimit: Double? = nil,
    maxCallDepth: Int = 1_000, maxTensorElements: Int? = nil, maxLiveTensorBytes: Int? = nil
  ) {
    self.maxTensorElements = maxTensorElements
    self.maxLiveTensorBytes = maxLiveTensorBytes
    self.output = output
    self.arguments = arguments
    self.workingDirectory = workingDirectory
    self.stepLimit = stepLimit
    self.interruptRequested = interruptRequested
    self.trainingProgress = trainingProgress
    self.showsTimings = showsTimings
    self.fileAccess = fileAccess
    self.timeLimit = timeLimit
    self.maxCallDepth = max(0, min(maxCallDepth, Limits.maxCallDepth))
  }
}

/// The one error type of the public API: the diagnostics of a failed parse or run.
public struct ScriptError: Error, Sendable {
  /// The diagnostics, in the order they were reported.
  public var diagnostics: [Diagnostic]

  /// Wraps the diagnostics of a failed parse or run.
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

  /// All diagnostics rendered with source lines and carets.
  public func rendered(color: Bool = false) -> String {
    diagnostics.map { DiagnosticRenderer.render($0, color: color) }.joined(separator: "\n")
  }
}

/// Runs `.nn` scripts. Holds the global scope, so successive calls share state (as the REPL
/// does). Not thread-safe: use one interpreter from one thread at a time. Each run evaluates on
/// a thread of its own with a large stack; host functions run there too. Interpreters on
/// different threads are independent, their memory limits included.
public final class Interpreter {
  let evaluator: Evaluator

  /// Makes an interpreter with an empty global scope and the given options.
  public init(options: InterpreterOptions = InterpreterOptions()) {
    self.evaluator = Evaluator(options: options)
  }

  /// The bytes of address space each run reserves for the evaluator's stack: a host sizing a
  /// memory limit under `RLIMIT_AS` leaves this much aside.
  public static var evaluationStackSize: Int { Limits.evaluationStackSize }

  /// The BLAS behind matrix products and the kernel it chose for this processor, such as
  /// "OpenBLAS Cooperlake": matrix-heavy work runs at that kernel's speed.
  public static var blasDescription: String { "OpenBLAS \(BLASLibrary.coreName)" }

  /// Runs a whole script; `name` is shown in diagnostics, and relative imports resolve from
  /// `folder`, or without one from the folder in `name` (from the working directory when
  /// `name` has none).
  @available(*, noasync, message: "it blocks its thread: use the async version")
  public func run(_ text: String, name: String, folder: String? = nil) throws(ScriptError) {
    _ = try execute(Source(name: name, text: text, folder: folder), markImported: nil)
  }

  /// Runs a script and returns the value of its last statement (the REPL's echo).
  @available(*, noasync, message: "it blocks its thread: use the async version")
  public func evaluate(_ text: String, name: String = "<input>") throws(ScriptError) -> Value {
    try execute(Source(name: name, text: text), markImported: nil)
  }

  /// Reads and runs the script at `path` (relative to the working directory option).
  @available(*, noasync, message: "it blocks its thread: use the async version")
  public func runFile(_ path: String) throws(ScriptError) {
    let source = try read(path)
    let resolved = FileAccess.resolve(path, relativeTo: evaluator.options.workingDirectory)
    _ = try execute(source, markImported: FileAccess.canonical(resolved))
  }

  /// The handle that stops a running `run` or `evaluate` from another thread.
  public var cancellation: CancellationHandle { evaluator.cancellation }

  /// The value bound to `name` at the top level, if any.
  public func value(named name: String) -> Value? {
    evaluator.globals.lookup(name)
  }

  /// Binds `name` at the top level, as `let name = value` would.
  public func define(_ name: String, _ value: Value) {
    evaluator.globals.declare(name, value)
  }

  /// Names of the models bound at the top level, sorted.
  public var modelNames: [String] {
    evaluator.globals.ownNames.filter { name in
      if case .object(let object)? = evaluator.globals.lookup(name) {
        return object is ModelObject
      }
      return false
    }
  }

  /// Parses and checks a script without running it; returns every diagnostic found.
  public func check(_ text: String, name: String) -> [Diagnostic] {
    let checker = Checker(options: evaluator.options, globals: evaluator.globals.visibleNames)
    return LargeStack.run { checker.check(Source(name: name, text: text)) }
  }

  /// Reads and checks the script at `path`; a file that cannot be read is one diagnostic.
  public func checkFile(_ path: String) -> [Diagnostic] {
    do {
      let source = try read(path)
      let checker = Checker(options: evaluator.options, globals: evaluator.globals.visibleNames)
      return LargeStack.run { checker.check(source) }
    } catch {
      return error.diagnostics
    }
  }

  // MARK: - Running

  private func read(_ path: String) throws(ScriptError) -> Source {
    let resolved = FileAccess.resolve(path, relativeTo: evaluator.options.workingDirectory)
    if let message = evaluator.checkFileAccess(resolved, write: false) {
      throw ScriptError([Diagnostic(code: .fileError, message: message)])
    }
    switch FileAccess.readText(resolved) {
    case .success(let text):
      return Source(name: path, text: text)
    case .failure(.cannotRead(let reason)):
      throw ScriptError([Diagnostic(code: .fileError,
                                    message: "cannot read '\(path)': \(reason)")])
    case .failure(.pastMemoryLimit(let reason)):
      throw ScriptError([Diagnostic(code: .resourceLimit,
                                    message: "cannot read '\(path)': \(reason)")])
    }
  }

  func execute(_ source: Source, markImported path: String?) throws(ScriptError) -> Value {
    let evaluator = self.evaluator
    let parsing = Limits.parserBytesPerSourceByte * source.bytes.count
    if !evaluator.memory.fits(parsing) {
      throw ScriptError([Diagnostic(
        code: .resourceLimit,
        message: evaluator.memory.refusal("parsing \(source.name)", bytes: parsing))])
    }
    return try onEvaluationThread { evaluator in self.evaluate(source, in: evaluator, path) }
  }

  /// Runs `work` as a run of this interpreter: on the large stack (parsing and evaluation
  /// recurse once per nesting level), with every allocation charged to this interpreter's
  /// budget, and polled for a stop. The outermost run starts the clock and drops a stale
  /// cancel, so a cancel made while it starts holds; a run that a host function starts inside
  /// another keeps both.
  func onEvaluationThread(
    _ work: @escaping (Evaluator) -> Result<Value, ScriptError>
  ) throws(ScriptError) -> Value {
    let evaluator = self.evaluator
    let outcome: Result<Value, ScriptError> = LargeStack.run {
      // Long eager operations (a large `a @ b`) ask this thread between blocks whether to stop.
      return MemoryBudget.$current.withValue(evaluator.memory) {
        StopRequest.withCheck({ evaluator.stopRequested }) {
          if evaluator.activeRuns == 0 {
            evaluator.steps = 0
            evaluator.runStart = .now
            evaluator.cancellation.clear()
          }
          evaluator.activeRuns += 1
          defer { evaluator.activeRuns -= 1 }
          // Each run measures its own thread's stack, and the outer run gets its floor back.
          let outerFloor = evaluator.stackFloor
          evaluator.stackFloor = LargeStack.floor()
          defer { evaluator.stackFloor = outerFloor }
          return work(evaluator)
        }
      }
    }
    return try outcome.get()
  }

  private func evaluate(
    _ source: Source, in evaluator: Evaluator, _ path: String?
  ) -> Result<Value, ScriptError> {
    // Parse time counts toward the time limit: the clock started before (onEvaluationThread).
    let parsed = Parser.parse(source)
    guard !parsed.diagnostics.contains(where: { $0.severity == .error }) else {
      return .failure(ScriptError(parsed.diagnostics))
    }
    // Parsing polls nothing: a stop asked for meanwhile is honoured before the first step.
    if evaluator.stopRequested {
      return .failure(ScriptError([evaluator.stopDiagnostic(at: nil)]))
    }
    if let path { evaluator.importStack.append(path) }
    defer { if path != nil { evaluator.importStack.removeLast() } }
    do throws(Unwind) {
      return .success(try evaluator.run(parsed.program, in: evaluator.globals))
    } catch {
      switch error {
      case .failure(let diagnostic):
        return .failure(ScriptError([diagnostic]))
      case .returning(let value, _):
        return .success(value)
      case .breakLoop(let range), .continueLoop(let range):
        return .failure(ScriptError([Diagnostic.error(
          .invalidControlFlow, "`break` and `continue` must be inside a loop", in: source,
          at: range)]))
      }
    }
  }
}
