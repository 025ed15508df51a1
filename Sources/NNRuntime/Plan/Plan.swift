/// A compiled graph: flat kernel lists (forward then backward) over one preallocated arena.
///
/// Parameters are read in place from the `ParameterStore`; parameter gradients are written to
/// one contiguous region laid out like the store, so an optimizer (or an all-reduce) takes them
/// in one call. `run` allocates nothing: every pointer and size is resolved here.
public final class Plan<T: PlanScalar> {
  /// The store whose parameters the plan reads (and whose layout the gradient region mirrors).
  public let parameters: ParameterStore<T>
  let graph: Graph
  let schedule: Schedule
  let training: Bool
  private(set) var kernels: [Kernel<T>] = []
  let arena: UnsafeMutablePointer<T>
  /// Where the gradient region (and the reduction tail after it) lives: in the arena, or in
  /// storage the caller gave (`init(…, gradientStorage:)`).
  let gradientBase: UnsafeMutablePointer<T>
  let inputShapes: [Int: [Int]]
  /// Read by dropout kernels at run time; see `rowOffset`.
  private let rowOffsetCell: UnsafeMutablePointer<Int>
  /// The arena's and the kernels' scratch bytes against the compiling thread's memory budget.
  private var charges: [MemoryCharge] = []

  /// Compiles `graph`. `outputs` stay readable after `run`; `gradients` lists, in
  /// ParameterStore order, one gradient node per parameter (or nil for none), or is empty for a
  /// forward-only plan. Nodes nobody needs are not computed.
  ///
  /// `gradientStorage`, when given, holds the gradient region and the reduction tail instead
  /// of the arena (`parameters.count + reductionTailCount` values, zeroed here, owned by the
  /// caller and outliving the plan): a data-parallel step has the backward pass write its
  /// gradient straight into memory the other ranks read.
  public init(
    graph: Graph, outputs: [NodeID], gradients: [NodeID?], parameters: ParameterStore<T>,
    training: Bool, gradientStorage: UnsafeMutablePointer<T>? = nil
  ) throws(GraphError) {
    self.graph = graph
    self.parameters = parameters
    self.training = training
    if training { try Self.checkBatchStatistics(graph) }
    let compiler = PlanCompiler(graph: graph, outputs: outputs, gradients: gradients,
                                parameterShapes: parameters.shapes,
                                parameterOffsets: parameters.offsets, training: training)
    schedule = try compiler.compile()
    var shapes = [Int: [Int]]()
    for node in graph.nodes {
      if case .source(.input(let i)) = node.op { shapes[i] = node.shape }
    }
    inputShapes = shapes
    rowOffsetCell = .allocate(capacity: 1)
    rowOffsetCell.initialize(to: 0)
    let capacity = Swift.max(schedule.arenaCount, 1)
    // Asked before allocating: a batch a script sized too large is a refusal, not an abort.
    guard let charge = MemoryCharge(reserving: MemoryBudget.bytes(capacity, of: T.self)) else {
      let bytes = MemoryBudget.bytes(capacity, of: T.self)
      rowOffsetCell.deallocate()
      throw GraphError.memoryRefusal(
        MemoryBudget.current?.refusal("the plan's buffers", bytes: bytes)
          ?? "the plan's buffers are too large")
    }
    charges = [charge]
    arena = UnsafeMutablePointer<T>.allocate(capacity: capacity)
    arena.initialize(repeating: 0, count: capacity)
    if let gradientStorage {
      gradientStorage.update(repeating: 0, count: parameters.count + Self.reductionTailCount)
      gradientBase = gradientStorage
    } else {
      gradientBase = arena + schedule.gradientOffset
    }
    for (index, offset) in schedule.constants {
      guard case .source(.constant(let tensor)) = graph.nodes[index].op else { continue }
      tensor.withUnsafeBufferPointer { values in
        for i in 0..<values.count { arena[offset + i] = T.fromFloat(values[i]) }
      }
    }
    let budget = MemoryBudget.current
    budget?.clearRefusals()
    kernels = schedule.steps.map(kernel(for:))
    if let budget, budget.refusals > 0 {
      let bytes = budget.refusals
      budget.clearRefusals()
      throw GraphError.memoryRefusal(budget.refusal("a kernel's scratch buffer", bytes: bytes))
    }
  }

  deinit {
    for charge in charges { charge.release() }
    arena.deallocate()
    rowOffsetCell.deallocate()
  }

