/// An n-d, row-major, contiguous tensor of 32-bit floats with value semantics.
///
/// Copies share one `TensorStorage` until one of them is written to (copy-on-write), so passing
/// tensors around and reshaping them is free.
public struct Tensor: Sendable, Equatable {
  /// The most elements one tensor may hold: 2^28 floats is 1 GiB, far beyond what a script needs
  /// on a CPU, and small enough that a typo such as `zeros(1e6, 1e6)` fails at once instead of
  /// exhausting memory.
  public static let maxElements = 1 << 28

  /// The most axes one tensor may have. NumPy allows 64; keeping it small bounds the per-axis
  /// bookkeeping every op allocates.
  public static let maxRank = 32

  var storage: TensorStorage
  /// The extent of each axis; `[]` for a 0-d (scalar) tensor.
  public internal(set) var shape: [Int]

  /// The number of elements: the product of `shape` (1 for a 0-d tensor).
  public var count: Int { storage.count }

  /// Bytes held by all tensors, parameter stores and optimizer states alive in this process
  /// (every interpreter's together).
  public static var liveBytes: Int {
    TensorStorage.liveBytes.load(ordering: .relaxed)
  }

  /// The number of axes.
  public var rank: Int { shape.count }

  /// Wraps existing storage; `shape` must describe exactly `storage.count` elements.
  init(shape: [Int], storage: TensorStorage) {
    self.shape = shape
    self.storage = storage
  }

  /// A tensor of `shape` filled with zeros. For internal callers that already checked the shape.
  init(zeros shape: [Int]) {
    self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
  }

  /// A tensor with the given shape and row-major elements. `scalars.count` must equal the
  /// product of `shape` (a programming error otherwise, so internal callers only).
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    precondition(shape.reduce(1, *) == scalars.count,
                 "shape \(shape) does not hold \(scalars.count) elements")
    let storage = scalars.withUnsafeBufferPointer { TensorStorage(copying: $0) }
    self.init(shape: shape, storage: storage)
  }

  /// A tensor of `shape` whose elements `fill` writes in place (zeroed first), row-major: no
  /// intermediate array. `shape` must be valid (`checkedCount`).
  public init(
    shape: [Int], initializingWith fill: (UnsafeMutableBufferPointer<Float>) throws -> Void
  ) rethrows {
    self.init(zeros: shape)
    try fill(storage.buffer)
  }

  /// A 0-d tensor holding `scalar`.
  public init(scalar: Float) {
    let storage = TensorStorage(count: 1)
    storage.pointer[0] = scalar
    self.init(shape: [], storage: storage)
  }

  /// A 1-d tensor of `scalars`.
  public init(_ scalars: [Float]) {
    self.init(shape: [scalars.count], scalars: scalars)
  }

  /// The element count of `shape`, or an error for a shape no tensor may have: a negative
  /// dimension, too many axes, or more than `maxElements` elements (overflow included).
  ///
  /// Zero dimensions are skipped for the size check, so `[0, 10^12]` is still too large: that
  /// keeps every stride of an accepted shape within `maxElements`, so index arithmetic elsewhere
  /// cannot overflow.
  public static func checkedCount(_ shape: [Int]) throws(TensorError) -> Int {
    if shape.count > maxRank {
      throw TensorError(.tooLarge,
                        "a tensor may have at most \(maxRank) axes, not \(shape.count)")
    }
    var nonZeroProduct = 1
    var hasZero = false
    for dimension in shape {
      if dimension < 0 {
        throw TensorError(.invalidArgument,
                          "negative dimension \(dimension) in shape \(shapeText(shape))")
      }
      if dimension == 0 {
        hasZero = true
        continue
      }
      let (product, overflow) = nonZeroProduct.multipliedReportingOverflow(by: dimension)
      if overflow || product > maxElements {
        throw tooLargeError(shape)
      }
      nonZeroProduct = product
    }
    return hasZero ? 0 : nonZeroProduct
  }

  /// `checkedCount` for a tensor about to be allocated, with its bytes asked of the memory
  /// budget of this thread first (`MemoryBudget.current`): past the limit it is an error at the
  /// op that sized it, instead of an allocation the limit learns of afterwards.
  public static func checkedAllocation(_ shape: [Int]) throws(TensorError) -> Int {
    let count = try checkedCount(shape)
    if let refusal = MemoryBudget.refusalForCurrent(
      "a tensor of shape \(shapeText(shape))", bytes: MemoryBudget.bytes(count, of: Float.self))
    {
      throw TensorError(.tooLarge, refusal)
    }
    return count
  }

  static func tooLargeError(_ shape: [Int]) -> TensorError {
    TensorError(.tooLarge, "shape \(shapeText(shape)) has more than the limit of "
                + "\(maxElements) elements")
  }

  /// The elements, copied out in row-major order.
  public var scalars: [Float] {
    Array(UnsafeBufferPointer(storage.buffer))
  }

  /// The element at row-major position `index` (which must be in `0..<count`).
  public subscript(flat index: Int) -> Float {
    precondition(index >= 0 && index < count, "flat index \(index) out of range 0..<\(count)")
    return storage.pointer[index]
  }

  /// The value of a one-element tensor (any shape with count 1), otherwise nil.
  public var scalarValue: Float? {
    count == 1 ? storage.pointer[0] : nil
  }

  /// Calls `body` with the row-major elements.
  public func withUnsafeBufferPointer<R>(
    _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try body(UnsafeBufferPointer(storage.buffer))
  }

  /// Calls `body` with writable row-major elements, copying the storage first if it is shared.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) {
      storage = TensorStorage(copying: UnsafeBufferPointer(storage.buffer))
    }
    return try body(storage.buffer)
  }

  /// Equal shapes and element-wise equal values (so a NaN makes tensors unequal, as in IEEE).
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    guard lhs.shape == rhs.shape else { return false }
    if lhs.storage === rhs.storage { return !lhs.storage.buffer.contains { $0.isNaN } }
    let a = lhs.storage.pointer
    let b = rhs.storage.pointer
    for i in 0..<lhs.count where a[i] != b[i] { return false }
    return true
  }
}

// MARK: - Shape helpers

/// Row-major strides (in elements) of a contiguous tensor of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var running = 1
  for axis in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[axis] = running
    // Multiply by at least 1 so a zero dimension does not zero the outer strides; accepted shapes
    // keep the product of non-zero dimensions within maxElements, so this cannot overflow.
    running *= Swift.max(shape[axis], 1)
  }
  return strides
}

/// `axis` made non-negative for a tensor of `rank` axes, or an error naming both.
func normalizeAxis(_ axis: Int, rank: Int) throws(TensorError) -> Int {
  let normalized = axis < 0 ? axis + rank : axis
  guard normalized >= 0 && normalized < rank else {
    throw TensorError(.indexOutOfRange,
                      "axis \(axis) is out of range for a tensor of rank \(rank)")
  }
  return normalized
}

extension Tensor {
  /// Product of `shape[range]`; used to split a tensor into outer × axis × inner blocks.
  static func product(_ shape: ArraySlice<Int>) -> Int {
    shape.reduce(1, *)
  }
}

extension Tensor: CustomStringConvertible {
  /// A short debugging form (`Tensor([2, 3]: 1.0, 2.0, …)`); scripts print through NNScript's
  /// formatter instead.
  public var description: String {
    let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
    return "Tensor(\(shapeText(shape)): \(shown)\(count > 8 ? ", …" : ""))"
  }
}
