/// A decision boundary as SVG: each panel a square of the plane whose cells are filled with
/// their predicted class's colour (the chart palette), more opaque where the model is surer;
/// neighbouring cells of one class and shade merge into one rectangle, so a 90×90 grid stays
/// a few hundred elements. The data are dots in their true class's colour with a white ring;
/// a misclassified point gets a black ring and a cross.
struct SVGBoundary {
  let boundary: DecisionBoundary
  let width: Int
  let height: Int

  /// Opacity levels of a cell's fill, by sureness: quantised so that runs merge.
  static let opacities = [0.08, 0.2, 0.35, 0.5]
  static let frame = "#333"

  func render() -> String {
    let b = boundary
    let across = b.perRow
    let down = (b.panels.count + across - 1) / across
    let top = b.title == nil ? 10.0 : 34.0
    let cellWidth = Double(width) / Double(across)
    let cellHeight = (Double(height) - top - 30) / Double(down)
    // Each panel: a square plot area with room for its caption and range labels.
    let side = max(min(cellWidth - 50, cellHeight - 44), 20)
    var parts = [
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" "#
        + #"viewBox="0 0 \#(width) \#(height)" font-family="sans-serif" font-size="12">"#,
      #"<rect width="100%" height="100%" fill="white"/>"#,
    ]
    if let title = b.title {
      parts.append(#"<text x="\#(n(Double(width) / 2))" y="22" text-anchor="middle" "#
                     + #"font-size="15" font-weight="bold">\#(SVGChart.escape(title))</text>"#)
    }
    for (index, panel) in b.panels.enumerated() {
      let left = Double(index % across) * cellWidth + 40
      let y = top + Double(index / across) * cellHeight + 22
      parts += self.panel(panel, left: left, top: y, side: side)
    }
    parts += legend(y: Double(height) - 12)
    parts.append("</svg>")
    return parts.joined(separator: "\n") + "\n"
  }

  private func panel(
    _ panel: DecisionBoundary.Panel, left: Double, top: Double, side: Double
  ) -> [String] {
    let b = boundary
    let wrong = b.errors(panel)
    // Crisp edges: anti-aliased neighbours would leave faint seams between the cells.
    var parts = [#"<g class="panel" shape-rendering="crispEdges">"#,
                 #"<text x="\#(n(left + side / 2))" y="\#(n(top - 6))" text-anchor="middle">"#
                   + SVGChart.escape("\(panel.title): \(wrong) of \(b.points.count) wrong")
                   + "</text>"]
    let dx = side / Double(b.columns)
    let dy = side / Double(b.rows)
    for row in 0..<b.rows {
      var column = 0
      while column < b.columns {
        let key = fill(panel, row * b.columns + column)
        var end = column + 1
        while end < b.columns, fill(panel, row * b.columns + end) == key { end += 1 }
        let colour = SVGChart.palette[key.0 % SVGChart.palette.count]
        let (x, y) = (n(left + Double(column) * dx), n(top + Double(row) * dy))
        parts.append(#"<rect x="\#(x)" y="\#(y)" "#
                       + #"width="\#(n(Double(end - column) * dx))" height="\#(n(dy))" "#
                       + #"fill="\#(colour)" fill-opacity="\#(Self.opacities[key.1])"/>"#)
        column = end
      }
    }
    parts.append(#"<g shape-rendering="auto">"#)
    parts.append(#"<rect x="\#(n(left))" y="\#(n(top))" width="\#(n(side))" "#
                   + #"height="\#(n(side))" fill="none" stroke="\#(Self.frame)"/>"#)
    for (index, point) in b.points.enumerated() {
      let fx = (point.x - b.xRange.lowerBound) / (b.xRange.upperBound - b.xRange.lowerBound)
      let fy = (b.yRange.upperBound - point.y) / (b.yRange.upperBound - b.yRange.lowerBound)
      guard fx.isFinite, fy.isFinite, (0...1).contains(fx), (0...1).contains(fy) else {
        continue
      }
      let (cx, cy) = (n(left + fx * side), n(top + fy * side))
      let colour = SVGChart.palette[max(point.label, 0) % SVGChart.palette.count]
      if point.label == panel.predicted[index] {
        parts.append(#"<circle class="point" cx="\#(cx)" cy="\#(cy)" r="3" fill="\#(colour)" "#
                       + #"stroke="white" stroke-width="0.8"/>"#)
      } else {
        parts.append(#"<circle class="wrong" cx="\#(cx)" cy="\#(cy)" r="3.5" "#
                       + #"fill="\#(colour)" stroke="black" stroke-width="1.5"/>"#)
      }
    }
    let labelY = top + side + 14
    parts.append(#"<text x="\#(n(left))" y="\#(n(labelY))">"#
                   + "\(SVGChart.number(b.xRange.lowerBound))</text>")
    parts.append(#"<text x="\#(n(left + side))" y="\#(n(labelY))" text-anchor="end">"#
                   + "\(SVGChart.number(b.xRange.upperBound))</text>")
    parts.append(#"<text x="\#(n(left - 4))" y="\#(n(top + 10))" text-anchor="end">"#
                   + "\(SVGChart.number(b.yRange.upperBound))</text>")
    parts.append(#"<text x="\#(n(left - 4))" y="\#(n(top + side))" text-anchor="end">"#
                   + "\(SVGChart.number(b.yRange.lowerBound))</text>")
    parts.append("</g></g>")
    return parts
  }

  /// A cell's class and opacity level.
  private func fill(_ panel: DecisionBoundary.Panel, _ index: Int) -> (Int, Int) {
    let level = min(Int(panel.confidence[index] * Double(Self.opacities.count)),
                    Self.opacities.count - 1)
    return (max(panel.classes[index], 0), level)
  }

  private func legend(y: Double) -> [String] {
    var parts: [String] = []
    var x = 40.0
    for c in 0..<boundary.classes {
      let colour = SVGChart.palette[c % SVGChart.palette.count]
      parts.append(#"<circle cx="\#(n(x))" cy="\#(n(y - 4))" r="4" fill="\#(colour)"/>"#)
      parts.append(#"<text x="\#(n(x + 8))" y="\#(n(y))">class \#(c)</text>"#)
      x += 70
    }
    parts.append(#"<circle cx="\#(n(x))" cy="\#(n(y - 4))" r="4" fill="white" stroke="black" "#
                   + #"stroke-width="1.5"/>"#)
    parts.append(#"<text x="\#(n(x + 8))" y="\#(n(y))">misclassified</text>"#)
    return parts
  }

  private func n(_ value: Double) -> String { SVGChart.number(value) }
}
