import NNRuntime
import NNSyntax

/// `summary(net)` and `ir(net)`.
enum ModelSummary {
  /// A table of layers: kind, output shape per sample, parameters and FLOPs per sample.
  static func text(_ model: ModelObject) -> String {
    let network = model.network
    let flops = network.flopsPerSample()
    var rows: [[String]] = [["layer", "kind", "output", "parameters", "FLOPs"]]
    for (index, layer) in network.layers.enumerated() {
      let parameters = parameterCount(of: layer, in: network)
      rows.append([layer.name, layer.summary, shapeText(layer.outputShape),
                   String(parameters), String(flops[index])])
      // A block's layers, indented under it; their counts are in the block's row.
      for inner in layer.body {
        rows.append(["  " + inner.name, inner.summary, shapeText(inner.outputShape),
                     "", ""])
      }
    }
    rows.append(["total", "", "", String(network.parameterCount), String(flops.reduce(0, +))])
    let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
    var text = "model \(model.name): input \(shapeText(network.inputShape))\n"
    for (index, row) in rows.enumerated() {
      let cells = row.enumerated().map { column, cell -> String in
        let pad = String(repeating: " ", count: widths[column] - cell.count)
        return column >= 3 ? pad + cell : cell + pad   // numbers right-aligned
      }
      text += cells.joined(separator: "  ").trimmingTrailingSpaces + "\n"
      if index == 0 || index == rows.count - 2 {
        text += String(repeating: "─", count: widths.reduce(0, +) + 8) + "\n"
      }
    }
    return text
  }

  /// Parameters of a layer, a block's body included.
  static func parameterCount(of layer: Layer, in network: Network) -> Int {
    layer.parameters.map { network.parameters.count(of: $0.index) }.reduce(0, +)
      + layer.body.map { parameterCount(of: $0, in: network) }.reduce(0, +)
  }

  /// The compiled plan for a batch: inference, or training when `loss:` is given.
  static func plan(
    _ model: ModelObject, batch: Int, context: CallContext
  ) throws(Diagnostic) -> String {
    let runner = NetworkRunner(evaluator: context.evaluator)
    if context.has("loss") {
      let loss = try context.lossObject("loss")
      // The target a built-in loss reads first: class indices for cross-entropy.
      var target = [batch] + model.network.outputShape
      if case .builtin(let kind) = loss.kind, kind.targetKind == .classes {
        target = Array(target.dropLast())
      }
      let compiled = try runner.lossPlan(
        model, batch: batch, target: target, loss: loss, parameters: model.network.parameters,
        training: true, traceLayers: false, call: context)
      return "plan \(model.name): training, batch \(batch), loss \(loss.name)\n"
        + compiled.plan.listing
    }
    // Compiled, not run: the listing needs no input, and a batch too large for memory is the
    // plan's refusal rather than an input tensor nobody could allocate.
    let entry = try runner.inferencePlan(model, batch: batch, range: context.callRange)
    return "plan \(model.name): inference, batch \(batch)\n" + entry.plan.listing
  }
}

extension String {
  var trimmingTrailingSpaces: String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
