// Mean absolute error (PyTorch L1Loss, reduction "mean"); its gradient at p = y is 0.

/// Mean of |p − y|.
struct MAE: LossFunction {
  static let declaration = LossDeclaration(
    name: "mae",
    summary: "Mean absolute error: a value for loss:, or computed as mae(pred, y).",
    example: "print(mae([[1], [2]], [[1], [4]]))",
    hyperparameters: [], targetKind: .values, reduction: .mean,
    readsLogits: false, fusedActivation: nil, targetGradientIsNegated: true,
    readsProbabilities: false,
    make: { _ in MAE() })

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
    for i in 0..<n { total += Swift.abs((p[i] - y[i]).doubleValue) }
    return total / Double(n)
  }

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let (p, y, n) = (o.prediction, o.target, o.count)
    let scale = g / T(n)
    for i in 0..<n {
      let d = p[i] - y[i]
      out[i] = d > 0 ? scale : (d < 0 ? -scale : 0)
    }
  }
}

extension LossKind {
  /// Mean absolute error.
  public static let mae = MAE.declaration.defaultKind
}
