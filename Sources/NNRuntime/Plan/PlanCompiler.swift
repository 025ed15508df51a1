// The plan compiler, independent of the element type: which nodes run (dead-node elimination),
// which fold into fused kernels, which merely alias another node's buffer, and where every
// buffer lives in the one arena (persistent regions, then working buffers reused by liveness).
// `Plan` then binds this schedule to pointers and kernels.

/// Where a node's value lives.
enum Placement: Equatable {
  /// In the parameter store, at this element offset.
  case parameter(Int)
  /// In the arena, at this element offset.
  case arena(Int)
}

/// One kernel of the schedule, before it is bound to pointers.
enum Step {
  /// The node's own kernel (a fused loss reads the logits; see `fusedLogits`).
  case node(NodeID)
  /// linear (+ addBias) (+ activation) as one kernel; `tail` holds the result.
  case dense(linear: NodeID, bias: NodeID?, activation: NodeID?)
  /// conv2d and its element-wise activation as one kernel; the activation holds the result.
  case convolution(NodeID, activation: NodeID)
  /// Copies a gradient computed elsewhere into parameter `parameter`'s slot of the region.
  case copyGradient(NodeID, parameter: Int)
}

/// The element-type-independent result of compiling a graph.
struct Schedule {
  var steps: [Step] = []
  /// Per node index: where its value is, for every node whose value is materialised.
  var placement: [Int: Placement] = [:]
  /// Dropout masks (training plans) and the states an lstm or gru saves for its BPTT node, by
  /// the dropout or forward node index.
  var maskOffset: [Int: Int] = [:]
  /// Alias → the node whose buffer it shares.
  var aliasRoot: [Int: Int] = [:]
  /// Loss nodes that read their activation's logits, by loss node index.
  var fusedLogits: [Int: NodeID] = [:]
  /// Arena offsets of each input index's buffers.
  var inputOffsets: [Int: [Int]] = [:]
  /// Constants to write once into the arena: (node index, offset).
  var constants: [(Int, Int)] = []
  var arenaCount = 0
  var gradientOffset = 0
  /// Values reserved after the gradient region for the caller (see `Plan.reductionBuffer`).
  static let reductionTailCount = 4
  /// The sum of all working buffers without reuse (to show what liveness saved).
  var unsharedWorkingCount = 0
  var workingCount = 0
  /// Nodes readable after a run.
  var readable: Set<Int> = []
}

/// Builds a `Schedule` from a graph, its requested outputs and its parameter gradients.
struct PlanCompiler {
  let graph: Graph
  let outputs: [NodeID]
  let gradients: [NodeID?]
  let parameterShapes: [[Int]]
  let parameterOffsets: [Int]
  let training: Bool

  /// Buffers start at multiples of this many elements (64 bytes for Float), for vector loads.
  static let alignment = 16

  func compile() throws(GraphError) -> Schedule {
    try validate()
    var schedule = Schedule()
    let count = graph.nodes.count
    for index in 0..<count {
      if let logits = graph.fusedLossLogits(NodeID(index: index)) {
        schedule.fusedLogits[index] = logits
      }
    }
    // A copy, so the closure does not capture `schedule` while layOut mutates it.
    let fusedLogits = schedule.fusedLogits
    func planInputs(_ index: Int) -> [NodeID] {
      let node = graph.nodes[index]
      if let logits = fusedLogits[index] { return [logits, node.inputs[1]] }
      if case .activations(.dropoutGradient) = node.op, !training { return [node.inputs[1]] }
      if case .linearAlgebra(.matmul) = node.op {
        return node.inputs.indices.map { graph.transposedOperand(NodeID(index: index), $0)?
          .source ?? node.inputs[$0] }
      }
      return node.inputs
    }
    // Dead-node elimination: walk back from the roots.
    var roots = Set(outputs.map(\.index))
    for gradient in gradients { if let gradient { roots.insert(gradient.index) } }
    var needed = [Bool](repeating: false, count: count)
    for root in roots { needed[root] = true }
    for index in stride(from: count - 1, through: 0, by: -1) where needed[index] {
      for input in planInputs(index) { needed[input.index] = true }
    }
    var consumers = [[Int]](repeating: [], count: count)
    for index in 0..<count where needed[index] {
      for input in planInputs(index) { consumers[input.index].append(index) }
    }
    // Aliases share their operand's buffer.
    for index in 0..<count where needed[index] {
      if let source = aliasSource(index) {
        schedule.aliasRoot[index] = schedule.aliasRoot[source.index] ?? source.index
      }
    }
    // Fusion of linear → addBias → activation chains whose intermediates nobody else reads.
    var fusedInto = [Int: Int]()
    var chains: [Int: Step] = [:]
    for index in 0..<count where needed[index] {
      guard case .linearAlgebra(.linear) = graph.nodes[index].op else { continue }
      var tail = index
      var bias: NodeID?
      var activation: NodeID?
      func soleConsumer(_ node: Int) -> Int? {
        guard consumers[node].count == 1, !roots.contains(node) else { return nil }
        return consumers[node][0]
      }
      if let next = soleConsumer(tail), case .linearAlgebra(.addBias) = graph.nodes[next].op,
         graph.nodes[next].inputs[0].index == tail {
        bias = NodeID(index: next)
        fusedInto[tail] = next
        tail = next
      }
      if let next = soleConsumer(tail),
         case .activations(.activation(let kind)) = graph.nodes[next].op,
         kind != .identity {
        activation = NodeID(index: next)
        fusedInto[tail] = next
        tail = next
      }
      chains[tail] = .dense(linear: NodeID(index: index), bias: bias, activation: activation)
    }
    // A conv2d's element-wise activation runs in the convolution's output pass.
    for index in 0..<count where needed[index] {
      guard case .convolutions(.conv2d) = graph.nodes[index].op, consumers[index].count == 1,
        !roots.contains(index)
      else { continue }
      let next = consumers[index][0]
      guard case .activations(.activation(let kind)) = graph.nodes[next].op,
        kind != .identity, kind != .softmax
      else { continue }
      fusedInto[index] = next
      chains[next] = .convolution(NodeID(index: index), activation: NodeID(index: next))
    }
    // Steps in topological order; interior nodes of a chain run inside its tail's kernel.
    var stepOf = [Int: Int]()
    for index in 0..<count where needed[index] {
      if case .source = graph.nodes[index].op { continue }
      if schedule.aliasRoot[index] != nil || fusedInto[index] != nil { continue }
      stepOf[index] = schedule.steps.count
      schedule.steps.append(chains[index] ?? .node(NodeID(index: index)))
    }
    try layOut(&schedule, needed: needed, roots: roots, planInputs: planInputs,
               stepOf: stepOf, fusedInto: fusedInto)
    return schedule
  }

