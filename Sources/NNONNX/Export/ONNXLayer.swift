import NNRuntime

/// A layer declaration that knows its ONNX form: the nodes that compute it on a batch, after
/// the value named `input` (`[batch] + layer.inputShape`). Each layer's form lives beside the
/// others in this folder, one file per family; a declaration without a conformance is refused
/// by name, and a test checks that every type in `LayerDeclarations.all` has one.
protocol ONNXLayer: LayerDeclaration {
  /// Adds the layer's nodes; returns the name of its output (`[batch] + layer.outputShape`).
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String
}

extension ONNXGraphBuilder {
  /// `x` through `activation`, as ONNX's own op where opset 17 has one, composed of them
  /// where it has not (GELU, SiLU). The switch is exhaustive, so a new activation does not
  /// compile until it has an ONNX form here.
  mutating func activate(_ x: String, _ activation: Activation) -> String {
    switch activation {
    case .identity: return x
    case .relu: return add("Relu", [x])
    case .sigmoid: return add("Sigmoid", [x])
    case .tanh: return add("Tanh", [x])
    case .softmax: return add("Softmax", [x], [.int("axis", -1)])
    case .gelu:
      // The erf form nn computes: x · (1 + erf(x / √2)) / 2 (Gelu itself is opset 20).
      let erf = add("Erf", [add("Mul", [x, scalar("inverse_sqrt2", Float(0.5.squareRoot()))])])
      let one = add("Add", [erf, scalar("one", 1)])
      return add("Mul", [add("Mul", [x, one]), scalar("half", 0.5)])
    case .silu:
      return add("Mul", [x, add("Sigmoid", [x])])
    case .elu(let alpha):
      return add("Elu", [x], [.float("alpha", alpha)])
    case .leakyRelu(let alpha):
      return add("LeakyRelu", [x], [.float("alpha", alpha)])
    }
  }

  /// Exports `layers` in order after `input`; returns the last output.
  mutating func export(_ layers: [Layer], from input: String) throws(ONNXError) -> String {
    var value = input
    for layer in layers {
      guard let declaration = layer.declaration as? any ONNXLayer else {
        throw ONNXError(.unsupported,
                        "\(layer.name) (\(layer.summary)) has no ONNX form in this nn")
      }
      let outer = scope
      scope = layer.name
      value = try declaration.exportONNX(layer, from: value, into: &self)
      scope = outer
    }
    return value
  }
}
