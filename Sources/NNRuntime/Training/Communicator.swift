// The processes one data-parallel training run is spread over. The runtime sees only this
// interface: NNDistributed implements it over MPI, and the tests implement it over threads,
// so the sharding and averaging logic is tested on machines without MPI too.

/// A fixed group of processes (ranks) that train one network together. Every call is
/// collective: each rank must make the same calls, in the same order, with the same counts.
public protocol Communicator: AnyObject, Sendable {
  /// This process's index in the group, `0..<size`.
  var rank: Int { get }
  /// How many processes train together (≥ 1).
  var size: Int { get }
  /// Replaces `values` on every rank by their element-wise sum over all ranks.
  func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>)
  /// Replaces `values` on every rank by their element-wise sum over all ranks.
  func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>)
  /// Replaces `values` on every rank by rank `root`'s.
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int)
  /// Every rank's `values`, in rank order; each rank passes the same number of values.
  func allGather(_ values: [Int64]) -> [[Int64]]
  /// Sums `values` over all ranks, each rank receiving only its own part: rank r's
  /// `result[parts[r]]` becomes the sum of every rank's `values[parts[r]]`, and the rest of
  /// `result` is left as it was. `parts` are contiguous, in rank order, cover all of `values`
  /// (as long as `result`), and are the same on every rank. The sum is then multiplied by
  /// `scale` (a data-parallel step's share weight), in the pass that writes it.
  func reduceScatterSum(_ values: UnsafeBufferPointer<Float>,
                        into result: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>],
                        scale: Float)
  /// Gives every rank every rank's part: rank r's `values[parts[r]]` replaces that range of
  /// `values` on every other rank (`parts` as for `reduceScatterSum`).
  func allGather(_ values: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>])
  /// Collective: this rank's part of memory the ranks share, `count` floats, or nil where
  /// there is none (the ranks on several machines, say). Values a rank keeps there and hands
  /// to `reduceScatterSum` are read in place by the others, without the copy the exchange
  /// otherwise makes: a data-parallel run has its plans write their gradients there. Valid
  /// until a later call asks for more, or the communicator ends; every rank asks alike.
  func exchangeBuffer(count: Int) -> UnsafeMutablePointer<Float>?
  /// Collective: `count` floats at one place that every rank reads and writes (the same
  /// memory on every rank), or nil where there is none. A sharded run keeps the weights there,
  /// each rank updating its own part in place, instead of gathering the others' parts into a
  /// copy of its own. Valid until a later call asks for more, or the communicator ends.
  func sharedWeights(count: Int) -> UnsafeMutablePointer<Float>?
  /// Collective: returns once every rank has called it; what any rank wrote before it to the
  /// memory of `sharedWeights` or `exchangeBuffer` is seen by every rank after it.
  func barrier()
}

// The sharded collectives in terms of the all-reduce, for communicators without their own:
// correct, at the all-reduce's cost (or, for the gather, a zeroing pass on top).
extension Communicator {
  public func reduceScatterSum(
    _ values: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>,
    parts: [Range<Int>], scale: Float
  ) {
    guard let source = values.baseAddress, let target = result.baseAddress else { return }
    let part = parts[rank]
    // The whole buffer is summed, then everything but this rank's part is put back.
    let kept = Array(result)
    target.update(from: source, count: values.count)
    allReduceSum(result)
    for i in result.indices where !part.contains(i) { result[i] = kept[i] }
    if scale != 1 {
      for i in part { result[i] *= scale }
    }
  }

  /// `reduceScatterSum(_:into:parts:scale:)` with no scaling.
  public func reduceScatterSum(
    _ values: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>,
    parts: [Range<Int>]
  ) {
    reduceScatterSum(values, into: result, parts: parts, scale: 1)
  }

  /// None: every exchange goes through the communicator's own buffers.
  public func exchangeBuffer(count: Int) -> UnsafeMutablePointer<Float>? { nil }

  /// None: every rank keeps its own copy of the weights.
  public func sharedWeights(count: Int) -> UnsafeMutablePointer<Float>? { nil }

  /// A one-value all-reduce, which no rank leaves before all have entered it.
  public func barrier() {
    var value: Float = 0
    withUnsafeMutablePointer(to: &value) {
      allReduceSum(UnsafeMutableBufferPointer(start: $0, count: 1))
    }
  }

  public func allGather(_ values: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>]) {
    let part = parts[rank]
    for i in values.indices where !part.contains(i) { values[i] = 0 }
    allReduceSum(values)
  }
}
