import Foundation
import Testing
@testable import NNRuntime

// Data-parallel training over thread ranks (ThreadGroup.swift): the batch layout, equivalence
// with one process on the combined batch, the handshake, failures and stops in one rank.
//
// Tolerances: the ranks weight their shares' gradients and sum them in rank order, while one
// process averages the whole batch in one pass, so the two differ by float32 round-off, which
// training carries along. Every parameter and every per-epoch loss must be within
// 1e-5 · |expected| + 1e-6 (float32 round-off over a few epochs). Ranks against each other:
// bit-identical, as each applies the same all-reduced gradient.

// MARK: - Helpers

/// `expected` within `relative` · |expected| + `absolute`, element by element; the largest
/// difference, for reports.
@discardableResult
func expectClose<T: BinaryFloatingPoint>(
  _ actual: [T], _ expected: [T], relative: Double = 1e-5, absolute: Double = 1e-6,
  _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) -> Double {
  #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
  var largest = 0.0
  var worst: (Int, Double, Double)?
  for (i, (a, e)) in zip(actual, expected).enumerated() {
    let difference = abs(Double(a) - Double(e))
    largest = max(largest, difference.isNaN ? .infinity : difference)
    if !(difference <= relative * abs(Double(e)) + absolute), worst == nil {
      worst = (i, Double(a), Double(e))
    }
  }
  if let (i, a, e) = worst {
    Issue.record("\(what): element \(i) is \(a), expected \(e) (max |difference| \(largest))",
                 sourceLocation: sourceLocation)
  }
  return largest
}

/// Each rank's value, failing the test when a rank threw or the ranks hung.
func successes<R>(
  _ results: [Result<R, any Error>]?, sourceLocation: SourceLocation = #_sourceLocation
) throws -> [R] {
  let results = try #require(results, "the ranks did not finish within the time limit",
                             sourceLocation: sourceLocation)
  return try results.map { try $0.get() }
}

/// Each rank's training failure, failing the test when a rank succeeded, threw something
/// else, or the ranks hung.
func failures<R>(
  _ results: [Result<R, any Error>]?, sourceLocation: SourceLocation = #_sourceLocation
) throws -> [TrainingFailure] {
  let results = try #require(results, "the ranks did not finish within the time limit",
                             sourceLocation: sourceLocation)
  return try results.enumerated().map { rank, result in
    let error = try #require(result.failure, "rank \(rank) trained without failing",
                             sourceLocation: sourceLocation)
    return try #require(error as? TrainingFailure, "rank \(rank) threw \(error)",
                        sourceLocation: sourceLocation)
  }
}

extension Result {
  var failure: Failure? {
    if case .failure(let error) = self { return error }
    return nil
  }
}

/// What one rank (or the single process) ends with.
struct RunOutcome: Sendable {
  var weights: [Float]
  var history: TrainingHistory
  var polls = 0
  var batches = 0
  /// The optimizer's state buffers, back to back (ranks only).
  var optimizerState: [Float] = []
}

/// A model, its data and its optimizer, trained alike by one process and by the ranks.
struct Scenario: Sendable, CustomTestStringConvertible {
  var name: String
  var sizes: [Int]
  var activations: [Activation]
  /// Dropout layers after every hidden dense layer.
  var dropout: Double?
  var loss: LossKind
  var optimizer: OptimizerRule
  var learningRate: Double
  var l2 = 0.0
  var clip: Double?
  var epochs = 4
  /// 35 rows: not a multiple of 8 or 16, and the last step of 4 ranks × 4 holds 3 rows, so
  /// rank 0 has none in it.
  var rows = 35

  var testDescription: String { name }
  var classifier: Bool { loss == .crossEntropy }

