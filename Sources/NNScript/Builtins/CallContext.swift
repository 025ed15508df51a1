import NNRuntime
import NNSyntax

/// What a built-in function sees of its call: the arguments bound to its parameter names, with
/// the ranges that errors point at, and the evaluator for randomness and output.
struct CallContext {
  let evaluator: Evaluator
  let builtin: Builtin
  let callRange: SourceRange
  let source: Source
  /// Arguments bound to fixed parameters, by parameter name.
  var bound: [String: ArgumentValue] = [:]
  /// Positional arguments taken by a variadic parameter (`shape...`).
  var rest: [ArgumentValue] = []

  init(evaluator: Evaluator, builtin: Builtin, callRange: SourceRange, source: Source) {
    self.evaluator = evaluator
    self.builtin = builtin
    self.callRange = callRange
    self.source = source
  }

  // MARK: - Errors

  /// A diagnostic at the named argument, or at the whole call.
  func error(
    _ code: DiagnosticCode, _ message: String, at parameter: String? = nil, hint: String? = nil
  ) -> Diagnostic {
    let range = parameter.flatMap { bound[$0]?.range } ?? callRange
    return Diagnostic.error(code, message, in: source, at: range, hint: hint)
  }

  func error(_ code: DiagnosticCode, _ message: String, range: SourceRange) -> Diagnostic {
    Diagnostic.error(code, message, in: source, at: range)
  }

  // MARK: - Reading arguments

  func has(_ name: String) -> Bool { bound[name] != nil }

  func value(_ name: String) -> Value? { bound[name]?.value }

  /// The argument `name`, or its declared default when it was not given.
  func require(_ name: String) throws(Diagnostic) -> Value {
    guard let value = bound[name]?.value ?? builtin.parameter(name)?.defaultValue?.value else {
      throw error(.invalidArgument, "\(builtin.name) needs the argument '\(name)'")
    }
    return value
  }

  private func mismatch(_ name: String, _ expected: String, _ value: Value) -> Diagnostic {
    error(.typeMismatch,
          "the argument '\(name)' of \(builtin.name) must be \(expected), but this is a "
            + value.typeName, at: name)
  }

  func number(_ name: String) throws(Diagnostic) -> Double {
    let value = try require(name)
    guard case .number(let x) = value else { throw mismatch(name, "a number", value) }
    return x
  }

  func number(_ name: String, default fallback: Double) throws(Diagnostic) -> Double {
    has(name) ? try number(name) : fallback
  }

  func integer(_ name: String) throws(Diagnostic) -> Int {
    let x = try number(name)
    guard let n = Self.exactInteger(x) else {
      let subject = "the argument '\(name)' of \(builtin.name)"
      throw error(.invalidArgument, Self.notAnInteger(subject, x), at: name)
    }
    return n
  }

  func integer(_ name: String, default fallback: Int) throws(Diagnostic) -> Int {
    has(name) ? try integer(name) : fallback
  }

  /// An optional whole number where `nil` means "not given" (`axis:`).
  func optionalInteger(_ name: String) throws(Diagnostic) -> Int? {
    guard let value = value(name), !value.isNil else { return nil }
    return try integer(name)
  }

  /// An optional number where `nil` means "not given" (`clip:`).
  func optionalNumber(_ name: String) throws(Diagnostic) -> Double? {
    guard let value = value(name), !value.isNil else { return nil }
    return try number(name)
  }

  func string(_ name: String) throws(Diagnostic) -> String {
    let value = try require(name)
    guard case .string(let text) = value else { throw mismatch(name, "a string", value) }
    return text
  }

  /// A bool argument, or its declared default.
  func bool(_ name: String) throws(Diagnostic) -> Bool {
    let value = try require(name)
    guard case .bool(let flag) = value else { throw mismatch(name, "a bool", value) }
    return flag
  }

  func bool(_ name: String, default fallback: Bool) throws(Diagnostic) -> Bool {
    guard let value = value(name) else { return fallback }
    guard case .bool(let flag) = value else { throw mismatch(name, "a bool", value) }
    return flag
  }

  /// A list argument (the binder checks the declared kind; this reads it).
  func list(_ name: String) throws(Diagnostic) -> [Value] {
    let value = try require(name)
    guard case .list(let items) = value else { throw mismatch(name, "a list", value) }
    return items
  }

  /// A record argument.
  func record(_ name: String) throws(Diagnostic) -> Record {
    let value = try require(name)
    guard case .record(let record) = value else { throw mismatch(name, "a record", value) }
    return record
  }

