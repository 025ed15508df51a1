/// A network's diagram in box-drawing characters: the forward chain top to bottom, arrows
/// between the boxes, a block's layers in a chain inside its box, the total under the last
/// box; with the backward pass, its chain after that, from the loss back to the first layer.
struct DiagramTerminal {
  let diagram: NetworkDiagram
  /// The boxes' outer width in cells; a line too long for it ends in "…".
  let width: Int

  /// The outer width that fits every line of both chains.
  static func naturalWidth(_ diagram: NetworkDiagram) -> Int {
    let boxes = diagram.forwardBoxes + (diagram.backward ? diagram.backwardBoxes : [])
    let widest = boxes.map(\.naturalWidth).max() ?? 0
    return max(widest, diagram.totalLine.count, diagram.title.count,
               diagram.backward ? Self.backwardTitle.count : 0) + 4
  }

  /// The narrowest box: its walls, margins and one character.
  private static let narrowest = 5

  /// The line above the backward chain.
  static let backwardTitle = "backward: δ flows from the loss back, layer by layer"

  func render() -> String {
    var lines = [fitted(diagram.title, width)]
    lines += chain(diagram.forwardBoxes, width: width)
    lines.append(fitted(diagram.totalLine, width))
    if diagram.backward {
      lines += ["", fitted(Self.backwardTitle, width)]
      lines += chain(diagram.backwardBoxes, width: width)
    }
    return lines.map { $0.trimmingTrailingSpaces + "\n" }.joined()
  }

  /// Boxes one under another, each joined to the next by an arrow from its bottom edge.
  private func chain(_ boxes: [DiagramBox], width: Int) -> [String] {
    let middle = (width - 1) / 2
    var lines: [String] = []
    for (index, box) in boxes.enumerated() {
      var drawn = self.box(box, width: width)
      if index < boxes.count - 1 {
        drawn[drawn.count - 1] = replacing(drawn[drawn.count - 1], at: middle, with: "┬")
        drawn.append(String(repeating: " ", count: middle) + "▼")
      }
      lines += drawn
    }
    return lines
  }

  /// One box `width` cells wide: its lines, a rule before its updates, its children's chain.
  private func box(_ box: DiagramBox, width: Int) -> [String] {
    // Blocks nested deeper than the width allows stick out of their parents rather than vanish.
    let width = max(width, Self.narrowest)
    let inner = width - 4
    var lines = ["┌" + String(repeating: "─", count: width - 2) + "┐"]
    for (index, line) in box.lines.enumerated() {
      if index == box.ruleBefore {
        lines.append("├" + String(repeating: "─", count: width - 2) + "┤")
      }
      lines.append("│ " + padded(fitted(line, inner), inner) + " │")
    }
    if !box.children.isEmpty {
      let indent = String(repeating: " ", count: DiagramBox.childIndent - 1)
      let childWidth = width - 2 - 2 * (DiagramBox.childIndent - 1)
      for line in chain(box.children, width: childWidth) {
        lines.append("│" + indent + padded(line, childWidth) + indent + "│")
      }
    }
    return lines + ["└" + String(repeating: "─", count: width - 2) + "┘"]
  }

  /// `text` cut to `width` characters, its end an ellipsis when cut.
  private func fitted(_ text: String, _ width: Int) -> String {
    let line = singleLine(text)
    guard line.count > width else { return line }
    return String(line.prefix(max(width - 1, 0))) + "…"
  }

  private func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(width - text.count, 0))
  }

  private func replacing(_ line: String, at offset: Int, with character: Character) -> String {
    var characters = Array(line)
    guard characters.indices.contains(offset) else { return line }
    characters[offset] = character
    return String(characters)
  }
}
