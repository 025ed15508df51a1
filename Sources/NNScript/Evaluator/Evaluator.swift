import NNRuntime
import NNSyntax

/// Why evaluation left the normal path: an error, or control flow leaving a block.
// Never crosses threads: it unwinds the evaluator's own stack, so `Value` need not be Sendable.
enum Unwind: Error, @unchecked Sendable {
  case failure(Diagnostic)
  case breakLoop(SourceRange)
  case continueLoop(SourceRange)
  case returning(Value, SourceRange)
}

/// The tree-walking evaluator of the scripting layer. Networks never run through it sample by
/// sample: it only builds values and hands tensors to the runtime.
final class Evaluator {
  let options: InterpreterOptions
  let globals: Scope
  /// The source whose nodes are being evaluated; functions and imports switch it.
  var source: Source
  var random: RandomGenerator
  var callDepth = 0
  /// How far down its thread's stack evaluation may recurse (`LargeStack.floor()`), measured
  /// on the thread that runs it: the large stack's floor is never reached before the call-depth
  /// limit, the floor of a host's own stack (when no large one could be made) may be.
  var stackFloor = LargeStack.floor()
  var steps = 0
  /// `Interpreter` runs in progress: more than one while a host function runs a script.
  var activeRuns = 0
  /// Canonical paths of files imported so far, and the chain of imports in progress.
  var importedFiles: Set<String> = []
  /// What this rank (not rank 0) of a data-parallel run would have written, by resolved path:
  /// only rank 0 writes, and this rank's own later reads of those files see these bytes.
  var keptFiles: [String: [UInt8]] = [:]
  var importStack = ImportChain()
  /// Call sites of the functions being evaluated, innermost last, for error notes.
  var callSites: [(name: String, location: SourceSpan)] = []
  /// Where the layer statements of the model body being run deliver (nil outside bodies, and
  /// while a body computes a value).
  var layerSink: LayerSink?

  /// The bytes this interpreter's tensors, parameters, optimizer state and plans hold, against
  /// `maxLiveTensorBytes`: bound to the evaluating thread (`MemoryBudget.current`) while a run
  /// lasts, so another interpreter's allocations never count here.
  let memory: MemoryBudget

  /// Set by `Interpreter.cancel()` from another thread.
  let cancellation = CancellationHandle()

  /// Whether the host asked the script to stop: `cancel()`, or its own interrupt flag.
  var stopRequested: Bool {
    cancellation.isRequested || taskCancelled?.isRequested == true
      || options.interruptRequested() || pastTimeLimit
  }

  /// The cancel of the Swift `Task` an `async` run belongs to, while one runs: unlike
  /// `cancellation`, a run does not clear it when it starts, so a task cancelled before its
  /// run began still stops it.
  var taskCancelled: CancellationHandle?

  /// When the current `run` began, for `InterpreterOptions.timeLimit`.
  var runStart = ContinuousClock.now

  /// Whether the current run has taken longer than the host's time limit.
  var pastTimeLimit: Bool {
    guard let limit = options.timeLimit else { return false }
    let elapsed = runStart.duration(to: .now)
    let seconds = Double(elapsed.components.seconds)
      + Double(elapsed.components.attoseconds) * 1e-18
    return seconds > limit
  }

  /// The diagnostic message for a run stopped by its time limit.
  var timeLimitMessage: String {
    "the script ran past its time limit of \(formatNumber(options.timeLimit ?? 0)) s"
  }

  init(options: InterpreterOptions) {
    self.options = options
    self.memory = MemoryBudget(limit: options.maxLiveTensorBytes)
    self.globals = Scope(parent: nil)
    self.source = Source(name: "<none>", text: "")
    self.random = RandomGenerator(seed: Evaluator.entropySeed())
    Builtins.install(in: globals)
    globals.declare("args", .list(options.arguments.map { .string($0) }))
  }

  /// A seed from the system's randomness, for runs that never call `seed(n)`.
  static func entropySeed() -> UInt64 {
    var generator = SystemRandomNumberGenerator()
    return generator.next()
  }

