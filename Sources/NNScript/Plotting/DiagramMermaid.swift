/// A network's diagram as Mermaid text in the seed tutorial's style: `graph TD`, rounded nodes,
/// the forward chain first; with the backward pass, each layer's error node (the layer leads
/// to it, as in the seed), the errors chained from the loss back to the first layer, and each
/// layer's weight update leading to its bias update. A block is a subgraph of its layers.
///
/// Node ids: `F1`, `F2`, … the layers (`F0` the input, `F2_1` a block's first layer), `E…`
/// their errors, `U…_1`, `U…_2` their updates, `LOSS` the loss.
struct DiagramMermaid {
  let diagram: NetworkDiagram

  func render() -> String {
    var lines = ["graph TD"]
    lines.append("    F0(\(label(diagram.inputLine)))")
    lines += nodes(diagram.layers, prefix: "", role: "F", reversed: false)
    lines += edges(diagram.layers, prefix: "", role: "F", reversed: false, from: "F0")
    guard diagram.backward, !diagram.layers.isEmpty else {
      return lines.joined(separator: "\n") + "\n"
    }
    let last = String(diagram.layers.count)
    lines += ["", "    F\(last) --> LOSS(\(label(diagram.lossLines.joined(separator: "\n"))))"]
    lines += nodes(diagram.layers, prefix: "", role: "E", reversed: true)
    lines += edges(diagram.layers, prefix: "", role: "E", reversed: true, from: "LOSS")
    lines.append("")
    for index in diagram.layers.indices.dropLast() {
      lines.append("    F\(index + 1) --> E\(index + 1)")
    }
    lines.append("")
    lines += updates(diagram.layers, prefix: "")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The nodes of `layers` in `role` (`F` forward, `E` errors), a block as a subgraph.
  private func nodes(
    _ layers: [DiagramLayer], prefix: String, role: String, reversed: Bool
  ) -> [String] {
    var lines: [String] = []
    let order = reversed ? Array(layers.indices.reversed()) : Array(layers.indices)
    for index in order {
      let layer = layers[index]
      let id = prefix + String(index + 1)
      let text = role == "F" ? forwardText(layer) : layer.errorLines.joined(separator: "\n")
      guard !layer.inner.isEmpty else {
        lines.append("    \(role)\(id)(\(label(text)))")
        continue
      }
      lines.append("    subgraph \(role)\(id) [\(label(text))]")
      lines.append("    direction TB")
      lines += nodes(layer.inner, prefix: id + "_", role: role, reversed: reversed)
      lines += edges(layer.inner, prefix: id + "_", role: role, reversed: reversed, from: nil)
      lines.append("    end")
    }
    return lines
  }

  /// The arrows along the chain of `layers`, from `start` (the node before them) if any.
  private func edges(
    _ layers: [DiagramLayer], prefix: String, role: String, reversed: Bool, from start: String?
  ) -> [String] {
    var ids = layers.indices.map { role + prefix + String($0 + 1) }
    if reversed { ids.reverse() }
    if let start { ids.insert(start, at: 0) }
    return zip(ids, ids.dropFirst()).map { "    \($0) --> \($1)" }
  }

  /// Each layer's updates, one after another from its error node; a block's layers' too.
  private func updates(_ layers: [DiagramLayer], prefix: String) -> [String] {
    var lines: [String] = []
    for (index, layer) in layers.enumerated().reversed() {
      let id = prefix + String(index + 1)
      lines += updates(layer.inner, prefix: id + "_")
      var previous = "E" + id
      for (number, update) in layer.updates.enumerated() {
        let node = "U\(id)_\(number + 1)"
        let what = update.hasPrefix("W ") ? "weight" : update.hasPrefix("b ") ? "bias" : ""
        let text = "\(layer.name) \(what)\(what.isEmpty ? "" : " ")update: \(update)"
        lines.append("    \(previous) --> \(node)(\(label(text)))")
        previous = node
      }
    }
    return lines
  }

  private func forwardText(_ layer: DiagramLayer) -> String {
    let columns = layer.columns
    return "\(columns[0]): \(columns[1]) → \(columns[2])"
      + (columns[3].isEmpty ? "" : ", \(columns[3])")
  }

  /// A quoted label: Mermaid's entity codes for quotes and markup, `<br/>` between lines.
  private func label(_ text: String) -> String {
    var escaped = ""
    for character in text {
      switch character {
      case "\"": escaped += "#quot;"
      case "<": escaped += "#lt;"
      case ">": escaped += "#gt;"
      case "#": escaped += "#35;"
      case "\n": escaped += "<br/>"
      case _ where character.unicodeScalars.contains { $0.properties.generalCategory == .control }:
        escaped += " "
      default: escaped.append(character)
      }
    }
    return "\"" + escaped + "\""
  }
}
