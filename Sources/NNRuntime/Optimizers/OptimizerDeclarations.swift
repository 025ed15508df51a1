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

  private static func format(_ x: Double) -> String { formatNumber(x) }
}

/// One hyper-parameter of an optimizer or a loss as the language spells it: its name,
/// PyTorch's default, the range validation enforces, and one line of help.
public struct Hyperparameter: Sendable {
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

/// The hyper-parameters of optimizers were declared under this name first.
public typealias OptimizerHyperparameter = Hyperparameter

/// Everything the language and the runtime know about one optimizer, declared once in its
/// file: its name, default learning rate, hyper-parameters, help, and how their values make
/// its update.
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
  /// Makes the update from a value for every hyper-parameter (a flag is 0 or 1).
  let make: @Sendable ([String: Double]) -> any OptimizerUpdate

  /// The rule with every hyper-parameter at its default.
  public var defaultRule: OptimizerRule { OptimizerRule(self, [:]) }

  /// The rule from `values`, with the default for each hyper-parameter `values` lacks.
  public func rule(_ values: [String: Double]) -> OptimizerRule {
    OptimizerRule(self, values)
  }
}

extension OptimizerRule {
  /// Every optimizer, in the order listings show them: the one line a new optimizer adds
  /// outside its own file.
  public static let declarations: [OptimizerDeclaration] = [
    SGD.declaration, Adam.declaration, AdamW.declaration, RMSprop.declaration,
    Adagrad.declaration, NAdam.declaration,
  ]

  /// The declaration of the optimizer named `name`, or nil.
  public static func declaration(_ name: String) -> OptimizerDeclaration? {
    declarations.first { $0.name == name }
  }

  /// The value of the hyper-parameter the language calls `name` (a flag as 0 or 1).
  public func value(of name: String) -> Double? {
    values[name]
  }
}

/// A flag's value as a Bool.
@inline(__always)
func flag(_ x: Double?) -> Bool { (x ?? 0) != 0 }