  // MARK: - Errors

  func location(_ range: SourceRange) -> SourceSpan {
    SourceSpan(source: source, range: range)
  }

  func failure(
    _ code: DiagnosticCode, _ message: String, at range: SourceRange, hint: String? = nil
  ) -> Unwind {
    .failure(Diagnostic(code: code, message: message, at: location(range), hint: hint))
  }

  /// Counts one unit of work against the step budget.
  @inline(__always)
  func tick(_ range: SourceRange) throws(Unwind) {
    steps &+= 1
    if let limit = options.stepLimit, steps > limit {
      throw failure(.stepLimit, "the script ran past its limit of \(limit) steps", at: range)
    }
    // Polling costs a closure call, so only every 4,096 steps: still well under a millisecond
    // when steps are cheap. Slow steps (built-ins, tensor operators) poll again themselves.
    if steps & 4095 == 0 { try checkStop(range) }
  }

  /// Stops now if the host asked (Ctrl-C, `cancel()`, the time limit), whatever the step
  /// count: called after work that can take long, so one slow step cannot hold a stop off.
  func checkStop(_ range: SourceRange) throws(Unwind) {
    if stopRequested { throw .failure(stopDiagnostic(at: location(range))) }
  }

  /// The diagnostic of a stop: the time limit's, or an interruption's.
  func stopDiagnostic(at location: SourceSpan?) -> Diagnostic {
    pastTimeLimit
      ? Diagnostic(code: .resourceLimit, message: timeLimitMessage, at: location)
      : Diagnostic(code: .interrupted, message: "interrupted", at: location)
  }

  /// The host's tensor limits, checked where scripts make tensors (built-in results, operators,
  /// literals, model outputs).
  func checkTensorLimits(_ value: Value, range: SourceRange) throws(Unwind) {
    guard options.maxTensorElements != nil || options.maxLiveTensorBytes != nil else { return }
    if let limit = options.maxTensorElements,
       let shape = Self.largestShape(in: value), shape.reduce(1, *) > limit {
      throw failure(.resourceLimit,
                    "a tensor of shape \(shapeText(shape)) has \(shape.reduce(1, *)) elements, "
                      + "more than the limit of \(limit)", at: range)
    }
    if let limit = memory.limit, memory.heldBytes > limit {
      let live = memory.heldBytes
      throw failure(.resourceLimit,
                    "live tensors and model parameters hold \(live) bytes "
                      + "(\(describeBytes(live))), more than the limit of \(limit) "
                      + "(\(describeBytes(limit)))", at: range)
    }
  }

  /// The shape of the largest tensor `value` holds: itself, a model's parameters, a dataset's
  /// x and y, or a record's fields (what `load` returns). Lists are not walked: each element
  /// was checked when it was made.
  static func largestShape(in value: Value) -> [Int]? {
    var shapes: [[Int]] = []
    switch value {
    case .tensor(let t): shapes = [t.shape]
    case .object(let model as ModelObject): shapes = model.network.parameters.shapes
    case .object(let data as DatasetObject): shapes = [data.dataset.x.shape, data.dataset.y.shape]
    case .record(let record):
      shapes = record.names.compactMap { name in
        if case .tensor(let t)? = record[name] { return t.shape }
        return nil
      }
    default: return nil
    }
    return shapes.max { $0.reduce(1, *) < $1.reduce(1, *) }
  }

  /// Refuses, before it is built, a string, list or other value of about `bytes` that the
  /// memory limit has no room for: such values are not tensors, but a loop that doubles one
  /// would otherwise exhaust the machine.
  func checkValueBytes(_ bytes: Int, _ what: String, range: SourceRange) throws(Unwind) {
    guard !memory.fits(bytes) else { return }
    throw failure(.resourceLimit, memory.refusal(what, bytes: bytes), at: range)
  }

  /// The bytes a list of `count` values takes, each holding `each` bytes beyond its slot.
  static func listBytes(_ count: Int, eachHolding each: Int = 0) -> Int {
    let (bytes, overflow) = count.multipliedReportingOverflow(
      by: MemoryLayout<Value>.stride + each)
    return overflow ? .max : bytes
  }

