import NNRuntime
import NNSyntax

/// An evaluated call argument.
struct ArgumentValue {
  var label: String?
  var labelRange: SourceRange?
  var value: Value
  var range: SourceRange
}

extension Evaluator {
  func call(
    _ callee: Expr, _ arguments: [Argument], range: SourceRange, in scope: Scope
  ) throws(Unwind) -> Value {
    let function = try evaluate(callee, in: scope)
    var values: [ArgumentValue] = []
    values.reserveCapacity(arguments.count)
    for (index, argument) in arguments.enumerated() {
      var parameter: Parameter?
      if case .builtin(let builtin) = function {
        parameter = Self.parameter(for: index, of: arguments, in: builtin)
      }
      let value = try evaluateArgument(argument.value, for: parameter, in: scope)
      values.append(ArgumentValue(label: argument.label?.name, labelRange: argument.label?.range,
                                  value: value, range: argument.value.range))
    }
    return try apply(function, values, callRange: range, calleeRange: callee.range)
  }

  /// Calls a function value with evaluated arguments.
  func apply(
    _ function: Value, _ arguments: [ArgumentValue], callRange: SourceRange,
    calleeRange: SourceRange
  ) throws(Unwind) -> Value {
    switch function {
    case .function(let closure):
      return try callFunction(closure, arguments, callRange: callRange)
    case .builtin(let builtin):
      return try callBuiltin(builtin, arguments, callRange: callRange)
    case .object(let model as ModelObject):
      guard arguments.count == 1, arguments[0].label == nil else {
        throw failure(.invalidArgument,
                      "a model takes one argument, the input batch: \(model.name)(x)",
                      at: callRange)
      }
      try tick(callRange)
      let output: Value
      do {
        output = .tensor(try NetworkRunner(evaluator: self).forward(
          model, arguments[0].value, range: arguments[0].range))
      } catch {
        throw .failure(error)
      }
      try checkTensorLimits(output, range: callRange)
      try checkStop(callRange)
      return output
    case .object(let loss as LossObject):
      return try callLoss(loss, arguments, callRange: callRange)
    default:
      throw failure(.typeMismatch, "a \(function.typeName) cannot be called", at: calleeRange)
    }
  }

  // MARK: - Script functions

  func callFunction(
    _ function: FunctionValue, _ arguments: [ArgumentValue], callRange: SourceRange
  ) throws(Unwind) -> Value {
    try tick(callRange)
    guard callDepth < options.maxCallDepth else {
      throw failure(.recursionLimit,
                    "too many nested calls (the limit is \(options.maxCallDepth))",
                    at: callRange, hint: "is a recursive function missing its base case?")
    }
    guard LargeStack.currentDepthMark() > stackFloor else {
      throw failure(.recursionLimit,
                    "too many nested calls for this thread's stack (\(callDepth) deep; the "
                      + "interpreter could not make its own large stack)",
                    at: callRange, hint: "is a recursive function missing its base case?")
    }
    let declaration = function.declaration
    let parameters = declaration.parameters.map(\.name.name)
    let bound = try bindArguments(arguments, to: parameters, functionName: function.name,
                                  callRange: callRange)
    for (index, parameter) in declaration.parameters.enumerated()
    where bound[index] == nil && parameter.defaultValue == nil {
      throw failure(.invalidArgument,
                    "missing argument '\(parameter.name.name)' in call to \(function.name)",
                    at: callRange)
    }
    let callerSource = source
    let callSite = SourceSpan(source: callerSource, range: callRange)
    callDepth += 1
    source = function.source
    defer {
      callDepth -= 1
      source = callerSource
    }
    do {
      let scope = Scope(parent: function.closure)
      for (index, parameter) in declaration.parameters.enumerated() {
        if let argument = bound[index] {
          scope.declare(parameter.name.name, argument.value)
        } else if let defaultValue = parameter.defaultValue {
          scope.declare(parameter.name.name, try evaluate(defaultValue, in: scope))
        }
      }
      return try runStatements(of: declaration.body, in: scope)
    } catch {
      switch error {
      case .returning(let value, _):
        return value
      case .breakLoop(let range), .continueLoop(let range):
        throw failure(.invalidControlFlow, "`break` and `continue` must be inside a loop",
                      at: range)
      case .failure(var diagnostic):
        Self.addFrame(to: &diagnostic, name: function.name, callSite: callSite)
        throw .failure(diagnostic)
      }
    }
  }

  /// Records one call frame under an error raised inside a function.
  /// A run of frames from the same call site (a recursion) becomes one note with a count.
  static func addFrame(to diagnostic: inout Diagnostic, name: String, callSite: SourceSpan) {
    let message = "in \(name), called here"
    if let last = diagnostic.notes.last, last.location == callSite,
      last.message.hasPrefix(message)
    {
      let repeats = Int(last.message.dropFirst(message.count + 2).prefix { $0.isNumber }) ?? 1
      diagnostic.notes[diagnostic.notes.count - 1].message = message + " (\(repeats + 1) times)"
      return
    }
    let frames = diagnostic.notes.count
    if frames < Limits.maxFrameNotes {
      diagnostic.notes.append(DiagnosticNote(message, at: callSite))
    } else if frames == Limits.maxFrameNotes {
      diagnostic.notes.append(DiagnosticNote("(outer calls omitted)"))
    }
  }