  /// Batchnorm in training needs more than one value per channel (as PyTorch's BatchNorm).
  private static func checkBatchStatistics(_ graph: Graph) throws(GraphError) {
    for (index, node) in graph.nodes.enumerated() {
      guard case .normalization(.normalize(let n)) = node.op, n.kind == .batch,
        (node.shape.first ?? 1) * n.spatial <= 1 else { continue }
      throw GraphError(
        message: "batchnorm: expected more than 1 value per channel when training, got input "
          + "shape \(shapeText(node.shape)) (a batch of 1)",
        node: NodeID(index: index), tag: node.tag)
    }
  }

  // MARK: - Running

  /// Copies a Float tensor into input `index`, converting to T; its shape must be the input
  /// node's shape.
  public func setInput(_ index: Int, _ tensor: Tensor) {
    // An input the graph never mentions is ignored, so callers may set inputs uniformly.
    guard inputShapes[index] != nil else { return }
    precondition(inputShapes[index] == tensor.shape,
                 "input \(index) expects shape \(inputShapes[index] ?? []), not \(tensor.shape)")
    tensor.withUnsafeBufferPointer { values in
      for offset in schedule.inputOffsets[index] ?? [] {
        let destination = arena + offset
        for i in 0..<values.count { destination[i] = T.fromFloat(values[i]) }
      }
    }
  }

  /// The arena slots of input `index` (one per input node with that index, usually one), for
  /// callers that write each batch in place rather than through a tensor; empty when the graph
  /// does not read the input. A slot holds `inputCount(index)` values.
  public func inputPointers(_ index: Int) -> [UnsafeMutablePointer<T>] {
    (schedule.inputOffsets[index] ?? []).map { arena + $0 }
  }

  /// The number of values input `index` takes (0 when the graph does not read it).
  public func inputCount(_ index: Int) -> Int {
    inputShapes[index].map { $0.reduce(1, *) } ?? 0
  }

  /// Copies exact values into input `index` (Double plans in gradient checks).
  public func setInput(_ index: Int, _ values: [Double]) {
    guard inputShapes[index] != nil else { return }
    let count = inputShapes[index].map { $0.reduce(1, *) }
    precondition(count == values.count, "input \(index) takes \(count ?? 0) values")
    for offset in schedule.inputOffsets[index] ?? [] {
      for i in 0..<values.count { arena[offset + i] = T(values[i]) }
    }
  }

  /// Runs the forward kernels, then the backward ones when gradients were requested.
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  public func run(random: inout RandomGenerator) {
    for kernel in kernels { kernel.run(&random) }
  }

  /// The value of a requested output (or gradient, input, parameter) as a Float tensor.
  public func output(_ node: NodeID) -> Tensor {
    let values = self.values(node)
    var result = Tensor(zeros: graph.shape(of: node))
    result.withUnsafeMutableBufferPointer { destination in
      for i in 0..<values.count { destination[i] = values[i].floatValue }
    }
    return result
  }

  /// The value of a requested output (or gradient, input, parameter) in the plan's type.
  public func values(_ node: NodeID) -> [T] {
    precondition(schedule.readable.contains(node.index),
                 "node \(node.index) is not an output of this plan")
    let count = graph.shape(of: node).reduce(1, *)
    return Array(UnsafeBufferPointer(start: pointer(node), count: count))
  }

