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
}
