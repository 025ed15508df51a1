/// `embedding(vocab, dim)`: each token id of `[time]` samples looked up in a `[vocab, dim]`
/// table (PyTorch's `nn.Embedding`, initialised N(0, 1)); it must be the model's first layer.
public struct Embedding: LayerDeclaration {
  /// How many token ids there are.
  public var vocab: Int
  /// The length of each token's vector.
  public var dim: Int

  /// An embedding layer.
  public init(vocab: Int, dim: Int) {
    self.vocab = vocab
    self.dim = dim
  }

  public var kindName: String { "embedding" }
  public var declarationText: String { "embedding(\(vocab), \(dim))" }
  public static var descriptionKinds: [String] { ["embedding"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    // Token ids are the model's input: an embedding after another layer would read floats.
    guard context.isFirst else {
      throw LayerError(
        .shapeMismatch,
        "\(name): an embedding reads token ids, so it must be the model's first layer")
    }
    guard input.count == 1 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): an embedding needs samples of token ids of shape [time], but the input has "
          + "shape \(shapeText(input))",
        hint: "declare the model with its sequence length: model m(time) { embedding(…) … }")
    }
    let (product, overflow) = vocab.multipliedReportingOverflow(by: dim)
    guard !overflow, product <= Tensor.maxElements,
      !input[0].multipliedReportingOverflow(by: dim).overflow,
      input[0] * dim <= Tensor.maxElements
    else { throw LayerError.tooLarge(name) }
    // The table is a weight as PyTorch's weight_decay sees it, so l2 applies.
    return LayerShape(output: [input[0], dim], parameters: [
      ParameterDeclaration("weight", shape: [vocab, dim],
                           initial: .drawn(.normal(std: 1), fanIn: vocab, fanOut: dim),
                           role: .weight),
    ])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try lowering.graph.add(.embedding(vocab: vocab, dim: dim),
                                        [input, lowering.parameter(layer, "weight")],
                                        tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { 0 }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("embedding")
    fields["vocab"] = .integer(vocab)
    fields["dim"] = .integer(dim)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Embedding {
    guard case .integer(let vocab)? = fields.fields["vocab"], vocab > 0,
      vocab <= Tensor.maxElements,
      case .integer(let dim)? = fields.fields["dim"], dim > 0, dim <= Tensor.maxElements
    else {
      throw fields.failure("needs a positive whole vocab and dim")
    }
    return Embedding(vocab: vocab, dim: dim)
  }
}
