// The sum of squared errors, halved: the tutorial's L = ½ Σ (p − y)², summed over rows.

/// ½ · Σ (p − y)² over all elements, with no batch averaging.
struct SSE: LossFunction {
  static let declaration = LossDeclaration(
    name: "sse",
    summary: "Half the sum of squared errors over everything, the tutorial's L.",
    example: "print(sse([[1], [2]], [[1], [3]]))",
    hyperparameters: [], targetKind: .values, reduction: .sum,
    readsLogits: false, fusedActivation: nil, targetGradientIsNegated: true,
    readsProbabilities: false,
    make: { _ in SSE() })

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
    return total / 2
  }

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let (p, y, n) = (o.prediction, o.target, o.count)
    for i in 0..<n { out[i] = g * (p[i] - y[i]) }
  }
}

extension LossKind {
  /// Half the sum of squared errors.
  public static let sse = SSE.declaration.defaultKind
}
