#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Binary cross-entropy (PyTorch BCELoss, reduction "mean"): reads probabilities, each log
// clamped at −100; after a sigmoid it is fused to read the sigmoid's input logits
// (BCEWithLogitsLoss), with the gradient (σ(z) − y)/N.

/// Prediction: probabilities (or logits when fused); target of the same shape; mean.
struct BCE: LossFunction {
  static let declaration = LossDeclaration(
    name: "bce",
    summary: "Binary cross-entropy of probabilities (or logits after a final sigmoid).",
    example: "print(bce([[0.9], [0.2]], [[1], [0]]))",
    hyperparameters: [], targetKind: .probabilities, reduction: .mean,
    readsLogits: false, fusedActivation: .sigmoid, targetGradientIsNegated: false,
    readsProbabilities: true,
    make: { _ in BCE() })

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
    let (p, y, n) = (o.prediction, o.target, o.count)
    var total = 0.0
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

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let (p, y, n) = (o.prediction, o.target, o.count)
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

extension LossKind {
  /// Binary cross-entropy.
  public static let bce = BCE.declaration.defaultKind
}
