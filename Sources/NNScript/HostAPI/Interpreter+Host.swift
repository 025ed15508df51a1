import NNRuntime
import NNSyntax

/// Keeps a host's closure inside a `Sendable` built-in. An `Interpreter` is used from one thread
/// at a time, so the closure is never called concurrently.
private final class HostBody: @unchecked Sendable {
  let call: ([String: Value]) throws -> Value
  init(_ call: @escaping ([String: Value]) throws -> Value) { self.call = call }
}

extension Interpreter {
  /// Binds `name` at the top level to a function the host implements. Scripts call it like a
  /// built-in, with positional and named arguments matched to `parameters`; the body receives
  /// the arguments given, by parameter name (a parameter not given is absent). An error thrown
  /// by the body becomes a diagnostic at the call, with the error's description.
  ///
  /// The body runs on the interpreter's own evaluation thread (not the thread that called
  /// `run`), and what it allocates counts against this interpreter's memory limit. The
  /// interpreter keeps the body, so a body must not capture its interpreter strongly: that is
  /// a cycle that never frees either. A body that needs the interpreter takes it as a
  /// parameter (the other `register`).
  public func register(
    function name: String, parameters: [String],
    body: @escaping (_ arguments: [String: Value]) throws -> Value
  ) {
    let host = HostBody(body)
    let builtin = Builtin(name, parameters) { (context) throws(Diagnostic) in
      var arguments: [String: Value] = [:]
      for (parameter, argument) in context.bound { arguments[parameter] = argument.value }
      let result: Value
      do {
        result = try host.call(arguments)
      } catch {
        // A script the host function ran stopped because this run is being stopped (Ctrl-C,
        // a cancel, the time limit): that stop is the outer script's error too.
        if context.evaluator.stopRequested {
          let stop = context.evaluator.stopDiagnostic(at: nil)
          throw context.error(stop.code, stop.message)
        }
        throw context.error(.invalidOperation, "\(name): \(String(describing: error))")
      }
      // A host builds values the script never checked: hold them to the scripts' bound, so
      // printing or comparing one cannot overflow the stack (see `Nesting`).
      guard Nesting.depth(of: result, limit: Limits.maxValueNesting) != nil else {
        throw context.error(.resourceLimit, "\(name) returned a value where " + Nesting.message)
      }
      return result
    }
    evaluator.globals.declare(name, .builtin(builtin))
  }

  /// Binds `name` to a host function that also receives the interpreter calling it, held
  /// weakly, so the body can read and define values without keeping the interpreter alive.
  public func register(
    function name: String, parameters: [String],
    body: @escaping (_ interpreter: Interpreter, _ arguments: [String: Value]) throws -> Value
  ) {
    register(function: name, parameters: parameters) { [weak self] arguments in
      guard let self else { throw InterpreterReleased() }
      return try body(self, arguments)
    }
  }
}

/// A host function called after its interpreter was released (through a value copied into
/// another interpreter).
private struct InterpreterReleased: Error, CustomStringConvertible {
  var description: String { "the interpreter this function belongs to was released" }
}

extension Value {
  /// The number, when the value is one.
  public var number: Double? {
    if case .number(let x) = self { return x }
    return nil
  }

  /// The text, when the value is a string.
  public var string: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  /// The flag, when the value is a bool.
  public var bool: Bool? {
    if case .bool(let flag) = self { return flag }
    return nil
  }

  /// The shape and elements (row-major), when the value is a tensor.
  public var tensor: (shape: [Int], scalars: [Float])? {
    if case .tensor(let t) = self { return (t.shape, Array(t.scalars)) }
    return nil
  }

  /// The elements, when the value is a list.
  public var list: [Value]? {
    if case .list(let items) = self { return items }
    return nil
  }

  /// The fields in order, when the value is a record.
  public var record: [(String, Value)]? {
    guard case .record(let record) = self else { return nil }
    return record.names.compactMap { name in record[name].map { (name, $0) } }
  }
}

extension Value {
  /// A tensor value from row-major scalars; nil when `shape` does not hold `scalars.count`
  /// elements or is larger than a tensor may be.
  public static func tensor(shape: [Int], scalars: [Float]) -> Value? {
    guard let count = try? Tensor.checkedCount(shape), count == scalars.count else { return nil }
    return .tensor(Tensor(shape: shape, scalars: scalars))
  }

  /// A dataset value (what `dataset(x, y, classes:)` makes in a script), for host functions
  /// that supply data; nil when `x` or `y` is not a tensor or their rows disagree.
  public static func dataset(x: Value, y: Value, classes: Int? = nil) -> Value? {
    guard case .tensor(let inputs) = x, case .tensor(let targets) = y,
      let data = try? Dataset(x: inputs, y: targets, classes: classes)
    else { return nil }
    return .object(DatasetObject(data))
  }
}
