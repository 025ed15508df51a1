// The sharded update's exchange through memory the ranks share, when they all run on one
// machine. Open MPI's shared-memory transport without a single-copy mechanism (containers lack
// the ptrace rights CMA needs) moves every byte through fragments the sender copies in and
// the receiver copies out, with a handshake per fragment; measured on 2 ranks of this project's
// 2-core VM, its reduce-scatter and all-gather of wide's 2.6 MB took 0.7–1.1 ms a step, more
// than its all-reduce (0.35–0.77 ms). Through an MPI-3 shared window each rank copies its
// gradient once into its own segment and reads the others' directly (docs/distributed.md).

#if MPI
import CMPI

/// One segment of `count` floats per rank, each readable and writable by every rank of the
/// machine (`MPI_Win_allocate_shared`), with the fence that orders the ranks' accesses.
final class SharedSegments {
  /// Floats per rank.
  let count: Int
  private let comm: MPI_Comm
  private var window: MPI_Win?
  /// Each rank's segment, by rank of `comm`.
  private let segments: [UnsafeMutablePointer<Float>]

  private init(comm: MPI_Comm, count: Int, window: MPI_Win?,
               segments: [UnsafeMutablePointer<Float>]) {
    self.comm = comm
    self.count = count
    self.window = window
    self.segments = segments
    // One passive epoch for the window's life: the ranks write their own segments with plain
    // stores and read the others' with plain loads, ordered by `fence()`.
    MPI_Win_lock_all(cmpi_mode_nocheck(), window)
  }

  /// Collective over `comm` (`size` ranks, all on this machine): nil on every rank when any
  /// rank could not allocate its segment (the callers then use MPI's collectives).
  /// With `firstOnly`, rank 0 alone holds `count` floats and the others' segments are empty:
  /// one copy of something every rank uses, at `self[0]` on every rank.
  static func make(comm: MPI_Comm, count: Int, size: Int,
                   firstOnly: Bool = false) -> SharedSegments? {
    var base: UnsafeMutableRawPointer?
    var window: MPI_Win?
    var rank: Int32 = 0
    MPI_Comm_rank(comm, &rank)
    let held = firstOnly && rank != 0 ? 1 : max(count, 1)
    let bytes = MPI_Aint(held * MemoryLayout<Float>.stride)
    var made: Int32 = MPI_Win_allocate_shared(
      bytes, Int32(MemoryLayout<Float>.stride), cmpi_info_null(), comm, &base, &window)
      == cmpi_success() ? 1 : 0
    var everywhere: Int32 = 0
    MPI_Allreduce(&made, &everywhere, 1, cmpi_int(), cmpi_op_min(), comm)
    guard everywhere == 1 else {
      if made == 1 { MPI_Win_free(&window) }
      return nil
    }
    let segments = (0..<size).map { rank in
      var length: MPI_Aint = 0
      var unit: Int32 = 0
      var pointer: UnsafeMutableRawPointer?
      MPI_Win_shared_query(window, Int32(rank), &length, &unit, &pointer)
      return pointer!.assumingMemoryBound(to: Float.self)
    }
    return SharedSegments(comm: comm, count: count, window: window, segments: segments)
  }

  /// Rank `rank`'s segment.
  subscript(rank: Int) -> UnsafeMutablePointer<Float> { segments[rank] }

  /// Every rank's writes before it are visible to every rank after it (the unified memory
  /// model's sync, barrier, sync).
  func fence() {
    MPI_Win_sync(window)
    MPI_Barrier(comm)
    MPI_Win_sync(window)
  }

  /// Collective: frees the window.
  func free() {
    guard window != nil else { return }
    MPI_Win_unlock_all(window)
    MPI_Win_free(&window)
    window = nil
  }
}
#endif
