/// An optimizer's update rule and its hyper-parameters, less the learning rate (which a
/// schedule may change every step, so it is passed to each `OptimizerState.step` instead).
///
/// Every rule follows `torch.optim` exactly (the single-tensor path, `maximize=False`), and
/// the parameter names in `validate()` messages are PyTorch's.
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

  /// The optimizer's name as the language and PyTorch (lower-cased) spell it.
  public var name: String {
    switch self {
    case .sgd: "sgd"
    case .adam: "adam"
    case .adamw: "adamw"
    case .rmsprop: "rmsprop"
    case .adagrad: "adagrad"
    }
  }

  /// The names `defaults(_:)` knows, in a stable order (for listings and suggestions).
  public static let names = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]

  /// The rule named `name` with PyTorch's default hyper-parameters, or nil for an unknown name.
  public static func defaults(_ name: String) -> OptimizerRule? {
    switch name {
    case "sgd":
      .sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0)
    case "adam":
      .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false)
    case "adamw":
      // AdamW is the one rule whose default weight decay is not zero (torch.optim.AdamW).
      .adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false)
    case "rmsprop":
      .rmsprop(alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0)
    case "adagrad":
      .adagrad(eps: 1e-10, lrDecay: 0, weightDecay: 0, initialAccumulator: 0)
    default:
      nil
    }
  }

  /// PyTorch's default learning rate for each optimizer (SGD's has been 1e-3 since 2.x).
  public static let defaultLearningRates: [String: Double] = [
    "sgd": 1e-3, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-2, "adagrad": 1e-2,
  ]

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
    }
  }

  // MARK: - Validation

  /// A message describing the first invalid hyper-parameter, or nil when all are valid.
  ///
  /// The checks are `torch.optim`'s constructor checks, plus finiteness everywhere (PyTorch
  /// rejects NaN only by accident of `not 0 <= x`, and an infinite value only makes NaNs).
  public func validate() -> String? {
    switch self {
    case let .sgd(momentum, dampening, nesterov, weightDecay):
      if let message = Self.nonNegative("momentum", momentum) { return message }
      if !dampening.isFinite { return "dampening must be finite, got \(dampening)" }
      if let message = Self.nonNegative("weight_decay", weightDecay) { return message }
      if nesterov && (momentum <= 0 || dampening != 0) {
        return "nesterov momentum requires a momentum > 0 and zero dampening"
      }
    case let .adam(beta1, beta2, eps, weightDecay, _),
         let .adamw(beta1, beta2, eps, weightDecay, _):
      if let message = Self.nonNegative("eps", eps) { return message }
      if let message = Self.unitInterval("beta1", beta1) { return message }
      if let message = Self.unitInterval("beta2", beta2) { return message }
      if let message = Self.nonNegative("weight_decay", weightDecay) { return message }
    case let .rmsprop(alpha, eps, momentum, _, weightDecay):
      if let message = Self.nonNegative("eps", eps) { return message }
      if let message = Self.nonNegative("momentum", momentum) { return message }
      if let message = Self.nonNegative("weight_decay", weightDecay) { return message }
      if let message = Self.nonNegative("alpha", alpha) { return message }
    case let .adagrad(eps, lrDecay, weightDecay, initialAccumulator):
      if let message = Self.nonNegative("lr_decay", lrDecay) { return message }
      if let message = Self.nonNegative("weight_decay", weightDecay) { return message }
      if let message = Self.nonNegative("initial_accumulator_value", initialAccumulator) {
        return message
      }
      if let message = Self.nonNegative("eps", eps) { return message }
    }
    return nil
  }

  /// A message when `learningRate` is negative or not finite, as PyTorch's optimizers check
  /// it; nil otherwise. Separate from `validate()` because the rule does not hold the rate.
  public static func validate(learningRate: Double) -> String? {
    nonNegative("lr", learningRate)
  }

  private static func nonNegative(_ name: String, _ value: Double) -> String? {
    value.isFinite && value >= 0 ? nil : "\(name) must be a finite number >= 0, got \(value)"
  }

  private static func unitInterval(_ name: String, _ value: Double) -> String? {
    value >= 0 && value < 1 ? nil : "\(name) must be in [0, 1), got \(value)"
  }
}
