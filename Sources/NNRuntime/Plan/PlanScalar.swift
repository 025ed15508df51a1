#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float or Double: the element type a plan computes in (gradient checks run in Double).
///
/// The math functions are requirements rather than generic code so each type reaches its own
/// libm entry point (`expf` vs `exp`) and kernels are written once.
public protocol PlanScalar: BinaryFloatingPoint, Sendable {
  /// e^x.
  static func exponential(_ x: Self) -> Self
  /// e^x − 1, accurate near 0.
  static func exponentialMinusOne(_ x: Self) -> Self
  /// The natural logarithm.
  static func logarithm(_ x: Self) -> Self
  /// log(1 + x), accurate near 0.
  static func logarithmOnePlus(_ x: Self) -> Self
  /// The hyperbolic tangent.
  static func hyperbolicTangent(_ x: Self) -> Self
  /// The error function.
  static func errorFunction(_ x: Self) -> Self
  /// x^y as C's pow.
  static func power(_ x: Self, _ y: Self) -> Self
  /// `C = op(A) · op(B)` (or `C += …` when `accumulate`) for row-major matrices; `op(A)` is
  /// m × k and `op(B)` is k × n (see `Tensor.multiplyMatrices`).
  static func gemm(
    _ a: UnsafePointer<Self>, transposeA: Bool, _ b: UnsafePointer<Self>, transposeB: Bool,
    into c: UnsafeMutablePointer<Self>, m: Int, n: Int, k: Int, accumulate: Bool)
  /// Converts from a Float tensor element. (A static function, not an init: an unlabelled
  /// `Double.init` reference elsewhere would become ambiguous.)
  static func fromFloat(_ value: Float) -> Self
  /// Converts to a Float tensor element.
  var floatValue: Float { get }
  /// Converts to Double, for accumulating losses.
  var doubleValue: Double { get }
}

extension Float: PlanScalar {
  /// `C = op(A) · op(B)` (or `C += …` when `accumulate`), via `Tensor.multiplyMatrices`.
  @inline(__always) public static func exponential(_ x: Float) -> Float { expf(x) }
  @inline(__always) public static func exponentialMinusOne(_ x: Float) -> Float { expm1f(x) }
  @inline(__always) public static func logarithm(_ x: Float) -> Float { logf(x) }
  @inline(__always) public static func logarithmOnePlus(_ x: Float) -> Float { log1pf(x) }
  @inline(__always) public static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
  @inline(__always) public static func errorFunction(_ x: Float) -> Float { erff(x) }
  @inline(__always) public static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
  public static func gemm(
    _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool
  ) {
    Tensor.multiplyMatrices(a, transposeA: transposeA, b, transposeB: transposeB, into: c,
                            m: m, n: n, k: k, accumulate: accumulate)
  }
  @inline(__always) public static func fromFloat(_ value: Float) -> Float { value }
  @inline(__always) public var floatValue: Float { self }
  @inline(__always) public var doubleValue: Double { Double(self) }
}

extension Double: PlanScalar {
  /// `C = op(A) · op(B)` (or `C += …` when `accumulate`), via `Tensor.multiplyMatrices`.
  @inline(__always) public static func exponential(_ x: Double) -> Double { exp(x) }
  @inline(__always) public static func exponentialMinusOne(_ x: Double) -> Double { expm1(x) }
  @inline(__always) public static func logarithm(_ x: Double) -> Double { log(x) }
  @inline(__always) public static func logarithmOnePlus(_ x: Double) -> Double { log1p(x) }
  @inline(__always) public static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
  @inline(__always) public static func errorFunction(_ x: Double) -> Double { erf(x) }
  @inline(__always) public static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
  public static func gemm(
    _ a: UnsafePointer<Double>, transposeA: Bool, _ b: UnsafePointer<Double>, transposeB: Bool,
    into c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool
  ) {
    Tensor.multiplyMatrices(a, transposeA: transposeA, b, transposeB: transposeB, into: c,
                            m: m, n: n, k: k, accumulate: accumulate)
  }
  @inline(__always) public static func fromFloat(_ value: Float) -> Double { Double(value) }
  @inline(__always) public var floatValue: Float { Float(self) }
  @inline(__always) public var doubleValue: Double { self }
}
