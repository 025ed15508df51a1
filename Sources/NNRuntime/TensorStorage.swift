import Synchronization

/// The heap buffer behind a `Tensor`. Tensors share it until one of them writes (copy-on-write);
/// the class is final so hot loops reach the pointer without dynamic dispatch.
final class TensorStorage: @unchecked Sendable {
  // Sendable is sound because a storage is only mutated while uniquely referenced (the
  // copy-on-write check in `Tensor`), so no two threads can observe a write.
  let pointer: UnsafeMutablePointer<Float>
  let count: Int
  /// What this storage holds against its thread's memory budget, given back to that budget.
  private let charge: MemoryCharge

  /// Bytes held by every live tensor storage, parameter store, optimizer state and plan arena
  /// in the process (`Tensor.liveBytes`); each owner's share is in its `MemoryBudget`.
  static let liveBytes = Atomic<Int>(0)

  /// Storage for `count` floats, zeroed so that a reader never sees garbage. It cannot refuse,
  /// so it is charged whatever the limit: the interpreter checks its budget after every
  /// operation, and one tensor is at most `Tensor.maxElements`, which bounds the overshoot.
  init(count: Int) {
    self.count = count
    charge = MemoryCharge(bytes: MemoryBudget.bytes(count, of: Float.self))
    // Allocate at least one element so the pointer is always valid, even for empty tensors.
    pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    pointer.initialize(repeating: 0, count: Swift.max(count, 1))
  }

  /// Storage holding a copy of `source`.
  convenience init(copying source: UnsafeBufferPointer<Float>) {
    self.init(count: source.count)
    if let base = source.baseAddress, source.count > 0 {
      pointer.update(from: base, count: source.count)
    }
  }

  deinit {
    charge.release()
    pointer.deallocate()
  }

  var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer, count: count)
  }
}