  /// The operand whose buffer `index` can share instead of computing anything.
  private func aliasSource(_ index: Int) -> NodeID? {
    let node = graph.nodes[index]
    let input = node.inputs.first
    let inputShape = input.map { graph.nodes[$0.index].shape }
    switch node.op {
    case .reductions(let op):
      switch op {
      case .reshape: return input
      case .sumToShape(let shape): return shape == inputShape ? input : nil
      case .broadcast(let shape, let scale): return scale == 1 && shape == inputShape ? input : nil
      case .sum, .mean: return nil
      }
    case .activations(let op):
      switch op {
      case .activation(let activation): return activation == .identity ? input : nil
      case .dropout: return training ? nil : input
      case .dropoutGradient: return training ? nil : node.inputs[1]
      case .activationGradient, .causalSoftmax: return nil
      }
    case .linearAlgebra(let op):
      return op == .transpose && node.shape.count < 2 ? input : nil
    case .shaping(let op):
      // A permute that keeps the order, or a whole-axis slice, moves nothing.
      switch op {
      case .permute(let axes): return axes == Array(axes.indices) ? input : nil
      case .slice(let range):
        return range.start == 0 && range.step == 1 && node.shape == inputShape ? input : nil
      case .sliceGradient, .concat, .stack, .gather, .gatherGradient: return nil
      }
    case .source, .arithmetic, .losses, .sequences, .convolutions, .pooling, .normalization,
         .selection:
      return nil
    }
  }

  private func validate() throws(GraphError) {
    let count = graph.nodes.count
    for node in outputs + gradients.compactMap({ $0 })
    where node.index < 0 || node.index >= count {
      throw GraphError(message: "plan: node \(node.index) is not in the graph")
    }
    guard gradients.count == parameterShapes.count || gradients.isEmpty else {
      throw GraphError(message: "plan: \(gradients.count) gradients for "
                       + "\(parameterShapes.count) parameters")
    }
    for (i, gradient) in gradients.enumerated() {
      guard let gradient else { continue }
      let shape = graph.shape(of: gradient)
      guard shape == parameterShapes[i] else {
        throw GraphError(message: "plan: the gradient of parameter \(i) has shape "
                         + "\(shapeText(shape)) but the parameter has shape "
                         + shapeText(parameterShapes[i]), node: gradient,
                         tag: graph[gradient].tag)
      }
    }
    for (index, node) in graph.nodes.enumerated() {
      guard case .source(.parameter(let i)) = node.op else { continue }
      guard i >= 0 && i < parameterShapes.count else {
        throw GraphError(message: "plan: parameter \(i) is not in the store of "
                         + "\(parameterShapes.count) parameters", node: NodeID(index: index),
                         tag: node.tag)
      }
      guard parameterShapes[i] == node.shape else {
        throw GraphError(message: "plan: parameter \(i) has shape \(shapeText(node.shape)) in "
                         + "the graph but \(shapeText(parameterShapes[i])) in the store",
                         node: NodeID(index: index), tag: node.tag)
      }
    }
  }
}
