// The epoch loop of `Trainer.train`, and what it does around each optimizer step: the l2 term,
// the finiteness checks, clipping, the copy of the last finite weights, early stopping.

extension Trainer {
  /// Trains on `data` for the configured epochs, recording the loss (and, after each epoch,
  /// val_loss and the metrics over whole datasets). `progress` is called after every batch
  /// and once more at the end of each epoch; `shouldStop` is polled after every batch and ends
  /// the run after it, keeping the weights. A non-finite loss restores the weights of the last
  /// finite step and throws. In a sharded data-parallel run whose ranks share a machine the
  /// steps update one copy of the weights the ranks share, and the network's own store is
  /// brought up to date at each epoch's end and when the run stops or fails: a `progress`
  /// call within an epoch then sees the weights of the epoch's start.
  public func train(
    _ data: TrainingData, validation: TrainingData?, random: inout RandomGenerator,
    progress: (TrainingProgress) -> Void, shouldStop: () -> Bool
  ) throws(TrainingFailure) -> TrainingHistory {
    let clock = ContinuousClock()
    let runStart = clock.now
    let layout = batchLayout(rows: data.rows)
    let targetRow = Array(data.y.shape.dropFirst())
    var plans: [Int: StepPlan] = [:]
    var group: DataParallelGroup?
    do {
      if let communicator, communicator.size > 1 {
        group = try joinGroup(communicator, data, validation: validation, random: random)
      }
      try prepare(data, validation: validation)
      for rows in layout.shardSizes {
        plans[rows] = try stepPlan(rows: rows, targetRow: targetRow,
                                   gradientStorage: group?.gradientStorage,
                                   weights: group?.sharedWeights)
      }
      group?.draws = plans.values.first?.plan.randomDraws ?? 0
    } catch {
      throw TrainingFailure(message: error.message, epoch: 0, batch: 0, graphError: error)
    }
    let batches = layout.steps
    let first = plans[layout.shard(0).count] ?? plans.values.first!
    let store = network.parameters
    var order = Array(0..<data.rows)
    var recorder = SeriesRecorder(metrics: configuration.metrics,
                                  validation: validation != nil,
                                  epochs: configuration.epochs)
    // One buffer for each epoch's values, reused: a one-step epoch must not allocate.
    var values: [Double] = []
    values.reserveCapacity(recorder.names.count)
    lastFinite.update(from: store.pointer, count: store.count)
    group?.startSharingWeights(self)
    defer { sharedWeights = nil }
    var early = EarlyStopping(patience: configuration.earlyStop)
    let checkNumerics = configuration.checkNumerics
    gradientWatch = configuration.watchGradients
      ? LayerNormWatch(network, epochs: configuration.epochs) : nil
    defer { gradientWatch = nil }

    // A sharded run leaves each rank the optimizer state of its own part only: a run that
    // ends normally gathers the rest, one that fails starts the state over on every rank
    // alike (no collective on a failure path, where a rank may be gone).
    var finished = false
    defer { if group?.parts != nil && !finished { optimizerState.reset() } }
    func finish() {
      finished = true
      group?.gatherOptimizerState(self)
    }

    let sumsRows = lossKind?.reduction == .sum
    for epoch in 1...configuration.epochs {
      let epochStart = clock.now
      let learningRate = configuration.schedule.learningRate(
        base: configuration.learningRate, epoch: epoch - 1, totalEpochs: configuration.epochs)
      // One batch holds every row whatever the order, so only real batching needs shuffling.
      if configuration.shuffle && batches > 1 { random.shuffle(&order) }
      // A loss that is a mean over rows weighs each step by its rows; one that is a sum (sse)
      // adds up over the epoch's steps, so the epoch's loss is that of the whole set either
      // way. The l2 penalty is averaged over the steps by their rows in both.
      var lossSum = 0.0
      var penaltySum = 0.0
      var seen = 0
      func epochLoss() -> Double {
        guard sumsRows else { return lossSum / Double(seen) }
        return lossSum * Double(data.rows) / Double(seen) + penaltySum / Double(seen)
      }
      for batch in 1...batches {
        let penalty = sumsRows ? l2Penalty() : 0
        let shard = layout.shard(batch - 1)
        let stepRows = layout.globalRows(batch - 1)
        let loss: Double
        var stop = false
        if let group {
          (loss, stop) = try group.step(
            self, shard.count > 0 ? plans[shard.count] : nil, shard: shard, stepRows: stepRows,
            data: data, order: order, random: &random, epoch: epoch, batch: batch,
            learningRate: learningRate, shouldStop: shouldStop)
        } else {
          // Every step but the last has the first step's rows: no lookup for those.
          let entry = shard.count == first.rows ? first : plans[shard.count]!
          entry.gather(data, order: order, start: shard.start)
          // The generator as the step found it, to replay the step (its dropout masks) when a
          // failure is traced back to its op. A copy of a few words: it allocates nothing.
          let replay = random
          if checkNumerics {
            if let fault = entry.plan.run(random: &random, checkingNumerics: true) {
              throw numericFailure(fault, entry, epoch: epoch, batch: batch)
            }
          } else {
            entry.plan.run(random: &random)
          }
          loss = Double(entry.lossValue) + l2Penalty()
          guard loss.isFinite else {
            throw nonFiniteLoss(loss, entry, replay: replay, epoch: epoch, batch: batch)
          }
          let gradients = entry.plan.gradientBuffer
          try checkGradient(gradients, entry, replay: replay, epoch: epoch, batch: batch)
          update(gradients, learningRate: learningRate)
        }
        if sumsRows {
          lossSum += loss - penalty
          penaltySum += penalty * Double(stepRows)
        } else {
          lossSum += loss * Double(stepRows)
        }
        seen += stepRows
        progress(TrainingProgress(
          epoch: epoch, epochs: configuration.epochs, batch: batch, batches: batches,
          samplesSeen: seen, runningLoss: epochLoss(),
          elapsed: Self.seconds(clock.now - epochStart), epochFinished: false, names: [],
          values: [],
          learningRate: learningRate))
        if group == nil ? shouldStop() : stop {
          var history = recorder.history(seconds: Self.seconds(clock.now - runStart))
          history.interrupted = (epoch, batch)
          history.layerNorms = gradientWatch?.norms ?? []
          group?.syncWeights(self)
          finish()
          return history
        }
      }
      group?.syncWeights(self)
      // Each rank's running statistics saw only its own rows: the ranks average them, so that
      // they hold the same weights again before anything reads them.
      group?.averageBuffers(self)
      // An update can overflow the weights on the last batch, which no later loss would see.
      if !parametersAreFinite() {
        group?.completeLastFinite(self)
        store.pointer.update(from: lastFinite, count: store.count)
        throw TrainingFailure(
          message: "the weights became non-finite after the last step of epoch \(epoch); "
            + "the weights of the last finite step were restored",
          epoch: epoch, batch: batches)
      }
      try epochValues(loss: epochLoss(), data, validation, epoch: epoch, into: &values)
      recorder.append(values, learningRate: learningRate)
      gradientWatch?.finishEpoch(parameters: store.pointer)
      progress(TrainingProgress(
        epoch: epoch, epochs: configuration.epochs, batch: batches, batches: batches,
        samplesSeen: seen, runningLoss: epochLoss(),
        elapsed: Self.seconds(clock.now - epochStart), epochFinished: true,
        names: recorder.names, values: values,
        learningRate: learningRate))
      let monitored = validation == nil ? values[0] : values[1]
      let stop = early.observe(monitored, epoch: epoch)
      if early.bestEpoch == epoch, early.patience != nil {
        best.update(from: store.pointer, count: store.count)
      }
      if stop {
        recorder.stoppedEarly = true
        break
      }
    }
    var history = recorder.history(seconds: Self.seconds(clock.now - runStart))
    history.layerNorms = gradientWatch?.norms ?? []
    if early.patience != nil, let bestEpoch = early.bestEpoch {
      store.pointer.update(from: best, count: store.count)
      history.bestEpoch = bestEpoch
    }
    finish()
    return history
  }

