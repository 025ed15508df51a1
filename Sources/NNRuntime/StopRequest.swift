#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the caller of a long eager operation wants it to stop (Ctrl-C, a cancel, a time
/// limit), asked between blocks of its work. The question belongs to the thread that runs the
/// operation, for the length of the caller's `withCheck`, so the runtime knows nothing of who
/// asks or why. (A thread-specific value rather than a second `@TaskLocal`: nesting two task
/// locals on the interpreter's plain thread crashed the Swift runtime in the fuzzed build.)
public enum StopRequest {
  private final class Question {
    let ask: () -> Bool
    init(_ ask: @escaping () -> Bool) { self.ask = ask }
  }

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// Runs `body` with `check` as this thread's question, then restores the one before it.
  public static func withCheck<T>(_ check: @escaping () -> Bool, _ body: () -> T) -> T {
    let previous = pthread_getspecific(key)
    let question = Unmanaged.passRetained(Question(check))
    pthread_setspecific(key, question.toOpaque())
    defer {
      pthread_setspecific(key, previous)
      question.release()
    }
    return body()
  }

  /// Whether a stop is asked for now on this thread; false when no one asks.
  static var isRequested: Bool {
    guard let raw = pthread_getspecific(key) else { return false }
    return Unmanaged<Question>.fromOpaque(raw).takeUnretainedValue().ask()
  }

  /// The error an operation ends with when it stopped early; its caller reports the stop.
  static let stopped = TensorError(.stopped, "stopped")
}
