import Foundation
import Testing
@testable import NNRuntime

// The training loop over compiled plans: convergence with every batching, reproducible
// shuffling, l2, clipping, early stopping, non-finite losses, interruption, the history, and
// evaluation in chunks.

// MARK: - Helpers

/// A stack of dense layers `dense1`, `dense2`, … over inputs of `sizes[0]` features, with
/// weights drawn from N(0, 0.25) (biases zero) by a seeded generator.
func denseNetwork(
  _ sizes: [Int], activations: [Activation]? = nil, bias: Bool = true, seed: UInt64 = 1
) -> Network {
  var shapes: [[Int]] = []
  var names: [String] = []
  var layers: [Layer] = []
  for i in 0..<(sizes.count - 1) {
    let weight = shapes.count
    shapes.append([sizes[i + 1], sizes[i]])
    names.append("dense\(i + 1).weight")
    var biasIndex: Int?
    if bias {
      biasIndex = shapes.count
      shapes.append([sizes[i + 1]])
      names.append("dense\(i + 1).bias")
    }
    let activation = activations?[i] ?? .identity
    layers.append(Layer(name: "dense\(i + 1)",
                        declaration: Dense(units: sizes[i + 1], activation: activation,
                                           useBias: bias),
                        inputShape: [sizes[i]], outputShape: [sizes[i + 1]],
                        parameters: [LayerParameter(name: "weight", index: weight, role: .weight)]
                          + (biasIndex.map {
                            [LayerParameter(name: "bias", index: $0, role: .trained)]
                          } ?? []),
                        tag: i))
  }
  let store = ParameterStore<Float>(shapes: shapes)
  var random = RandomGenerator(seed: seed)
  for (index, name) in names.enumerated() where name.hasSuffix("weight") {
    let buffer = store.buffer(index)
    for i in buffer.indices { buffer[i] = Float(random.normal() * 0.5) }
  }
  return Network(inputShape: [sizes[0]], layers: layers, parameterNames: names,
                 parameters: store)
}

func weightMask(_ network: Network) -> [Bool] {
  network.parameterNames.map { $0.hasSuffix("weight") }
}

func lossBuilder(_ kind: LossKind)
  -> (inout Graph, NodeID, NodeID) throws(GraphError) -> NodeID {
  { (graph: inout Graph, prediction: NodeID, target: NodeID) throws(GraphError) -> NodeID in
    try graph.add(.loss(kind), [prediction, target])
  }
}

func makeTrainer(
  _ network: Network, _ configuration: TrainingConfiguration, loss: LossKind = .mse
) throws -> Trainer {
  let state = OptimizerState<Float>(rule: configuration.optimizer, count: network.parameterCount)
  return try Trainer(network: network, configuration: configuration, optimizerState: state,
                     lossNode: lossBuilder(loss), weightMask: weightMask(network))
}

let plainSGD = OptimizerRule.sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0)

/// y = 2·x1 − 3·x2 + 0.5 on `n` points of a seeded grid-free sample, shape [n, 1].
func linearData(_ n: Int, seed: UInt64 = 7) -> TrainingData {
  var random = RandomGenerator(seed: seed)
  var xs: [Float] = []
  var ys: [Float] = []
  for _ in 0..<n {
    let a = Float(random.uniform() * 2 - 1)
    let b = Float(random.uniform() * 2 - 1)
    xs += [a, b]
    ys.append(2 * a - 3 * b + 0.5)
  }
  return TrainingData(x: Tensor(shape: [n, 2], scalars: xs), y: Tensor(shape: [n, 1], scalars: ys))
}

/// Two Gaussian blobs in 2-D, labels 0 and 1 as class indices [n].
func blobData(_ n: Int, seed: UInt64 = 3) -> TrainingData {
  var random = RandomGenerator(seed: seed)
  var xs: [Float] = []
  var ys: [Float] = []
  for i in 0..<n {
    let label = i % 2
    let center: Float = label == 0 ? -1 : 1
    xs += [center + Float(random.normal() * 0.6), center + Float(random.normal() * 0.6)]
    ys.append(Float(label))
  }
  return TrainingData(x: Tensor(shape: [n, 2], scalars: xs), y: Tensor(ys), classes: 2)
}

