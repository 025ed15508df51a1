#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// The decimal exponent the language's scientific layouts use (numbers themselves print through
// NNRuntime's `formatNumber`).

extension Double {
  /// ⌊log₁₀|x|⌋ for a finite, non-zero `x`: the power of ten of its leading digit.
  var decimalExponent: Int {
    var exponent = Int(log10(Swift.abs(self)).rounded(.down))
    // log10 may land a hair below an exact power of ten; correct by one step either way.
    if Swift.abs(self) >= Self.powerOfTen(exponent + 1) { exponent += 1 }
    if Swift.abs(self) < Self.powerOfTen(exponent) { exponent -= 1 }
    return exponent
  }

  static func powerOfTen(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<Swift.abs(n) { result *= 10 }
    return n < 0 ? 1 / result : result
  }
}
