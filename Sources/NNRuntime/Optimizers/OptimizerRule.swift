/// An optimizer's update rule and its hyper-parameters, less the learning rate (which a
/// schedule may change every step, so it is passed to each `OptimizerState.step` instead).
///
/// Every rule follows `torch.optim` exactly (the single-tensor path, `maximize=False`). Each
/// optimizer's hyper-parameters (language names, defaults, ranges) are declared once, in
/// `OptimizerRule.declarations`; the built-ins, help and `validate()` are derived from them.
public enum OptimizerRule: Sendable, Equatable {
  /// `torch.optim.SGD`: L2 weight decay added to the gradient, then (heavy-ball or Nesterov)
  /// momentum whose buffer starts as the first gradient.
  case sgd(momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)
  /// `torch.optim.Adam`: L2 weight decay added to the gradient, bias-corrected moments.
  case adam(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool)
  /// `torch.optim.AdamW`: Adam with decoupled weight decay (`p *= 1 − lr·weightDecay`).
  case adamw(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool)
  /// `torch.optim.RMSprop`: L2 weight decay added to the gradient, optional centring and
  /// momentum.
  case rmsprop(alpha: Double, eps: Double, momentum: Double, centered: Bool, weightDecay: Double)
  /// `torch.optim.Adagrad`: L2 weight decay added to the gradient, learning-rate decay
  /// `lr / (1 + (step − 1)·lrDecay)`, accumulator starting at `initialAccumulator`.
  case adagrad(eps: Double, lrDecay: Double, weightDecay: Double, initialAccumulator: Double)

  /// `torch.optim.NAdam`: Adam with Nesterov momentum whose coefficient `μₜ` warms up
  /// by `momentumDecay`; L2 weight decay added to the gradient.
  case nadam(beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
             momentumDecay: Double)

  /// The optimizer's name as the language and PyTorch (lower-cased) spell it.
  public var name: String {
    switch self {
    case .sgd: "sgd"
    case .adam: "adam"
    case .adamw: "adamw"
    case .rmsprop: "rmsprop"
    case .adagrad: "adagrad"
    case .nadam: "nadam"
    }
  }

  /// The hyper-parameters by their language names (a flag as 0 or 1), as the declaration
  /// lists them.
  public var values: [String: Double] {
    func bit(_ flag: Bool) -> Double { flag ? 1 : 0 }
    switch self {
    case let .sgd(momentum, dampening, nesterov, weightDecay):
      return ["momentum": momentum, "dampening": dampening, "nesterov": bit(nesterov),
              "weight_decay": weightDecay]
    case let .adam(beta1, beta2, eps, weightDecay, amsgrad),
         let .adamw(beta1, beta2, eps, weightDecay, amsgrad):
      return ["beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay,
              "amsgrad": bit(amsgrad)]
    case let .rmsprop(alpha, eps, momentum, centered, weightDecay):
      return ["alpha": alpha, "eps": eps, "momentum": momentum, "centered": bit(centered),
              "weight_decay": weightDecay]
    case let .adagrad(eps, lrDecay, weightDecay, initialAccumulator):
      return ["eps": eps, "lr_decay": lrDecay, "weight_decay": weightDecay,
              "initial_accumulator": initialAccumulator]
    case let .nadam(beta1, beta2, eps, weightDecay, momentumDecay):
      return ["beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay,
              "momentum_decay": momentumDecay]
    }
  }

  /// The names `defaults(_:)` knows, in a stable order (for listings and suggestions).
  public static let names = declarations.map(\.name)

  /// The rule named `name` with PyTorch's default hyper-parameters, or nil for an unknown name.
  public static func defaults(_ name: String) -> OptimizerRule? {
    declaration(name)?.defaultRule
  }

  /// PyTorch's default learning rate for each optimizer (SGD's has been 1e-3 since 2.x).
  public static let defaultLearningRates: [String: Double] = Dictionary(
    uniqueKeysWithValues: declarations.map { ($0.name, $0.learningRate) })

  /// The number of per-scalar state buffers the rule keeps (momentum, moments, sums).
  var stateSlots: Int {
    switch self {
    case let .sgd(momentum, _, _, _):
      momentum != 0 ? 1 : 0
    case let .adam(_, _, _, _, amsgrad), let .adamw(_, _, _, _, amsgrad):
      amsgrad ? 3 : 2
    case let .rmsprop(_, _, momentum, centered, _):
      1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0)
    case .adagrad:
      1
    case .nadam:
      2
    }
  }

  // MARK: - Validation

  /// A message describing the first invalid hyper-parameter, or nil when all are valid.
  ///
  /// Each hyper-parameter must lie in its declared range (`torch.optim`'s constructor checks,
  /// plus finiteness everywhere); the messages use the language's names.
  public func validate() -> String? {
    let values = self.values
    for hyperparameter in declaration.hyperparameters {
      guard let range = hyperparameter.range, let value = values[hyperparameter.name],
        !range.contains(value)
      else { continue }
      return Self.message(hyperparameter.name, range, value)
    }
    if case let .sgd(momentum, dampening, nesterov, _) = self,
      nesterov && (momentum <= 0 || dampening != 0)
    {
      return "nesterov momentum requires a momentum > 0 and zero dampening"
    }
    return nil
  }

  /// `NAME must be …, got VALUE`, in the words PyTorch-era tests and scripts know.
  static func message(_ name: String, _ range: NumberRange, _ value: Double) -> String {
    switch range {
    case .nonNegative: "\(name) must be a finite number >= 0, got \(value)"
    case .unitInterval: "\(name) must be in [0, 1), got \(value)"
    case .finite: "\(name) must be finite, got \(value)"
    default: "\(name) must be \(range.text), got \(value)"
    }
  }

  /// A message when `learningRate` is negative or not finite, as PyTorch's optimizers check
  /// it; nil otherwise. Separate from `validate()` because the rule does not hold the rate.
  public static func validate(learningRate: Double) -> String? {
    NumberRange.nonNegative.contains(learningRate)
      ? nil : message("lr", .nonNegative, learningRate)
  }

}
