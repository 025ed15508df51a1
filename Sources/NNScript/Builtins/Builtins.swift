import NNRuntime
import NNSyntax

/// The built-in functions, one file per family (`Builtins+Core`, `Builtins+Tensors`, …). Each
/// family lists its functions; `install` binds them all in the global scope, where a script may
/// shadow them.
enum Builtins {
  static let all: [Builtin] = core + tensors + layers + losses + networks + training + data
    + plotting + evaluationPictures + persistence + ranks + text + sequences
    + trainingPictures + boundaryPictures + diagrams

  static func install(in scope: Scope) {
    for builtin in all { scope.declare(builtin.name, .builtin(builtin)) }
  }

  /// Names of every built-in, for suggestions and completion.
  static let names: [String] = all.map(\.name)

  /// Every built-in by name.
  static let byName: [String: Builtin] = Dictionary(all.map { ($0.name, $0) }) { first, _ in first }
}

extension Value {
  /// The tensor a value stands for, where it stands for one: a tensor, a number (no axes), or a
  /// list of numbers or of equally shaped tensors (so lists built up in a loop can be reduced).
  var asTensor: Tensor? {
    switch self {
    case .tensor(let t): return t
    case .number(let x): return Tensor(scalar: Float(x))
    case .list(let items):
      guard !items.isEmpty else { return Tensor(shape: [0], scalars: []) }
      var rows: [Tensor] = []
      rows.reserveCapacity(items.count)
      for item in items {
        switch item {
        case .number(let x): rows.append(Tensor(scalar: Float(x)))
        case .tensor(let t): rows.append(t)
        default: return nil
        }
      }
      return try? Tensor.stack(rows, axis: 0)
    default: return nil
    }
  }
}

extension CallContext {
  /// A tensor argument, accepting everything `Value.asTensor` does.
  func tensorLike(_ name: String) throws(Diagnostic) -> Tensor {
    let value = try require(name)
    if let tensor = value.asTensor { return tensor }
    if value.symbolic != nil {
      throw error(.invalidOperation,
                  "\(builtin.name) cannot be differentiated, so it cannot be used inside a traced "
                    + "function (grad(f, x) or a custom loss)", at: name)
    }
    if case .list = value {
      throw error(.raggedLiteral,
                  "the argument '\(name)' of \(builtin.name) is a list that is not a tensor: its "
                    + "elements must be numbers or tensors of one shape", at: name)
    }
    throw error(.typeMismatch,
                "the argument '\(name)' of \(builtin.name) must be a tensor, but this is a "
                  + value.typeName, at: name)
  }

  /// Adds `op` to a traced function's graph; a shape error is a diagnostic at the call.
  func trace(_ op: Op, _ inputs: [SymbolicTensor]) throws(Diagnostic) -> Value {
    guard let first = inputs.first else { return .nil }
    do {
      return try first.apply(op, inputs)
    } catch {
      throw self.error(.shapeMismatch, error.message)
    }
  }

  /// Runs a runtime operation, turning its error into a diagnostic at the call.
  func runtime<T>(_ body: () throws(TensorError) -> T) throws(Diagnostic) -> T {
    do {
      return try body()
    } catch {
      throw fail(error)
    }
  }
}
