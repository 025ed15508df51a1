// The arithmetic family: element-wise binary ops with NumPy broadcasting and element-wise unary
// ops — shape rules, gradient rules and kernels side by side. Broadcast gradients are summed
// back to each operand's shape.

// MARK: - Shape rules

extension Graph {
  static func arithmeticFamilyShape(
    _ op: ArithmeticOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .add, .subtract, .multiply, .divide, .power:
      do {
        return try Tensor.broadcastShape(shapes[0], shapes[1])
      } catch {
        throw GraphError(message: "\(op.name): cannot broadcast shapes \(shapeText(shapes[0])) "
                         + "and \(shapeText(shapes[1]))")
      }
    case .negate, .exp, .log, .sqrt, .abs, .sign, .scale:
      return shapes[0]
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func arithmeticFamilyGradient(
    _ op: ArithmeticOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    let a = inputs[0]
    let b = inputs.count > 1 ? inputs[1] : a
    // Each contribution is computed first, then summed back to its operand's shape; every
    // mutating call takes only locals, so no access to the graph overlaps another.
    var raw: [(Int, NodeID)] = []
    switch op {
    case .add:
      if needs[0] { raw.append((0, g)) }
      if needs[1] { raw.append((1, g)) }
    case .subtract:
      if needs[0] { raw.append((0, g)) }
      if needs[1] { raw.append((1, try make(.negate, [g], node))) }
    case .multiply:
      if needs[0] { raw.append((0, try make(.multiply, [g, b], node))) }
      if needs[1] { raw.append((1, try make(.multiply, [g, a], node))) }
    case .divide:
      // d(a/b)/db = −a/b² = −(a/b)/b.
      if needs[0] { raw.append((0, try make(.divide, [g, b], node))) }
      if needs[1] {
        let product = try make(.multiply, [g, node], node)
        let scaled = try make(.divide, [product, b], node)
        raw.append((1, try make(.negate, [scaled], node)))
      }
    case .power:
      // d(aᵇ)/da = b·aᵇ⁻¹; d(aᵇ)/db = aᵇ·log a (only built when b needs a gradient, so a
      // constant exponent never takes the log of a negative base).
      if needs[0] {
        let one = try scalarConstant(1)
        let exponent = try make(.subtract, [b, one], node)
        let lowered = try make(.power, [a, exponent], node)
        let derivative = try make(.multiply, [b, lowered], node)
        raw.append((0, try make(.multiply, [g, derivative], node)))
      }
      if needs[1] {
        let logarithm = try make(.log, [a], node)
        let derivative = try make(.multiply, [node, logarithm], node)
        raw.append((1, try make(.multiply, [g, derivative], node)))
      }
    case .negate:
      raw.append((0, try make(.negate, [g], node)))
    case .scale(let c):
      raw.append((0, try make(.scale(c), [g], node)))
    case .exp:
      raw.append((0, try make(.multiply, [g, node], node)))
    case .log:
      raw.append((0, try make(.divide, [g, a], node)))
    case .sqrt:
      let half = try scalarConstant(0.5)
      let scaled = try make(.multiply, [g, half], node)
      raw.append((0, try make(.divide, [scaled, node], node)))
    case .abs:
      let sign = try make(.sign, [a], node)
      raw.append((0, try make(.multiply, [g, sign], node)))
    case .sign:
      // Piecewise constant: no contribution.
      break
    }
    var result: [Contribution] = []
    for (i, gradient) in raw {
      let shape = self.shape(of: inputs[i])
      result.append((inputs[i], try reduce(gradient, to: shape, for: node)))
    }
    return result
  }

  private mutating func make(_ op: Op, _ operands: [NodeID], _ node: NodeID) throws(GraphError)
    -> NodeID {
    try gradientNode(op, operands, for: node)
  }
}

// MARK: - Kernels

/// The element-wise binary ops a kernel can run.
enum BinaryKind: Sendable {
  case add, subtract, multiply, divide, power
}

/// a ∘ b with broadcasting, walked row by row through a precomputed `BroadcastIndex`.
struct BinaryKernel<T: PlanScalar> {
  let kind: BinaryKind
  let a: UnsafeMutablePointer<T>
  let b: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let index: BroadcastIndex

