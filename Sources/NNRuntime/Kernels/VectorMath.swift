// Vectorised exp, sigmoid and tanh over Float arrays, for the gate loops of the recurrent
// kernels: a libm call per element costs more than the recurrence's matrix products. Each
// function works eight lanes at a time (one AVX register) with a scalar tail through the same
// lane code, so every element gets the same result wherever it sits in the array.
//
// Accuracy: exp is Cephes' expf (range reduction by ln 2 in two parts, a degree-6 polynomial),
// within 2 ulp over its range; sigmoid and tanh inherit that plus one division, a few ulp.
// Edge cases: NaN stays NaN; exp saturates to +inf above ~88.72 and to 0 below ~−103.97
// (through subnormals), sigmoid tends to exactly 0 and 1 and never overflows, tanh is
// exactly ±1 beyond |x| ≈ 9 and keeps its relative accuracy near 0 through a polynomial
// (the 1 − 2/(e^{2x} + 1) form would cancel there).

enum VectorMath {
  typealias Lanes = SIMD8<Float>

  /// e^x per lane. (`@_transparent` on the lane functions: with `@inline(__always)` the
  /// optimizer still called them once per eight elements, 19 % of the lstm workload.)
  @_transparent
  static func exp(_ x: Lanes) -> Lanes {
    // exp(x) = 2^n · e^r with n = round(x / ln 2), |r| ≤ ln 2 / 2. 2^n is applied as two
    // normal powers of two, so results between FLT_MIN and the smallest subnormal come out
    // gradually rather than as 0.
    // (Selects, not `clamped`: the standard library's pointwise min/max are not inlined.)
    var clamped = x
    clamped.replace(with: -104, where: x .< -104)
    clamped.replace(with: 89, where: x .> 89)
    // Adding 1.5·2²³ rounds to an integer (to nearest even) and leaves it in the low mantissa
    // bits, which gives n as a float and as an integer without a conversion.
    let shifted = clamped * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    let ni = SIMD8<Int32>(truncatingIfNeeded: bits(shifted)) &- 0x4B40_0000
    var r = clamped - n * 0.693359375
    r = r - n * -2.12194440e-4
    let r2 = r * r
    var p = Lanes(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r2 + r + 1
    // 2^n as two factors 2^a · 2^b with a, b in the normal exponent range [−126, 127].
    let a = ni &>> 1
    let b = ni &- a
    let scaleA = lanes(SIMD8<UInt32>(truncatingIfNeeded: (a &+ 127) &<< 23))
    let scaleB = lanes(SIMD8<UInt32>(truncatingIfNeeded: (b &+ 127) &<< 23))
    var result = y * scaleA * scaleB
    result.replace(with: Lanes(repeating: .infinity), where: x .> 88.7228391)
    result.replace(with: 0, where: x .< -103.972084)
    result.replace(with: x, where: x .!= x)
    return result
  }

  /// 1 / (1 + e^{−x}) per lane, as e^{x} / (1 + e^{x}) below 0: the exponential is of −|x|,
  /// so it never overflows, and results below FLT_MIN come out as subnormals, not 0.
  @_transparent
  static func sigmoid(_ x: Lanes) -> Lanes {
    let magnitude = lanes(bits(x) & 0x7FFF_FFFF)
    let e = exp(-magnitude)
    let positive = 1 / (1 + e)
    var result = positive
    result.replace(with: e * positive, where: x .< 0)
    result.replace(with: x, where: x .!= x)
    return result
  }

  /// tanh(x) per lane, computed on |x| with the sign of x put back (so tanh(−0) is −0).
  @_transparent
  static func tanh(_ x: Lanes) -> Lanes {
    let sign = bits(x) & 0x8000_0000
    let magnitude = lanes(bits(x) & 0x7FFF_FFFF)
    // |x| ≥ 0.625: 1 − 2 / (e^{2|x|} + 1), exactly 1 once e^{2|x|} overflows.
    var result = 1 - 2 / (exp(2 * magnitude) + 1)
    // |x| < 0.625: Cephes' tanhf polynomial |x| + |x|³·P(x²).
    let z = magnitude * magnitude
    var p = Lanes(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    result.replace(with: p * z * magnitude + magnitude, where: magnitude .< 0.625)
    result = lanes(bits(result) | sign)
    result.replace(with: x, where: x .!= x)
    return result
  }

  /// σ over `count` elements, `destination` may be `source`: Float vectorised, Double
  /// through the scalar `sigmoid` (gradient checks want libm's last bits, not speed).
  @inline(__always)
  static func sigmoid<T: PlanScalar>(
    _ source: UnsafeMutablePointer<T>, into destination: UnsafeMutablePointer<T>, count: Int
  ) {
    guard T.self == Float.self else {
      for k in 0..<count { destination[k] = NNRuntime.sigmoid(source[k]) }
      return
    }
    // Written out rather than through a closure, so that the lane function inlines.
    let (s, d) = (float(source), float(destination))
    var i = 0
    while i + 8 <= count {
      store(sigmoid(load(s + i, 8)), d + i, 8)
      i += 8
    }
    if i < count { store(sigmoid(load(s + i, count - i)), d + i, count - i) }
  }

  /// tanh over `count` elements, `destination` may be `source`; as `sigmoid`.
  @inline(__always)
  static func tanh<T: PlanScalar>(
    _ source: UnsafeMutablePointer<T>, into destination: UnsafeMutablePointer<T>, count: Int
  ) {
    guard T.self == Float.self else {
      for k in 0..<count { destination[k] = T.hyperbolicTangent(source[k]) }
      return
    }
    let (s, d) = (float(source), float(destination))
    var i = 0
    while i + 8 <= count {
      store(tanh(load(s + i, 8)), d + i, 8)
      i += 8
    }
    if i < count { store(tanh(load(s + i, count - i)), d + i, count - i) }
  }

  /// The first `count` (at most 8) lanes from `p`, zeros after them.
  @inline(__always)
  private static func load(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> Lanes {
    if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    var v = Lanes(repeating: 0)
    for k in 0..<count { v[k] = p[k] }
    return v
  }

  /// Stores the first `count` (at most 8) lanes of `v` at `p`.
  @inline(__always)
  private static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self); return }
    for k in 0..<count { p[k] = v[k] }
  }

  @inline(__always)
  private static func bits(_ x: Lanes) -> SIMD8<UInt32> {
    unsafeBitCast(x, to: SIMD8<UInt32>.self)
  }

  @inline(__always)
  private static func lanes(_ x: SIMD8<UInt32>) -> Lanes { unsafeBitCast(x, to: Lanes.self) }

  @inline(__always)
  private static func float<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
  }
}
