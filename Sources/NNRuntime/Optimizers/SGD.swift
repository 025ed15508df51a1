// SGD (torch/optim/sgd.py, 2.x, `_single_tensor_sgd`): L2 weight decay added to the gradient,
// then heavy-ball or Nesterov momentum whose buffer starts as the first gradient.

/// `torch.optim.SGD`.
struct SGD: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "sgd",
    summary: "Stochastic gradient descent with optional momentum, Nesterov and weight decay.",
    example: "let opt = sgd(lr: 0.1, momentum: 0.9)\nprint(opt.lr)",
    learningRate: 1e-3,
    hyperparameters: [
      .number("momentum", 0, .nonNegative, "momentum factor (0: plain SGD)"),
      .number("dampening", 0, .finite, "dampening of the momentum"),
      .flag("nesterov", false, "use Nesterov momentum"),
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
    ],
    make: { SGD($0) })

  let momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double

  init(_ v: [String: Double]) {
    momentum = v["momentum"]!
    dampening = v["dampening"]!
    nesterov = flag(v["nesterov"])
    weightDecay = v["weight_decay"]!
  }

  var stateSlots: Int { momentum != 0 ? 1 : 0 }

  func validate() -> String? {
    nesterov && (momentum <= 0 || dampening != 0)
      ? "nesterov momentum requires a momentum > 0 and zero dampening" : nil
  }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ context: OptimizerKernelContext<U>) {
    sgdUpdate(context, momentum: momentum, dampening: dampening, nesterov: nesterov,
              weightDecay: weightDecay)
  }
}

extension OptimizerRule {
  /// `torch.optim.SGD` with these hyper-parameters.
  public static func sgd(
    momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
  ) -> OptimizerRule {
    SGD.declaration.rule(["momentum": momentum, "dampening": dampening,
                          "nesterov": nesterov ? 1 : 0, "weight_decay": weightDecay])
  }
}

/// State: slot 0 is the momentum buffer (only when momentum ≠ 0).
func sgdUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, momentum: Double, dampening: Double, nesterov: Bool,
  weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let decay = U(weightDecay), mu = U(momentum), keep = U(1 - dampening)
  let negativeRate = U(-context.learningRate)
  guard momentum != 0 else {
    unswitch(weightDecay != 0) { decayed in
      for i in 0..<count {
        let grad = decayed ? g[i] + decay * p[i] : g[i]
        p[i] = p[i] + negativeRate * grad
      }
    }
    return
  }
  let buffer = context.buffer(0)
  // PyTorch creates the buffer as a copy of the first gradient: no dampening on step 1.
  unswitch(context.step == 1) { first in
    unswitch(nesterov) { nesterov in
      unswitch(weightDecay != 0) { decayed in
        for i in 0..<count {
          let grad = decayed ? g[i] + decay * p[i] : g[i]
          let b = first ? grad : buffer[i] * mu + keep * grad
          buffer[i] = b
          p[i] = p[i] + negativeRate * (nesterov ? grad + mu * b : b)
        }
      }
    }
  }
}
