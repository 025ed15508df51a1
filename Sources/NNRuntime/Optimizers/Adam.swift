#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Adam (torch/optim/adam.py, 2.x, `_single_tensor_adam`): bias-corrected moments, L2 weight
// decay added to the gradient; the same loop serves AdamW (AdamW.swift) with the decay
// decoupled.

/// `torch.optim.Adam`.
struct Adam: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "adam",
    summary: "The Adam optimizer with PyTorch's update rule and defaults (lr 0.001).",
    example: "let opt = adam(lr: 0.01)\nprint(opt.lr)",
    learningRate: 1e-3,
    hyperparameters: betas + [
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
      .flag("amsgrad", false, "use the running maximum of the second moment"),
    ],
    make: { Adam($0) })

  /// The moment hyper-parameters Adam, AdamW and NAdam share.
  static let betas: [OptimizerHyperparameter] = [
    .number("beta1", 0.9, .unitInterval, "decay rate of the mean gradient"),
    .number("beta2", 0.999, .unitInterval, "decay rate of the mean squared gradient"),
    .number("eps", 1e-8, .nonNegative, "added to the denominator for stability"),
  ]

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
               amsgrad: amsgrad, decoupled: false)
  }
}

extension OptimizerRule {
  /// `torch.optim.Adam` with these hyper-parameters.
  public static func adam(
    beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool
  ) -> OptimizerRule {
    Adam.declaration.rule(["beta1": beta1, "beta2": beta2, "eps": eps,
                           "weight_decay": weightDecay, "amsgrad": amsgrad ? 1 : 0])
  }
}

/// State: slot 0 the first moment, slot 1 the second, slot 2 the running maximum of the
/// second (amsgrad only).
func adamUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, beta1: Double, beta2: Double, eps: Double,
  weightDecay: Double, amsgrad: Bool, decoupled: Bool
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let m = context.buffer(0), v = context.buffer(1)
  let vMax = amsgrad ? context.buffer(2) : v
  let lr = context.learningRate
  let step = Double(context.step)
  let biasCorrection1 = 1 - pow(beta1, step)
  let biasCorrection2 = 1 - pow(beta2, step)
  let negativeStepSize = U(-(lr / biasCorrection1))
  let correction2Root = U(biasCorrection2.squareRoot())
  let decay = U(weightDecay), shrink = U(1 - lr * weightDecay)
  let weight1 = U(1 - beta1), b2 = U(beta2), weight2 = U(1 - beta2), epsilon = U(eps)
  unswitch(weightDecay != 0 && !decoupled) { coupledDecay in
    unswitch(weightDecay != 0 && decoupled) { decoupledDecay in
      unswitch(amsgrad) { amsgrad in
        unswitch(abs(weight1) < 0.5) { small in
          for i in 0..<count {
            var param = p[i]
            var grad = g[i]
            if decoupledDecay { param = param * shrink }
            if coupledDecay { grad = grad + decay * param }
            let first = lerp(m[i], grad, weight1, small: small)
            m[i] = first
            let second = v[i] * b2 + weight2 * grad * grad
            v[i] = second
            var normaliser = second
            if amsgrad {
              normaliser = maximumPropagatingNaN(vMax[i], second)
              vMax[i] = normaliser
            }
            let denominator = rootOfNonNegative(normaliser) / correction2Root + epsilon
            p[i] = param + negativeStepSize * first / denominator
          }
        }
      }
    }
  }
}