  // MARK: - Programs and blocks

  /// Runs top-level statements in `scope`; the value is that of the last statement.
  func run(_ program: Program, in scope: Scope) throws(Unwind) -> Value {
    let saved = source
    source = program.source
    defer { source = saved }
    var last = Value.nil
    do {
      for statement in program.statements {
        last = try execute(statement, in: scope)
      }
    } catch {
      switch error {
      case .breakLoop(let range), .continueLoop(let range):
        throw failure(.invalidControlFlow, "`break` and `continue` must be inside a loop",
                      at: range)
      default:
        throw error
      }
    }
    return last
  }

  /// Runs a block in a fresh scope; its value is the value of its last statement.
  func run(_ block: Block, in parent: Scope) throws(Unwind) -> Value {
    try runStatements(of: block, in: Scope(parent: parent))
  }

  /// Runs a block's statements directly in `scope`, which the caller made fresh for it (a loop
  /// iteration's scope already holds the loop variable).
  func runStatements(of block: Block, in scope: Scope) throws(Unwind) -> Value {
    var last = Value.nil
    for statement in block.statements {
      last = try execute(statement, in: scope)
    }
    return last
  }

  // MARK: - Statements

  func execute(_ statement: Stmt, in scope: Scope) throws(Unwind) -> Value {
    try tick(statement.range)
    let outer = layerSink
    if let sink = outer {
      // Inside a model body: layer statements deliver to the sink; loops, `break` and
      // `continue` run as everywhere else (their bodies' statements come back here); the
      // statements that compute values run with the sink closed.
      switch statement.kind {
      case .expression(let expression):
        try deliverLayer(expression, to: sink, in: scope)
        return .nil
      case .namedLayer(let name, let layer):
        try deliverNamedLayer(name, layer, statement: statement.range, to: sink, in: scope)
        return .nil
      case .blockLayer(let name, let kind, let arguments, let body):
        try deliverBlockLayer(name, kind, arguments, body, statement: statement.range,
                              to: sink, in: scope)
        return .nil
      case .forLoop, .whileLoop, .breakLoop, .continueLoop, .function:
        break
      case .letBinding, .assignment, .model, .returnValue, .importFile:
        layerSink = nil
      }
    }
    defer { layerSink = outer }
    switch statement.kind {
    case .expression(let expression):
      return try evaluate(expression, in: scope)
    case .letBinding(let pattern, let expression):
      let value = try evaluate(expression, in: scope)
      try bind(pattern, to: value, in: scope, valueRange: expression.range)
      return .nil
    case .assignment(let target, let compound, let valueExpression):
      var value = try evaluate(valueExpression, in: scope)
      if let compound {
        let current = try evaluate(target, in: scope)
        value = try binary(compound, current, value, range: statement.range,
                           leftRange: target.range, rightRange: valueExpression.range)
      }
      try assign(value, to: target, in: scope)
      return .nil
    case .function(let declaration):
      let function = FunctionValue(declaration: declaration, closure: scope, source: source)
      // Declared before its body can run, so it may call itself.
      scope.declare(declaration.name?.name ?? "<anonymous>", .function(function))
      return .nil
    case .model(let declaration):
      let model = try buildModel(declaration, in: scope)
      try checkTensorLimits(.object(model), range: statement.range)
      scope.declare(declaration.name?.name ?? model.name, .object(model))
      return .nil
    case .forLoop(let pattern, let sequence, let body):
      try runFor(pattern, sequence, body, in: scope)
      return .nil
    case .whileLoop(let condition, let body):
      try runWhile(condition, body, in: scope)
      return .nil
    case .breakLoop:
      throw Unwind.breakLoop(statement.range)
    case .continueLoop:
      throw Unwind.continueLoop(statement.range)
    case .returnValue(let expression):
      let value = try expression.map { (e) throws(Unwind) in try evaluate(e, in: scope) } ?? .nil
      throw Unwind.returning(value, statement.range)
    case .importFile(let path, let pathRange):
      try importFile(path, range: pathRange, into: scope)
      return .nil
    case .namedLayer(let name, _), .blockLayer(let name?, _, _, _):
      throw failure(.invalidOperation, "a layer can only be named inside a model body",
                    at: name.range)
    case .blockLayer(_, let kind, _, _):
      throw failure(.invalidOperation, "`\(kind.name) { … }` can only appear inside a model body",
                    at: kind.range)
    }
  }

