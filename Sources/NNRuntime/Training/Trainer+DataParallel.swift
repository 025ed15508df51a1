// Data-parallel training (the approach of Horovod and PyTorch's DDP). Every rank holds the
// same data, the same weights and a generator in the same state, so every rank shuffles each
// epoch into the same order. A step covers ranks × batch rows of that order; rank r takes its
// own contiguous share, runs its plan, and weights its gradient by its share of the step's
// rows. One all-reduce then sums the whole gradient region together with a few values after
// it (the weighted loss, a failure flag, a stop flag), so every rank applies the same update.
// The result is the step one process would take on the whole batch, to float32 round-off.
// A large model shards the update instead (DataParallelGroup): a reduce-scatter, each rank's
// update of its own part, an all-gather.

/// Which rows of an epoch's order each step takes, on one rank of `ranks`.
struct BatchLayout {
  let rows: Int
  let ranks: Int
  let rank: Int
  /// Rows per step over all ranks (the last step may hold fewer).
  let globalBatch: Int

  /// `batchSize` is each rank's share of a step (nil: the whole set over all ranks together).
  init(rows: Int, batchSize: Int?, ranks: Int, rank: Int) {
    self.rows = max(rows, 1)
    self.ranks = max(ranks, 1)
    self.rank = rank
    let share = min(batchSize ?? self.rows, self.rows)
    let (total, overflow) = share.multipliedReportingOverflow(by: self.ranks)
    globalBatch = overflow ? self.rows : min(total, self.rows)
  }

  /// Steps per epoch.
  var steps: Int { (rows + globalBatch - 1) / globalBatch }

  /// The rows of step `step` over all ranks.
  func globalRows(_ step: Int) -> Int { min(globalBatch, rows - step * globalBatch) }

  /// Where rank `rank`'s share of `count` rows starts within them: shares differ by at most
  /// one row, and a full step of ranks × batch rows gives every rank exactly `batch`.
  func shareStart(_ rank: Int, of count: Int) -> Int { rank * count / ranks }

  /// This rank's rows of step `step`: `count` rows from position `start` of the epoch's order,
  /// which are rows `offset…` of the step's global batch.
  func shard(_ step: Int) -> (start: Int, count: Int, offset: Int) {
    shard(step, rank: rank)
  }

  func shard(_ step: Int, rank: Int) -> (start: Int, count: Int, offset: Int) {
    let count = globalRows(step)
    let low = shareStart(rank, of: count)
    let high = shareStart(rank + 1, of: count)
    return (step * globalBatch + low, high - low, low)
  }

  /// Every non-zero share any rank takes in any step, in increasing order.
  var shardSizes: [Int] {
    var sizes = Set<Int>()
    for step in Set([0, steps - 1]) {
      for r in 0..<ranks {
        let count = shard(step, rank: r).count
        if count > 0 { sizes.insert(count) }
      }
    }
    return sizes.sorted()
  }
}

extension Trainer {
  /// The batch layout of this trainer's configuration and communicator over `rows` rows.
  func batchLayout(rows: Int) -> BatchLayout {
    BatchLayout(rows: rows, batchSize: configuration.batchSize,
                ranks: communicator?.size ?? 1, rank: communicator?.rank ?? 0)
  }

