// The selection family: comparisons, where, the maximum over an axis and masking — shape rules,
// gradient rules and kernels side by side. Comparisons give 0 or 1 and carry no gradient; where
// and masked fill route the gradient to the branch each element came from; the maximum sends it
// to the first maximum of each slice, as PyTorch's `max(dim)` does.

/// An element-wise comparison.
public enum Comparison: Hashable, Sendable, CaseIterable {
  case less, lessOrEqual, greater, greaterOrEqual, equal, notEqual

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .less: "less"
    case .lessOrEqual: "less_equal"
    case .greater: "greater"
    case .greaterOrEqual: "greater_equal"
    case .equal: "equal"
    case .notEqual: "not_equal"
    }
  }

  /// Whether `a ∘ b` holds (false when either is NaN, but for `notEqual`).
  @inline(__always)
  func holds<T: PlanScalar>(_ a: T, _ b: T) -> Bool {
    switch self {
    case .less: a < b
    case .lessOrEqual: a <= b
    case .greater: a > b
    case .greaterOrEqual: a >= b
    case .equal: a == b
    case .notEqual: a != b
    }
  }
}

/// Comparisons, where, the maximum over an axis and masked fill.
public enum SelectionOp: Hashable, Sendable {
  /// [a, b] → 1 where `a ∘ b` holds, else 0 (NumPy broadcasting).
  case compare(Comparison)
  /// [condition, a, b] → a where the condition is non-zero, else b (broadcasting all three).
  case select
  /// [x] → the maximum over `axis` (removed).
  case maximum(axis: Int)
  /// [x, g] → g at the first maximum of each slice along `axis`, zero elsewhere.
  case maximumGradient(axis: Int)
  /// [x, mask] → `value` where the mask (broadcast to x) is non-zero, else x: masking scores
  /// with −∞ before a softmax.
  case maskedFill(Double)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .compare(let comparison): comparison.name
    case .select: "where"
    case .maximum: "max"
    case .maximumGradient: "max_grad"
    case .maskedFill: "masked_fill"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .maximum: 1
    case .compare, .maximumGradient, .maskedFill: 2
    case .select: 3
    }
  }
}

// MARK: - Shape rules

extension Graph {
  static func selectionFamilyShape(
    _ op: SelectionOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .compare, .select:
      var result: [Int] = []
      for shape in shapes {
        guard let joined = try? Tensor.broadcastShape(result, shape) else {
          throw GraphError(message: "\(op.name): shapes "
                           + shapes.map { shapeText($0) }.joined(separator: ", ")
                           + " do not broadcast together")
        }
        result = joined
      }
      return result
    case .maximum(let axis):
      var x = shapes[0]
      guard axis >= 0, axis < x.count else {
        throw GraphError(message: "max: axis \(axis) is out of range for shape \(shapeText(x))")
      }
      guard x[axis] > 0 else {
        throw GraphError(message: "max: axis \(axis) of shape \(shapeText(x)) is empty, so it "
                         + "has no maximum")
      }
      x.remove(at: axis)
      return x
    case .maximumGradient(let axis):
      var reduced = shapes[0]
      guard axis >= 0, axis < reduced.count else {
        throw GraphError(message: "max_grad: axis \(axis) is out of range for shape "
                         + shapeText(reduced))
      }
      reduced.remove(at: axis)
      guard shapes[1] == reduced else {
        throw GraphError(message: "max_grad: a gradient of shape \(shapeText(shapes[1])) does "
                         + "not fit the maximum of shape \(shapeText(shapes[0])) over axis "
                         + "\(axis)")
      }
      return shapes[0]
    case .maskedFill:
      let (x, mask) = (shapes[0], shapes[1])
      guard (try? Tensor.broadcastShape(x, mask)) == x else {
        throw GraphError(message: "masked_fill: a mask of shape \(shapeText(mask)) does not "
                         + "broadcast to the shape \(shapeText(x)) it masks")
      }
      return x
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func selectionFamilyGradient(
    _ op: SelectionOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    switch op {
    case .compare:
      // A step function: zero almost everywhere, so no contribution.
      return []
    case .select:
      var result: [Contribution] = []
      let zero = try scalarConstant(0)
      if needs[1] {
        let part = try gradientNode(.select, [inputs[0], g, zero], for: node)
        result.append((inputs[1], try reduce(part, to: shape(of: inputs[1]), for: node)))
      }
      if needs[2] {
        let part = try gradientNode(.select, [inputs[0], zero, g], for: node)
        result.append((inputs[2], try reduce(part, to: shape(of: inputs[2]), for: node)))
      }
      return result
    case .maximum(let axis):
      return [(inputs[0], try gradientNode(.maximumGradient(axis: axis), [inputs[0], g],
                                           for: node))]
    case .maximumGradient:
      throw noSecondDerivative(node)
    case .maskedFill:
      guard needs[0] else { return [] }
      return [(inputs[0], try gradientNode(.maskedFill(0), [g, inputs[1]], for: node))]
    }
  }
}

// MARK: - Kernels

/// A comparison, where or masked fill, walked row by row through a `BroadcastIndex` over its
/// operands (two or three).
struct SelectKernel<T: PlanScalar> {
  enum Kind {
    case compare(Comparison)
    case select
    /// Operand 1 is the mask.
    case maskedFill(T)
  }

