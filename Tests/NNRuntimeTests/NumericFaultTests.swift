import Foundation
import Testing
@testable import NNRuntime

// Numeric faults: check_numerics (the first non-finite value of a plan run, named by kernel,
// layer and pass, in plans and in training), and the stable formulations at extreme values —
// losses at logits of ±1000 and ±1e30, probabilities of exactly 0 and 1, softmax of −inf,
// standardising a constant column, metrics with zero denominators.

// MARK: - Helpers

/// A plan computing `build(graph, input)` as a loss over input 0 (`values`, shape `shape`) and
/// input 1 (`target`), returning the loss and ∂loss/∂input.
private func lossAndGradient(
  _ values: [Float], shape: [Int], target: Tensor,
  _ build: (inout Graph, NodeID, NodeID) throws -> NodeID
) throws -> (loss: Float, gradient: [Float]) {
  var graph = Graph()
  let x = graph.input(0, shape: shape)
  let y = graph.input(1, shape: target.shape)
  let loss = try build(&graph, x, y)
  let gradient = try graph.differentiate(loss, withRespectTo: [x])[0]
  let plan = try Plan<Float>(graph: graph, outputs: [loss, gradient], gradients: [],
                             parameters: ParameterStore<Float>(shapes: []), training: true)
  plan.setInput(0, Tensor(shape: shape, scalars: values))
  plan.setInput(1, target)
  var random = RandomGenerator(seed: 0)
  #expect(plan.run(random: &random, checkingNumerics: true) == nil)
  return (plan.output(loss).scalars[0], plan.output(gradient).scalars)
}

/// The values of activation `activation` (and its gradient for an upstream of ones) at `values`.
private func activation(
  _ activation: Activation, _ values: [Float], columns: Int? = nil
) throws -> (value: [Float], gradient: [Float]) {
  let shape = [values.count / (columns ?? values.count), columns ?? values.count]
  var graph = Graph()
  let x = graph.input(0, shape: shape)
  let a = try graph.add(.activation(activation), [x])
  let total = try graph.add(.sum(axis: nil), [a])
  let gradient = try graph.differentiate(total, withRespectTo: [x])[0]
  let plan = try Plan<Float>(graph: graph, outputs: [a, gradient], gradients: [],
                             parameters: ParameterStore<Float>(shapes: []), training: true)
  plan.setInput(0, Tensor(shape: shape, scalars: values))
  var random = RandomGenerator(seed: 0)
  plan.run(random: &random)
  return (plan.output(a).scalars, plan.output(gradient).scalars)
}

private func isNaN(_ values: [Float]) -> Bool { values.allSatisfy(\.isNaN) }

// MARK: - check_numerics in plans

