/// `attention(heads, causal: false, dropout: 0)`: multi-head self-attention over `[time,
/// features]` samples, as `torch.nn.MultiheadAttention(features, heads, batch_first=True)`
/// called with the same sequence as query, key and value: `in_proj_weight [3D, D]` (the
/// query, key and value projections stacked), `in_proj_bias [3D]`, `out_proj.weight [D, D]`,
/// `out_proj.bias [D]`, PyTorch's initialisation. It lowers to primitive ops (`SelfAttention`).
public struct Attention: LayerDeclaration {
  /// Heads; they split the features evenly.
  public var heads: Int
  /// Whether position t attends only to positions ≤ t.
  public var causal: Bool
  /// Dropout on the attention weights while training.
  public var dropout: Double

  /// An attention layer.
  public init(heads: Int, causal: Bool = false, dropout: Double = 0) {
    self.heads = heads
    self.causal = causal
    self.dropout = dropout
  }

  public var kindName: String { "attention" }
  public static var descriptionKinds: [String] { ["attention"] }
  public var differsInTraining: Bool { dropout > 0 }

  public var declarationText: String {
    "attention(\(heads)" + (causal ? ", causal: true" : "")
      + (dropout > 0 ? ", dropout: \(formatNumber(dropout))" : "") + ")"
  }

  var attention: SelfAttention { SelfAttention(heads: heads, causal: causal, dropout: dropout) }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let features = try attention.check(context, kind: "an attention layer")
    return LayerShape(output: context.input,
                      parameters: SelfAttention.parameters(features: features, prefix: ""))
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try attention.lower(input, layer: layer, prefix: "", into: &lowering)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int {
    attention.flops(time: layer.inputShape[0], features: layer.inputShape[1])
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("attention")
    fields["heads"] = .integer(heads)
    fields["causal"] = .bool(causal)
    fields["dropout"] = .number(dropout)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Attention {
    Attention(heads: try fields.positive("heads", else: "needs a positive whole number of heads"),
              causal: try fields.bool("causal", default: false),
              dropout: try SelfAttention.dropout(fields))
  }
}

/// Multi-head self-attention as primitive ops, shared by `attention` and `transformer`:
/// one projection of every position to queries, keys and values, the scaled scores of every
/// head by one head product reading the queries and keys where the projection holds them, the
/// softmax (causal: over positions ≤ t only, the mask inside the softmax), the weighted values
/// by a second head product that writes the heads merged, and the output projection. No
/// slice, permute or transpose is materialised; the plan compiler schedules, fuses and
/// allocates these like any other nodes, and autodiff differentiates them.
struct SelfAttention {
  var heads: Int
  var causal: Bool
  var dropout: Double

  /// The parameters under `prefix` (`self_attn.` in a transformer), in PyTorch's order and
  /// with its initialisation: Xavier-uniform over the whole `[3D, D]` input projection, zero
  /// biases, and `nn.Linear`'s U(±1/√D) for the output projection's weight.
  static func parameters(features d: Int, prefix: String) -> [ParameterDeclaration] {
    let bound = 1 / Double(d).squareRoot()
    return [
      ParameterDeclaration(prefix + "in_proj_weight", shape: [3 * d, d],
                           initial: .drawn(.xavier, fanIn: d, fanOut: 3 * d), role: .weight),
      .constant(prefix + "in_proj_bias", shape: [3 * d], value: 0, role: .trained),
      ParameterDeclaration(prefix + "out_proj.weight", shape: [d, d],
                           initial: .drawn(.uniform(low: -bound, high: bound), fanIn: d,
                                           fanOut: d), role: .weight),
      .constant(prefix + "out_proj.bias", shape: [d], value: 0, role: .trained),
    ]
  }

