// Adagrad (torch/optim/adagrad.py, 2.x, `_single_tensor_adagrad`): steps scaled by the sum of
// all past squared gradients, the rate decayed as lr / (1 + (step − 1)·lr_decay); L2 weight
// decay added to the gradient.

/// `torch.optim.Adagrad`.
struct Adagrad: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "adagrad",
    summary: "Adagrad: scales steps by the sum of all past squared gradients.",
    example: "let opt = adagrad(lr: 0.1)",
    learningRate: 1e-2,
    hyperparameters: [
      .number("eps", 1e-10, .nonNegative, "added to the denominator for stability"),
      .number("lr_decay", 0, .nonNegative, "step k uses lr / (1 + (k - 1)·lr_decay)"),
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
      .number("initial_accumulator", 0, .nonNegative, "starting sum of squared gradients"),
    ],
    make: { Adagrad($0) })

  let eps: Double, lrDecay: Double, weightDecay: Double, initialAccumulator: Double

  init(_ v: [String: Double]) {
    eps = v["eps"]!
    lrDecay = v["lr_decay"]!
    weightDecay = v["weight_decay"]!
    initialAccumulator = v["initial_accumulator"]!
  }

  var stateSlots: Int { 1 }
  /// The sums start at PyTorch's `initial_accumulator_value`.
  var initialState: Double { initialAccumulator }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ context: OptimizerKernelContext<U>) {
    adagradUpdate(context, eps: eps, lrDecay: lrDecay, weightDecay: weightDecay)
  }
}

extension OptimizerRule {
  /// `torch.optim.Adagrad` with these hyper-parameters.
  public static func adagrad(
    eps: Double, lrDecay: Double, weightDecay: Double, initialAccumulator: Double
  ) -> OptimizerRule {
    Adagrad.declaration.rule(["eps": eps, "lr_decay": lrDecay, "weight_decay": weightDecay,
                              "initial_accumulator": initialAccumulator])
  }
}

/// State: slot 0 the sum of squared gradients (starting at the initial accumulator value).
func adagradUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, eps: Double, lrDecay: Double, weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let sum = context.buffer(0)
  let decayedRate = context.learningRate / (1 + Double(context.step - 1) * lrDecay)
  let negativeRate = U(-decayedRate), decay = U(weightDecay), epsilon = U(eps)
  unswitch(weightDecay != 0) { decayed in
    for i in 0..<count {
      let grad = decayed ? g[i] + decay * p[i] : g[i]
      let total = sum[i] + 1 * grad * grad
      sum[i] = total
      p[i] = p[i] + negativeRate * grad / (rootOfNonNegative(total) + epsilon)
    }
  }
}
