#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise operations on two tensors (with broadcasting).
public enum BinaryOp: Sendable, CaseIterable {
  case add, subtract, multiply, divide, power, remainder
  /// Comparisons give 1 for true and 0 for false.
  case equal, notEqual, less, lessEqual, greater, greaterEqual
  /// NaN-propagating, like `np.minimum` / `np.maximum`.
  case minimum, maximum
}

/// Element-wise operations on one tensor.
public enum UnaryOp: Sendable, CaseIterable {
  case negate, exp, log, sqrt, abs, tanh, sigmoid, relu, sign, floor, ceil
  /// Rounds half to even, like `np.round`.
  case round
}

// MARK: - Scalar kernels

/// `a mod b` with the sign of `b` (Python's `%`, NumPy's `remainder`), not C's `fmod`.
@inline(__always)
func flooredRemainder(_ a: Float, _ b: Float) -> Float {
  let r = fmodf(a, b)
  if r == 0 { return b < 0 ? -0.0 : 0.0 }
  return (r < 0) != (b < 0) ? r + b : r
}

/// NaN if either side is NaN, else the smaller.
@inline(__always)
func nanMinimum(_ a: Float, _ b: Float) -> Float {
  a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
}

/// NaN if either side is NaN, else the larger.
@inline(__always)
func nanMaximum(_ a: Float, _ b: Float) -> Float {
  a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
}

@inline(__always)
func truth(_ condition: Bool) -> Float { condition ? 1 : 0 }

extension BinaryOp {
  /// The operation on two scalars; the evaluator uses it for number–number arithmetic too.
  @inline(__always)
  public func apply(_ a: Float, _ b: Float) -> Float {
    switch self {
    case .add: return a + b
    case .subtract: return a - b
    case .multiply: return a * b
    case .divide: return a / b
    case .power: return powf(a, b)
    case .remainder: return flooredRemainder(a, b)
    case .equal: return truth(a == b)
    case .notEqual: return truth(a != b)
    case .less: return truth(a < b)
    case .lessEqual: return truth(a <= b)
    case .greater: return truth(a > b)
    case .greaterEqual: return truth(a >= b)
    case .minimum: return nanMinimum(a, b)
    case .maximum: return nanMaximum(a, b)
    }
  }
}

extension UnaryOp {
  /// The operation on one scalar.
  @inline(__always)
  public func apply(_ x: Float) -> Float {
    switch self {
    case .negate: return -x
    case .exp: return expf(x)
    case .log: return logf(x)
    case .sqrt: return x.squareRoot()
    case .abs: return Swift.abs(x)
    case .tanh: return tanhf(x)
    // The kernels' own scalar functions, so a number and a tensor element agree.
    case .sigmoid: return Activation.sigmoid.forward(x)
    case .relu: return Activation.relu.forward(x)
    case .sign: return signum(x)
    case .floor: return x.rounded(.down)
    case .ceil: return x.rounded(.up)
    case .round: return x.rounded(.toNearestOrEven)
    }
  }
}

// MARK: - Tensor operations

extension Tensor {
  /// `a op b` element-wise, with NumPy broadcasting (either side may be 0-d).
  public static func binary(
    _ op: BinaryOp, _ a: Tensor, _ b: Tensor
  ) throws(TensorError) -> Tensor {
    // One specialised loop per op, so the per-element work is a single instruction, not a switch.
    // The ops of the IR run its kernels, as plans do.
    switch op {
    case .add: return try arithmetic(.add, a, b)
    case .subtract: return try arithmetic(.subtract, a, b)
    case .multiply: return try arithmetic(.multiply, a, b)
    case .divide: return try arithmetic(.divide, a, b)
    case .power: return try arithmetic(.power, a, b)
    case .remainder: return try zip(a, b, flooredRemainder)
    case .equal: return try zip(a, b) { truth($0 == $1) }
    case .notEqual: return try zip(a, b) { truth($0 != $1) }
    case .less: return try zip(a, b) { truth($0 < $1) }
    case .lessEqual: return try zip(a, b) { truth($0 <= $1) }
    case .greater: return try zip(a, b) { truth($0 > $1) }
    case .greaterEqual: return try zip(a, b) { truth($0 >= $1) }
    case .minimum: return try zip(a, b, nanMinimum)
    case .maximum: return try zip(a, b, nanMaximum)
    }
  }

