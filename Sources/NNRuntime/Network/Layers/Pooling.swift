/// `maxpool(size, stride:)` / `avgpool(size, stride:)`: pooling over `[channels, height,
/// width]` samples (PyTorch's `nn.MaxPool2d` / `nn.AvgPool2d`). Sizes are `[y, x]`.
public struct Pool2D: LayerDeclaration {
  /// Max or average.
  public var kind: PoolingGeometry.Kind
  /// The window `[y, x]`.
  public var size: [Int]
  /// The stride `[y, x]` (the window, by default).
  public var stride: [Int]

  /// A pooling layer.
  public init(_ kind: PoolingGeometry.Kind, size: [Int], stride: [Int]? = nil) {
    self.kind = kind
    self.size = size
    self.stride = stride ?? size
  }

  public var kindName: String { kind.name }
  public var declarationText: String { "\(kind.name)(\(shapeText(size)))" }
  public static var descriptionKinds: [String] { ["maxpool", "avgpool"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let (name, input) = (context.name, context.input)
    try context.imageInput(kind: kind.name)
    guard size[0] <= input[1], size[1] <= input[2] else {
      throw LayerError(
        .shapeMismatch,
        "\(name): the \(size[0])×\(size[1]) window is larger than the \(input[1])×\(input[2]) "
          + "input (shape \(shapeText(input)))")
    }
    return LayerShape(output: geometry(input).outputShape)
  }

  func geometry(_ input: [Int]) -> PoolingGeometry {
    PoolingGeometry(kind: kind, input: input, size: size, stride: stride)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try lowering.graph.add(.pool2d(geometry(layer.inputShape)), [input],
                                        tag: layer.tag)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int {
    layer.outputShape.reduce(1, *) * size[0] * size[1]
  }

  public func summary(of layer: Layer) -> String {
    let size = self.size[0] == self.size[1]
      ? "\(self.size[0])" : "[\(self.size[0]), \(self.size[1])]"
    let stride = self.stride[0] == self.stride[1]
      ? "\(self.stride[0])" : "[\(self.stride[0]), \(self.stride[1])]"
    return "\(kind.name)(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string(kind.name)
    fields["size"] = .array(size.map { .integer($0) })
    fields["stride"] = .array(stride.map { .integer($0) })
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Pool2D {
    Pool2D(fields.kind == "maxpool" ? .max : .average, size: try fields.pair("size"),
           stride: try fields.pair("stride"))
  }
}

/// `flatten`: each sample as one vector.
public struct Flatten: LayerDeclaration {
  /// A flatten layer.
  public init() {}

  public var kindName: String { "flatten" }
  public var declarationText: String { "flatten" }
  public static var descriptionKinds: [String] { ["flatten"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    LayerShape(output: [context.input.reduce(1, *)])
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try Reshape.lower(layer, input, &lowering)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { 0 }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("flatten")
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Flatten {
    Flatten()
  }
}

/// `reshape(shape)`: each sample given another shape with as many elements; one −1 is
/// inferred from the input.
public struct Reshape: LayerDeclaration {
  /// The per-sample shape asked for, with at most one −1.
  public var shape: [Int]

  /// A reshape layer.
  public init(_ shape: [Int]) { self.shape = shape }

  public var kindName: String { "reshape" }
  public var declarationText: String { "reshape(\(shapeText(shape)))" }
  public static var descriptionKinds: [String] { ["reshape"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let input = context.input
    let count = input.reduce(1, *)
    var resolved = shape
    let known = shape.filter { $0 != -1 }.reduce(1, *)
    if let unknown = shape.firstIndex(of: -1), known > 0, count % known == 0 {
      resolved[unknown] = count / known
    }
    guard resolved.allSatisfy({ $0 > 0 }), resolved.reduce(1, *) == count,
      shape.filter({ $0 == -1 }).count <= 1, resolved.count <= Tensor.maxRank
    else {
      throw LayerError(
        .shapeMismatch,
        "\(context.name): cannot reshape samples of shape \(shapeText(input)) "
          + "(\(counted(count, "element"))) to \(shapeText(shape))")
    }
    return LayerShape(output: resolved)
  }

  /// The batch reshaped to the layer's output shape.
  static func lower(
    _ layer: Layer, _ input: NodeID, _ lowering: inout LayerLowering
  ) throws(GraphError) -> NodeID {
    let batch = lowering.graph.shape(of: input).first ?? 1
    return try lowering.graph.add(.reshape([batch] + layer.outputShape), [input], tag: layer.tag)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try Self.lower(layer, input, &lowering)
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { 0 }

  public func summary(of layer: Layer) -> String {
    "reshape(" + shapeText(layer.outputShape) + ")"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("reshape")
    fields["shape"] = .array(layer.outputShape.map { .integer($0) })
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Reshape {
    guard case .array(let items)? = fields.fields["shape"], !items.isEmpty,
      items.count <= Tensor.maxRank
    else {
      throw fields.failure("needs a shape")
    }
    var shape: [Int] = []
    for item in items {
      guard case .integer(let n) = item, n > 0, n <= Tensor.maxElements else {
        throw fields.failure("has a shape holding \(item.text)")
      }
      shape.append(n)
    }
    return Reshape(shape)
  }
}
