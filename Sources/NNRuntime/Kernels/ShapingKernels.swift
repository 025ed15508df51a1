// The shaping family: slice, concat, stack, permute and gather, with the scatters their
// gradients are — shape rules, gradient rules and kernels side by side. These ops move elements
// without arithmetic (but the scatter-add of gather's gradient), so one strided copy
// (`ViewCopy`) serves slice, its gradient, concat, stack and permute.
//
// Axes in these ops are already non-negative: the builder resolves `-1` against the operand's
// rank, so two graphs that mean the same thing hold the same op.

/// A strided range along one axis: `start, start + step, …` below `end` (Python's
/// `x[start:end:step]` with 0 ≤ start ≤ end and step ≥ 1).
public struct SliceRange: Hashable, Sendable {
  /// The axis sliced (non-negative).
  public var axis: Int
  /// The first index taken.
  public var start: Int
  /// One past the last index that may be taken.
  public var end: Int
  /// The distance between taken indices (at least 1).
  public var step: Int

  /// A slice of `axis`.
  public init(axis: Int, start: Int, end: Int, step: Int = 1) {
    self.axis = axis
    self.start = start
    self.end = end
    self.step = step
  }

  /// How many indices the slice takes.
  public var count: Int { end <= start ? 0 : (end - start + step - 1) / step }
}

/// Slicing, joining, reordering and selecting by index.
public enum ShapingOp: Hashable, Sendable {
  /// [x] → the elements of x the range takes along its axis.
  case slice(SliceRange)
  /// [g] → zeros of `shape` with g written where the slice read: the slice's gradient.
  case sliceGradient(SliceRange, shape: [Int])
  /// [x₁, …, xₙ] → joined along `axis`; every other extent agrees.
  case concat(axis: Int, count: Int)
  /// [x₁, …, xₙ] → stacked along a new axis `axis`; every shape agrees.
  case stack(axis: Int, count: Int)
  /// [x] → the axes reordered: result axis i is x's axis `axes[i]`.
  case permute([Int])
  /// [x, indices] → `np.take(x, indices, axis)`: x's shape with `axis` replaced by the
  /// indices' shape. Indices are whole numbers in [0, extent); a plan reads any other as a
  /// zero row (the eager built-in refuses them).
  case gather(axis: Int)
  /// [indices, g] → zeros of `shape` with g added into the rows the indices name: gather's
  /// gradient (repeated indices add up).
  case gatherGradient(axis: Int, shape: [Int])

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .slice: "slice"
    case .sliceGradient: "slice_grad"
    case .concat: "concat"
    case .stack: "stack"
    case .permute: "permute"
    case .gather: "gather"
    case .gatherGradient: "gather_grad"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .slice, .sliceGradient, .permute: 1
    case .concat(_, let count), .stack(_, let count): count
    case .gather, .gatherGradient: 2
    }
  }
}

// MARK: - Shape rules

