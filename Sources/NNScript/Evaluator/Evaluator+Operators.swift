#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

extension Evaluator {
  func unary(_ op: UnaryOperator, _ value: Value, range: SourceRange) throws(Unwind) -> Value {
    switch (op, value) {
    case (.negate, .number(let x)):
      return .number(-x)
    case (.negate, .tensor(let t)):
      return .tensor(t.unary(.negate))
    case (.not, .bool(let flag)):
      return .bool(!flag)
    case (.negate, .object(let traced as SymbolicTensor)):
      return try traced.apply(.negate, [traced], evaluator: self, range: range)
    case (.negate, _):
      throw failure(.typeMismatch, "cannot negate a \(value.typeName)", at: range)
    case (.not, _):
      throw failure(.typeMismatch, "`not` needs a bool, but this is a \(value.typeName)",
                    at: range)
    }
  }

  func binary(
    _ op: BinaryOperator, _ lhs: Value, _ rhs: Value, range: SourceRange,
    leftRange: SourceRange, rightRange: SourceRange
  ) throws(Unwind) -> Value {
    if lhs.symbolic != nil || rhs.symbolic != nil {
      return try tracedBinary(op, lhs, rhs, range: range)
    }
    switch (lhs, rhs) {
    case (.number(let a), .number(let b)):
      if let result = Self.numeric(op, a, b) { return result }
    case (.tensor, .tensor), (.tensor, .number), (.number, .tensor):
      return try tensorBinary(op, lhs, rhs, range: range)
    case (.string(let a), .string(let b)):
      switch op {
      case .add:
        try checkValueBytes(a.utf8.count + b.utf8.count, "this string", range: range)
        return .string(a + b)
      case .less: return .bool(a < b)
      case .lessEqual: return .bool(a <= b)
      case .greater: return .bool(a > b)
      case .greaterEqual: return .bool(a >= b)
      default: break
      }
    case (.list(let a), .list(let b)) where op == .add:
      try checkValueBytes(Self.listBytes(a.count + b.count), "this list", range: range)
      return .list(a + b)
    default:
      break
    }
    switch op {
    case .equal: return .bool(Self.equal(lhs, rhs))
    case .notEqual: return .bool(!Self.equal(lhs, rhs))
    default: break
    }
    var hint: String?
    if op == .add, case .string = lhs { hint = "build text with interpolation: \"…{value}\"" }
    if op == .add, case .string = rhs { hint = "build text with interpolation: \"…{value}\"" }
    throw failure(.typeMismatch,
                  "cannot apply '\(op.rawValue)' to a \(lhs.typeName) and a \(rhs.typeName)",
                  at: range, hint: hint)
  }

  private static func numeric(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Value? {
    switch op {
    case .add: return .number(a + b)
    case .subtract: return .number(a - b)
    case .multiply: return .number(a * b)
    case .divide: return .number(a / b)
    case .remainder:
      // Floored, as in Python and NumPy: the result has the sign of the divisor.
      let r = fmod(a, b)
      return .number(r != 0 && (r < 0) != (b < 0) ? r + b : r)
    case .power: return .number(pow(a, b))
    case .equal: return .bool(a == b)
    case .notEqual: return .bool(a != b)
    case .less: return .bool(a < b)
    case .lessEqual: return .bool(a <= b)
    case .greater: return .bool(a > b)
    case .greaterEqual: return .bool(a >= b)
    case .matmul, .and, .or: return nil
    }
  }

  private func tensorBinary(
    _ op: BinaryOperator, _ lhs: Value, _ rhs: Value, range: SourceRange
  ) throws(Unwind) -> Value {
    func tensor(_ value: Value) -> Tensor {
      switch value {
      case .tensor(let t): return t
      case .number(let x): return Tensor(scalar: Float(x))
      default: return Tensor(scalar: 0)
      }
    }
    let a = tensor(lhs)
    let b = tensor(rhs)
    let elementwise: BinaryOp
    switch op {
    case .add: elementwise = .add
    case .subtract: elementwise = .subtract
    case .multiply: elementwise = .multiply
    case .divide: elementwise = .divide
    case .remainder: elementwise = .remainder
    case .power: elementwise = .power
    case .equal: elementwise = .equal
    case .notEqual: elementwise = .notEqual
    case .less: elementwise = .less
    case .lessEqual: elementwise = .lessEqual
    case .greater: elementwise = .greater
    case .greaterEqual: elementwise = .greaterEqual
    case .matmul:
      guard lhs.isTensor, rhs.isTensor else {
        throw failure(.typeMismatch, "'@' needs two tensors; scale by a number with '*'",
                      at: range)
      }
      do {
        return Self.wrap(try Tensor.matmul(a, b))
      } catch {
        throw failure(error, at: range)
      }
    case .and, .or:
      throw failure(.typeMismatch, "'\(op.rawValue)' needs bools, not tensors", at: range)
    }
    do {
      return Self.wrap(try Tensor.binary(elementwise, a, b))
    } catch {
      throw failure(error, at: range)
    }
  }

  /// An operator's tensor error at `range`: a stop midway (`StopRequest`) is the stop's
  /// diagnostic, a size past a limit a resource limit, anything else the operands' shapes.
  private func failure(_ error: TensorError, at range: SourceRange) -> Unwind {
    switch error.kind {
    case .stopped: .failure(stopDiagnostic(at: location(range)))
    case .tooLarge: failure(.resourceLimit, error.message, at: range)
    case .shapeMismatch, .indexOutOfRange, .invalidArgument:
      failure(.shapeMismatch, error.message, at: range)
    }
  }

  /// Structural equality of values, as `==` on non-numeric values sees it.
  static func equal(_ lhs: Value, _ rhs: Value) -> Bool {
    switch (lhs, rhs) {
    case (.number(let a), .number(let b)): return a == b
    case (.bool(let a), .bool(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.nil, .nil): return true
    case (.tensor(let a), .tensor(let b)): return a == b
    case (.list(let a), .list(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
    case (.record(let a), .record(let b)):
      return a.names == b.names
        && a.fields.allSatisfy { field in b[field.name].map { equal(field.value, $0) } ?? false }
    case (.range(let a), .range(let b)): return a == b
    case (.function(let a), .function(let b)): return a === b
    case (.builtin(let a), .builtin(let b)): return a === b
    case (.object(let a), .object(let b)): return a === b
    default: return false
    }
  }
}

extension Value {
  var isTensor: Bool {
    if case .tensor = self { return true }
    return false
  }
}
