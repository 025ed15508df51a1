/// `gru(units, return_sequences:)`: a GRU over `[time, features]` samples, as PyTorch's
/// `nn.GRU(features, units, batch_first=True)` from a zero state: weight_ih `[3·units,
/// features]`, weight_hh `[3·units, units]`, bias_ih and bias_hh `[3·units]`, gates r, z, n.
///
/// Like the LSTM it is one fused op with a BPTT node (Kernels/GRUKernels.swift); a test
/// (RecurrentCompositionTests) keeps the kernel equal to the GRU composed from primitive ops.
public struct GRU: LayerDeclaration {
  /// Hidden units.
  public var units: Int
  /// Whether the output is every step's hidden state `[time, units]` or the last `[units]`.
  public var returnSequences: Bool

  /// A GRU layer.
  public init(units: Int, returnSequences: Bool = false) {
    self.units = units
    self.returnSequences = returnSequences
  }

  public var kindName: String { "gru" }
  public static var descriptionKinds: [String] { ["gru"] }

  public var declarationText: String {
    "gru(\(units)" + (returnSequences ? ", return_sequences: true" : "") + ")"
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    guard input.count == 2 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): a gru needs sequences of shape [time, features] per sample, but its input "
          + "has shape \(shapeText(input))",
        hint: input.count == 1
          ? "declare the model as model m([time, features]), or put an embedding first" : nil)
    }
    let (time, features) = (input[0], input[1])
    guard LayerResolution.fitsInATensor([3, units, features]),
      LayerResolution.fitsInATensor([3, units, units]),
      LayerResolution.fitsInATensor([time, 7, units]),
      LayerResolution.fitsInATensor([time, features + 7 * units])
    else { throw LayerError.tooLarge(name) }
    // As PyTorch's nn.GRU: every weight and bias from U(−1/√units, 1/√units).
    let k = 1 / Double(units).squareRoot()
    let uniform = Initializer.uniform(low: -k, high: k)
    func drawn(_ name: String, _ shape: [Int], fanIn: Int, role: ParameterRole)
      -> ParameterDeclaration {
      ParameterDeclaration(name, shape: shape,
                           initial: .drawn(uniform, fanIn: fanIn, fanOut: 3 * units), role: role)
    }
    return LayerShape(
      output: returnSequences ? [time, units] : [units],
      parameters: [
        drawn("weight_ih", [3 * units, features], fanIn: features, role: .weight),
        drawn("weight_hh", [3 * units, units], fanIn: units, role: .weight),
        drawn("bias_ih", [3 * units], fanIn: units, role: .trained),
        drawn("bias_hh", [3 * units], fanIn: units, role: .trained),
      ])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let shape = layer.inputShape
    let geometry = GRUGeometry(time: shape[0], features: shape[1], units: units,
                               returnSequences: returnSequences)
    let output = try lowering.graph.add(
      .sequences(.gru(geometry)),
      [input, lowering.parameter(layer, "weight_ih"), lowering.parameter(layer, "weight_hh"),
       lowering.parameter(layer, "bias_ih"), lowering.parameter(layer, "bias_hh")],
      tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int {
    let (time, features) = (layer.inputShape[0], layer.inputShape[1])
    // Per step: the two projections with their biases (as PyTorch computes them, the first
    // step's hidden one included), then the gates and the new state, about 10 per unit.
    return time * (6 * units * (features + units) + 6 * units + 10 * units)
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("gru")
    fields["units"] = .integer(units)
    fields["return_sequences"] = .bool(returnSequences)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> GRU {
    GRU(units: try fields.positive("units", else: "needs a positive whole number of units"),
        returnSequences: try fields.bool("return_sequences", default: false))
  }
}
