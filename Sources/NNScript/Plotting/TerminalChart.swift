/// A chart drawn as text: braille lines in a plot area of `width`×`height` cells, a y axis with
/// labelled ticks on the left, an x axis below, the title centred above and a legend below.
/// Colour is never used (the host's output may not be a terminal), so each series has its own
/// dot pattern (`LinePattern`), shown beside its label in the legend.
///
/// ```
///             loss
///  1.0 ┤⠑⠢⣀
///  0.5 ┤   ⠉⠒⠤⣀⣀
///  0.0 ┤        ⠉⠉⠉
///      └┬────┬────┬
///       1    5    10
/// ```
struct TerminalChart {
  let chart: Chart
  let width: Int
  let height: Int

  /// The chart as lines of text, each ending in a line break, without trailing spaces.
  func render() -> String {
    guard let bounds = chart.bounds else { return "" }
    let xScale = Ticks.scale(
      lower: bounds.x.lowerBound, upper: bounds.x.upperBound,
      maximum: min(6, max(3, width / 8)), loose: false, integers: chart.integerX)
    // A tick every second row or more, so labels never crowd; three even in a short chart.
    let yScale = chart.yScale(maximum: min(6, max(3, (height + 1) / 2)))
    var canvas = BrailleCanvas(columns: width, rows: height)
    for (index, series) in chart.series.enumerated() {
      draw(series, pattern: .forSeries(index), on: &canvas, xScale: xScale, yScale: yScale)
    }

    let tickRows = self.tickRows(yScale, canvas: canvas)
    let labelWidth = yScale.labels.map(\.count).max() ?? 0
    let plotStart = labelWidth + 2
    let totalWidth = plotStart + width
    var lines: [String] = []
    if let title = chart.title {
      lines.append(Self.centred(singleLine(title), in: 0..<totalWidth))
    }
    if let yLabel = chart.yLabel { lines.append(singleLine(yLabel)) }
    for row in 0..<height {
      let label = tickRows[row].map { yScale.labels[$0] } ?? ""
      let padding = String(repeating: " ", count: labelWidth - label.count)
      lines.append(padding + label + " " + (tickRows[row] == nil ? "│" : "┤") + canvas.line(row))
    }
    let tickColumns = xScale.ticks.map { column(of: $0, scale: xScale, canvas: canvas) }
    var axis = Array(repeating: Character("─"), count: width)
    for column in tickColumns { axis[column] = "┬" }
    lines.append(String(repeating: " ", count: labelWidth + 1) + "└" + String(axis))
    lines.append(Self.xTickLabels(xScale.labels, at: tickColumns.map { $0 + plotStart }))
    if let xLabel = chart.xLabel {
      lines.append(Self.centred(singleLine(xLabel), in: plotStart..<totalWidth))
    }
    lines += legend(startingAt: plotStart, width: width)
    return lines.map(Self.trimmingTrailingSpaces).map { $0 + "\n" }.joined()
  }

  // MARK: - Drawing

  private func draw(
    _ series: ChartSeries, pattern: LinePattern, on canvas: inout BrailleCanvas,
    xScale: AxisScale, yScale: AxisScale
  ) {
    var pen = Pen(pattern)
    for run in series.runs {
      let dots = run.map { dot(x: $0.x, y: $0.y, xScale: xScale, yScale: yScale, canvas: canvas) }
      // A point on its own between gaps is always shown, whatever the pattern, as a short
      // dash across its cell (one dot is easy to miss).
      if dots.count == 1 {
        let left = dots[0].x - dots[0].x % 2
        canvas.set(x: left, y: dots[0].y)
        canvas.set(x: left + 1, y: dots[0].y)
      }
      for index in dots.indices.dropFirst() {
        canvas.line(from: dots[index - 1], to: dots[index], pen: &pen, skipStart: index > 1)
      }
    }
  }

  /// The dot a data point falls on (y from the top).
  private func dot(
    x: Double, y: Double, xScale: AxisScale, yScale: AxisScale, canvas: BrailleCanvas
  ) -> (x: Int, y: Int) {
    let column = (xScale.fraction(x) * Double(canvas.dotWidth - 1)).rounded()
    let row = (yScale.fraction(y) * Double(canvas.dotHeight - 1)).rounded()
    return (Int(column), canvas.dotHeight - 1 - Int(row))
  }

  /// The cell column a tick on the x axis falls in.
  private func column(of tick: Double, scale: AxisScale, canvas: BrailleCanvas) -> Int {
    Int((scale.fraction(tick) * Double(canvas.dotWidth - 1)).rounded()) / 2
  }

  /// For each row of cells, the index of the y tick it shows, if any; where two ticks share a
  /// row (a short chart), the first keeps it.
  private func tickRows(_ scale: AxisScale, canvas: BrailleCanvas) -> [Int?] {
    var rows = [Int?](repeating: nil, count: height)
    for (index, tick) in scale.ticks.enumerated() {
      let dotRow = canvas.dotHeight - 1
        - Int((scale.fraction(tick) * Double(canvas.dotHeight - 1)).rounded())
      let row = min(max(dotRow / 4, 0), height - 1)
      if rows[row] == nil { rows[row] = index }
    }
    return rows
  }

  // MARK: - Text around the plot

  /// Each label centred under its tick; one that would touch the label before it is left out.
  static func xTickLabels(_ labels: [String], at columns: [Int]) -> String {
    var line = ""
    for (label, column) in zip(labels, columns) {
      let start = max(column - (label.count - 1) / 2, 0)
      let gap = line.isEmpty ? start : start - line.count - 1
      guard gap >= 0 else { continue }
      line += String(repeating: " ", count: start - line.count) + label
    }
    return line
  }

  /// "⠤⠤⠤⠤ loss   ⠄⠄⠄⠄ val_loss", broken into lines no wider than the plot where it is long.
  private func legend(startingAt start: Int, width: Int) -> [String] {
    let entries = chart.series.enumerated().compactMap { index, series in
      series.label.map { LinePattern.forSeries(index).sample + " " + singleLine($0) }
    }
    guard !entries.isEmpty else { return [] }
    let indent = String(repeating: " ", count: start)
    var lines: [String] = []
    var current = ""
    for entry in entries {
      if !current.isEmpty, current.count + 3 + entry.count > width {
        lines.append(indent + current)
        current = ""
      }
      current += (current.isEmpty ? "" : "   ") + entry
    }
    lines.append(indent + current)
    return lines
  }

  /// `text` centred over the columns `span`, or starting at its left edge when it is wider.
  static func centred(_ text: String, in span: Range<Int>) -> String {
    let start = span.lowerBound + max(span.count - text.count, 0) / 2
    return String(repeating: " ", count: start) + text
  }

  static func trimmingTrailingSpaces(_ line: String) -> String {
    var line = Substring(line)
    while line.last == " " { line = line.dropLast() }
    return String(line)
  }
}
