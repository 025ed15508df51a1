// The training loop: epochs of batches over compiled plans. Plans, batch buffers, the row
// order and the weight copies are all allocated before the first batch, so a batch costs only
// the plan's kernels, a gather of its rows, the gradient post-processing and the optimizer.

/// Trains a network with one configuration, and evaluates it over whole datasets.
public final class Trainer {
  /// The network whose parameters are trained in place.
  public let network: Network
  /// Epochs, batching, schedule, regularisation and metrics.
  public let configuration: TrainingConfiguration
  /// The optimizer's running state; its rule is the one applied.
  public let optimizerState: OptimizerState<Float>
  /// Builds the loss (0-d) on a prediction and a target node of a graph.
  let lossNode: (inout Graph, NodeID, NodeID) throws(GraphError) -> NodeID
  /// Element ranges of the parameter store that l2 applies to.
  let weightRanges: [Range<Int>]
  /// Element ranges of the running statistics, which the optimizer's step must not move.
  let bufferRanges: [Range<Int>]
  /// The network's final activation, re-applied in loss-only graphs (nil when there is none).
  let finalActivation: Activation?
  /// The per-row shape of the node a loss reads (the output, or the final activation's input).
  let lossInputRow: [Int]

  var stepPlans: [PlanKey: StepPlan] = [:]
  var forwardPlans: [Int: ForwardPlan] = [:]
  var lossPlans: [PlanKey: LossPlan] = [:]
  /// The parameters before the latest update, restored after a non-finite loss.
  let lastFinite: UnsafeMutablePointer<Float>
  /// The parameters of the best epoch, restored at the end under early stopping.
  let best: UnsafeMutablePointer<Float>
  /// `lastFinite` and `best` against the memory budget of the thread that made the trainer.
  private let copiesCharge: MemoryCharge
  /// The processes that train this network together (data-parallel), or nil for this one
  /// alone. With more than one rank, `batchSize` is each rank's share of a step: a step
  /// covers `size × batchSize` rows of the epoch's order, and one all-reduce averages the
  /// gradient, so every rank applies the same update (see Trainer+DataParallel.swift).
  public var communicator: (any Communicator)?
  /// The parameter count from which a data-parallel run shards its update over the ranks
  /// (see `DataParallelGroup`): below it one all-reduce is cheaper than the three collectives
  /// of a sharded step. Every rank must use the same value.
  public var shardedUpdateMinimum = 1 << 16
  /// The norms a run records with `watchGradients`; made by `train`.
  var gradientWatch: LayerNormWatch?
  /// During a sharded run whose ranks share a machine, the one copy of the weights they all
  /// read and each updates its part of (`DataParallelGroup`); the network's own store is
  /// brought up to date from it at each epoch's end, when the run stops, and on a failure.
  var sharedWeights: ParameterStore<Float>?
  /// Where the steps read and update the weights: the shared copy, else the network's store.
  var weights: UnsafeMutablePointer<Float> {
    sharedWeights?.pointer ?? network.parameters.pointer
  }
  /// The built-in loss `lossNode` adds, when it is one: data-parallel steps then weigh each
  /// rank's share by the loss's declared reduction over rows instead of probing the loss.
  public var lossKind: LossKind?

