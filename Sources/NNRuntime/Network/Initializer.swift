#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a parameter's first values are drawn (LANGUAGE.md §5).
public enum Initializer: Hashable, Sendable {
  /// He (Kaiming) normal: N(0, 2 / fan_in) — PyTorch's `kaiming_normal_` with a ReLU gain.
  case he
  /// Xavier (Glorot) uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)).
  case xavier
  case normal(std: Double)
  case uniform(low: Double, high: Double)
  case zeros
  case constant(Double)

  /// The initializer as shown in summaries: `he`, `normal(0.01)`, …
  public var name: String {
    switch self {
    case .he: return "he"
    case .xavier: return "xavier"
    case .normal(let std): return "normal(\(formatNumber(std)))"
    case .uniform(let low, let high): return "uniform(\(formatNumber(low)), \(formatNumber(high)))"
    case .zeros: return "zeros"
    case .constant(let value): return "constant(\(formatNumber(value)))"
    }
  }

  /// Fills `count` values for a parameter with the given fans, drawing from `random`.
  public func fill(
    _ values: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int,
    using random: inout RandomGenerator
  ) {
    switch self {
    case .he:
      let std = (2.0 / Double(max(fanIn, 1))).squareRoot()
      for i in 0..<count { values[i] = Float(random.normal() * std) }
    case .xavier:
      let bound = (6.0 / Double(max(fanIn + fanOut, 1))).squareRoot()
      for i in 0..<count { values[i] = Float((random.uniform() * 2 - 1) * bound) }
    case .normal(let std):
      for i in 0..<count { values[i] = Float(random.normal() * std) }
    case .uniform(let low, let high):
      for i in 0..<count { values[i] = Float(low + random.uniform() * (high - low)) }
    case .zeros:
      values.update(repeating: 0, count: count)
    case .constant(let value):
      values.update(repeating: Float(value), count: count)
    }
  }
}

extension Initializer {
  /// `normal`'s hyper-parameter as the language spells it, with its default and range.
  public static let normalHyperparameters: [OptimizerHyperparameter] = [
    .number("std", 0.01, .nonNegative, "standard deviation"),
  ]
  /// `uniform`'s (the range must also have low ≤ high).
  public static let uniformHyperparameters: [OptimizerHyperparameter] = [
    .number("low", -0.05, .finite, "lowest value"),
    .number("high", 0.05, .finite, "highest value"),
  ]
  /// `constant`'s, which has no default.
  public static let constantHyperparameters: [OptimizerHyperparameter] = [
    .number("value", 0, .finite, "every element"),
  ]
}
