// The runtime's Communicator over MPI_COMM_WORLD. The class exists in every build so callers
// need no `#if MPI`: without the trait nothing can create one (DistributedLaunch.start()
// returns nil), and its methods are unreachable.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
#if MPI
import CMPI
#endif

/// All ranks of the MPI job (`MPI_COMM_WORLD`), for data-parallel training.
///
/// Get one from `DistributedLaunch.start()`. Every method except `processorName` is
/// collective: each rank must call it in the same order with the same counts. MPI runs at
/// `MPI_THREAD_SERIALIZED`, so calls may come from any thread but never two at once; the
/// `@unchecked Sendable` rests on that rule, which the interpreter's single script thread keeps.
public final class MPICommunicator: Communicator, @unchecked Sendable {
  /// This process's index among the job's ranks, `0..<size`.
  public let rank: Int
  /// The number of ranks in the job.
  public let size: Int

  /// The most elements one MPI call moves. MPI counts are `Int32`, so longer buffers go in
  /// pieces of this many. A multi-rank check lowers it (`@_spi(Testing)`) to send small
  /// buffers in several pieces.
  @_spi(Testing) public var chunkElements = Int(Int32.max)

  #if MPI
  private let comm: MPI_Comm
  /// Each rank's count and offset in one piece of a sharded collective: made once, so a
  /// training step allocates nothing (MPI is called from one thread at a time).
  private let counts: UnsafeMutablePointer<Int32>
  private let offsets: UnsafeMutablePointer<Int32>
  /// Whether the ranks share memory (SharedSegments.swift), found by the first sharded
  /// collective.
  private var sharing = Sharing.unknown
  /// The segments `exchangeBuffer` hands out (apart from `sharing`'s, which the gather
  /// writes): a plan's gradient region lives in this rank's.
  private var exchange: SharedSegments?
  /// The one segment (rank 0's) `sharedWeights` hands out.
  private var weights: SharedSegments?

  private enum Sharing {
    case unknown
    case unavailable
    /// The machine's communicator (every rank, in world order) and the segments, once made.
    case available(MPI_Comm, SharedSegments?)
  }

  private init(comm: MPI_Comm) {
    self.comm = comm
    var rank: Int32 = 0
    var size: Int32 = 0
    Self.check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
    Self.check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
    self.rank = Int(rank)
    self.size = Int(size)
    counts = .allocate(capacity: Int(size))
    counts.initialize(repeating: 0, count: Int(size))
    offsets = .allocate(capacity: Int(size))
    offsets.initialize(repeating: 0, count: Int(size))
  }

  /// Initialises MPI unless it already runs, and wraps `MPI_COMM_WORLD`, which must hold the
  /// `launchedRanks` ranks the launcher announced.
  static func initializeWorld(launchedRanks: Int) -> MPICommunicator {
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Initialized(&initialized)
    MPI_Finalized(&finalized)
    precondition(finalized == 0, "MPI was finalized; it cannot start again in this process")
    if initialized == 0 {
      // Scripts run on the interpreter's own thread, not the one calling this: FUNNELED
      // would forbid that, SERIALIZED allows it.
      var provided: Int32 = 0
      let wanted = cmpi_thread_serialized()
      check(MPI_Init_thread(nil, nil, wanted, &provided), "MPI_Init_thread")
      if provided < wanted {
        let message = "nn: the MPI library offers thread level \(provided), below "
          + "MPI_THREAD_SERIALIZED (\(wanted)) which nn needs\n"
        writeStandardError(message)
        MPI_Abort(cmpi_comm_world(), 1)
        exit(1)
      }
    }
    let world = MPICommunicator(comm: cmpi_comm_world())
    if world.size != launchedRanks {
      let library = DistributedLaunch.libraryVersion ?? "this MPI library"
      writeStandardError("nn: the launcher started \(launchedRanks) ranks but MPI sees a job of "
        + "\(world.size): this nn uses \(library), which does not belong to the mpirun that "
        + "started it (or nn was started by a rank rather than by mpirun)\n")
      MPI_Finalize()
      exit(1)
    }
    return world
  }
  #else
  private init() {
    rank = 0
    size = 1
  }
  #endif

  /// The name MPI gives the machine this rank runs on (usually its host name).
  public var processorName: String {
    #if MPI
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
    var length: Int32 = 0
    Self.check(MPI_Get_processor_name(&buffer, &length), "MPI_Get_processor_name")
    return DistributedLaunch.mpiString(buffer, length: length)
    #else
    Self.unavailable()
    #endif
  }

