import NNRuntime

extension ONNXGraphBuilder {
  /// Multi-head self-attention over `[batch, time, features]`, in opset 17's primitives
  /// (its Attention op is opset 23): the packed projection, a split into queries, keys and
  /// values, the heads as a `[batch, heads, time, width]` view, the scaled products, the
  /// causal mask as an added -∞ above the diagonal, softmax, and the output projection.
  /// Attention dropout is the identity at inference.
  mutating func selfAttention(
    _ layer: Layer, from x: String, heads: Int, causal: Bool, prefix: String
  ) throws(ONNXError) -> String {
    let (time, features) = (layer.inputShape[0], layer.inputShape[1])
    let width = features / heads
    let projected = affine(x, weight: try parameter(layer, prefix + "in_proj_weight"),
                           bias: try parameter(layer, prefix + "in_proj_bias"), rank: 3)
    let parts = add("Split", [projected, integers("split", [features, features, features])],
                    outputs: 3, [.int("axis", 2)])
    func split(_ part: String, _ permutation: [Int]) -> String {
      transpose(reshape(part, [0, 0, heads, width]), permutation)
    }
    let queries = split(parts[0], [0, 2, 1, 3])
    let keys = split(parts[1], [0, 2, 3, 1])
    let values = split(parts[2], [0, 2, 1, 3])
    var scores = add("Mul", [add("MatMul", [queries, keys]),
                             scalar("scale", Float(1 / Double(width).squareRoot()))])
    if causal {
      var mask = [Float](repeating: 0, count: time * time)
      for row in 0..<time {
        for column in (row + 1)..<time { mask[row * time + column] = -.infinity }
      }
      scores = add("Add", [scores, constant("causal_mask", Tensor(shape: [time, time],
                                                                   scalars: mask))])
    }
    let weights = add("Softmax", [scores], [.int("axis", -1)])
    let joined = reshape(transpose(add("MatMul", [weights, values]), [0, 2, 1, 3]),
                         [0, 0, features])
    return affine(joined, weight: try parameter(layer, prefix + "out_proj.weight"),
                  bias: try parameter(layer, prefix + "out_proj.bias"), rank: 3)
  }

  /// Layer normalisation over the features (the last axis).
  mutating func featureNorm(_ layer: Layer, _ x: String, _ name: String) throws(ONNXError)
    -> String {
    let epsilon = NormalizationGeometry(kind: .layer, shape: [layer.inputShape[1]]).epsilon
    return add("LayerNormalization",
               [x, try parameter(layer, name + ".weight"), try parameter(layer, name + ".bias")],
               [.int("axis", -1), .float("epsilon", epsilon)])
  }
}

extension Attention: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    try graph.selfAttention(layer, from: input, heads: heads, causal: causal, prefix: "")
  }
}

extension Transformer: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    func attend(_ x: String, _ graph: inout ONNXGraphBuilder) throws(ONNXError) -> String {
      try graph.selfAttention(layer, from: x, heads: heads, causal: causal,
                              prefix: "self_attn.")
    }
    func feedForward(_ x: String, _ graph: inout ONNXGraphBuilder) throws(ONNXError)
      -> String {
      let inner = graph.activate(
        graph.affine(x, weight: try graph.parameter(layer, "linear1.weight"),
                     bias: try graph.parameter(layer, "linear1.bias"), rank: 3), activation)
      return graph.affine(inner, weight: try graph.parameter(layer, "linear2.weight"),
                          bias: try graph.parameter(layer, "linear2.bias"), rank: 3)
    }
    var x = input
    if normFirst {
      x = graph.add("Add", [x, try attend(try graph.featureNorm(layer, x, "norm1"), &graph)])
      x = graph.add("Add", [x, try feedForward(try graph.featureNorm(layer, x, "norm2"),
                                               &graph)])
    } else {
      x = try graph.featureNorm(layer, graph.add("Add", [x, try attend(x, &graph)]), "norm1")
      x = try graph.featureNorm(layer, graph.add("Add", [x, try feedForward(x, &graph)]),
                                "norm2")
    }
    return x
  }
}