@Suite("check_numerics in plans")
struct PlanNumericsTests {
  /// dense1 (relu) → dense2 → mse, for a batch of `x` rows.
  private func networkPlan(
    _ network: Network, x: [Float], y: [Float]
  ) throws -> (Plan<Float>, Network.Lowering) {
    let rows = y.count
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: rows)
    let target = graph.input(1, shape: [rows, 1])
    let loss = try graph.add(.loss(.mse), [lowering.output, target])
    let gradients = try graph.differentiate(loss, withRespectTo: lowering.parameterNodes)
    let plan = try Plan(graph: graph, outputs: [loss], gradients: gradients,
                        parameters: network.parameters, training: true)
    plan.setInput(0, Tensor(shape: [rows, network.inputShape[0]], scalars: x))
    plan.setInput(1, Tensor(shape: [rows, 1], scalars: y))
    return (plan, lowering)
  }

  @Test func aFiniteRunReportsNothingAndMatchesTheOrdinaryRun() throws {
    let network = denseNetwork([2, 3, 1], activations: [.relu, .identity])
    let (plan, _) = try networkPlan(network, x: [1, 2, 3, 4], y: [1, 0])
    var random = RandomGenerator(seed: 0)
    plan.run(random: &random)
    let expected = Array(plan.gradientBuffer)
    plan.gradientBuffer.update(repeating: 0)
    #expect(plan.run(random: &random, checkingNumerics: true) == nil)
    #expect(Array(plan.gradientBuffer) == expected)
    #expect(plan.run(random: &random, checkingNumerics: false) == nil)
  }

  @Test func aForwardFaultNamesTheKernelTheLayerAndTheRow() throws {
    let network = denseNetwork([2, 3, 1], activations: [.relu, .identity])
    network.parameters.assign(0, Tensor(shape: [3, 2], scalars: [Float](repeating: 1e30,
                                                                          count: 6)))
    let (plan, lowering) = try networkPlan(network, x: [1, 2, 1e10, 1e10], y: [1, 0])
    var random = RandomGenerator(seed: 0)
    let fault = try #require(plan.run(random: &random, checkingNumerics: true))
    #expect(fault.site == .kernel(0))
    #expect(fault.kernel == "linear+bias+relu")
    #expect(fault.value == .infinity && fault.valueText == "inf")
    #expect(!fault.backward)
    #expect(fault.row == 1 && fault.element == 3)
    #expect(fault.layerName(in: network) == "dense1")
    #expect(fault.describe(network: network, lowering: lowering)
            == "dense1 (linear+bias+relu) produced inf in the forward pass")
    #expect(fault.describe(network: network, lowering: lowering, rows: true)
            == "dense1 (linear+bias+relu) produced inf in the forward pass for x[1]")
  }

  @Test func aParameterGradientFaultIsNamedAsTheDerivative() throws {
    // Forward: 0 · 3e38 = 0, finite; backward: Σ −1 · 3e38 over two rows overflows.
    let network = denseNetwork([1, 1], bias: false)
    network.parameters.assign(0, Tensor(shape: [1, 1], scalars: [0]))
    let (plan, lowering) = try networkPlan(network, x: [3e38, 3e38], y: [1, 1])
    var random = RandomGenerator(seed: 0)
    let fault = try #require(plan.run(random: &random, checkingNumerics: true))
    #expect(fault.backward && fault.value == -.infinity)
    #expect(fault.gradientOfParameter == 0 && fault.row == nil)
    #expect(fault.describe(network: network, lowering: lowering)
            == "the backward pass produced -inf in ∂L/∂dense1.weight "
            + "(linear_weight_grad on dense1)")
  }

  @Test func aGradientInsideTheLossIsNamed() throws {
    // mean(sqrt((p − y)²)) at p = y: the value is 0, its derivative 1/(2·sqrt(0)) is not finite.
    var graph = Graph()
    let p = graph.input(0, shape: [2, 1])
    let y = graph.input(1, shape: [2, 1])
    let d = try graph.add(.subtract, [p, y])
    let square = try graph.add(.multiply, [d, d])
    let root = try graph.add(.sqrt, [square])
    let loss = try graph.add(.mean(axis: nil), [root])
    let gradient = try graph.differentiate(loss, withRespectTo: [p])[0]
    let plan = try Plan<Float>(graph: graph, outputs: [loss, gradient], gradients: [],
                               parameters: ParameterStore<Float>(shapes: []), training: true)
    plan.setInput(0, Tensor(shape: [2, 1], scalars: [1, 2]))
    plan.setInput(1, Tensor(shape: [2, 1], scalars: [1, 2]))
    var random = RandomGenerator(seed: 0)
    let fault = try #require(plan.run(random: &random, checkingNumerics: true))
    #expect(fault.backward && fault.kernel == "divide" && fault.value == .infinity)
    #expect(fault.gradientOf == square && fault.gradientOfOp == "multiply")
    #expect(plan.output(loss).scalars == [0])
  }

  @Test func nonFiniteInputsAndParametersAreReportedBeforeAnyKernel() throws {
    let network = denseNetwork([2, 1])
    let (plan, lowering) = try networkPlan(network, x: [1, 2, .nan, 4], y: [1, 0])
    var random = RandomGenerator(seed: 0)
    let fault = try #require(plan.run(random: &random, checkingNumerics: true))
    #expect(fault.site == .input(0) && fault.row == 1 && fault.value.isNaN)
    #expect(fault.describe(network: network, lowering: lowering, rows: true)
            == "x[1] holds nan before the forward pass")
    network.parameters.pointer[1] = .infinity
    plan.setInput(0, Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    let weights = try #require(plan.run(random: &random, checkingNumerics: true))
    #expect(weights.site == .parameter(0))
    #expect(weights.describe(network: network, lowering: lowering)
            == "dense1.weight holds inf before the forward pass")
  }

  @Test func theScanFindsTheFirstNonFiniteElementAnywhereInALongBuffer() {
    let count = 2_000
    let values = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { values.deallocate() }
    values.initialize(repeating: 1, count: count)
    #expect(Plan<Float>.firstNonFinite(values, count) == nil)
    for position in [0, 3, 511, 512, 1_999] {
      values[position] = .nan
      values[min(position + 1, count - 1)] = .infinity
      #expect(Plan<Float>.firstNonFinite(values, count) == position)
      values.update(repeating: 1, count: count)
    }
    values[7] = -.infinity
    #expect(Plan<Float>.firstNonFinite(values, count) == 7)
    values[7] = .greatestFiniteMagnitude
    #expect(Plan<Float>.firstNonFinite(values, count) == nil)
  }
}

