// Heap allocations of steady-state training, counted by ordo-one/benchmark's malloc interposer.
//
// Every benchmark builds its network, trainer and data in `setup`, then runs one warm `train`
// call there, so the trainer has compiled and cached its plans before anything is measured.
// The measured region (between startMeasurement and stopMeasurement) is one further `train`
// call. Two runs of the same model that differ only in the number of optimizer steps give the
// per-step count as the difference of their malloc counts over the difference of their steps:
// equal counts mean a step allocates nothing.
//
//   digits MLP (64-128-64-10 relu, cross_entropy, adam, batch 32, synthetic data shaped like
//   the digits set): 1 epoch of 10 batches vs 1 epoch of 100 batches → (b − a) / 90 per step.
//   xor (2-8-1 tanh/sigmoid, mse, adam, whole batch): 10 vs 1000 epochs of one step each →
//   (b − a) / 990 per epoch, which includes the per-epoch bookkeeping (the loss history).
//   digits MLP, one step through the public Plan API: gather-free setInput, run, adam step —
//   the kernels and the optimizer without the Trainer around them.
//   cnn, lstm and attention (Layered.swift): 1 epoch of 10 vs 50 batches through the
//   interpreter → (b − a) / 40 per step.

import Benchmark
import NNRuntime

// MARK: - Models and data

/// A stack of dense layers over `sizes[0]` inputs with He-uniform weights and zero biases.
func denseNetwork(_ sizes: [Int], activations: [Activation], seed: UInt64) -> Network {
  var shapes: [[Int]] = []
  var names: [String] = []
  var layers: [Layer] = []
  for i in 0..<(sizes.count - 1) {
    let weight = shapes.count
    shapes.append([sizes[i + 1], sizes[i]])
    names.append("dense\(i + 1).weight")
    let bias = shapes.count
    shapes.append([sizes[i + 1]])
    names.append("dense\(i + 1).bias")
    layers.append(Layer(name: "dense\(i + 1)",
                        declaration: Dense(units: sizes[i + 1], activation: activations[i]),
                        inputShape: [sizes[i]], outputShape: [sizes[i + 1]],
                        parameters: [LayerParameter(name: "weight", index: weight, role: .weight),
                                     LayerParameter(name: "bias", index: bias, role: .trained)],
                        tag: i))
  }
  let store = ParameterStore<Float>(shapes: shapes)
  var random = RandomGenerator(seed: seed)
  for index in shapes.indices where names[index].hasSuffix("weight") {
    let limit = (6.0 / Double(shapes[index][1])).squareRoot()
    let buffer = store.buffer(index)
    for i in buffer.indices { buffer[i] = Float((random.uniform() * 2 - 1) * limit) }
  }
  return Network(inputShape: [sizes[0]], layers: layers, parameterNames: names,
                 parameters: store)
}

/// `rows` rows shaped like the digits set: 64 pixels in [0, 1], class indices 0…9 as [rows].
func digitsLikeData(rows: Int, seed: UInt64) -> TrainingData {
  var random = RandomGenerator(seed: seed)
  let pixels = (0..<(rows * 64)).map { _ in Float(random.integer(below: 17)) / 16 }
  let labels = (0..<rows).map { _ in Float(random.integer(below: 10)) }
  return TrainingData(x: Tensor(shape: [rows, 64], scalars: pixels), y: Tensor(labels),
                      classes: 10)
}

/// The four XOR rows, targets [4, 1].
func xorData() -> TrainingData {
  TrainingData(x: Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]),
               y: Tensor(shape: [4, 1], scalars: [0, 1, 1, 0]))
}

let adam = OptimizerRule.defaults("adam")!

// MARK: - Trainer runs

/// A trainer with its data and generator, warmed by one full `train` call.
final class TrainingRun {
  let trainer: Trainer
  let data: TrainingData
  var random = RandomGenerator(seed: 0)

  init(network: Network, configuration: TrainingConfiguration, loss: LossKind,
       data: TrainingData) throws {
    self.data = data
    let state = OptimizerState<Float>(rule: configuration.optimizer,
                                      count: network.parameterCount)
    trainer = try Trainer(
      network: network, configuration: configuration, optimizerState: state,
      lossNode: { (graph: inout Graph, prediction: NodeID, target: NodeID) throws(GraphError)
        -> NodeID in try graph.add(.loss(loss), [prediction, target]) },
      weightMask: network.parameterNames.map { $0.hasSuffix("weight") })
    _ = try train()  // compiles and caches every plan the run needs
  }

