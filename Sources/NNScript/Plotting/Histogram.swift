import NNRuntime

/// `hist`'s picture: one bar per bin, as tall as its count, on a value axis spanning the bins'
/// edges and a count axis from 0. In the output each bin is one or more columns of block
/// characters (▁▂▃▄▅▆▇█, eighths of a row; more bins than columns share them); in an SVG, a
/// rectangle. A caption says how many values were binned, the bins' width, and the values left
/// out (NaN, infinities, outside a given range), which no bar shows: under the axis in the
/// output, as the x label in an SVG.
struct Histogram: Picture {
  let bins: HistogramBins
  let title: String?

  private static let blocks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

  var terminalSize: (width: Int, height: Int) { (60, 12) }

  /// The count axis: from 0 to a round number at or above the largest count drawn.
  private func countScale(_ counts: [Int], maximum: Int) -> AxisScale {
    Ticks.scale(lower: 0, upper: Double(max(counts.max() ?? 0, 1)), maximum: maximum,
                loose: true, integers: true)
  }

  /// "1000 values in 20 bins of width 0.25; not shown: 2 nan, 1 inf".
  var caption: String {
    let binned = bins.counts.reduce(0, +)
    let width = Value.float32((bins.edges[bins.edges.count - 1] - bins.edges[0])
      / Double(bins.counts.count))
    var text = "\(counted(binned, "value")) in \(counted(bins.counts.count, "bin")) of width "
      + formatNumber(width)
    let left = [
      (bins.nan, "nan"), (bins.positiveInfinity, "inf"), (bins.negativeInfinity, "-inf"),
      (bins.outside, "outside the range"),
    ].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
    if !left.isEmpty { text += "; not shown: " + left.joined(separator: ", ") }
    return text
  }

  /// `width` cells of bars: each bin gets `width / bins` columns, or where there are more bins
  /// than cells each column sums the bins it covers; `height` rows tall.
  func terminal(width: Int, height: Int) -> String {
    let count = bins.counts.count
    let columns: [Int]
    if count <= width {
      columns = bins.counts.flatMap { repeatElement($0, count: width / count) }
    } else {
      columns = (0..<width).map { column in
        bins.counts[(column * count / width)..<((column + 1) * count / width)].reduce(0, +)
      }
    }
    let plotWidth = columns.count
    let yScale = countScale(columns, maximum: min(6, max(3, (height + 1) / 2)))
    let eighths = columns.map { value -> Int in
      let scaled = Int((Double(value) / yScale.upper * Double(height * 8)).rounded())
      return value > 0 ? max(scaled, 1) : 0
    }
    // A tick on the row whose top edge is its value; 0 sits on the axis line.
    var tickRows: [Int: String] = [:]
    for (tick, label) in zip(yScale.ticks, yScale.labels) {
      let row = height - Int((tick / yScale.upper * Double(height)).rounded())
      if tickRows[row] == nil { tickRows[row] = label }
    }
    let labelWidth = yScale.labels.map(\.count).max() ?? 0
    func padded(_ label: String?) -> String {
      let label = label ?? ""
      return String(repeating: " ", count: labelWidth - label.count) + label + " "
    }
    var lines: [String] = []
    if let title {
      lines.append(TerminalChart.centred(singleLine(title),
                                         in: 0..<(labelWidth + 2 + plotWidth)))
    }
    lines.append("count")
    for row in 0..<height {
      let level = height - 1 - row
      let bars = eighths.map { Self.blocks[min(max($0 - level * 8, 0), 8)] }
      lines.append(padded(tickRows[row]) + (tickRows[row] == nil ? "│" : "┤") + String(bars))
    }
    let (low, high) = (bins.edges[0], bins.edges[count])
    let xScale = Ticks.scale(lower: low, upper: high, maximum: min(6, max(3, plotWidth / 8)),
                             loose: false)
    let tickColumns = xScale.ticks.map {
      min(Int((xScale.fraction($0) * Double(plotWidth)).rounded(.down)), plotWidth - 1)
    }
    var axis = Array(repeating: Character("─"), count: plotWidth)
    for column in tickColumns { axis[column] = "┬" }
    lines.append(padded(tickRows[height]) + "└" + String(axis))
    lines.append(TerminalChart.xTickLabels(xScale.labels,
                                           at: tickColumns.map { $0 + labelWidth + 2 }))
    lines.append(caption)
    return lines.map(TerminalChart.trimmingTrailingSpaces).map { $0 + "\n" }.joined()
  }

  func svg(width: Int, height: Int) -> String {
    let chart = SVGChart(
      chart: Chart(series: [], title: title, xLabel: caption, yLabel: "count", integerX: false),
      width: width, height: height)
    let count = bins.counts.count
    let xScale = Ticks.scale(lower: bins.edges[0], upper: bins.edges[count], maximum: 8,
                             loose: false)
    let yScale = countScale(bins.counts, maximum: 6)
    let frame = chart.frame(yScale: yScale)
    var bars = [##"<g class="bars" fill="\##(SVGChart.palette[0])" stroke="white" "##
      + ##"stroke-width="0.5">"##]
    for (index, value) in bins.counts.enumerated() where value > 0 {
      let left = chart.xPosition(bins.edges[index], frame, xScale)
      let right = chart.xPosition(bins.edges[index + 1], frame, xScale)
      let top = chart.yPosition(Double(value), frame, yScale)
      bars.append(#"<rect x="\#(SVGChart.number(left))" y="\#(SVGChart.number(top))" "#
        + #"width="\#(SVGChart.number(right - left))" "#
        + #"height="\#(SVGChart.number(frame.bottom - top))"/>"#)
    }
    return SVGChart.document(
      width: width, height: height,
      chart.grid(frame, xScale: xScale, yScale: yScale) + bars + ["</g>"]
        + chart.axes(frame, xScale: xScale, yScale: yScale) + chart.captions(frame))
  }
}
