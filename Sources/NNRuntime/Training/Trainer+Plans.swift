// The compiled plans a Trainer runs, each cached by the shape it was built for, and the
// buffers they are fed through. Everything here is allocated once, before the first batch.

extension Trainer {
  /// The plan of one training step (forward, loss, backward) for batches of `rows` rows. Each
  /// batch's rows are gathered straight into the plan's input slots.
  final class StepPlan {
    let plan: Plan<Float>
    let loss: NodeID
    /// The network's nodes in the plan's graph (to name a numeric fault's layer).
    let lowering: Network.Lowering
    let rows: Int
    let xShape: [Int]
    let yShape: [Int]
    private let xSlots: [UnsafeMutablePointer<Float>]
    private let ySlots: [UnsafeMutablePointer<Float>]

    init(plan: Plan<Float>, loss: NodeID, lowering: Network.Lowering, rows: Int, xShape: [Int],
         yShape: [Int]) {
      self.plan = plan
      self.loss = loss
      self.lowering = lowering
      self.rows = rows
      self.xShape = xShape
      self.yShape = yShape
      xSlots = plan.inputPointers(0)
      ySlots = plan.inputPointers(1)
    }

    /// Copies rows `order[start..<start + rows]` of `data` into the plan's inputs.
    func gather(_ data: TrainingData, order: [Int], start: Int) {
      Trainer.gatherRows(data.x, order: order, start: start, rows: rows, into: xSlots)
      Trainer.gatherRows(data.y, order: order, start: start, rows: rows, into: ySlots)
    }

    /// The inputs of the last batch gathered (for diagnostics after a non-finite loss).
    var x: Tensor { Self.tensor(xSlots.first, shape: xShape) }
    /// The targets of the last batch gathered.
    var y: Tensor { Self.tensor(ySlots.first, shape: yShape) }

    private static func tensor(_ slot: UnsafeMutablePointer<Float>?, shape: [Int]) -> Tensor {
      var result = Tensor(zeros: shape)
      guard let slot else { return result }
      result.withUnsafeMutableBufferPointer { values in
        guard let base = values.baseAddress else { return }
        base.update(from: slot, count: values.count)
      }
      return result
    }

    /// The loss of the last run.
    var lossValue: Float { plan.pointer(loss).pointee }
  }

  /// A forward-only, inference-mode plan for chunks of `rows` rows. It yields the network's
  /// output and the node the loss reads (see `lossInput`).
  final class ForwardPlan {
    let plan: Plan<Float>
    let output: NodeID
    let lossInput: NodeID
    var x: Tensor

    init(plan: Plan<Float>, output: NodeID, lossInput: NodeID, x: Tensor) {
      self.plan = plan
      self.output = output
      self.lossInput = lossInput
      self.x = x
    }
  }

  /// The loss alone over a whole dataset: input 0 is the loss input of every row, input 1 the
  /// targets. Computing it in one piece keeps it exact for any reduction (sse sums, mse means,
  /// a script's own function does either), where averaging per chunk would not be.
  final class LossPlan {
    let plan: Plan<Float>
    let loss: NodeID

    init(plan: Plan<Float>, loss: NodeID) {
      self.plan = plan
      self.loss = loss
    }
  }

  /// Cache key: batch rows and the per-row target shape.
  struct PlanKey: Hashable {
    var rows: Int
    var targetRow: [Int]
  }

  // MARK: - Building