  /// Every parameter gradient, contiguous in the store's layout; zero for parameters without a
  /// gradient.
  public var gradientBuffer: UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: gradientBase, count: parameters.count)
  }

  /// The gradient region followed by `reductionTailCount` values the caller may fill (a
  /// data-parallel step's loss and status), so that one all-reduce carries them all.
  public var reductionBuffer: UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: gradientBase,
                               count: parameters.count + Self.reductionTailCount)
  }

  /// The values after the gradient region that no kernel writes (see `reductionBuffer`).
  public static var reductionTailCount: Int { Schedule.reductionTailCount }

  /// How many values one `run` draws from its generator (one per dropout kernel), so that a
  /// rank with no rows in a step can advance its generator as the others do.
  public var randomDraws: Int {
    kernels.reduce(0) { count, kernel in
      if case .dropout = kernel { return count + 1 }
      return count
    }
  }

  /// The index, within the global batch, of this plan's first row: 0 for a single process;
  /// for rank r of a data-parallel step, the rows the ranks before it hold. Dropout keys each
  /// row's mask by it, so that a sharded batch draws the masks of the whole batch.
  public var rowOffset: Int {
    get { rowOffsetCell.pointee }
    set { rowOffsetCell.pointee = newValue }
  }

  /// The size of the arena (gradient region, inputs, constants and working buffers).
  public var arenaBytes: Int {
    schedule.arenaCount * MemoryLayout<T>.stride
  }

  // MARK: - Binding

  /// Where `node`'s value lives (through aliases).
  func pointer(_ node: NodeID) -> UnsafeMutablePointer<T> {
    let root = schedule.aliasRoot[node.index] ?? node.index
    switch schedule.placement[root] {
    case .parameter(let offset): return parameters.pointer + offset
    case .arena(let offset): return arenaAddress(offset)
    case nil: preconditionFailure("node \(node.index) has no buffer in this plan")
    }
  }

  /// The address of arena slot `offset`; slots of the gradient region and its tail resolve
  /// to `gradientBase`, wherever that is.
  private func arenaAddress(_ offset: Int) -> UnsafeMutablePointer<T> {
    let region = offset - schedule.gradientOffset
    if region >= 0 && region < parameters.count + Self.reductionTailCount {
      return gradientBase + region
    }
    return arena + offset
  }

  private func kernel(for step: Step) -> Kernel<T> {
    switch step {
    case .node(let node):
      return nodeKernel(node)
    case .dense(let linear, let bias, let activation):
      let x = graph[linear].inputs[0]
      let w = graph[linear].inputs[1]
      let tail = activation ?? bias ?? linear
      var kind: Activation?
      if let activation, case .activations(.activation(let a)) = graph[activation].op {
        kind = a
      }
      return .dense(DenseKernel(
        input: pointer(x), weight: pointer(w), bias: bias.map { pointer(graph[$0].inputs[1]) },
        output: pointer(tail), rows: graph.shape(of: x)[0], inFeatures: graph.shape(of: x)[1],
        outFeatures: graph.shape(of: w)[0], activation: kind))
    case .convolution(let convolution, let activation):
      guard case .convolutions(.conv2d(let geometry)) = graph[convolution].op,
        case .activations(.activation(let kind)) = graph[activation].op
      else { preconditionFailure("a fused convolution step without its conv2d and activation") }
      let inputs = graph[convolution].inputs
      return .convolution(geometry, input: pointer(inputs[0]), weight: pointer(inputs[1]),
                          bias: geometry.hasBias ? pointer(inputs[2]) : nil, activation: kind,
                          output: pointer(activation), batch: graph.shape(of: convolution)[0])
    case .copyGradient(let node, let parameter):
      return .copy(CopyKernel(
        source: pointer(node),
        destination: gradientBase + parameters.offsets[parameter],
        count: parameters.count(of: parameter)))
    }
  }

  private func nodeKernel(_ node: NodeID) -> Kernel<T> {
    let op = graph[node].op
    var inputs = graph[node].inputs
    var fused = false
    if let logits = schedule.fusedLogits[node.index] {
      inputs[0] = logits
      fused = true
    }
    // A folded transpose has no buffer: its matmul reads the source with a GEMM flag.
    let folded = inputs.indices.map { graph.transposedOperand(node, $0) }
    var operands = KernelOperands(
      inputs: inputs.indices.map { pointer(folded[$0]?.source ?? inputs[$0]) },
      inputShapes: inputs.map { graph.shape(of: $0) },
      output: pointer(node), outputShape: graph.shape(of: node),
      auxiliary: schedule.maskOffset[node.index].map { arena + $0 }, fusedLoss: fused,
      rowOffset: UnsafePointer(rowOffsetCell))
    if case .activations(.dropoutGradient) = op,
       let mask = schedule.maskOffset[inputs[0].index] {
      operands.inputs[0] = arena + mask
    }
    switch op {
    case .sequences(.lstmBackward), .sequences(.gruBackward):
      // The forward node, the last operand, saved its states for this node.
      operands.auxiliary = schedule.maskOffset[inputs[inputs.count - 1].index].map { arena + $0 }
    default: break
    }
    operands.transposed = folded.map { $0?.flipped ?? false }
    operands.training = training
    guard let kernel = Kernel<T>.family(op, operands) else {
      preconditionFailure("\(op.name) nodes are buffers, not kernels")
    }
    return kernel
  }
}