// MARK: - check_numerics in training

@Suite("check_numerics in training")
struct TrainingNumericsTests {
  @Test func aForwardFaultStopsTrainingAndRestoresTheWeights() throws {
    // (With a sigmoid on dense2 there would be nothing to report: the fused kernel keeps z in
    // registers and σ(inf) = 1 exactly. Values are checked where they are stored.)
    let network = denseNetwork([2, 3, 1], activations: [.identity, .identity])
    network.parameters.assign(2, Tensor(shape: [1, 3], scalars: [1e30, 1e30, 1e30]))
    var data = linearData(8)
    data.x = Tensor(shape: [8, 2], scalars: data.x.scalars.map { $0 * 1e10 + 1e10 })
    let before = parameters(network)
    let configuration = TrainingConfiguration(epochs: 2, batchSize: 4, optimizer: plainSGD,
                                              learningRate: 0.1, checkNumerics: true)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      guard let failure = error as? TrainingFailure else { return false }
      return failure.message == "check_numerics: dense2 (linear+bias) produced inf in "
        + "the forward pass at epoch 1, batch 1; the weights of the last finite step were "
        + "restored"
        && failure.layer == "dense2" && failure.layerTag == 1 && failure.fault != nil
        && failure.epoch == 1 && failure.batch == 1
    }
    #expect(parameters(network) == before)
  }

  @Test func aBackwardFaultStopsTrainingAndKeepsTheWeights() throws {
    let network = denseNetwork([1, 1], bias: false)
    network.parameters.assign(0, Tensor(shape: [1, 1], scalars: [0]))
    let data = TrainingData(x: Tensor(shape: [2, 1], scalars: [3e38, 3e38]),
                            y: Tensor(shape: [2, 1], scalars: [1, 1]))
    let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1,
                                              checkNumerics: true)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      (error as? TrainingFailure)?.message
        == "check_numerics: the backward pass produced -inf in ∂L/∂dense1.weight "
        + "(linear_weight_grad on dense1) at epoch 1, batch 1; the weights of the last finite "
        + "step were kept"
    }
    #expect(parameters(network) == [0])
  }

  @Test func withoutTheOptionANonFiniteGradientIsStillTracedToItsOp() throws {
    let network = denseNetwork([1, 1], bias: false)
    network.parameters.assign(0, Tensor(shape: [1, 1], scalars: [0]))
    let data = TrainingData(x: Tensor(shape: [2, 1], scalars: [3e38, 3e38]),
                            y: Tensor(shape: [2, 1], scalars: [1, 1]))
    let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      (error as? TrainingFailure)?.message
        == "the gradient became non-finite at epoch 1, batch 1 (the loss was finite): the "
        + "backward pass produced -inf in ∂L/∂dense1.weight (linear_weight_grad on dense1); "
        + "the weights of the last finite step were kept"
    }
  }

  @Test func withoutTheOptionANonFiniteLossNamesTheLayerAndItsKernel() throws {
    let network = denseNetwork([2, 3, 1])
    network.parameters.assign(0, Tensor(shape: [3, 2], scalars: [Float](repeating: 1e30,
                                                                          count: 6)))
    var data = linearData(4)
    data.x = Tensor(shape: [4, 2], scalars: data.x.scalars.map { $0 * 1e10 + 1e10 })
    let configuration = TrainingConfiguration(epochs: 1, optimizer: plainSGD, learningRate: 0.1)
    #expect {
      _ = try train(try makeTrainer(network, configuration), data)
    } throws: { error in
      (error as? TrainingFailure)?.message
        == "the loss became nan at epoch 1, batch 1; the first layer whose output is not finite "
        + "is dense1 (its linear+bias produced inf); the weights of the last finite step were "
        + "restored"
    }
  }

  @Test func aFiniteRunWithTheCheckMatchesOneWithout() throws {
    var histories: [[Double]] = []
    var weights: [[Float]] = []
    for check in [false, true] {
      let network = denseNetwork([2, 4, 1], activations: [.tanh, .identity])
      let configuration = TrainingConfiguration(epochs: 3, batchSize: 5, optimizer: plainSGD,
                                                learningRate: 0.05, checkNumerics: check)
      let history = try train(try makeTrainer(network, configuration), linearData(12))
      histories.append(history["loss"] ?? [])
      weights.append(parameters(network))
    }
    #expect(histories[0] == histories[1] && weights[0] == weights[1])
  }
}

