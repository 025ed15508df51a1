/// `positional(max_length)`: a learned vector per position added to `[time, features]`
/// samples — the first `time` rows of a `[max_length, features]` weight, drawn N(0, 1) as
/// `nn.Embedding`'s (GPT-style learned positions: `x + wpe(arange(time))`).
public struct Positional: LayerDeclaration {
  /// The longest sequence the layer holds positions for.
  public var maxLength: Int

  /// A positional layer.
  public init(maxLength: Int) { self.maxLength = maxLength }

  public var kindName: String { "positional" }
  public var declarationText: String { "positional(\(maxLength))" }
  public static var descriptionKinds: [String] { ["positional"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    guard input.count == 2 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): positional needs sequences of shape [time, features] per sample, but its "
          + "input has shape \(shapeText(input))",
        hint: input.count == 1 ? "put an embedding before it" : nil)
    }
    guard input[0] <= maxLength else {
      throw LayerError(
        .shapeMismatch,
        "\(name): the sequences are \(input[0]) long, but positional(\(maxLength)) holds "
          + "positions for at most \(maxLength)",
        hint: "use positional(\(input[0])) or more", argument: "max_length")
    }
    guard LayerResolution.fitsInATensor([maxLength, input[1]]) else {
      throw LayerError.tooLarge(name)
    }
    // A table of vectors like an embedding's, so l2 applies as PyTorch's weight_decay would.
    return LayerShape(output: input, parameters: [
      ParameterDeclaration("weight", shape: [maxLength, input[1]],
                           initial: .drawn(.normal(std: 1), fanIn: maxLength,
                                           fanOut: input[1]), role: .weight),
    ])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let time = layer.inputShape[0]
    var positions = try lowering.parameter(layer, "weight")
    if time < maxLength {
      positions = try lowering.graph.add(.slice(SliceRange(axis: 0, start: 0, end: time)),
                                         [positions], tag: layer.tag)
    }
    let output = try lowering.graph.add(.add, [input, positions], tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { layer.outputShape.reduce(1, *) }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("positional")
    fields["max_length"] = .integer(maxLength)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Positional {
    Positional(maxLength: try fields.positive("max_length",
                                              else: "needs a positive whole max_length"))
  }
}
