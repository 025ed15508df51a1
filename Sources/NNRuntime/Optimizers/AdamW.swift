// AdamW (torch/optim/adamw.py, 2.x): Adam with decoupled weight decay (`p *= 1 − lr·decay`),
// through Adam's loop (Adam.swift).

/// `torch.optim.AdamW`.
struct AdamW: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "adamw",
    summary: "Adam with decoupled weight decay (0.01 by default).",
    example: "let opt = adamw(lr: 0.01, weight_decay: 0.05)",
    learningRate: 1e-3,
    hyperparameters: Adam.betas + [
      // AdamW is the one rule whose default weight decay is not zero (torch.optim.AdamW).
      .number("weight_decay", 0.01, .nonNegative, "decoupled decay: p *= 1 - lr·weight_decay"),
      .flag("amsgrad", false, "use the running maximum of the second moment"),
    ],
    make: { AdamW($0) })

  let beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool

  init(_ v: [String: Double]) {
    beta1 = v["beta1"]!
    beta2 = v["beta2"]!
    eps = v["eps"]!
    weightDecay = v["weight_decay"]!
    amsgrad = flag(v["amsgrad"])
  }

  var stateSlots: Int { amsgrad ? 3 : 2 }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ context: OptimizerKernelContext<U>) {
    adamUpdate(context, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
               amsgrad: amsgrad, decoupled: true)
  }
}

extension OptimizerRule {
  /// `torch.optim.AdamW` with these hyper-parameters.
  public static func adamw(
    beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool
  ) -> OptimizerRule {
    AdamW.declaration.rule(["beta1": beta1, "beta2": beta2, "eps": eps,
                            "weight_decay": weightDecay, "amsgrad": amsgrad ? 1 : 0])
  }
}
