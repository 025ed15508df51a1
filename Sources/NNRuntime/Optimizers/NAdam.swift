#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// NAdam (torch/optim/nadam.py, 2.x, `_single_tensor_nadam` with decoupled_weight_decay=False):
// Adam whose step mixes the current gradient and the first moment with Nesterov
// coefficients μₜ = β₁·(1 − ½·0.96^(t·momentum_decay)), their running product kept as
// PyTorch keeps it.

/// `torch.optim.NAdam`.
struct NAdam: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "nadam",
    summary: "NAdam: Adam with Nesterov momentum that warms up by momentum_decay.",
    example: "let opt = nadam(lr: 0.01, momentum_decay: 0.004)",
    learningRate: 2e-3,
    hyperparameters: Adam.betas + [
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
      .number("momentum_decay", 4e-3, .nonNegative, "how fast the momentum factor warms up"),
    ],
    make: { NAdam($0) })

  let beta1: Double, beta2: Double, eps: Double, weightDecay: Double, momentumDecay: Double

  init(_ v: [String: Double]) {
    beta1 = v["beta1"]!
    beta2 = v["beta2"]!
    eps = v["eps"]!
    weightDecay = v["weight_decay"]!
    momentumDecay = v["momentum_decay"]!
  }

  var stateSlots: Int { 2 }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ context: OptimizerKernelContext<U>) {
    nadamUpdate(context, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                momentumDecay: momentumDecay)
  }
}

extension OptimizerRule {
  /// `torch.optim.NAdam` with these hyper-parameters.
  public static func nadam(
    beta1: Double, beta2: Double, eps: Double, weightDecay: Double, momentumDecay: Double
  ) -> OptimizerRule {
    NAdam.declaration.rule(["beta1": beta1, "beta2": beta2, "eps": eps,
                            "weight_decay": weightDecay, "momentum_decay": momentumDecay])
  }
}

/// State: slot 0 the first moment, slot 1 the second; `context.product` is PyTorch's
/// `mu_product`, a float32 scalar tensor (the default scalar dtype) whatever the parameters'.
func nadamUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, beta1: Double, beta2: Double, eps: Double,
  weightDecay: Double, momentumDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let m = context.buffer(0), v = context.buffer(1)
  let lr = context.learningRate
  let step = Double(context.step)
  let biasCorrection2 = U(1 - pow(beta2, step))
  let mu = beta1 * (1 - 0.5 * pow(0.96, step * momentumDecay))
  let muNext = beta1 * (1 - 0.5 * pow(0.96, (step + 1) * momentumDecay))
  // `mu_product *= mu`: a float32 tensor times a Python float rounded to float32.
  let product = context.product.pointee * Float(mu)
  context.product.pointee = product
  let productNext = Double(product) * muNext
  let gradientWeight = U(-lr * (1 - mu) / (1 - Double(product)))
  let momentWeight = U((-lr * muNext) / (1 - productNext))
  let decay = U(weightDecay), weight1 = U(1 - beta1), b2 = U(beta2), weight2 = U(1 - beta2)
  let epsilon = U(eps)
  unswitch(weightDecay != 0) { decayed in
    unswitch(abs(weight1) < 0.5) { small in
      for i in 0..<count {
        let grad = decayed ? g[i] + decay * p[i] : g[i]
        let first = lerp(m[i], grad, weight1, small: small)
        m[i] = first
        let second = v[i] * b2 + weight2 * grad * grad
        v[i] = second
        let denominator = rootOfNonNegative(second / biasCorrection2) + epsilon
        let afterGradient = p[i] + gradientWeight * grad / denominator
        p[i] = afterGradient + momentWeight * first / denominator
      }
    }
  }
}