  /// The start of a data-parallel run: the ranks compare what they are about to train on (a
  /// rank whose data, model or generator differs would silently train something else), then
  /// take rank 0's weights, and find out how the loss reduces over rows.
  func joinGroup(
    _ communicator: any Communicator, _ data: TrainingData, validation: TrainingData?,
    random: RandomGenerator
  ) throws(GraphError) -> DataParallelGroup {
    var probe = random
    let store = network.parameters
    let sameData = ": every rank must load the same data (each takes its own share of every batch)"
    let sameScript = ": every rank must run the same script"
    let facts: [(Int64, Int64?, (Int64, Int64) -> String)] = [
      (Int64(data.rows), nil, { "has \($0) training rows but rank 0 has \($1)" + sameData }),
      (Int64(data.x.count), nil, {
        "has \($0) training input values but rank 0 has \($1)" + sameData
      }),
      (Int64(data.y.count), nil, {
        "has \($0) training target values but rank 0 has \($1)" + sameData
      }),
      (Self.checksum(data.x, data.y), nil, { _, _ in
        "holds other training data than rank 0 (the same sizes, other values)" + sameData
      }),
      (Int64(validation?.rows ?? -1), nil, { value, zero in
        "has \(value < 0 ? "no" : String(value)) validation rows but rank 0 has "
          + (zero < 0 ? "none" : String(zero)) + sameData
      }),
      (validation.map { Self.checksum($0.x, $0.y) } ?? 0, nil, { _, _ in
        "holds other validation data than rank 0 (the same sizes, other values)" + sameData
      }),
      (Int64(configuration.batchSize ?? 0), nil, { value, zero in
        "trains with batch \(value == 0 ? "(the whole set)" : String(value)) but rank 0 "
          + "with batch \(zero == 0 ? "(the whole set)" : String(zero))" + sameScript
      }),
      (Int64(configuration.epochs), nil, {
        "trains for \($0) epochs but rank 0 for \($1)" + sameScript
      }),
      (Int64(store.count), nil, {
        "trains a model of \($0) parameters but rank 0 one of \($1)" + sameScript
      }),
      (Self.layoutHash(network), nil, { _, _ in
        "trains a model with other layers than rank 0's" + sameScript
      }),
      (Int64(bitPattern: probe.next()), nil, { _, _ in
        "has drawn other random numbers than rank 0 before training (the ranks must shuffle "
          + "alike and draw the same dropout masks): every rank must run the same script "
          + "with the same seed"
      }),
    ]
    let all = communicator.allGather(facts.map(\.0))
    for rank in all.indices.dropFirst() {
      for (index, fact) in facts.enumerated() where all[rank][index] != all[0][index] {
        throw GraphError(message: "the ranks disagree: rank \(rank) "
                         + fact.2(all[rank][index], all[0][index]))
      }
    }
    communicator.broadcast(UnsafeMutableBufferPointer(start: store.pointer, count: store.count),
                           from: 0)
    // A built-in loss declares its reduction; a script's own loss is probed.
    let reduction: LossReduction
    if let lossKind { reduction = lossKind.reduction } else { reduction = try lossReduction(data) }
    // The gradient watch reads whole layers: such runs are not sharded, nor their weights
    // shared.
    return DataParallelGroup(communicator: communicator, reduction: reduction,
                             parameterCount: store.count,
                             bufferCount: bufferRanges.reduce(0) { $0 + $1.count },
                             sharded: store.count >= shardedUpdateMinimum,
                             layout: configuration.watchGradients ? nil : store)
  }

  /// A 64-bit FNV-1a hash of the values' bits, to compare data across ranks cheaply.
  static func checksum(_ tensors: Tensor...) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for tensor in tensors {
      tensor.withUnsafeBufferPointer { values in
        for value in values { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
      }
      hash = (hash ^ UInt64(tensor.rank)) &* 0x100_0000_01b3
    }
    return Int64(bitPattern: hash)
  }

  /// A hash of the parameters' names and shapes.
  static func layoutHash(_ network: Network) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for (name, shape) in zip(network.parameterNames, network.parameters.shapes) {
      for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
      for extent in shape { hash = (hash ^ UInt64(extent)) &* 0x100_0000_01b3 }
    }
    return Int64(bitPattern: hash)
  }

  /// Whether the loss is a mean or a sum over rows, found by evaluating it on one row and on
  /// that row twice (a script's own loss may be either). Rows whose loss is 0 or not finite
  /// tell nothing; when no row tells, the loss is taken as a mean, as every built-in but sse.
  func lossReduction(_ data: TrainingData) throws(GraphError) -> LossReduction {
    let targetRow = Array(data.y.shape.dropFirst())
    let forward = try forwardPlan(rows: 1)
    let one = try lossPlan(rows: 1, targetRow: targetRow)
    let two = try lossPlan(rows: 2, targetRow: targetRow)
    var target = Tensor(zeros: [1] + targetRow)
    for row in 0..<min(data.rows, 8) {
      Self.copyRows(data.x, start: row, into: &forward.x)
      Self.copyRows(data.y, start: row, into: &target)
      forward.plan.setInput(0, forward.x)
      var random = RandomGenerator(seed: 0)  // inference plans draw nothing
      forward.plan.run(random: &random)
      let input = forward.plan.output(forward.lossInput)
      one.plan.setInput(0, input)
      one.plan.setInput(1, target)
      one.plan.run(random: &random)
      two.plan.setInput(0, Tensor(shape: [2] + input.shape.dropFirst(),
                                  scalars: input.scalars + input.scalars))
      two.plan.setInput(1, Tensor(shape: [2] + targetRow, scalars: target.scalars + target.scalars))
      two.plan.run(random: &random)
      let single = Double(one.plan.pointer(one.loss).pointee)
      let double = Double(two.plan.pointer(two.loss).pointee)
      guard single.isFinite, double.isFinite, single != 0 else { continue }
      let ratio = double / single
      if abs(ratio - 1) < 1e-3 { return .mean }
      if abs(ratio - 2) < 1e-3 { return .sum }
      throw GraphError(message: "data-parallel training needs a loss that is a mean or a sum "
                       + "over rows: this one gives \(single) for a row and \(double) for the "
                       + "same row twice")
    }
    return .mean
  }
}

