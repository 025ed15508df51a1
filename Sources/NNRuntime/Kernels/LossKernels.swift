// The loss family: losses and their gradients — shape rules, gradient rules and kernels side by
// side, each dispatching to the loss's own declaration and kernels (Losses/<Name>.swift). A
// loss that reads logits always does (cross-entropy's log-sum-exp); a loss after the
// activation it declares fused (cross-entropy after softmax, bce after sigmoid) reads the
// activation's input logits, in the forward value and in the gradient. Values accumulate in
// Double.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Shape rules

extension Graph {
  static func lossFamilyShape(
    _ op: LossOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .loss(let kind):
      try checkLossOperands(kind, shapes[0], shapes[1])
      return []
    case .lossGradient(let kind, _):
      try checkLossOperands(kind, shapes[0], shapes[1])
      guard shapes[2].reduce(1, *) == 1 else {
        throw GraphError(message: "\(op.name): the upstream gradient must be a scalar, not shape "
                         + shapeText(shapes[2]))
      }
      return shapes[0]
    }
  }

  /// The loss op reads targets already normalised by the loss's declared rule
  /// (`LossKind.targetShape`): it accepts a target that the rule keeps as it is.
  private static func checkLossOperands(
    _ kind: LossKind, _ prediction: [Int], _ target: [Int]
  ) throws(GraphError) {
    if let accepted = try? kind.targetShape(target, prediction: prediction),
      accepted.shape == target
    {
      return
    }
    switch kind.targetKind {
    case .classes:
      guard (1...3).contains(prediction.count) else {
        throw GraphError(message: "\(kind.name): the prediction must be logits [B, C] or "
                         + "[B, T, C], not shape \(shapeText(prediction))")
      }
      let indices = Array(prediction.dropLast())
      throw GraphError(message: "\(kind.name): the target must have shape "
                       + "\(shapeText(indices)) (class indices) or \(shapeText(prediction)) "
                       + "(probabilities), not \(shapeText(target)) (prediction shape "
                       + "\(shapeText(prediction)))")
    case .probabilities, .values:
      throw GraphError(message: "\(kind.name): prediction shape \(shapeText(prediction)) and "
                       + "target shape \(shapeText(target)) differ")
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func lossFamilyGradient(
    _ op: LossOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    guard case .loss(let kind) = op else { throw noSecondDerivative(node) }
    let (prediction, target) = (self[node].inputs[0], self[node].inputs[1])
    var result: [Contribution] = []
    if needs[0] {
      if let logits = fusedLossLogits(node) {
        // The gradient skips the softmax/sigmoid and lands on the logits directly.
        result.append((logits, try gradientNode(.lossGradient(kind, fromLogits: true),
                                                [logits, target, g], for: node)))
      } else {
        let fromLogits = kind.declaration.readsLogits
        result.append((prediction, try gradientNode(.lossGradient(kind, fromLogits: fromLogits),
                                                    [prediction, target, g], for: node)))
      }
    }
    if needs[1] {
      // A loss of p − y alone has dL/dy = −dL/dp.
      guard kind.declaration.targetGradientIsNegated else {
        throw GraphError(message: "\(kind.name): the gradient with respect to the target is not "
                         + "supported", node: node, tag: self[node].tag)
      }
      let gradient = try gradientNode(.lossGradient(kind, fromLogits: false),
                                      [prediction, target, g], for: node)
      result.append((target, try gradientNode(.negate, [gradient], for: node)))
    }
    return result
  }
}

// MARK: - Kernels

/// The layout of a loss's operands, shared by the value and gradient kernels.
struct LossOperands<T: PlanScalar> {
  /// The loss's kernels, not retained: the plan's graph holds the `LossKind` that owns them
  /// for as long as the plan runs. An owning reference would make `Kernel` non-trivial, and
  /// every kernel of every step would then be copied through a retain and a release.
  unowned(unsafe) let kernels: LossKernels
  /// Logits (cross-entropy, fused bce) or the prediction itself.
  let fromLogits: Bool
  let prediction: UnsafeMutablePointer<T>
  let target: UnsafeMutablePointer<T>
  /// Rows × columns; for a loss over class targets the batch and the classes.
  let rows: Int
  let columns: Int
  /// Class targets given as one class index per row.
  let targetIsIndices: Bool

  var count: Int { rows * columns }

  /// The number of target scalars: one per row for indices, else one per prediction scalar.
  var targetCount: Int { targetIsIndices ? rows : count }

  /// The class of row `row`, or nil when the stored float is not a valid index.
  @inline(__always)
  func classIndex(_ row: Int) -> Int? {
    let value = target[row]
    guard value >= 0 && value < T(columns) && value.rounded(.towardZero) == value else {
      return nil
    }
    return Int(value)
  }

  /// log Σ exp over one row of logits, shifted by the row max.
  @inline(__always)
  func logSumExp(_ row: Int) -> Double {
    let z = prediction + row * columns
    var largest = z[0].doubleValue
    for j in 1..<columns where z[j].doubleValue > largest { largest = z[j].doubleValue }
    var total = 0.0
    for j in 0..<columns { total += exp(z[j].doubleValue - largest) }
    return largest + log(total)
  }

  /// These operands with `T` known to be `U` (the caller has checked `T.self == U.self`).
  func same<U: PlanScalar>(_: U.Type) -> LossOperands<U> {
    unsafeBitCast(self, to: LossOperands<U>.self)
  }

  /// Runs `body` on Double copies of the operands, for an element type with no kernel of its
  /// own (plans compute in Float or Double, which never come here); `output`, when given,
  /// holds `count` scalars and receives body's Double output.
  func inDouble<R>(
    output: UnsafeMutablePointer<T>? = nil,
    _ body: (LossOperands<Double>, UnsafeMutablePointer<Double>) -> R
  ) -> R {
    let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
    let y = UnsafeMutablePointer<Double>.allocate(capacity: max(targetCount, 1))
    let out = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
    defer { p.deallocate(); y.deallocate(); out.deallocate() }
    for i in 0..<count { p[i] = prediction[i].doubleValue }
    for i in 0..<targetCount { y[i] = target[i].doubleValue }
    let result = body(LossOperands<Double>(
      kernels: kernels, fromLogits: fromLogits, prediction: p, target: y, rows: rows,
      columns: columns, targetIsIndices: targetIsIndices), out)
    if let output { for i in 0..<count { output[i] = T(out[i]) } }
    return result
  }
}

/// The 0-d value of a loss.
struct LossKernel<T: PlanScalar> {
  let operands: LossOperands<T>
  let output: UnsafeMutablePointer<T>

  func run() {
    output[0] = T(value())
  }

  private func value() -> Double {
    let loss = operands.kernels.function
    if T.self == Float.self { return loss.value(operands.same(Float.self)) }
    if T.self == Double.self { return loss.value(operands.same(Double.self)) }
    return operands.inDouble { operands, _ in loss.value(operands) }
  }
}

/// dL/dprediction (or dL/dlogits) times the upstream scalar.
struct LossGradientKernel<T: PlanScalar> {
  let operands: LossOperands<T>
  let upstream: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>

  func run() {
    let loss = operands.kernels.function
    let g = upstream[0]
    if T.self == Float.self {
      loss.gradient(operands.same(Float.self), upstream: g.floatValue,
                    into: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self))
    } else if T.self == Double.self {
      loss.gradient(operands.same(Double.self), upstream: g.doubleValue,
                    into: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Double.self))
    } else {
      operands.inDouble(output: output) { operands, out in
        loss.gradient(operands, upstream: g.doubleValue, into: out)
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the loss family; `operands.fusedLoss` means input 0 holds the
  /// logits of a fused softmax or sigmoid.
  static func lossFamily(_ op: LossOp, _ operands: KernelOperands<T>) -> Kernel {
    let prediction = operands.inputShapes[0]
    let target = operands.inputShapes[1]
    let columns = prediction.last ?? 1
    let count = prediction.reduce(1, *)
    func layout(_ kind: LossKind, fromLogits: Bool) -> LossOperands<T> {
      // A loss over class targets works row by row; the others over all scalars at once.
      let byRow = kind.targetKind == .classes
      return LossOperands(
        kernels: kind.kernels, fromLogits: fromLogits, prediction: operands.inputs[0],
        target: operands.inputs[1],
        rows: byRow ? (columns == 0 ? 0 : count / columns) : 1,
        columns: byRow ? columns : count,
        targetIsIndices: byRow && target.count < prediction.count)
    }
    switch op {
    case .loss(let kind):
      let fromLogits = kind.declaration.readsLogits || operands.fusedLoss
      return .loss(LossKernel(operands: layout(kind, fromLogits: fromLogits),
                              output: operands.output))
    case .lossGradient(let kind, let fromLogits):
      return .lossGradient(LossGradientKernel(
        operands: layout(kind, fromLogits: fromLogits || kind.declaration.readsLogits),
        upstream: operands.inputs[2], output: operands.output))
    }
  }
}
