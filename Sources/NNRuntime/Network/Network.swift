/// A declared network: its layers, its per-sample input shape, and its parameters in one
/// contiguous store. Lowered to a `Graph` per batch size; the graph compiles to plans.
/// `NetworkBuilder` makes one from layer declarations.
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

  /// Every layer, a block's body after the block, in declaration order.
  public var allLayers: [Layer] {
    func flatten(_ layers: [Layer]) -> [Layer] {
      layers.flatMap { [$0] + flatten($0.body) }
    }
    return flatten(layers)
  }

  /// The role of each parameter, in parameter order, as its layer declared it.
  public var parameterRoles: [ParameterRole] {
    var roles = Array(repeating: ParameterRole.trained, count: parameterNames.count)
    for layer in allLayers {
      for parameter in layer.parameters where parameter.index < roles.count {
        roles[parameter.index] = parameter.role
      }
    }
    return roles
  }

  /// Per parameter, whether `l2` applies (a weight matrix or kernel; see `ParameterRole`).
  public var weightMask: [Bool] { parameterRoles.map { $0 == .weight } }

  /// The indices of parameters that are state rather than trained (batchnorm's running
  /// statistics): no gradient reaches them, the trainer restores them around the optimizer's
  /// step, and l2, weight decay and gradient checks leave them alone.
  public var bufferParameters: [Int] {
    parameterRoles.indices.filter { parameterRoles[$0] == .buffer }
  }

  /// Whether a training plan computes something an inference plan does not (dropout, batch
  /// statistics).
  public var differsInTraining: Bool {
    allLayers.contains { $0.declaration.differsInTraining }
  }

  /// The buffers' current values, to put back with `restoreBuffers`.
  public func savedBuffers() -> [(index: Int, values: Tensor)] {
    bufferParameters.map { ($0, parameters.tensor($0)) }
  }

  /// Puts back buffer values `savedBuffers` returned.
  public func restoreBuffers(_ saved: [(index: Int, values: Tensor)]) {
    for (index, values) in saved { parameters.assign(index, values) }
  }

  /// One optimizer update from a full gradient buffer (one value per parameter scalar); the
  /// buffers keep their values, whatever the rule's weight decay would do to them.
  public func step(
    _ state: OptimizerState<Float>, gradients: UnsafePointer<Float>, learningRate: Double
  ) {
    let saved = savedBuffers()
    state.step(parameters: parameters.pointer, gradients: gradients, learningRate: learningRate)
    restoreBuffers(saved)
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
    /// Inner values the layer asks `trace` to show (an attention's weights per head), with
    /// their labels.
    public var shown: [ShownNode] = []
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
    var lowering = LayerLowering(graph: graph, parameterNodes: parameterNodes)
    defer { graph = lowering.graph }
    var layerNodes: [LayerNodes] = []
    let output = try Self.lower(layers, from: input, into: &lowering, record: &layerNodes)
    return Lowering(input: input, output: output, layerNodes: layerNodes,
                    parameterNodes: parameterNodes)
  }

  static func lower(
    _ layers: [Layer], from input: NodeID, into lowering: inout LayerLowering,
    record: inout [LayerNodes]
  ) throws(GraphError) -> NodeID {
    var current = input
    for layer in layers {
      let before = lowering.shown.count
      let (z, a) = try layer.declaration.lower(layer, from: current, into: &lowering)
      current = a
      record.append(LayerNodes(name: layer.name, z: z, a: a,
                               shown: Array(lowering.shown[before...])))
    }
    return current
  }

  /// Floating-point operations for one sample's forward pass, per top-level layer (a multiply
  /// and an add count as two).
  public func flopsPerSample() -> [Int] {
    layers.map { $0.declaration.flops(of: $0) }
  }
}
