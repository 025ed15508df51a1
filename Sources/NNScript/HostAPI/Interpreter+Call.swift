import NNRuntime
import NNSyntax

extension Interpreter {
  /// Calls a function value — one a script defined (`fn (x) { … }`), a built-in, a model or
  /// a host function — with positional and named arguments, as a script's call would: the
  /// same binding, the same checks and the same limits. Runs on the interpreter's evaluation
  /// thread and returns when the call does; a cancel stops it.
  ///
  /// A diagnostic about the call itself (a missing or unknown argument, a value of the wrong
  /// kind) has no place in a script and is reported without one; an error inside a script
  /// function points into that function's source.
  public func call(
    _ function: Value, _ arguments: [Value] = [], named: [(String, Value)] = []
  ) throws(ScriptError) -> Value {
    let values = arguments.map { ArgumentValue(label: nil, labelRange: nil, value: $0,
                                               range: Self.hostRange) }
      + named.map { ArgumentValue(label: $0.0, labelRange: Self.hostRange, value: $0.1,
                                  range: Self.hostRange) }
    return try onEvaluationThread { evaluator in
      let callerSource = evaluator.source
      evaluator.source = Self.hostSource
      defer { evaluator.source = callerSource }
      do throws(Unwind) {
        return .success(try evaluator.apply(function, values, callRange: Self.hostRange,
                                            calleeRange: Self.hostRange))
      } catch {
        switch error {
        case .failure(let diagnostic):
          return .failure(ScriptError([Self.placeless(diagnostic)]))
        case .returning(let value, _):
          return .success(value)
        case .breakLoop, .continueLoop:
          return .failure(ScriptError([Diagnostic(
            code: .invalidControlFlow, message: "`break` and `continue` must be inside a loop")]))
        }
      }
    }
  }

  /// Calls the built-in `name` as the language does (`Builtins`, not a script's rebinding).
  func callBuiltin(
    _ name: String, _ arguments: [Value], named: [(String, Value)] = []
  ) throws(ScriptError) -> Value {
    guard let builtin = Builtins.byName[name] else {
      throw ScriptError([Diagnostic(code: .undefinedName, message: "no built-in named \(name)")])
    }
    return try call(.builtin(builtin), arguments, named: named)
  }

  /// The source a host's call stands in: diagnostics placed in it lose their place.
  static let hostSource = Source(name: "<host>", text: "")
  static let hostRange = SourceRange(start: 0, end: 0)

  /// `diagnostic` without a location when it points at the host's call, which has no text.
  static func placeless(_ diagnostic: Diagnostic) -> Diagnostic {
    guard diagnostic.location?.source === hostSource else { return diagnostic }
    var copy = diagnostic
    copy.location = nil
    return copy
  }
}
