// The loss family: losses and their gradients — shape rules, gradient rules and kernels side by
// side. Cross-entropy always reads logits (log-sum-exp); a cross-entropy of a softmax and a bce
// of a sigmoid are fused to read the activation's input logits, in the forward value and in the
// gradient ((softmax(z) − onehot)/B and (σ(z) − y)/N). Values accumulate in Double.

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

  private static func checkLossOperands(
    _ kind: LossKind, _ prediction: [Int], _ target: [Int]
  ) throws(GraphError) {
    if kind == .crossEntropy {
      guard prediction.count == 1 || prediction.count == 2 else {
        throw GraphError(message: "cross_entropy: the prediction must be logits [B, C], not "
                         + "shape \(shapeText(prediction))")
      }
      let indices = Array(prediction.dropLast())
      guard target == indices || target == prediction else {
        throw GraphError(message: "cross_entropy: the target must have shape "
                         + "\(shapeText(indices)) (class indices) or \(shapeText(prediction)) "
                         + "(probabilities), not \(shapeText(target)) (prediction shape "
                         + "\(shapeText(prediction)))")
      }
      return
    }
    guard prediction == target else {
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
        let fromLogits = kind == .crossEntropy
        result.append((prediction, try gradientNode(.lossGradient(kind, fromLogits: fromLogits),
                                                    [prediction, target, g], for: node)))
      }
    }
    if needs[1] {
      switch kind {
      case .mse, .sse, .mae, .huber:
        // These depend on p − y only, so dL/dy = −dL/dp.
        let gradient = try gradientNode(.lossGradient(kind, fromLogits: false),
                                        [prediction, target, g], for: node)
        result.append((target, try gradientNode(.negate, [gradient], for: node)))
      case .crossEntropy, .bce:
        throw GraphError(message: "\(kind.name): the gradient with respect to the target is not "
                         + "supported", node: node, tag: self[node].tag)
      }
    }
    return result
  }
}

// MARK: - Kernels

/// The layout of a loss's operands, shared by the value and gradient kernels.
struct LossOperands<T: PlanScalar> {
  let kind: LossKind
  /// Logits (cross-entropy, fused bce) or the prediction itself.
  let fromLogits: Bool
  let prediction: UnsafeMutablePointer<T>
  let target: UnsafeMutablePointer<T>
  /// Rows × columns; for cross-entropy the batch and the classes.
  let rows: Int
  let columns: Int
  /// Cross-entropy targets given as one class index per row.
  let targetIsIndices: Bool

  var count: Int { rows * columns }

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
}

/// The 0-d value of a loss.
struct LossKernel<T: PlanScalar> {
  let operands: LossOperands<T>
  let output: UnsafeMutablePointer<T>

  func run() {
    output[0] = T(value())
  }

  private func value() -> Double {
    let o = operands
    let (p, y, n) = (o.prediction, o.target, o.count)
    var total = 0.0
    switch o.kind {
    case .mse, .sse:
      for i in 0..<n {
        let d = (p[i] - y[i]).doubleValue
        total += d * d
      }
      return o.kind == .sse ? total / 2 : total / Double(n)
    case .mae:
      for i in 0..<n { total += Swift.abs((p[i] - y[i]).doubleValue) }
      return total / Double(n)
    case .huber(let delta):
      for i in 0..<n {
        let d = Swift.abs((p[i] - y[i]).doubleValue)
        total += d < delta ? d * d / 2 : delta * (d - delta / 2)
      }
      return total / Double(n)
    case .crossEntropy:
      guard o.columns > 0 else { return .nan }
      for row in 0..<o.rows {
        let lse = o.logSumExp(row)
        let z = p + row * o.columns
        if o.targetIsIndices {
          guard let c = o.classIndex(row) else { return .nan }
          total += lse - z[c].doubleValue
        } else {
          let t = y + row * o.columns
          for j in 0..<o.columns { total += t[j].doubleValue * (lse - z[j].doubleValue) }
        }
      }
      return total / Double(o.rows)
    case .bce:
      for i in 0..<n {
        let target = y[i].doubleValue
        if o.fromLogits {
          // max(z, 0) − z·y + log(1 + e^−|z|): no overflow, no log(0).
          let z = p[i].doubleValue
          total += Swift.max(z, 0) - z * target + log1p(exp(-Swift.abs(z)))
        } else {
          let q = p[i].doubleValue
          total -= target * Swift.max(log(q), -100) + (1 - target) * Swift.max(log(1 - q), -100)
        }
      }
      return total / Double(n)
    }
  }
}

