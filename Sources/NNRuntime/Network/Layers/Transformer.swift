/// `transformer(heads, hidden, dropout: 0, causal: false, norm_first: false, act: relu)`: one
/// encoder block over `[time, features]` samples, as
/// `torch.nn.TransformerEncoderLayer(features, heads, hidden, dropout, act, batch_first=True,
/// norm_first=…)` with its parameter names: `self_attn.*` (as `attention`), `linear1 [hidden,
/// D]`, `linear2 [D, hidden]` (`nn.Linear`'s initialisation), and the layer norms `norm1`,
/// `norm2` over the features (ε = 1e-5).
///
/// Post-norm (PyTorch's default): `x = norm1(x + sa(x)); x = norm2(x + ff(x))`; pre-norm:
/// `x = x + sa(norm1(x)); x = x + ff(norm2(x))`, where `ff(x) = linear2(act(linear1(x)))` and
/// dropout follows the attention weights, `sa`, the activation and `ff` while training.
public struct Transformer: LayerDeclaration {
  /// Attention heads.
  public var heads: Int
  /// Width of the feed-forward block.
  public var hidden: Int
  /// Dropout probability, as PyTorch's single `dropout` argument.
  public var dropout: Double
  /// Whether position t attends only to positions ≤ t.
  public var causal: Bool
  /// Layer norm before each sub-block rather than after its residual sum.
  public var normFirst: Bool
  /// The feed-forward activation.
  public var activation: Activation

  /// A transformer encoder block.
  public init(
    heads: Int, hidden: Int, dropout: Double = 0, causal: Bool = false,
    normFirst: Bool = false, activation: Activation = .relu
  ) {
    self.heads = heads
    self.hidden = hidden
    self.dropout = dropout
    self.causal = causal
    self.normFirst = normFirst
    self.activation = activation
  }

  public var kindName: String { "transformer" }
  public static var descriptionKinds: [String] { ["transformer"] }
  public var differsInTraining: Bool { dropout > 0 }

  public var declarationText: String {
    var text = "transformer(\(heads), \(hidden)"
    if dropout > 0 { text += ", dropout: \(formatNumber(dropout))" }
    if causal { text += ", causal: true" }
    if normFirst { text += ", norm_first: true" }
    if activation != .relu { text += ", act: \(activation.name)" }
    return text + ")"
  }