  func network(seed: UInt64 = 1) -> Network {
    let base = denseNetwork(sizes, activations: activations, seed: seed)
    guard let dropout else { return base }
    var layers: [Layer] = []
    for (i, layer) in base.layers.enumerated() {
      layers.append(layer)
      if i < base.layers.count - 1 {
        layers.append(Layer(name: "dropout\(i + 1)", declaration: Dropout(dropout),
                            inputShape: layer.outputShape, outputShape: layer.outputShape,
                            tag: 100 + i))
      }
    }
    return Network(inputShape: base.inputShape, layers: layers,
                   parameterNames: base.parameterNames, parameters: base.parameters)
  }

  var data: TrainingData { classifier ? blobData(rows) : linearData(rows) }
  var validation: TrainingData? { classifier ? blobData(12, seed: 9) : nil }

  func configuration(batch: Int?, clip: Double?? = nil) -> TrainingConfiguration {
    TrainingConfiguration(epochs: epochs, batchSize: batch, optimizer: optimizer,
                          learningRate: learningRate, l2: l2, clip: clip ?? self.clip,
                          metrics: classifier ? [.accuracy] : [])
  }

  func trainer(_ network: Network, batch: Int?, clip: Double?? = nil) throws -> Trainer {
    try makeTrainer(network, configuration(batch: batch, clip: clip), loss: loss)
  }
}

let trainingSeed: UInt64 = 5

/// One process (no communicator) on batches of `batch` rows.
func trainAlone(
  _ scenario: Scenario, batch: Int?, clip: Double?? = nil, stopAtPoll: Int? = nil
) throws -> RunOutcome {
  let network = scenario.network()
  var polls = 0
  let trainer = try scenario.trainer(network, batch: batch, clip: clip)
  let history = try train(trainer, scenario.data, validation: scenario.validation,
                          seed: trainingSeed, shouldStop: {
                            polls += 1
                            return polls == stopAtPoll
                          })
  var state: [Float] = []
  trainer.optimizerState.forEachStateBuffer { state += $0 }
  return RunOutcome(weights: parameters(network), history: history, polls: polls,
                    optimizerState: state)
}

/// `ranks` thread ranks, each on batches of `batch` rows. Ranks other than 0 start from other
/// weights, which rank 0's replace; `stopper` alone asks to stop, at its `stopAtPoll`th poll.
func trainTogether(
  _ scenario: Scenario, ranks: Int, batch: Int?, stopper: Int = 0, stopAtPoll: Int? = nil,
  sharded: Bool = false
) -> [Result<RunOutcome, any Error>]? {
  runRanks(ranks) { communicator in
    let network = scenario.network(seed: communicator.rank == 0 ? 1 : 2)
    let trainer = try scenario.trainer(network, batch: batch)
    trainer.communicator = communicator
    trainer.shardedUpdateMinimum = sharded ? 0 : .max
    var polls = 0
    var batches = 0
    let history = try train(trainer, scenario.data, validation: scenario.validation,
                            seed: trainingSeed,
                            progress: { if !$0.epochFinished { batches += 1 } },
                            shouldStop: {
                              polls += 1
                              return communicator.rank == stopper && polls == stopAtPoll
                            })
    var state: [Float] = []
    trainer.optimizerState.forEachStateBuffer { state += $0 }
    #expect(communicator.calls.contains { $0.hasPrefix("reduceScatterSum") } == sharded,
            "sharded \(sharded), but the rank's collectives were \(Set(communicator.calls))")
    // A sharded run's plans write their gradients into the memory the ranks share, and
    // (for a model without running statistics) read one shared copy of the weights.
    #expect(communicator.calls.contains { $0.hasPrefix("exchangeBuffer") } == sharded)
    #expect(communicator.calls.contains { $0.hasPrefix("sharedWeights") }
              == (sharded && network.bufferParameters.isEmpty))
    return RunOutcome(weights: parameters(network), history: history, polls: polls,
                      batches: batches, optimizerState: state)
  }
}

