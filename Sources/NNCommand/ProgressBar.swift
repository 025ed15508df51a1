#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNScript

/// The live training bar on a terminal, redrawn in place after every batch:
/// `epoch 3/30 [=========>          ] 12/40  loss 0.2314  1520 samples/s  ETA 2s`
/// At the end of each epoch the bar is replaced by the epoch's line, which stays.
enum ProgressBar {
  static let width = 24
  /// Redraws at most this often: a small model runs thousands of batches a second, and a
  /// terminal that repaints for each one slows the training it reports.
  static let redrawInterval = 0.05

  /// When the bar was last drawn (updates come from the interpreter's one thread).
  nonisolated(unsafe) private static var lastDraw = 0.0
  /// Whether a bar is on screen with the cursor at its end: whatever is written next (a
  /// Ctrl-C's diagnostic, an error) must start on a fresh line instead of gluing to the bar.
  nonisolated(unsafe) private static var isMidLine = false

  /// Ends a bar left on screen by training that stopped before its epoch line.
  static func endLine() {
    guard isMidLine else { return }
    isMidLine = false
    StandardStreams.output.write("\n")
  }

  static func draw(_ update: TrainingUpdate) {
    if let line = update.epochLine {
      StandardStreams.output.write("\r" + line + "\u{1B}[K\n")
      lastDraw = 0
      isMidLine = false
      return
    }
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    let seconds = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    guard seconds - lastDraw >= redrawInterval else { return }
    lastDraw = seconds
    let done = update.batches > 0 ? Double(update.batch) / Double(update.batches) : 0
    let filled = min(width, Int(done * Double(width)))
    let bar = String(repeating: "=", count: filled)
      + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
    let text = "\repoch \(update.epoch)/\(update.epochs) [\(bar)] \(update.batch)/\(update.batches)"
      + "  loss \(compact(update.runningLoss))  \(Int(update.samplesPerSecond)) samples/s"
      + "  ETA \(compact(update.secondsLeft))s\u{1B}[K"
    StandardStreams.output.write(text)
    isMidLine = true
  }

  /// Four significant digits in the language's number form, as the epoch lines: a loss of
  /// 1.2345e-5 is `1.234e-5` (cutting `String(value)` after four characters dropped the exponent).
  private static func compact(_ value: Double) -> String { TrainingUpdate.figure(value) }
}