  /// One `Trainer.train` call: the configured epochs over `data`.
  func train() throws(TrainingFailure) -> TrainingHistory {
    try trainer.train(data, validation: nil, random: &random, progress: { _ in },
                      shouldStop: { false })
  }

  static func digits(batches: Int) throws -> TrainingRun {
    try TrainingRun(
      network: denseNetwork([64, 128, 64, 10], activations: [.relu, .relu, .identity],
                            seed: 1),
      configuration: TrainingConfiguration(epochs: 1, batchSize: 32, optimizer: adam,
                                           learningRate: 1e-3),
      loss: .crossEntropy, data: digitsLikeData(rows: 32 * batches, seed: 2))
  }

  static func xor(epochs: Int) throws -> TrainingRun {
    try TrainingRun(
      network: denseNetwork([2, 8, 1], activations: [.tanh, .sigmoid], seed: 1),
      configuration: TrainingConfiguration(epochs: epochs, optimizer: adam,
                                           learningRate: 0.05),
      loss: .mse, data: xorData())
  }
}

/// Measures exactly one `train` call on a warmed run.
func measureTrain(_ benchmark: Benchmark, _ run: TrainingRun) {
  benchmark.startMeasurement()
  let result = Result { () throws(TrainingFailure) in try run.train() }
  benchmark.stopMeasurement()
  switch result {
  case .success(let history): blackHole(history.epochs)
  case .failure(let failure): benchmark.error(failure.message)
  }
}

// MARK: - One step without the Trainer

/// The digits step plan compiled through the public API, with its batch already in tensors.
final class HandStep {
  let plan: Plan<Float>
  let state: OptimizerState<Float>
  let x: Tensor
  let y: Tensor
  var random = RandomGenerator(seed: 0)

  init() throws {
    let network = denseNetwork([64, 128, 64, 10], activations: [.relu, .relu, .identity],
                               seed: 1)
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: 32)
    let target = graph.input(1, shape: [32])
    let loss = try graph.add(.loss(.crossEntropy), [lowering.output, target])
    let gradients = try graph.differentiate(loss, withRespectTo: lowering.parameterNodes)
    plan = try Plan(graph: graph, outputs: [loss], gradients: gradients,
                    parameters: network.parameters, training: true)
    state = OptimizerState<Float>(rule: adam, count: network.parameterCount)
    let data = digitsLikeData(rows: 32, seed: 2)
    x = data.x
    y = data.y
    step()
  }

  /// Inputs in, forward + backward, one adam update.
  func step() {
    plan.setInput(0, x)
    plan.setInput(1, y)
    plan.run(random: &random)
    let gradients = plan.gradientBuffer
    state.step(parameters: plan.parameters.pointer,
               gradients: UnsafePointer(gradients.baseAddress!), learningRate: 1e-3)
  }
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
  // A fixed number of iterations: the malloc counts per iteration are what matters.
  func configuration(_ iterations: Int) -> Benchmark.Configuration {
    .init(metrics: [.mallocCountTotal, .mallocBytesCount, .wallClock, .throughput],
          warmupIterations: 1, maxDuration: .seconds(600), maxIterations: iterations)
  }

  for batches in [10, 100] {
    Benchmark("digits MLP, 1 epoch of \(batches) batches",
              configuration: configuration(20)) { benchmark, run in
      measureTrain(benchmark, run)
    } setup: {
      try TrainingRun.digits(batches: batches)
    }
  }

  for epochs in [10, 1000] {
    Benchmark("xor, \(epochs) epochs of 1 batch",
              configuration: configuration(20)) { benchmark, run in
      measureTrain(benchmark, run)
    } setup: {
      try TrainingRun.xor(epochs: epochs)
    }
  }

  Benchmark("digits MLP, 1 step via the public Plan API (no Trainer)",
            configuration: configuration(1000)) { benchmark, step in
    benchmark.startMeasurement()
    step.step()
    benchmark.stopMeasurement()
  } setup: {
    try HandStep()
  }

  layeredBenchmarks(configuration)
}
