/// A closed or open interval a number must lie in; an absent bound is unbounded. Every bound
/// also demands finiteness, as PyTorch's checks do only by accident (`not 0 <= x` lets
/// infinity through, and an infinite hyper-parameter only makes NaNs).
public struct NumberRange: Sendable, Equatable {
  /// The lowest allowed value, if any.
  public var lower: Double?
  /// Whether `lower` itself is allowed.
  public var lowerIncluded: Bool
  /// The highest allowed value, if any.
  public var upper: Double?
  /// Whether `upper` itself is allowed.
  public var upperIncluded: Bool

  /// A range from its bounds.
  public init(lower: Double?, lowerIncluded: Bool = true, upper: Double? = nil,
              upperIncluded: Bool = true) {
    self.lower = lower
    self.lowerIncluded = lowerIncluded
    self.upper = upper
    self.upperIncluded = upperIncluded
  }

  /// `x ≥ 0`.
  public static let nonNegative = NumberRange(lower: 0)
  /// `x > 0`.
  public static let positive = NumberRange(lower: 0, lowerIncluded: false)
  /// `0 ≤ x < 1` (a decay rate such as Adam's betas).
  public static let unitInterval = NumberRange(lower: 0, upper: 1, upperIncluded: false)
  /// `0 ≤ x ≤ 1` (a probability).
  public static let probability = NumberRange(lower: 0, upper: 1)
  /// Any finite number.
  public static let finite = NumberRange(lower: nil)

  /// Whether `x` is finite and inside the bounds.
  public func contains(_ x: Double) -> Bool {
    guard x.isFinite else { return false }
    if let lower, lowerIncluded ? x < lower : x <= lower { return false }
    if let upper, upperIncluded ? x > upper : x >= upper { return false }
    return true
  }

  /// How messages and help describe the range: `≥ 0`, `> 0`, `in [0, 1)`, `finite`.
  public var text: String {
    switch (lower, upper) {
    case (nil, nil):
      return "finite"
    case (let lower?, nil):
      return (lowerIncluded ? "≥ " : "> ") + Self.format(lower)
    case (nil, let upper?):
      return (upperIncluded ? "≤ " : "< ") + Self.format(upper)
    case (let lower?, let upper?):
      return "in " + (lowerIncluded ? "[" : "(") + Self.format(lower) + ", "
        + Self.format(upper) + (upperIncluded ? "]" : ")")
    }
  }

  private static func format(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
  }
}

/// One hyper-parameter of an optimizer as the language spells it: its name, PyTorch's
/// default, the range `validate()` enforces, and one line of help.
public struct OptimizerHyperparameter: Sendable {
  /// Whether the hyper-parameter is a number or an on/off flag.
  public enum Kind: Sendable { case number, flag }

  /// The argument label in the language (`initial_accumulator`, not PyTorch's
  /// `initial_accumulator_value`).
  public let name: String
  /// A number or a flag.
  public let kind: Kind
  /// PyTorch's default; a flag's is 0 (false) or 1 (true).
  public let defaultValue: Double
  /// The allowed values of a number; nil for a flag.
  public let range: NumberRange?
  /// One line for help and the reference.
  public let summary: String

  /// A numeric hyper-parameter.
  public static func number(_ name: String, _ defaultValue: Double, _ range: NumberRange,
                            _ summary: String) -> Self {
    Self(name: name, kind: .number, defaultValue: defaultValue, range: range, summary: summary)
  }

  /// An on/off hyper-parameter.
  public static func flag(_ name: String, _ defaultValue: Bool, _ summary: String) -> Self {
    Self(name: name, kind: .flag, defaultValue: defaultValue ? 1 : 0, range: nil,
         summary: summary)
  }
}

/// Everything the language and the runtime know about one optimizer, declared once: its name,
/// default learning rate, hyper-parameters, help, and how their values make an `OptimizerRule`.
public struct OptimizerDeclaration: Sendable {
  /// The name scripts call it by (`adam`).
  public let name: String
  /// One sentence of help.
  public let summary: String
  /// A short script that uses it.
  public let example: String
  /// PyTorch's default learning rate.
  public let learningRate: Double
  /// The hyper-parameters after `lr`, in the order the built-in takes them.
  public let hyperparameters: [OptimizerHyperparameter]
  /// Makes the rule from a value for every hyper-parameter (a flag is 0 or 1).
  public let make: @Sendable ([String: Double]) -> OptimizerRule

