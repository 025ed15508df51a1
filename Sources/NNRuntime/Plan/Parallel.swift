#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import CParallel

// One pool of threads for everything a plan splits: the matrix products
// (MatrixProduct+Threads.swift cuts each large one into a product per thread, with OpenBLAS
// itself held to one thread) and
// the loops around them (optimizer updates, the gradient scan, gathers, element-wise kernels).
// Two pools on the same cores fight: OpenBLAS's idle workers spin for up to 2²⁸ cycles after
// each product, on the core the other pool's worker needs next (docs/performance.md, "Both
// cores").

/// Splits loops over the threads the plan may use (the BLAS's thread count).
enum Parallel {
  /// How many threads a split loop uses (1 when nn runs on one thread).
  static var width: Int { configuredWidth }

  /// Runs `body` over `0..<count` cut into at most `width` contiguous, disjoint ranges of at
  /// least `grain` indices each, on the pool's threads and the caller's, and returns when all
  /// ranges are done. One thread (or a count below 2·grain) runs `body(0..<count)` inline.
  /// `body` must not allocate, throw or call `forEach` again.
  static func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    // The size first: most loops of a small model never reach the width's lazy global.
    if count < 2 * Swift.max(grain, 1) || configuredWidth == 1 {
      body(0..<count)
      return
    }
    WorkerPool.shared.forEach(count, grain: grain, body)
  }

  /// OpenBLAS's thread count as the process found it (`OPENBLAS_NUM_THREADS`, else one per
  /// core): the number of cores nn was given. Reading it hands those threads to the pool:
  /// OpenBLAS is told to use one, and each large product is split here instead.
  private static let configuredWidth: Int = {
    let threads = Int(openblas_get_num_threads())
    guard threads > 1 else { return 1 }
    openblas_set_num_threads(1)
    return threads
  }()
}

/// A way to run a split loop, `(count, grain, body)` as `Parallel.forEach` takes them: that
/// function itself, or a given pool's `forEach` (tests split at widths the process lacks).
typealias SplitRunner = (Int, Int, (Range<Int>) -> Void) -> Void

/// `width − 1` parked threads and the caller: a fork-join over one job at a time.
///
/// The threads start with the first job and live as long as the process. A job is a pointer
/// to the caller's closure plus its count and cut, published seqlock-style: the caller makes
/// `generation` odd, writes the job, makes it even; a worker takes the job only when it read
/// the same even generation before and after reading it (a worker left out of one job may
/// otherwise read the next one's half-written). The job's three fields are atomic words too:
/// a worker left out may read them while the next job is written, which as plain fields is a
/// data race (ThreadSanitizer reports it) even though the generation check discards the read. Each worker in the job runs its range and
/// counts itself off `remaining`, which the caller spins on after running range 0 itself.
/// Handing the non-escaping closure over costs one small heap allocation per job (the wrapper
/// `withoutActuallyEscaping` makes); nothing else allocates. One thread never gets here.
/// Idle workers spin for `spinLimit` pauses (a training step's jobs come microseconds apart)
/// and then sleep on a condition variable. One caller at a time:
/// a second (another thread's plan, or a nested `forEach` from inside a body) finds the pool
/// busy and runs its loop inline, which gives the same result for every split loop here.
final class WorkerPool: @unchecked Sendable {
  static let shared = WorkerPool(width: Parallel.width)

  let width: Int
  /// The shared words, each on its own cache line: see `Word`.
  private let words: UnsafeMutablePointer<Int>
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let wake: UnsafeMutablePointer<pthread_cond_t>
  private var started = false

  /// About 50–100 µs of `pause` on current x86 cores before a worker sleeps.
  private static let spinLimit = 1 << 12

  private enum Word: Int, CaseIterable {
    /// Odd while a job is being written, even once it is published; workers wait for a new
    /// even value.
    case generation
    /// Workers still running the current job's ranges.
    case remaining
    /// Workers asleep (or about to sleep) on `wake`.
    case sleepers
    /// 1 while a caller owns the pool.
    case busy
    /// The job: the address of the caller's `Job` (valid while it runs), 0 between jobs.
    case job
    /// The job's index count and the number of ranges it is cut into.
    case count, parts
  }

  /// Words per cache line: keeps the caller's spinning on `remaining` off the line workers
  /// spin on.
  private static let lineWords = 64 / MemoryLayout<Int>.stride

