/// `maxpool1d(size, stride:)` / `avgpool1d(size, stride:)`: pooling along `[channels, length]`
/// samples (PyTorch's `nn.MaxPool1d` / `nn.AvgPool1d`: no padding, the output length rounded
/// down).
///
/// No kernel of its own: the batch `[B, C, L]` is viewed as images `[B, C, 1, L]` (a reshape,
/// which plans alias) and pooled by the 2-D pooling op with a `[1, size]` window, whose max
/// gradient goes to the first maximum of each window as PyTorch's.
public struct Pool1D: LayerDeclaration {
  /// Max or average.
  public var kind: PoolingGeometry.Kind
  /// The window length.
  public var size: Int
  /// The step between windows (the window, by default).
  public var stride: Int

  /// A pooling layer.
  public init(_ kind: PoolingGeometry.Kind, size: Int, stride: Int? = nil) {
    self.kind = kind
    self.size = size
    self.stride = stride ?? size
  }

  /// `maxpool1d` or `avgpool1d`.
  public var kindName: String { kind.name + "1d" }
  public var declarationText: String { "\(kindName)(\(size))" }
  public static var descriptionKinds: [String] { ["maxpool1d", "avgpool1d"] }

  /// The 2-D pooling of height 1 that computes this one over `[channels, length]` samples.
  func geometry(_ input: [Int]) -> PoolingGeometry {
    PoolingGeometry(kind: kind, input: [input[0], 1, input[1]], size: [1, size],
                    stride: [1, stride])
  }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    try context.channelsInput(kind: kindName)
    guard size <= input[1] else {
      throw LayerError(
        .shapeMismatch,
        "\(name): the window of \(size) is longer than the input's length \(input[1]) "
          + "(shape \(shapeText(input)))")
    }
    return LayerShape(output: [input[0], geometry(input).outWidth])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let geometry = geometry(layer.inputShape)
    let batch = lowering.graph.shape(of: input).first ?? 1
    let images = try lowering.graph.add(.reshape([batch] + geometry.inputShape), [input],
                                        tag: layer.tag)
    let pooled = try lowering.graph.add(.pool2d(geometry), [images], tag: layer.tag)
    let output = try lowering.graph.add(.reshape([batch] + layer.outputShape), [pooled],
                                        tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { layer.outputShape.reduce(1, *) * size }

  public func summary(of layer: Layer) -> String {
    "\(kindName)(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string(kindName)
    fields["size"] = .integer(size)
    fields["stride"] = .integer(stride)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Pool1D {
    Pool1D(fields.kind == "maxpool1d" ? .max : .average,
           size: try fields.positive("size", else: "needs a positive whole number size"),
           stride: try fields.positive("stride", else: "needs a positive whole number stride"))
  }
}