/// A trainer's side of a data-parallel run: its communicator and the buffers its steps use.
///
/// Small models all-reduce the whole gradient and every rank applies the whole update. From
/// `Trainer.shardedUpdateMinimum` parameters on, the update is sharded (ZeRO's first stage,
/// PyTorch's `ZeroRedundancyOptimizer`): the gradient is reduce-scattered, each rank checks,
/// clips and applies the optimizer to its own part of the parameters only, and an all-gather
/// gives every rank the others' parts. The exchange moves as many bytes as the all-reduce, and
/// the passes over the parameters (the update, l2, clipping, the scan) shrink with the ranks.
final class DataParallelGroup {
  let communicator: any Communicator
  let reduction: LossReduction
  let parameterCount: Int
  /// A rank's reduction buffer for steps in which it holds no rows (zeros but for the flags).
  private let idle: UnsafeMutableBufferPointer<Float>
  /// The running statistics of every rank, gathered to be averaged.
  private let buffers: UnsafeMutableBufferPointer<Float>
  /// The generator draws of one plan run, which a rank without rows skips over.
  var draws = 0
  /// Each rank's part of the parameters when the update is sharded (nil: not sharded).
  let parts: [Range<Int>]?
  /// The reduce-scattered gradient: this rank's part holds the sum over ranks.
  private let summed: UnsafeMutableBufferPointer<Float>
  /// The loss, the three flags and the gradient's partial sum of squares, summed over ranks
  /// after the reduce-scatter (the sum of squares overflows Float).
  private let tail: UnsafeMutableBufferPointer<Double>
  /// Whether the trainer's `lastFinite` holds only this rank's part of the weights (after a
  /// sharded update) rather than all of them.
  private var lastFiniteIsPartial = false
  /// Where this run's step plans keep their gradient region, when the communicator shares
  /// memory between the ranks (`Communicator.exchangeBuffer`): the reduce-scatter then reads
  /// every rank's gradient where its backward pass wrote it. Nil: in each plan's arena.
  let gradientStorage: UnsafeMutablePointer<Float>?
  /// The one copy of the weights that every rank's plans read and each rank's optimizer
  /// updates its own part of, in place (`Communicator.sharedWeights`): a barrier then
  /// replaces the all-gather. Only with the gradient in shared memory too, and for models
  /// without running statistics (every rank's forward pass writes those). Nil: each rank
  /// keeps its own copy, completed by the all-gather.
  let sharedWeights: ParameterStore<Float>?

  init(communicator: any Communicator, reduction: LossReduction, parameterCount: Int,
       bufferCount: Int, sharded: Bool = false, layout: ParameterStore<Float>? = nil) {
    self.communicator = communicator
    self.reduction = reduction
    self.parameterCount = parameterCount
    idle = .allocate(capacity: parameterCount + Plan<Float>.reductionTailCount)
    idle.initialize(repeating: 0)
    buffers = .allocate(capacity: bufferCount)
    buffers.initialize(repeating: 0)
    let size = communicator.size
    parts = sharded && size > 1
      ? (0..<size).map { ($0 * parameterCount / size)..<(($0 + 1) * parameterCount / size) }
      : nil
    summed = .allocate(capacity: parts == nil ? 0 : parameterCount)
    summed.initialize(repeating: 0)
    tail = .allocate(capacity: 5)
    tail.initialize(repeating: 0)
    // Collective, as every rank makes its group at the same point of the run.
    gradientStorage = parts == nil ? nil
      : communicator.exchangeBuffer(count: parameterCount + Plan<Float>.reductionTailCount)
    if gradientStorage != nil, bufferCount == 0, let layout,
       let shared = communicator.sharedWeights(count: parameterCount) {
      sharedWeights = ParameterStore(viewing: shared, layout: layout)
    } else {
      sharedWeights = nil
    }
  }

