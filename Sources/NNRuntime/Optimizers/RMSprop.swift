// RMSprop (torch/optim/rmsprop.py, 2.x, `_single_tensor_rmsprop`): steps scaled by a running
// mean square of the gradient, optionally centred and with momentum; L2 weight decay added to
// the gradient.

/// `torch.optim.RMSprop`.
struct RMSprop: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "rmsprop",
    summary: "RMSprop: scales steps by a running average of squared gradients.",
    example: "let opt = rmsprop(lr: 0.01, alpha: 0.9)",
    learningRate: 1e-2,
    hyperparameters: [
      .number("alpha", 0.99, .nonNegative, "decay rate of the mean squared gradient"),
      .number("eps", 1e-8, .nonNegative, "added to the denominator for stability"),
      .number("momentum", 0, .nonNegative, "momentum factor"),
      .flag("centered", false, "normalise by the variance instead of the mean square"),
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
    ],
    make: { RMSprop($0) })

  let alpha: Double, eps: Double, momentum: Double, centered: Bool, weightDecay: Double

  init(_ v: [String: Double]) {
    alpha = v["alpha"]!
    eps = v["eps"]!
    momentum = v["momentum"]!
    centered = flag(v["centered"])
    weightDecay = v["weight_decay"]!
  }

  var stateSlots: Int { 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0) }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ context: OptimizerKernelContext<U>) {
    rmspropUpdate(context, alpha: alpha, eps: eps, momentum: momentum, centered: centered,
                  weightDecay: weightDecay)
  }
}

extension OptimizerRule {
  /// `torch.optim.RMSprop` with these hyper-parameters.
  public static func rmsprop(
    alpha: Double, eps: Double, momentum: Double, centered: Bool, weightDecay: Double
  ) -> OptimizerRule {
    RMSprop.declaration.rule(["alpha": alpha, "eps": eps, "momentum": momentum,
                              "centered": centered ? 1 : 0, "weight_decay": weightDecay])
  }
}

/// State: slot 0 the mean square, then the mean gradient (centered only), then the momentum
/// buffer (momentum > 0 only).
func rmspropUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, alpha: Double, eps: Double, momentum: Double,
  centered: Bool, weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let squareAverage = context.buffer(0)
  let gradientAverage = centered ? context.buffer(1) : squareAverage
  let momentumBuffer = momentum > 0 ? context.buffer(centered ? 2 : 1) : squareAverage
  let decay = U(weightDecay), a = U(alpha), weight = U(1 - alpha), epsilon = U(eps)
  let mu = U(momentum), negativeRate = U(-context.learningRate)
  unswitch(weightDecay != 0) { decayed in
    unswitch(centered) { centered in
      unswitch(momentum > 0) { hasMomentum in
        unswitch(abs(weight) < 0.5) { small in
          for i in 0..<count {
            let grad = decayed ? g[i] + decay * p[i] : g[i]
            let square = squareAverage[i] * a + weight * grad * grad
            squareAverage[i] = square
            var average: U
            if centered {
              let mean = lerp(gradientAverage[i], grad, weight, small: small)
              gradientAverage[i] = mean
              // Mathematically square ≥ mean²; rounding can break that by an ulp, and PyTorch
              // then takes the root of a negative number (NaN). Clamping changes only that.
              average = rootOfNonNegative(square + -1 * mean * mean)
            } else {
              average = rootOfNonNegative(square)
            }
            average = average + epsilon
            if hasMomentum {
              let b = momentumBuffer[i] * mu + grad / average
              momentumBuffer[i] = b
              p[i] = p[i] + negativeRate * b
            } else {
              p[i] = p[i] + negativeRate * grad / average
            }
          }
        }
      }
    }
  }
}
