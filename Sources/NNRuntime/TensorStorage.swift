import Synchronization

/// The heap buffer behind a `Tensor`. Tensors share it until one of them writes (copy-on-write);
/// the class is final so hot loops reach the pointer without dynamic dispatch.
final class TensorStorage: @unchecked Sendable {
  // Sendable is sound because a storage is only mutated while uniquely referenced (the
  // copy-on-write check in `Tensor`), so no two threads can observe a write.
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  /// Uninitialised-by-contract storage for `count` floats (zeroed, so a reader never sees garbage).
  /// Elements held by every live storage in the process, for hosts that bound tensor memory.
  static let liveElements = Atomic<Int>(0)

  init(count: Int) {
    self.count = count
    Self.liveElements.add(Swift.max(count, 1), ordering: .relaxed)
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
    Self.liveElements.subtract(Swift.max(count, 1), ordering: .relaxed)
    pointer.deallocate()
  }

  var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer, count: count)
  }
}
