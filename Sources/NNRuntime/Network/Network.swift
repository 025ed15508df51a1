/// A declared network: its layers, its per-sample input shape, and its parameters in one
/// contiguous store. Lowered to a `Graph` per batch size; the graph compiles to plans.
public final class Network: @unchecked Sendable {
  /// Shape of one sample (`[2]` for a model of input size 2).
  public let inputShape: [Int]
  /// The declared layers, in order.
  public let layers: [Layer]
  /// `dense1.weight`, `dense1.bias`, … in parameter-index order.
  public let parameterNames: [String]
  /// Every parameter, contiguous (the optimizer and, later, an all-reduce take it in one call).
  public let parameters: ParameterStore<Float>

  /// Makes a network from its layers and an already-initialized parameter store.
  public init(inputShape: [Int], layers: [Layer], parameterNames: [String],
              parameters: ParameterStore<Float>) {
    self.inputShape = inputShape
    self.layers = layers
    self.parameterNames = parameterNames
    self.parameters = parameters
  }

  /// Shape of one output sample.
  public var outputShape: [Int] { layers.last?.outputShape ?? inputShape }

  /// Scalars in all parameters.
  public var parameterCount: Int { parameters.count }

  /// The indices of parameters that are state rather than trained (batchnorm's running
  /// statistics): no gradient reaches them, the trainer restores them around the optimizer's
  /// step, and l2 and weight decay leave them alone. Saved and loaded with the others.
  public var bufferParameters: [Int] {
    func collect(_ layers: [Layer]) -> [Int] {
      layers.flatMap { layer -> [Int] in
        switch layer.kind {
        case .normalization(_, _, _, let mean, let variance): [mean, variance].compactMap { $0 }
        case .residual(let body): collect(body)
        default: []
        }
      }
    }
    return collect(layers)
  }

  /// The nodes a lowering made: the input, the output, and each top-level layer's
  /// pre-activation `z` and output `a` (the same node for layers without an activation).
  public struct Lowering: Sendable {
    /// The node of the input batch.
    public var input: NodeID
    /// The node of the network's output.
    public var output: NodeID
    /// The `z` and `a` nodes of each top-level layer, in layer order.
    public var layerNodes: [LayerNodes]
    /// One node per parameter, in parameter order.
    public var parameterNodes: [NodeID]
  }

  /// The nodes one top-level layer lowered to.
  public struct LayerNodes: Sendable {
    /// The layer's name.
    public var name: String
    /// The pre-activation node.
    public var z: NodeID
    /// The output node (the same as `z` without an activation).
    public var a: NodeID
  }

  /// Adds the network's ops to `graph` for a batch of `batch` samples; input index `inputIndex`
  /// is the batch `[batch] + inputShape`.
  public func lower(
    into graph: inout Graph, batch: Int, inputIndex: Int = 0
  ) throws(GraphError) -> Lowering {
    let input = graph.input(inputIndex, shape: [batch] + inputShape)
    var parameterNodes: [NodeID] = []
    for (index, shape) in parameters.shapes.enumerated() {
      parameterNodes.append(graph.parameter(index, shape: shape))
    }
    var layerNodes: [LayerNodes] = []
    let output = try lower(layers, from: input, into: &graph, parameterNodes: parameterNodes,
                           record: &layerNodes)
    return Lowering(input: input, output: output, layerNodes: layerNodes,
                    parameterNodes: parameterNodes)
  }

  private func lower(
    _ layers: [Layer], from input: NodeID, into graph: inout Graph, parameterNodes: [NodeID],
    record: inout [LayerNodes]
  ) throws(GraphError) -> NodeID {
    var current = input
    for layer in layers {
      let tag = layer.tag
      var z = current
      switch layer.kind {
      case .dense(_, let activation, let weight, let bias):
        z = try graph.add(.linear, [current, parameterNodes[weight]], tag: tag)
        if let bias { z = try graph.add(.addBias, [z, parameterNodes[bias]], tag: tag) }
        current = activation == .identity
          ? z : try graph.add(.activation(activation), [z], tag: tag)
      case .activation(let activation):
        current = try graph.add(.activation(activation), [current], tag: tag)
      case .dropout(let p):
        current = try graph.add(.dropout(p), [current], tag: tag)
      case .residual(let body):
        var inner: [LayerNodes] = []
        let bodyOutput = try lower(body, from: current, into: &graph,
                                   parameterNodes: parameterNodes, record: &inner)
        z = bodyOutput
        current = try graph.add(.add, [current, bodyOutput], tag: tag)
      case .conv2d(let geometry, let activation, let weight, let bias):
        z = try graph.add(.conv2d(geometry),
                          [current, parameterNodes[weight], parameterNodes[bias]], tag: tag)
        current = activation == .identity
          ? z : try graph.add(.activation(activation), [z], tag: tag)
      case .pool2d(let geometry):
        current = try graph.add(.pool2d(geometry), [current], tag: tag)
        z = current
      case .embedding(let vocab, let dim, let table):
        current = try graph.add(.embedding(vocab: vocab, dim: dim),
                                [current, parameterNodes[table]], tag: tag)
        z = current
      case .lstm(let geometry, let weightIH, let weightHH, let bias):
        current = try graph.add(.lstm(geometry),
                                [current, parameterNodes[weightIH], parameterNodes[weightHH],
                                 parameterNodes[bias]], tag: tag)
        z = current
      case .flatten, .reshape:
        let batch = graph.shape(of: current).first ?? 1
        current = try graph.add(.reshape([batch] + layer.outputShape), [current], tag: tag)
        z = current
      case .normalization(let geometry, let gamma, let beta, let mean, let variance):
        let statistics = [mean, variance].compactMap { $0.map { parameterNodes[$0] } }
        current = try graph.add(
          .normalize(geometry),
          [current, parameterNodes[gamma], parameterNodes[beta]] + statistics, tag: tag)
        z = current
      }
      record.append(LayerNodes(name: layer.name, z: z, a: current))
    }
    return current
  }

  /// Floating-point operations for one sample's forward pass, per top-level layer (a multiply
  /// and an add count as two).
  public func flopsPerSample() -> [Int] {
    var inputShape = self.inputShape
    return layers.map { layer in
      defer { inputShape = layer.outputShape }
      return Self.flops(layer, input: inputShape)
    }
  }

  private static func flops(_ layer: Layer, input: [Int]) -> Int {
    let inputCount = input.reduce(1, *)
    let outputCount = layer.outputShape.reduce(1, *)
    switch layer.kind {
    case .dense(let units, let activation, _, let bias):
      let rows = inputCount / max(input.last ?? 1, 1)
      let features = input.last ?? 1
      return rows * (2 * features * units + (bias == nil ? 0 : units)
        + (activation == .identity ? 0 : units))
    case .activation, .dropout:
      return outputCount
    case .conv2d(let g, let activation, _, _):
      return outputCount * (2 * g.inChannels * g.kernelHeight * g.kernelWidth + 1
        + (activation == .identity ? 0 : 1))
    case .pool2d(let g):
      return outputCount * g.sizeY * g.sizeX
    case .embedding:
      return 0
    case .lstm(let g, _, _, _):
      // Per step: the gate pre-activations (two GEMVs and the bias), the gates and the cell.
      return g.time * (8 * g.units * (g.features + g.units) + 4 * g.units + 10 * g.units)
    case .flatten, .reshape:
      return 0
    case .normalization:
      return 4 * outputCount
    case .residual(let body):
      var shape = input
      var total = outputCount
      for inner in body {
        total += flops(inner, input: shape)
        shape = inner.outputShape
      }
      return total
    }
  }
}
