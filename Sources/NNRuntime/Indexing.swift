/// One entry of an index expression `t[...]`, applying to one axis.
public enum TensorIndex: Sendable, Equatable {
  /// A single position (negative counts from the end); removes its axis.
  case index(Int)
  /// `start..<end`, half-open; nil is an open end. Clamped to the axis like a Python slice.
  case range(start: Int?, end: Int?)
  /// `start...end`; both ends must lie within the axis.
  case closedRange(start: Int, end: Int)
  /// The whole axis (`:`).
  case all
}

/// The box an index expression selects: per axis a start and a length, plus the shape of the
/// result (the box without the axes that an `.index` removed).
struct IndexRegion {
  var starts: [Int]
  var lengths: [Int]
  var resultShape: [Int]
}

extension Tensor {
  /// NumPy basic indexing: one entry per leading axis, missing trailing axes taken whole. Each
  /// `.index` removes its axis, so indexing every axis gives a 0-d tensor.
  public func slice(_ indices: [TensorIndex]) throws(TensorError) -> Tensor {
    let region = try region(for: indices)
    if region.lengths == shape { return Tensor(shape: region.resultShape, storage: storage) }
    let result = TensorStorage(count: region.lengths.reduce(1, *))
    let source = storage.pointer
    let destination = result.pointer
    forEachRegionRun(region) { sourceOffset, regionOffset, length in
      (destination + regionOffset).update(from: source + sourceOffset, count: length)
    }
    return Tensor(shape: region.resultShape, storage: result)
  }

  /// A copy of `self` with the region `indices` selects (as in `slice`) replaced by `value`,
  /// broadcast to the region's shape: the left side of `t[i, j] = value`.
  public func replacing(
    _ indices: [TensorIndex], with value: Tensor
  ) throws(TensorError) -> Tensor {
    let region = try region(for: indices)
    let joined = try? Tensor.broadcastShape(value.shape, region.resultShape)
    guard joined == region.resultShape else {
      throw TensorError(.shapeMismatch, "cannot assign a tensor of shape "
                        + "\(shapeText(value.shape)) to a region of shape "
                        + shapeText(region.resultShape))
    }
    let filler = try value.broadcast(to: region.resultShape)
    var result = self
    let source = filler.storage.pointer
    result.withUnsafeMutableBufferPointer { buffer in
      guard let destination = buffer.baseAddress else { return }
      forEachRegionRun(region) { targetOffset, regionOffset, length in
        (destination + targetOffset).update(from: source + regionOffset, count: length)
      }
    }
    return result
  }

  /// Resolves `indices` against this tensor's shape, or an error naming the axis and its size.
  func region(for indices: [TensorIndex]) throws(TensorError) -> IndexRegion {
    try Tensor.region(for: indices, shape: shape)
  }

  /// What `t[indices]` takes of a tensor of `shape`, as slices of the IR: one range per axis
  /// that is not taken whole, and the result's shape (without the axes a single index
  /// removed), or the error `slice` gives. So indexing a traced tensor selects what indexing
  /// a tensor does.
  public static func sliceRanges(
    for indices: [TensorIndex], shape: [Int]
  ) throws(TensorError) -> (ranges: [SliceRange], shape: [Int]) {
    let region = try region(for: indices, shape: shape)
    let ranges = shape.indices.compactMap { axis -> SliceRange? in
      let (start, length) = (region.starts[axis], region.lengths[axis])
      guard start != 0 || length != shape[axis] else { return nil }
      return SliceRange(axis: axis, start: start, end: start + length)
    }
    return (ranges, region.resultShape)
  }

  static func region(
    for indices: [TensorIndex], shape: [Int]
  ) throws(TensorError) -> IndexRegion {
    let rank = shape.count
    guard indices.count <= rank else {
      throw TensorError(.indexOutOfRange, "too many indices for a tensor of rank \(rank): "
                        + "\(indices.count) given")
    }
    var starts = [Int](repeating: 0, count: rank)
    var lengths = shape
    var resultShape: [Int] = []
    for axis in 0..<rank {
      let size = shape[axis]
      let entry = axis < indices.count ? indices[axis] : .all
      switch entry {
      case .index(let position):
        let resolved = position < 0 ? position + size : position
        guard resolved >= 0 && resolved < size else {
          throw TensorError(.indexOutOfRange,
                            "index \(position) is out of range for axis \(axis) of size \(size)")
        }
        starts[axis] = resolved
        lengths[axis] = 1
      case .range(let start, let end):
        let lower = Tensor.clampSliceBound(start ?? 0, size: size)
        let upper = Tensor.clampSliceBound(end ?? size, size: size)
        starts[axis] = lower
        lengths[axis] = Swift.max(0, upper - lower)
        resultShape.append(lengths[axis])
      case .closedRange(let start, let end):
        let lower = start < 0 ? start + size : start
        let upper = end < 0 ? end + size : end
        guard lower >= 0 && lower < size && upper >= 0 && upper < size else {
          throw TensorError(.indexOutOfRange,
                            "range \(start)...\(end) is out of range for axis \(axis) "
                            + "of size \(size)")
        }
        guard lower <= upper else {
          throw TensorError(.invalidArgument,
                            "range \(start)...\(end) ends before it starts (axis \(axis))")
        }
        starts[axis] = lower
        lengths[axis] = upper - lower + 1
        resultShape.append(lengths[axis])
      case .all:
        resultShape.append(size)
      }
    }
    return IndexRegion(starts: starts, lengths: lengths, resultShape: resultShape)
  }

  /// A Python slice bound: negative counts from the end, then clamped into `0...size`.
  static func clampSliceBound(_ bound: Int, size: Int) -> Int {
    let resolved = bound < 0 ? bound + size : bound
    return Swift.min(Swift.max(resolved, 0), size)
  }

  /// Calls `body` for each contiguous run of the region: its offset in this tensor, its offset
  /// in the region laid out contiguously, and its length.
  func forEachRegionRun(
    _ region: IndexRegion, _ body: (_ tensorOffset: Int, _ regionOffset: Int, _ length: Int) -> Void
  ) {
    let total = region.lengths.reduce(1, *)
    if total == 0 { return }
    let strides = contiguousStrides(shape)
    var base = 0
    for axis in 0..<rank { base += region.starts[axis] * strides[axis] }
    // Trailing axes taken whole are contiguous in memory: fold them into the innermost run so
    // `t[i]` of a large tensor is one copy.
    var split = rank
    while split > 0 && region.lengths[split - 1] == shape[split - 1] { split -= 1 }
    var boxShape = Array(region.lengths[..<split])
    var boxStrides = Array(strides[..<split])
    let tail = region.lengths[split...].reduce(1, *)
    if boxShape.isEmpty {
      body(base, 0, total)
      return
    }
    boxShape[split - 1] *= tail
    boxStrides[split - 1] = 1
    Tensor.forEachRun(shape: boxShape, strides: [boxStrides]) { offsets, outOffset, length, _ in
      body(base + offsets[0], outOffset, length)
    }
  }
}