  // MARK: - Around each step

  /// l2/2 · Σ W² over the weights, added to the reported loss.
  func l2Penalty() -> Double {
    guard configuration.l2 > 0 else { return 0 }
    let pointer = weights
    var sum = 0.0
    for range in weightRanges {
      for i in range { sum += Double(pointer[i]) * Double(pointer[i]) }
    }
    return configuration.l2 / 2 * sum
  }

  /// Adds l2 · W to the weights' gradients, checks the gradient is finite, and clips its global
  /// L2 norm as torch.nn.utils.clip_grad_norm_ does (scale by clip / (norm + 1e-6) when < 1).
  /// A non-finite gradient is traced back to its op by replaying the step of `entry` (nil: the
  /// gradient summed over ranks, whose step cannot be replayed here).
  func checkGradient(
    _ gradients: UnsafeMutableBufferPointer<Float>, _ entry: StepPlan?, replay: RandomGenerator,
    epoch: Int, batch: Int
  ) throws(TrainingFailure) {
    gradientWatch?.observe(UnsafeBufferPointer(gradients))
    let all = 0..<gradients.count
    addL2(gradients, part: all)
    let squares = sumOfSquares(UnsafeBufferPointer(gradients))
    guard squares.isFinite else { throw nonFiniteGradient(entry, replay: replay, epoch: epoch,
                                                          batch: batch) }
    clip(gradients, part: all, squares: squares)
  }

