@preconcurrency import CReadline
import Foundation

// Readline's callbacks are C function pointers: they cannot capture, so what they share with
// the editor lives in globals. Only the main thread touches them.
nonisolated(unsafe) private var pendingLine: String?
nonisolated(unsafe) private var lineFinished = false
nonisolated(unsafe) private var completionSource: (String) -> [String] = { _ in [] }
nonisolated(unsafe) private var completionMatches: [String] = []
nonisolated(unsafe) private var completionIndex = 0

/// Called by readline with a finished line, or nil at end of input (Ctrl-D on an empty line).
private func lineHandler(_ line: UnsafeMutablePointer<CChar>?) {
  if let line {
    pendingLine = String(cString: line)
    free(line)
  } else {
    pendingLine = nil
  }
  lineFinished = true
  // Removed at once so that readline does not print the prompt again after the line.
  rl_callback_handler_remove()
}

/// Readline's completion generator: state 0 starts a new word; each call returns one match,
/// `strdup`'d because readline frees it, then nil.
private func completionGenerator(
  _ text: UnsafePointer<CChar>?, _ state: Int32
) -> UnsafeMutablePointer<CChar>? {
  if state == 0 {
    completionMatches = completionSource(text.map { String(cString: $0) } ?? "")
    completionIndex = 0
  }
  guard completionIndex < completionMatches.count else { return nil }
  defer { completionIndex += 1 }
  return strdup(completionMatches[completionIndex])
}

/// GNU readline for the interactive REPL: line editing, a history file and tab completion.
/// Uses readline's callback interface, one character at a time, so that Ctrl-C (which only
/// sets a flag, see `Interrupts`) can be noticed between characters and clear the line.
final class LineEditor {
  /// What one prompt gave.
  enum Input {
    case line(String)
    /// Ctrl-C at the prompt: the line was dropped.
    case interrupted
    /// Ctrl-D on an empty line.
    case endOfInput
  }

  static let historyLimit = 1000

  private let historyPath: String
  private var lastEntry: String?
  private var warnedAboutHistory = false

  init(historyPath: String, completions: @escaping (String) -> [String]) {
    self.historyPath = historyPath
    completionSource = completions
    // Readline's own SIGINT handler re-raises the signal and ends the process.
    rl_catch_signals = 0
    rl_readline_name = UnsafePointer(strdup("nn"))
    rl_completion_entry_function = completionGenerator
    stifle_history(Int32(Self.historyLimit))
    // A missing history file is a first session, not an error.
    _ = read_history(historyPath)
  }

  /// Shows `prompt` and reads one line.
  func read(prompt: String) -> Input {
    pendingLine = nil
    lineFinished = false
    rl_callback_handler_install(prompt, lineHandler)
    while !lineFinished {
      if Interrupts.requested {
        Interrupts.reset()
        rl_free_line_state()
        rl_replace_line("", 0)
        rl_callback_handler_remove()
        StandardStreams.output.write("\n")
        return .interrupted
      }
      var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      // A timeout, so a Ctrl-C that did not interrupt poll is still seen promptly.
      if poll(&descriptor, 1, 100) > 0 {
        rl_callback_read_char()
      }
    }
    guard let line = pendingLine else { return .endOfInput }
    return .line(line)
  }

  /// Adds `line` to the history and saves it; blank lines and repeats of the previous entry
  /// are left out. An unwritable file is reported once, and the session goes on.
  func remember(_ line: String) {
    guard !line.trimmingCharacters(in: .whitespaces).isEmpty, line != lastEntry else { return }
    lastEntry = line
    add_history(line)
    if write_history(historyPath) != 0, !warnedAboutHistory {
      warnedAboutHistory = true
      StandardStreams.writeError(
        "warning: cannot write the history file '\(historyPath)'; history will not be saved\n")
    }
  }
}
