/// `residual { … }`: `output = input + body(input)`; the body must keep the shape.
public struct Residual: LayerDeclaration {
  /// The body's layers.
  public var body: [DeclaredLayer]

  /// A residual block around `body`.
  public init(_ body: [DeclaredLayer]) { self.body = body }

  public var kindName: String { "residual" }
  public var declarationText: String { "residual(\(counted(body.count, "layer")))" }
  public static var descriptionKinds: [String] { ["residual"] }
  public var differsInTraining: Bool { body.contains { $0.declaration.differsInTraining } }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let input = context.input
    let layers = try context.resolve(body, input: input)
    let output = layers.last?.outputShape ?? input
    guard output == input else {
      throw LayerError(
        .shapeMismatch,
        "residual \(context.name): the body turns shape \(shapeText(input)) "
          + "into \(shapeText(output)), but input + body(input) needs the shape "
          + "kept")
    }
    return LayerShape(output: input, body: layers)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let bodyOutput = try lowering.lower(layer.body, from: input)
    return (bodyOutput, try lowering.graph.add(.add, [input, bodyOutput], tag: layer.tag))
  }

  public func flops(of layer: Layer) -> Int {
    layer.outputShape.reduce(1, *) + layer.body.map { $0.declaration.flops(of: $0) }.reduce(0, +)
  }

  public func summary(of layer: Layer) -> String {
    "residual(\(counted(layer.body.count, "layer")))"
  }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("residual")
    fields["layers"] = .array(LayerDescription.encode(layer.body))
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Residual {
    guard case .array(let body)? = fields.fields["layers"] else {
      throw fields.failure("has no layers")
    }
    return Residual(try LayerDescription.decode(body, path: "\(fields.position)."))
  }
}
