// Huber loss (PyTorch HuberLoss(delta), reduction "mean"): ½d² within delta of the target,
// delta·(|d| − ½delta) beyond.

/// PyTorch HuberLoss(delta), mean.
struct Huber: LossFunction {
  static let declaration = LossDeclaration(
    name: "huber",
    summary: "Huber loss, quadratic within delta (1 by default) and linear beyond.",
    example: "print(huber([[0], [3]], [[0], [0]], delta: 1))",
    hyperparameters: [
      .number("delta", 1, .positive, "where the loss turns from quadratic to linear"),
    ], targetKind: .values, reduction: .mean,
    readsLogits: false, fusedActivation: nil, targetGradientIsNegated: true,
    readsProbabilities: false,
    make: { Huber(delta: $0["delta"]!) })

  let delta: Double

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
      let d = Swift.abs((p[i] - y[i]).doubleValue)
      total += d < delta ? d * d / 2 : delta * (d - delta / 2)
    }
    return total / Double(n)
  }

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let (p, y, n) = (o.prediction, o.target, o.count)
    let (scale, limit) = (g / T(n), T(delta))
    for i in 0..<n { out[i] = scale * Swift.min(Swift.max(p[i] - y[i], -limit), limit) }
  }
}

extension LossKind {
  /// The Huber loss with threshold `delta`.
  public static func huber(delta: Double) -> LossKind {
    Huber.declaration.kind(["delta": delta])
  }
}
