import Foundation
import Testing
@testable import NNRuntime

// The vectorised Float exp/sigmoid/tanh of the recurrent kernels against Double libm: a few
// ulp over the whole range, and the edge cases (NaN, ±inf, overflow, subnormals) sane.

/// |a − reference| in units of the Float spacing at the reference (the subnormal spacing
/// below FLT_MIN).
private func ulps(_ a: Float, _ reference: Double) -> Double {
  let spacing = Double(max(Float(reference).ulp, Float.leastNonzeroMagnitude))
  return Swift.abs(Double(a) - reference) / spacing
}

/// Every 997th Float in [−range, range] plus a few hand-picked points, in one array whose
/// length is not a multiple of the lane count, so the scalar tail is exercised too.
private func samples(_ range: Float) -> [Float] {
  var values: [Float] = [0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 0.625, -0.625, 0.6249999, 9, -9]
  var bits = UInt32(0)
  while bits < 0x7F80_0000 {
    let v = Float(bitPattern: bits)
    if v <= range { values.append(v); values.append(-v) }
    bits += 997 * 1024
  }
  if values.count % 8 == 0 { values.append(0.25) }
  return values
}

private func apply(_ f: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                   _ x: [Float]) -> [Float] {
  var source = x
  var result = [Float](repeating: .nan, count: x.count)
  source.withUnsafeMutableBufferPointer { s in
    result.withUnsafeMutableBufferPointer { r in f(s.baseAddress!, r.baseAddress!, x.count) }
  }
  return result
}

@Test func vectorSigmoidIsWithinAFewUlpOfLibm() {
  let x = samples(120)
  let y = apply({ VectorMath.sigmoid($0, into: $1, count: $2) }, x)
  let worst = zip(x, y).map { ulps($1, 1 / (1 + Foundation.exp(-Double($0)))) }.max()!
  #expect(worst <= 4, "worst \(worst) ulp")
}

@Test func vectorTanhIsWithinAFewUlpOfLibm() {
  let x = samples(40)
  let y = apply({ VectorMath.tanh($0, into: $1, count: $2) }, x)
  let worst = zip(x, y).map { ulps($1, Foundation.tanh(Double($0))) }.max()!
  #expect(worst <= 4, "worst \(worst) ulp")
  // Odd, and exact at 0 of either sign.
  for (a, b) in zip(x, y) where a == 0 { #expect(b == 0 && b.sign == a.sign) }
}

@Test func vectorExpIsWithinAFewUlpOfLibmDownToSubnormals() {
  let x = samples(103.9).filter { $0 < 88.72 }
  var result = [Float](repeating: 0, count: x.count)
  for start in stride(from: 0, to: x.count - 7, by: 8) {
    let lanes = VectorMath.exp(SIMD8<Float>(x[start..<start + 8]))
    for k in 0..<8 { result[start + k] = lanes[k] }
  }
  let checked = x.count / 8 * 8
  let worst = (0..<checked).map { ulps(result[$0], Foundation.exp(Double(x[$0]))) }.max()!
  #expect(worst <= 2, "worst \(worst) ulp")
}

@Test func vectorMathEdgeCasesAreSane() {
  let x: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, 89, -89, 200, -200]
  let s = apply({ VectorMath.sigmoid($0, into: $1, count: $2) }, x)
  #expect(s[0].isNaN)
  #expect(Array(s[1...5]) == [1, 0, 1, 0, 1] && Array(s[7...]) == [1, 0])
  // σ(−89) ≈ 2.2e-39: a subnormal, not 0.
  #expect(ulps(s[6], 1 / (1 + Foundation.exp(89.0))) <= 1)
  let t = apply({ VectorMath.tanh($0, into: $1, count: $2) }, x)
  #expect(t[0].isNaN)
  #expect(Array(t[1...]) == [1, -1, 1, -1, 1, -1, 1, -1])
  let e = VectorMath.exp(SIMD8<Float>(.nan, .infinity, -.infinity, 88.8, -104, 0, 1, -1))
  #expect(e[0].isNaN)
  #expect(e[1] == .infinity && e[2] == 0 && e[3] == .infinity && e[4] == 0 && e[5] == 1)
  #expect(ulps(e[6], M_E) <= 1 && ulps(e[7], 1 / M_E) <= 1)
}

@Test func vectorMathInDoubleIsTheScalarFunctions() {
  var x: [Double] = [-3, -0.1, 0, 0.7, 25]
  var y = [Double](repeating: 0, count: x.count)
  x.withUnsafeMutableBufferPointer { s in
    y.withUnsafeMutableBufferPointer { r in
      VectorMath.sigmoid(s.baseAddress!, into: r.baseAddress!, count: s.count)
    }
  }
  #expect(y == x.map { NNRuntime.sigmoid($0) })
  x.withUnsafeMutableBufferPointer { s in
    VectorMath.tanh(s.baseAddress!, into: s.baseAddress!, count: s.count)
  }
  #expect(x == [-3, -0.1, 0, 0.7, 25].map { Foundation.tanh($0) })
}