extension Graph {
  static func shapingFamilyShape(
    _ op: ShapingOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .slice(let range):
      var x = shapes[0]
      try checkSlice(range, of: x, op: op)
      x[range.axis] = range.count
      return x
    case .sliceGradient(let range, let shape):
      try checkSlice(range, of: shape, op: op)
      var sliced = shape
      sliced[range.axis] = range.count
      guard shapes[0] == sliced else {
        throw GraphError(message: "slice_grad: a gradient of shape \(shapeText(shapes[0])) does "
                         + "not fit a slice of shape \(shapeText(sliced))")
      }
      return shape
    case .concat(let axis, _):
      return try joinedShape(shapes, axis: axis, stacking: false)
    case .stack(let axis, _):
      return try joinedShape(shapes, axis: axis, stacking: true)
    case .permute(let axes):
      let x = shapes[0]
      guard axes.count == x.count, Set(axes) == Set(0..<x.count) else {
        throw GraphError(message: "permute: axes \(shapeText(axes)) are not an ordering of the "
                         + "\(x.count) axes of shape \(shapeText(x))")
      }
      return axes.map { x[$0] }
    case .gather(let axis):
      let (x, indices) = (shapes[0], shapes[1])
      guard axis >= 0, axis < x.count else {
        throw GraphError(message: "gather: axis \(axis) is out of range for shape "
                         + shapeText(x))
      }
      return Array(x[..<axis]) + indices + Array(x[(axis + 1)...])
    case .gatherGradient(let axis, let shape):
      let (indices, g) = (shapes[0], shapes[1])
      guard axis >= 0, axis < shape.count,
        g == Array(shape[..<axis]) + indices + Array(shape[(axis + 1)...])
      else {
        throw GraphError(message: "gather_grad: a gradient of shape \(shapeText(g)) and indices "
                         + "of shape \(shapeText(indices)) do not fit a gather from "
                         + shapeText(shape))
      }
      return shape
    }
  }

  private static func checkSlice(
    _ range: SliceRange, of shape: [Int], op: ShapingOp
  ) throws(GraphError) {
    guard range.axis >= 0, range.axis < shape.count else {
      throw GraphError(message: "\(op.name): axis \(range.axis) is out of range for shape "
                       + shapeText(shape))
    }
    let extent = shape[range.axis]
    guard range.step >= 1, range.start >= 0, range.start <= range.end, range.end <= extent
    else {
      throw GraphError(message: "\(op.name): \(range.start)..<\(range.end) by \(range.step) is "
                       + "not a slice of axis \(range.axis) (extent \(extent)) of shape "
                       + shapeText(shape))
    }
  }

  /// The shape of a concat (operands joined along `axis`) or a stack (along a new `axis`).
  private static func joinedShape(
    _ shapes: [[Int]], axis: Int, stacking: Bool
  ) throws(GraphError) -> [Int] {
    let name = stacking ? "stack" : "concat"
    guard let first = shapes.first else {
      throw GraphError(message: "\(name): needs at least one tensor")
    }
    guard axis >= 0, axis < first.count + (stacking ? 1 : 0) else {
      throw GraphError(message: "\(name): axis \(axis) is out of range for shape "
                       + shapeText(first))
    }
    var total = 0
    for (i, shape) in shapes.enumerated() {
      let fits = stacking
        ? shape == first
        : shape.count == first.count
          && shape.indices.allSatisfy { $0 == axis || shape[$0] == first[$0] }
      guard fits else {
        throw GraphError(message: "\(name): tensor \(i + 1) has shape \(shapeText(shape)) but "
                         + "tensor 1 has \(shapeText(first))"
                         + (stacking ? "" : "; only axis \(axis) may differ"))
      }
      total += stacking ? 1 : shape[axis]
    }
    var result = first
    if stacking { result.insert(total, at: axis) } else { result[axis] = total }
    return result
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func shapingFamilyGradient(
    _ op: ShapingOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    switch op {
    case .slice(let range):
      let shape = shape(of: inputs[0])
      return [(inputs[0], try gradientNode(.sliceGradient(range, shape: shape), [g], for: node))]
    case .sliceGradient(let range, _):
      return [(inputs[0], try gradientNode(.slice(range), [g], for: node))]
    case .concat(let axis, _):
      var result: [Contribution] = []
      var offset = 0
      for (i, input) in inputs.enumerated() {
        let extent = shape(of: input)[axis]
        if needs[i] {
          let range = SliceRange(axis: axis, start: offset, end: offset + extent)
          result.append((input, try gradientNode(.slice(range), [g], for: node)))
        }
        offset += extent
      }
      return result
    case .stack(let axis, _):
      var result: [Contribution] = []
      for (i, input) in inputs.enumerated() where needs[i] {
        let range = SliceRange(axis: axis, start: i, end: i + 1)
        let part = try gradientNode(.slice(range), [g], for: node)
        result.append((input, try gradientNode(.reshape(shape(of: input)), [part], for: node)))
      }
      return result
    case .permute(let axes):
      var inverse = axes
      for (i, axis) in axes.enumerated() { inverse[axis] = i }
      return [(inputs[0], try gradientNode(.permute(inverse), [g], for: node))]
    case .gather(let axis):
      guard needs[0] else { return [] }
      let shape = shape(of: inputs[0])
      return [(inputs[0], try gradientNode(.gatherGradient(axis: axis, shape: shape),
                                           [inputs[1], g], for: node))]
    case .gatherGradient(let axis, _):
      guard needs[1] else { return [] }
      return [(inputs[1], try gradientNode(.gather(axis: axis), [g, inputs[0]], for: node))]
    }
  }
}

// MARK: - Kernels

/// Copies a strided view of `extents` from one buffer to another: element `i` (a multi-index)
/// goes from `source[Σ i·sourceStrides]` to `destination[Σ i·destinationStrides]`.
struct ViewCopy<T: PlanScalar> {
  let source: UnsafeMutablePointer<T>
  let destination: UnsafeMutablePointer<T>
  let extents: [Int]
  let sourceStrides: [Int]
  let destinationStrides: [Int]

  func run() {
    let count = extents.reduce(1, *)
    guard count > 0 else { return }
    guard let last = extents.indices.last else {
      destination[0] = source[0]
      return
    }
    let length = extents[last]
    let (inner, innerOut) = (sourceStrides[last], destinationStrides[last])
    let outer = extents[..<last]
    // The odometer lives on the stack: a heap array here was an allocation per training step
    // (attention's copies; docs/performance.md, bench-malloc).
    withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(last, 1)) { index in
      index.initialize(repeating: 0)
      var (from, to) = (0, 0)
      for _ in 0..<(count / length) {
        let x = source + from
        let y = destination + to
        if inner == 1 && innerOut == 1 {
          y.update(from: x, count: length)
        } else {
          for j in 0..<length { y[j * innerOut] = x[j * inner] }
        }
        // The odometer over the outer axes, innermost first.
        var axis = last - 1
        while axis >= 0 {
          index[axis] += 1
          from += sourceStrides[axis]
          to += destinationStrides[axis]
          if index[axis] < outer[axis] { break }
          from -= sourceStrides[axis] * outer[axis]
          to -= destinationStrides[axis] * outer[axis]
          index[axis] = 0
          axis -= 1
        }
      }
    }
  }
}