  /// The step plan for batches of `rows`, compiled once; with `gradientStorage` or
  /// `weights` (a data-parallel run's, see `DataParallelGroup`) a plan of its own whose
  /// gradient region lives there or that reads those weights, not cached: it must not outlive
  /// the run.
  func stepPlan(
    rows: Int, targetRow: [Int], gradientStorage: UnsafeMutablePointer<Float>? = nil,
    weights: ParameterStore<Float>? = nil
  ) throws(GraphError) -> StepPlan {
    let key = PlanKey(rows: rows, targetRow: targetRow)
    let own = gradientStorage != nil || weights != nil
    if !own, let cached = stepPlans[key] { return cached }
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: rows)
    let target = graph.input(1, shape: [rows] + targetRow)
    let loss = try lossNode(&graph, lowering.output, target)
    try requireScalar(graph, loss)
    let gradients = try graph.differentiate(loss, withRespectTo: lowering.parameterNodes)
    let plan = try Plan(graph: graph, outputs: [loss], gradients: gradients,
                        parameters: weights ?? network.parameters, training: true,
                        gradientStorage: gradientStorage)
    let entry = StepPlan(plan: plan, loss: loss, lowering: lowering, rows: rows,
                         xShape: [rows] + network.inputShape, yShape: [rows] + targetRow)
    if !own { stepPlans[key] = entry }
    return entry
  }

  func forwardPlan(rows: Int) throws(GraphError) -> ForwardPlan {
    if let cached = forwardPlans[rows] { return cached }
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: rows)
    let lossInput = Self.lossInput(graph, lowering.output)
    let plan = try Plan(graph: graph, outputs: [lowering.output, lossInput], gradients: [],
                        parameters: network.parameters, training: false)
    let entry = ForwardPlan(plan: plan, output: lowering.output, lossInput: lossInput,
                            x: Tensor(zeros: [rows] + network.inputShape))
    forwardPlans[rows] = entry
    return entry
  }

  func lossPlan(rows: Int, targetRow: [Int]) throws(GraphError) -> LossPlan {
    let key = PlanKey(rows: rows, targetRow: targetRow)
    if let cached = lossPlans[key] { return cached }
    var graph = Graph()
    let input = graph.input(0, shape: [rows] + lossInputRow)
    var prediction = input
    if let finalActivation {
      prediction = try graph.add(.activation(finalActivation), [input])
    }
    let target = graph.input(1, shape: [rows] + targetRow)
    let loss = try lossNode(&graph, prediction, target)
    try requireScalar(graph, loss)
    let plan = try Plan(graph: graph, outputs: [loss], gradients: [],
                        parameters: network.parameters, training: false)
    let entry = LossPlan(plan: plan, loss: loss)
    lossPlans[key] = entry
    return entry
  }

  /// The node a loss reads: the input of a final activation, which the loss graph applies again
  /// so that cross-entropy after softmax and bce after sigmoid stay fused (and stable) there.
  static func lossInput(_ graph: Graph, _ output: NodeID) -> NodeID {
    if case .activations(.activation) = graph[output].op { return graph[output].inputs[0] }
    return output
  }

  private func requireScalar(_ graph: Graph, _ loss: NodeID) throws(GraphError) {
    guard graph.shape(of: loss).isEmpty else {
      throw GraphError(message: "the loss must be one number (0-d), not a tensor of shape "
                       + shapeText(graph.shape(of: loss)), node: loss, tag: graph[loss].tag)
    }
  }

  /// A forward plan exposing every top-level layer's output, built only after a non-finite
  /// loss to find where the values went wrong.
  func diagnosticPlan(rows: Int) throws(GraphError) -> (Plan<Float>, [Network.LayerNodes]) {
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: rows)
    let outputs = lowering.layerNodes.map(\.a) + [lowering.output]
    let plan = try Plan(graph: graph, outputs: outputs, gradients: [],
                        parameters: network.parameters, training: false)
    return (plan, lowering.layerNodes)
  }

  // MARK: - Gathering rows

  /// Copies rows `order[start..<start + rows]` of `source` into each of `slots`.
  static func gatherRows(
    _ source: Tensor, order: [Int], start: Int, rows: Int,
    into slots: [UnsafeMutablePointer<Float>]
  ) {
    guard let first = slots.first, rows > 0, let total = source.shape.first, total > 0 else {
      return
    }
    let rowSize = source.count / total
    guard rowSize > 0 else { return }
    source.withUnsafeBufferPointer { from in
      guard let from = from.baseAddress else { return }
      order.withUnsafeBufferPointer { order in
        Parallel.forEach(rows, grain: Swift.max(1, copyGrain / rowSize)) { part in
          for i in part {
            (first + i * rowSize).update(from: from + order[start + i] * rowSize,
                                         count: rowSize)
          }
        }
      }
    }
    for slot in slots.dropFirst() { splitCopy(slot, from: first, count: rows * rowSize) }
  }

  /// Copies the contiguous rows `start..<start + rows` of `source` into `destination`.
  static func copyRows(_ source: Tensor, start: Int, into destination: inout Tensor) {
    let rows = destination.shape.first ?? 0
    guard rows > 0, destination.count > 0 else { return }
    let rowSize = destination.count / rows
    source.withUnsafeBufferPointer { from in
      destination.withUnsafeMutableBufferPointer { to in
        guard let from = from.baseAddress, let to = to.baseAddress else { return }
        to.update(from: from + start * rowSize, count: rows * rowSize)
      }
    }
  }
}
