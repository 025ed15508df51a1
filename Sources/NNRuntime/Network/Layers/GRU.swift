/// `gru(units, return_sequences:)`: a GRU over `[time, features]` samples, as PyTorch's
/// `nn.GRU(features, units, batch_first=True)` from a zero state: weight_ih `[3·units,
/// features]`, weight_hh `[3·units, units]`, bias_ih and bias_hh `[3·units]`, gates r, z, n.
///
/// Unlike the LSTM it has no kernel of its own: it lowers to primitive ops (one `linear` for
/// the input projection of every step, then per step a `linear` of the hidden state, slices
/// for the gates, sigmoid, tanh and element-wise arithmetic), which the plan compiler
/// schedules and fuses and autodiff differentiates through time.
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

  /// The most time steps a gru unrolls: every step is a handful of graph nodes, forward and
  /// backward, so a longer sequence is refused as a resource limit rather than built slowly.
  public static let maxTimeSteps = 4096

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
    guard time <= GRU.maxTimeSteps else {
      throw LayerError(
        .resourceLimit,
        "\(name): a gru unrolls at most \(GRU.maxTimeSteps) time steps, but its input has "
          + "\(time) (shape \(shapeText(input)))",
        hint: "split long sequences into shorter windows")
    }
    guard LayerResolution.fitsInATensor([3, units, features]),
      LayerResolution.fitsInATensor([3, units, units]),
      LayerResolution.fitsInATensor([time, 3, units]),
      LayerResolution.fitsInATensor([time, features])
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
    let output = try GRULowering(layer: layer, units: units, input: input, lowering: &lowering)
      .unroll(returnSequences: returnSequences, into: &lowering)
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

/// The primitive ops of one gru layer's forward pass over a batch `[B, T, F]`.
private struct GRULowering {
  let tag: Int
  let batch: Int
  let time: Int
  let units: Int
  let weightHH: NodeID
  let biasHH: NodeID
  /// `x · W_ihᵀ + b_ih` for every step at once, `[B, T, 3H]`.
  let projected: NodeID

  init(layer: Layer, units: Int, input: NodeID, lowering: inout LayerLowering)
    throws(GraphError) {
    let shape = lowering.graph.shape(of: input)
    let (batch, time, features) = (shape[0], shape[1], shape[2])
    self.tag = layer.tag
    self.batch = batch
    self.time = time
    self.units = units
    self.weightHH = try lowering.parameter(layer, "weight_hh")
    self.biasHH = try lowering.parameter(layer, "bias_hh")
    // The input side does not depend on the state: one product over all B·T rows.
    let rows = try lowering.graph.add(.reshape([batch * time, features]), [input], tag: tag)
    let product = try lowering.graph.add(
      .linear, [rows, lowering.parameter(layer, "weight_ih")], tag: tag)
    let biased = try lowering.graph.add(
      .addBias, [product, lowering.parameter(layer, "bias_ih")], tag: tag)
    self.projected = try lowering.graph.add(.reshape([batch, time, 3 * units]), [biased],
                                            tag: tag)
  }

  /// The hidden state after every step; the last, or all stacked `[B, T, H]`.
  func unroll(returnSequences: Bool, into lowering: inout LayerLowering) throws(GraphError)
    -> NodeID {
    var states: [NodeID] = []
    var hidden: NodeID?
    for t in 0..<time {
      let next = try step(t, from: hidden, into: &lowering)
      states.append(next)
      hidden = next
    }
    guard returnSequences else { return states[states.count - 1] }
    return try lowering.graph.add(.stack(axis: 1, count: states.count), states, tag: tag)
  }

  /// The node `op` makes of `inputs`, tagged with the layer.
  private func add(
    _ op: Op, _ inputs: [NodeID], _ lowering: inout LayerLowering
  ) throws(GraphError) -> NodeID {
    try lowering.graph.add(op, inputs, tag: tag)
  }

  /// Gate columns `chunk·H ..< (chunk + count)·H` along `axis` (1 of `[B, 3H]`, 0 of `[3H]`).
  private func gates(
    _ node: NodeID, _ chunk: Int, _ count: Int, axis: Int = 1, _ lowering: inout LayerLowering
  ) throws(GraphError) -> NodeID {
    try add(.slice(SliceRange(axis: axis, start: chunk * units, end: (chunk + count) * units)),
            [node], &lowering)
  }

  /// One step: h' = (1 − z) ⊙ n + z ⊙ h, written n + z ⊙ (h − n); a nil `hidden` is the zero
  /// initial state, whose product with W_hh is left out (it is zero, and so is its gradient).
  private func step(
    _ t: Int, from hidden: NodeID?, into lowering: inout LayerLowering
  ) throws(GraphError) -> NodeID {
    let row = try add(.slice(SliceRange(axis: 1, start: t, end: t + 1)), [projected], &lowering)
    let input = try add(.reshape([batch, 3 * units]), [row], &lowering)
    // The hidden side W_hh·h + b_hh, split into its r and z columns and its n columns.
    let recurrentRZ: NodeID
    let recurrentN: NodeID
    if let hidden {
      let product = try add(.linear, [hidden, weightHH], &lowering)
      let recurrent = try add(.addBias, [product, biasHH], &lowering)
      recurrentRZ = try gates(recurrent, 0, 2, &lowering)
      recurrentN = try gates(recurrent, 2, 1, &lowering)
    } else {
      recurrentRZ = try gates(biasHH, 0, 2, axis: 0, &lowering)
      recurrentN = try gates(biasHH, 2, 1, axis: 0, &lowering)
    }
    // r and z together: one add and one sigmoid over 2H columns.
    let preRZ = try add(.add, [try gates(input, 0, 2, &lowering), recurrentRZ], &lowering)
    let rz = try add(.activation(.sigmoid), [preRZ], &lowering)
    let r = try gates(rz, 0, 1, &lowering)
    let z = try gates(rz, 1, 1, &lowering)
    let gated = try add(.multiply, [r, recurrentN], &lowering)
    let preN = try add(.add, [try gates(input, 2, 1, &lowering), gated], &lowering)
    let n = try add(.activation(.tanh), [preN], &lowering)
    guard let hidden else {
      return try add(.subtract, [n, try add(.multiply, [z, n], &lowering)], &lowering)
    }
    let difference = try add(.subtract, [hidden, n], &lowering)
    return try add(.add, [n, try add(.multiply, [z, difference], &lowering)], &lowering)
  }
}
