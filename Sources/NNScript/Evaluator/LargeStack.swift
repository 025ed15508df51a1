#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on a fresh thread with a large stack and waits for it.
///
/// The evaluator recurses on the native stack; hosts call the interpreter from threads whose
/// stacks may be small (Swift concurrency's pool threads, test runners). Running on our own
/// thread makes the call-depth limit, not the host's stack size, the bound a script meets.
/// When no such thread can be had (a host under `ulimit -v` cannot map 1 GiB), the work runs on
/// the caller's stack, and `floor()` tells the evaluator where that stack ends, so deep
/// recursion meets a diagnostic there rather than the guard page.
enum LargeStack {
  private final class Job: @unchecked Sendable {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
  }

  /// Marks a thread made by `session` while no `run` is in progress on it.
  private static let idleKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()
  private static var idleMarker: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }

  /// Runs `body` on a large stack: directly when called from an idle `session` thread, else on
  /// a thread of its own. A nested call (a host function running a script) always gets a fresh
  /// stack, so the depth limit of each run still has the whole stack below it.
  static func run<T>(_ body: () -> T) -> T {
    guard pthread_getspecific(idleKey) != nil else { return onNewThread(body) }
    pthread_setspecific(idleKey, nil)
    defer { pthread_setspecific(idleKey, idleMarker) }
    return body()
  }

  /// Runs `body` on a large-stack thread where each `run` runs directly. A thread costs
  /// little alone, but a host making many small calls (one per piped REPL line) paid a thread
  /// start and a wait for the scheduler per call, about 1 ms on a busy machine.
  static func session<T>(_ body: () -> T) -> T {
    onNewThread {
      pthread_setspecific(idleKey, idleMarker)
      defer { pthread_setspecific(idleKey, nil) }
      return body()
    }
  }

  private static func onNewThread<T>(_ body: () -> T) -> T {
    var result: T?
    withoutActuallyEscaping(body) { escapable in
      let job = Job { result = escapable() }
      var attributes = pthread_attr_t()
      pthread_attr_init(&attributes)
      defer { pthread_attr_destroy(&attributes) }
      pthread_attr_setstacksize(&attributes, Limits.evaluationStackSize)
      let context = Unmanaged.passRetained(job).toOpaque()
      #if canImport(Glibc)
      var thread = pthread_t()
      #else
      var thread: pthread_t?
      #endif
      let created = pthread_create(&thread, &attributes, { raw in
        guard let raw else { return nil }
        let job = Unmanaged<Job>.fromOpaque(raw).takeRetainedValue()
        job.work()
        return nil
      }, context)
      if created == 0 {
        #if canImport(Glibc)
        pthread_join(thread, nil)
        #else
        if let thread { pthread_join(thread, nil) }
        #endif
      } else {
        // No thread to be had: run here rather than fail.
        Unmanaged<Job>.fromOpaque(context).release()
        result = escapable()
      }
    }
    return result!
  }

  /// The lowest address the evaluator may reach on the current thread's stack before it must
  /// stop recursing: the stack's end plus a reserve for the deepest work one call level does
  /// (an expression nested as deeply as the parser allows, a built-in, releasing a value
  /// nested `Limits.maxValueNesting` deep), or a quarter of the stack when it is smaller. Zero
  /// when the stack's extent cannot be learnt.
  static func floor() -> UInt {
    #if canImport(Glibc)
    var attributes = pthread_attr_t()
    guard let getattr = threadAttributes, getattr(pthread_self(), &attributes) == 0 else {
      return 0
    }
    defer { pthread_attr_destroy(&attributes) }
    var base: UnsafeMutableRawPointer?
    var size = 0
    guard pthread_attr_getstack(&attributes, &base, &size) == 0, let base else { return 0 }
    let lowest = UInt(bitPattern: base)
    #elseif canImport(Darwin)
    let top = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
    let size = pthread_get_stacksize_np(pthread_self())
    let lowest = top - UInt(size)
    #endif
    // AddressSanitizer keeps address-taken locals on a fake stack elsewhere, so a frame's
    // mark says nothing of this stack's depth: no floor then (the call depth still bounds).
    let mark = currentDepthMark()
    guard mark >= lowest, mark <= lowest + UInt(size) else { return 0 }
    return lowest + UInt(min(Limits.stackReserve, size / 4))
  }

  #if canImport(Glibc)
  /// glibc's `pthread_getattr_np`, which the Glibc module leaves out (it is a GNU extension):
  /// the only call that reports the extent of a thread's stack, the main thread's included.
  private typealias GetAttributes = @convention(c) (
    pthread_t, UnsafeMutablePointer<pthread_attr_t>
  ) -> CInt
  private static let threadAttributes: GetAttributes? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_getattr_np")
    else { return nil }
    return unsafeBitCast(symbol, to: GetAttributes.self)
  }()
  #endif

  /// An address in the caller's frame: how far down its stack the current thread has come.
  @inline(never)
  static func currentDepthMark() -> UInt {
    var marker: UInt8 = 0
    return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
  }
}