  /// Matches positional then named arguments to parameters; the result holds, for each
  /// parameter, its argument if one was given.
  func bindArguments(
    _ arguments: [ArgumentValue], to parameters: [String], functionName: String,
    callRange: SourceRange
  ) throws(Unwind) -> [ArgumentValue?] {
    var bound = [ArgumentValue?](repeating: nil, count: parameters.count)
    var position = 0
    for argument in arguments {
      if let label = argument.label {
        guard let index = parameters.firstIndex(of: label) else {
          let hint = Suggestions.nearest(to: label, in: parameters).map { "did you mean '\($0)'?" }
            ?? (parameters.isEmpty
              ? nil : "its parameters are: \(parameters.joined(separator: ", "))")
          // A `train … { }` block's entries are options, not parameters.
          let noun = functionName == "train" ? "option" : "parameter"
          throw failure(.invalidArgument, "\(functionName) has no \(noun) named '\(label)'",
                        at: argument.labelRange ?? argument.range, hint: hint)
        }
        guard bound[index] == nil else {
          throw failure(.invalidArgument, "the argument '\(label)' is given twice",
                        at: argument.labelRange ?? argument.range)
        }
        bound[index] = argument
      } else {
        guard position < parameters.count else {
          throw failure(.invalidArgument,
                        SignatureCheck.tooMany(functionName, takes: parameters.count,
                                               given: arguments.filter { $0.label == nil }.count),
                        at: argument.range)
        }
        bound[position] = argument
        position += 1
      }
    }
    return bound
  }

  static func count(_ n: Int, _ noun: String) -> String {
    counted(n, noun)
  }

  // MARK: - Built-in functions

  /// Calls a built-in: arguments bound and checked against its signature, then its body (or
  /// `body`, which a configured value such as a loss runs with the same binding).
  func callBuiltin(
    _ builtin: Builtin, _ arguments: [ArgumentValue], callRange: SourceRange,
    body: (@Sendable (inout CallContext) throws(Diagnostic) -> Value)? = nil
  ) throws(Unwind) -> Value {
    try tick(callRange)
    var fixed = builtin.signature
    var variadic: Parameter?
    // Parameters after a variadic one can only be named (`plot(a, b, title: "loss")`), as after
    // Python's `*args`.
    var namedOnly: [Parameter] = []
    if let index = fixed.firstIndex(where: \.isVariadic) {
      variadic = fixed[index]
      namedOnly = Array(fixed[(index + 1)...])
      fixed = Array(fixed[..<index])
    }
    var positional = arguments.filter { $0.label == nil }
    var rest: [ArgumentValue] = []
    if variadic != nil, positional.count > fixed.count {
      // A variadic parameter takes the positional arguments left after the fixed ones, so
      // `zeros(2, 3)`, `reshape(t, 2, 3)` and `print(a, b, c)` read naturally.
      rest = Array(positional[fixed.count...])
      positional = Array(positional[..<fixed.count])
    }
    let named = arguments.filter { $0.label != nil }
    try checkOptimizerOptions(named, of: builtin)
    let declared = fixed + namedOnly
    let bound = try bindArguments(positional + named, to: declared.map(\.name),
                                  functionName: builtin.name, callRange: callRange)
    if let missing = zip(declared, bound).first(where: { $0.0.isRequired && $0.1 == nil }) {
      throw failure(.invalidArgument, SignatureCheck.missing(missing.0, of: builtin.name),
                    at: callRange)
    }
    var context = CallContext(evaluator: self, builtin: builtin, callRange: callRange,
                              source: source)
    for (parameter, argument) in zip(declared, bound) {
      guard var argument else { continue }
      argument.value = try bind(argument, to: parameter, of: builtin)
      context.bound[parameter.name] = argument
    }
    context.rest = rest
    let result: Value
    do {
      result = try (body ?? builtin.body)(&context)
    } catch {
      throw .failure(error)
    }
    try checkTensorLimits(result, range: callRange)
    // A built-in may have run for seconds (a large product, a convolution, a file).
    try checkStop(callRange)
    return result
  }

  /// A bare built-in name used as a value (`flatten` as a layer statement): the built-in called
  /// with no arguments, so a missing required argument is reported as for `dense()`.
  func callBare(_ builtin: Builtin, at range: SourceRange) throws(Unwind) -> Value {
    try callBuiltin(builtin, [], callRange: range)
  }