  var attention: SelfAttention { SelfAttention(heads: heads, causal: causal, dropout: dropout) }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let d = try attention.check(context, kind: "a transformer")
    guard LayerResolution.fitsInATensor([hidden, d]),
      LayerResolution.fitsInATensor([context.input[0], hidden])
    else { throw LayerError.tooLarge(context.name) }
    // nn.Linear: weight and bias from U(±1/√fan_in).
    func linear(_ name: String, out: Int, in fanIn: Int) -> [ParameterDeclaration] {
      let bound = 1 / Double(fanIn).squareRoot()
      let uniform = Initializer.uniform(low: -bound, high: bound)
      return [
        ParameterDeclaration(name + ".weight", shape: [out, fanIn],
                             initial: .drawn(uniform, fanIn: fanIn, fanOut: out), role: .weight),
        ParameterDeclaration(name + ".bias", shape: [out],
                             initial: .drawn(uniform, fanIn: fanIn, fanOut: out),
                             role: .trained),
      ]
    }
    func norm(_ name: String) -> [ParameterDeclaration] {
      [.constant(name + ".weight", shape: [d], value: 1, role: .trained),
       .constant(name + ".bias", shape: [d], value: 0, role: .trained)]
    }
    let parameters = SelfAttention.parameters(features: d, prefix: "self_attn.")
      + linear("linear1", out: hidden, in: d) + linear("linear2", out: d, in: hidden)
      + norm("norm1") + norm("norm2")
    return LayerShape(output: context.input, parameters: parameters)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let tag = layer.tag
    func norm(_ x: NodeID, _ name: String, _ lowering: inout LayerLowering) throws(GraphError)
      -> NodeID {
      try lowering.layerNorm(x, weight: lowering.parameter(layer, name + ".weight"),
                             bias: lowering.parameter(layer, name + ".bias"), tag: tag)
    }
    func drop(_ x: NodeID, _ lowering: inout LayerLowering) throws(GraphError) -> NodeID {
      dropout > 0 ? try lowering.graph.add(.dropout(dropout), [x], tag: tag) : x
    }
    func selfAttention(_ x: NodeID, _ lowering: inout LayerLowering) throws(GraphError)
      -> NodeID {
      try drop(try attention.lower(x, layer: layer, prefix: "self_attn.", into: &lowering),
               &lowering)
    }
    func feedForward(_ x: NodeID, _ lowering: inout LayerLowering) throws(GraphError)
      -> NodeID {
      let inner = try lowering.affine(
        x, weight: lowering.parameter(layer, "linear1.weight"),
        bias: lowering.parameter(layer, "linear1.bias"), activation: activation, tag: tag).a
      let outer = try lowering.affine(
        try drop(inner, &lowering), weight: lowering.parameter(layer, "linear2.weight"),
        bias: lowering.parameter(layer, "linear2.bias"), tag: tag).a
      return try drop(outer, &lowering)
    }
    var x = input
    if normFirst {
      x = try lowering.graph.add(
        .add, [x, try selfAttention(try norm(x, "norm1", &lowering), &lowering)], tag: tag)
      x = try lowering.graph.add(
        .add, [x, try feedForward(try norm(x, "norm2", &lowering), &lowering)], tag: tag)
    } else {
      x = try norm(try lowering.graph.add(.add, [x, try selfAttention(x, &lowering)], tag: tag),
                   "norm1", &lowering)
      x = try norm(try lowering.graph.add(.add, [x, try feedForward(x, &lowering)], tag: tag),
                   "norm2", &lowering)
    }
    return (x, x)
  }

  public func flops(of layer: Layer) -> Int {
    let (t, d) = (layer.inputShape[0], layer.inputShape[1])
    let feedForward = 2 * t * d * hidden * 2 + t * (hidden + d) + t * hidden
    // Two residual sums and two layer norms.
    return attention.flops(time: t, features: d) + feedForward + 2 * t * d + 2 * 4 * t * d
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("transformer")
    fields["heads"] = .integer(heads)
    fields["hidden"] = .integer(hidden)
    fields["dropout"] = .number(dropout)
    fields["causal"] = .bool(causal)
    fields["norm_first"] = .bool(normFirst)
    LayerDescription.encode(activation, into: &fields)
  }

  public static func decode(
    _ fields: LayerFields
  ) throws(LayerDescription.Failure) -> Transformer {
    Transformer(
      heads: try fields.positive("heads", else: "needs a positive whole number of heads"),
      hidden: try fields.positive("hidden", else: "needs a positive whole hidden width"),
      dropout: try SelfAttention.dropout(fields),
      causal: try fields.bool("causal", default: false),
      normFirst: try fields.bool("norm_first", default: false),
      activation: try fields.activation(default: .relu))
  }
}

extension LayerLowering {
  /// PyTorch's `nn.LayerNorm(features)` over the last axis of x (ε = 1e-5): every position's
  /// features normalised on their own, by the layernorm op over the rows x folds into.
  public mutating func layerNorm(
    _ x: NodeID, weight: NodeID, bias: NodeID, tag: Int
  ) throws(GraphError) -> NodeID {
    let shape = graph.shape(of: x)
    let features = shape.last ?? 1
    let rows = try graph.add(.reshape([shape.dropLast().reduce(1, *), features]), [x], tag: tag)
    let geometry = NormalizationGeometry(kind: .layer, shape: [features])
    let normalized = try graph.add(.normalize(geometry), [rows, weight, bias], tag: tag)
    return try graph.add(.reshape(shape), [normalized], tag: tag)
  }
}
