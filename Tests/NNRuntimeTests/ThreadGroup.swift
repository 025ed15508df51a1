import Foundation
@testable import NNRuntime

// An in-process Communicator: `size` ranks that are threads of this process. Each collective
// meets at a barrier, so the ranks must make the same calls in the same order, as with MPI.
// Sums run in rank order on every rank, so every rank gets bit-identical results.

/// The shared state of a group of thread ranks.
final class ThreadGroup: @unchecked Sendable {
  let size: Int
  private let condition = NSCondition()
  private var arrived = 0
  private var generation = 0
  /// Set when the test gave up waiting: collectives then return at once, changing nothing,
  /// so that stuck ranks run to their end instead of blocking forever.
  private var broken = false
  /// Each rank's buffer for the collective in progress (valid between its two barriers).
  private var slots: [UnsafeMutableRawPointer?]
  private var gathered: [[Int64]]
  /// The one buffer `sharedWeights` hands every rank.
  private var weights = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

  init(size: Int) {
    precondition(size >= 1)
    self.size = size
    slots = Array(repeating: nil, count: size)
    gathered = Array(repeating: [], count: size)
  }

  deinit { weights.deallocate() }

  /// One communicator per rank.
  func ranks() -> [ThreadRank] { (0..<size).map { ThreadRank(group: self, rank: $0) } }

  /// The group's one buffer of at least `count` floats, the same for every rank (the first
  /// rank to arrive makes it, under the barrier's lock).
  fileprivate func sharedWeights(count: Int) -> UnsafeMutablePointer<Float>? {
    guard barrier({
      if weights.count < count {
        weights.deallocate()
        weights = .allocate(capacity: count)
        weights.initialize(repeating: 0)
      }
    }) else { return nil }
    condition.lock()
    defer { condition.unlock() }
    return weights.baseAddress
  }

  fileprivate func meet() { barrier() }

  var isBroken: Bool {
    condition.lock()
    defer { condition.unlock() }
    return broken
  }

  func breakBarrier() {
    condition.lock()
    broken = true
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until all ranks arrive (false when the group is broken). `deposit` runs under the
  /// lock before this rank counts as arrived.
  @discardableResult
  fileprivate func barrier(_ deposit: () -> Void = {}) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    if broken { return false }
    deposit()
    let mine = generation
    arrived += 1
    if arrived == size {
      arrived = 0
      generation += 1
      condition.broadcast()
      return true
    }
    while generation == mine && !broken { condition.wait() }
    return !broken
  }

  fileprivate func allReduceSum<T: FloatingPoint>(_ values: UnsafeMutableBufferPointer<T>,
                                                  rank: Int) {
    guard size > 1 else { return }
    let count = values.count
    guard barrier({ slots[rank] = UnsafeMutableRawPointer(values.baseAddress) }) else { return }
    // Every rank sums all buffers in rank order into its own copy, then waits for everyone to
    // have read before overwriting its buffer (which the others read).
    var sum = [T](repeating: 0, count: count)
    for r in 0..<size where count > 0 {
      let other = slots[r]!.assumingMemoryBound(to: T.self)
      for i in 0..<count { sum[i] = r == 0 ? other[i] : sum[i] + other[i] }
    }
    guard barrier() else { return }
    for i in 0..<count { values[i] = sum[i] }
    barrier()
  }

  fileprivate func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int,
                             rank: Int) {
    guard size > 1 else { return }
    guard barrier({ slots[rank] = UnsafeMutableRawPointer(values.baseAddress) }) else { return }
    if rank != root, values.count > 0 {
      values.baseAddress!.update(from: slots[root]!.assumingMemoryBound(to: Float.self),
                                 count: values.count)
    }
    barrier()
  }

  /// Each rank sums its own part over all ranks' buffers, in rank order; the second barrier
  /// keeps every buffer unchanged until all have read.
  fileprivate func reduceScatterSum(
    _ values: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>,
    parts: [Range<Int>], scale: Float, rank: Int
  ) {
    let mutable = UnsafeMutableRawPointer(mutating: values.baseAddress)
    guard barrier({ slots[rank] = mutable }) else { return }
    for i in parts[rank] {
      var sum = slots[0]!.assumingMemoryBound(to: Float.self)[i]
      for r in 1..<size { sum += slots[r]!.assumingMemoryBound(to: Float.self)[i] }
      result[i] = sum * scale
    }
    barrier()
  }

  /// Each rank copies the others' parts out of their buffers, which they do not write there.
  fileprivate func allGather(_ values: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>],
                             rank: Int) {
    guard barrier({ slots[rank] = UnsafeMutableRawPointer(values.baseAddress) }) else { return }
    for r in 0..<size where r != rank && !parts[r].isEmpty {
      let other = slots[r]!.assumingMemoryBound(to: Float.self)
      (values.baseAddress! + parts[r].lowerBound).update(from: other + parts[r].lowerBound,
                                                          count: parts[r].count)
    }
    barrier()
  }

  fileprivate func allGather(_ values: [Int64], rank: Int) -> [[Int64]] {
    guard size > 1 else { return [values] }
    guard barrier({ gathered[rank] = values }) else {
      return Array(repeating: values, count: size)
    }
    let all = gathered
    barrier()
    precondition(all.allSatisfy { $0.count == values.count },
                 "allGather: the ranks passed different counts")
    return all
  }
}

