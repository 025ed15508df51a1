// The per-step scan of the whole gradient (finiteness and, for `clip`, its norm). It runs once
// per optimizer step over every parameter, so it must cost about as much as reading the
// gradient once: a scalar loop in Double took a fifth of a small model's step.

/// Σ g² over `values`, for the finiteness check and norm clipping of a training step, over
/// the thread pool when the gradient is large.
///
/// The order of the sum depends on the pool's width, never on how the pool ran: `width`
/// near-equal contiguous parts (one part below `scanGrain` values per thread), each summed by
/// `partialSumOfSquares`, then the parts' Double sums added from the first to the last. One
/// thread (or a small gradient) is thus the plain scan; two may differ from it in the last
/// bits of the Float lanes.
func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
  // The size first: a small model's scan never reaches the width's lazy global.
  guard values.count >= 2 * scanGrain else { return partialSumOfSquares(values) }
  return sumOfSquares(values, width: Parallel.width, splitting: Parallel.forEach)
}

/// `sumOfSquares` cut for `width` threads, run by `runner`.
func sumOfSquares(
  _ values: UnsafeBufferPointer<Float>, width: Int, splitting runner: SplitRunner
) -> Double {
  let parts = values.count >= width * scanGrain ? width : 1
  guard parts > 1, let base = values.baseAddress else { return partialSumOfSquares(values) }
  return withUnsafeTemporaryAllocation(of: Double.self, capacity: parts) { sums in
    runner(parts, 1) { range in
      for part in range {
        let slice = WorkerPool.range(part, of: parts, count: values.count)
        sums[part] = partialSumOfSquares(
          UnsafeBufferPointer(start: base + slice.lowerBound, count: slice.count))
      }
    }
    var total = 0.0
    for part in 0..<parts { total += sums[part] }
    return total
  }
}

/// Values per thread below which the scan is not split (a few µs of reading).
let scanGrain = 1 << 15

/// Σ g² over one part of a gradient.
///
/// Accumulates in Float across 64 lanes (sixteen-wide vectors, four of them to hide the adds'
/// latency), as torch's `clip_grad_norm_` accumulates float32 norms in float32. A non-finite
/// gradient gives a non-finite sum. So can a finite one whose squares overflow Float (|g| above
/// about 1.8e19); that case alone is summed again in Double, so that huge finite gradients are
/// not mistaken for non-finite ones.
func partialSumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
  guard let base = values.baseAddress else { return 0 }
  let count = values.count
  let raw = UnsafeRawPointer(base)
  let stride = MemoryLayout<Float>.stride
  var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
  var i = 0
  while i + 64 <= count {
    let v0 = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self)
    let v1 = raw.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD16<Float>.self)
    let v2 = raw.loadUnaligned(fromByteOffset: (i + 32) * stride, as: SIMD16<Float>.self)
    let v3 = raw.loadUnaligned(fromByteOffset: (i + 48) * stride, as: SIMD16<Float>.self)
    a += v0 * v0
    b += v1 * v1
    c += v2 * v2
    d += v3 * v3
    i += 64
  }
  var tail: Float = 0
  while i < count {
    tail += base[i] * base[i]
    i += 1
  }
  let sum = Double(((a + b) + (c + d)).sum()) + Double(tail)
  if sum.isFinite { return sum }
  var exact = 0.0
  for value in values { exact += Double(value) * Double(value) }
  return exact
}