  /// The features of `[time, features]` samples the heads divide, or the error at the layer.
  func check(_ context: LayerResolution, kind: String) throws(LayerError) -> Int {
    let (name, input) = (context.name, context.input)
    guard input.count == 2 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): \(kind) needs sequences of shape [time, features] per sample, but its input "
          + "has shape \(shapeText(input))",
        hint: input.count == 1
          ? "put an embedding first, or declare the model as model m([time, features])"
          : "flatten or reshape the samples to [time, features]")
    }
    let features = input[1]
    guard features % heads == 0 else {
      let divisors = (1...features).filter { features % $0 == 0 && $0 != heads }
      let nearest = divisors.min { Swift.abs($0 - heads) < Swift.abs($1 - heads) } ?? 1
      throw LayerError(
        .shapeMismatch,
        "\(name): \(heads) heads do not divide the \(features) features of its input "
          + shapeText(input),
        hint: "each head takes features / heads of them: use a number of heads that divides "
          + "\(features), e.g. \(nearest)", argument: "heads")
    }
    guard LayerResolution.fitsInATensor([3 * features, features]),
      LayerResolution.fitsInATensor([heads, input[0], input[0]])
    else { throw LayerError.tooLarge(name) }
    return features
  }

  /// Adds the attention after `input` (`[B, T, D]`), reading the layer's parameters under
  /// `prefix`; the weights of every head are shown by `trace`.
  func lower(
    _ input: NodeID, layer: Layer, prefix: String, into lowering: inout LayerLowering
  ) throws(GraphError) -> NodeID {
    let tag = layer.tag
    let features = lowering.graph.shape(of: input)[2]
    let width = features / heads
    let projected = try lowering.affine(
      input, weight: lowering.parameter(layer, prefix + "in_proj_weight"),
      bias: lowering.parameter(layer, prefix + "in_proj_bias"), tag: tag).a
    // The queries, keys and values of head h are column blocks of the projection [B, T, 3D],
    // which the head products read in place; the scale rides on the first product (PyTorch
    // scales the queries instead: the same products up to rounding).
    func part(_ index: Int) -> HeadLayout { .interleaved(offset: index * features, width: width) }
    let scores = try lowering.graph.add(.linearAlgebra(.headMatmul(HeadProduct(
      heads: heads, a: part(0), b: part(1), transposeB: true, result: .stacked,
      scale: 1 / Double(width).squareRoot()))), [projected, projected], tag: tag)
    var weights = try lowering.graph.add(causal ? .activations(.causalSoftmax)
                                           : .activation(.softmax), [scores], tag: tag)
    lowering.shown.append(ShownNode("weights [b, head, t, s]", weights))
    if dropout > 0 { weights = try lowering.graph.add(.dropout(dropout), [weights], tag: tag) }
    // Written as [B, T, D], head h in columns h·width ..< (h + 1)·width: the heads merged.
    let joined = try lowering.graph.add(.linearAlgebra(.headMatmul(HeadProduct(
      heads: heads, a: .stacked, b: part(2), result: .interleaved(offset: 0, width: width)))),
      [weights, projected], tag: tag)
    return try lowering.affine(
      joined, weight: lowering.parameter(layer, prefix + "out_proj.weight"),
      bias: lowering.parameter(layer, prefix + "out_proj.bias"), tag: tag).a
  }

  /// Forward FLOPs for one sample: the projections, both batched products and the softmax.
  func flops(time t: Int, features d: Int) -> Int {
    let projections = 2 * t * d * 3 * d + 3 * t * d + 2 * t * d * d + t * d
    let products = 2 * (2 * t * t * d)
    return projections + products + t * d + 5 * heads * t * t
  }

  /// A description's `dropout`, in [0, 1).
  static func dropout(_ fields: LayerFields) throws(LayerDescription.Failure) -> Double {
    let p = fields.fields["dropout"]?.doubleValue ?? 0
    guard p >= 0, p < 1 else {
      throw fields.failure("needs a dropout probability in [0, 1)")
    }
    return p
  }
}