/// The rank outcomes agree bit for bit, and match `alone` within the file's tolerance; the
/// largest difference from `alone`.
@discardableResult
func expectSameTraining(
  _ outcomes: [RunOutcome], as alone: RunOutcome,
  sourceLocation: SourceLocation = #_sourceLocation
) -> Double {
  for (rank, outcome) in outcomes.enumerated().dropFirst() {
    #expect(outcome.weights == outcomes[0].weights, "rank \(rank)'s weights differ from rank 0's",
            sourceLocation: sourceLocation)
    #expect(outcome.history.series.map(\.values) == outcomes[0].history.series.map(\.values),
            "rank \(rank)'s history differs from rank 0's", sourceLocation: sourceLocation)
    #expect(outcome.optimizerState == outcomes[0].optimizerState,
            "rank \(rank)'s optimizer state differs from rank 0's", sourceLocation: sourceLocation)
  }
  var largest = expectClose(outcomes[0].weights, alone.weights, "weights",
                            sourceLocation: sourceLocation)
  #expect(outcomes[0].history.series.map(\.name) == alone.history.series.map(\.name),
          sourceLocation: sourceLocation)
  for (ranked, single) in zip(outcomes[0].history.series, alone.history.series) {
    largest = max(largest, expectClose(ranked.values, single.values, "the series \(single.name)",
                                       sourceLocation: sourceLocation))
  }
  #expect(outcomes[0].history.epochs == alone.history.epochs, sourceLocation: sourceLocation)
  // A sharded run gathers the moments of every part: the state is one process's too.
  largest = max(largest, expectClose(outcomes[0].optimizerState, alone.optimizerState,
                                     "the optimizer state", sourceLocation: sourceLocation))
  return largest
}

let sgdMomentum = OptimizerRule.sgd(momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0)

let scenarios: [Scenario] = [
  Scenario(name: "classifier, adam", sizes: [2, 8, 2], activations: [.tanh, .identity],
           loss: .crossEntropy,
           optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false),
           learningRate: 0.02),
  Scenario(name: "classifier with dropout, sgd momentum", sizes: [2, 8, 8, 2],
           activations: [.relu, .tanh, .identity], dropout: 0.3, loss: .crossEntropy,
           optimizer: sgdMomentum, learningRate: 0.1),
  Scenario(name: "sse regression, l2, clip, nesterov", sizes: [2, 8, 1],
           activations: [.tanh, .identity], loss: .sse,
           optimizer: .sgd(momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0),
           learningRate: 0.01, l2: 0.05, clip: 1),
  Scenario(name: "classifier, nadam", sizes: [2, 8, 2], activations: [.relu, .identity],
           loss: .crossEntropy,
           optimizer: .nadam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0,
                             momentumDecay: 0.004),
           learningRate: 0.02),
]

// MARK: - Tests

@Suite struct DataParallelTests {
  // MARK: The thread communicator

  @Test func theThreadGroupSumsBroadcastsAndGathers() throws {
    let results = try successes(runRanks(3) { communicator -> [[Float]] in
      let r = Float(communicator.rank)
      var sum: [Float] = [r, 1e8, [1e8, 1, -1e8][communicator.rank]]
      sum.withUnsafeMutableBufferPointer { communicator.allReduceSum($0) }
      var doubles: [Double] = [Double(r) + 0.5]
      doubles.withUnsafeMutableBufferPointer { communicator.allReduceSum($0) }
      var root: [Float] = [r, r]
      root.withUnsafeMutableBufferPointer { communicator.broadcast($0, from: 2) }
      let gathered = communicator.allGather([Int64(communicator.rank) * 10, 7])
      return [sum, [Float(doubles[0])], root, gathered.joined().map(Float.init)]
    })
    // In rank order (1e8 + 1) − 1e8 is 0 in float32 (another order could give 1).
    for result in results {
      #expect(result[0] == [3, 3e8, 0])
      #expect(result[1] == [4.5])
      #expect(result[2] == [2, 2])
      #expect(result[3] == [0, 7, 10, 7, 20, 7])
    }
  }

  @Test func theThreadGroupReduceScattersAndGathersParts() throws {
    try expectShardedCollectives { $0 }
  }

