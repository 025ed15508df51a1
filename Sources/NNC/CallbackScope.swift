/// Which hosts' callbacks the current thread is inside. A callback runs on the interpreter's
/// evaluation thread while the outside call that started the run is still busy; a call it makes
/// back into the same interpreter is part of that run, not a second thread's, so it must not
/// be refused with `NN_BUSY`.
enum CallbackScope {
  /// Identifies one host; made before its interpreter, whose output closure needs it.
  final class Token: Sendable {}

  /// Task-local, which outside any task is thread-local: exactly the thread running the
  /// callback, and calls it makes.
  @TaskLocal private static var inside: [ObjectIdentifier] = []

  /// Runs a callback of the host `token` marks.
  static func run<T>(_ token: Token, _ body: () throws -> T) rethrows -> T {
    try $inside.withValue(inside + [ObjectIdentifier(token)], operation: body)
  }

  /// Whether the current thread is inside a callback of that host.
  static func isInside(_ token: Token) -> Bool {
    inside.contains(ObjectIdentifier(token))
  }
}