  /// A trainer for `network`. `lossNode` adds the loss on top of a prediction and a target node
  /// (it is called once per distinct batch size); `weightMask` flags, per parameter, the weights
  /// l2 applies to (not biases).
  public init(
    network: Network, configuration: TrainingConfiguration,
    optimizerState: OptimizerState<Float>,
    lossNode: @escaping (inout Graph, _ prediction: NodeID, _ target: NodeID)
      throws(GraphError) -> NodeID,
    weightMask: [Bool]
  ) throws(GraphError) {
    if let message = configuration.validate() { throw GraphError(message: message) }
    let store = network.parameters
    guard weightMask.count == store.shapes.count else {
      throw GraphError(message: "the weight mask has \(weightMask.count) entries for "
                       + "\(store.shapes.count) parameters")
    }
    guard optimizerState.count == store.count else {
      throw GraphError(message: "the optimizer state holds \(optimizerState.count) values "
                       + "but the network has \(store.count) parameters")
    }
    self.network = network
    self.configuration = configuration
    self.optimizerState = optimizerState
    self.lossNode = lossNode
    weightRanges = store.shapes.indices.filter { weightMask[$0] }.map {
      store.offsets[$0]..<(store.offsets[$0] + store.count(of: $0))
    }
    bufferRanges = network.bufferParameters.map {
      store.offsets[$0]..<(store.offsets[$0] + store.count(of: $0))
    }
    var probe = Graph()
    let lowering = try network.lower(into: &probe, batch: 1)
    let lossInput = Self.lossInput(probe, lowering.output)
    if lossInput != lowering.output,
       case .activations(.activation(let activation)) = probe[lowering.output].op {
      finalActivation = activation
    } else {
      finalActivation = nil
    }
    lossInputRow = Array(probe.shape(of: lossInput).dropFirst())
    let capacity = max(store.count, 1)
    let copies = MemoryBudget.bytes(2 * capacity, of: Float.self)
    if let refusal = MemoryBudget.refusalForCurrent("training's copies of the weights",
                                                    bytes: copies) {
      throw GraphError.memoryRefusal(refusal)
    }
    copiesCharge = MemoryCharge(bytes: copies)
    lastFinite = .allocate(capacity: capacity)
    lastFinite.initialize(repeating: 0, count: capacity)
    best = .allocate(capacity: capacity)
    best.initialize(repeating: 0, count: capacity)
  }

  deinit {
    copiesCharge.release()
    lastFinite.deallocate()
    best.deallocate()
  }

  // MARK: - Preparing

  /// Checks the datasets' shapes and compiles every plan a run over them needs, so that shape
  /// errors (with their source tags) surface before the first batch. `train` calls it too.
  public func prepare(_ data: TrainingData, validation: TrainingData?) throws(GraphError) {
    try check(data, role: "training")
    let targetRow = Array(data.y.shape.dropFirst())
    // Every rank compiles the plans of every rank's shares, so that a plan that cannot be
    // built (a batchnorm share of one row) fails on all ranks alike.
    for rows in batchLayout(rows: data.rows).shardSizes {
      _ = try stepPlan(rows: rows, targetRow: targetRow)
    }
    if let validation {
      try check(validation, role: "validation")
      guard Array(validation.y.shape.dropFirst()) == targetRow else {
        throw GraphError(message: "the validation targets have rows of shape "
                         + shapeText(Array(validation.y.shape.dropFirst()))
                         + " but the training targets have rows of shape "
                         + shapeText(targetRow))
      }
      try prepareEvaluation(validation)
    }
    if !configuration.metrics.isEmpty { try prepareEvaluation(data) }
  }

  private func prepareEvaluation(_ data: TrainingData, chunk: Int = defaultChunk)
    throws(GraphError) {
    let rows = data.rows
    let size = min(max(chunk, 1), rows)
    _ = try forwardPlan(rows: size)
    if rows % size > 0 { _ = try forwardPlan(rows: rows % size) }
    _ = try lossPlan(rows: rows, targetRow: Array(data.y.shape.dropFirst()))
  }

  func check(_ data: TrainingData, role: String) throws(GraphError) {
    let rows = data.rows
    guard rows > 0 else { throw GraphError(message: "the \(role) data has no rows") }
    guard Array(data.x.shape.dropFirst()) == network.inputShape else {
      throw GraphError(message: "the network takes rows of shape "
                       + shapeText(network.inputShape) + " but the \(role) inputs have shape "
                       + shapeText(data.x.shape))
    }
    guard data.y.shape.first == rows else {
      throw GraphError(message: "the \(role) inputs have \(counted(rows, "row")) but the "
                       + "targets have "
                       + "shape \(shapeText(data.y.shape))")
    }
  }

