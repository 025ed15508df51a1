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

extension ProgressMode {
  /// The mode a `progress:` value asks for, or nil when it is none of `true`, `false` and
  /// `"every"`.
  init?(_ value: Value) {
    switch value {
    case .bool(let on): self = on ? .sampled : .off
    case .string("every"): self = .every
    default: return nil
    }
  }

  /// What is wrong with a `progress:` value that is not a mode, as the binder and `nn check`
  /// report it.
  static func problem(_ value: Value) -> SignatureCheck.Problem {
    var shown = "a " + value.typeName
    if case .string = value { shown = ValueFormatter.describe(value) }
    if case .number = value { shown = ValueFormatter.describe(value) }
    return SignatureCheck.Problem(
      .invalidArgument, "progress is true, false or \"every\", not \(shown)",
      hint: "progress: \"every\" prints every epoch's line; true prints about "
        + "\(sampledLines) of a long run when the output is not a terminal")
  }
}

extension CallContext {
  /// The `progress:` argument, which the binder has checked.
  func progressMode() throws(Diagnostic) -> ProgressMode {
    let value = try require("progress")
    guard let mode = ProgressMode(value) else {
      let problem = ProgressMode.problem(value)
      throw error(problem.code, problem.message, at: "progress", hint: problem.hint)
    }
    return mode
  }
}
