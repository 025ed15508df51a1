import Foundation
import Testing
@testable import NNRuntime

// dense over [time, features] samples and cross-entropy over per-position logits, against
// PyTorch: Fixtures/layers/sequence_dense.json, written by
// scripts/make_sequence_dense_fixtures.py (the README beside it describes the format). Each case
// runs in a Double plan (float64 tolerance) and a Float plan (float32 tolerance). The dense
// cases lower the layer itself (reshape to rows, fused linear and bias, reshape back, the
// activation), so the test covers the plan's aliasing of the reshapes around a fused kernel.

struct SequenceDenseCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var kind: String
  var units: Int?
  var activation: String?
  var input: FixtureTensor?
  var params: [String: FixtureTensor]?
  var output: FixtureTensor?
  var gradOutput: FixtureTensor?
  var grads: [String: FixtureTensor]?
  var logits: FixtureTensor?
  var target: FixtureTensor?
  var loss: Double?
  var gradLogits: FixtureTensor?
  var description: String { name }

  enum CodingKeys: String, CodingKey {
    case name, kind, units, activation, input, params, output, grads, logits, target, loss
    case gradOutput = "grad_output"
    case gradLogits = "grad_logits"
  }
}

struct SequenceDenseFile: Decodable, Sendable {
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [SequenceDenseCase]

  static let shared: SequenceDenseFile = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/sequence_dense.json")
    do {
      return try JSONDecoder().decode(SequenceDenseFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()
}

private let denseCases = SequenceDenseFile.shared.cases.filter { $0.kind == "dense" }
  .map(\.name)
private let crossEntropyCases = SequenceDenseFile.shared.cases
  .filter { $0.kind == "cross_entropy" }.map(\.name)

private func fixtureCase(_ name: String) -> SequenceDenseCase {
  SequenceDenseFile.shared.cases.first { $0.name == name }!
}

private func values(_ tensor: FixtureTensor) -> [Double] { tensor.data.map(\.value) }

private func close(_ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance)
  -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

/// The dense layer of case `c` resolved for samples `[T, D]`, with its literal parameters.
private func denseLayer(_ c: SequenceDenseCase) throws -> Layer {
  let x = try #require(c.input)
  let params = try #require(c.params)
  var random = RandomGenerator(seed: 1)
  let activation = try #require(Activation.named(c.activation ?? "identity"))
  let net = try NetworkBuilder.build(
    input: Array(x.shape.dropFirst()),
    [Dense(units: c.units!, activation: activation, weight: params["weight"]!.tensor,
           bias: params["bias"]!.tensor)],
    random: &random)
  #expect(net.outputShape == [x.shape[1], c.units!])
  return net.layers[0]
}

/// The output and the gradients of L = sum(output · G) of the lowered layer, in precision T.
private func runDense<T: PlanScalar>(
  _ c: SequenceDenseCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  let layer = try denseLayer(c)
  let operands = [c.input!, c.params!["weight"]!, c.params!["bias"]!, c.gradOutput!]
  var graph = Graph()
  // Every operand and G as parameters, so a Double plan reads exact values.
  let nodes = operands.enumerated().map { graph.parameter($0.offset, shape: $0.element.shape) }
  var lowering = LayerLowering(graph: graph, parameterNodes: [nodes[1], nodes[2]])
  let (_, y) = try layer.declaration.lower(layer, from: nodes[0], into: &lowering)
  graph = lowering.graph
  #expect(graph.shape(of: y) == c.output!.shape)
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes[3]])])
  let gradients = try graph.differentiate(loss, withRespectTo: Array(nodes.prefix(3)))
  let store = ParameterStore<T>(shapes: operands.map(\.shape))
  for (i, operand) in operands.enumerated() { store.assign(i, values(operand)) }
  let plan = try Plan(graph: graph, outputs: [y, loss],
                      gradients: gradients.map { Optional($0) } + [nil],
                      parameters: store, training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  var grads: [String: [Double]] = [:]
  for (i, name) in ["input", "weight", "bias"].enumerated() {
    grads[name] = (0..<operands[i].shape.reduce(1, *)).map {
      Double(plan.gradientBuffer[store.offsets[i] + $0])
    }
  }
  return (plan.values(y).map { Double($0) }, grads)
}

