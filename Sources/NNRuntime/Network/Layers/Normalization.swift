/// `batchnorm()` over `[features]` or `[channels, height, width]` samples (per feature or
/// channel; PyTorch's `nn.BatchNorm1d` / `nn.BatchNorm2d`), or `layernorm()` over the whole
/// sample (PyTorch's `nn.LayerNorm(sample shape)`): weight (γ, ones) and bias (β, zeros), and
/// for batchnorm the running mean (zeros) and variance (ones), which are buffers.
public struct Normalization: LayerDeclaration {
  /// Batch or layer normalisation.
  public var kind: NormalizationGeometry.Kind

  /// A normalisation layer.
  public init(_ kind: NormalizationGeometry.Kind) { self.kind = kind }

  public var kindName: String { kind.name }
  public var declarationText: String { kind.name }
  public static var descriptionKinds: [String] { ["batchnorm", "layernorm"] }
  public var differsInTraining: Bool { kind == .batch }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let input = context.input
    if kind == .batch, input.count != 1, input.count != 3 {
      throw LayerError(
        .shapeMismatch,
        "\(context.name): a batchnorm needs samples of shape [features] or [channels, height, "
          + "width], but its input has shape \(shapeText(input))",
        hint: "layernorm() normalises samples of any shape")
    }
    let shape = NormalizationGeometry(kind: kind, shape: input).parameterShape
    // γ and β are trained but not weights: l2 would pull the scale towards zero.
    var parameters: [ParameterDeclaration] = [
      .constant("weight", shape: shape, value: 1, role: .trained),
      .constant("bias", shape: shape, value: 0, role: .trained),
    ]
    if kind == .batch {
      parameters.append(.constant("running_mean", shape: shape, value: 0, role: .buffer))
      parameters.append(.constant("running_var", shape: shape, value: 1, role: .buffer))
    }
    return LayerShape(output: input, parameters: parameters)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    var operands = [input]
    for name in kind == .batch ? ["weight", "bias", "running_mean", "running_var"]
      : ["weight", "bias"] {
      operands.append(try lowering.parameter(layer, name))
    }
    let output = try lowering.graph.add(
      .normalize(NormalizationGeometry(kind: kind, shape: layer.inputShape)), operands,
      tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { 4 * layer.outputShape.reduce(1, *) }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string(kind.name)
  }

  public static func decode(
    _ fields: LayerFields
  ) throws(LayerDescription.Failure) -> Normalization {
    Normalization(fields.kind == "batchnorm" ? .batch : .layer)
  }
}
