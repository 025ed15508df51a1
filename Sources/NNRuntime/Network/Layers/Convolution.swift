/// `conv2d(filters, kernel, stride:, padding:, act:, init:, bias_init:, use_bias:)`: a 2-D
/// convolution over
/// `[channels, height, width]` samples, then the activation (PyTorch's `nn.Conv2d`, weight
/// `[filters, channels, kh, kw]`). Sizes are `[y, x]`.
public struct Conv2D: LayerDeclaration {
  /// Output channels.
  public var filters: Int
  /// The kernel `[height, width]`.
  public var kernel: [Int]
  /// The stride `[y, x]`.
  public var stride: [Int]
  /// `padding: "same"` (the default) or `"valid"`.
  public var same: Bool
  /// Applied after the convolution.
  public var activation: Activation
  /// How the weight and bias start, and whether there is a bias (as `dense`).
  public var affine: AffineParameters
  /// `nil`: He before a ReLU-family activation, Xavier otherwise.
  public var initializer: Initializer? {
    get { affine.initializer }
    set { affine.initializer = newValue }
  }

  /// A convolution; every argument but `filters` and `kernel` as the language's defaults.
  public init(
    filters: Int, kernel: [Int], stride: [Int] = [1, 1], same: Bool = true,
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

  public var kindName: String { "conv2d" }
  public static var descriptionKinds: [String] { ["conv2d"] }

  public var declarationText: String {
    let act = activation == .identity ? "" : ", \(activation.name)"
    return "conv2d(\(filters), \(shapeText(kernel))\(act))"
  }

  func geometry(_ input: [Int]) -> ConvolutionGeometry {
    ConvolutionGeometry(input: input, filters: filters, kernel: kernel, stride: stride,
                        same: same, hasBias: affine.useBias)
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    try context.imageInput(kind: "conv2d")
    let (kh, kw) = (kernel[0], kernel[1])
    if !same, kh > input[1] || kw > input[2] {
      throw LayerError(
        .shapeMismatch,
        "\(name): the \(kh)×\(kw) kernel is larger than the \(input[1])×\(input[2]) input "
          + "(shape \(shapeText(input))) with padding \"valid\"",
        hint: "use a smaller kernel, or padding: \"same\"")
    }
    let geometry = geometry(input)
    // The im2col scratch matrix is [in_channels · kh · kw, out_height · out_width].
    guard LayerResolution.fitsInATensor(geometry.weightShape),
      LayerResolution.fitsInATensor(geometry.outputShape),
      LayerResolution.fitsInATensor([input[0], kh, kw, geometry.outHeight, geometry.outWidth])
    else { throw LayerError.tooLarge(name) }
    let fanIn = input[0] * kh * kw
    let fanOut = filters * kh * kw
    return LayerShape(output: geometry.outputShape, parameters: affine.declarations(
      weightShape: geometry.weightShape, biasCount: filters, fanIn: fanIn, fanOut: fanOut,
      activation: activation))
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    var operands = [input, try lowering.parameter(layer, "weight")]
    if affine.useBias { operands.append(try lowering.parameter(layer, "bias")) }
    let z = try lowering.graph.add(.conv2d(geometry(layer.inputShape)), operands,
                                   tag: layer.tag)
    return (z, try lowering.activate(z, activation, tag: layer.tag))
  }

  public func flops(of layer: Layer) -> Int {
    let g = geometry(layer.inputShape)
    return layer.outputShape.reduce(1, *) * (2 * g.inChannels * g.kernelHeight * g.kernelWidth
      + (affine.useBias ? 1 : 0) + (activation == .identity ? 0 : 1))
  }

  public func summary(of layer: Layer) -> String {
    let kernel = self.kernel[0] == self.kernel[1]
      ? "\(self.kernel[0])" : "[\(self.kernel[0]), \(self.kernel[1])]"
    let stride = self.stride[0] == self.stride[1]
      ? "\(self.stride[0])" : "[\(self.stride[0]), \(self.stride[1])]"
    return "conv2d(\(filters), \(kernel)"
      + (stride == "1" ? "" : ", stride: \(stride)")
      + (same ? ", same" : ", valid")
      + (activation == .identity ? "" : ", \(activation.name)") + affine.summarySuffix + ")"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("conv2d")
    fields["filters"] = .integer(filters)
    fields["kernel"] = .array(kernel.map { .integer($0) })
    fields["stride"] = .array(stride.map { .integer($0) })
    fields["padding"] = .string(same ? "same" : "valid")
    LayerDescription.encode(activation, into: &fields)
    fields["use_bias"] = .bool(affine.useBias)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Conv2D {
    let filters = try fields.positive("filters", else: "needs a positive whole number of filters")
    let kernel = try fields.pair("kernel")
    let stride = try fields.pair("stride")
    let same = try fields.padding()
    // Zeros: the file's tensors replace the values, and nothing is drawn.
    return Conv2D(filters: filters, kernel: kernel, stride: stride, same: same,
                  activation: try fields.activation(default: .identity), initializer: .zeros,
                  useBias: try fields.bool("use_bias", default: true))
  }
}