  /// Adds l2 · W to the gradients of the weights within `part` (a data-parallel rank's share).
  func addL2(_ gradients: UnsafeMutableBufferPointer<Float>, part: Range<Int>) {
    guard configuration.l2 > 0 else { return }
    let l2 = Float(configuration.l2)
    let weights = self.weights
    for whole in weightRanges {
      let range = whole.clamped(to: part)
      Parallel.forEach(range.count, grain: copyGrain) { share in
        for i in share { gradients[range.lowerBound + i] += l2 * weights[range.lowerBound + i] }
      }
    }
  }

  /// Scales the gradients within `part` so that the whole gradient, whose squares sum to
  /// `squares`, has at most the configured L2 norm.
  func clip(_ gradients: UnsafeMutableBufferPointer<Float>, part: Range<Int>, squares: Double) {
    guard let clip = configuration.clip else { return }
    let scale = clip / (squares.squareRoot() + 1e-6)
    guard scale < 1 else { return }
    let factor = Float(scale)
    Parallel.forEach(part.count, grain: copyGrain) { share in
      for i in share { gradients[part.lowerBound + i] *= factor }
    }
  }

  /// The failure for a gradient that is not finite although the loss was.
  func nonFiniteGradient(
    _ entry: StepPlan?, replay: RandomGenerator, epoch: Int, batch: Int
  ) -> TrainingFailure {
    // Replay the step with every kernel checked to name the op (only after a failure).
    var fault: NumericFault?
    var origin = ""
    if let entry, let found = firstFault(entry, replay: replay) {
      fault = found
      origin = ": " + found.describe(network: network, lowering: entry.lowering)
    }
    return TrainingFailure(
      message: "the gradient became non-finite at epoch \(epoch), batch \(batch) (the loss "
        + "was finite)\(origin); the weights of the last finite step were kept",
      epoch: epoch, batch: batch, layer: fault?.layerName(in: network),
      layerTag: fault?.layerTag, fault: fault)
  }

