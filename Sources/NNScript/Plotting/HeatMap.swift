import NNRuntime

/// `plot(confusion)`: the confusion matrix as a heat map, true classes down the left, predicted
/// classes along the top (in an SVG, along the bottom), each cell holding its count and shaded
/// by it: in the output with the shade characters ░▒▓█ (a quarter of the largest count each,
/// blank for none), in an SVG from white to dark blue (matplotlib's "Blues").
struct HeatMap: Picture {
  let confusion: ConfusionObject
  let title: String?

  private static let shades: [Character] = [" ", "░", "▒", "▓", "█"]
  /// The ends of the SVG's colour scale: no rows, and the largest count.
  private static let lightest = (247.0, 251.0, 255.0)
  private static let darkest = (8.0, 48.0, 107.0)

  private var largest: Int { confusion.counts.flatMap { $0 }.max() ?? 0 }

  /// A count's share of the largest, from 0 to 1.
  private func share(_ count: Int) -> Double {
    largest == 0 ? 0 : Double(count) / Double(largest)
  }

  /// The table of shaded cells; its size follows the labels, so `width` and `height` are not
  /// used.
  func terminal(width: Int, height: Int) -> String {
    let names = confusion.labels.map(singleLine)
    let counts = confusion.counts
    let rowWidth = max(names.map(\.count).max() ?? 0, 4)
    let digits = String(largest).count
    let cellWidth = max(names.map(\.count).max() ?? 0, digits + 4, 5)
    let start = rowWidth + 2
    let cellsWidth = counts.count * (cellWidth + 1) - 1
    func padded(_ text: String) -> String {
      String(repeating: " ", count: rowWidth - text.count) + text
    }
    func centred(_ text: String, fill: Character = " ") -> String {
      let left = (cellWidth - text.count) / 2
      return String(repeating: fill, count: left) + text
        + String(repeating: fill, count: cellWidth - text.count - left)
    }
    var lines: [String] = []
    if let title {
      lines.append(TerminalChart.centred(singleLine(title), in: 0..<(start + cellsWidth)))
    }
    lines.append(TerminalChart.centred("predicted", in: start..<(start + cellsWidth)))
    lines.append(padded("true") + "  " + names.map { centred($0) }.joined(separator: " "))
    for (row, name) in names.enumerated() {
      let cells = counts[row].map { count -> String in
        let level = count == 0 ? 0 : min(4, max(1, Int((4 * share(count)).rounded(.up))))
        return centred(count == 0 ? "0" : " \(count) ", fill: Self.shades[level])
      }
      lines.append(padded(name) + "  " + cells.joined(separator: " "))
    }
    lines.append(caption)
    lines.append("░ ▒ ▓ █: up to a quarter, half, three quarters, all of the largest count "
      + "(\(largest))")
    return lines.map(TerminalChart.trimmingTrailingSpaces).map { $0 + "\n" }.joined()
  }

  /// "30 rows, 26 on the diagonal (accuracy 0.867)".
  private var caption: String {
    let total = confusion.total
    let accuracy = total == 0 ? 0 : Double(confusion.correct) / Double(total)
    return "\(counted(total, "row")), \(confusion.correct) on the diagonal (accuracy "
      + "\(ROCChart.rounded(accuracy)))"
  }

  func svg(width: Int, height: Int) -> String {
    let names = confusion.labels
    let chart = SVGChart(
      chart: Chart(series: [], title: title, xLabel: "predicted", yLabel: "true",
                   integerX: true),
      width: width, height: height)
    let labelWidth = Double(names.map(\.count).max() ?? 0) * SVGChart.characterWidth
    let frame = SVGChart.Frame(
      left: 48 + labelWidth, top: title == nil ? 20 : 44, right: Double(width) - 24,
      bottom: Double(height) - 58)
    let k = Double(max(names.count, 1))
    let (cellWidth, cellHeight) = ((frame.right - frame.left) / k, (frame.bottom - frame.top) / k)
    var cells = [#"<g class="cells" stroke="white" stroke-width="1">"#]
    var counts = [#"<g class="counts" text-anchor="middle">"#]
    for (row, values) in confusion.counts.enumerated() {
      for (column, count) in values.enumerated() {
        let x = frame.left + Double(column) * cellWidth
        let y = frame.top + Double(row) * cellHeight
        cells.append(#"<rect x="\#(SVGChart.number(x))" y="\#(SVGChart.number(y))" "#
          + #"width="\#(SVGChart.number(cellWidth))" "#
          + #"height="\#(SVGChart.number(cellHeight))" fill="\#(colour(share(count)))"/>"#)
        let ink = share(count) > 0.5 ? "white" : "#333333"
        counts.append(#"<text x="\#(SVGChart.number(x + cellWidth / 2))" "#
          + #"y="\#(SVGChart.number(y + cellHeight / 2 + 4))" fill="\#(ink)">\#(count)</text>"#)
      }
    }
    var labels = [##"<g fill="#333333" text-anchor="middle">"##]
    for (column, name) in names.enumerated() {
      labels.append(chart.text(
        name, x: SVGChart.number(frame.left + (Double(column) + 0.5) * cellWidth),
        y: SVGChart.number(frame.bottom + 19)))
    }
    labels += ["</g>", ##"<g fill="#333333" text-anchor="end">"##]
    for (row, name) in names.enumerated() {
      labels.append(chart.text(
        name, x: SVGChart.number(frame.left - 8),
        y: SVGChart.number(frame.top + (Double(row) + 0.5) * cellHeight + 4)))
    }
    return SVGChart.document(
      width: width, height: height,
      cells + ["</g>"] + counts + ["</g>"] + labels + ["</g>"] + chart.captions(frame))
  }

  /// The colour `share` of the way from the lightest to the darkest, as `#rrggbb`.
  private func colour(_ share: Double) -> String {
    let channels = [
      (Self.lightest.0, Self.darkest.0), (Self.lightest.1, Self.darkest.1),
      (Self.lightest.2, Self.darkest.2),
    ]
    return "#" + channels.map { light, dark in
      let value = Int((light + (dark - light) * share).rounded())
      let hex = String(value, radix: 16)
      return hex.count == 1 ? "0" + hex : hex
    }.joined()
  }
}