/// The loss and its gradient with respect to the logits, in precision T; `softmaxFirst` puts
/// a softmax before the loss, which the loss fuses with (it reads the softmax's input).
private func runCrossEntropy<T: PlanScalar>(
  _ c: SequenceDenseCase, softmaxFirst: Bool, as _: T.Type
) throws -> (loss: Double, grad: [Double]) {
  let (logits, target) = (c.logits!, c.target!)
  var graph = Graph()
  let z = graph.parameter(0, shape: logits.shape)
  let y = graph.parameter(1, shape: target.shape)
  let prediction = softmaxFirst ? try graph.add(.activation(.softmax), [z]) : z
  let loss = try graph.add(.loss(.crossEntropy), [prediction, y])
  let gradients = try graph.differentiate(loss, withRespectTo: [z])
  let store = ParameterStore<T>(shapes: [logits.shape, target.shape])
  store.assign(0, values(logits))
  store.assign(1, values(target))
  let plan = try Plan(graph: graph, outputs: [loss], gradients: [gradients[0], nil],
                      parameters: store, training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let grad = (0..<logits.shape.reduce(1, *)).map { Double(plan.gradientBuffer[$0]) }
  return (Double(plan.values(loss)[0]), grad)
}

@Test(arguments: denseCases)
func denseOverSequencesMatchesPyTorch(_ name: String) throws {
  let c = fixtureCase(name)
  for precision in ["float64", "float32"] {
    let tolerance = SequenceDenseFile.shared.tolerance[precision]!
    let result = precision == "float64"
      ? try runDense(c, as: Double.self) : try runDense(c, as: Float.self)
    #expect(close(result.output, values(c.output!), tolerance), "\(name) \(precision): output")
    for key in ["input", "weight", "bias"] {
      #expect(close(result.grads[key]!, values(c.grads![key]!), tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
  }
}

@Test(arguments: crossEntropyCases)
func crossEntropyOverPositionsMatchesPyTorch(_ name: String) throws {
  let c = fixtureCase(name)
  for precision in ["float64", "float32"] {
    let tolerance = SequenceDenseFile.shared.tolerance[precision]!
    for softmaxFirst in [false, true] {
      let result = precision == "float64"
        ? try runCrossEntropy(c, softmaxFirst: softmaxFirst, as: Double.self)
        : try runCrossEntropy(c, softmaxFirst: softmaxFirst, as: Float.self)
      let what = "\(name) \(precision)\(softmaxFirst ? " after softmax" : "")"
      #expect(close([result.loss], [c.loss!], tolerance), "\(what): loss")
      #expect(close(result.grad, values(c.gradLogits!), tolerance), "\(what): gradient")
    }
  }
}

@Test func sequenceDenseFixturesCoverBothKinds() {
  #expect(denseCases.count >= 4)
  #expect(crossEntropyCases.count >= 3)
}

@Test func denseTakesVectorsAndSequencesButNotImages() throws {
  var random = RandomGenerator(seed: 0)
  let sequence = try NetworkBuilder.build(input: [5, 3], [Dense(units: 2)], random: &random)
  #expect(sequence.outputShape == [5, 2])
  #expect(sequence.parameters.shapes == [[2, 3], [2]])
  // Every position is a row: FLOPs count them.
  #expect(sequence.flopsPerSample() == [5 * (2 * 3 * 2 + 2)])
  do {
    _ = try NetworkBuilder.build(input: [1, 4, 4], [Dense(units: 2)], random: &random)
    Issue.record("dense accepted an image")
  } catch {
    #expect(error.message.contains("[features] or [time, features]"))
    #expect(error.hint == "add flatten() before it")
  }
  // A literal weight still has the shape [units, features].
  #expect(throws: LayerError.self) {
    try NetworkBuilder.build(
      input: [5, 3], [Dense(units: 2, weight: Tensor(zeros: [2, 5]))], random: &random)
  }
}

@Test func perPositionTargetsFollowTheLossRule() throws {
  let kind = LossKind.crossEntropy
  #expect(try kind.targetShape([4, 6], prediction: [4, 6, 3]) == ([4, 6], true))
  #expect(try kind.targetShape([4, 6, 1], prediction: [4, 6, 3]) == ([4, 6], true))
  #expect(try kind.targetShape([4, 6, 3], prediction: [4, 6, 3]) == ([4, 6, 3], false))
  for wrong in [[4], [4, 7], [4, 6, 2]] {
    do {
      _ = try kind.targetShape(wrong, prediction: [4, 6, 3])
      Issue.record("target \(wrong) accepted")
    } catch {
      #expect(error.message.contains("[4, 6, 3]"))
      #expect(error.message.contains(shapeText(wrong)))
    }
  }
  do {
    _ = try kind.checkedTarget(Tensor(shape: [2, 3], scalars: [0, 1, 2, 1, 3, 0]),
                               prediction: [2, 3, 3])
    Issue.record("class index 3 of 3 classes accepted")
  } catch {
    #expect(error.row == 1)
    #expect(error.message.hasPrefix("row 1, position 1 of the target is 3"))
  }
}

@Test func accuracyCountsPositions() {
  // Two sequences of three positions over two classes: 4 of the 6 argmaxes are right.
  let scores = Tensor(shape: [2, 3, 2], scalars: [1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1])
  let targets = Tensor(shape: [2, 3], scalars: [0, 1, 0, 1, 0, 1])
  let labels = Metrics.labels(from: targets, predictions: scores.shape)
  #expect(labels == [0, 1, 0, 1, 0, 1])
  let report = Metrics.classification(scores: scores, labels: labels, classes: 2)
  #expect(report.accuracy == 4.0 / 6.0)
  #expect(report.confusion == [[2, 1], [1, 2]])
  // One-hot rows per position give the same labels.
  let onehot = Tensor(shape: [2, 3, 2], scalars: [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1])
  #expect(Metrics.labels(from: onehot, predictions: scores.shape) == labels)
}

/// Token ids [n, 4] and, per position, whether the token is above 4: a sequence-labelling set.
private func taggingData(_ n: Int) -> TrainingData {
  var random = RandomGenerator(seed: 11)
  var ids: [Float] = []
  for _ in 0..<(n * 4) { ids.append(Float(Int(random.uniform() * 8) % 8)) }
  let x = Tensor(shape: [n, 4], scalars: ids)
  return TrainingData(x: x, y: Tensor(shape: [n, 4], scalars: ids.map { $0 > 4 ? 1 : 0 }),
                      classes: 2)
}

private func taggingNetwork(seed: UInt64, attention: Bool = false) throws -> Network {
  var random = RandomGenerator(seed: seed)
  let layers: [any LayerDeclaration] = attention
    ? [Embedding(vocab: 8, dim: 4), Positional(maxLength: 4),
       Transformer(heads: 2, hidden: 8, causal: true), Attention(heads: 2), Dense(units: 2)]
    : [Embedding(vocab: 8, dim: 3), LSTM(units: 4, returnSequences: true), Dense(units: 2)]
  return try NetworkBuilder.build(input: [4], layers, random: &random)
}

@Suite struct SequenceDenseTrainingTests {
  private let configuration = TrainingConfiguration(
    epochs: 3, batchSize: 4, optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8,
                                             weightDecay: 0, amsgrad: false),
    learningRate: 0.05, metrics: [.accuracy])

  @Test func aTaggerTrainsOnPerPositionTargets() throws {
    let network = try taggingNetwork(seed: 1)
    var long = configuration
    long.epochs = 40
    let trainer = try makeTrainer(network, long, loss: .crossEntropy)
    let history = try train(trainer, taggingData(30), seed: 5)
    let losses = try #require(history.series.first { $0.name == "loss" }).values
    let accuracy = try #require(history.series.first { $0.name == "accuracy" }).values
    #expect(losses.last! < losses.first! / 4)
    #expect(accuracy.last! > 0.95)
  }

  @Test(arguments: [(2, false), (3, false), (2, true)])
  func ranksTrainATaggerAsOneProcess(ranks: Int, attention: Bool) throws {
    // 30 rows in steps of ranks × 4: an uneven last step.
    let data = taggingData(30)
    // Attention's key bias gets a gradient of zero up to rounding (a softmax ignores a shift
    // common to its row), and Adam turns rounding noise into full steps whose sign depends on
    // how the batch was split; SGD steps by the gradient itself.
    var chosen = self.configuration
    if attention { chosen.optimizer = sgdMomentum }
    let configuration = chosen
    var global = configuration
    global.batchSize = ranks * 4
    let network = try taggingNetwork(seed: 1, attention: attention)
    let history = try train(try makeTrainer(network, global, loss: .crossEntropy), data,
                            seed: trainingSeed)
    let alone = RunOutcome(weights: parameters(network), history: history)
    let outcomes = try successes(runRanks(ranks) { communicator in
      let network = try taggingNetwork(seed: communicator.rank == 0 ? 1 : 2,
                                       attention: attention)
      let trainer = try makeTrainer(network, configuration, loss: .crossEntropy)
      trainer.communicator = communicator
      let history = try train(trainer, data, seed: trainingSeed)
      return RunOutcome(weights: parameters(network), history: history)
    })
    expectSameTraining(outcomes, as: alone)
    #expect(alone.weights != parameters(try taggingNetwork(seed: 1, attention: attention)))
  }
}
