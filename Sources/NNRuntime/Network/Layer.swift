/// One layer of a network as declared: what it computes and which parameters it owns. The
/// language builds these; `Network` lowers them to graph ops for a given batch size.
public indirect enum LayerKind: Sendable {
  /// `y = x · Wᵀ + b`, then the activation. `weight` and `bias` index the network's parameters.
  case dense(units: Int, activation: Activation, weight: Int, bias: Int?)
  case activation(Activation)
  /// Inverted dropout, active only in training plans.
  case dropout(Double)
  /// `output = input + body(input)`; the body must keep the shape.
  case residual([Layer])
  /// A 2-D convolution over `[channels, height, width]` samples, then the activation.
  case conv2d(ConvolutionGeometry, activation: Activation, weight: Int, bias: Int)
  /// Max or average pooling over `[channels, height, width]` samples.
  case pool2d(PoolingGeometry)
  /// Each sample as one vector.
  case flatten
  /// Each sample given another shape with the same number of elements (the layer's output).
  case reshape
  /// A lookup of each token id (the model's input, `[time]` per sample) in a `[vocab, dim]`
  /// table.
  case embedding(vocab: Int, dim: Int, table: Int)
  /// An LSTM over `[time, features]` samples (PyTorch's weight layout and gate order).
  case lstm(LSTMGeometry, weightIH: Int, weightHH: Int, bias: Int)
  /// Batch or layer normalisation with learned scale `gamma` and shift `beta`; batchnorm's
  /// running statistics are parameters the optimizer leaves alone (`Network.bufferParameters`).
  case normalization(NormalizationGeometry, gamma: Int, beta: Int, runningMean: Int?,
                     runningVariance: Int?)
}

/// A declared layer: its name (`dense1`, or one the script chose), what it is, the per-sample
/// shape it produces, and an opaque tag the host maps back to a source range.
public struct Layer: Sendable {
  /// The layer's name: `dense1`, or one the script chose.
  public var name: String
  /// What the layer computes.
  public var kind: LayerKind
  /// Shape of one output sample.
  public var outputShape: [Int]
  /// Opaque tag the host maps back to the layer's source range.
  public var tag: Int

  /// Makes a layer from its name, kind, per-sample output shape and source tag.
  public init(name: String, kind: LayerKind, outputShape: [Int], tag: Int) {
    self.name = name
    self.kind = kind
    self.outputShape = outputShape
    self.tag = tag
  }

  /// A short description of the layer kind for summaries: `dense(8, tanh)`, `dropout(0.5)`.
  public var summary: String {
    switch kind {
    case .dense(let units, let activation, _, let bias):
      let act = activation == .identity ? "" : ", \(activation.name)"
      return "dense(\(units)\(act)\(bias == nil ? ", use_bias: false" : ""))"
    case .activation(let activation): return activation.name
    case .dropout(let p): return "dropout(\(p))"
    case .residual(let body): return "residual(\(body.count) layers)"
    case .conv2d(let g, let activation, _, _):
      let kernel = g.kernelHeight == g.kernelWidth
        ? "\(g.kernelHeight)" : "[\(g.kernelHeight), \(g.kernelWidth)]"
      let stride = g.strideY == g.strideX ? "\(g.strideY)" : "[\(g.strideY), \(g.strideX)]"
      return "conv2d(\(g.filters), \(kernel)"
        + (stride == "1" ? "" : ", stride: \(stride)")
        + (g.same ? ", same" : ", valid")
        + (activation == .identity ? "" : ", \(activation.name)") + ")"
    case .pool2d(let g):
      let size = g.sizeY == g.sizeX ? "\(g.sizeY)" : "[\(g.sizeY), \(g.sizeX)]"
      let stride = g.strideY == g.strideX ? "\(g.strideY)" : "[\(g.strideY), \(g.strideX)]"
      return "\(g.kind.name)(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")"
    case .embedding(let vocab, let dim, _): return "embedding(\(vocab), \(dim))"
    case .lstm(let g, _, _, _):
      return "lstm(\(g.units)" + (g.returnSequences ? ", return_sequences: true" : "") + ")"
    case .flatten: return "flatten"
    case .reshape:
      return "reshape([" + outputShape.map(String.init).joined(separator: ", ") + "])"
    case .normalization(let n, _, _, _, _): return n.kind.name
    }
  }
}