  // MARK: - Binding

  func bind(
    _ pattern: Pattern, to value: Value, in scope: Scope, valueRange: SourceRange
  ) throws(Unwind) {
    switch pattern {
    case .name(let identifier):
      scope.declare(identifier.name, value)
    case .tuple(let names, let range):
      let elements = try destructure(value, count: names.count, patternRange: range,
                                     valueRange: valueRange)
      for (identifier, element) in zip(names, elements) {
        scope.declare(identifier.name, element)
      }
    }
  }

  /// The elements `let (a, b) = value` takes apart: a list, or a tensor's first axis.
  func destructure(
    _ value: Value, count: Int, patternRange: SourceRange, valueRange: SourceRange
  ) throws(Unwind) -> [Value] {
    let elements: [Value]
    switch value {
    case .list(let items):
      elements = items
    case .tensor(let tensor) where tensor.rank >= 1:
      elements = try (0..<tensor.shape[0]).map { (i) throws(Unwind) in
        try tensorItem(tensor, i, range: valueRange)
      }
    default:
      throw failure(.typeMismatch, "cannot destructure a \(value.typeName) into \(count) names",
                    at: valueRange)
    }
    guard elements.count == count else {
      throw failure(.typeMismatch,
                    "cannot destructure \(Self.count(elements.count, "value")) into "
                      + Self.count(count, "name"),
                    at: patternRange)
    }
    return elements
  }

  // MARK: - Loops

  func runWhile(_ condition: Expr, _ body: Block, in scope: Scope) throws(Unwind) {
    while try truth(evaluateOutsideBody(condition, in: scope), range: condition.range) {
      // A step per iteration, as `for` counts: `while true { }` evaluates nothing else that
      // counts, and must still stop on Ctrl-C, cancel() and the step and time limits.
      try tick(body.range)
      do {
        _ = try run(body, in: scope)
      } catch .breakLoop {
        return
      } catch .continueLoop {
        continue
      }
    }
  }

  func runFor(_ pattern: Pattern, _ sequence: Expr, _ body: Block, in scope: Scope) throws(Unwind) {
    let collection = try evaluateOutsideBody(sequence, in: scope)
    var iterator = try makeIterator(collection, pattern: pattern, range: sequence.range)
    while let element = try iterator.next(self) {
      try tick(body.range)
      let iterationScope = Scope(parent: scope)
      try bind(pattern, to: element, in: iterationScope, valueRange: sequence.range)
      do {
        _ = try runStatements(of: body, in: iterationScope)
      } catch .breakLoop {
        return
      } catch .continueLoop {
        continue
      }
    }
  }

  /// Evaluates a value (a condition, a loop's sequence, a layer's arguments) with the model
  /// body's layer sink closed: the statements of blocks inside it compute values, not layers.
  func evaluateOutsideBody(_ expression: Expr, in scope: Scope) throws(Unwind) -> Value {
    guard let sink = layerSink else { return try evaluate(expression, in: scope) }
    layerSink = nil
    defer { layerSink = sink }
    return try evaluate(expression, in: scope)
  }

  /// The truth of a condition. Only bools are conditions: `if n` on a number is a mistake often
  /// enough (was `n > 0` meant, or `n != 0`?) that it is reported rather than guessed.
  func truth(_ value: Value, range: SourceRange) throws(Unwind) -> Bool {
    if case .bool(let flag) = value { return flag }
    var hint: String?
    if case .tensor = value {
      hint = "compare element-wise results with `sum(t > 0) > 0` or index one"
    }
    throw failure(.typeMismatch, "a condition must be a bool, but this is a \(value.typeName)",
                  at: range, hint: hint)
  }
}