  /// Collective, at a run's start: puts this rank's part of the weights (the same on every
  /// rank since the start's broadcast) into the shared copy, and has the trainer's steps use
  /// that copy.
  func startSharingWeights(_ trainer: Trainer) {
    guard let sharedWeights, let parts else { return }
    let part = parts[communicator.rank]
    (sharedWeights.pointer + part.lowerBound).update(
      from: trainer.network.parameters.pointer + part.lowerBound, count: part.count)
    communicator.barrier()
    trainer.sharedWeights = sharedWeights
  }

  /// Brings the network's own store up to date from the shared copy (at an epoch's end, when
  /// the run stops, before a failure restores): what evaluations, the script and a restore
  /// read. Every rank only reads the shared copy until after the next step's exchange.
  func syncWeights(_ trainer: Trainer) {
    guard let sharedWeights else { return }
    trainer.network.parameters.pointer.update(from: sharedWeights.pointer,
                                              count: parameterCount)
  }

  deinit {
    idle.deallocate()
    buffers.deallocate()
    summed.deallocate()
    tail.deallocate()
  }

  // The values after the gradient region in the reduction buffer.
  private var lossSlot: Int { parameterCount }
  private var failedSlot: Int { parameterCount + 1 }
  private var stopSlot: Int { parameterCount + 2 }
  private var restoreSlot: Int { parameterCount + 3 }

  /// One step: this rank's share (none when `entry` is nil), then the all-reduce, then the
  /// update every rank applies alike. Returns the step's loss over all its rows and whether
  /// any rank asked to stop. A failure on some rank ends the run on every rank: the rank that
  /// failed throws its own failure, the others one naming it.
  func step(
    _ trainer: Trainer, _ entry: Trainer.StepPlan?, shard: (start: Int, count: Int, offset: Int),
    stepRows: Int, data: TrainingData, order: [Int], random: inout RandomGenerator,
    epoch: Int, batch: Int, learningRate: Double, shouldStop: () -> Bool
  ) throws(TrainingFailure) -> (loss: Double, stop: Bool) {
    let n = parameterCount
    var failure: TrainingFailure?
    var restored = false
    let buffer: UnsafeMutableBufferPointer<Float>
    // The gradient watch reads the whole gradient of every layer: such runs are not sharded.
    let sharded = parts != nil && trainer.gradientWatch == nil
    // When every rank holds as many rows, every share's weight is 1/N: a sharded step applies
    // it to its own part of the sum instead of to the whole gradient (a pass over memory
    // saved: with two processes, the two copies of everything outgrow the shared cache).
    let uniform = sharded && reduction == .mean && stepRows % communicator.size == 0
    // The generator as the step found it, to replay the step when a failure is traced back.
    let replay = random
    if let entry {
      buffer = entry.plan.reductionBuffer
      (failure, restored) = share(
        trainer, entry, shard: shard, stepRows: stepRows, data: data, order: order,
        random: &random, epoch: epoch, batch: batch, into: buffer, weighGradient: !uniform,
        checkGradient: !sharded)
    } else {
      buffer = idle
      // The last idle step's all-reduce left its sum here.
      buffer.baseAddress!.update(repeating: 0, count: n + 1)
      for _ in 0..<draws { _ = random.next() }
    }
    if failure != nil {
      // Zeros keep the sum finite; the flag tells every rank the step is void, and the restore
      // flag whether the failing rank went back to the last finite weights (all ranks do).
      buffer.baseAddress!.update(repeating: 0, count: n + 1)
    }
    buffer[failedSlot] = failure == nil ? 0 : 1
    buffer[stopSlot] = shouldStop() ? 1 : 0
    buffer[restoreSlot] = restored ? 1 : 0
    if sharded, let parts {
      return try shardedStep(trainer, entry, buffer, parts: parts, failure: failure,
                             replay: replay, epoch: epoch, batch: batch,
                             learningRate: learningRate,
                             weight: uniform ? 1 / Float(communicator.size) : 1)
    }
    communicator.allReduceSum(buffer)
    let loss = try checkRanks(
      trainer, failure: failure, failed: buffer[failedSlot] > 0,
      restore: buffer[restoreSlot] > 0, loss: Double(buffer[lossSlot]), epoch: epoch,
      batch: batch)
    let gradients = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
    try trainer.checkGradient(gradients, nil, replay: random, epoch: epoch, batch: batch)
    trainer.update(gradients, learningRate: learningRate)
    return (loss, buffer[stopSlot] > 0)
  }

