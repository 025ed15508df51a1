@preconcurrency import CReadline
import Foundation
import NNScript

// Readline's callbacks are C function pointers: they cannot capture, so what they share with
// the editor lives in globals. Only the main thread touches them.
nonisolated(unsafe) private var pendingLine: String?
nonisolated(unsafe) private var lineFinished = false
nonisolated(unsafe) private var completionSource: (String, Int) -> [String] = { _, _ in [] }
nonisolated(unsafe) private var completionContext:
  (String, Int) -> (kind: Interpreter.CompletionKind, wordBreaks: String) = { _, _ in
    (.code, " ")
  }
/// Word-break sets handed to readline, `strdup`'d once each: readline keeps the pointer.
nonisolated(unsafe) private var wordBreakStrings: [String: UnsafeMutablePointer<CChar>] = [:]
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

/// The line up to the cursor, and the cursor as a character offset: `rl_point` counts bytes.
private func lineBeforeCursor() -> (line: String, cursor: Int) {
  guard let buffer = rl_line_buffer else { return ("", 0) }
  let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(max(0, rl_point)))
  let line = String(decoding: bytes, as: UTF8.self)
  return (line, line.count)
}

/// Readline's word-break hook: what ends the word being completed depends on where the cursor
/// is (inside a string a file name may hold spaces and dashes).
private func wordBreakHook() -> UnsafeMutablePointer<CChar>? {
  let (line, cursor) = lineBeforeCursor()
  let breaks = completionContext(line, cursor).wordBreaks
  if let pointer = wordBreakStrings[breaks] { return pointer }
  let pointer = strdup(breaks)
  wordBreakStrings[breaks] = pointer
  return pointer
}

/// Readline's completion entry: decides the candidates from the whole line up to the cursor,
/// and never falls back to readline's own file-name completion.
private func attemptedCompletion(
  _ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32
) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
  rl_attempted_completion_over = 1
  let (line, cursor) = lineBeforeCursor()
  // A file name is left open: no closing quote and no space, so a directory can be entered
  // and a name extended.
  if completionContext(line, cursor).kind == .fileName { rl_completion_suppress_append = 1 }
  completionMatches = completionSource(line, cursor)
  completionIndex = 0
  guard let text, !completionMatches.isEmpty else { return nil }
  return rl_completion_matches(text, completionGenerator)
}

/// Readline's completion generator: returns the matches `attemptedCompletion` found, one per
/// call, `strdup`'d because readline frees them, then nil.
private func completionGenerator(
  _ text: UnsafePointer<CChar>?, _ state: Int32
) -> UnsafeMutablePointer<CChar>? {
  if state == 0 { completionIndex = 0 }
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
  /// The history file is not a regular file: it is neither read nor written.
  private var historyRefused = false

  /// `completions` gives the candidates for the word ending at the cursor, from the line up
  /// to it and the cursor's character offset; `context` says what kind of word that is and
  /// which characters end it.
  init(
    historyPath: String,
    completions: @escaping (String, Int) -> [String],
    context: @escaping (String, Int) -> (kind: Interpreter.CompletionKind, wordBreaks: String)
  ) {
    self.historyPath = historyPath
    completionSource = completions
    completionContext = context
    // Readline's own SIGINT handler re-raises the signal and ends the process.
    rl_catch_signals = 0
    rl_readline_name = UnsafePointer(strdup("nn"))
    rl_attempted_completion_function = attemptedCompletion
    rl_completion_word_break_hook = wordBreakHook
    stifle_history(Int32(Self.historyLimit))
    // An entry may span lines: timestamps mark where each entry starts in the file, and
    // reading joins the lines between two of them back into one entry.
    history_write_timestamps = 1
    history_multiline_entries = 1
    // A FIFO or a device as the history file would block readline's open or read forever:
    // such a path is refused once, and the session runs without saving its history.
    if let refusal = FileKind.refusal(atPath: historyPath) {
      warnedAboutHistory = true
      historyRefused = true
      StandardStreams.writeError("warning: cannot use the history file '\(historyPath)': "
                                   + "\(refusal); history will not be saved\n")
      return
    }
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

  /// Adds `line` (a whole entry, newlines included) to the history and saves it; blank lines
  /// and repeats of the previous entry are left out. An unwritable file is reported once, and
  /// the session goes on.
  func remember(_ line: String) {
    guard !line.trimmingCharacters(in: .whitespaces).isEmpty, line != lastEntry else { return }
    lastEntry = line
    add_history(line)
    // Looked at again before each write: the path may have become a FIFO since.
    if !historyRefused, FileKind.refusal(atPath: historyPath) != nil { historyRefused = true }
    if historyRefused || write_history(historyPath) != 0, !warnedAboutHistory {
      warnedAboutHistory = true
      StandardStreams.writeError(
        "warning: cannot write the history file '\(historyPath)'; history will not be saved\n")
    }
  }
}
