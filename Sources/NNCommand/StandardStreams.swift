import Foundation
import NNScript

/// Standard output and standard error as `nn` uses them: script output buffered for speed,
/// diagnostics unbuffered, and standard output always flushed before anything goes to standard
/// error so that the two interleave in a terminal as they were written.
enum StandardStreams {
  /// Script output. Shared by the main thread and the interpreter thread.
  static let output = BufferedOutput(fileDescriptor: 1)

  /// Whether diagnostics get colour: only on a terminal, and never when NO_COLOR is set to a
  /// non-empty value (https://no-color.org).
  static let colorDiagnostics: Bool = {
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"] ?? ""
    return isatty(2) == 1 && noColor.isEmpty
  }()

  /// Writes `text` to standard error, after flushing standard output and ending a progress bar
  /// left mid-line.
  static func writeError(_ text: String) {
    ProgressBar.endLine()
    output.flush()
    writeAll(2, Array(text.utf8))
  }

  /// The exit status once output is flushed: a write to standard output that failed (a full
  /// disk, an I/O error) turns success into failure (status 1), with a message on standard
  /// error, so `nn f.nn > out.txt` never exits 0 having lost output.
  static func finish(_ status: Int32) -> Int32 {
    output.flush()
    let streamFailed = fflush(nil) != 0
    let streamError = errno
    guard let error = output.failure ?? (streamFailed ? streamError : nil) else { return status }
    let reason = String(cString: strerror(error))
    writeAll(2, Array("error: cannot write to standard output: \(reason)\n".utf8))
    return status == ExitStatus.success ? ExitStatus.scriptFailure : status
  }

  /// Writes a failed script's diagnostics to standard error.
  static func writeDiagnostics(_ error: ScriptError) {
    writeError(error.rendered(color: colorDiagnostics))
  }
}

/// A buffered writer to a file descriptor. On a terminal every write goes out at once; elsewhere
/// (a file, a pipe to `tee`) writes collect until the buffer is full, `flush` is called, or the
/// background flusher's next tick, so a fast printer costs few system calls while a slow one
/// (a progress line per epoch) still shows each line within `flushInterval`.
final class BufferedOutput: @unchecked Sendable {
  /// Large enough that printing a big tensor costs few system calls.
  static let capacity = 64 * 1024
  /// The longest a line waits in the buffer.
  static let flushInterval: TimeInterval = 0.1

  private let fileDescriptor: Int32
  private let isTerminal: Bool
  private let lock = NSLock()
  private var buffer: [UInt8] = []
  private var flusherStarted = false

  init(fileDescriptor: Int32) {
    self.fileDescriptor = fileDescriptor
    self.isTerminal = isatty(fileDescriptor) == 1
  }

  func write(_ text: String) {
    lock.withLock {
      buffer.append(contentsOf: text.utf8)
      if isTerminal || buffer.count >= Self.capacity {
        flushLocked()
      } else if !flusherStarted {
        flusherStarted = true
        startFlusher()
      }
    }
  }

  func flush() {
    lock.withLock { flushLocked() }
  }

  /// The first write error (`errno`); later output is dropped, as it cannot arrive whole.
  var failure: Int32? { lock.withLock { failed } }
  private var failed: Int32?

  private func flushLocked() {
    guard !buffer.isEmpty else { return }
    if failed == nil { failed = writeAll(fileDescriptor, buffer) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Started on the first buffered write, so a script that prints nothing runs no extra thread;
  /// it lives until the process exits.
  private func startFlusher() {
    let thread = Thread { [self] in
      while true {
        Thread.sleep(forTimeInterval: Self.flushInterval)
        flush()
      }
    }
    thread.start()
  }
}

/// Writes all of `bytes` to `fileDescriptor`, retrying short and interrupted writes. When the
/// reader has gone away (EPIPE, as in `nn f.nn | head`) nobody will see more output, so the
/// process ends quietly, with success, instead of running a long script for nobody. Any other
/// error is returned (`errno`), nil when every byte was written.
@discardableResult
private func writeAll(_ fileDescriptor: Int32, _ bytes: [UInt8]) -> Int32? {
  bytes.withUnsafeBytes { raw -> Int32? in
    var offset = 0
    while offset < raw.count {
      let written = Foundation.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
      if written > 0 {
        offset += written
      } else if written == 0 {
        return ENOSPC
      } else if errno == EINTR {
        continue
      } else if errno == EPIPE {
        _exit(ExitStatus.success)
      } else {
        return errno
      }
    }
    return nil
  }
}
