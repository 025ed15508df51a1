import NNRuntime
import NNSyntax

/// `trace(net, x, y, loss:, lr:, apply:)`: one backpropagation step with every intermediate
/// value — the seed tutorial's worked example, computed by the same plans as training.
enum TraceReport {
  static func run(_ context: CallContext) throws(Diagnostic) -> Value {
    let model = try context.model("net")
    let loss = context.has("loss") ? try context.lossObject("loss") : LossObject(.builtin(.mse))
    let lr = try context.number("lr")
    let apply = try context.bool("apply")
    let checkNumerics = try context.bool("check_numerics")
    let runner = NetworkRunner(evaluator: context.evaluator)
    let x = try runner.batch(model, try context.require("x"),
                             range: context.bound["x"]?.range ?? context.callRange)
    let y = try runner.target(model, try context.require("y"), rows: x.shape[0], loss: loss,
                              call: context)
    let compiled = try runner.lossPlan(
      model, batch: x.shape[0], target: y.shape, loss: loss,
      parameters: model.network.parameters, training: true, traceLayers: true, call: context)
    let plan = compiled.plan
    plan.setInput(0, x)
    plan.setInput(1, y)
    // A training plan moves batchnorm's running statistics; only a step that is applied may.
    let buffers = model.network.savedBuffers()
    defer { if !apply { model.network.restoreBuffers(buffers) } }
    if let fault = plan.run(random: &context.evaluator.random, checkingNumerics: checkNumerics) {
      throw runner.numericFault(fault, model, compiled.lowering, call: context)
    }

    let network = model.network
    let store = network.parameters
    let gradients = context.gradientRecord(model, plan.gradientBuffer)
    var text = "trace \(model.name)  loss \(loss.name)  lr \(formatNumber(lr))\n"
    text += row("x", x) + row("y", y)
    var result = Record()
    for (index, nodes) in compiled.lowering.layerNodes.enumerated() {
      let layer = network.layers[index]
      var fields = Record()
      text += "\n\(layer.name)  \(layer.summary)\n"
      let z = plan.output(nodes.z)
      let a = plan.output(nodes.a)
      let delta = plan.output(compiled.layerGradients[index])
      text += row("z", z) + row("a", a)
      for shown in nodes.shown { text += row(shown.label, plan.output(shown.node)) }
      text += row("δ = ∂L/∂z", delta)
      fields["z"] = .tensor(z)
      fields["a"] = .tensor(a)
      fields["delta"] = .tensor(delta)
      var updates = ""
      // The trained parameters, as the layer declares them (buffers have no step).
      for entry in layer.parameters where entry.role != .buffer {
        let parameter = entry.name
        let parameterIndex = entry.index
        guard case .tensor(let gradient)? = ModelObject.lookup(
          [layer.name] + ModelObject.path(parameter), in: gradients)
        else { continue }
        let symbol = parameter == "bias" ? "b"
          : parameter == "weight" ? "W"
          : parameter.hasPrefix("weight_") ? "W_" + parameter.dropFirst("weight_".count)
          : parameter.hasPrefix("bias_") ? "b_" + parameter.dropFirst("bias_".count)
          : parameter
        let current = store.tensor(parameterIndex)
        let updated = (try? Tensor.binary(
          .subtract, current,
          Tensor.binary(.multiply, gradient, Tensor(scalar: Float(lr))))) ?? current
        text += row("∂L/∂\(symbol)", gradient)
        updates += row("\(symbol) − lr·∂L/∂\(symbol)", updated)
        fields["d" + parameter] = .tensor(gradient)
        fields[parameter] = .tensor(updated)
        if apply { store.assign(parameterIndex, updated) }
      }
      text += updates
      result[layer.name] = .record(fields)
    }
    let output = plan.output(compiled.lowering.output)
    let lossValue = Value.element(plan.output(compiled.loss)[flat: 0])
    text += "\n" + row("output", output) + row("loss", Tensor(scalar: Float(lossValue)))
    if !apply { text += "(net unchanged; trace(…, apply: true) takes the step)\n" }
    context.evaluator.emit(text)
    result["output"] = .tensor(output)
    result["loss"] = .number(lossValue)
    return .record(result)
  }

  /// Width of the label column.
  private static let labelWidth = 18

  /// `  label            value`, with a multi-line tensor's later lines under its first.
  private static func row(_ label: String, _ tensor: Tensor) -> String {
    let padding = String(repeating: " ", count: max(1, labelWidth - label.count))
    let indent = String(repeating: " ", count: 2 + label.count + padding.count)
    let value = formatTensor(tensor).split(separator: "\n", omittingEmptySubsequences: false)
      .joined(separator: "\n" + indent)
    return "  " + label + padding + value + "\n"
  }
}