  /// The rest of a sharded step, after this rank's share: reduce-scatter the gradient, weigh
  /// this rank's part of the sum by `weight` (the shares' weight when they were not weighed),
  /// sum the flags, the loss and the squares, update this rank's part and gather the others'.
  private func shardedStep(
    _ trainer: Trainer, _ entry: Trainer.StepPlan?, _ buffer: UnsafeMutableBufferPointer<Float>,
    parts: [Range<Int>], failure: TrainingFailure?, replay: RandomGenerator, epoch: Int,
    batch: Int, learningRate: Double, weight: Float
  ) throws(TrainingFailure) -> (loss: Double, stop: Bool) {
    let n = parameterCount
    let part = parts[communicator.rank]
    communicator.reduceScatterSum(UnsafeBufferPointer(rebasing: buffer[0..<n]), into: summed,
                                  parts: parts, scale: weight)
    trainer.addL2(summed, part: part)
    // Before the all-reduce: no rank updates its part of shared weights until every rank
    // has entered it.
    let penalty = trainer.l2Penalty()
    tail[0] = Double(buffer[lossSlot])
    tail[1] = Double(buffer[failedSlot])
    tail[2] = Double(buffer[stopSlot])
    tail[3] = Double(buffer[restoreSlot])
    tail[4] = sumOfSquares(UnsafeBufferPointer(rebasing: summed[part]))
    communicator.allReduceSum(tail)
    // Every rank sees the same sums, so all gather the last finite weights here or none does.
    if tail[1] > 0 || !(tail[0] + penalty).isFinite {
      completeLastFinite(trainer)
    }
    let loss = try checkRanks(trainer, failure: failure, failed: tail[1] > 0,
                              restore: tail[3] > 0, loss: tail[0], penalty: penalty,
                              epoch: epoch, batch: batch)
    // Every rank sees the same sum of squares, so all fail here alike or none does. The
    // ranks did not scan their own gradients (a pass over memory saved): now each does, so
    // that the rank whose share is not finite names its op, as in an unsharded step.
    guard tail[4].isFinite else {
      // The weights are kept: the network's store gets the ones the steps used.
      syncWeights(trainer)
      let own = entry.flatMap { entry in
        sumOfSquares(UnsafeBufferPointer(rebasing: buffer[0..<n])).isFinite ? nil
          : trainer.nonFiniteGradient(entry, replay: replay, epoch: epoch, batch: batch)
      }
      let reports = communicator.allGather([own == nil ? 0 : 1])
      if let own { throw own }
      if let others = othersFailed(reports, epoch: epoch, batch: batch) { throw others }
      throw trainer.nonFiniteGradient(nil, replay: replay, epoch: epoch, batch: batch)
    }
    trainer.clip(summed, part: part, squares: tail[4])
    trainer.update(summed, learningRate: learningRate, part: part)
    lastFiniteIsPartial = true
    if sharedWeights != nil {
      // Every part is updated in place: the next step's forward passes wait for all.
      communicator.barrier()
      return (loss, tail[2] > 0)
    }
    let store = trainer.network.parameters
    communicator.allGather(UnsafeMutableBufferPointer(start: store.pointer, count: n),
                           parts: parts)
    // The gather brought the other ranks' running statistics: each rank keeps its own until
    // the epoch's average.
    trainer.restoreBuffers()
    return (loss, tail[2] > 0)
  }

  /// After the exchange: throws when some rank failed (its own failure on that rank, one
  /// naming it on the others) or the summed loss is not finite; else the step's loss.
  private func checkRanks(
    _ trainer: Trainer, failure: TrainingFailure?, failed: Bool, restore: Bool, loss: Double,
    penalty: Double? = nil, epoch: Int, batch: Int
  ) throws(TrainingFailure) -> Double {
    if failed {
      // The weights of the steps so far, unless the restore below replaces them.
      syncWeights(trainer)
      let reports = communicator.allGather([failure == nil ? 0 : 1])
      // The failing rank restored already, but maybe from a partial copy: all restore again.
      if restore {
        trainer.network.parameters.pointer.update(from: trainer.lastFinite,
                                                  count: trainer.network.parameters.count)
      }
      if let failure { throw failure }
      if let others = othersFailed(reports, epoch: epoch, batch: batch) { throw others }
    }
    let total = loss + (penalty ?? trainer.l2Penalty())
    guard total.isFinite else {
      trainer.network.parameters.pointer.update(from: trainer.lastFinite,
                                                count: trainer.network.parameters.count)
      throw TrainingFailure(
        message: "the loss summed over the ranks became \(formatNumber(total)) at epoch "
          + "\(epoch), batch \(batch); the weights of the last finite step were restored",
        epoch: epoch, batch: batch)
    }
    return total
  }