  /// The rule with every hyper-parameter at its default.
  public var defaultRule: OptimizerRule {
    make(Dictionary(uniqueKeysWithValues: hyperparameters.map { ($0.name, $0.defaultValue) }))
  }

  /// The rule from `values`, with the default for each hyper-parameter `values` lacks.
  public func rule(_ values: [String: Double]) -> OptimizerRule {
    var all = Dictionary(uniqueKeysWithValues: hyperparameters.map { ($0.name, $0.defaultValue) })
    all.merge(values) { _, given in given }
    return make(all)
  }
}

extension OptimizerRule {
  /// Every optimizer, in the order listings show them.
  public static let declarations: [OptimizerDeclaration] = [
    sgdDeclaration, adamDeclaration, adamwDeclaration, rmspropDeclaration, adagradDeclaration,
    nadamDeclaration,
  ]

  /// The declaration of the optimizer named `name`, or nil.
  public static func declaration(_ name: String) -> OptimizerDeclaration? {
    declarations.first { $0.name == name }
  }

  /// The declaration this rule was made from.
  public var declaration: OptimizerDeclaration {
    Self.declarations.first { $0.name == name }!
  }

  /// The value of the hyper-parameter the language calls `name` (a flag as 0 or 1).
  public func value(of name: String) -> Double? {
    values[name]
  }
}

/// A flag's value as a Bool.
@inline(__always)
func flag(_ x: Double?) -> Bool { (x ?? 0) != 0 }

// MARK: - The torch.optim rules

extension OptimizerRule {
  static let sgdDeclaration = OptimizerDeclaration(
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
    make: { v in
      .sgd(momentum: v["momentum"]!, dampening: v["dampening"]!, nesterov: flag(v["nesterov"]),
           weightDecay: v["weight_decay"]!)
    })

  private static let betas: [OptimizerHyperparameter] = [
    .number("beta1", 0.9, .unitInterval, "decay rate of the mean gradient"),
    .number("beta2", 0.999, .unitInterval, "decay rate of the mean squared gradient"),
    .number("eps", 1e-8, .nonNegative, "added to the denominator for stability"),
  ]

  static let adamDeclaration = OptimizerDeclaration(
    name: "adam",
    summary: "The Adam optimizer with PyTorch's update rule and defaults (lr 0.001).",
    example: "let opt = adam(lr: 0.01)\nprint(opt.lr)",
    learningRate: 1e-3,
    hyperparameters: betas + [
      .number("weight_decay", 0, .nonNegative, "L2 penalty added to the gradient"),
      .flag("amsgrad", false, "use the running maximum of the second moment"),
    ],
    make: { v in
      .adam(beta1: v["beta1"]!, beta2: v["beta2"]!, eps: v["eps"]!,
            weightDecay: v["weight_decay"]!, amsgrad: flag(v["amsgrad"]))
    })

  static let adamwDeclaration = OptimizerDeclaration(
    name: "adamw",
    summary: "Adam with decoupled weight decay (0.01 by default).",
    example: "let opt = adamw(lr: 0.01, weight_decay: 0.05)",
    learningRate: 1e-3,
    hyperparameters: betas + [
      // AdamW is the one rule whose default weight decay is not zero (torch.optim.AdamW).
      .number("weight_decay", 0.01, .nonNegative, "decoupled decay: p *= 1 - lr·weight_decay"),
      .flag("amsgrad", false, "use the running maximum of the second moment"),
    ],
    make: { v in
      .adamw(beta1: v["beta1"]!, beta2: v["beta2"]!, eps: v["eps"]!,
             weightDecay: v["weight_decay"]!, amsgrad: flag(v["amsgrad"]))
    })

  static let rmspropDeclaration = OptimizerDeclaration(
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
    make: { v in
      .rmsprop(alpha: v["alpha"]!, eps: v["eps"]!, momentum: v["momentum"]!,
               centered: flag(v["centered"]), weightDecay: v["weight_decay"]!)
    })

  static let adagradDeclaration = OptimizerDeclaration(
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
    make: { v in
      .adagrad(eps: v["eps"]!, lrDecay: v["lr_decay"]!, weightDecay: v["weight_decay"]!,
               initialAccumulator: v["initial_accumulator"]!)
    })
}
