// What every optimizer's update loop shares: the buffers it works on and the scalar helpers
// that keep its arithmetic in PyTorch's order. The loops themselves live each in its
// optimizer's file (SGD.swift, Adam.swift, …); each mirrors the single-tensor path of
// torch.optim (2.x): the same operations in the same order, with Python-float
// hyper-parameters rounded to the element type as PyTorch's CPU kernels round their scalar
// arguments. `addcmul(a, x, y, value: v)` is `a + v·x·y` and `addcdiv(a, x, y, value: v)` is
// `a + v·x / y`, as in ATen's CPU kernels.

/// The buffers and per-step values one update works on.
struct OptimizerKernelContext<U: BinaryFloatingPoint> {
  var parameters: UnsafeMutablePointer<U>
  var gradients: UnsafePointer<U>
  /// The rule's state buffers, in the order each kernel documents, `stride` scalars apart.
  var state: UnsafeMutablePointer<U>
  var count: Int
  /// The distance between state buffers: the whole parameter count, also when this context
  /// covers one thread's range of it.
  var stride: Int
  /// The 1-based number of this step.
  var step: Int
  var learningRate: Double
  /// The rule's one scalar of state kept in float32 (NAdam's `mu_product`; 1 when unused).
  var product: UnsafeMutablePointer<Float>

  /// The state buffer at `slot`.
  func buffer(_ slot: Int) -> UnsafeMutablePointer<U> { state + slot * stride }
}

/// Runs `body` with `flag` as a compile-time constant, so that after inlining each branch on
/// it inside `body`'s loop folds away. LLVM does not unswitch these loops by itself, and a
/// loop-invariant branch left inside a loop stops it from being vectorised (4–10× slower).
@inline(__always)
func unswitch(_ flag: Bool, _ body: (Bool) -> Void) {
  if flag { body(true) } else { body(false) }
}

/// ATen's `lerp(a, b, w)`, whose form depends on whether |w| < 0.5 (`small`, computed once per
/// step): each form is exact at its own end, and matching it keeps Float results within
/// rounding of PyTorch's.
@inline(__always)
func lerp<U: BinaryFloatingPoint>(_ start: U, _ end: U, _ weight: U, small: Bool) -> U {
  small ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// The square root of a value that is mathematically ≥ 0 (a mean square, a sum of squares).
///
/// On Linux `squareRoot()` becomes a libm call that sets errno for negative input, and that
/// call stops LLVM from vectorising the loop. With the argument visibly non-negative LLVM
/// emits plain `sqrtps`/`sqrtpd`. NaN still propagates; only a negative input, which PyTorch
/// would turn into NaN, gives 0 instead.
@inline(__always)
func rootOfNonNegative<U: BinaryFloatingPoint>(_ value: U) -> U {
  (value < 0 ? 0 : value).squareRoot()
}

/// `torch.maximum`: NaN if either is NaN (Swift's `max` would drop a NaN).
@inline(__always)
func maximumPropagatingNaN<U: BinaryFloatingPoint>(_ a: U, _ b: U) -> U {
  b > a || b.isNaN ? b : a
}
