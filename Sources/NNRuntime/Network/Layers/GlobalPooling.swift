/// `global_avgpool()` / `global_maxpool()`: the mean or maximum of each feature over a whole
/// sample: over time for a sequence `[time, features]` (→ `[features]`, Keras'
/// `GlobalAveragePooling1D`), over height and width for an image `[channels, height, width]`
/// (→ `[channels]`, PyTorch's `AdaptiveAvgPool2d(1)` then a flatten).
///
/// No kernel of its own: the mean is the `mean` reduction (an image's plane first viewed as one
/// axis); the maximum is the 2-D max-pooling op with one window covering the whole extent (a
/// sequence viewed as one image `[1, time, features]` under a `[time, 1]` window), whose
/// gradient goes to the first maximum, as PyTorch's.
public struct GlobalPool: LayerDeclaration {
  /// Max or average.
  public var kind: PoolingGeometry.Kind

  /// A global pooling layer.
  public init(_ kind: PoolingGeometry.Kind) { self.kind = kind }

  /// `global_maxpool` or `global_avgpool`.
  public var kindName: String { "global_" + kind.name }
  public var declarationText: String { kindName }
  public static var descriptionKinds: [String] { ["global_maxpool", "global_avgpool"] }

  public func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    let input = context.input
    switch input.count {
    case 2: return LayerShape(output: [input[1]])
    case 3: return LayerShape(output: [input[0]])
    default:
      throw LayerError(
        .shapeMismatch,
        "\(context.name): a \(kindName) needs sequences [time, features] or images "
          + "[channels, height, width], but its input has shape \(shapeText(input))",
        hint: input.count == 1 ? "its samples are already vectors; a dense layer takes them"
          : nil)
    }
  }

  /// The 2-D max pooling whose one window covers a whole sample of `input`.
  func maxGeometry(_ input: [Int]) -> PoolingGeometry {
    let image = input.count == 2 ? [1] + input : input
    let window = input.count == 2 ? [input[0], 1] : [input[1], input[2]]
    return PoolingGeometry(kind: .max, input: image, size: window, stride: window)
  }

  public func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let sample = layer.inputShape
    let batch = lowering.graph.shape(of: input).first ?? 1
    let tag = layer.tag
    let output: NodeID
    switch kind {
    case .average:
      // [B, T, D] → mean over T; [B, C, H, W] → [B, C, H·W] → mean over H·W.
      let rows = sample.count == 2
        ? input
        : try lowering.graph.add(.reshape([batch, sample[0], sample[1] * sample[2]]), [input],
                                 tag: tag)
      output = try lowering.graph.add(.mean(axis: sample.count == 2 ? 1 : 2), [rows], tag: tag)
    case .max:
      let geometry = maxGeometry(sample)
      let images = sample.count == 2
        ? try lowering.graph.add(.reshape([batch] + geometry.inputShape), [input], tag: tag)
        : input
      let pooled = try lowering.graph.add(.pool2d(geometry), [images], tag: tag)
      output = try lowering.graph.add(.reshape([batch] + layer.outputShape), [pooled], tag: tag)
    }
    return (output, output)
  }

  public func flops(of layer: Layer) -> Int { layer.inputShape.reduce(1, *) }

  public func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string(kindName)
  }

  public static func decode(_ fields: LayerFields) throws(LayerDescription.Failure)
    -> GlobalPool {
    GlobalPool(fields.kind == "global_maxpool" ? .max : .average)
  }
}