  /// The protocol's own versions, over the all-reduce, for communicators without theirs.
  @Test func theDefaultShardedCollectivesDoTheSame() throws {
    try expectShardedCollectives { AllReduceOnly($0) }
  }

  @Test func aRankThatSkipsACollectiveFailsTheRunInsteadOfHangingIt() {
    let results = runRanks(2, timeout: 1) { communicator in
      if communicator.rank == 0 { _ = communicator.allGather([1]) }
    }
    #expect(results == nil)
  }

  // MARK: Batch layout

  @Test func everyRowIsTakenOnceAndSharesDifferByAtMostOneRow() {
    for rows in 1...30 {
      for batch in [nil] + Array(1...7) {
        for ranks in 1...5 {
          let layouts = (0..<ranks).map {
            BatchLayout(rows: rows, batchSize: batch, ranks: ranks, rank: $0)
          }
          let layout = layouts[0]
          let context = "rows \(rows), batch \(batch.map(String.init) ?? "nil"), ranks \(ranks)"
          var next = 0
          var sizes = Set<Int>()
          for step in 0..<layout.steps {
            let stepStart = next
            let shards = layouts.map { $0.shard(step) }
            #expect(shards.map(\.count).reduce(0, +) == layout.globalRows(step), "\(context)")
            for (rank, shard) in shards.enumerated() {
              #expect(shard == layout.shard(step, rank: rank), "\(context)")
              #expect(shard.start == next && shard.offset == next - stepStart,
                      "\(context), step \(step), rank \(rank): \(shard)")
              next += shard.count
              if shard.count > 0 { sizes.insert(shard.count) }
            }
            let counts = shards.map(\.count)
            #expect(counts.max()! - counts.min()! <= 1, "\(context), step \(step): \(counts)")
            if let batch, step < layout.steps - 1 || layout.globalRows(step) == ranks * batch {
              // A full step: exactly `batch` rows per rank, at offsets r · batch.
              #expect(counts == Array(repeating: batch, count: ranks), "\(context)")
              #expect(shards.map(\.offset) == (0..<ranks).map { $0 * batch }, "\(context)")
            }
          }
          #expect(next == rows, "\(context): the shares cover \(next) rows")
          #expect(layout.shardSizes == sizes.sorted(), "\(context)")
          #expect(layouts.allSatisfy { $0.shardSizes == layout.shardSizes }, "\(context)")
        }
      }
    }
  }

  @Test func fullStepsGiveEachRankItsBatchAndTheLastStepSplitsEvenly() {
    // 4 ranks × 3 rows, 29 rows: two full steps of 12, then 5 rows as 1, 1, 1, 2.
    let layouts = (0..<4).map { BatchLayout(rows: 29, batchSize: 3, ranks: 4, rank: $0) }
    #expect(layouts[0].globalBatch == 12 && layouts[0].steps == 3)
    #expect(layouts.map { $0.shard(1) }.map(\.start) == [12, 15, 18, 21])
    #expect(layouts.map { $0.shard(1) }.map(\.count) == [3, 3, 3, 3])
    #expect(layouts.map { $0.shard(2) }.map(\.start) == [24, 25, 26, 27])
    #expect(layouts.map { $0.shard(2) }.map(\.count) == [1, 1, 1, 2])
    #expect(layouts.map { $0.shard(2) }.map(\.offset) == [0, 1, 2, 3])
    #expect(layouts[0].shardSizes == [1, 2, 3])
  }

  @Test func aRankCanHoldNoRowsOfTheLastStep() {
    // 4 ranks × 2 rows, 9 rows: the last step's one row goes to rank 3 alone.
    let layouts = (0..<4).map { BatchLayout(rows: 9, batchSize: 2, ranks: 4, rank: $0) }
    #expect(layouts[0].steps == 2)
    #expect(layouts.map { $0.shard(1).count } == [0, 0, 0, 1])
    #expect(layouts[3].shard(1) == (8, 1, 0))
    #expect(layouts[0].shardSizes == [1, 2])
  }

  @Test func noBatchSplitsTheWholeSetOverTheRanks() {
    let layouts = (0..<4).map { BatchLayout(rows: 10, batchSize: nil, ranks: 4, rank: $0) }
    #expect(layouts[0].steps == 1 && layouts[0].globalBatch == 10)
    #expect(layouts.map { $0.shard(0).count } == [2, 3, 2, 3])
    #expect(layouts.map { $0.shard(0).start } == [0, 2, 5, 7])
    #expect(layouts[0].shardSizes == [2, 3])
    // A batch larger than the set is the whole set too.
    let large = BatchLayout(rows: 10, batchSize: 100, ranks: 2, rank: 1)
    #expect(large.steps == 1 && large.shard(0) == (5, 5, 5))
  }

  @Test func oneRankBatchesAsBefore() {
    for rows in 1...40 {
      for batch in [nil] + Array(1...45) {
        let layout = BatchLayout(rows: rows, batchSize: batch, ranks: 1, rank: 0)
        let size = min(batch ?? rows, rows)
        #expect(layout.steps == (rows + size - 1) / size)
        for step in 0..<layout.steps {
          #expect(layout.shard(step) == (step * size, min(size, rows - step * size), 0))
        }
        let expected = Set([size, rows % size].filter { $0 > 0 }).sorted()
        #expect(layout.shardSizes == expected, "rows \(rows), batch \(String(describing: batch))")
      }
    }
  }

  // MARK: Equivalence with one process

  @Test(arguments: scenarios, [(2, 4, false), (4, 4, false), (2, 4, true), (4, 4, true)])
  func ranksTrainAsOneProcessOnTheCombinedBatch(
    scenario: Scenario, split: (Int, Int, Bool)
  ) throws {
    let (ranks, batch, sharded) = split
    let layout = BatchLayout(rows: scenario.rows, batchSize: batch, ranks: ranks, rank: 0)
    #expect(scenario.rows % (ranks * batch) != 0, "the test needs an uneven last step")
    if ranks == 4 {
      #expect(layout.shard(layout.steps - 1).count == 0, "the test needs a rank without rows")
    }
    let alone = try trainAlone(scenario, batch: ranks * batch)
    let outcomes = try successes(trainTogether(scenario, ranks: ranks, batch: batch,
                                               sharded: sharded))
    expectSameTraining(outcomes, as: alone)
    // The run trained: the weights moved from rank 0's start.
    #expect(outcomes[0].weights != parameters(scenario.network()))
  }

  @Test func theClipOfTheSseScenarioActs() throws {
    // Else the sse scenario would not test clipping the all-reduced gradient.
    let scenario = scenarios[2]
    #expect(try trainAlone(scenario, batch: 8).weights
              != trainAlone(scenario, batch: 8, clip: .some(nil)).weights)
  }

  @Test func theDropoutScenarioDependsOnItsMasks() throws {
    // The dropout scenario matches one process only if each row's mask is keyed by its row in
    // the global batch (a rank keying by its local row would draw rank 0's masks). That says
    // something only if the masks matter: without shuffling, only they depend on the seed.
    let scenario = scenarios[1]
    func run(seed: UInt64) throws -> [Float] {
      let network = scenario.network()
      var configuration = scenario.configuration(batch: 8)
      configuration.shuffle = false
      _ = try train(try makeTrainer(network, configuration, loss: scenario.loss), scenario.data,
                    seed: seed)
      return parameters(network)
    }
    #expect(try run(seed: 1) != run(seed: 2))
  }

  // MARK: Handshake

  enum Mismatch: String, CaseIterable, Sendable {
    case rows, values, batch, seed, epochs, validation, parameterCount, layers
  }

  @Test(arguments: Mismatch.allCases, [1, 2])
  func ranksThatDisagreeAllFailNamingTheRank(mismatch: Mismatch, odd: Int) throws {
    let scenario = scenarios[0]
    let results = runRanks(3) { communicator in
      let differs = communicator.rank == odd
      var sizes = scenario.sizes
      if differs && mismatch == .parameterCount { sizes = [2, 6, 2] }
      if differs && mismatch == .layers { sizes = [2, 4, 4, 2] }  // 42 parameters, as [2, 8, 2]
      let network = denseNetwork(sizes, seed: 1)
      var configuration = scenario.configuration(batch: 4)
      if differs && mismatch == .batch { configuration.batchSize = 3 }
      if differs && mismatch == .epochs { configuration.epochs = 5 }
      let trainer = try makeTrainer(network, configuration, loss: scenario.loss)
      trainer.communicator = communicator
      let data = !differs ? scenario.data
        : mismatch == .rows ? blobData(40)
        : mismatch == .values ? blobData(scenario.rows, seed: 4)
        : scenario.data
      let validation = differs && mismatch == .validation ? nil : scenario.validation
      let before = parameters(network)
      defer { #expect(parameters(network) == before, "rank \(communicator.rank) trained") }
      return try train(trainer, data, validation: validation,
                       seed: differs && mismatch == .seed ? 6 : trainingSeed)
    }
    let expected = switch mismatch {
    case .rows: "has 40 training rows but rank 0 has 35"
    case .values: "holds other training data than rank 0 (the same sizes, other values)"
    case .batch: "trains with batch 3 but rank 0 with batch 4"
    case .seed: "has drawn other random numbers than rank 0 before training"
    case .epochs: "trains for 5 epochs but rank 0 for 4"
    case .validation: "has no validation rows but rank 0 has 12"
    case .parameterCount: "trains a model of 32 parameters but rank 0 one of 42"
    case .layers: "trains a model with other layers than rank 0's"
    }
    for (rank, failure) in try failures(results).enumerated() {
      #expect(failure.message.hasPrefix("the ranks disagree: rank \(odd) \(expected)"),
              "rank \(rank): \(failure.message)")
      #expect(failure.epoch == 0 && failure.batch == 0)
    }
  }

  // MARK: Failures and stops in one rank

  @Test(arguments: [false, true])
  func aNonFiniteLossInOneRanksShareStopsEveryRank(sharded: Bool) throws {
    // 3 ranks × 4 rows over 16 rows in order: step 2 holds rows 12…15, shared 1, 1, 1, 2
    // (rank 0: 12, rank 1: 13, rank 2: 14, 15). Row 13 is NaN, so only rank 1's share of
    // step 2 fails. Every rank holds the same data, NaN and all.
    var data = linearData(16)
    var xs = data.x.scalars
    xs[13 * 2] = .nan
    data.x = Tensor(shape: data.x.shape, scalars: xs)
    let poisoned = data
    let configuration = TrainingConfiguration(epochs: 3, batchSize: 4, shuffle: false,
                                              optimizer: sgdMomentum, learningRate: 0.05)
    let poisonedNetwork: @Sendable () -> Network = {
      denseNetwork([2, 4, 1], activations: [.tanh, .identity])
    }
    // One process on the 12-row steps fails on step 2 too, and restores the weights before
    // the last update (step 1's): its start.
    let single = poisonedNetwork()
    var batch12 = configuration
    batch12.batchSize = 12
    #expect(throws: TrainingFailure.self) { try train(try makeTrainer(single, batch12), poisoned) }
    let results = runRanks(3) { communicator in
      let network = poisonedNetwork()
      let trainer = try makeTrainer(network, configuration)
      trainer.communicator = communicator
      trainer.shardedUpdateMinimum = sharded ? 0 : .max
      var afterStep1: [Float] = []
      do {
        _ = try train(trainer, poisoned, progress: {
          if $0.epoch == 1 && $0.batch == 1 && !$0.epochFinished {
            // The weights the steps use: within an epoch of a run whose ranks share one
            // copy, the network's own store still holds the epoch's start.
            afterStep1 = Array(UnsafeBufferPointer(start: trainer.weights,
                                                   count: network.parameters.count))
          }
        })
        return RunOutcome(weights: parameters(network), history: TrainingHistory(
          series: [], epochs: 0, seconds: 0, stoppedEarly: false))
      } catch {
        let failure = (error as? TrainingFailure)
          ?? TrainingFailure(message: "not a TrainingFailure: \(error)", epoch: -1, batch: -1)
        throw RankFailure(failure: failure, afterStep1: afterStep1, weights: parameters(network),
                          optimizerSteps: trainer.optimizerState.steps)
      }
    }
    let failed = try #require(results).map { $0.failure as? RankFailure }
    try #require(failed.allSatisfy { $0 != nil }, "every rank must fail: \(failed)")
    let failures = failed.map { $0!.failure }
    #expect(failures.allSatisfy { $0.epoch == 1 && $0.batch == 2 },
            "\(failures.map { ($0.epoch, $0.batch) })")
    #expect(failures[1].message.hasPrefix("the loss became nan at epoch 1, batch 2; the inputs "
                                          + "of this batch hold values that are not finite"),
            "\(failures[1].message)")
    for rank in [0, 2] {
      #expect(failures[rank].message.hasPrefix("rank 1 failed at epoch 1, batch 2"),
              "rank \(rank): \(failures[rank].message)")
    }
    // Step 1 was taken alike on every rank (the weights moved from the start).
    #expect(failed.allSatisfy { $0!.afterStep1 == failed[0]!.afterStep1 })
    #expect(failed[0]!.afterStep1 != parameters(poisonedNetwork()))
    // The rank that failed restored the weights before the last update, as one process does.
    #expect(failed[1]!.weights == parameters(single))
    // The run ends with the same weights on every rank (else rank 0 saves other weights than
    // rank 1 holds): the restore flag of the step's all-reduce makes them all go back.
    #expect(failed[0]!.weights == failed[1]!.weights)
    #expect(failed[2]!.weights == failed[1]!.weights)
    // A sharded run that failed holds only its own part's moments: every rank starts its
    // optimizer over alike; an unsharded one keeps the same state on every rank.
    #expect(failed.map { $0!.optimizerSteps } == Array(repeating: sharded ? 0 : 1, count: 3))
  }

  /// Rank 1's rows overflow the gradient while every loss stays finite: rank 1 names the op
  /// (a sharded step finds it after the exchange, an unsharded one before), rank 0 names
  /// rank 1, and neither changes the weights.
  @Test(arguments: [false, true])
  func aNonFiniteGradientInOneRanksShareIsTracedOnThatRank(sharded: Bool) throws {
    let data = TrainingData(x: Tensor(shape: [4, 1], scalars: [1, 1, 3e38, 3e38]),
                            y: Tensor(shape: [4, 1], scalars: [1, 1, 1, 1]))
    let configuration = TrainingConfiguration(epochs: 1, batchSize: 2, shuffle: false,
                                              optimizer: plainSGD, learningRate: 0.1)
    let failures = try failures(runRanks(2) { communicator in
      let network = denseNetwork([1, 1], bias: false)
      network.parameters.assign(0, Tensor(shape: [1, 1], scalars: [0]))
      let trainer = try makeTrainer(network, configuration)
      trainer.communicator = communicator
      trainer.shardedUpdateMinimum = sharded ? 0 : .max
      defer { #expect(parameters(network) == [0], "rank \(communicator.rank) moved") }
      return try train(trainer, data)
    })
    #expect(failures[1].message
              == "the gradient became non-finite at epoch 1, batch 1 (the loss was finite): the "
              + "backward pass produced -inf in ∂L/∂dense1.weight (linear_weight_grad on "
              + "dense1); the weights of the last finite step were kept",
            "\(failures[1].message)")
    #expect(failures[0].message == "rank 1 failed at epoch 1, batch 1 (see its error); "
              + "training stopped on every rank", "\(failures[0].message)")
  }

  @Test(arguments: [false, true])
  func oneRankAskingToStopStopsEveryRankAfterTheSameStep(sharded: Bool) throws {
    // 35 rows in steps of 2 × 4: 5 steps an epoch; rank 1 asks at its 7th poll (epoch 2,
    // batch 2), rank 0 never does.
    let scenario = scenarios[0]
    let outcomes = try successes(trainTogether(scenario, ranks: 2, batch: 4, stopper: 1,
                                            stopAtPoll: 7, sharded: sharded))
    for (rank, outcome) in outcomes.enumerated() {
      #expect(outcome.history.interrupted?.epoch == 2 && outcome.history.interrupted?.batch == 2,
              "rank \(rank): \(String(describing: outcome.history.interrupted))")
      #expect(outcome.history.epochs == 1 && outcome.polls == 7 && outcome.batches == 7,
              "rank \(rank)")
    }
    let alone = try trainAlone(scenario, batch: 8, stopAtPoll: 7)
    #expect(alone.history.interrupted?.epoch == 2 && alone.history.interrupted?.batch == 2)
    expectSameTraining(outcomes, as: alone)
  }
}