/// Strided copies, after zeroing the output when they do not cover it (a slice's gradient).
struct ShapingKernel<T: PlanScalar> {
  let zeroed: (UnsafeMutablePointer<T>, count: Int)?
  let copies: [ViewCopy<T>]

  func run() {
    if let (pointer, count) = zeroed { pointer.update(repeating: 0, count: count) }
    for copy in copies { copy.run() }
  }
}

/// np.take along an axis, or its scatter-add: the operand is `[outer, extent, inner]` and the
/// result `[outer, positions, inner]` (or the reverse for the gradient).
struct GatherKernel<T: PlanScalar> {
  let values: UnsafeMutablePointer<T>
  let indices: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let outer: Int
  let extent: Int
  let positions: Int
  let inner: Int
  let scatter: Bool

  @inline(__always)
  private func row(_ p: Int) -> Int? {
    let value = indices[p].doubleValue
    guard value >= 0, value < Double(extent), value.rounded(.down) == value else { return nil }
    return Int(value)
  }

  func run() {
    if scatter {
      output.update(repeating: 0, count: outer * extent * inner)
      for o in 0..<outer {
        for p in 0..<positions {
          guard let r = row(p) else { continue }
          let x = values + (o * positions + p) * inner
          let y = output + (o * extent + r) * inner
          for j in 0..<inner { y[j] += x[j] }
        }
      }
    } else {
      for o in 0..<outer {
        for p in 0..<positions {
          let y = output + (o * positions + p) * inner
          if let r = row(p) {
            y.update(from: values + (o * extent + r) * inner, count: inner)
          } else {
            y.update(repeating: 0, count: inner)
          }
        }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the shaping family.
  static func shapingFamily(_ op: ShapingOp, _ operands: KernelOperands<T>) -> Kernel {
    let shapes = operands.inputShapes
    let p = operands.inputs
    let output = operands.output
    let outputShape = operands.outputShape
    switch op {
    case .slice(let range):
      var strides = contiguousStrides(shapes[0])
      let start = range.start * strides[range.axis]
      strides[range.axis] *= range.step
      return .shaping(ShapingKernel(zeroed: nil, copies: [
        ViewCopy(source: p[0] + start, destination: output, extents: outputShape,
                 sourceStrides: strides, destinationStrides: contiguousStrides(outputShape)),
      ]))
    case .sliceGradient(let range, let shape):
      var strides = contiguousStrides(shape)
      let start = range.start * strides[range.axis]
      strides[range.axis] *= range.step
      return .shaping(ShapingKernel(zeroed: (output, shape.reduce(1, *)), copies: [
        ViewCopy(source: p[0], destination: output + start, extents: shapes[0],
                 sourceStrides: contiguousStrides(shapes[0]), destinationStrides: strides),
      ]))
    case .concat(let axis, _):
      let strides = contiguousStrides(outputShape)
      var offset = 0
      var copies: [ViewCopy<T>] = []
      for (i, shape) in shapes.enumerated() {
        copies.append(ViewCopy(source: p[i], destination: output + offset * strides[axis],
                               extents: shape, sourceStrides: contiguousStrides(shape),
                               destinationStrides: strides))
        offset += shape[axis]
      }
      return .shaping(ShapingKernel(zeroed: nil, copies: copies))
    case .stack(let axis, _):
      var strides = contiguousStrides(outputShape)
      let step = strides.remove(at: axis)
      let copies = shapes.indices.map { i in
        ViewCopy(source: p[i], destination: output + i * step, extents: shapes[i],
                 sourceStrides: contiguousStrides(shapes[i]), destinationStrides: strides)
      }
      return .shaping(ShapingKernel(zeroed: nil, copies: copies))
    case .permute(let axes):
      let own = contiguousStrides(shapes[0])
      return .shaping(ShapingKernel(zeroed: nil, copies: [
        ViewCopy(source: p[0], destination: output, extents: outputShape,
                 sourceStrides: axes.map { own[$0] },
                 destinationStrides: contiguousStrides(outputShape)),
      ]))
    case .gather(let axis):
      let x = shapes[0]
      return .gather(GatherKernel(
        values: p[0], indices: p[1], output: output, outer: x[..<axis].reduce(1, *),
        extent: x[axis], positions: shapes[1].reduce(1, *),
        inner: x[(axis + 1)...].reduce(1, *), scatter: false))
    case .gatherGradient(let axis, let shape):
      return .gather(GatherKernel(
        values: p[1], indices: p[0], output: output, outer: shape[..<axis].reduce(1, *),
        extent: shape[axis], positions: shapes[0].reduce(1, *),
        inner: shape[(axis + 1)...].reduce(1, *), scatter: true))
    }
  }
}
