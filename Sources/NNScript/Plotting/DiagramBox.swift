/// A box of a network's diagram: lines of text, a rule above the lines from `ruleBefore` on
/// (the updates under a layer's errors), and the boxes of a block's layers chained inside it.
struct DiagramBox {
  var lines: [String]
  var ruleBefore: Int? = nil
  var children: [DiagramBox] = []

  /// The widest line, in characters, the children's borders and margins included.
  var naturalWidth: Int {
    let own = lines.map(\.count).max() ?? 0
    let inner = children.map(\.naturalWidth).max().map { $0 + 2 * Self.childIndent } ?? 0
    return max(own, inner)
  }

  /// Cells (or, in an SVG, steps of indentation) between a box's side and a child's.
  static let childIndent = 2
}

extension NetworkDiagram {
  /// The forward chain: the input, then each layer (a block's layers inside it).
  var forwardBoxes: [DiagramBox] {
    [DiagramBox(lines: [inputLine])] + Self.forwardBoxes(layers)
  }

  /// The backward chain, read from the loss back to the first layer: each layer's δ, its
  /// gradients and its updates (a block's layers inside it, also last first).
  var backwardBoxes: [DiagramBox] {
    [DiagramBox(lines: lossLines)] + layers.reversed().map(Self.backwardBox)
  }

  /// A layer's forward line with its columns aligned across `layers`.
  private static func forwardBoxes(_ layers: [DiagramLayer]) -> [DiagramBox] {
    let widths = (0..<4).map { column in layers.map { $0.columns[column].count }.max() ?? 0 }
    return layers.map { layer in
      let cells = layer.columns.enumerated().map { column, cell in
        cell + String(repeating: " ", count: widths[column] - cell.count)
      }
      return DiagramBox(lines: [cells.joined(separator: "  ").trimmingTrailingSpaces],
                        children: forwardBoxes(layer.inner))
    }
  }

  private static func backwardBox(_ layer: DiagramLayer) -> DiagramBox {
    let updates = layer.updates
    return DiagramBox(
      lines: layer.errorLines + updates,
      ruleBefore: updates.isEmpty ? nil : layer.errorLines.count,
      children: layer.inner.reversed().map(backwardBox))
  }
}