/// A rank's failure, its weights after step 1 and at the end.
struct RankFailure: Error, Sendable {
  var failure: TrainingFailure
  var afterStep1: [Float]
  var weights: [Float]
  var optimizerSteps: Int
}

/// 3 ranks over 7 values in parts 0..<2, 2..<4, 4..<7 (through `wrap`'s communicator): the
/// reduce-scatter leaves each rank the sum of its part only, the gather every part.
func expectShardedCollectives(
  sourceLocation: SourceLocation = #_sourceLocation,
  _ wrap: @escaping @Sendable (ThreadRank) -> any Communicator
) throws {
  let parts = [0..<2, 2..<4, 4..<7]
  let results = try successes(runRanks(3) { rank -> [[Float]] in
    let communicator = wrap(rank)
    let r = Float(communicator.rank)
    let values = (0..<7).map { Float($0) + 10 * r }
    var result = [Float](repeating: -1, count: 7)
    var scaled = result
    values.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer {
        communicator.reduceScatterSum(source, into: $0, parts: parts)
      }
      scaled.withUnsafeMutableBufferPointer {
        communicator.reduceScatterSum(source, into: $0, parts: parts, scale: 0.5)
      }
    }
    var gathered = [Float](repeating: r, count: 7)
    for i in parts[communicator.rank] { gathered[i] = 100 + Float(i) }
    gathered.withUnsafeMutableBufferPointer { communicator.allGather($0, parts: parts) }
    return [result, gathered, scaled]
  }, sourceLocation: sourceLocation)
  // Every value i summed over ranks: 3i + 10 (0 + 1 + 2).
  let sums = (0..<7).map { Float(3 * $0 + 30) }
  for (rank, result) in results.enumerated() {
    let expected = (0..<7).map { parts[rank].contains($0) ? sums[$0] : -1 }
    #expect(result[0] == expected, "rank \(rank)", sourceLocation: sourceLocation)
    #expect(result[1] == (0..<7).map { 100 + Float($0) }, "rank \(rank)",
            sourceLocation: sourceLocation)
    #expect(result[2] == expected.map { $0 == -1 ? -1 : $0 / 2 }, "rank \(rank), scaled",
            sourceLocation: sourceLocation)
  }
}

/// A communicator with only the protocol's required collectives: the sharded ones are the
/// protocol extension's.
final class AllReduceOnly: Communicator, @unchecked Sendable {
  let base: ThreadRank
  init(_ base: ThreadRank) { self.base = base }
  var rank: Int { base.rank }
  var size: Int { base.size }
  func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) { base.allReduceSum(values) }
  func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) { base.allReduceSum(values) }
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int) {
    base.broadcast(values, from: root)
  }
  func allGather(_ values: [Int64]) -> [[Int64]] { base.allGather(values) }
}