func train(
  _ trainer: Trainer, _ data: TrainingData, validation: TrainingData? = nil, seed: UInt64 = 0,
  progress: (TrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }
) throws -> TrainingHistory {
  var random = RandomGenerator(seed: seed)
  return try trainer.train(data, validation: validation, random: &random, progress: progress,
                           shouldStop: shouldStop)
}

func allFinite(_ network: Network) -> Bool {
  (0..<network.parameters.count).allSatisfy { network.parameters.pointer[$0].isFinite }
}

func parameters(_ network: Network) -> [Float] {
  Array(UnsafeBufferPointer(start: network.parameters.pointer, count: network.parameters.count))
}

// MARK: - Tests

@Suite struct TrainerTests {
  @Test(arguments: [(nil, 400, 0.5), (16, 100, 0.1), (1, 30, 0.02)] as [(Int?, Int, Double)])
  func everyBatchingConvergesOnALinearModel(batch: Int?, epochs: Int, rate: Double) throws {
    let network = denseNetwork([2, 1])
    let configuration = TrainingConfiguration(epochs: epochs, batchSize: batch,
                                              optimizer: plainSGD, learningRate: rate)
    let history = try train(try makeTrainer(network, configuration), linearData(64))
    let losses = try #require(history["loss"])
    #expect(losses.count == epochs)
    #expect(losses.last! < 1e-4, "final loss \(losses.last!)")
    let w = network.parameters.tensor(0).scalars
    let b = network.parameters.tensor(1).scalars
    #expect(abs(w[0] - 2) < 0.01 && abs(w[1] + 3) < 0.01 && abs(b[0] - 0.5) < 0.01)
  }

  @Test func shufflingWithASeedIsReproducible() throws {
    func run(seed: UInt64) throws -> ([Float], [Double]) {
      let network = denseNetwork([2, 3, 1], activations: [.tanh, .identity])
      let configuration = TrainingConfiguration(epochs: 3, batchSize: 5, optimizer: plainSGD,
                                                learningRate: 0.05)
      let history = try train(try makeTrainer(network, configuration), linearData(23),
                              seed: seed)
      return (parameters(network), history["loss"]!)
    }
    let first = try run(seed: 42)
    let again = try run(seed: 42)
    let other = try run(seed: 43)
    #expect(first.0 == again.0 && first.1 == again.1)
    #expect(first.0 != other.0)
  }