  /// A function written in the language.
  func function(_ name: String) throws(Diagnostic) -> FunctionValue {
    let value = try require(name)
    guard case .function(let function) = value else { throw mismatch(name, "a function", value) }
    return function
  }

  /// A tensor argument; a number is accepted as a tensor with no axes.
  func tensor(_ name: String) throws(Diagnostic) -> Tensor {
    let value = try require(name)
    switch value {
    case .tensor(let t): return t
    case .number(let x): return Tensor(scalar: Float(x))
    default: throw mismatch(name, "a tensor", value)
    }
  }

  /// A shape: separate whole numbers (`zeros(2, 3)`) or one list or tensor (`zeros([2, 3])`).
  func shape(from arguments: [ArgumentValue]) throws(Diagnostic) -> [Int] {
    if arguments.count == 1 {
      switch arguments[0].value {
      case .tensor(let t) where t.rank == 1:
        // Each element read as the script reads it (`Value.element`): `1e12` stays 1e12,
        // not float32's 999999995904.
        return try t.scalars.map { (x) throws(Diagnostic) in
          try dimension(Value.element(x), range: arguments[0].range)
        }
      case .list(let items):
        return try items.map { (item) throws(Diagnostic) in
          guard case .number(let x) = item else {
            throw error(.typeMismatch, "a shape holds whole numbers, not a \(item.typeName)",
                        range: arguments[0].range)
          }
          return try dimension(x, range: arguments[0].range)
        }
      default:
        break
      }
    }
    return try arguments.map { (argument) throws(Diagnostic) in
      guard case .number(let x) = argument.value else {
        throw error(.typeMismatch,
                    "a shape is given as whole numbers or one list, not a "
                      + argument.value.typeName, range: argument.range)
      }
      return try dimension(x, range: argument.range)
    }
  }

  private func dimension(_ x: Double, range: SourceRange) throws(Diagnostic) -> Int {
    guard let n = Self.exactInteger(x), n >= 0 else {
      let message = Self.isTooLarge(x)
        ? Self.notAnInteger("a dimension", x)
        : "a dimension must be a whole number ≥ 0, not \(formatNumber(x))"
      throw error(.invalidArgument, message, range: range)
    }
    return n
  }

  /// `x` as an `Int` when it is a whole number well inside `Int`'s range.
  static func exactInteger(_ x: Double) -> Int? {
    guard x.isFinite, x.rounded() == x, abs(x) < 9.0e15 else { return nil }
    return Int(x)
  }

  /// Whether `x` fails `exactInteger` for its size alone: a whole number (or an infinity) past
  /// what a count, index or dimension can be.
  static func isTooLarge(_ x: Double) -> Bool {
    x.isInfinite || (x.rounded() == x && abs(x) >= 9.0e15)
  }

  /// Why `x` cannot be `subject` (a count, index, dimension, batch): "too large" for a whole
  /// number out of range, "must be a whole number" for a fraction or nan. The one wording of
  /// both, for every place that wants an `Int` from a script's number.
  static func notAnInteger(_ subject: String, _ x: Double) -> String {
    isTooLarge(x)
      ? "\(subject) is too large: \(formatNumber(x))"
      : "\(subject) must be a whole number, not \(formatNumber(x))"
  }

  /// Refuses, before it is built, a list of `count` values (each holding `each` bytes more)
  /// that the memory limit has no room for (`Evaluator.checkValueBytes`).
  func checkListBytes(_ count: Int, eachHolding each: Int = 0) throws(Diagnostic) {
    let bytes = Evaluator.listBytes(count, eachHolding: each)
    guard !evaluator.memory.fits(bytes) else { return }
    throw error(.resourceLimit, evaluator.memory.refusal("this list", bytes: bytes))
  }

  /// Converts a runtime error into a diagnostic at the call.
  func fail(_ error: TensorError) -> Diagnostic {
    let code: DiagnosticCode
    switch error.kind {
    case .stopped: return evaluator.stopDiagnostic(at: evaluator.location(callRange))
    case .shapeMismatch: code = .shapeMismatch
    case .indexOutOfRange: code = .indexOutOfRange
    case .invalidArgument: code = .invalidArgument
    case .tooLarge: code = .resourceLimit
    }
    return self.error(code, error.message)
  }
}

extension Value {
  var isNil: Bool {
    if case .nil = self { return true }
    return false
  }
}
