/// An activation as a layer of its own (`relu`, `leaky_relu(alpha: 0.2)`).
public struct ActivationLayer: LayerDeclaration {
  /// The function applied element-wise (softmax: along the last axis).
  public var activation: Activation

  /// An activation layer.
  public init(_ activation: Activation) { self.activation = activation }

  public var kindName: String { activation.name }
  public var declarationText: String { activation.name }
  public static var descriptionKinds: [String] { ["activation"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    LayerShape(output: context.input)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    // The layer has no pre-activation of its own: z is its input.
    (input, try lowering.graph.add(.activation(activation), [input], tag: layer.tag))
  }

  public func flops(of layer: Layer) -> Int { layer.outputShape.reduce(1, *) }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("activation")
    LayerDescription.encode(activation, into: &fields)
  }

  public static func decode(
    _ fields: LayerFields
  ) throws(LayerDescription.Failure) -> ActivationLayer {
    ActivationLayer(try fields.activation())
  }
}

/// `dropout(p)`: inverted dropout, active only in training plans (PyTorch's `nn.Dropout`).
public struct Dropout: LayerDeclaration {
  /// The probability of zeroing an element, in [0, 1).
  public var p: Double

  /// A dropout layer.
  public init(_ p: Double) { self.p = p }

  public var kindName: String { "dropout" }
  public var declarationText: String { "dropout(\(formatNumber(p)))" }
  public static var descriptionKinds: [String] { ["dropout"] }
  public var differsInTraining: Bool { p > 0 }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    LayerShape(output: context.input)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    (input, try lowering.graph.add(.dropout(p), [input], tag: layer.tag))
  }

  public func flops(of layer: Layer) -> Int { layer.outputShape.reduce(1, *) }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("dropout")
    fields["p"] = .number(p)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Dropout {
    guard let p = fields.fields["p"]?.doubleValue, p >= 0, p < 1 else {
      throw fields.failure("needs a dropout probability p in [0, 1)")
    }
    return Dropout(p)
  }
}