  @Test func l2AddsItsTermToTheLossAndL2WToWeightGradientsOnly() throws {
    let lambda = 0.3
    let data = linearData(8)
    func oneStep(l2: Double) throws -> (parameters: [Float], loss: Double) {
      let network = denseNetwork([2, 1])
      network.parameters.assign(1, Tensor([0.25]))
      let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD,
                                                learningRate: 1, l2: l2)
      let history = try train(try makeTrainer(network, configuration), data)
      return (parameters(network), history["loss"]![0])
    }
    let start = denseNetwork([2, 1])
    let w0 = start.parameters.tensor(0).scalars
    let plain = try oneStep(l2: 0)
    let regularised = try oneStep(l2: lambda)
    // With lr 1 the update differs by exactly −λ·W on the weights and not at all on the bias.
    for i in 0..<2 {
      #expect(abs((regularised.parameters[i] - plain.parameters[i]) + Float(lambda) * w0[i])
              < 1e-6)
    }
    #expect(regularised.parameters[2] == plain.parameters[2])
    let penalty = lambda / 2 * w0.reduce(0) { $0 + Double($1) * Double($1) }
    #expect(close(regularised.loss - plain.loss, penalty, 1e-5))
  }

  @Test func clipBoundsTheGlobalGradientNorm() throws {
    let data = linearData(16)
    func step(clip: Double?) throws -> [Float] {
      let network = denseNetwork([2, 4, 1], activations: [.tanh, .identity])
      let before = parameters(network)
      let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD,
                                                learningRate: 1, clip: clip)
      _ = try train(try makeTrainer(network, configuration), data)
      return zip(parameters(network), before).map { $1 - $0 }  // the gradient, as lr = 1
    }
    func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
    let gradient = try step(clip: nil)
    let full = norm(gradient)
    #expect(full > 0.5, "the test needs a gradient larger than the clip, got \(full)")
    let clipped = try step(clip: 0.5)
    #expect(norm(clipped) <= 0.5 + 1e-5)
    #expect(close(norm(clipped), 0.5 * full / (full + 1e-6), 1e-5))
    // Clipping scales; it does not turn the gradient.
    let scale = Float(norm(clipped) / full)
    for (c, g) in zip(clipped, gradient) { #expect(abs(c - scale * g) < 1e-5) }
    // A clip above the norm changes nothing.
    #expect(try step(clip: full * 2) == gradient)
  }

  @Test func earlyStoppingRestoresTheBestWeights() throws {
    // Training pulls w from 0 towards 2 while validation wants 1: val_loss falls, then rises.
    let network = denseNetwork([1, 1], bias: false)
    network.parameters.assign(0, Tensor(shape: [1, 1], scalars: [0]))
    let xs = Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0) / 4 - 1 })
    let training = TrainingData(x: xs, y: Tensor(shape: [8, 1], scalars: xs.scalars.map { 2 * $0 }))
    let validation = TrainingData(x: xs, y: xs)
    let configuration = TrainingConfiguration(epochs: 100, optimizer: plainSGD,
                                              learningRate: 0.1, earlyStop: 3)
    var weightsByEpoch: [Float] = []
    let history = try train(try makeTrainer(network, configuration), training,
                            validation: validation, progress: { progress in
                              if progress.epochFinished {
                                weightsByEpoch.append(network.parameters.pointer[0])
                              }
                            })
    #expect(history.stoppedEarly)
    #expect(history.epochs < 100 && history.epochs == weightsByEpoch.count)
    let losses = try #require(history["val_loss"])
    let best = losses.indices.min { losses[$0] < losses[$1] }!
    #expect(history.bestEpoch == best + 1)
    #expect(history.epochs == best + 1 + 3)
    #expect(network.parameters.pointer[0] == weightsByEpoch[best])
    #expect(abs(network.parameters.pointer[0] - 1) < 0.2)
  }

  @Test func anExplodingLearningRateFailsAndRestoresFiniteWeights() throws {
    let network = denseNetwork([2, 8, 1], activations: [.relu, .identity])
    let configuration = TrainingConfiguration(epochs: 50, optimizer: plainSGD,
                                              learningRate: 1e9)
    var weightsByEpoch = [parameters(network)]
    do {
      _ = try train(try makeTrainer(network, configuration), linearData(32), progress: {
        if $0.epochFinished { weightsByEpoch.append(parameters(network)) }
      })
      Issue.record("training did not fail")
    } catch let failure as TrainingFailure {
      #expect(failure.message.contains("at epoch \(failure.epoch), batch 1"))
      #expect(failure.message.contains("the weights of the last finite step were restored"))
      #expect(failure.layer == nil || ["dense1", "dense2"].contains(failure.layer!))
      #expect(allFinite(network))
      // The loss of epoch e ran on the weights after e − 1 steps; the restored copy is the
      // one before that last step.
      #expect(parameters(network) == weightsByEpoch[max(failure.epoch - 2, 0)])
    }
  }

  @Test(arguments: [("dense1", 0), ("dense2", 2)])
  func theFailureNamesTheFirstLayerThatIsNotFinite(layer: String, parameter: Int) throws {
    let network = denseNetwork([2, 3, 1])
    let count = network.parameters.count(of: parameter)
    let huge = Tensor(shape: network.parameters.shapes[parameter],
                      scalars: [Float](repeating: 1e30, count: count))
    network.parameters.assign(parameter, huge)
    let before = parameters(network)
    var data = linearData(4)
    data.x = Tensor(shape: [4, 2], scalars: data.x.scalars.map { $0 * 1e10 + 1e10 })
    let configuration = TrainingConfiguration(epochs: 3, optimizer: plainSGD, learningRate: 0.1)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      guard let failure = error as? TrainingFailure else { return false }
      return failure.layer == layer && failure.epoch == 1 && failure.batch == 1
        && failure.message.contains("the first layer whose output is not finite is \(layer)")
    }
    #expect(parameters(network) == before)
  }

  @Test func aLossThatOverflowsWithFiniteLayersSaysSo() throws {
    let network = denseNetwork([2, 1])
    var data = linearData(4)
    data.y = Tensor(shape: [4, 1], scalars: [3e38, -3e38, 3e38, -3e38])
    let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      guard let failure = error as? TrainingFailure else { return false }
      return failure.layer == nil && failure.message.contains("the loss itself overflowed")
    }
  }

  @Test func shouldStopEndsTheRunAfterTheCurrentBatch() throws {
    let network = denseNetwork([2, 1])
    let configuration = TrainingConfiguration(epochs: 10, batchSize: 4, optimizer: plainSGD,
                                              learningRate: 0.1)
    var polls = 0
    var updates = 0
    let history = try train(try makeTrainer(network, configuration), linearData(16),
                            progress: { if !$0.epochFinished { updates += 1 } },
                            shouldStop: {
                              polls += 1
                              return polls == 6
                            })
    #expect(history.interrupted?.epoch == 2 && history.interrupted?.batch == 2)
    #expect(history.epochs == 1 && history["loss"]?.count == 1)
    #expect(updates == 6)
    // The fresh network must outlive the read of its pointer (ASan caught it freed first).
    let fresh = denseNetwork([2, 1])
    withExtendedLifetime(fresh) {
      #expect(network.parameters.pointer[0] != fresh.parameters.pointer[0])
    }
  }

  @Test func historyNamesTheSeriesInAStableOrder() throws {
    let data = blobData(40)
    let validation = blobData(20, seed: 9)
    let network = denseNetwork([2, 2])
    let configuration = TrainingConfiguration(
      epochs: 4, batchSize: 8, optimizer: plainSGD, learningRate: 0.1,
      metrics: [.accuracy, .f1, .auc])
    let trainer = try makeTrainer(network, configuration, loss: .crossEntropy)
    let history = try train(trainer, data, validation: validation)
    #expect(history.series.map(\.name) == ["loss", "val_loss", "accuracy", "val_accuracy",
                                           "f1", "val_f1", "auc", "val_auc"])
    #expect(history.series.allSatisfy { $0.values.count == 4 })
    #expect(history.epochs == 4 && !history.stoppedEarly && history.interrupted == nil)
    // The last epoch's values are those of the final weights over the whole sets.
    let evaluated = try trainer.evaluate(validation)
    #expect(close(history["val_loss"]!.last!, evaluated.loss, 1e-6))
    let report = Metrics.classification(scores: evaluated.predictions,
                                        labels: Metrics.labels(from: validation.y), classes: 2)
    #expect(history["val_accuracy"]!.last! == report.accuracy)
    #expect(history["val_auc"]!.last! == report.auc)
    #expect(history["accuracy"]!.last! > 0.8)

    let regression = try train(
      try makeTrainer(denseNetwork([2, 1]), TrainingConfiguration(
        epochs: 2, optimizer: plainSGD, learningRate: 0.1, metrics: [.mse, .r2])),
      linearData(10))
    #expect(regression.series.map(\.name) == ["loss", "mse", "r2"])
    let mse = try #require(regression["mse"])
    #expect(mse.count == 2 && mse.allSatisfy { $0.isFinite && $0 >= 0 })
  }

  @Test func theEpochLossWeighsBatchesByTheirRows() throws {
    // lr 0 leaves the weights alone, so the row-weighted mean of uneven batch losses (4, 4, 2)
    // is the loss over the whole set.
    let network = denseNetwork([2, 1])
    let data = linearData(10)
    let configuration = TrainingConfiguration(epochs: 2, batchSize: 4, optimizer: plainSGD,
                                              learningRate: 0, l2: 0.2)
    let trainer = try makeTrainer(network, configuration)
    let history = try train(trainer, data)
    let w = network.parameters.tensor(0).scalars
    let penalty = 0.1 * w.reduce(0) { $0 + Double($1) * Double($1) }
    #expect(close(history["loss"]![0], try trainer.evaluate(data).loss + penalty, 1e-6))
    // Reshuffled batches round differently, but the weights did not move.
    #expect(close(history["loss"]![0], history["loss"]![1], 1e-6))
  }

  @Test func theScheduleSetsEachEpochsRate() throws {
    let schedule = LearningRateSchedule.step(every: 2, gamma: 0.5)
    let configuration = TrainingConfiguration(epochs: 5, batchSize: 3, optimizer: plainSGD,
                                              learningRate: 0.2, schedule: schedule)
    var rates: [Double] = []
    _ = try train(try makeTrainer(denseNetwork([2, 1]), configuration), linearData(6),
                  progress: { if $0.epochFinished { rates.append($0.learningRate) } })
    #expect(rates == schedule.learningRates(base: 0.2, totalEpochs: 5))
  }

  @Test(arguments: [LossKind.sse, .mse])
  func evaluatingInChunksEqualsOneBigBatch(loss: LossKind) throws {
    let network = denseNetwork([2, 5, 3], activations: [.tanh, .identity])
    let data = TrainingData(x: linearData(50).x,
                            y: Tensor(shape: [50, 3], scalars: (0..<150).map { Float($0 % 7) }))
    let trainer = try makeTrainer(
      network, TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1),
      loss: loss)
    let whole = try trainer.evaluate(data, chunk: 1000)
    let chunked = try trainer.evaluate(data, chunk: 7)
    #expect(chunked.predictions.shape == [50, 3])
    #expect(chunked.predictions == whole.predictions)
    #expect(chunked.loss == whole.loss)
    // And both equal the loss computed by hand from the predictions.
    let p = whole.predictions.scalars
    let y = data.y.scalars
    let squares = zip(p, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    let expected = loss == .sse ? squares / 2 : squares / 150
    #expect(close(whole.loss, expected, 1e-5))
  }

  @Test func evaluationKeepsASoftmaxFusedWithCrossEntropy() throws {
    let network = denseNetwork([2, 3], activations: [.softmax])
    let data = TrainingData(x: Tensor(shape: [3, 2], scalars: [3, -3, -3, 3, 1, 1]),
                            y: Tensor([0, 2, 1]), classes: 3)
    let trainer = try makeTrainer(
      network, TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1),
      loss: .crossEntropy)
    let result = try trainer.evaluate(data, chunk: 2)
    let p = result.predictions.scalars
    #expect(abs(p[0] + p[1] + p[2] - 1) < 1e-6)
    // −mean log p of the labels: the loss graph re-applied the softmax to the logits instead
    // of taking the probabilities for logits.
    var expected = 0.0
    for (row, label) in [0, 2, 1].enumerated() { expected -= log(Double(p[row * 3 + label])) }
    #expect(close(result.loss, expected / 3, 1e-5))
  }

  @Test func invalidSettingsAndShapesAreRejected() throws {
    let network = denseNetwork([2, 1])
    #expect(throws: GraphError.self) {
      _ = try makeTrainer(network, TrainingConfiguration(epochs: 0, optimizer: plainSGD,
                                                         learningRate: 0.1))
    }
    #expect(throws: GraphError.self) {
      _ = try makeTrainer(network, TrainingConfiguration(
        epochs: 1, optimizer: plainSGD, learningRate: 0.1,
        schedule: .step(every: 0, gamma: 0.5)))
    }
    let trainer = try makeTrainer(network, TrainingConfiguration(
      epochs: 1, optimizer: plainSGD, learningRate: 0.1))
    let wrong = TrainingData(x: Tensor(shape: [4, 3], scalars: [Float](repeating: 0, count: 12)),
                             y: Tensor(shape: [4, 1], scalars: [0, 0, 0, 0]))
    #expect {
      _ = try train(trainer, wrong)
    } throws: { error in
      (error as? TrainingFailure)?.graphError != nil
    }
  }
}
