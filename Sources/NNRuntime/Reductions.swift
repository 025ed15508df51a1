#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reductions over one axis or over the whole tensor.
public enum ReduceOp: Sendable, CaseIterable {
  case sum, mean, max, min
  /// The index (as a Float) of the first largest / smallest element; NaN counts as extreme.
  case argmax, argmin
  /// Population statistics (ddof 0), like NumPy's defaults.
  case std, variance
  case prod

  /// The name scripts know the reduction by, for messages.
  public var name: String {
    switch self {
    case .sum: "sum"
    case .mean: "mean"
    case .max: "max"
    case .min: "min"
    case .argmax: "argmax"
    case .argmin: "argmin"
    case .std: "std"
    case .variance: "var"
    case .prod: "prod"
    }
  }
}

/// A tensor seen as `outer × length × inner` around one axis: element `(o, j, i)` lies at
/// `(o * length + j) * inner + i`.
struct AxisLayout {
  var outer: Int
  var length: Int
  var inner: Int
  /// The shape with the axis removed.
  var reducedShape: [Int]

  init(shape: [Int], axis: Int) {
    outer = Tensor.product(shape[..<axis])
    length = shape[axis]
    inner = Tensor.product(shape[(axis + 1)...])
    var reduced = shape
    reduced.remove(at: axis)
    reducedShape = reduced
  }

  /// The whole tensor as one axis.
  init(wholeOf shape: [Int]) {
    outer = 1
    length = shape.reduce(1, *)
    inner = 1
    reducedShape = []
  }
}

extension Tensor {
  /// Reduces over `axis` (removing it; negative counts from the end) or, when `axis` is nil,
  /// over every element to a 0-d tensor. Sums and means accumulate in Double. An empty
  /// reduction gives 0 (sum), 1 (prod), NaN (mean, std, var) or an error (max, min, argmax,
  /// argmin), as in NumPy.
  public func reduce(_ op: ReduceOp, axis: Int?) throws(TensorError) -> Tensor {
    let layout: AxisLayout
    if let axis {
      layout = AxisLayout(shape: shape, axis: try normalizeAxis(axis, rank: rank))
    } else {
      layout = AxisLayout(wholeOf: shape)
    }
    let outCount = layout.outer * layout.inner
    // Like NumPy, an empty reduction axis has no maximum even when the result is empty too.
    if layout.length == 0 {
      switch op {
      case .max, .min, .argmax, .argmin:
        let place = axis.map { "along axis \($0) of size 0" } ?? "of an empty tensor"
        throw TensorError(.invalidArgument, "\(op.name) \(place) is undefined")
      default: break
      }
    }
    let result = TensorStorage(count: outCount)
    let source = UnsafePointer(storage.pointer)
    for o in 0..<layout.outer {
      let block = source + o * layout.length * layout.inner
      let out = result.pointer + o * layout.inner
      Tensor.reduceBlock(op, block, into: out, length: layout.length, inner: layout.inner)
    }
    return Tensor(shape: layout.reducedShape, storage: result)
  }

  /// Reduces a `length × inner` block over its first axis into `inner` outputs. Loops run over
  /// `inner` innermost so memory is read in order.
  private static func reduceBlock(
    _ op: ReduceOp, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    length: Int, inner: Int
  ) {
    if inner == 1 {
      out[0] = reduceContiguous(op, x, length: length)
      return
    }
    switch op {
    case .sum, .mean, .std, .variance:
      var sums = [Double](repeating: 0, count: inner)
      for j in 0..<length {
        let row = x + j * inner
        for i in 0..<inner { sums[i] += Double(row[i]) }
      }
      let n = Double(length)
      if op == .sum {
        for i in 0..<inner { out[i] = Float(sums[i]) }
        return
      }
      let means = sums.map { $0 / n }
      if op == .mean {
        for i in 0..<inner { out[i] = Float(means[i]) }
        return
      }
      // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
      var squares = [Double](repeating: 0, count: inner)
      for j in 0..<length {
        let row = x + j * inner
        for i in 0..<inner {
          let d = Double(row[i]) - means[i]
          squares[i] += d * d
        }
      }
      for i in 0..<inner {
        let variance = squares[i] / n
        out[i] = Float(op == .std ? variance.squareRoot() : variance)
      }
    case .prod:
      var products = [Double](repeating: 1, count: inner)
      for j in 0..<length {
        let row = x + j * inner
        for i in 0..<inner { products[i] *= Double(row[i]) }
      }
      for i in 0..<inner { out[i] = Float(products[i]) }
    case .max, .min:
      let isMax = op == ReduceOp.max
      out.update(from: x, count: inner)
      for j in 1..<Swift.max(length, 1) {
        let row = x + j * inner
        if isMax {
          for i in 0..<inner { out[i] = nanMaximum(out[i], row[i]) }
        } else {
          for i in 0..<inner { out[i] = nanMinimum(out[i], row[i]) }
        }
      }
    case .argmax, .argmin:
      var best = [Float](repeating: 0, count: inner)
      var bestIndex = [Int](repeating: 0, count: inner)
      for i in 0..<inner { best[i] = x[i] }
      for j in 1..<Swift.max(length, 1) {
        let row = x + j * inner
        for i in 0..<inner where !best[i].isNaN {
          let v = row[i]
          let better = op == ReduceOp.argmax ? v > best[i] : v < best[i]
          if better || v.isNaN {
            best[i] = v
            bestIndex[i] = j
          }
        }
      }
      for i in 0..<inner { out[i] = Float(bestIndex[i]) }
    }
  }

