/// `conv1d(filters, kernel, stride:, padding:, act:, init:, bias_init:, use_bias:)`: a 1-D
/// convolution over `[channels, length]` samples, then the activation (PyTorch's `nn.Conv1d`,
/// weight `[filters, channels, kernel]`, bias `[filters]`).
///
/// No kernel of its own: the batch `[B, C, L]` is viewed as images `[B, C, 1, L]` and the weight
/// `[F, C, k]` as `[F, C, 1, k]` (reshapes, which plans alias), so `conv2d`'s op, with its
/// im2col, gradients and "same" rule, computes it; the output is viewed back as `[B, F, L']`.
/// The parameters keep PyTorch's 1-D layout, so a saved file loads into `nn.Conv1d`.
public struct Conv1D: LayerDeclaration {
  /// Output channels.
  public var filters: Int
  /// The window length.
  public var kernel: Int
  /// The step between windows.
  public var stride: Int
  /// `padding: "same"` (the default) or `"valid"`.
  public var same: Bool
  /// Applied after the convolution.
  public var activation: Activation
  /// How the weight and bias start, and whether there is a bias (as `dense` and `conv2d`).
  public var affine: AffineParameters

  /// A convolution; every argument but `filters` and `kernel` as the language's defaults.
  public init(
    filters: Int, kernel: Int, stride: Int = 1, same: Bool = true,
    activation: Activation = .identity, initializer: Initializer? = nil,
    biasInitializer: Initializer = .zeros, useBias: Bool = true
  ) {
    self.filters = filters
    self.kernel = kernel
    self.stride = stride
    self.same = same
    self.activation = activation
    self.affine = AffineParameters(initializer: initializer, biasInitializer: biasInitializer,
                                   useBias: useBias)
  }

  public var kindName: String { "conv1d" }
  public static var descriptionKinds: [String] { ["conv1d"] }

  public var declarationText: String {
    let act = activation == .identity ? "" : ", \(activation.name)"
    return "conv1d(\(filters), \(kernel)\(act))"
  }

  /// The 2-D convolution of height 1 that computes this one over `[channels, length]`
  /// samples.
  func geometry(_ input: [Int]) -> ConvolutionGeometry {
    ConvolutionGeometry(input: [input[0], 1, input[1]], filters: filters, kernel: [1, kernel],
                        stride: [1, stride], same: same, hasBias: affine.useBias)
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    try context.channelsInput(kind: "conv1d")
    if !same, kernel > input[1] {
      throw LayerError(
        .shapeMismatch,
        "\(name): the kernel of \(kernel) is longer than the input's length \(input[1]) "
          + "(shape \(shapeText(input))) with padding \"valid\"",
        hint: "use a shorter kernel, or padding: \"same\"")
    }
    let geometry = geometry(input)
    let weightShape = [filters, input[0], kernel]
    // The im2col scratch matrix is [in_channels · kernel, out_length].
    guard LayerResolution.fitsInATensor(weightShape),
      LayerResolution.fitsInATensor(geometry.outputShape),
      LayerResolution.fitsInATensor([input[0], kernel, geometry.outWidth])
    else { throw LayerError.tooLarge(name) }
    // PyTorch's fans for a Conv1d weight: in_channels · k and filters · k.
    return LayerShape(
      output: [filters, geometry.outWidth],
      parameters: affine.declarations(
        weightShape: weightShape, biasCount: filters, fanIn: input[0] * kernel,
        fanOut: filters * kernel, activation: activation))
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let geometry = geometry(layer.inputShape)
    let batch = lowering.graph.shape(of: input).first ?? 1
    let tag = layer.tag
    let images = try lowering.graph.add(.reshape([batch] + geometry.inputShape), [input],
                                        tag: tag)
    let weight = try lowering.graph.add(.reshape(geometry.weightShape),
                                        [try lowering.parameter(layer, "weight")], tag: tag)
    var operands = [images, weight]
    if affine.useBias { operands.append(try lowering.parameter(layer, "bias")) }
    let convolved = try lowering.graph.add(.conv2d(geometry), operands, tag: tag)
    let z = try lowering.graph.add(.reshape([batch] + layer.outputShape), [convolved], tag: tag)
    return (z, try lowering.activate(z, activation, tag: tag))
  }

  public func flops(of layer: Layer) -> Int {
    layer.outputShape.reduce(1, *) * (2 * layer.inputShape[0] * kernel
      + (affine.useBias ? 1 : 0) + (activation == .identity ? 0 : 1))
  }

  public func summary(of layer: Layer) -> String {
    "conv1d(\(filters), \(kernel)" + (stride == 1 ? "" : ", stride: \(stride)")
      + (same ? ", same" : ", valid")
      + (activation == .identity ? "" : ", \(activation.name)") + affine.summarySuffix + ")"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("conv1d")
    fields["filters"] = .integer(filters)
    fields["kernel"] = .integer(kernel)
    fields["stride"] = .integer(stride)
    fields["padding"] = .string(same ? "same" : "valid")
    LayerDescription.encode(activation, into: &fields)
    fields["use_bias"] = .bool(affine.useBias)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Conv1D {
    let filters = try fields.positive("filters", else: "needs a positive whole number of filters")
    let kernel = try fields.positive("kernel", else: "needs a positive whole number kernel")
    let stride = try fields.positive("stride", else: "needs a positive whole number stride")
    // Zeros: the file's tensors replace the values, and nothing is drawn.
    return Conv1D(filters: filters, kernel: kernel, stride: stride,
                  same: try fields.padding(), activation: try fields.activation(default: .identity),
                  initializer: .zeros, useBias: try fields.bool("use_bias", default: true))
  }
}

extension LayerResolution {
  /// Checks that samples are `[channels, length]`, what the 1-D layers take.
  public func channelsInput(kind: String) throws(LayerError) {
    guard input.count == 2 else {
      let article = "aeiou".contains(kind.first ?? "c") ? "an" : "a"
      let hint: String? = switch input.count {
      case 1: "give the model [channels, length] samples, or reshape([1, \(input[0])]) first"
      case 3: "\(article) \(kind) slides along one axis; images [channels, height, width] "
        + "take the 2-D layers"
      default: nil
      }
      throw LayerError(
        .shapeMismatch,
        "\(name): \(article) \(kind) needs samples of shape [channels, length], but its input "
          + "has shape \(shapeText(input))", hint: hint)
    }
  }
}

extension LayerFields {
  /// `"padding"`: true for `"same"`, false for `"valid"`.
  public func padding() throws(LayerDescription.Failure) -> Bool {
    switch fields["padding"] {
    case .string("same")?: return true
    case .string("valid")?: return false
    default: throw failure("needs padding \"same\" or \"valid\"")
    }
  }
}
