import NNRuntime
import NNSyntax

/// The graph a function is traced into (`grad(f, x)`, a custom `loss:`): operations on traced
/// tensors add nodes instead of computing numbers, so the function is differentiated by the same
/// autodiff and run by the same plans as a network — the evaluator never differentiates.
final class Tracer {
  var graph = Graph()
}

/// A tensor inside a function being traced: a node of the tracer's graph.
final class SymbolicTensor: ScriptObject {
  let tracer: Tracer
  let node: NodeID

  init(tracer: Tracer, node: NodeID) {
    self.tracer = tracer
    self.node = node
  }

  var shape: [Int] { tracer.graph.shape(of: node) }
  var typeName: String { "tensor" }
  var displayText: String { "<traced tensor \(shapeText(shape))>" }

  /// Adds `op` over `inputs` (all of this tracer) and wraps the new node.
  func apply(_ op: Op, _ inputs: [SymbolicTensor]) throws(GraphError) -> Value {
    let node = try tracer.graph.add(op, inputs.map(\.node))
    return .object(SymbolicTensor(tracer: tracer, node: node))
  }

  /// `apply`, with a shape error reported at `range`.
  func apply(
    _ op: Op, _ inputs: [SymbolicTensor], evaluator: Evaluator, range: SourceRange
  ) throws(Unwind) -> Value {
    do {
      return try apply(op, inputs)
    } catch {
      throw evaluator.failure(.shapeMismatch, error.message, at: range)
    }
  }

  /// A value as a node of this tracer: traced tensors as they are, numbers and tensors as
  /// constants. `nil` for anything else.
  func operand(_ value: Value) -> SymbolicTensor? {
    switch value {
    case .object(let other as SymbolicTensor) where other.tracer === tracer:
      return other
    case .number(let x):
      return SymbolicTensor(tracer: tracer, node: constant(Tensor(scalar: Float(x))))
    case .tensor(let t):
      return SymbolicTensor(tracer: tracer, node: constant(t))
    default:
      return nil
    }
  }

  private func constant(_ tensor: Tensor) -> NodeID {
    // A constant has no inputs, so its shape cannot mismatch.
    (try? tracer.graph.add(.constant(tensor), [])) ?? node
  }
}

extension Value {
  var symbolic: SymbolicTensor? {
    if case .object(let traced as SymbolicTensor) = self { return traced }
    return nil
  }
}

extension Evaluator {
  /// `a op b` where either side is a traced tensor.
  func tracedBinary(
    _ op: BinaryOperator, _ lhs: Value, _ rhs: Value, range: SourceRange
  ) throws(Unwind) -> Value {
    guard let traced = lhs.symbolic ?? rhs.symbolic else { return .nil }
    let graphOp: Op
    switch op {
    case .add: graphOp = .add
    case .subtract: graphOp = .subtract
    case .multiply: graphOp = .multiply
    case .divide: graphOp = .divide
    case .power: graphOp = .power
    case .matmul: graphOp = .matmul
    // Comparisons give 0/1 tensors (for `where` and `masked_fill`), with no gradient.
    case .less: graphOp = .compare(.less)
    case .lessEqual: graphOp = .compare(.lessOrEqual)
    case .greater: graphOp = .compare(.greater)
    case .greaterEqual: graphOp = .compare(.greaterOrEqual)
    case .equal: graphOp = .compare(.equal)
    case .notEqual: graphOp = .compare(.notEqual)
    default:
      throw failure(.invalidOperation,
                    "'\(op.rawValue)' cannot be differentiated; a traced function may use "
                      + "+ - * / ^ @, comparisons and the built-in tensor functions", at: range)
    }
    guard let a = traced.operand(lhs), let b = traced.operand(rhs) else {
      throw failure(.typeMismatch,
                    "cannot apply '\(op.rawValue)' to a \(lhs.typeName) and a \(rhs.typeName)",
                    at: range)
    }
    if op == .matmul, a.shape.count == 1 || b.shape.count == 1,
       a.shape.count > 2 || b.shape.count > 2 {
      return try tracedVectorMatmul(a, b, range: range)
    }
    return try traced.apply(graphOp, [a, b], evaluator: self, range: range)
  }

  /// A vector times a stack of matrices (or a stack times a vector), as np.matmul does it: the
  /// vector made a matrix (`[k]` → `[1, k]` on the left, `[k, 1]` on the right), multiplied,
  /// and the added axis dropped.
  private func tracedVectorMatmul(
    _ a: SymbolicTensor, _ b: SymbolicTensor, range: SourceRange
  ) throws(Unwind) -> Value {
    func node(_ value: Value) -> SymbolicTensor {
      value.symbolic ?? a
    }
    let left = a.shape.count == 1
    let vector = left ? a : b
    let k = vector.shape[0]
    let matrix = node(try vector.apply(.reshape(left ? [1, k] : [k, 1]), [vector],
                                       evaluator: self, range: range))
    let product = node(try a.apply(.matmul, left ? [matrix, b] : [a, matrix], evaluator: self,
                                   range: range))
    var shape = product.shape
    shape.remove(at: shape.count - (left ? 2 : 1))
    return try product.apply(.reshape(shape), [product], evaluator: self, range: range)
  }
}

extension CallContext {
  /// The op of the IR applied to the arguments `names`, whatever they hold: traced tensors add a
  /// node (numbers and tensors beside them become constants), one number gives a number (the
  /// op's kernel in Double), tensors give the tensor that kernel computes. So a differentiable
  /// built-in names its op once and works eagerly and inside `grad(f, x)` alike.
  func apply(_ op: Op, to names: [String]) throws(Diagnostic) -> Value {
    var values: [Value] = []
    for name in names { values.append(try require(name)) }
    if let traced = values.lazy.compactMap(\.symbolic).first {
      var inputs: [SymbolicTensor] = []
      for (name, value) in zip(names, values) {
        guard let input = traced.operand(value) else {
          throw error(.typeMismatch, "the argument '\(name)' of \(builtin.name) must be a tensor, "
                        + "but this is a \(value.typeName)", at: name)
        }
        inputs.append(input)
      }
      return try trace(op, inputs)
    }
    var tensors: [Tensor] = []
    if values.count != 1 || values[0].number == nil {
      for name in names { tensors.append(try tensorLike(name)) }
    }
    do throws(GraphError) {
      if tensors.isEmpty, values.count == 1, let x = values[0].number {
        return .number(try Tensor.apply(op, toNumber: x))
      }
      return .tensor(try Tensor.apply(op, tensors))
    } catch {
      throw self.error(.shapeMismatch, error.message)
    }
  }
}
