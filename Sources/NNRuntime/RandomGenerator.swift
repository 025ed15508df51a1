#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, seedable pseudo-random generator: xoshiro256** with its state seeded through
/// SplitMix64, as its authors recommend. The same seed gives the same stream on every platform
/// (integer arithmetic only; `normal()` relies on the platform's `log`, correctly rounded in
/// practice).
public struct RandomGenerator: Sendable, RandomNumberGenerator {
  private var state: (UInt64, UInt64, UInt64, UInt64)
  /// The second value of the last polar-method pair, handed out by the next `normal()`.
  private var spareNormal: Double?

  /// A generator whose stream is fixed by `seed`.
  public init(seed: UInt64) {
    var splitMix = seed
    func nextSplitMix() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      var z = splitMix
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    spareNormal = nil
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotateLeft(state.3, 45)
    return result
  }

  /// A uniform sample from [0, 1) with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform sample from [0, 1) as a Float, from 24 random bits, so that rounding can never
  /// produce 1 (as `Float(uniform())` could).
  public mutating func uniformFloat() -> Float {
    Float(next() >> 40) * 0x1.0p-24
  }

  /// A sample from N(0, 1) by Marsaglia's polar method (no trigonometry, so fewer libm
  /// differences between platforms).
  public mutating func normal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    while true {
      let u = 2 * uniform() - 1
      let v = 2 * uniform() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 {
        let scale = (-2 * log(s) / s).squareRoot()
        spareNormal = v * scale
        return u * scale
      }
    }
  }

  /// A uniform integer in `0..<n` without modulo bias (Lemire's method); 0 when `n <= 0`.
  public mutating func integer(below n: Int) -> Int {
    guard n > 1 else { return 0 }
    let bound = UInt64(n)
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold {
        product = next().multipliedFullWidth(by: bound)
      }
    }
    return Int(product.high)
  }

  /// Shuffles `values` in place (Fisher–Yates), drawing from this generator.
  public mutating func shuffle<T>(_ values: inout [T]) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
      values.swapAt(i, integer(below: i + 1))
    }
  }
}

@inline(__always)
private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
  (x << k) | (x >> (64 - k))
}