  /// One argument checked against its declared parameter: its kind and range, with the
  /// diagnostic at the argument; a bare built-in name for an object kind (`optimizer: adam`)
  /// becomes that built-in's no-argument call. `nil` passes, for the body to read as "not
  /// given" or reject.
  private func bind(
    _ argument: ArgumentValue, to parameter: Parameter, of builtin: Builtin
  ) throws(Unwind) -> Value {
    let value = argument.value
    if case .builtin(let bare) = value, let made = bare.produces, parameter.kind.takesBareBuiltin,
      made == parameter.kind || (parameter.kind == .layer && made == .activation),
      bare.callableBare
    {
      return try callBare(bare, at: argument.range)
    }
    if let problem = SignatureCheck.problem(value, for: parameter, of: builtin.name) {
      throw failure(problem.code, problem.message, at: argument.range, hint: problem.hint)
    }
    return value
  }
}

/// The checks a declared parameter makes of a value, shared by the binder and `nn check`
/// (which applies them to literal arguments).
enum SignatureCheck {
  /// A diagnostic's parts, for the binder to place at the argument.
  struct Problem {
    let code: DiagnosticCode
    let message: String
    var hint: String?

    init(_ code: DiagnosticCode, _ message: String, hint: String? = nil) {
      self.code = code
      self.message = message
      self.hint = hint
    }
  }

  /// The built-ins that stand for an initialiser when named bare (`init: he`).
  static let initializerNames: Set<String> = ["he", "xavier", "zeros", "ones", "normal", "uniform"]

  /// The message for a required argument left out, as the binder and `nn check` say it.
  static func missing(_ parameter: Parameter, of function: String) -> String {
    "\(function) needs the argument '\(parameter.label)'"
  }

  /// The message for positional arguments past the last parameter.
  static func tooMany(_ function: String, takes count: Int, given: Int) -> String {
    "\(function) takes \(Evaluator.count(count, "argument")) but \(given) were given"
  }

  /// What is wrong with `value` for `parameter`, or nil when it fits (or the body decides).
  static func problem(
    _ value: Value, for parameter: Parameter, of function: String
  ) -> Problem? {
    let subject = "the argument '\(parameter.label)' of \(function)"
    func mismatch(_ expected: String) -> Problem {
      Problem(.typeMismatch, "\(subject) must be \(expected), but this is a \(value.typeName)",
              hint: parameter.kindHint)
    }
    switch (parameter.kind, value) {
    case (_, .nil):
      return nil
    case (.number, .number(let x)), (.wholeNumber, .number(let x)):
      if parameter.kind == .wholeNumber, CallContext.exactInteger(x) == nil {
        return Problem(.invalidArgument, CallContext.notAnInteger(subject, x))
      }
      if let range = parameter.range, !range.contains(x) {
        if let message = parameter.rangeMessage {
          return Problem(.invalidArgument, message(formatNumber(x)), hint: parameter.rangeHint)
        }
        let noun = parameter.kind == .wholeNumber ? "a whole number" : "a number"
        let expected = range == .finite ? "finite" : "\(noun) \(range.text)"
        return Problem(.invalidArgument, "\(subject) must be \(expected), not \(formatNumber(x))",
                       hint: parameter.rangeHint)
      }
      return nil
    case (.number, _): return mismatch("a number")
    case (.wholeNumber, _): return mismatch("a whole number")
    case (.bool, .bool), (.string, .string): return nil
    case (.bool, _): return mismatch("a bool")
    case (.string, _): return mismatch("a string")
    case (.progress, _):
      return ProgressMode(value) == nil ? ProgressMode.problem(value) : nil
    case (.model, .object(is ModelObject)), (.dataset, .object(is DatasetObject)): return nil
    case (.model, _):
      return Problem(.typeMismatch, "\(subject) must be a model, not a \(value.typeName)")
    case (.dataset, _):
      return Problem(.typeMismatch, "\(subject) must be a dataset, but this is a \(value.typeName)",
                     hint: "make one with dataset(x, y), load_csv(…) or a built-in such as xor()")
    case (.tensor, .tensor), (.tensor, .number), (.tensor, .list): return nil
    case (.tensor, _) where value.symbolic != nil: return nil
    case (.tensor, .string), (.tensor, .bool), (.tensor, .record), (.tensor, .function),
         (.tensor, .object):
      return mismatch("a tensor")
    // A tensor may stand for the list of its rows (`concat(t)`); the body decides.
    case (.list, .list), (.list, .tensor), (.record, .record), (.function, .function): return nil
    case (.list, _): return mismatch("a list")
    case (.record, _): return mismatch("a record")
    case (.function, _): return mismatch("a function")
    case (.initializer, .object(is InitializerObject)), (.initializer, .number): return nil
    case (.initializer, .builtin(let named)) where initializerNames.contains(named.name):
      return nil
    case (.initializer, _):
      return Problem(.typeMismatch,
                     "\(subject) must be an initialiser (he, xavier, normal(std), "
                       + "uniform(low, high), zeros or constant(v)), not "
                       + ValueFormatter.describe(value))
    case (.schedule, .object(is ScheduleObject)): return nil
    case (.schedule, .builtin(let named)) where named.name == "cosine": return nil
    case (.schedule, _):
      return Problem(.typeMismatch,
                     "\(subject) must be a schedule (step(every:, gamma:), exponential(gamma), "
                       + "cosine() or warmup(epochs:, then:)), not "
                       + ValueFormatter.describe(value))
    default: return nil
    }
  }
}
