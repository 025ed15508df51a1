/// A network's diagram as SVG: the same boxes as in the terminal, in a monospace font so their
/// sizes follow from the characters. Forward only, one column from the input down; with the
/// backward pass, a second column beside it where each layer's δ box sits level with the
/// layer, the errors climbing from the loss (under the last layer) back to the first layer.
struct DiagramSVG {
  let diagram: NetworkDiagram

  private static let characterWidth = 7.9   // DejaVu Sans Mono at 13 px is 7.83
  private static let lineHeight = 18.0
  private static let padding = 8.0
  private static let indent = 14.0           // a block's layers inside its box
  private static let arrowGap = 26.0         // between boxes one under another
  private static let columnGap = 64.0        // between the forward and the backward column
  private static let margin = 16.0
  private static let titleHeight = 30.0
  private static let forwardColours = (fill: "#eef4fb", stroke: SVGChart.palette[0])
  private static let backwardColours = (fill: "#fdf1e7", stroke: SVGChart.palette[1])
  private static let lossColours = (fill: "#fbeaea", stroke: SVGChart.palette[3])

  /// Where everything goes, worked out once for the size and the drawing.
  private struct Layout {
    var forwardWidth = 0.0, backwardWidth = 0.0
    var rowTops: [Double] = []
    var totalY = 0.0, width = 0.0, height = 0.0
  }

  /// The size the drawing needs, in pixels, within what an SVG may be.
  var naturalSize: (width: Int, height: Int) {
    let layout = self.layout()
    return (min(max(Int(layout.width.rounded(.up)), PlotLimits.svgWidth.lowerBound),
                PlotLimits.svgWidth.upperBound),
            min(max(Int(layout.height.rounded(.up)), PlotLimits.svgHeight.lowerBound),
                PlotLimits.svgHeight.upperBound))
  }

  /// The forward column's boxes and, with the backward pass, the loss under them.
  private var forward: [DiagramBox] {
    diagram.forwardBoxes + (diagram.backward ? [DiagramBox(lines: diagram.lossLines)] : [])
  }

  /// The backward column, in the forward column's rows: none beside the input and the loss.
  private var backward: [DiagramBox?] {
    guard diagram.backward else { return [] }
    return [nil] + diagram.backwardBoxes.dropFirst().reversed() + [nil]
  }

  private func layout() -> Layout {
    var layout = Layout()
    layout.forwardWidth = max(forward.map(Self.width).max() ?? 0,
                              Double(diagram.totalLine.count) * Self.characterWidth)
    layout.backwardWidth = backward.compactMap { $0.map(Self.width) }.max() ?? 0
    var top = Self.margin + Self.titleHeight
    for (row, box) in forward.enumerated() {
      layout.rowTops.append(top)
      let besides = row < backward.count ? backward[row].map(Self.height) ?? 0 : 0
      top += max(Self.height(box), besides) + Self.arrowGap
    }
    layout.totalY = top - Self.arrowGap + 22
    layout.width = 2 * Self.margin + max(
      layout.forwardWidth + (diagram.backward ? Self.columnGap + layout.backwardWidth : 0),
      Double(diagram.title.count) * Self.characterWidth * 15 / 13)
    layout.height = layout.totalY + Self.margin
    return layout
  }

