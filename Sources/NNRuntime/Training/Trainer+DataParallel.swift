// Data-parallel training (the approach of Horovod and PyTorch's DDP). Every rank holds the
// same data, the same weights and a generator in the same state, so every rank shuffles each
// epoch into the same order. A step covers ranks × batch rows of that order; rank r takes its
// own contiguous share, runs its plan, and weights its gradient by its share of the step's
// rows. One all-reduce then sums the whole gradient region together with a few values after
// it (the weighted loss, a failure flag, a stop flag), so every rank applies the same update.
// The result is the step one process would take on the whole batch, to float32 round-off.

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
    return DataParallelGroup(communicator: communicator, reduction: reduction,
                             parameterCount: store.count,
                             bufferCount: bufferRanges.reduce(0) { $0 + $1.count })
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

  init(communicator: any Communicator, reduction: LossReduction, parameterCount: Int,
       bufferCount: Int) {
    self.communicator = communicator
    self.reduction = reduction
    self.parameterCount = parameterCount
    idle = .allocate(capacity: parameterCount + Plan<Float>.reductionTailCount)
    idle.initialize(repeating: 0)
    buffers = .allocate(capacity: bufferCount)
    buffers.initialize(repeating: 0)
  }

  deinit {
    idle.deallocate()
    buffers.deallocate()
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
    if let entry {
      buffer = entry.plan.reductionBuffer
      (failure, restored) = share(
        trainer, entry, shard: shard, stepRows: stepRows, data: data, order: order,
        random: &random, epoch: epoch, batch: batch, into: buffer)
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
    communicator.allReduceSum(buffer)
    if buffer[failedSlot] > 0 {
      let reports = communicator.allGather([failure == nil ? 0 : 1])
      if let failure { throw failure }
      if buffer[restoreSlot] > 0 {
        trainer.network.parameters.pointer.update(from: trainer.lastFinite,
                                                  count: trainer.network.parameters.count)
      }
      let failed = reports.indices.filter { reports[$0][0] != 0 }
      let names = failed.count == 1 ? "rank \(failed[0])"
        : "ranks " + failed.map(String.init).joined(separator: ", ")
      let theirs = failed.count == 1 ? "its error" : "their errors"
      throw TrainingFailure(
        message: "\(names) failed at epoch \(epoch), batch \(batch) (see \(theirs)); training "
          + "stopped on every rank", epoch: epoch, batch: batch)
    }
    let loss = Double(buffer[lossSlot]) + trainer.l2Penalty()
    guard loss.isFinite else {
      trainer.network.parameters.pointer.update(from: trainer.lastFinite,
                                                count: trainer.network.parameters.count)
      throw TrainingFailure(
        message: "the loss summed over the ranks became \(formatNumber(loss)) at epoch \(epoch), "
          + "batch "
          + "\(batch); the weights of the last finite step were restored",
        epoch: epoch, batch: batch)
    }
    let gradients = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
    try trainer.checkGradient(gradients, nil, replay: random, epoch: epoch, batch: batch)
    trainer.update(gradients, learningRate: learningRate)
    return (loss, buffer[stopSlot] > 0)
  }

  /// Runs this rank's share of a step and leaves its weighted gradient and loss in `buffer`;
  /// the failure, when the share's loss or gradient is not finite.
  private func share(
    _ trainer: Trainer, _ entry: Trainer.StepPlan, shard: (start: Int, count: Int, offset: Int),
    stepRows: Int, data: TrainingData, order: [Int], random: inout RandomGenerator,
    epoch: Int, batch: Int, into buffer: UnsafeMutableBufferPointer<Float>
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
    guard sumOfSquares(UnsafeBufferPointer(gradients)).isFinite else {
      return (trainer.nonFiniteGradient(entry, replay: replay, epoch: epoch, batch: batch),
              false)
    }
    let weight = reduction == .mean ? Float(shard.count) / Float(stepRows) : 1
    if weight != 1 {
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
