import NNRuntime

/// What `confusion(net, data)` returns: the counts of each true class (rows) predicted as each
/// class (columns), with the classes' names. It prints as a table; `plot` draws it as a heat
/// map (`HeatMap`); `.matrix` is the counts as a `[k, k]` tensor, `.labels` the names.
final class ConfusionObject: ScriptObject {
  /// `counts[true][predicted]`.
  let counts: [[Int]]
  let labels: [String]

  init(counts: [[Int]], labels: [String]) {
    self.counts = counts
    self.labels = labels
  }

  static let memberNames = ["matrix", "labels", "n"]

  var typeName: String { "confusion" }

  /// `c.matrix`, `c.labels`, `c.n` (the rows counted).
  func member(_ name: String) -> Value? {
    switch name {
    case "matrix":
      return .tensor(Tensor(shape: [counts.count, counts.count],
                            scalars: counts.flatMap { $0.map(Float.init) }))
    case "labels": return .list(labels.map { .string($0) })
    case "n": return .number(Double(total))
    default: return nil
    }
  }

  var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

  /// The rows counted on the diagonal.
  var correct: Int { counts.indices.reduce(0) { $0 + counts[$1][$1] } }

  /// The counts in columns under the class names, rows named on the left:
  ///
  /// ```
  /// confusion (rows: true class, columns: predicted)
  ///       cat  dog
  ///  cat   12    3
  ///  dog    1   14
  /// ```
  var displayText: String {
    let names = labels.map(singleLine)
    let nameWidth = names.map(\.count).max() ?? 0
    let cellWidth = max(nameWidth, String(counts.flatMap { $0 }.max() ?? 0).count)
    func padded(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(width - text.count, 0)) + text
    }
    var lines = ["confusion (rows: true class, columns: predicted)"]
    lines.append(padded("", nameWidth) + names.map { "  " + padded($0, cellWidth) }.joined())
    for (row, name) in names.enumerated() {
      lines.append(padded(name, nameWidth)
        + counts[row].map { "  " + padded(String($0), cellWidth) }.joined())
    }
    return lines.joined(separator: "\n")
  }
}