  func render(width: Int, height: Int) -> String {
    let layout = self.layout()
    let (viewWidth, viewHeight) = (n(layout.width), n(layout.height))
    var parts = [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" "#
        + #"viewBox="0 0 \#(viewWidth) \#(viewHeight)" font-family="DejaVu Sans Mono, "#
        + #"monospace" font-size="13" xml:space="preserve">"#,
      "<defs>" + Self.marker("forward", Self.forwardColours.stroke)
        + Self.marker("backward", Self.backwardColours.stroke)
        + Self.marker("saved", "#999999") + "</defs>",
      #"<rect width="\#(viewWidth)" height="\#(viewHeight)" fill="white"/>"#,
      #"<text x="\#(n(Self.margin))" y="\#(n(Self.margin + 16))" font-size="15" "#
        + #"font-weight="bold">\#(SVGChart.escape(diagram.title))</text>"#,
    ]
    let left = Self.margin
    let right = left + layout.forwardWidth + Self.columnGap
    let forward = self.forward
    let backward = self.backward
    for (row, box) in forward.enumerated() {
      let top = layout.rowTops[row]
      let colours = diagram.backward && row == forward.count - 1
        ? Self.lossColours : Self.forwardColours
      parts += draw(box, x: left, y: top, width: layout.forwardWidth, colours: colours)
      if row < forward.count - 1 {
        let x = left + layout.forwardWidth / 2
        parts.append(arrow(from: (x, top + Self.height(box)), to: (x, layout.rowTops[row + 1]),
                           kind: "forward"))
      }
      guard row < backward.count, let error = backward[row] else { continue }
      parts += draw(error, x: right, y: top, width: layout.backwardWidth,
                    colours: Self.backwardColours)
      let y = top + Self.padding + Self.lineHeight / 2
      parts.append(arrow(from: (left + layout.forwardWidth, y), to: (right, y), kind: "saved"))
      let x = right + layout.backwardWidth / 2
      if backward[row + 1] != nil {
        parts.append(arrow(from: (x, layout.rowTops[row + 1]),
                           to: (x, top + Self.height(error)), kind: "backward"))
      } else {
        // From the loss, under the last layer, across and up to the last layer's δ.
        let loss = forward[row + 1]
        let lossY = layout.rowTops[row + 1] + Self.height(loss) / 2
        parts.append(
          #"<path d="M\#(n(left + layout.forwardWidth)) \#(n(lossY)) H\#(n(x)) "#
            + #"V\#(n(top + Self.height(error)))" fill="none" "#
            + #"stroke="\#(Self.backwardColours.stroke)" stroke-width="1.5" "#
            + #"marker-end="url(#backward)"/>"#)
      }
    }
    parts.append(#"<text x="\#(n(left))" y="\#(n(layout.totalY))" font-weight="bold">"#
      + SVGChart.escape(diagram.totalLine) + "</text>")
    parts.append("</svg>")
    return parts.joined(separator: "\n") + "\n"
  }

  // MARK: - Boxes

  private static func width(_ box: DiagramBox) -> Double {
    let own = Double(box.lines.map(\.count).max() ?? 0) * characterWidth + 2 * padding
    let inner = box.children.map(width).max().map { $0 + 2 * indent } ?? 0
    return max(own, inner)
  }

  private static func height(_ box: DiagramBox) -> Double {
    var height = 2 * padding + Double(box.lines.count) * lineHeight
    if box.ruleBefore != nil { height += padding }
    if !box.children.isEmpty {
      height += box.children.map(Self.height).reduce(0, +)
        + arrowGap * Double(box.children.count - 1) + padding
    }
    return height
  }

  /// A box: its rectangle, its lines, a rule before the updates, its children's chain.
  private func draw(
    _ box: DiagramBox, x: Double, y: Double, width: Double,
    colours: (fill: String, stroke: String)
  ) -> [String] {
    var parts = [
      #"<rect x="\#(n(x))" y="\#(n(y))" width="\#(n(width))" "#
        + #"height="\#(n(Self.height(box)))" rx="6" fill="\#(colours.fill)" "#
        + #"stroke="\#(colours.stroke)" stroke-width="1.5"/>"#,
    ]
    var baseline = y + Self.padding + 13
    for (index, line) in box.lines.enumerated() {
      if index == box.ruleBefore {
        let ruleY = n(baseline - 13 + Self.padding / 2 - 2)
        parts.append(#"<line x1="\#(n(x))" y1="\#(ruleY)" x2="\#(n(x + width))" "#
          + #"y2="\#(ruleY)" stroke="\#(colours.stroke)" stroke-dasharray="4 3"/>"#)
        baseline += Self.padding
      }
      let weight = index == 0 ? #" font-weight="bold""# : ""
      parts.append(#"<text x="\#(n(x + Self.padding))" y="\#(n(baseline))"\#(weight)>"#
        + SVGChart.escape(line) + "</text>")
      baseline += Self.lineHeight
    }
    var top = baseline - 13 + Self.padding
    for (index, child) in box.children.enumerated() {
      let childWidth = max(width - 2 * Self.indent, 0)
      parts += draw(child, x: x + Self.indent, y: top, width: childWidth, colours: colours)
      top += Self.height(child)
      if index < box.children.count - 1 {
        let middle = x + width / 2
        parts.append(arrow(from: (middle, top), to: (middle, top + Self.arrowGap),
                           kind: colours == Self.forwardColours ? "forward" : "backward"))
        top += Self.arrowGap
      }
    }
    return parts
  }

  private func arrow(
    from start: (Double, Double), to end: (Double, Double), kind: String
  ) -> String {
    let colour = switch kind {
    case "forward": Self.forwardColours.stroke
    case "backward": Self.backwardColours.stroke
    default: "#999999"
    }
    let dash = kind == "saved" ? #" stroke-dasharray="4 3""# : ""
    return #"<line x1="\#(n(start.0))" y1="\#(n(start.1))" x2="\#(n(end.0))" "#
      + #"y2="\#(n(end.1))" stroke="\#(colour)" stroke-width="1.5"\#(dash) "#
      + #"marker-end="url(#\#(kind))"/>"#
  }

  /// An arrowhead `id`, drawn in `colour` at the end of a line.
  private static func marker(_ id: String, _ colour: String) -> String {
    #"<marker id="\#(id)" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" "#
      + #"markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z" "#
      + #"fill="\#(colour)"/></marker>"#
  }

  private func n(_ value: Double) -> String { SVGChart.number(value) }
}