/// dL/dprediction (or dL/dlogits) times the upstream scalar.
struct LossGradientKernel<T: PlanScalar> {
  let operands: LossOperands<T>
  let upstream: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>

  func run() {
    let o = operands
    let (p, y, out, n) = (o.prediction, o.target, output, o.count)
    let g = upstream[0]
    switch o.kind {
    case .mse:
      let scale = 2 * g / T(n)
      for i in 0..<n { out[i] = scale * (p[i] - y[i]) }
    case .sse:
      for i in 0..<n { out[i] = g * (p[i] - y[i]) }
    case .mae:
      let scale = g / T(n)
      for i in 0..<n {
        let d = p[i] - y[i]
        out[i] = d > 0 ? scale : (d < 0 ? -scale : 0)
      }
    case .huber(let delta):
      let (scale, limit) = (g / T(n), T(delta))
      for i in 0..<n { out[i] = scale * Swift.min(Swift.max(p[i] - y[i], -limit), limit) }
    case .crossEntropy:
      crossEntropyGradient(scale: g / T(o.rows))
    case .bce:
      let scale = g / T(n)
      if o.fromLogits {
        for i in 0..<n { out[i] = scale * (sigmoid(p[i]) - y[i]) }
      } else {
        // PyTorch's BCELoss backward: (p − y) / max(p(1 − p), 1e-12).
        let epsilon = T(1e-12)
        for i in 0..<n {
          out[i] = scale * (p[i] - y[i]) / Swift.max(p[i] * (1 - p[i]), epsilon)
        }
      }
    }
  }

  /// (softmax(z)·Σt − t) · scale per row; with one-hot or index targets Σt = 1.
  private func crossEntropyGradient(scale: T) {
    let o = operands
    let columns = o.columns
    for row in 0..<o.rows {
      let z = o.prediction + row * columns
      let out = output + row * columns
      ActivationKernel<T>.softmaxRow(z, out, columns)
      if o.targetIsIndices {
        guard let c = o.classIndex(row) else {
          for j in 0..<columns { out[j] = .nan }
          continue
        }
        for j in 0..<columns { out[j] *= scale }
        out[c] -= scale
      } else {
        let t = o.target + row * columns
        var mass: T = 0
        for j in 0..<columns { mass += t[j] }
        for j in 0..<columns { out[j] = (out[j] * mass - t[j]) * scale }
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
      let isCrossEntropy = kind == .crossEntropy
      return LossOperands(
        kind: kind, fromLogits: fromLogits, prediction: operands.inputs[0],
        target: operands.inputs[1],
        rows: isCrossEntropy ? (columns == 0 ? 0 : count / columns) : 1,
        columns: isCrossEntropy ? columns : count,
        targetIsIndices: isCrossEntropy && target.count < prediction.count)
    }
    switch op {
    case .loss(let kind):
      let fromLogits = kind == .crossEntropy || operands.fusedLoss
      return .loss(LossKernel(operands: layout(kind, fromLogits: fromLogits),
                              output: operands.output))
    case .lossGradient(let kind, let fromLogits):
      return .lossGradient(LossGradientKernel(
        operands: layout(kind, fromLogits: fromLogits || kind == .crossEntropy),
        upstream: operands.inputs[2], output: operands.output))
    }
  }
}
