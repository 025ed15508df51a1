/// Whether the caller of a long eager operation wants it to stop (Ctrl-C, a cancel, a time
/// limit), asked between blocks of its work. Bound to the evaluating thread for the length of a
/// run, as `MemoryBudget.current` is, so the runtime knows nothing of who asks or why.
public enum StopRequest {
  /// The question to ask; nil (no one to ask) never stops.
  @TaskLocal public static var check: (@Sendable () -> Bool)?

  /// Whether a stop is asked for now.
  static var isRequested: Bool { check?() ?? false }

  /// The error an operation ends with when it stopped early; its caller reports the stop.
  static let stopped = TensorError(.stopped, "stopped")
}