  let kind: Kind
  let operands: [UnsafeMutablePointer<T>]
  let output: UnsafeMutablePointer<T>
  let index: BroadcastIndex

  func run() {
    let length = index.rowLength
    let strides = index.innerStrides
    for row in 0..<index.rows {
      let z = output + row * length
      let a = operands[0] + index.offset(0, row)
      let b = operands[1] + index.offset(1, row)
      let (sa, sb) = (strides[0], strides[1])
      switch kind {
      case .compare(let comparison):
        for j in 0..<length { z[j] = comparison.holds(a[j * sa], b[j * sb]) ? 1 : 0 }
      case .maskedFill(let value):
        for j in 0..<length { z[j] = b[j * sb] != 0 ? value : a[j * sa] }
      case .select:
        let c = operands[2] + index.offset(2, row)
        let sc = strides[2]
        for j in 0..<length { z[j] = a[j * sa] != 0 ? b[j * sb] : c[j * sc] }
      }
    }
  }
}

/// The maximum over the middle axis of `[outer, extent, inner]`, or its gradient (to the first
/// maximum of each slice). NaN wins, as in PyTorch: it is the maximum of any slice holding one.
struct MaximumKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  /// The gradient's upstream `[outer, inner]`, or nil for the forward maximum.
  let upstream: UnsafeMutablePointer<T>?
  let output: UnsafeMutablePointer<T>
  let outer: Int
  let extent: Int
  let inner: Int

  func run() {
    if upstream != nil { output.update(repeating: 0, count: outer * extent * inner) }
    guard extent > 0 else { return }
    for o in 0..<outer {
      let base = input + o * extent * inner
      for i in 0..<inner {
        var best = base[i]
        var at = 0
        if !best.isNaN {
          for k in 1..<extent {
            let value = base[k * inner + i]
            if value > best || value.isNaN {
              best = value
              at = k
              if value.isNaN { break }
            }
          }
        }
        if let upstream {
          output[(o * extent + at) * inner + i] = upstream[o * inner + i]
        } else {
          output[o * inner + i] = best
        }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the selection family.
  static func selectionFamily(_ op: SelectionOp, _ operands: KernelOperands<T>) -> Kernel {
    let shapes = operands.inputShapes
    let p = operands.inputs
    func select(_ kind: SelectKernel<T>.Kind) -> Kernel {
      .select(SelectKernel(kind: kind, operands: p, output: operands.output,
                           index: BroadcastIndex(operands: shapes,
                                                 output: operands.outputShape)))
    }
    func maximum(_ axis: Int, upstream: UnsafeMutablePointer<T>?) -> Kernel {
      let x = shapes[0]
      return .maximum(MaximumKernel(
        input: p[0], upstream: upstream, output: operands.output,
        outer: x[..<axis].reduce(1, *), extent: x[axis], inner: x[(axis + 1)...].reduce(1, *)))
    }
    switch op {
    case .compare(let comparison): return select(.compare(comparison))
    case .select: return select(.select)
    case .maximum(let axis): return maximum(axis, upstream: nil)
    case .maximumGradient(let axis): return maximum(axis, upstream: p[1])
    case .maskedFill(let value): return select(.maskedFill(T(value)))
    }
  }
}
