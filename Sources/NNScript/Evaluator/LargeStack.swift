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

  static func run<T>(_ body: () -> T) -> T {
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