/// One rank's view of a `ThreadGroup`.
final class ThreadRank: Communicator, @unchecked Sendable {
  let group: ThreadGroup
  let rank: Int
  var size: Int { group.size }
  /// The collectives this rank made, by name (to check the ranks called alike).
  private(set) var calls: [String] = []

  /// What `exchangeBuffer` handed out: the ranks are threads, so any memory is shared.
  private var exchange = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

  init(group: ThreadGroup, rank: Int) {
    self.group = group
    self.rank = rank
  }

  deinit { exchange.deallocate() }

  func sharedWeights(count: Int) -> UnsafeMutablePointer<Float>? {
    calls.append("sharedWeights(\(count))")
    return group.sharedWeights(count: count)
  }

  func barrier() {
    calls.append("barrier")
    group.meet()
  }

  func exchangeBuffer(count: Int) -> UnsafeMutablePointer<Float>? {
    calls.append("exchangeBuffer(\(count))")
    if exchange.count < count {
      exchange.deallocate()
      exchange = .allocate(capacity: count)
      exchange.initialize(repeating: 0)
    }
    return exchange.baseAddress
  }

  func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
    calls.append("allReduceSum(Float, \(values.count))")
    group.allReduceSum(values, rank: rank)
  }

  func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
    calls.append("allReduceSum(Double, \(values.count))")
    group.allReduceSum(values, rank: rank)
  }

  func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int) {
    calls.append("broadcast(\(values.count), from: \(root))")
    group.broadcast(values, from: root, rank: rank)
  }

  func allGather(_ values: [Int64]) -> [[Int64]] {
    calls.append("allGather(\(values.count))")
    return group.allGather(values, rank: rank)
  }

  func reduceScatterSum(_ values: UnsafeBufferPointer<Float>,
                        into result: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>],
                        scale: Float) {
    calls.append("reduceScatterSum(\(values.count))")
    group.reduceScatterSum(values, into: result, parts: parts, scale: scale, rank: rank)
  }

  func allGather(_ values: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>]) {
    calls.append("allGather(Float, \(values.count))")
    group.allGather(values, parts: parts, rank: rank)
  }
}

/// Each rank's result, written by the rank's thread under the lock.
private final class ResultBox<R>: @unchecked Sendable {
  private let lock = NSLock()
  private var results: [Result<R, any Error>?]
  init(count: Int) { results = Array(repeating: nil, count: count) }

  func set(_ rank: Int, _ result: Result<R, any Error>) {
    lock.lock()
    results[rank] = result
    lock.unlock()
  }

  var all: [Result<R, any Error>] {
    lock.lock()
    defer { lock.unlock() }
    return results.map { $0! }
  }
}

/// Runs `body` once per rank of a fresh group of `size`, each on its own `Thread` (a pool
/// might not run them all at once, and the barrier needs every rank running), and returns each
/// rank's result or error. Nil when the ranks did not all finish within `timeout` seconds (the
/// group is then broken, so the stuck ranks run to their end rather than hang).
func runRanks<R>(
  _ size: Int, timeout: Double = 60, _ body: @escaping @Sendable (ThreadRank) throws -> R
) -> [Result<R, any Error>]? {
  let group = ThreadGroup(size: size)
  let box = ResultBox<R>(count: size)
  let done = DispatchSemaphore(value: 0)
  for rank in group.ranks() {
    let thread = Thread {
      let result = Result { try body(rank) }
      box.set(rank.rank, result)
      done.signal()
    }
    thread.stackSize = 16 << 20
    thread.name = "rank \(rank.rank)"
    thread.start()
  }
  let deadline = DispatchTime.now() + timeout
  for finished in 0..<size {
    if done.wait(timeout: deadline) == .timedOut {
      group.breakBarrier()
      // Let the released ranks wind down before their state goes away.
      for _ in finished..<size { _ = done.wait(timeout: .now() + 30) }
      return nil
    }
  }
  return box.all
}