  /// The optimizer step on a finished gradient, keeping a copy of the weights it replaces and
  /// leaving the running statistics as the step's forward pass left them.
  func update(
    _ gradients: UnsafeMutableBufferPointer<Float>, learningRate: Double,
    part: Range<Int>? = nil
  ) {
    let weights = self.weights
    // The update copies the weights it replaces into `lastFinite` in its own loop. A sharded
    // step keeps those of its own part only (and every running statistic, which
    // `restoreBuffers` reads back): the group gathers the rest when a failure needs them
    // (`DataParallelGroup.completeLastFinite`), which saves a pass over every weight.
    if part != nil {
      for range in bufferRanges {
        (lastFinite + range.lowerBound).update(from: weights + range.lowerBound,
                                               count: range.count)
      }
    }
    optimizerState.step(parameters: weights,
                        gradients: UnsafePointer(gradients.baseAddress!),
                        learningRate: learningRate, width: nil, splitting: Parallel.forEach,
                        part: part, keeping: lastFinite)
    restoreBuffers()
  }

  /// Puts the running statistics back as the step's forward pass left them (in `lastFinite`
  /// since `update`): they are parameters no optimizer moves.
  func restoreBuffers() {
    for range in bufferRanges {
      (weights + range.lowerBound).update(from: lastFinite + range.lowerBound,
                                          count: range.count)
    }
  }

  private func parametersAreFinite() -> Bool {
    let store = network.parameters
    for i in 0..<store.count where !store.pointer[i].isFinite { return false }
    return true
  }

  /// Runs the step of `entry` again on the batch already in its inputs, with the generator as
  /// the step found it and every kernel checked; the first non-finite value, if any.
  func firstFault(_ entry: StepPlan, replay: RandomGenerator) -> NumericFault? {
    var random = replay
    return entry.plan.run(random: &random, checkingNumerics: true)
  }

  /// The failure for a `checkNumerics` fault: a forward value (or a parameter) restores the
  /// weights of the last finite step, since the latest ones produced it; a gradient keeps them.
  func numericFailure(
    _ fault: NumericFault, _ entry: StepPlan, epoch: Int, batch: Int
  ) -> TrainingFailure {
    let restore = !fault.backward
    if restore {
      network.parameters.pointer.update(from: lastFinite, count: network.parameters.count)
    }
    let what = fault.describe(network: network, lowering: entry.lowering)
    return TrainingFailure(
      message: "check_numerics: \(what) at epoch \(epoch), batch \(batch); the weights of the "
        + "last finite step were \(restore ? "restored" : "kept")",
      epoch: epoch, batch: batch, layer: fault.layerName(in: network), layerTag: fault.layerTag,
      fault: fault)
  }

  /// The failure for a non-finite batch loss: replays the step with every kernel checked to
  /// find the first layer (and op) whose output is not finite with the weights that produced
  /// it, then restores the weights of the last finite step.
  func nonFiniteLoss(
    _ loss: Double, _ entry: StepPlan, replay: RandomGenerator, epoch: Int, batch: Int
  ) -> TrainingFailure {
    var layer: String?
    var layerTag: Int?
    var fault: NumericFault?
    var cause: String
    if !Self.isFinite(entry.x) {
      cause = "the inputs of this batch hold values that are not finite"
    } else if !Self.isFinite(entry.y) {
      cause = "the targets of this batch hold values that are not finite"
    } else if let found = firstFault(entry, replay: replay), !found.backward {
      fault = found
      layer = found.layerName(in: network)
      layerTag = found.layerTag
      switch found.site {
      case .parameter(let index):
        cause = "the first layer whose output is not finite is \(layer ?? "?") "
          + "(\(network.parameterNames[index]) holds \(found.valueText))"
      case .kernel where layer != nil:
        cause = "the first layer whose output is not finite is \(layer!) "
          + "(its \(found.kernel) produced \(found.valueText))"
      default:
        cause = "every layer's output is finite, so the loss itself overflowed "
          + "(\(found.kernel) produced \(found.valueText))"
      }
    } else if let diagnostic = try? diagnosticPlan(rows: entry.rows) {
      let (plan, layers) = diagnostic
      plan.setInput(0, entry.x)
      var random = RandomGenerator(seed: 0)
      plan.run(random: &random)
      layer = layers.first { !Self.isFinite(plan.output($0.a)) }?.name
      cause = layer.map { "the first layer whose output is not finite is \($0)" }
        ?? "every layer's output is finite, so the loss itself overflowed"
    } else {
      cause = "the layers could not be inspected"
    }
    network.parameters.pointer.update(from: lastFinite, count: network.parameters.count)
    let value = formatNumber(loss)
    return TrainingFailure(
      message: "the loss became \(value) at epoch \(epoch), batch \(batch); \(cause); "
        + "the weights of the last finite step were restored",
      epoch: epoch, batch: batch, layer: layer, layerTag: layerTag, fault: fault)
  }