// MARK: - Stable formulations

@Suite("stable formulations at extreme values")
struct StableFormulationTests {
  private let indices = Tensor(shape: [2], scalars: [0, 0])

  @Test(arguments: [Float(1000), 1e30])
  func crossEntropyOfLogitsIsExactAtExtremes(_ big: Float) throws {
    let (loss, gradient) = try lossAndGradient([big, -big, -big, big], shape: [2, 2],
                                               target: indices) { graph, x, y in
      try graph.add(.loss(.crossEntropy), [x, y])
    }
    #expect(loss == big)  // rows lose 0 and 2·big: the mean is big
    #expect(gradient == [0, 0, -0.5, 0.5])
  }

  @Test(arguments: [Float(1000), 1e30])
  func crossEntropyAfterASoftmaxOfZeroProbabilityStaysFinite(_ big: Float) throws {
    // The softmax gives row 1 a probability of exactly 0 for its target; the fused kernel reads
    // the logits, so the loss is 2·big / 2 and not log(0).
    let (loss, gradient) = try lossAndGradient([big, -big, -big, big], shape: [2, 2],
                                               target: indices) { graph, x, y in
      let p = try graph.add(.activation(.softmax), [x])
      return try graph.add(.loss(.crossEntropy), [p, y])
    }
    #expect(loss == big)
    #expect(gradient == [0, 0, -0.5, 0.5])
  }

  @Test(arguments: [Float(1000), 1e30])
  func bceAfterASigmoidReadsTheLogits(_ big: Float) throws {
    let target = Tensor(shape: [4], scalars: [1, 0, 0, 1])
    let (loss, gradient) = try lossAndGradient([big, -big, big, -big], shape: [4],
                                               target: target) { graph, x, y in
      let p = try graph.add(.activation(.sigmoid), [x])
      return try graph.add(.loss(.bce), [p, y])
    }
    // Two exact predictions (0) and two wrong by |z| = big each: (2·big) / 4.
    #expect(loss == Float(2 * Double(big) / 4))
    #expect(gradient == [0, 0, 0.25, -0.25])
  }

  @Test func bceOfProbabilitiesClampsTheLogAtZeroAndOne() throws {
    let target = Tensor(shape: [4], scalars: [1, 0, 0, 1])
    let (loss, gradient) = try lossAndGradient([0, 1, 0, 1], shape: [4],
                                               target: target) { graph, x, y in
      try graph.add(.loss(.bce), [x, y])
    }
    // Each log is clamped at −100 (PyTorch): two wrong certainties cost 100 each.
    #expect(loss == 50)
    // (p − y) / max(p(1 − p), 1e-12), scaled by 1/4: PyTorch's BCELoss backward.
    let epsilon = Float(1e-12)
    #expect(gradient == [Float(0.25) * -1 / epsilon, Float(0.25) * 1 / epsilon, 0, 0])
  }

