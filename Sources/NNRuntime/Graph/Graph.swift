// The network IR: a list of nodes in topological order (a node's inputs always precede it), each
// with its op, its inputs and its inferred, concrete shape. The batch dimension is just dim 0:
// a caller builds one graph per batch size.

/// A dataflow graph of primitive ops with shapes inferred as nodes are added.
public struct Graph: Sendable {
  /// One op applied to earlier nodes.
  public struct Node: Sendable {
    /// What the node computes.
    public let op: Op
    /// The operands, all earlier in `nodes`.
    public let inputs: [NodeID]
    /// The inferred shape of the result.
    public let shape: [Int]
    /// An opaque source tag the caller maps back to a script range.
    public let tag: Int?
  }

  /// Every node, in topological order.
  public private(set) var nodes: [Node] = []

  /// The first node `differentiate` appended: nodes from here on belong to the backward pass
  /// (nil while the graph has none).
  public internal(set) var firstGradientNode: Int?

  /// For gradient nodes `differentiate` made: the node whose total gradient each one holds
  /// (∂L/∂that node), by gradient node index. A node passed through unchanged to several
  /// operands (the gradient of an `add`) names the first, the one nearest the loss.
  public internal(set) var gradientTargets: [Int: NodeID] = [:]

  /// An empty graph.
  public init() {}

  /// Adds the `index`-th input, of a fixed shape.
  public mutating func input(_ index: Int, shape: [Int], tag: Int? = nil) -> NodeID {
    append(Node(op: .input(index), inputs: [], shape: shape, tag: tag))
  }

  /// Adds the `index`-th parameter of the ParameterStore, of a fixed shape.
  public mutating func parameter(_ index: Int, shape: [Int], tag: Int? = nil) -> NodeID {
    append(Node(op: .parameter(index), inputs: [], shape: shape, tag: tag))
  }

  /// Adds an op, inferring its shape; a mismatch is a GraphError carrying `tag` (an opaque source
  /// tag the caller maps back to a script range) and naming both shapes.
  @discardableResult
  public mutating func add(_ op: Op, _ inputs: [NodeID], tag: Int? = nil) throws(GraphError)
    -> NodeID {
    for input in inputs where input.index < 0 || input.index >= nodes.count {
      throw GraphError(message: "\(op.name): operand \(input.index) is not a node of this graph",
                       tag: tag)
    }
    let shapes = inputs.map { nodes[$0.index].shape }
    let shape: [Int]
    do {
      shape = try Graph.inferShape(op, shapes)
    } catch {
      // The node does not exist yet: the tag is what points back at the script.
      throw GraphError(message: error.message, tag: tag)
    }
    return append(Node(op: op, inputs: inputs, shape: shape, tag: tag))
  }

  /// The inferred shape of `node`.
  public func shape(of node: NodeID) -> [Int] {
    nodes[node.index].shape
  }

  /// The node behind an id.
  public subscript(node: NodeID) -> Node {
    nodes[node.index]
  }

  private mutating func append(_ node: Node) -> NodeID {
    nodes.append(node)
    return NodeID(index: nodes.count - 1)
  }

  // MARK: - Shape inference

  /// The number of operands each op takes.
  static func arity(_ op: Op) -> Int { op.arity }

  /// The result shape of `op` on operands of `shapes`, dispatched to each family's shape rule
  /// (beside its kernels and gradient rule in Kernels/).
  static func inferShape(_ op: Op, _ shapes: [[Int]]) throws(GraphError) -> [Int] {
    let expected = op.arity
    guard shapes.count == expected else {
      throw GraphError(message: "\(op.name): expects \(expected) operand"
                       + "\(expected == 1 ? "" : "s"), got \(shapes.count)")
    }
    switch op {
    case .source(.input), .source(.parameter):
      throw GraphError(message: "\(op.name): add inputs and parameters with Graph.\(op.name)")
    case .source(.constant(let tensor)):
      return tensor.shape
    case .linearAlgebra(let op): return try linearFamilyShape(op, shapes)
    case .activations(let op): return try activationFamilyShape(op, shapes)
    case .arithmetic(let op): return try arithmeticFamilyShape(op, shapes)
    case .reductions(let op): return try reductionFamilyShape(op, shapes)
    case .losses(let op): return try lossFamilyShape(op, shapes)
    case .sequences(let op): return try sequenceFamilyShape(op, shapes)
    case .convolutions(let op): return try convolutionFamilyShape(op, shapes)
    case .pooling(let op): return try poolingFamilyShape(op, shapes)
    case .normalization(let op): return try normalizationFamilyShape(op, shapes)
    case .shaping(let op): return try shapingFamilyShape(op, shapes)
    case .selection(let op): return try selectionFamilyShape(op, shapes)
    }
  }

  // MARK: - Loss fusion

  /// The logits a loss node reads when it is fused with the activation before it:
  /// cross-entropy of a softmax, bce of a sigmoid. Autodiff and the plan compiler both ask here,
  /// so the forward value and the gradient always agree.
  func fusedLossLogits(_ node: NodeID) -> NodeID? {
    guard case .losses(.loss(let kind)) = nodes[node.index].op else { return nil }
    let prediction = nodes[node.index].inputs[0]
    let producer = nodes[prediction.index]
    guard case .activations(.activation(let activation)) = producer.op else { return nil }
    return kind.declaration.fusedActivation == activation ? producer.inputs[0] : nil
  }
}

extension Graph {
  /// The node a matmul reads transposed in place of its operand `i`: a 2-D transpose feeding a
  /// matmul becomes a GEMM flag instead of a copy (the plan compiler and kernel binding agree
  /// through this one function).
  ///
  /// Chains of transposes are peeled (a gradient's `transpose(transpose(x))` reads x as is).
  /// Nil when operand `i` is not a 2-D transpose.
  func transposedOperand(_ node: NodeID, _ i: Int) -> (source: NodeID, flipped: Bool)? {
    guard case .linearAlgebra(.matmul) = nodes[node.index].op else { return nil }
    var operand = nodes[node.index].inputs[i]
    var flipped = false
    while case .linearAlgebra(.transpose) = nodes[operand.index].op,
      nodes[operand.index].shape.count == 2 {
      operand = nodes[operand.index].inputs[0]
      flipped.toggle()
    }
    return operand == nodes[node.index].inputs[i] ? nil : (operand, flipped)
  }
}