  /// The failure of a rank whose step did not fail, naming the ranks that reported one
  /// (`reports`: each rank's flag); nil when none did.
  private func othersFailed(_ reports: [[Int64]], epoch: Int, batch: Int) -> TrainingFailure? {
    let failed = reports.indices.filter { reports[$0][0] != 0 }
    guard !failed.isEmpty else { return nil }
    let names = failed.count == 1 ? "rank \(failed[0])"
      : "ranks " + failed.map(String.init).joined(separator: ", ")
    let theirs = failed.count == 1 ? "its error" : "their errors"
    return TrainingFailure(
      message: "\(names) failed at epoch \(epoch), batch \(batch) (see \(theirs)); training "
        + "stopped on every rank", epoch: epoch, batch: batch)
  }

  /// Collective: gives the trainer's `lastFinite` every rank's part again after sharded
  /// updates kept only this rank's, before a failure restores from it. Each rank's running
  /// statistics there come from the rank owning their part (a failed run is not averaged).
  func completeLastFinite(_ trainer: Trainer) {
    guard lastFiniteIsPartial, let parts else { return }
    communicator.allGather(UnsafeMutableBufferPointer(start: trainer.lastFinite,
                                                      count: parameterCount), parts: parts)
    lastFiniteIsPartial = false
  }

  /// After a sharded run that ended normally: every rank gathers the optimizer state of the
  /// others' parts, so that a later unsharded update (or a script's own `step`) continues
  /// the same moments on every rank.
  func gatherOptimizerState(_ trainer: Trainer) {
    guard let parts else { return }
    trainer.optimizerState.forEachStateBuffer { communicator.allGather($0, parts: parts) }
  }

  /// Runs this rank's share of a step and leaves its gradient (weighed by its share of the rows
  /// unless `weighGradient` is false) and weighted loss in `buffer`; the failure, when the
  /// share's loss (or, with `checkGradient`, its gradient) is not finite.
  private func share(
    _ trainer: Trainer, _ entry: Trainer.StepPlan, shard: (start: Int, count: Int, offset: Int),
    stepRows: Int, data: TrainingData, order: [Int], random: inout RandomGenerator,
    epoch: Int, batch: Int, into buffer: UnsafeMutableBufferPointer<Float>,
    weighGradient: Bool, checkGradient: Bool
  ) -> (TrainingFailure?, restored: Bool) {
    entry.plan.rowOffset = shard.offset
    entry.gather(data, order: order, start: shard.start)
    let replay = random
    if trainer.configuration.checkNumerics {
      if let fault = entry.plan.run(random: &random, checkingNumerics: true) {
        return (trainer.numericFailure(fault, entry, epoch: epoch, batch: batch),
                !fault.backward)
      }
    } else {
      entry.plan.run(random: &random)
    }
    let loss = Double(entry.lossValue)
    guard loss.isFinite else {
      return (trainer.nonFiniteLoss(loss, entry, replay: replay, epoch: epoch, batch: batch),
              true)
    }
    let gradients = UnsafeMutableBufferPointer(rebasing: buffer[0..<parameterCount])
    guard !checkGradient || sumOfSquares(UnsafeBufferPointer(gradients)).isFinite else {
      return (trainer.nonFiniteGradient(entry, replay: replay, epoch: epoch, batch: batch),
              false)
    }
    let weight = reduction == .mean ? Float(shard.count) / Float(stepRows) : 1
    if weight != 1 && weighGradient {
      for i in gradients.indices { gradients[i] *= weight }
    }
    buffer[lossSlot] = weight * Float(loss)
    return (nil, false)
  }

  /// Replaces every rank's running statistics by their mean over the ranks.
  func averageBuffers(_ trainer: Trainer) {
    guard buffers.count > 0 else { return }
    let store = trainer.network.parameters.pointer
    var k = 0
    for range in trainer.bufferRanges {
      (buffers.baseAddress! + k).update(from: store + range.lowerBound, count: range.count)
      k += range.count
    }
    communicator.allReduceSum(buffers)
    let scale = 1 / Float(communicator.size)
    k = 0
    for range in trainer.bufferRanges {
      for i in range {
        store[i] = buffers[k] * scale
        k += 1
      }
    }
  }
}
