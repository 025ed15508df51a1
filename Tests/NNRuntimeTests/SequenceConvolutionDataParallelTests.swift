import Testing
@testable import NNRuntime

// Data-parallel training through conv1d, the 1-D pools and the global pools: ranks that split
// each batch end with the weights and history of one process on the whole batch (their
// lowerings' reshapes and pooling gradients add up across ranks like any other layer's).

/// Signals [rows, 2, 9] whose class is the sign of their first channel's mean.
private func signalData(_ rows: Int) -> TrainingData {
  var random = RandomGenerator(seed: 4)
  var xs: [Float] = []
  var ys: [Float] = []
  for i in 0..<rows {
    let shift: Float = i % 2 == 0 ? -0.5 : 0.5
    xs += (0..<18).map { Float(random.normal()) + ($0 < 9 ? shift : 0) }
    ys.append(Float(i % 2))
  }
  return TrainingData(x: Tensor(shape: [rows, 2, 9], scalars: xs), y: Tensor(ys), classes: 2)
}

private func signalNetwork(seed: UInt64) throws -> Network {
  var random = RandomGenerator(seed: seed)
  return try NetworkBuilder.build(
    input: [2, 9],
    [Conv1D(filters: 3, kernel: 3, activation: .tanh), Pool1D(.max, size: 2),
     Conv1D(filters: 4, kernel: 2, stride: 2, same: false), Pool1D(.average, size: 2, stride: 1),
     Reshape([1, 4, 1]), GlobalPool(.max), Reshape([1, 1]), GlobalPool(.average),
     Dense(units: 2)],
    random: &random)
}

@Test func ranksTrainSignalLayersAsOneProcessOnTheCombinedBatch() throws {
  let configuration = TrainingConfiguration(
    epochs: 3, batchSize: 4,
    optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false),
    learningRate: 0.02, l2: 0, clip: nil, metrics: [.accuracy])
  var combined = configuration
  combined.batchSize = 8
  let data = signalData(35)
  let alone = try signalNetwork(seed: 1)
  let history = try train(try makeTrainer(alone, combined, loss: .crossEntropy), data, seed: 5)
  let outcomes = try successes(runRanks(2) { communicator in
    let network = try signalNetwork(seed: communicator.rank == 0 ? 1 : 2)
    let trainer = try makeTrainer(network, configuration, loss: .crossEntropy)
    trainer.communicator = communicator
    let history = try train(trainer, data, seed: 5)
    return RunOutcome(weights: parameters(network), history: history)
  })
  expectSameTraining(outcomes, as: RunOutcome(weights: parameters(alone), history: history))
  #expect(parameters(alone) != parameters(try signalNetwork(seed: 1)))
}
