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
}
