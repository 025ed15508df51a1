// NumPy broadcasting: shapes are aligned at their last axis; each pair of extents must be equal
// or one of them 1, and the missing leading axes of the shorter shape count as 1.

extension Tensor {
  /// The shape `a` and `b` broadcast to, or an error naming both.
  public static func broadcastShape(_ a: [Int], _ b: [Int]) throws(TensorError) -> [Int] {
    if a == b { return a }
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
      let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
      let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
      if x == y || y == 1 {
        result[axis] = x
      } else if x == 1 {
        result[axis] = y
      } else {
        throw TensorError(.shapeMismatch,
                          "cannot broadcast shapes \(shapeText(a)) and \(shapeText(b))")
      }
    }
    return result
  }

  /// Strides for reading a tensor of `shape` as if it had `target` (of rank ≥ shape.count):
  /// broadcast axes get stride 0.
  static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = target.count - shape.count
    var strides = [Int](repeating: 0, count: target.count)
    for axis in 0..<shape.count {
      strides[axis + offset] = shape[axis] == 1 ? 0 : own[axis]
    }
    return strides
  }

  /// This tensor materialised at `shape` (which it must broadcast to without changing `shape`).
  public func broadcast(to target: [Int]) throws(TensorError) -> Tensor {
    if shape == target { return self }
    let joined = try Tensor.broadcastShape(shape, target)
    guard joined == target else {
      throw TensorError(.shapeMismatch, "cannot broadcast a tensor of shape \(shapeText(shape))"
                        + " to shape \(shapeText(target))")
    }
    let total = try Tensor.checkedAllocation(target)
    let result = Tensor(zeros: target)
    if total == 0 { return result }
    let strides = Tensor.broadcastStrides(shape, to: target)
    let source = storage.pointer
    let destination = result.storage.pointer
    Tensor.forEachRun(shape: target, strides: [strides]) { offsets, outOffset, length, inner in
      let input = source + offsets[0]
      if inner[0] == 0 {
        (destination + outOffset).update(repeating: input[0], count: length)
      } else {
        (destination + outOffset).update(from: input, count: length)
      }
    }
    return result
  }

  /// Walks a contiguous output of `shape` one innermost row at a time. For each row `body` gets
  /// the start offset of each operand (read through its `strides`), the output offset, the row
  /// length and each operand's innermost stride. `shape` must have no zero extent.
  @inline(__always)
  static func forEachRun(
    shape: [Int], strides: [[Int]],
    _ body: (_ offsets: [Int], _ outOffset: Int, _ length: Int, _ inner: [Int]) -> Void
  ) {
    let rank = shape.count
    let operands = strides.count
    if rank == 0 {
      body([Int](repeating: 0, count: operands), 0, 1, [Int](repeating: 0, count: operands))
      return
    }
    let length = shape[rank - 1]
    let inner = strides.map { $0[rank - 1] }
    let rows = shape.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: rank)
    var offsets = [Int](repeating: 0, count: operands)
    for row in 0..<rows {
      body(offsets, row * length, length, inner)
      // Advance the odometer over the outer axes, keeping each operand's offset in step.
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        for k in 0..<operands { offsets[k] += strides[k][axis] }
        if index[axis] < shape[axis] { break }
        for k in 0..<operands { offsets[k] -= strides[k][axis] * shape[axis] }
        index[axis] = 0
        axis -= 1
      }
    }
  }
}
