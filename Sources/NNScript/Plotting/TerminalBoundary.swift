/// A decision boundary as text: each cell of the plane is a shade of its predicted class
/// (blank where the model is unsure, a light glyph where it leans, a dense one where it is
/// sure), the data points on top as their class's mark, and `!` where the model gets a point
/// wrong. Small multiples sit side by side, three to a row.
///
/// ```
///       model@50: 3 of 200 wrong
///   1.2 ┌──────────────────────┐
///       │░░░░░░░o░░   ▓▓▓x▓▓▓▓▓│
///  -1.2 └──────────────────────┘
///       -1.5                 1.5
/// ```
struct TerminalBoundary {
  let boundary: DecisionBoundary

  /// (leaning, sure) glyphs of each class, taken in turn.
  static let shades: [(Character, Character)] = [
    ("·", "░"), (":", "▓"), ("-", "▒"), ("=", "█"),
  ]
  /// The data points' marks by true class, taken in turn.
  static let marks: [Character] = ["o", "x", "+", "*", "#", "%"]

  func render() -> String {
    let b = boundary
    let yLabels = [label(b.yRange.upperBound), label(b.yRange.lowerBound)]
    let labelWidth = yLabels.map(\.count).max() ?? 0
    let panelWidth = labelWidth + 1 + b.columns + 2
    var lines: [String] = []
    if let title = b.title { lines.append(singleLine(title)) }
    for start in stride(from: 0, to: b.panels.count, by: b.perRow) {
      let row = b.panels[start..<min(start + b.perRow, b.panels.count)]
      let blocks = row.map { panel($0, labelWidth: labelWidth) }
      for line in 0..<(blocks.first?.count ?? 0) {
        let joined = blocks.map { pad($0[line], to: panelWidth) }.joined(separator: "  ")
        lines.append(joined)
      }
    }
    lines.append(legend())
    return lines.map(trimmed).map { $0 + "\n" }.joined()
  }

  /// One panel's lines: caption, frame with the shaded plane, x range below.
  private func panel(_ panel: DecisionBoundary.Panel, labelWidth: Int) -> [String] {
    let b = boundary
    var cells = (0..<b.rows).map { row in
      (0..<b.columns).map { column -> Character in
        let index = row * b.columns + column
        let shade = Self.shades[panel.classes[index] % Self.shades.count]
        let sure = panel.confidence[index]
        return sure < 1.0 / 3 ? " " : sure < 2.0 / 3 ? shade.0 : shade.1
      }
    }
    // Wrong points last, so that a cell holding both shows the mistake.
    let order = b.points.indices.sorted {
      (b.points[$0].label == panel.predicted[$0] ? 0 : 1)
        < (b.points[$1].label == panel.predicted[$1] ? 0 : 1)
    }
    for index in order {
      let point = b.points[index]
      guard let (column, row) = cell(of: point) else { continue }
      cells[row][column] = point.label == panel.predicted[index] ? mark(point.label) : "!"
    }
    let pad = String(repeating: " ", count: labelWidth)
    let top = label(b.yRange.upperBound)
    let bottom = label(b.yRange.lowerBound)
    var lines = [pad + "  " + singleLine(caption(panel))]
    lines.append(String(repeating: " ", count: labelWidth - top.count) + top + " ┌"
                 + String(repeating: "─", count: b.columns) + "┐")
    for row in cells { lines.append(pad + " │" + String(row) + "│") }
    lines.append(String(repeating: " ", count: labelWidth - bottom.count) + bottom + " └"
                 + String(repeating: "─", count: b.columns) + "┘")
    let left = label(b.xRange.lowerBound)
    let right = label(b.xRange.upperBound)
    let gap = max(b.columns + 2 - left.count - right.count, 1)
    lines.append(pad + " " + left + String(repeating: " ", count: gap) + right)
    return lines
  }

  private func caption(_ panel: DecisionBoundary.Panel) -> String {
    let wrong = boundary.errors(panel)
    return "\(panel.title): \(wrong) of \(boundary.points.count) wrong"
  }

  /// The grid cell a data point falls in, or nil outside the plane.
  private func cell(of point: (x: Double, y: Double, label: Int)) -> (Int, Int)? {
    let b = boundary
    let fx = (point.x - b.xRange.lowerBound) / (b.xRange.upperBound - b.xRange.lowerBound)
    let fy = (b.yRange.upperBound - point.y) / (b.yRange.upperBound - b.yRange.lowerBound)
    guard fx.isFinite, fy.isFinite, (0...1).contains(fx), (0...1).contains(fy) else {
      return nil
    }
    return (min(Int(fx * Double(b.columns)), b.columns - 1),
            min(Int(fy * Double(b.rows)), b.rows - 1))
  }

  private func mark(_ label: Int) -> Character {
    Self.marks[((label % Self.marks.count) + Self.marks.count) % Self.marks.count]
  }

  private func legend() -> String {
    var entries: [String] = []
    for c in 0..<boundary.classes {
      let shade = Self.shades[c % Self.shades.count]
      entries.append("\(mark(c))\(shade.1)\(shade.0) class \(c)")
    }
    entries.append("! wrong")
    entries.append("blank: unsure")
    return entries.joined(separator: "   ")
  }

  private func label(_ value: Double) -> String { SVGChart.number(value) }

  private func pad(_ line: String, to width: Int) -> String {
    line + String(repeating: " ", count: max(width - line.count, 0))
  }

  private func trimmed(_ line: String) -> String {
    var line = Substring(line)
    while line.last == " " { line = line.dropLast() }
    return String(line)
  }
}
