/// All parameters of a network in ONE contiguous buffer, so an optimizer (and later an MPI
/// all-reduce) can take them in one call. Plans read parameters straight from `pointer`.
public final class ParameterStore<T: PlanScalar>: @unchecked Sendable {
  // Sendable as a handle: callers serialise access (one training loop owns a store at a time),
  // exactly as they would for the raw pointer it wraps.

  /// The shape of each parameter, in order.
  public let shapes: [[Int]]
  /// Where each parameter starts in `pointer`, in elements.
  public let offsets: [Int]
  /// The total number of scalars.
  public let count: Int
  /// The contiguous storage of every parameter, in order.
  public let pointer: UnsafeMutablePointer<T>
  /// The storage's bytes against the memory budget of the thread that made the store (nil
  /// for a view of storage another owns).
  private let charge: MemoryCharge?

  /// A zero-filled store for parameters of `shapes`.
  public init(shapes: [[Int]]) {
    self.shapes = shapes
    var offsets: [Int] = []
    var total = 0
    for shape in shapes {
      offsets.append(total)
      total += shape.reduce(1, *)
    }
    self.offsets = offsets
    count = total
    // At least one element so the pointer is valid for a network with no parameters.
    pointer = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(total, 1))
    pointer.initialize(repeating: 0, count: Swift.max(total, 1))
    charge = MemoryCharge(bytes: MemoryBudget.bytes(total, of: T.self))
  }

  /// A store of `layout`'s shapes over `storage`, which the caller owns, fills and keeps
  /// alive as long as the view (a data-parallel run's weights in memory the ranks share).
  init(viewing storage: UnsafeMutablePointer<T>, layout: ParameterStore<T>) {
    shapes = layout.shapes
    offsets = layout.offsets
    count = layout.count
    pointer = storage
    charge = nil
  }

  deinit {
    guard let charge else { return }
    charge.release()
    pointer.deallocate()
  }

  /// The number of scalars of parameter `index`.
  public func count(of index: Int) -> Int {
    shapes[index].reduce(1, *)
  }

  /// The elements of parameter `index`, in place.
  public func buffer(_ index: Int) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: pointer + offsets[index], count: count(of: index))
  }

  /// A copy of parameter `index` as a Float tensor.
  public func tensor(_ index: Int) -> Tensor {
    let source = buffer(index)
    var result = Tensor(zeros: shapes[index])
    result.withUnsafeMutableBufferPointer { destination in
      for i in 0..<source.count { destination[i] = source[i].floatValue }
    }
    return result
  }

  /// Copies `tensor` into parameter `index`; the caller has checked the shape.
  public func assign(_ index: Int, _ tensor: Tensor) {
    precondition(tensor.shape == shapes[index],
                 "parameter \(index) has shape \(shapes[index]), not \(tensor.shape)")
    let destination = buffer(index)
    tensor.withUnsafeBufferPointer { source in
      for i in 0..<source.count { destination[i] = T.fromFloat(source[i]) }
    }
  }

  /// Copies exact values into parameter `index` (for Double stores in gradient checks).
  public func assign(_ index: Int, _ values: [Double]) {
    let destination = buffer(index)
    precondition(values.count == destination.count,
                 "parameter \(index) holds \(destination.count) values, not \(values.count)")
    for i in 0..<values.count { destination[i] = T(values[i]) }
  }

  /// A store of the same layout whose elements are converted to `U`.
  public func converted<U: PlanScalar>(to: U.Type) -> ParameterStore<U> {
    let result = ParameterStore<U>(shapes: shapes)
    for i in 0..<count { result.pointer[i] = U(pointer[i]) }
    return result
  }

  /// Copies every element of `other`, which must have the same layout.
  public func copy(from other: ParameterStore<T>) {
    precondition(other.shapes == shapes, "parameter stores of different layouts")
    pointer.update(from: other.pointer, count: count)
  }
}
