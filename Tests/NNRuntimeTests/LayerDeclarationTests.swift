import Foundation
import Testing

@testable import NNRuntime

// Layers declared in NNRuntime: a network built from declarations alone, which parameters are
// weights (l2) and buffers, and one l2 SGD step against PyTorch (Fixtures/l2, written by
// scripts/make_l2_fixture.py).

private struct L2Fixture: Decodable {
  var rows: Int
  var time: Int
  var features: Int
  var units: Int
  var l2: Double
  var lr: Double
  var x: [Double]
  var y: [Double]
  var before: [String: [Double]]
  var after: [String: [Double]]
}

private func l2Fixture() throws -> L2Fixture {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/l2/lstm_dense_step.json")
  return try JSONDecoder().decode(L2Fixture.self, from: Data(contentsOf: url))
}

@Test func declarationsSayWhichParametersAreWeightsAndBuffers() throws {
  var random = RandomGenerator(seed: 3)
  let net = try NetworkBuilder.build(
    input: [4, 2],
    [LSTM(units: 3), Dense(units: 2), Normalization(.batch), Dense(units: 1)],
    random: &random)
  #expect(net.parameterNames == [
    "lstm1.weight_ih", "lstm1.weight_hh", "lstm1.bias", "dense1.weight", "dense1.bias",
    "batchnorm1.weight", "batchnorm1.bias", "batchnorm1.running_mean", "batchnorm1.running_var",
    "dense2.weight", "dense2.bias",
  ])
  #expect(net.weightMask == [true, true, false, true, false, false, false, false, false, true,
                             false])
  #expect(net.bufferParameters == [7, 8])
  #expect(net.differsInTraining)
}

@Test func optimizerStepLeavesBuffersAloneUnderWeightDecay() throws {
  var random = RandomGenerator(seed: 3)
  let net = try NetworkBuilder.build(
    input: [2], [Dense(units: 2), Normalization(.batch)], random: &random)
  let before = net.savedBuffers().map(\.values.scalars)
  let rule = OptimizerRule.sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.5)
  let state = OptimizerState<Float>(rule: rule, count: net.parameterCount)
  let gradients = [Float](repeating: 0.25, count: net.parameterCount)
  let weight = net.parameters.tensor(0).scalars
  gradients.withUnsafeBufferPointer {
    net.step(state, gradients: $0.baseAddress!, learningRate: 0.1)
  }
  #expect(net.savedBuffers().map(\.values.scalars) == before)
  #expect(net.parameters.tensor(0).scalars != weight)
}

@Test func resolutionErrorsNameTheLayerAndTheArgument() {
  var random = RandomGenerator(seed: 0)
  #expect(throws: LayerError.self) {
    try NetworkBuilder.build(input: [1, 2, 3], [Dense(units: 1)], random: &random)
  }
  do {
    _ = try NetworkBuilder.build(
      input: [2], [Dense(units: 1, weight: Tensor(shape: [2], scalars: [1, 2]))],
      random: &random)
    Issue.record("a wrong literal weight was accepted")
  } catch {
    #expect(error.argument == "weight")
    #expect(error.tag == 0)
    #expect(error.message.hasPrefix("dense1: the weight has shape [2]"))
  }
}

@Test func oneSGDStepWithL2DecaysLSTMMatricesAsPyTorch() throws {
  let fixture = try l2Fixture()
  var random = RandomGenerator(seed: 0)
  let net = try NetworkBuilder.build(
    input: [fixture.time, fixture.features], [LSTM(units: fixture.units), Dense(units: 1)],
    random: &random)
  for (index, name) in net.parameterNames.enumerated() {
    let values = try #require(fixture.before[name], "\(name)")
    net.parameters.assign(index, Tensor(shape: net.parameters.shapes[index],
                                        scalars: values.map(Float.init)))
  }
  let sgd = OptimizerRule.sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0)
  let configuration = TrainingConfiguration(
    epochs: 1, batchSize: fixture.rows, shuffle: false, optimizer: sgd,
    learningRate: fixture.lr, l2: fixture.l2)
  let trainer = try Trainer(
    network: net, configuration: configuration,
    optimizerState: OptimizerState<Float>(rule: sgd, count: net.parameterCount),
    lossNode: { (graph: inout Graph, prediction: NodeID, target: NodeID) throws(GraphError)
      -> NodeID in try graph.add(.loss(.mse), [prediction, target]) },
    weightMask: net.weightMask)
  let data = TrainingData(
    x: Tensor(shape: [fixture.rows, fixture.time, fixture.features],
              scalars: fixture.x.map(Float.init)),
    y: Tensor(shape: [fixture.rows, 1], scalars: fixture.y.map(Float.init)))
  var order = RandomGenerator(seed: 0)
  _ = try trainer.train(data, validation: nil, random: &order, progress: { _ in },
                        shouldStop: { false })
  for (index, name) in net.parameterNames.enumerated() {
    let expected = try #require(fixture.after[name])
    let actual = net.parameters.tensor(index).scalars
    for (a, e) in zip(actual, expected) {
      #expect(abs(Double(a) - e) <= 1e-5 + 1e-4 * abs(e), "\(name): \(a) against \(e)")
    }
  }
}

