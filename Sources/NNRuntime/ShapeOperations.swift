// Operations that rearrange elements without computing new values.

extension Tensor {
  /// The same elements with a new shape of equal count; one extent may be -1 (inferred).
  /// Shares storage with `self`.
  public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
    let label = "cannot reshape a tensor of shape \(shapeText(shape)) into shape "
      + shapeText(newShape)
    var inferred: Int? = nil
    var known = 1
    for (axis, extent) in newShape.enumerated() {
      if extent == -1 {
        guard inferred == nil else {
          throw TensorError(.invalidArgument, "\(label): only one extent may be -1")
        }
        inferred = axis
      } else if extent < 0 {
        throw TensorError(.invalidArgument, "\(label): negative extent \(extent)")
      } else {
        let (product, overflow) = known.multipliedReportingOverflow(by: extent)
        guard !overflow && product <= Tensor.maxElements else {
          throw TensorError(.shapeMismatch, label)
        }
        known = product
      }
    }
    var resolved = newShape
    if let inferred {
      guard known > 0 && count % known == 0 else {
        throw TensorError(.shapeMismatch, label)
      }
      resolved[inferred] = count / known
    }
    guard try Tensor.checkedCount(resolved) == count else {
      throw TensorError(.shapeMismatch, label)
    }
    return Tensor(shape: resolved, storage: storage)
  }

  /// The tensor with its last two axes swapped (`t.T`); tensors of rank < 2 are unchanged.
  public var transposed: Tensor {
    guard rank >= 2 else { return self }
    let rows = shape[rank - 2]
    let columns = shape[rank - 1]
    var newShape = shape
    newShape.swapAt(rank - 2, rank - 1)
    let result = TensorStorage(count: count)
    let matrix = rows * columns
    if matrix > 0 {
      let matrices = count / matrix
      // Tiles keep both the reads and the writes within a few cache lines.
      let tile = 32
      for item in 0..<matrices {
        let source = UnsafePointer(storage.pointer) + item * matrix
        let destination = result.pointer + item * matrix
        for r0 in stride(from: 0, to: rows, by: tile) {
          for c0 in stride(from: 0, to: columns, by: tile) {
            for r in r0..<Swift.min(r0 + tile, rows) {
              for c in c0..<Swift.min(c0 + tile, columns) {
                destination[c * rows + r] = source[r * columns + c]
              }
            }
          }
        }
      }
    }
    return Tensor(shape: newShape, storage: result)
  }

  /// The tensors joined along an existing `axis`; all other extents must agree.
  public static func concat(_ tensors: [Tensor], axis: Int) throws(TensorError) -> Tensor {
    guard let first = tensors.first else {
      throw TensorError(.invalidArgument, "concat needs at least one tensor")
    }
    guard first.rank > 0 else {
      throw TensorError(.invalidArgument, "concat cannot join 0-d tensors; use stack")
    }
    let axis = try normalizeAxis(axis, rank: first.rank)
    var reference = first.shape
    reference[axis] = 0
    var shape = reference
    for tensor in tensors {
      var other = tensor.shape
      guard other.count == first.rank else {
        throw TensorError(.shapeMismatch, "concat: cannot join shapes \(shapeText(first.shape))"
                          + " and \(shapeText(tensor.shape)) of different rank")
      }
      let extent = other[axis]
      other[axis] = 0
      guard other == reference else {
        throw TensorError(.shapeMismatch, "concat: shapes \(shapeText(first.shape)) and "
                          + "\(shapeText(tensor.shape)) differ outside axis \(axis)")
      }
      let (sum, overflow) = shape[axis].addingReportingOverflow(extent)
      guard !overflow else { throw tooLargeError(shape) }
      shape[axis] = sum
    }
    _ = try checkedAllocation(shape)
    let result = Tensor(zeros: shape)
    let outer = product(shape[..<axis])
    let inner = product(shape[(axis + 1)...])
    let outRow = shape[axis] * inner
    var offset = 0
    for tensor in tensors {
      let row = tensor.shape[axis] * inner
      if row > 0 {
        let source = UnsafePointer(tensor.storage.pointer)
        for o in 0..<outer {
          (result.storage.pointer + o * outRow + offset).update(from: source + o * row, count: row)
        }
      }
      offset += row
    }
    return result
  }

  /// The tensors (all of one shape) joined along a new `axis` (0...rank; negative counts from
  /// the end of the result's axes).
  public static func stack(_ tensors: [Tensor], axis: Int) throws(TensorError) -> Tensor {
    guard let first = tensors.first else {
      throw TensorError(.invalidArgument, "stack needs at least one tensor")
    }
    let axis = try normalizeAxis(axis, rank: first.rank + 1)
    var expanded: [Tensor] = []
    expanded.reserveCapacity(tensors.count)
    for tensor in tensors {
      guard tensor.shape == first.shape else {
        throw TensorError(.shapeMismatch, "stack: shapes \(shapeText(first.shape)) and "
                          + "\(shapeText(tensor.shape)) differ")
      }
      var shape = tensor.shape
      shape.insert(1, at: axis)
      expanded.append(Tensor(shape: shape, storage: tensor.storage))
    }
    return try concat(expanded, axis: axis)
  }
}
