/// What `progress:` of `train` and `fit` asks for. On a host that draws a live bar (a terminal)
/// `true` and `"every"` both draw it; elsewhere `true` prints a sample of the epoch lines, so a
/// long run written to a file or a pipe stays readable.
enum ProgressMode: Equatable {
  /// `progress: false`: nothing.
  case off
  /// `progress: true`, the default: the bar, or at most about `sampledLines` epoch lines.
  case sampled
  /// `progress: "every"`: the bar, or one line for every epoch.
  case every

  /// How many epoch lines a sampled run prints, give or take the first and the last.
  static let sampledLines = 30

  /// Whether a run of `epochs` epochs prints the line of `epoch` (1-based) when lines are
  /// sampled: the first, every multiple of the step that leaves at most `sampledLines` of them
  /// (so `epoch 4/100`, `epoch 8/100`, …), and the last.
  static func samples(epoch: Int, of epochs: Int) -> Bool {
    let step = (epochs + sampledLines - 1) / sampledLines
    return epoch == 1 || epoch == epochs || epoch % max(step, 1) == 0
  }
}

extension CallContext {
  /// The `progress:` argument: `true`, `false` or `"every"`.
  func progressMode() throws(Diagnostic) -> ProgressMode {
    switch try require("progress") {
    case .bool(let on): return on ? .sampled : .off
    case .string("every"): return .every
    case let other:
      var shown = "a " + other.typeName
      if case .string = other { shown = ValueFormatter.describe(other) }
      if case .number = other { shown = ValueFormatter.describe(other) }
      throw error(.invalidArgument, "progress is true, false or \"every\", not \(shown)",
                  at: "progress",
                  hint: "progress: \"every\" prints every epoch's line; true prints about "
                    + "\(ProgressMode.sampledLines) of a long run when the output is not a "
                    + "terminal")
    }
  }
}
