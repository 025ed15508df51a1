import CNN
import NNScript
import Synchronization

/// What an `nn_interp *` points to: an interpreter, the diagnostics of the last failed call,
/// and the bookkeeping that turns a second thread's call into `NN_BUSY` and defers `nn_free`
/// until a running call returns. The pointer holds one retain, taken by `nn_new`.
final class Host {
  let interpreter: Interpreter
  /// Read by `nn_cancel` from any thread: set once, and `Sendable`.
  let cancellation: CancellationHandle
  /// Marks the callbacks this host runs (see `CallbackScope`).
  let token: CallbackScope.Token
  /// The diagnostics of the last call that failed, as C strings the host may keep until the
  /// next call.
  private(set) var diagnostics: [CDiagnostic] = []
  private(set) var renderedDiagnostics = CString("")
  private let state = Mutex(State())

  private struct State {
    /// A call from outside this host's callbacks is running.
    var busy = false
    /// `nn_free` was called; the last call to leave releases the host.
    var freeRequested = false
  }

  /// How a call got in: as the one outside call, or from inside one of this host's callbacks
  /// (which runs while the outside call is still busy).
  enum Entry { case outside, nested }

  init(interpreter: Interpreter, token: CallbackScope.Token) {
    self.interpreter = interpreter
    self.cancellation = interpreter.cancellation
    self.token = token
  }

  /// The pointer C holds, retaining the host once.
  func retainedPointer() -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(self).toOpaque())
  }

  /// The host behind a pointer `retainedPointer` made.
  static func from(_ pointer: OpaquePointer) -> Host {
    Unmanaged<Host>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
  }

  /// Starts a call, or nil when another thread is using the host (or it is being freed).
  func enter() -> Entry? {
    if CallbackScope.isInside(token) {
      return state.withLock { $0.freeRequested } ? nil : .nested
    }
    return state.withLock { state in
      guard !state.busy, !state.freeRequested else { return nil }
      state.busy = true
      return .outside
    }
  }

  /// Ends a call `enter` started, releasing the host if `nn_free` came meanwhile.
  func leave(_ entry: Entry) {
    guard entry == .outside else { return }
    let release = state.withLock { state in
      state.busy = false
      return state.freeRequested
    }
    if release { Unmanaged.passUnretained(self).release() }
  }

  /// `nn_free`: releases the host now, or when the running call leaves.
  func requestFree() {
    let now = state.withLock { state in
      guard !state.freeRequested else { return false }
      state.freeRequested = true
      return !state.busy
    }
    if now { Unmanaged.passUnretained(self).release() }
  }

  /// Replaces the diagnostics: a failing call records its own, a successful one none.
  func record(_ list: [Diagnostic]) {
    diagnostics = list.map(CDiagnostic.init)
    renderedDiagnostics = CString(ScriptError(list).rendered())
  }

  /// Records a misuse of the API as one diagnostic without a place, and returns `status`.
  func fail(_ status: nn_status, _ code: DiagnosticCode, _ message: String) -> nn_status {
    record([Diagnostic(code: code, message: message)])
    return status
  }
}

/// Runs `body` with the host behind `pointer` for one status-returning call: `NN_MISUSE` for
/// NULL, `NN_BUSY` when another thread is in. A failing body records its diagnostics; a
/// successful call clears them last, so that what its callbacks' failed calls recorded goes.
func withHost(_ pointer: OpaquePointer?, _ body: (Host) -> nn_status) -> nn_status {
  guard let pointer else { return NN_MISUSE }
  let host = Host.from(pointer)
  guard let entry = host.enter() else { return NN_BUSY }
  defer { host.leave(entry) }
  let status = body(host)
  if status == NN_OK, !host.diagnostics.isEmpty { host.record([]) }
  return status
}

/// Runs `body` with the host for a call that reads the diagnostics: `fallback` for NULL or a
/// busy host, and the diagnostics left as they are.
func readingHost<T>(_ pointer: OpaquePointer?, _ fallback: T, _ body: (Host) -> T) -> T {
  guard let pointer else { return fallback }
  let host = Host.from(pointer)
  guard let entry = host.enter() else { return fallback }
  defer { host.leave(entry) }
  return body(host)
}
