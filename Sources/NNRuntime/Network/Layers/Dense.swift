/// `dense(units, act)`: `y = x · Wᵀ + b`, then the activation, over `[features]` samples, or
/// over the last axis of `[time, features]` sequence samples (`[time, units]`), as PyTorch's
/// `nn.Linear` (weight `[units, features]`) and Keras's `Dense` do. Images need `flatten()`.
public struct Dense: LayerDeclaration {
  /// Output features.
  public var units: Int
  /// Applied after the affine map.
  public var activation: Activation
  /// A literal weight `[units, features]` (it replaces the initialiser).
  public var weight: Tensor?
  /// A literal bias `[units]`.
  public var bias: Tensor?
  /// How the weight and bias start, and whether there is a bias.
  public var affine: AffineParameters
  /// `nil`: He before a ReLU-family activation, Xavier otherwise.
  public var initializer: Initializer? {
    get { affine.initializer }
    set { affine.initializer = newValue }
  }
  /// How the bias starts (zeros).
  public var biasInitializer: Initializer {
    get { affine.biasInitializer }
    set { affine.biasInitializer = newValue }
  }
  /// Whether the layer has a bias.
  public var useBias: Bool {
    get { affine.useBias }
    set { affine.useBias = newValue }
  }

  /// A dense layer; every argument but `units` as the language's defaults.
  public init(
    units: Int, activation: Activation = .identity, weight: Tensor? = nil, bias: Tensor? = nil,
    initializer: Initializer? = nil, biasInitializer: Initializer = .zeros,
    useBias: Bool = true
  ) {
    self.units = units
    self.activation = activation
    self.weight = weight
    self.bias = bias
    self.affine = AffineParameters(initializer: initializer, biasInitializer: biasInitializer,
                                   useBias: useBias)
  }

  public var kindName: String { "dense" }
  public static var descriptionKinds: [String] { ["dense"] }

  public var declarationText: String {
    "dense(\(units)" + (activation == .identity ? "" : ", \(activation.name)") + ")"
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let name = context.name
    let input = context.input
    guard let features = input.last, input.count >= 1 else {
      throw LayerError(.shapeMismatch, "\(name) needs inputs with at least one axis")
    }
    guard input.count <= 2 else {
      throw LayerError(.shapeMismatch,
                       "\(name): a dense layer needs samples of shape [features] or "
                         + "[time, features], but its input has shape \(shapeText(input))",
                       hint: "add flatten() before it")
    }
    let weightShape = [units, features]
    guard units.multipliedReportingOverflow(by: features).partialValue <= Tensor.maxElements,
      !units.multipliedReportingOverflow(by: features).overflow
    else {
      throw LayerError(.resourceLimit,
                       "\(name) would need a \(units) × \(features) weight, more than the "
                         + "\(Tensor.maxElements) elements a tensor may hold")
    }
    // A sequence's output [time, units] holds a row per position.
    let output = Array(input.dropLast()) + [units]
    guard LayerResolution.fitsInATensor(output) else {
      throw LayerError(.resourceLimit,
                       "\(name) would give samples of shape \(shapeText(output)), more than the "
                         + "\(Tensor.maxElements) elements a tensor may hold")
    }
    if let weight, weight.shape != weightShape {
      throw LayerError(
        .shapeMismatch,
        "\(name): the weight has shape \(shapeText(weight.shape)) but the layer "
          + "needs [units, inputs] = \(shapeText(weightShape))",
        hint: "row i of the weight holds the weights into unit i", argument: "weight")
    }
    if let bias, bias.shape != [units] {
      throw LayerError(
        .shapeMismatch,
        "\(name): the bias has shape \(shapeText(bias.shape)) but the layer has "
          + "\(units) units, so it needs [\(units)]", argument: "bias")
    }
    let parameters = affine.declarations(
      weightShape: weightShape, biasCount: units, fanIn: features, fanOut: units,
      activation: activation, weight: weight, bias: bias)
    return LayerShape(output: output, parameters: parameters)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let tag = layer.tag
    let weight = try lowering.parameter(layer, "weight")
    let bias = useBias ? try lowering.parameter(layer, "bias") : nil
    // The activation follows the reshape back to [B, T, units], so that a softmax or sigmoid
    // still directly precedes the loss it fuses with; linear and bias stay one fused kernel.
    let z = try lowering.affine(input, weight: weight, bias: bias, tag: tag).z
    return (z, try lowering.activate(z, activation, tag: tag))
  }

  public func flops(of layer: Layer) -> Int {
    let features = layer.inputShape.last ?? 1
    let rows = layer.inputShape.reduce(1, *) / max(features, 1)
    return rows * (2 * features * units + (useBias ? units : 0)
      + (activation == .identity ? 0 : units))
  }

  public func summary(of layer: Layer) -> String {
    let act = activation == .identity ? "" : ", \(activation.name)"
    return "dense(\(units)\(act)\(affine.summarySuffix))"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("dense")
    fields["units"] = .integer(units)
    LayerDescription.encode(activation, into: &fields)
    fields["use_bias"] = .bool(useBias)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Dense {
    // The values do not matter (the file's tensors replace them); zeros draw nothing from
    // the script's random generator.
    Dense(units: try fields.positive("units", else: "needs a positive whole number of units"),
          activation: try fields.activation(default: .identity), initializer: .zeros,
          useBias: try fields.bool("use_bias", default: true))
  }
}