  /// Replaces `values` on every rank by their element-wise sum over all ranks.
  public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
    #if MPI
    allReduceSum(UnsafeMutableRawPointer(values.baseAddress), count: values.count,
                 stride: MemoryLayout<Float>.stride, type: cmpi_float())
    #else
    Self.unavailable()
    #endif
  }

  /// Replaces `values` on every rank by their element-wise sum over all ranks.
  public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
    #if MPI
    allReduceSum(UnsafeMutableRawPointer(values.baseAddress), count: values.count,
                 stride: MemoryLayout<Double>.stride, type: cmpi_double())
    #else
    Self.unavailable()
    #endif
  }

  /// Replaces `values` on every rank by rank `root`'s.
  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int) {
    precondition((0..<size).contains(root), "broadcast root \(root) is not a rank (size \(size))")
    #if MPI
    guard let base = values.baseAddress else { return }
    forEachChunk(values.count) { offset, count in
      Self.check(MPI_Bcast(base + offset, count, cmpi_float(), Int32(root), comm), "MPI_Bcast")
    }
    #else
    Self.unavailable()
    #endif
  }

  /// Sums `values` over all ranks, each rank receiving only its own part in `result`
  /// (`MPI_Reduce_scatter`; see `Communicator.reduceScatterSum`).
  public func reduceScatterSum(
    _ values: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>,
    parts: [Range<Int>], scale: Float
  ) {
    precondition(parts.count == size && result.count == values.count,
                 "reduceScatterSum: \(parts.count) parts for \(size) ranks, \(values.count) "
                   + "values into \(result.count)")
    #if MPI
    guard let source = values.baseAddress, let target = result.baseAddress else { return }
    let mine = parts[rank]
    // Every rank has the exchange segments or none (they are made collectively), so every
    // rank takes the same branch; values already in them are not copied.
    if let exchange, exchange.count >= values.count {
      if source != UnsafePointer(exchange[rank]) {
        Self.publish(source, count: values.count, except: mine, into: exchange[rank])
      }
      sumOwnPart(source, into: target, parts: parts, scale: scale, segments: exchange)
      return
    }
    if let shared = sharedSegments(count: values.count) {
      Self.publish(source, count: values.count, except: mine, into: shared[rank])
      sumOwnPart(source, into: target, parts: parts, scale: scale, segments: shared)
      return
    }
    forEachChunk(values.count) { offset, piece in
      // The piece's values split into the ranks' parts within it, in rank order.
      let window = offset..<(offset + Int(piece))
      for r in 0..<size { counts[r] = Int32(parts[r].clamped(to: window).count) }
      let landing = mine.clamped(to: window)
      let receive = landing.isEmpty ? target : target + landing.lowerBound
      Self.check(MPI_Reduce_scatter(source + offset, receive, counts, cmpi_float(),
                                    cmpi_op_sum(), comm),
                 "MPI_Reduce_scatter")
    }
    if scale != 1 {
      for i in mine { target[i] *= scale }
    }
    #else
    Self.unavailable()
    #endif
  }

  /// Gives every rank every rank's part of `values` (`MPI_Allgatherv` in place; see
  /// `Communicator.allGather(_:parts:)`).
  public func allGather(_ values: UnsafeMutableBufferPointer<Float>, parts: [Range<Int>]) {
    precondition(parts.count == size, "allGather: \(parts.count) parts for \(size) ranks")
    #if MPI
    guard let base = values.baseAddress else { return }
    if let shared = sharedSegments(count: values.count) {
      let mine = parts[rank]
      (shared[rank] + mine.lowerBound).update(from: base + mine.lowerBound, count: mine.count)
      shared.fence()
      for r in 0..<size where r != rank {
        (base + parts[r].lowerBound).update(from: shared[r] + parts[r].lowerBound,
                                            count: parts[r].count)
      }
      shared.fence()
      return
    }
    forEachChunk(values.count) { offset, piece in
      let window = offset..<(offset + Int(piece))
      for r in 0..<size {
        let part = parts[r].clamped(to: window)
        counts[r] = Int32(part.count)
        offsets[r] = Int32(part.isEmpty ? 0 : part.lowerBound - offset)
      }
      Self.check(MPI_Allgatherv(cmpi_in_place(), 0, cmpi_float(), base + offset, counts,
                                offsets, cmpi_float(), comm),
                 "MPI_Allgatherv")
    }
    #else
    Self.unavailable()
    #endif
  }

  /// Every rank's `values`, in rank order; each rank passes the same number of values.
  public func allGather(_ values: [Int64]) -> [[Int64]] {
    #if MPI
    let count = values.count
    guard count > 0 else { return Array(repeating: [], count: size) }
    let (total, overflow) = count.multipliedReportingOverflow(by: size)
    precondition(!overflow, "allGather of \(count) values from \(size) ranks is too large")
    var gathered = [Int64](repeating: 0, count: total)
    values.withUnsafeBufferPointer { send in
      gathered.withUnsafeMutableBufferPointer { receive in
        let type = cmpi_int64()
        if count <= pieceLimit {
          Self.check(
            MPI_Allgather(send.baseAddress, Int32(count), type,
                          receive.baseAddress, Int32(count), type, comm),
            "MPI_Allgather")
          return
        }
        // Each piece arrives as size runs of `piece` values; they go to each rank's slice.
        var scratch = [Int64](repeating: 0, count: pieceLimit * size)
        scratch.withUnsafeMutableBufferPointer { pieces in
          forEachChunk(count) { offset, piece in
            Self.check(
              MPI_Allgather(send.baseAddress! + offset, piece, type,
                            pieces.baseAddress, piece, type, comm),
              "MPI_Allgather")
            let length = Int(piece)
            for source in 0..<size {
              (receive.baseAddress! + source * count + offset).update(
                from: pieces.baseAddress! + source * length, count: length)
            }
          }
        }
      }
    }
    return (0..<size).map { Array(gathered[($0 * count)..<(($0 + 1) * count)]) }
    #else
    Self.unavailable()
    #endif
  }

  /// `allGather(_:)` that gives up after `timeout` seconds (`nil`: waits as long as it takes),
  /// returning `nil` then: for the end of a job, where a rank that failed must not wait
  /// forever for ranks that are stuck waiting for it. After a `nil` the gather is still
  /// pending, so the only safe next step is `abort(code:)`.
  ///
  /// A non-blocking gather underneath (`MPI_Iallgather`), and MPI never matches a blocking
  /// collective with a non-blocking one: every rank must make this same call, with or without
  /// a timeout, never `allGather(_:)`, for the same gather.
  public func allGather(_ values: [Int64], timeout: Double?) -> [[Int64]]? {
    #if MPI
    let count = values.count
    guard count > 0 else { return Array(repeating: [], count: size) }
    let (total, overflow) = count.multipliedReportingOverflow(by: size)
    precondition(!overflow, "allGather of \(count) values from \(size) ranks is too large")
    let deadline = timeout.map { Self.monotonicSeconds() + max(0, $0) }
    // Manual memory: after a timeout MPI may still write into these buffers, so they are
    // then left allocated rather than freed under it.
    let send = UnsafeMutablePointer<Int64>.allocate(capacity: count)
    send.initialize(from: values, count: count)
    let receive = UnsafeMutablePointer<Int64>.allocate(capacity: total)
    let pieces = UnsafeMutablePointer<Int64>.allocate(capacity: min(count, pieceLimit) * size)
    let type = cmpi_int64()
    var finished = true
    forEachChunk(count) { offset, piece in
      guard finished else { return }
      var request = cmpi_request_null()
      Self.check(
        MPI_Iallgather(send + offset, piece, type, pieces, piece, type, comm, &request),
        "MPI_Iallgather")
      finished = Self.wait(for: &request, until: deadline)
      guard finished else { return }
      let length = Int(piece)
      for source in 0..<size {
        (receive + source * count + offset).update(from: pieces + source * length, count: length)
      }
    }
    guard finished else { return nil }
    let gathered = (0..<size).map { Array(UnsafeBufferPointer(start: receive + $0 * count,
                                                               count: count)) }
    send.deallocate()
    receive.deallocate()
    pieces.deallocate()
    return gathered
    #else
    Self.unavailable()
    #endif
  }

  /// Ends MPI on this rank (`MPI_Finalize`), after which no communicator can be used. Every
  /// rank calls it, from the thread that called `DistributedLaunch.start()`; calling it again
  /// does nothing.
  public func finalize() {
    #if MPI
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized == 0 {
      releaseSharing()
      MPI_Finalize()
    }
    #else
    Self.unavailable()
    #endif
  }

  /// Stops every rank of the job with exit status `code` (`MPI_Abort`): the way out when
  /// one rank fails and the others would otherwise wait forever in their next collective.
  public func abort(code: Int32) -> Never {
    // MPI_Abort kills this process without exit's flushing: keep the rank's last C output.
    fflush(nil)
    #if MPI
    MPI_Abort(cmpi_comm_world(), code)
    #endif
    exit(code)
  }

  /// Calls `body(offset, count)` for consecutive pieces of `total` elements, each at most
  /// `limit` long (and at most `Int32.max`, MPI's count); not at all when `total` is 0, which
  /// is safe for a collective because every rank has the same total. A closure rather than
  /// an array of pieces: a training step allocates nothing.
  static func forEachPiece(of total: Int, limit: Int, _ body: (Int, Int32) -> Void) {
    let limit = pieceLimit(limit)
    var offset = 0
    while offset < total {
      let count = min(total - offset, limit)
      body(offset, Int32(count))
      offset += count
    }
  }

  static func pieceLimit(_ limit: Int) -> Int { max(1, min(limit, Int(Int32.max))) }

  /// Collective: this rank's exchange segment of at least `count` floats, when every rank
  /// runs on this machine (see `sharedSegments`); a larger request frees the last one.
  public func exchangeBuffer(count: Int) -> UnsafeMutablePointer<Float>? {
    #if MPI
    // Every rank holds the same exchange segments, so all decide alike.
    guard size > 1 else { return nil }
    if let exchange, exchange.count >= count { return exchange[rank] }
    guard let node = machine() else { return nil }
    exchange?.free()
    exchange = SharedSegments.make(comm: node, count: count, size: size)
    return exchange?[rank]
    #else
    return nil
    #endif
  }

  /// Collective: rank 0's segment of a window only it holds memory in, at least `count`
  /// floats, the same memory on every rank; nil unless every rank runs on this machine.
  public func sharedWeights(count: Int) -> UnsafeMutablePointer<Float>? {
    #if MPI
    guard size > 1 else { return nil }
    if let weights, weights.count >= count { return weights[0] }
    guard let node = machine() else { return nil }
    weights?.free()
    weights = SharedSegments.make(comm: node, count: count, size: size, firstOnly: true)
    return weights?[0]
    #else
    return nil
    #endif
  }

  /// Collective: the shared windows' fence (their stores seen by every rank after it), or
  /// MPI's barrier when there are none.
  public func barrier() {
    #if MPI
    if let weights {
      weights.fence()
    } else if let exchange {
      exchange.fence()
    } else {
      Self.check(MPI_Barrier(comm), "MPI_Barrier")
    }
    #else
    Self.unavailable()
    #endif
  }

  #if MPI
  /// Copies `values` but the range `mine` into this rank's `segment`: the others read only
  /// their own parts of it.
  private static func publish(
    _ values: UnsafePointer<Float>, count: Int, except mine: Range<Int>,
    into segment: UnsafeMutablePointer<Float>
  ) {
    segment.update(from: values, count: mine.lowerBound)
    (segment + mine.upperBound).update(from: values + mine.upperBound,
                                       count: count - mine.upperBound)
  }

  /// The shared-memory reduce-scatter once every rank's values are in its segment (this
  /// rank's own part read from `source`): fence, sum this rank's part, fence.
  private func sumOwnPart(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
    parts: [Range<Int>], scale: Float, segments shared: SharedSegments
  ) {
    let mine = parts[rank]
    shared.fence()
    // In rank order, so every part's sum is the one any rank would take; the first two
    // ranks' in one pass (the whole sum, for two ranks), the scale in the last pass.
    func rankValues(_ r: Int) -> UnsafePointer<Float> {
      (r == rank ? source : UnsafePointer(shared[r])) + mine.lowerBound
    }
    let into = target + mine.lowerBound
    let (first, second) = (rankValues(0), rankValues(1))
    if size == 2 && scale != 1 {
      for i in 0..<mine.count { into[i] = (first[i] + second[i]) * scale }
    } else {
      for i in 0..<mine.count { into[i] = first[i] + second[i] }
    }
    for r in 2..<max(size, 2) {
      let from = rankValues(r)
      if r == size - 1 && scale != 1 {
        for i in 0..<mine.count { into[i] = (into[i] + from[i]) * scale }
      } else {
        for i in 0..<mine.count { into[i] += from[i] }
      }
    }
    shared.fence()
  }

  /// Segments of at least `count` floats that every rank shares, when all ranks run on this
  /// machine and `NN_MPI_SHARED_MEMORY` is not `0` on any of them; nil for MPI's own
  /// collectives. Collective (it probes and allocates), like the calls it serves.
  private func sharedSegments(count: Int) -> SharedSegments? {
    guard let node = machine() else { return nil }
    if case .available(_, let segments?) = sharing, segments.count >= count { return segments }
    if case .available(_, let segments?) = sharing { segments.free() }
    let made = SharedSegments.make(comm: node, count: count, size: size)
    // A segment that could not be made is not asked for again (on every rank alike: `make`
    // decides together); the exchange segments, made before, stay.
    sharing = made.map { .available(node, $0) } ?? .unavailable
    return made
  }

  /// Collective: the communicator of this machine's ranks when it holds every rank and shared
  /// memory is allowed on all of them (found once); else nil.
  private func machine() -> MPI_Comm? {
    switch sharing {
    case .unavailable:
      return nil
    case .available(let node, _):
      return node
    case .unknown:
      var node: MPI_Comm?
      Self.check(MPI_Comm_split_type(comm, cmpi_comm_type_shared(), Int32(rank),
                                     cmpi_info_null(), &node),
                 "MPI_Comm_split_type")
      var nodeSize: Int32 = 0
      Self.check(MPI_Comm_size(node, &nodeSize), "MPI_Comm_size")
      var local: Int32 = nodeSize == size && Self.sharedMemoryAllowed ? 1 : 0
      var everywhere: Int32 = 0
      Self.check(MPI_Allreduce(&local, &everywhere, 1, cmpi_int(), cmpi_op_min(), comm),
                 "MPI_Allreduce")
      guard everywhere == 1, let node else {
        MPI_Comm_free(&node)
        sharing = .unavailable
        return nil
      }
      // A segment that cannot be allocated is a reason to use MPI's collectives, not to stop.
      MPI_Comm_set_errhandler(node, cmpi_errors_return())
      sharing = .available(node, nil)
      return node
    }
  }

  /// `NN_MPI_SHARED_MEMORY=0` keeps the sharded update on MPI's collectives (to compare them,
  /// or where the shared-memory file system is too small for the segments).
  private static var sharedMemoryAllowed: Bool {
    guard let value = getenv("NN_MPI_SHARED_MEMORY") else { return true }
    return String(cString: value) != "0"
  }

  /// Frees the shared segments and the machine's communicator (collective, before
  /// `MPI_Finalize`).
  private func releaseSharing() {
    exchange?.free()
    exchange = nil
    weights?.free()
    weights = nil
    guard case .available(let node, let segments) = sharing else { return }
    segments?.free()
    var handle: MPI_Comm? = node
    MPI_Comm_free(&handle)
    sharing = .unavailable
  }

  private func allReduceSum(
    _ base: UnsafeMutableRawPointer?, count: Int, stride: Int, type: MPI_Datatype
  ) {
    guard let base else { return }
    forEachChunk(count) { offset, piece in
      Self.check(
        MPI_Allreduce(cmpi_in_place(), base + offset * stride, piece, type, cmpi_op_sum(), comm),
        "MPI_Allreduce")
    }
  }

  /// `chunkElements` within what an `Int32` count can say.
  private var pieceLimit: Int { Self.pieceLimit(chunkElements) }

  private func forEachChunk(_ total: Int, _ body: (Int, Int32) -> Void) {
    Self.forEachPiece(of: total, limit: chunkElements, body)
  }

  /// Completes `request`, polling so that a deadline (monotonic seconds) can end the wait;
  /// false when it passed first. Polling drives the transfer forward too.
  private static func wait(for request: inout MPI_Request?, until deadline: Double?) -> Bool {
    guard let deadline else {
      check(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait")
      return true
    }
    var polls = 0
    while true {
      var done: Int32 = 0
      check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
      if done != 0 { return true }
      if monotonicSeconds() >= deadline { return false }
      // Spin briefly for a prompt answer, then poll gently: the other ranks may be computing.
      polls += 1
      if polls > 1000 { usleep(500) }
    }
  }

  private static func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// MPI_COMM_WORLD's default handler aborts on errors before we see them; this catches a
  /// library or communicator configured to return them instead.
  private static func check(_ code: Int32, _ call: StaticString) {
    guard code != cmpi_success() else { return }
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    let reason = DistributedLaunch.mpiString(buffer, length: length)
    writeStandardError("nn: \(call) failed: \(reason)\n")
    MPI_Abort(cmpi_comm_world(), 1)
    exit(1)
  }
  #else
  private static func unavailable() -> Never {
    fatalError("nn was built without MPI: no MPICommunicator can exist")
  }
  #endif
}

/// Writes straight to file descriptor 2: C's `stderr` is a global Swift 6 will not touch,
/// and a message just before MPI_Abort must not wait in a buffer.
private func writeStandardError(_ text: String) {
  var text = text
  text.withUTF8 { bytes in
    var rest = UnsafeRawBufferPointer(bytes)
    while !rest.isEmpty {
      let written = write(2, rest.baseAddress, rest.count)
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { return }
      rest = UnsafeRawBufferPointer(rebasing: rest[written...])
    }
  }
}
