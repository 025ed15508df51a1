/// `lstm(units, return_sequences:)`: an LSTM over `[time, features]` samples, with PyTorch's
/// `nn.LSTM` weight layout, gate order and initialisation (weight_ih `[4·units, features]`,
/// weight_hh `[4·units, units]`, one bias `[4·units]`: PyTorch's b_ih + b_hh).
public struct LSTM: LayerDeclaration {
  /// Hidden units.
  public var units: Int
  /// Whether the output is every step's hidden state `[time, units]` or the last `[units]`.
  public var returnSequences: Bool

  /// An LSTM layer.
  public init(units: Int, returnSequences: Bool = false) {
    self.units = units
    self.returnSequences = returnSequences
  }

  public var kindName: String { "lstm" }
  public static var descriptionKinds: [String] { ["lstm"] }

  public var declarationText: String {
    "lstm(\(units)" + (returnSequences ? ", return_sequences: true" : "") + ")"
  }

  func geometry(_ input: [Int]) -> LSTMGeometry {
    LSTMGeometry(time: input[0], features: input[1], units: units,
                 returnSequences: returnSequences)
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    guard input.count == 2 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): an lstm needs sequences of shape [time, features] per sample, but its input "
          + "has shape \(shapeText(input))",
        hint: input.count == 1
          ? "declare the model as model m([time, features]), or put an embedding first" : nil)
    }
    let geometry = geometry(input)
    guard LayerResolution.fitsInATensor([4, units, input[1]]),
      LayerResolution.fitsInATensor([4, units, units]),
      LayerResolution.fitsInATensor([input[0], 5, units]),
      LayerResolution.fitsInATensor([input[0], input[1] + 5 * units])
    else { throw LayerError.tooLarge(name) }
    // As PyTorch's nn.LSTM: every weight and bias from U(−1/√units, 1/√units).
    let k = 1 / Double(units).squareRoot()
    let uniform = Initializer.uniform(low: -k, high: k)
    return LayerShape(output: geometry.outputShape, parameters: [
      ParameterDeclaration("weight_ih", shape: geometry.inputWeightShape,
                           initial: .drawn(uniform, fanIn: input[1], fanOut: 4 * units),
                           role: .weight),
      ParameterDeclaration("weight_hh", shape: geometry.hiddenWeightShape,
                           initial: .drawn(uniform, fanIn: units, fanOut: 4 * units),
                           role: .weight),
      ParameterDeclaration("bias", shape: [4 * units],
                           initial: .drawn(uniform, fanIn: units, fanOut: 4 * units),
                           role: .trained),
    ])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try lowering.graph.add(
      .lstm(geometry(layer.inputShape)),
      [input, lowering.parameter(layer, "weight_ih"), lowering.parameter(layer, "weight_hh"),
       lowering.parameter(layer, "bias")], tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int {
    let g = geometry(layer.inputShape)
    // Per step: the gate pre-activations (two GEMVs and the bias), the gates and the cell.
    return g.time * (8 * g.units * (g.features + g.units) + 4 * g.units + 10 * g.units)
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("lstm")
    fields["units"] = .integer(units)
    fields["return_sequences"] = .bool(returnSequences)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> LSTM {
    LSTM(units: try fields.positive("units", else: "needs a positive whole number of units"),
         returnSequences: try fields.bool("return_sequences", default: false))
  }
}