  @Test func sigmoidTanhAndSoftmaxSaturateWithoutOverflow() throws {
    let values: [Float] = [1000, -1000, 1e30, -1e30, .infinity, -.infinity]
    let sigmoid = try activation(.sigmoid, values)
    #expect(sigmoid.value == [1, 0, 1, 0, 1, 0])
    #expect(sigmoid.gradient == [0, 0, 0, 0, 0, 0])
    let tanh = try activation(.tanh, values)
    #expect(tanh.value == [1, -1, 1, -1, 1, -1])
    let softmax = try activation(.softmax, [1000, -1000, 1e30, -1e30], columns: 2)
    #expect(softmax.value == [1, 0, 1, 0])
    #expect(softmax.gradient == [0, 0, 0, 0])
    let gelu = try activation(.gelu, [1e30, -1e30, -1000])
    #expect(gelu.value == [1e30, 0, 0] && gelu.gradient == [1, 0, 0])
    let silu = try activation(.silu, [1e30, -1e30, -1000])
    #expect(silu.value == [1e30, 0, 0] && silu.gradient == [1, 0, 0])
    let elu = try activation(.elu(alpha: 1), [1e30, -1e30])
    #expect(elu.value == [1e30, -1])
  }

  @Test func softmaxOfAllMinusInfinityIsNaNAsInPyTorch() throws {
    // 0/0: no probability is defined, and NaN (not a silent uniform row) lets check_numerics
    // name the layer. The tensor built-in agrees with the kernel.
    let kernel = try activation(.softmax, [-.infinity, -.infinity, 0, -.infinity], columns: 2)
    #expect(isNaN(Array(kernel.value[0..<2])) && kernel.value[2...] == [1, 0])
    let tensor = try Tensor(shape: [2, 2], scalars: [-.infinity, -.infinity, 0, -.infinity])
      .softmax(axis: -1).scalars
    #expect(isNaN(Array(tensor[0..<2])) && tensor[2...] == [1, 0])
  }

  @Test func standardizingAConstantColumnGivesZerosNotNaN() throws {
    let data = try Dataset(x: Tensor(shape: [3, 2], scalars: [1, 5, 2, 5, 3, 5]),
                           y: Tensor(shape: [3, 1], scalars: [0, 1, 2]), classes: nil)
    let (mean, std) = data.standardization()
    #expect(mean.scalars == [2, 5] && std.scalars[1] == 1)
    let scaled = data.standardized(mean: mean, std: std).x.scalars
    #expect(scaled[1] == 0 && scaled[3] == 0 && scaled[5] == 0)
    let finite = scaled.allSatisfy(\.isFinite)
    #expect(finite)
  }

  @Test func metricsWithZeroDenominatorsAreZeroAsInScikitLearn() {
    // No predicted positives: precision 0 (zero_division=0), recall 0, f1 0.
    let none = Metrics.classification(scores: Tensor(shape: [4, 1], scalars: [0.1, 0.2, 0.3, 0]),
                                      labels: [1, 0, 1, 0], classes: 2)
    #expect(none.precision == 0 && none.recall == 0 && none.f1 == 0 && none.accuracy == 0.5)
    // No actual positives: recall 0; AUC undefined with one class (sklearn raises): nil.
    let absent = Metrics.classification(scores: Tensor(shape: [2, 1], scalars: [0.9, 0.1]),
                                        labels: [0, 0], classes: 2)
    #expect(absent.recall == 0 && absent.precision == 0 && absent.auc == nil)
    // r2 of a constant target: 1 when predicted exactly, else 0 (sklearn's force_finite).
    let target = Tensor(shape: [3, 1], scalars: [2, 2, 2])
    #expect(Metrics.regression(predictions: target, targets: target).r2 == 1)
    let off = Tensor(shape: [3, 1], scalars: [1, 2, 3])
    #expect(Metrics.regression(predictions: off, targets: target).r2 == 0)
  }
}
