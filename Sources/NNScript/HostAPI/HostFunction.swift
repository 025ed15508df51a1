import Foundation
import NNRuntime
import NNSyntax

// Host functions are built-ins the host declares: their parameters are `Parameter`s, bound and
// checked by the same binder as `dense` or `plot` (a string given for a number is a diagnostic
// at that argument, with the parameter's name), and their errors become diagnostics at the
// call. One declaration per concept: a host function is a `Builtin` with a host body.

/// What a host function receives for one call.
public struct HostCall {
  /// The arguments by parameter name: those given, and the declared defaults of those not
  /// given. A parameter without a default that was not given is absent.
  public let arguments: [String: Value]
  /// The positional arguments a variadic parameter (`"values..."`) took, in order.
  public let variadic: [Value]
  let cancellation: CancellationHandle
  let stop: () -> Bool

  /// The argument `name`, if given or defaulted.
  public subscript(_ name: String) -> Value? { arguments[name] }

  /// Whether the run was asked to stop (a cancel, Ctrl-C, the time limit): a long host
  /// function polls this and returns early; the run stops as soon as it returns.
  public var isCancelled: Bool { stop() }
}

/// Why `Interpreter.register` refused a host function.
public struct HostRegistrationError: Error, CustomStringConvertible, Sendable {
  /// What is wrong, in a sentence.
  public let description: String
}

/// Keeps a host's closure inside a `Sendable` built-in. An `Interpreter` is used from one thread
/// at a time, so the closure is never called concurrently.
private final class HostBody: @unchecked Sendable {
  let call: (HostCall) throws -> Value
  init(_ call: @escaping (HostCall) throws -> Value) { self.call = call }
}

extension Interpreter {
  /// Binds `name` at the top level to a function the host implements, with declared
  /// parameters: `.required("x", .tensor, "the inputs")`, `.number("rate", 0.1, "…")`,
  /// `.optional("label", .string, "…")`, `"items..."` for a variadic one. Scripts call it
  /// like a built-in, positionally or by name; the binder checks each argument's kind and
  /// range before the body runs, so a body sees only values of the declared kinds.
  ///
  /// The body may throw a `Diagnostic` (its code, message and hint are kept; it is placed at
  /// the call) or any other error, whose `LocalizedError.errorDescription` (or description)
  /// is what the script's user reads.
  ///
  /// The body runs on the interpreter's evaluation thread, not the thread that called `run`;
  /// what it allocates counts against the interpreter's memory limit. The interpreter keeps
  /// the body: capture the interpreter weakly (or use the overload that passes it), or the
  /// two keep each other alive.
  ///
  /// - Throws: when `name` is not an identifier, when a parameter is declared twice, or when
  ///   `name` is a built-in and `replacingBuiltin` is false.
  public func register(
    _ name: String, parameters: [Parameter], replacingBuiltin: Bool = false,
    body: @escaping (HostCall) throws -> Value
  ) throws(HostRegistrationError) {
    guard Self.isCallableName(name) else {
      throw HostRegistrationError(description: "'\(name)' is not a name a script can call")
    }
    if Builtins.byName[name] != nil, !replacingBuiltin {
      throw HostRegistrationError(
        description: "'\(name)' is a built-in; pass replacingBuiltin: true to replace it "
          + "for this interpreter's scripts")
    }
    var seen = Set<String>()
    for parameter in parameters where !seen.insert(parameter.label).inserted {
      throw HostRegistrationError(description: "parameter '\(parameter.label)' is declared "
                                    + "twice")
    }
    evaluator.globals.declare(name, .builtin(hostBuiltin(name, parameters, body)))
  }

  /// `register(_:parameters:replacingBuiltin:body:)` with a body that also receives the
  /// interpreter, held weakly, so it can read and define values without keeping it alive.
  public func register(
    _ name: String, parameters: [Parameter], replacingBuiltin: Bool = false,
    body: @escaping (_ interpreter: Interpreter, _ call: HostCall) throws -> Value
  ) throws(HostRegistrationError) {
    try register(name, parameters: parameters, replacingBuiltin: replacingBuiltin) {
      [weak self] call in
      guard let self else { throw InterpreterReleased() }
      return try body(self, call)
    }
  }

  /// An identifier that is not a keyword: what a script can write before `(`.
  static func isCallableName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first,
      first == "_" || first.properties.isAlphabetic,
      name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic
        || ("0"..."9").contains($0) })
    else { return false }
    return TokenKind.keyword(name) == nil
  }

  private func hostBuiltin(
    _ name: String, _ parameters: [Parameter], _ body: @escaping (HostCall) throws -> Value
  ) -> Builtin {
    let host = HostBody(body)
    return Builtin(name, parameters) { (context) throws(Diagnostic) in
      var arguments: [String: Value] = [:]
      for parameter in context.builtin.signature where !parameter.isVariadic {
        if let value = context.bound[parameter.name]?.value
          ?? parameter.defaultValue?.value
        {
          arguments[parameter.name] = value
        }
      }
      let evaluator = context.evaluator
      let call = HostCall(arguments: arguments, variadic: context.rest.map(\.value),
                          cancellation: evaluator.cancellation,
                          stop: { evaluator.stopRequested })
      let result: Value
      do {
        result = try host.call(call)
      } catch {
        // A script the host function ran stopped because this run is being stopped (Ctrl-C,
        // a cancel, the time limit): that stop is the outer script's error too.
        if evaluator.stopRequested {
          let stop = evaluator.stopDiagnostic(at: nil)
          throw context.error(stop.code, stop.message)
        }
        throw Self.diagnostic(for: error, from: name, context: context)
      }
      // A host builds values the script never checked: hold them to the scripts' bound, so
      // printing or comparing one cannot overflow the stack (see `Nesting`).
      guard Nesting.depth(of: result, limit: Limits.maxValueNesting) != nil else {
        throw context.error(.resourceLimit, "\(name) returned a value where " + Nesting.message)
      }
      return result
    }
  }

  /// The diagnostic a host function's error becomes, placed at the call.
  private static func diagnostic(
    for error: any Error, from name: String, context: CallContext
  ) -> Diagnostic {
    if let diagnostic = error as? Diagnostic {
      var placed = context.error(diagnostic.code, diagnostic.message, hint: diagnostic.hint)
      placed.notes = diagnostic.notes
      return placed
    }
    if let failure = error as? ScriptError, let first = failure.diagnostics.first {
      return context.error(first.code, "\(name): \(first.message)", hint: first.hint)
    }
    let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    return context.error(.invalidOperation, "\(name): \(text)")
  }
}

/// A host function called after its interpreter was released (through a value copied into
/// another interpreter).
struct InterpreterReleased: Error, CustomStringConvertible {
  var description: String { "the interpreter this function belongs to was released" }
}