  /// `op` applied to every element; the ops of the IR run its kernels, as plans do.
  public func unary(_ op: UnaryOp) -> Tensor {
    switch op {
    case .negate: return Tensor.run(.negate, [self], shape: shape)
    case .exp: return Tensor.run(.exp, [self], shape: shape)
    case .log: return Tensor.run(.log, [self], shape: shape)
    case .sqrt: return Tensor.run(.sqrt, [self], shape: shape)
    case .abs: return Tensor.run(.abs, [self], shape: shape)
    case .sign: return Tensor.run(.sign, [self], shape: shape)
    case .tanh: return Tensor.run(.activation(.tanh), [self], shape: shape)
    case .sigmoid: return Tensor.run(.activation(.sigmoid), [self], shape: shape)
    case .relu: return Tensor.run(.activation(.relu), [self], shape: shape)
    case .floor: return map { $0.rounded(.down) }
    case .ceil: return map { $0.rounded(.up) }
    case .round: return map { $0.rounded(.toNearestOrEven) }
    }
  }

  /// A binary op of the IR on `a` and `b` broadcast together, by its plan kernel.
  private static func arithmetic(
    _ op: ArithmeticOp, _ a: Tensor, _ b: Tensor
  ) throws(TensorError) -> Tensor {
    let shape = try broadcastShape(a.shape, b.shape)
    _ = try checkedAllocation(shape)
    return run(.arithmetic(op), [a, b], shape: shape)
  }

  /// Every element limited to `low...high` (`min(max(x, low), high)`, so NaN stays NaN and
  /// `low > high` gives `high`, as `np.clip` does).
  public func clipped(_ low: Float, _ high: Float) -> Tensor {
    map { x in x.isNaN ? x : Swift.min(Swift.max(x, low), high) }
  }

  /// A new tensor of the same shape with `transform` applied to each element.
  @inline(__always)
  public func map(_ transform: (Float) -> Float) -> Tensor {
    let result = TensorStorage(count: count)
    let source = storage.pointer
    let destination = result.pointer
    for i in 0..<count { destination[i] = transform(source[i]) }
    return Tensor(shape: shape, storage: result)
  }

  /// `combine` applied element-wise to `a` and `b` broadcast together.
  @inline(__always)
  static func zip(
    _ a: Tensor, _ b: Tensor, _ combine: (Float, Float) -> Float
  ) throws(TensorError) -> Tensor {
    let pa = a.storage.pointer
    let pb = b.storage.pointer
    // Fast paths: the same shape, or one side a single element (a number mixed with a tensor).
    if a.shape == b.shape {
      let result = TensorStorage(count: a.count)
      let out = result.pointer
      for i in 0..<a.count { out[i] = combine(pa[i], pb[i]) }
      return Tensor(shape: a.shape, storage: result)
    }
    let shape = try broadcastShape(a.shape, b.shape)
    let total = try checkedAllocation(shape)
    let result = TensorStorage(count: total)
    let out = result.pointer
    if b.count == 1 && total == a.count {
      let y = pb[0]
      for i in 0..<total { out[i] = combine(pa[i], y) }
    } else if a.count == 1 && total == b.count {
      let x = pa[0]
      for i in 0..<total { out[i] = combine(x, pb[i]) }
    } else if total > 0 {
      zipStrided(pa, broadcastStrides(a.shape, to: shape), pb,
                 broadcastStrides(b.shape, to: shape), into: out, shape: shape, combine)
    }
    return Tensor(shape: shape, storage: result)
  }

  /// The general broadcasting loop: one innermost row at a time, each operand's row either
  /// contiguous (stride 1) or a single repeated element (stride 0). Offsets are kept in plain
  /// integers (no per-row array traffic), so short rows stay cheap.
  @inline(__always)
  private static func zipStrided(
    _ pa: UnsafeMutablePointer<Float>, _ aStrides: [Int],
    _ pb: UnsafeMutablePointer<Float>, _ bStrides: [Int],
    into out: UnsafeMutablePointer<Float>, shape: [Int], _ combine: (Float, Float) -> Float
  ) {
    let rank = shape.count
    let length = shape[rank - 1]
    let aInner = aStrides[rank - 1]
    let bInner = bStrides[rank - 1]
    let rows = shape.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: rank)
    var aOffset = 0
    var bOffset = 0
    for row in 0..<rows {
      let x = pa + aOffset
      let y = pb + bOffset
      let o = out + row * length
      switch (aInner, bInner) {
      case (1, 1): for i in 0..<length { o[i] = combine(x[i], y[i]) }
      case (1, _): let v = y[0]; for i in 0..<length { o[i] = combine(x[i], v) }
      case (_, 1): let v = x[0]; for i in 0..<length { o[i] = combine(v, y[i]) }
      default: let v = combine(x[0], y[0]); for i in 0..<length { o[i] = v }
      }
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        aOffset += aStrides[axis]
        bOffset += bStrides[axis]
        if index[axis] < shape[axis] { break }
        aOffset -= aStrides[axis] * shape[axis]
        bOffset -= bStrides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}
