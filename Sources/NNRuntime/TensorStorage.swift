import Synchronization

/// The heap buffer behind a `Tensor`. Tensors share it until one of them writes (copy-on-write);
/// the class is final so hot loops reach the pointer without dynamic dispatch.
final class TensorStorage: @unchecked Sendable {
  // Sendable is sound because a storage is only mutated while uniquely referenced (the
  // copy-on-write check in `Tensor`), so no two threads can observe a write.
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  /// Bytes held by every live tensor storage, parameter store and optimizer state in the
  /// process, for hosts that bound memory (`Tensor.liveBytes`).
  static let liveBytes = Atomic<Int>(0)

  /// Adds (or, negative, removes) `bytes` to the live count: for the runtime's other large
  /// buffers (parameters, optimizer state), so that a memory limit sees them as well.
  static func account(bytes: Int) {
    liveBytes.add(bytes, ordering: .relaxed)
  }

  /// Storage for `count` floats, zeroed so that a reader never sees garbage.
  init(count: Int) {
    self.count = count
    Self.account(bytes: Swift.max(count, 1) * MemoryLayout<Float>.stride)
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
    Self.account(bytes: -Swift.max(count, 1) * MemoryLayout<Float>.stride)
    pointer.deallocate()
  }

  var buffer: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer, count: count)
  }
}
