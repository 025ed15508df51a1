import NNRuntime

extension Dense: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let weight = try graph.parameter(layer, "weight")
    let bias = useBias ? try graph.parameter(layer, "bias") : nil
    let z = graph.affine(input, weight: weight, bias: bias, rank: layer.inputShape.count + 1)
    return graph.activate(z, activation)
  }
}

extension ActivationLayer: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    graph.activate(input, activation)
  }
}

// ONNX graphs are for inference, where dropout is the identity: no node, as PyTorch's
// exporter does in eval mode.
extension Dropout: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    input
  }
}

extension Flatten: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    graph.add("Flatten", [input], [.int("axis", 1)])
  }
}

extension Reshape: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    graph.reshape(input, [0] + layer.outputShape)
  }
}