  /// Over the pool: one long row (same-shape operands) is cut into column ranges, several
  /// rows into row ranges; each range runs the op's own loop.
  func run() {
    let length = index.rowLength
    if index.rows == 1 {
      Parallel.forEach(length, grain: elementwiseGrain) { part in run(rows: 0..<1, part) }
    } else {
      Parallel.forEach(index.rows, grain: elementwiseRowGrain(length)) { part in
        run(rows: part, 0..<length)
      }
    }
  }

  private func run(rows: Range<Int>, _ columns: Range<Int>) {
    switch kind {
    case .add: apply(rows, columns) { $0 + $1 }
    case .subtract: apply(rows, columns) { $0 - $1 }
    case .multiply: apply(rows, columns) { $0 * $1 }
    case .divide: apply(rows, columns) { $0 / $1 }
    case .power: apply(rows, columns) { T.power($0, $1) }
    }
  }

  @inline(__always)
  private func apply(_ rows: Range<Int>, _ columns: Range<Int>, _ f: (T, T) -> T) {
    let length = index.rowLength
    let (strideA, strideB) = (index.innerStrides[0], index.innerStrides[1])
    for row in rows {
      let x = a + index.offset(0, row)
      let y = b + index.offset(1, row)
      let z = output + row * length
      switch (strideA, strideB) {
      case (1, 1): for j in columns { z[j] = f(x[j], y[j]) }
      case (1, _): let v = y[0]; for j in columns { z[j] = f(x[j], v) }
      case (_, 1): let u = x[0]; for j in columns { z[j] = f(u, y[j]) }
      default: let value = f(x[0], y[0]); for j in columns { z[j] = value }
      }
    }
  }
}

/// The element-wise unary ops a kernel can run.
enum UnaryKind: Sendable {
  case negate, exp, log, sqrt, abs, sign
  case scale(Double)
}

/// −1, 0 or 1 by the sign of x (+0 for either zero); NaN stays NaN, as NumPy's sign.
@inline(__always)
func signum<T: PlanScalar>(_ x: T) -> T { x > 0 ? 1 : x < 0 ? -1 : x.isNaN ? x : 0 }

/// f(x) element by element.
struct UnaryKernel<T: PlanScalar> {
  let kind: UnaryKind
  let input: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let count: Int

  func run() {
    Parallel.forEach(count, grain: elementwiseGrain) { part in run(part) }
  }

  private func run(_ part: Range<Int>) {
    let (x, y) = (input, output)
    switch kind {
    case .negate: for i in part { y[i] = -x[i] }
    case .scale(let value):
      let c = T(value)
      for i in part { y[i] = x[i] * c }
    case .exp: for i in part { y[i] = T.exponential(x[i]) }
    case .log: for i in part { y[i] = T.logarithm(x[i]) }
    case .sqrt: for i in part { y[i] = x[i].squareRoot() }
    case .abs: for i in part { y[i] = Swift.abs(x[i]) }
    case .sign: for i in part { y[i] = signum(x[i]) }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the arithmetic family.
  static func arithmeticFamily(_ op: ArithmeticOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    func binary(_ kind: BinaryKind) -> Kernel {
      .binary(BinaryKernel(kind: kind, a: p[0], b: p[1], output: operands.output,
                           index: BroadcastIndex(operands: operands.inputShapes,
                                                 output: operands.outputShape)))
    }
    func unary(_ kind: UnaryKind) -> Kernel {
      .unary(UnaryKernel(kind: kind, input: p[0], output: operands.output,
                         count: operands.outputShape.reduce(1, *)))
    }
    switch op {
    case .add: return binary(.add)
    case .subtract: return binary(.subtract)
    case .multiply: return binary(.multiply)
    case .divide: return binary(.divide)
    case .power: return binary(.power)
    case .negate: return unary(.negate)
    case .scale(let c): return unary(.scale(c))
    case .exp: return unary(.exp)
    case .log: return unary(.log)
    case .sqrt: return unary(.sqrt)
    case .abs: return unary(.abs)
    case .sign: return unary(.sign)
    }
  }
}