/// Every registered declaration: built, described, decoded and rebuilt to the same network.
@Test func everyDeclarationRoundTripsThroughTheModelDescription() throws {
  let images: [any LayerDeclaration] = [
    Conv2D(filters: 2, kernel: [3, 3], activation: .relu),
    Pool2D(.max, size: [2, 2]), Normalization(.batch),
    Conv2D(filters: 2, kernel: [2, 1], stride: [1, 2], same: false),
    Pool2D(.average, size: [1, 1], stride: [1, 1]), Flatten(),
    Dense(units: 4, activation: .leakyRelu(alpha: 0.2)), ActivationLayer(.elu(alpha: 0.5)),
    Dropout(0.25), Residual([DeclaredLayer(Dense(units: 4, useBias: false), tag: 20)]),
    Normalization(.layer), Reshape([2, -1]), LSTM(units: 3, returnSequences: true),
    GRU(units: 3, returnSequences: true),
    LSTM(units: 2), Dense(units: 1, activation: .sigmoid),
  ]
  let tokens: [any LayerDeclaration] = [
    Embedding(vocab: 5, dim: 4), Positional(maxLength: 6),
    Transformer(heads: 2, hidden: 8, dropout: 0.1, causal: true, normFirst: true,
                activation: .gelu),
    Attention(heads: 2, causal: true, dropout: 0.2), LSTM(units: 2),
  ]
  let signals: [any LayerDeclaration] = [
    Conv1D(filters: 3, kernel: 3, stride: 2, activation: .relu), Pool1D(.max, size: 2),
    Conv1D(filters: 2, kernel: 2, same: false, activation: .elu(alpha: 0.5), useBias: false),
    Pool1D(.average, size: 1, stride: 1), Reshape([2, 1, 1]), GlobalPool(.max),
    Reshape([1, 2]), GlobalPool(.average),
  ]
  var kinds: Set<String> = []
  for (input, layers) in [([1, 6, 6], images), ([4], tokens), ([2, 10], signals)] {
    var random = RandomGenerator(seed: 1)
    let net = try NetworkBuilder.build(input: input, layers, random: &random)
    let described = LayerDescription.encode(net.layers)
    for case .object(let fields) in described {
      if case .string(let kind)? = fields["kind"] { kinds.insert(kind) }
    }
    let decoded = try LayerDescription.decode(described)
    let rebuilt = try NetworkBuilder.build(input: input, decoded, random: &random)
    #expect(rebuilt.parameterNames == net.parameterNames)
    #expect(rebuilt.layers.map(\.summary) == net.layers.map(\.summary))
    #expect(rebuilt.parameters.shapes == net.parameters.shapes)
    #expect(rebuilt.weightMask == net.weightMask)
    #expect(JSONValue.array(LayerDescription.encode(rebuilt.layers)).text
              == JSONValue.array(described).text)
    #expect(rebuilt.flopsPerSample() == net.flopsPerSample())
  }
  let registered = Set(LayerDeclarations.all.flatMap { $0.descriptionKinds })
  #expect(registered.subtracting(kinds).isEmpty,
          "not round-tripped: \(registered.subtracting(kinds))")
}

@Test func aLayerMadeWithoutItsParametersIsAnErrorNotACrash() {
  let layer = Layer(name: "d", declaration: Dense(units: 1), inputShape: [2], outputShape: [1],
                    tag: 4)
  let net = Network(inputShape: [2], layers: [layer], parameterNames: [],
                    parameters: ParameterStore<Float>(shapes: []))
  var graph = Graph()
  do {
    _ = try net.lower(into: &graph, batch: 1)
    Issue.record("a dense layer without a weight lowered")
  } catch {
    #expect(error.message == "d has no parameter 'weight'")
    #expect(error.tag == 4)
  }
}
