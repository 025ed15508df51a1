/// A chart as a standalone SVG document: white background, grid lines at the ticks, axes with
/// tick marks and labels, the title and axis labels, one path per series (a fixed palette of
/// colours and dash patterns; a gap in the data breaks the path) and a legend in the top right
/// corner of the plot. Numbers are written with at most two decimals, so the output is the same
/// on every machine.
struct SVGChart {
  let chart: Chart
  let width: Int
  let height: Int

  /// Line colours (Tableau 10, the default of matplotlib): distinct, and readable on white.
  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]
  /// Dash patterns, taken in turn, so series stay apart in grey-scale print too.
  static let dashes: [String?] = [nil, "7 4", "2 3", "8 3 2 3"]

  /// Rough width of one character at 12 px, for margins and the legend box.
  static let characterWidth = 7.0

  /// The plot area, in pixels from the top left corner.
  struct Frame {
    var left: Double, top: Double, right: Double, bottom: Double
  }

  func render() -> String {
    guard chart.bounds != nil else { return "" }
    return Self.document(width: width, height: height, elements())
  }

  /// The chart's elements without the document around them, so that a picture can place
  /// charts side by side (`ROCChart`).
  func elements() -> [String] {
    guard let bounds = chart.bounds else { return [] }
    let xScale = Ticks.scale(lower: bounds.x.lowerBound, upper: bounds.x.upperBound,
                             maximum: 8, loose: false, integers: chart.integerX)
    let yScale = chart.yScale(maximum: 6)
    let frame = frame(yScale: yScale)
    var parts = grid(frame, xScale: xScale, yScale: yScale)
    parts += axes(frame, xScale: xScale, yScale: yScale)
    parts += captions(frame)
    for (index, series) in chart.series.enumerated() {
      parts += path(series, index: index, frame: frame, xScale: xScale, yScale: yScale)
    }
    return parts + legend(frame)
  }

  /// A standalone SVG document of `width`×`height` pixels on white, holding `elements`.
  static func document(width: Int, height: Int, _ elements: [String]) -> String {
    let parts = [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" "#
        + #"viewBox="0 0 \#(width) \#(height)" font-family="sans-serif" font-size="12">"#,
      #"<rect width="\#(width)" height="\#(height)" fill="white"/>"#,
    ] + elements + ["</svg>"]
    return parts.joined(separator: "\n") + "\n"
  }

  /// The plot area: room on the left for the y scale's labels and the y label, above for the
  /// title, below for the x labels.
  func frame(yScale: AxisScale) -> Frame {
    let labelWidth = Double(yScale.labels.map(\.count).max() ?? 0) * Self.characterWidth
    return Frame(
      left: 18 + labelWidth + (chart.yLabel == nil ? 0 : 22),
      top: chart.title == nil ? 20 : 44,
      right: Double(width) - 24,
      bottom: Double(height) - (chart.xLabel == nil ? 36 : 58))
  }

  // MARK: - Parts

  func grid(_ frame: Frame, xScale: AxisScale, yScale: AxisScale) -> [String] {
    var lines = [##"<g stroke="#e5e5e5" stroke-width="1" shape-rendering="crispEdges">"##]
    for tick in xScale.ticks {
      let x = Self.number(xPosition(tick, frame, xScale))
      lines.append(line(x, Self.number(frame.top), x, Self.number(frame.bottom)))
    }
    for tick in yScale.ticks {
      let y = Self.number(yPosition(tick, frame, yScale))
      lines.append(line(Self.number(frame.left), y, Self.number(frame.right), y))
    }
    return lines + ["</g>"]
  }

  func axes(_ frame: Frame, xScale: AxisScale, yScale: AxisScale) -> [String] {
    let (left, bottom) = (Self.number(frame.left), Self.number(frame.bottom))
    var lines = [
      ##"<g stroke="#333333" stroke-width="1" shape-rendering="crispEdges">"##,
      line(left, Self.number(frame.top), left, bottom),
      line(left, bottom, Self.number(frame.right), bottom),
    ]
    var labels = [##"<g fill="#333333" text-anchor="middle">"##]
    for (tick, label) in zip(xScale.ticks, xScale.labels) {
      let x = Self.number(xPosition(tick, frame, xScale))
      lines.append(line(x, bottom, x, Self.number(frame.bottom + 5)))
      labels.append(text(label, x: x, y: Self.number(frame.bottom + 19)))
    }
    labels += ["</g>", ##"<g fill="#333333" text-anchor="end">"##]
    for (tick, label) in zip(yScale.ticks, yScale.labels) {
      let y = yPosition(tick, frame, yScale)
      lines.append(line(Self.number(frame.left - 5), Self.number(y), left, Self.number(y)))
      labels.append(text(label, x: Self.number(frame.left - 8), y: Self.number(y + 4)))
    }
    return lines + ["</g>"] + labels + ["</g>"]
  }

  /// The title above the plot and the axis labels beside it, each centred on the plot.
  func captions(_ frame: Frame) -> [String] {
    let middleX = Self.number((frame.left + frame.right) / 2)
    let middleY = Self.number((frame.top + frame.bottom) / 2)
    var lines: [String] = []
    if let title = chart.title {
      lines.append(#"<text x="\#(middleX)" y="28" text-anchor="middle" font-size="16" "#
        + #"font-weight="bold">\#(Self.escape(title))</text>"#)
    }
    if let xLabel = chart.xLabel {
      lines.append(#"<text x="\#(middleX)" y="\#(Self.number(frame.bottom + 42))" "#
        + #"text-anchor="middle">\#(Self.escape(xLabel))</text>"#)
    }
    if let yLabel = chart.yLabel {
      lines.append(#"<text transform="translate(18 \#(middleY)) rotate(-90)" "#
        + #"text-anchor="middle">\#(Self.escape(yLabel))</text>"#)
    }
    return lines
  }

  /// One path for the series, `M` starting each run after a gap; a point alone between gaps
  /// becomes a small dot, which a path cannot draw.
  private func path(
    _ series: ChartSeries, index: Int, frame: Frame, xScale: AxisScale, yScale: AxisScale
  ) -> [String] {
    var commands: [String] = []
    var dots: [String] = []
    for run in series.runs {
      let points = run.map {
        Self.number(xPosition($0.x, frame, xScale)) + " "
          + Self.number(yPosition($0.y, frame, yScale))
      }
      if points.count == 1 {
        let (x, y) = (xPosition(run[0].x, frame, xScale), yPosition(run[0].y, frame, yScale))
        dots.append(#"<circle cx="\#(Self.number(x))" cy="\#(Self.number(y))" r="2.5"/>"#)
        continue
      }
      commands.append("M" + points[0] + " L" + points.dropFirst().joined(separator: " "))
    }
    let colour = Self.palette[index % Self.palette.count]
    var lines: [String] = []
    if !commands.isEmpty {
      let dash = Self.dashes[index % Self.dashes.count].map { #" stroke-dasharray="\#($0)""# }
      lines.append(#"<path fill="none" stroke="\#(colour)" stroke-width="2" "#
        + #"stroke-linejoin="round"\#(dash ?? "") d="\#(commands.joined(separator: " "))"/>"#)
    }
    if !dots.isEmpty {
      lines += [#"<g fill="\#(colour)">"#] + dots + ["</g>"]
    }
    return lines
  }

  /// A box in the top right corner of the plot: a stroke of each series' colour and dashes, then
  /// its label. Nothing when no series has a label.
  private func legend(_ frame: Frame) -> [String] {
    let entries = chart.series.enumerated().compactMap { index, series in
      series.label.map { (index, $0) }
    }
    guard !entries.isEmpty else { return [] }
    let longest = Double(entries.map(\.1.count).max() ?? 0)
    let boxWidth = 44 + longest * Self.characterWidth
    let boxHeight = 8 + 18 * Double(entries.count)
    let left = frame.right - boxWidth - 8
    let top = frame.top + 8
    var lines = [
      #"<g class="legend">"#,
      #"<rect x="\#(Self.number(left))" y="\#(Self.number(top))" "#
        + #"width="\#(Self.number(boxWidth))" height="\#(Self.number(boxHeight))" "#
        + ##"fill="white" fill-opacity="0.85" stroke="#cccccc"/>"##,
    ]
    for (row, (index, label)) in entries.enumerated() {
      let y = top + 13 + 18 * Double(row)
      let colour = Self.palette[index % Self.palette.count]
      let dash = Self.dashes[index % Self.dashes.count].map { #" stroke-dasharray="\#($0)""# }
      lines.append(#"<line x1="\#(Self.number(left + 8))" y1="\#(Self.number(y))" "#
        + #"x2="\#(Self.number(left + 32))" y2="\#(Self.number(y))" stroke="\#(colour)" "#
        + #"stroke-width="2"\#(dash ?? "")/>"#)
      lines.append(text(label, x: Self.number(left + 38), y: Self.number(y + 4)))
    }
    return lines + ["</g>"]
  }

  // MARK: - Helpers

  func xPosition(_ x: Double, _ frame: Frame, _ scale: AxisScale) -> Double {
    frame.left + scale.fraction(x) * (frame.right - frame.left)
  }

  func yPosition(_ y: Double, _ frame: Frame, _ scale: AxisScale) -> Double {
    frame.bottom - scale.fraction(y) * (frame.bottom - frame.top)
  }

  func line(_ x1: String, _ y1: String, _ x2: String, _ y2: String) -> String {
    #"<line x1="\#(x1)" y1="\#(y1)" x2="\#(x2)" y2="\#(y2)"/>"#
  }

  func text(_ content: String, x: String, y: String) -> String {
    #"<text x="\#(x)" y="\#(y)">\#(Self.escape(content))</text>"#
  }

  /// A coordinate with at most two decimals and no trailing zeros (`12.5`, `300`, `-0.25`).
  static func number(_ value: Double) -> String {
    let hundredths = (value * 100).rounded()
    guard hundredths.isFinite, abs(hundredths) < 1e15, hundredths != 0 else { return "0" }
    var text = Ticks.positional(Int(hundredths), -2)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }

  /// Text safe inside an element or an attribute: markup characters become entities, and the
  /// characters XML 1.0 forbids (control characters, U+FFFE, U+FFFF) become spaces.
  static func escape(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
        escaped += " "
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }
}