  /// Reduces `length` contiguous elements (the last axis, or the whole tensor) with scalar
  /// accumulators instead of per-block arrays; four partial sums break the add dependency chain.
  private static func reduceContiguous(
    _ op: ReduceOp, _ x: UnsafePointer<Float>, length: Int
  ) -> Float {
    switch op {
    case .sum, .mean, .std, .variance:
      let total = sumOfDoubles(x, length: length) { Double($0) }
      let n = Double(length)
      if op == .sum { return Float(total) }
      let mean = total / n
      if op == .mean { return Float(mean) }
      let squares = sumOfDoubles(x, length: length) { (Double($0) - mean) * (Double($0) - mean) }
      return Float(op == .std ? (squares / n).squareRoot() : squares / n)
    case .prod:
      var product: Double = 1
      for j in 0..<length { product *= Double(x[j]) }
      return Float(product)
    case .max, .min:
      var best = x[0]
      if op == ReduceOp.max {
        for j in 1..<Swift.max(length, 1) { best = nanMaximum(best, x[j]) }
      } else {
        for j in 1..<Swift.max(length, 1) { best = nanMinimum(best, x[j]) }
      }
      return best
    case .argmax, .argmin:
      var best = x[0]
      var bestIndex = 0
      for j in 1..<Swift.max(length, 1) where !best.isNaN {
        let v = x[j]
        if (op == ReduceOp.argmax ? v > best : v < best) || v.isNaN {
          best = v
          bestIndex = j
        }
      }
      return Float(bestIndex)
    }
  }

  @inline(__always)
  private static func sumOfDoubles(
    _ x: UnsafePointer<Float>, length: Int, _ term: (Float) -> Double
  ) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var j = 0
    while j + 4 <= length {
      s0 += term(x[j])
      s1 += term(x[j + 1])
      s2 += term(x[j + 2])
      s3 += term(x[j + 3])
      j += 4
    }
    while j < length {
      s0 += term(x[j])
      j += 1
    }
    return (s0 + s1) + (s2 + s3)
  }

  /// `exp(x) / sum(exp(x))` along `axis`, by the softmax kernel a plan runs (shifted by the
  /// maximum so `exp` cannot overflow). Along another axis than the last, each line is gathered
  /// into a contiguous row first.
  public func softmax(axis: Int) throws(TensorError) -> Tensor {
    let layout = AxisLayout(shape: shape, axis: try normalizeAxis(axis, rank: rank))
    let result = TensorStorage(count: count)
    let n = layout.length
    let inner = layout.inner
    let line = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n, 1))
    defer { line.deallocate() }
    for o in 0..<layout.outer {
      let x = storage.pointer + o * n * inner
      let y = result.pointer + o * n * inner
      if inner == 1 {
        ActivationKernel<Float>.softmaxRow(x, y, n)
        continue
      }
      for i in 0..<inner {
        for j in 0..<n { line[j] = x[j * inner + i] }
        ActivationKernel<Float>.softmaxRow(line, line, n)
        for j in 0..<n { y[j * inner + i] = line[j] }
      }
    }
    return Tensor(shape: shape, storage: result)
  }
}
