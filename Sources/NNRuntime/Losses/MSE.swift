// Mean squared error (PyTorch MSELoss, reduction "mean").

/// Mean over all elements of (p − y)².
struct MSE: LossFunction {
  static let declaration = LossDeclaration(
    name: "mse",
    summary: "Mean squared error: a value for loss:, or computed as mse(pred, y).",
    example: "print(mse([[1], [2]], [[1], [3]]))",
    hyperparameters: [], targetKind: .values, reduction: .mean,
    readsLogits: false, fusedActivation: nil, targetGradientIsNegated: true,
    readsProbabilities: false,
    make: { _ in MSE() })

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
      let d = (p[i] - y[i]).doubleValue
      total += d * d
    }
    return total / Double(n)
  }

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let (p, y, n) = (o.prediction, o.target, o.count)
    let scale = 2 * g / T(n)
    for i in 0..<n { out[i] = scale * (p[i] - y[i]) }
  }
}

extension LossKind {
  /// Mean squared error.
  public static let mse = MSE.declaration.defaultKind
}