  init(width: Int) {
    precondition(width >= 1)
    self.width = width
    let total = Word.allCases.count * Self.lineWords
    words = .allocate(capacity: total)
    words.initialize(repeating: 0, count: total)
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    wake = .allocate(capacity: 1)
    pthread_cond_init(wake, nil)
  }

  // The workers hold the pool for the life of the process (it is `shared`, or a test's, which
  // lives on as parked threads): no deinit.

  private func word(_ name: Word) -> UnsafeMutablePointer<Int> {
    words + name.rawValue * Self.lineWords
  }

  /// The `part`-th of `parts` near-equal contiguous ranges of `0..<count`.
  @inline(__always)
  static func range(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
    (part * count / parts)..<((part + 1) * count / parts)
  }

  /// See `Parallel.forEach`; `width` here is the pool's.
  func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let parts = Swift.min(width, count / Swift.max(grain, 1))
    guard parts > 1, cparallel_exchange(word(.busy), 0, 1) != 0 else {
      body(0..<count)
      return
    }
    if !started { start() }
    withoutActuallyEscaping(body) { body in
      // Wrapped in a concrete struct: a bare closure stored through a generic pointer is
      // reabstracted, which costs a second heap allocation per job.
      var job = Job(body: body)
      withUnsafeMutablePointer(to: &job) { pointer in
        _ = cparallel_add(word(.generation), 1)
        cparallel_store(word(.job), Int(bitPattern: UnsafeRawPointer(pointer)))
        cparallel_store(word(.count), count)
        cparallel_store(word(.parts), parts)
        cparallel_store(word(.remaining), parts - 1)
        _ = cparallel_add(word(.generation), 1)
        if cparallel_load(word(.sleepers)) > 0 {
          pthread_mutex_lock(mutex)
          pthread_cond_broadcast(wake)
          pthread_mutex_unlock(mutex)
        }
        body(Self.range(0, of: parts, count: count))
        while cparallel_load(word(.remaining)) > 0 { cparallel_pause() }
        cparallel_store(word(.job), 0)
      }
    }
    cparallel_store(word(.busy), 0)
  }

  private func start() {
    started = true
    for index in 1..<width {
      let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index)).toOpaque()
      var thread = pthread_t()
      let status = pthread_create(&thread, nil, { raw in
        let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
        context.pool.work(index: context.index)
      }, context)
      precondition(status == 0, "nn: could not start a worker thread (error \(status))")
      pthread_detach(thread)
    }
  }

  /// The caller's closure as the workers read it.
  private struct Job {
    let body: (Range<Int>) -> Void
  }

  private final class WorkerContext {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) { (self.pool, self.index) = (pool, index) }
  }

  private func work(index: Int) -> Never {
    var seen = 0
    while true {
      var spins = 0
      while cparallel_load(word(.generation)) == seen {
        if spins < Self.spinLimit {
          cparallel_pause()
          spins += 1
        } else {
          sleep(until: seen)
        }
      }
      let generation = cparallel_load(word(.generation))
      guard generation & 1 == 0 else { continue }
      let parts = cparallel_load(word(.parts))
      guard cparallel_load(word(.generation)) == generation else { continue }
      seen = generation
      if index < parts {
        run(part: index, of: parts)
        _ = cparallel_add(word(.remaining), -1)
      }
    }
  }

  /// Parks until a job after `seen` is published. Counting itself a sleeper before looking
  /// again, under the mutex the publisher takes to broadcast, means no job is missed.
  private func sleep(until seen: Int) {
    pthread_mutex_lock(mutex)
    _ = cparallel_add(word(.sleepers), 1)
    while cparallel_load(word(.generation)) == seen { pthread_cond_wait(wake, mutex) }
    _ = cparallel_add(word(.sleepers), -1)
    pthread_mutex_unlock(mutex)
  }

  /// Runs one range of the current job. Not inlined: any retain of the caller's closure is
  /// released before the worker counts itself done and the caller's frame goes away.
  @inline(never)
  private func run(part: Int, of parts: Int) {
    let job = UnsafeRawPointer(bitPattern: cparallel_load(word(.job)))!
      .assumingMemoryBound(to: Job.self)
    job.pointee.body(Self.range(part, of: parts, count: cparallel_load(word(.count))))
  }
}
