import Synchronization

/// Stops a running script from another thread: `let handle = interpreter.cancellation`, hand
/// `handle` to any thread (it is `Sendable`; the interpreter is not), and `handle.cancel()`.
/// The script stops at its next safe point — within a few thousand evaluation steps, or after
/// the current training batch — failing with an `.interrupted` diagnostic, and every value
/// computed so far is kept. A request made while nothing runs is dropped when the next run
/// starts.
public final class CancellationHandle: Sendable {
  private let requested = Atomic<Bool>(false)

  init() {}

  /// Asks the running script to stop.
  public func cancel() { requested.store(true, ordering: .relaxed) }

  var isRequested: Bool { requested.load(ordering: .relaxed) }

  func clear() { requested.store(false, ordering: .relaxed) }
}