  /// Rows per evaluation chunk unless the caller says otherwise.
  public static let defaultChunk = 1024

  // MARK: - Evaluating

  /// Loss and predictions over a whole dataset in inference mode (dropout off), computed in
  /// chunks of at most `chunk` rows with one plan per chunk size; the loss is then taken over
  /// all rows at once, so it equals the loss of one big batch for any reduction.
  /// `shouldStop` is polled before each chunk; when it says yes, the evaluation ends with
  /// `GraphError.stopped`.
  public func evaluate(
    _ data: TrainingData, chunk: Int = 1024, shouldStop: () -> Bool = { false }
  ) throws(GraphError) -> (loss: Double, predictions: Tensor) {
    try check(data, role: "evaluation")
    let rows = data.rows
    let size = min(max(chunk, 1), rows)
    var predictions = Tensor(zeros: [rows] + network.outputShape)
    var lossInputs = Tensor(zeros: finalActivation == nil ? [0] : [rows] + lossInputRow)
    var start = 0
    while start < rows {
      if shouldStop() { throw .stopped }
      let entry = try forwardPlan(rows: min(size, rows - start))
      Self.copyRows(data.x, start: start, into: &entry.x)
      entry.plan.setInput(0, entry.x)
      var random = RandomGenerator(seed: 0)  // inference plans draw nothing
      entry.plan.run(random: &random)
      Self.store(entry.plan, entry.output, into: &predictions, row: start, rows: entry.x.shape[0])
      if finalActivation != nil {
        Self.store(entry.plan, entry.lossInput, into: &lossInputs, row: start,
                   rows: entry.x.shape[0])
      }
      start += entry.x.shape[0]
    }
    if finalActivation == nil { lossInputs = predictions }
    let lossEntry = try lossPlan(rows: rows, targetRow: Array(data.y.shape.dropFirst()))
    lossEntry.plan.setInput(0, lossInputs)
    lossEntry.plan.setInput(1, data.y)
    var random = RandomGenerator(seed: 0)
    lossEntry.plan.run(random: &random)
    let loss = Double(lossEntry.plan.pointer(lossEntry.loss).pointee)
    return (loss, predictions)
  }

  /// Copies a plan node's rows into rows `row…` of `destination`.
  private static func store(
    _ plan: Plan<Float>, _ node: NodeID, into destination: inout Tensor, row: Int, rows: Int
  ) {
    let total = destination.shape.first ?? 0
    guard total > 0, destination.count > 0 else { return }
    let rowSize = destination.count / total
    let source = plan.pointer(node)
    destination.withUnsafeMutableBufferPointer { to in
      (to.baseAddress! + row * rowSize).update(from: source, count: rows * rowSize)
    }
  }

  /// The values of `metrics` for predictions over `data` (NaN where a metric is undefined).
  public static func metricValues(
    _ metrics: [Metric], predictions: Tensor, data: TrainingData
  ) -> [Double] {
    var classification: ClassificationReport?
    var regression: RegressionReport?
    if metrics.contains(where: \.isClassification) {
      let labels = Metrics.labels(from: data.y, predictions: predictions.shape)
      let columns = predictions.rank >= 2 ? predictions.shape[predictions.rank - 1] : 1
      let classes = data.classes ?? max(columns, 2)
      classification = Metrics.classification(scores: predictions, labels: labels,
                                               classes: classes)
    }
    if metrics.contains(where: { !$0.isClassification }) {
      regression = Metrics.regression(predictions: predictions, targets: data.y)
    }
    return metrics.map { metric in
      if metric.isClassification { return classification.flatMap { metric.value(in: $0) } ?? .nan }
      return regression.flatMap { metric.value(in: $0) } ?? .nan
    }
  }
}

extension GraphError {
  /// A run ended early because its caller's `shouldStop` asked it to (Ctrl-C, a time limit).
  public static let stopped = GraphError(message: "stopped before it finished")
}
