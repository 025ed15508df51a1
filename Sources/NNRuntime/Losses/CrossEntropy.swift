#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Softmax cross-entropy (PyTorch CrossEntropyLoss, reduction "mean"): always reads logits
// (log-sum-exp stable); after a softmax it is fused to read the softmax's input, with the
// gradient (softmax(z) − onehot)/B.

/// Prediction: logits [B, C]; target: [B] class indices (as floats) or [B, C] probabilities;
/// mean over the batch. Per-position logits [B, T, C] are B·T rows of the same kernels
/// (targets [B, T] or [B, T, C]), the mean over every position.
struct CrossEntropy: LossFunction {
  static let declaration = LossDeclaration(
    name: "cross_entropy",
    summary: "Softmax cross-entropy of logits against class indices or one-hot rows, also per "
      + "position.",
    example: "print(cross_entropy([[2, 0], [0, 2]], [0, 1]))",
    hyperparameters: [], targetKind: .classes, reduction: .mean,
    readsLogits: true, fusedActivation: .softmax, targetGradientIsNegated: false,
    readsProbabilities: false,
    make: { _ in CrossEntropy() })

  func value(_ operands: LossOperands<Float>) -> Double { compute(operands) }
  func value(_ operands: LossOperands<Double>) -> Double { compute(operands) }
  func gradient(_ operands: LossOperands<Float>, upstream: Float,
                into output: UnsafeMutablePointer<Float>) {
    differentiate(operands, upstream, output)
  }
  func gradient(_ operands: LossOperands<Double>, upstream: Double,
                into output: UnsafeMutablePointer<Double>) {
    differentiate(operands, upstream, output)
  }

  private func compute<T: PlanScalar>(_ o: LossOperands<T>) -> Double {
    let (p, y) = (o.prediction, o.target)
    var total = 0.0
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
  }

  /// (softmax(z)·Σt − t) · scale per row; with one-hot or index targets Σt = 1.
  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ output: UnsafeMutablePointer<T>
  ) {
    let scale = g / T(o.rows)
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

extension LossKind {
  /// Softmax cross-entropy of logits.
  public static let crossEntropy = CrossEntropy.declaration.defaultKind
}