  private static func isFinite(_ tensor: Tensor) -> Bool {
    tensor.withUnsafeBufferPointer { values in values.allSatisfy(\.isFinite) }
  }

  // MARK: - After each epoch

  /// The epoch's values in the recorder's order: loss, val_loss, then each metric on the
  /// training set and on the validation set.
  private func epochValues(
    loss: Double, _ data: TrainingData, _ validation: TrainingData?, epoch: Int,
    into values: inout [Double]
  ) throws(TrainingFailure) {
    let metrics = configuration.metrics
    values.removeAll(keepingCapacity: true)
    values.append(loss)
    do {
      var validationMetrics: [Double] = []
      if let validation {
        let result = try evaluate(validation, chunk: Self.defaultChunk)
        values.append(result.loss)
        validationMetrics = Self.metricValues(metrics, predictions: result.predictions,
                                              data: validation)
      }
      if !metrics.isEmpty {
        let result = try evaluate(data, chunk: Self.defaultChunk)
        let trainingMetrics = Self.metricValues(metrics, predictions: result.predictions,
                                                data: data)
        for i in metrics.indices {
          values.append(trainingMetrics[i])
          if validation != nil { values.append(validationMetrics[i]) }
        }
      }
    } catch {
      throw TrainingFailure(message: error.message, epoch: epoch, batch: 0, graphError: error)
    }
  }

  static func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
  }
}

/// The per-epoch series of a run, named in a stable order.
struct SeriesRecorder {
  let names: [String]
  var values: [[Double]]
  var learningRates: [Double] = []
  var stoppedEarly = false

  init(metrics: [Metric], validation: Bool, epochs: Int) {
    var names = ["loss"]
    if validation { names.append("val_loss") }
    for metric in metrics {
      names.append(metric.rawValue)
      if validation { names.append("val_" + metric.rawValue) }
    }
    self.names = names
    // Room for the epochs up front, so that recording an epoch does not reallocate (capped:
    // a run asked for 10⁸ epochs is usually stopped long before).
    let room = min(epochs, 1 << 16)
    values = names.map { _ in
      var series: [Double] = []
      series.reserveCapacity(room)
      return series
    }
    learningRates.reserveCapacity(room)
  }

  mutating func append(_ epoch: [Double], learningRate: Double) {
    for i in names.indices { values[i].append(epoch[i]) }
    learningRates.append(learningRate)
  }

  func history(seconds: Double) -> TrainingHistory {
    TrainingHistory(series: names.indices.map { (names[$0], values[$0]) },
                    learningRates: learningRates,
                    epochs: values.first?.count ?? 0, seconds: seconds,
                    stoppedEarly: stoppedEarly, interrupted: nil, bestEpoch: nil)
  }
}

/// Patience on a monitored loss: strictly lower is better; NaN never improves.
struct EarlyStopping {
  let patience: Int?
  var bestValue = Double.infinity
  var bestEpoch: Int?
  var sinceBest = 0

  init(patience: Int?) { self.patience = patience }

  /// Records an epoch's value; true when the run should stop now.
  mutating func observe(_ value: Double, epoch: Int) -> Bool {
    if value < bestValue {
      bestValue = value
      bestEpoch = epoch
      sinceBest = 0
      return false
    }
    sinceBest += 1
    guard let patience else { return false }
    return sinceBest >= patience
  }
}
