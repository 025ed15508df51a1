import NNRuntime

extension Normalization: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let epsilon = NormalizationGeometry(kind: kind, shape: layer.inputShape).epsilon
    let scale = try graph.parameter(layer, "weight")
    let shift = try graph.parameter(layer, "bias")
    switch kind {
    case .batch:
      // Inference: the running statistics, as nn's inference plans use them.
      return graph.add("BatchNormalization", [
        input, scale, shift, try graph.parameter(layer, "running_mean"),
        try graph.parameter(layer, "running_var"),
      ], [.float("epsilon", epsilon)])
    case .layer:
      // nn's layernorm normalises a whole sample: every axis after the batch.
      return graph.add("LayerNormalization", [input, scale, shift],
                       [.int("axis", 1), .float("epsilon", epsilon)])
    }
  }
}

extension Embedding: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    // The graph's input holds int64 token ids when an embedding comes first (ONNXExport).
    graph.add("Gather", [try graph.parameter(layer, "weight"), input], [.int("axis", 0)])
  }
}

extension Positional: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    var positions = try graph.parameter(layer, "weight")
    let time = layer.inputShape[0]
    if time < maxLength {
      positions = graph.add("Slice", [positions, graph.integers("starts", [0]),
                                      graph.integers("ends", [time]),
                                      graph.integers("axes", [0])])
    }
    return graph.add("Add", [input, positions])
  }
}

extension Residual: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let body = try graph.export(layer.body, from: input)
    return graph.add("Add", [input, body])
  }
}
