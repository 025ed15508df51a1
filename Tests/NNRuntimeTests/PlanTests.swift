import Foundation
import Testing
@testable import NNRuntime

// Compiled plans: the tutorial's worked example, fusion, liveness, dropout, determinism, and
// the fused losses against their unfused formulas.

// MARK: - The tutorial's 2-2-2-2 sigmoid network

private let tutorialWeights: [[Double]] = [
  [0.1, 0.2, 0.3, 0.4], [0.1, 0.2],
  [0.5, 0.6, 0.7, 0.8], [0.5, 0.6],
  [0.9, 1.0, 1.1, 1.2], [0.9, 1.0],
]
private let tutorialShapes: [[Int]] = [[2, 2], [2], [2, 2], [2], [2, 2], [2]]

/// The network as a graph: the nodes of z1, a1, the loss, and the parameter gradients.
private func tutorialGraph() throws -> (Graph, z1: NodeID, a1: NodeID, loss: NodeID, [NodeID]) {
  var graph = Graph()
  let x = graph.input(0, shape: [1, 2])
  let y = graph.input(1, shape: [1, 2])
  let parameters = tutorialShapes.indices.map { graph.parameter($0, shape: tutorialShapes[$0]) }
  var a = x
  var z1 = x
  var a1 = x
  for layer in 0..<3 {
    let product = try graph.add(.linear, [a, parameters[2 * layer]])
    let z = try graph.add(.addBias, [product, parameters[2 * layer + 1]])
    a = try graph.add(.activation(.sigmoid), [z])
    if layer == 0 { (z1, a1) = (z, a) }
  }
  let loss = try graph.add(.loss(.sse), [a, y])
  let gradients = try graph.differentiate(loss, withRespectTo: parameters)
  return (graph, z1, a1, loss, gradients)
}

/// Forward and backward by hand, in Double: the expected values.
private func tutorialByHand() -> (z1: [Double], a1: [Double], loss: Double, grads: [[Double]]) {
  let w = tutorialWeights
  func sigma(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
  var activations: [[Double]] = [[1, 2]]
  var pre: [[Double]] = []
  for layer in 0..<3 {
    let (m, b, a) = (w[2 * layer], w[2 * layer + 1], activations[layer])
    let z = (0..<2).map { i in m[2 * i] * a[0] + m[2 * i + 1] * a[1] + b[i] }
    pre.append(z)
    activations.append(z.map(sigma))
  }
  let target = [3.0, 4.0]
  let out = activations[3]
  let loss = 0.5 * ((out[0] - target[0]) * (out[0] - target[0])
                    + (out[1] - target[1]) * (out[1] - target[1]))
  var delta = (0..<2).map { (out[$0] - target[$0]) * out[$0] * (1 - out[$0]) }
  var grads = [[Double]](repeating: [], count: 6)
  for layer in stride(from: 2, through: 0, by: -1) {
    let a = activations[layer]
    grads[2 * layer] = [delta[0] * a[0], delta[0] * a[1], delta[1] * a[0], delta[1] * a[1]]
    grads[2 * layer + 1] = delta
    let m = w[2 * layer]
    // δ_prev = (Wᵀ δ) ⊙ σ'(z_prev)
    delta = (0..<2).map { j in
      (m[j] * delta[0] + m[2 + j] * delta[1]) * a[j] * (1 - a[j])
    }
  }
  return (pre[0], activations[1], loss, grads)
}

@Test func tutorialNetworkMatchesHandComputation() throws {
  let (graph, z1, a1, loss, gradients) = try tutorialGraph()
  let expected = tutorialByHand()
  let store = ParameterStore<Double>(shapes: tutorialShapes)
  for (i, values) in tutorialWeights.enumerated() { store.assign(i, values) }
  let plan = try Plan(graph: graph, outputs: [z1, a1, loss], gradients: gradients,
                      parameters: store, training: true)
  plan.setInput(0, [1, 2])
  plan.setInput(1, [3, 4])
  var random = RandomGenerator(seed: 0)
  plan.run(random: &random)
  let z = plan.values(z1)
  #expect(Swift.abs(z[0] - 0.6) < 1e-15 && Swift.abs(z[1] - 1.3) < 1e-15)
  let a = plan.values(a1)
  #expect(Swift.abs(a[0] - 0.6457) < 1e-4 && Swift.abs(a[1] - 0.7858) < 1e-4)
  #expect(Swift.abs(plan.values(loss)[0] - expected.loss) < 1e-14)
  let flat = expected.grads.flatMap { $0 }
  let buffer = Array(plan.gradientBuffer)
  #expect(buffer.count == flat.count)
  for i in flat.indices { #expect(Swift.abs(buffer[i] - flat[i]) < 1e-14, "gradient \(i)") }

  // The same network in Float agrees to single precision.
  let floats = store.converted(to: Float.self)
  let floatPlan = try Plan(graph: graph, outputs: [loss], gradients: gradients,
                           parameters: floats, training: true)
  floatPlan.setInput(0, Tensor([1, 2]).reshapedForTest([1, 2]))
  floatPlan.setInput(1, Tensor([3, 4]).reshapedForTest([1, 2]))
  floatPlan.run(random: &random)
  #expect(Swift.abs(Double(floatPlan.output(loss).scalarValue!) - expected.loss) < 1e-6)
  for i in flat.indices {
    #expect(Swift.abs(Double(floatPlan.gradientBuffer[i]) - flat[i]) < 1e-6)
  }
}

extension Tensor {
  fileprivate func reshapedForTest(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, scalars: scalars)
  }
}

// MARK: - Fusion, liveness, listing

/// An MLP of `widths` (input first) with `activation` on hidden layers, ending in `head`
/// (an activation or nil) and `loss`; returns the graph, loss and parameter gradients.
func multilayerPerceptron(
  _ widths: [Int], batch: Int, activation: Activation = .relu, head: Activation? = nil,
  loss kind: LossKind = .mse, targetShape: [Int]? = nil, dropout: Double? = nil
) throws -> (Graph, loss: NodeID, gradients: [NodeID], shapes: [[Int]], output: NodeID) {
  var graph = Graph()
  var h = graph.input(0, shape: [batch, widths[0]])
  let y = graph.input(1, shape: targetShape ?? [batch, widths.last!])
  var shapes: [[Int]] = []
  var parameters: [NodeID] = []
  for layer in 1..<widths.count {
    let w = graph.parameter(shapes.count, shape: [widths[layer], widths[layer - 1]])
    shapes.append([widths[layer], widths[layer - 1]])
    let b = graph.parameter(shapes.count, shape: [widths[layer]])
    shapes.append([widths[layer]])
    parameters += [w, b]
    h = try graph.add(.addBias, [try graph.add(.linear, [h, w]), b])
    let last = layer == widths.count - 1
    if let act = last ? head : activation { h = try graph.add(.activation(act), [h]) }
    if let dropout, !last { h = try graph.add(.dropout(dropout), [h]) }
  }
  let loss = try graph.add(.loss(kind), [h, y])
  let gradients = try graph.differentiate(loss, withRespectTo: parameters)
  return (graph, loss, gradients, shapes, h)
}

@Test func listingNamesFusedKernels() throws {
  let net = try multilayerPerceptron([4, 8, 3], batch: 5, head: .softmax, loss: .crossEntropy,
                                     targetShape: [5])
  let plan = try Plan(graph: net.0, outputs: [net.loss], gradients: net.gradients,
                      parameters: ParameterStore<Float>(shapes: net.shapes), training: true)
  let listing = plan.listing
  #expect(listing.contains("linear+bias+relu"))
  #expect(listing.contains("softmax+cross_entropy"))
  #expect(listing.contains("kernels: "))
  #expect(listing.contains("gradient region: "))
  // The softmax itself is never computed: the loss reads the logits.
  #expect(!listing.contains(" softmax "))

  let binary = try multilayerPerceptron([4, 6, 1], batch: 5, activation: .tanh, head: .sigmoid,
                                        loss: .bce)
  let binaryPlan = try Plan(graph: binary.0, outputs: [binary.loss],
                            gradients: binary.gradients,
                            parameters: ParameterStore<Float>(shapes: binary.shapes),
                            training: true)
  #expect(binaryPlan.listing.contains("sigmoid+bce"))
  #expect(binaryPlan.listing.contains("linear+bias+tanh"))
}

@Test func livenessReuseShrinksTheArena() throws {
  let net = try multilayerPerceptron([32, 64, 64, 64, 64, 10], batch: 16)
  let plan = try Plan(graph: net.0, outputs: [net.loss], gradients: net.gradients,
                      parameters: ParameterStore<Float>(shapes: net.shapes), training: true)
  let schedule = plan.schedule
  #expect(schedule.workingCount < schedule.unsharedWorkingCount)
  let everyBuffer = schedule.unsharedWorkingCount + schedule.arenaCount - schedule.workingCount
  #expect(plan.arenaBytes < everyBuffer * MemoryLayout<Float>.stride)
}

@Test func deadNodesAreNotComputed() throws {
  var graph = Graph()
  let x = graph.input(0, shape: [2, 3])
  let used = try graph.add(.exp, [x])
  _ = try graph.add(.log, [x])  // nobody asks for it
  let plan = try Plan(graph: graph, outputs: [used], gradients: [],
                      parameters: ParameterStore<Float>(shapes: []), training: false)
  #expect(plan.kernels.count == 1)
  #expect(!plan.listing.contains("log"))
}

@Test func transposesFeedingAMatmulBecomeGemmFlags() throws {
  var graph = Graph()
  let a = graph.parameter(0, shape: [3, 2])
  let b = graph.parameter(1, shape: [3, 4])
  let product = try graph.add(.matmul, [try graph.add(.transpose, [a]), b])
  let loss = try graph.add(.sum(axis: nil), [product])
  let gradients = try graph.differentiate(loss, withRespectTo: [a, b])
  let store = ParameterStore<Double>(shapes: [[3, 2], [3, 4]])
  store.assign(0, [1, 2, 3, 4, 5, 6])
  store.assign(1, (0..<12).map(Double.init))
  let plan = try Plan(graph: graph, outputs: [product], gradients: gradients, parameters: store,
                      training: true)
  var random = RandomGenerator(seed: 0)
  plan.run(random: &random)
  // Only the final transpose of a's gradient (no matmul reads it) is still a kernel.
  let transposes = plan.listing.split(separator: "\n").filter { $0.contains("transpose") }
  #expect(transposes.count == 1)
  #expect(plan.listing.contains("p0[3, 2]ᵀ"))
  // aᵀ·b by hand.
  var expected: [Double] = []
  for i in 0..<2 {
    for j in 0..<4 {
      var total = 0.0
      for k in 0..<3 { total += Double(2 * k + i + 1) * Double(4 * k + j) }
      expected.append(total)
    }
  }
  #expect(plan.values(product) == expected)
}

// MARK: - Dropout and determinism

@Test func dropoutZerosAboutPAndScalesTheRest() throws {
  var graph = Graph()
  let x = graph.input(0, shape: [100, 100])
  let dropped = try graph.add(.dropout(0.3), [x])
  let ones = Tensor(shape: [100, 100], scalars: [Float](repeating: 1, count: 10_000))
  let store = ParameterStore<Float>(shapes: [])
  let training = try Plan(graph: graph, outputs: [dropped], gradients: [], parameters: store,
                          training: true)
  training.setInput(0, ones)
  var random = RandomGenerator(seed: 3)
  training.run(random: &random)
  let values = training.output(dropped).scalars
  let zeros = values.filter { $0 == 0 }.count
  #expect(Swift.abs(Double(zeros) / 10_000 - 0.3) < 0.02)
  #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })

  let inference = try Plan(graph: graph, outputs: [dropped], gradients: [], parameters: store,
                           training: false)
  inference.setInput(0, ones)
  inference.run(random: &random)
  #expect(inference.output(dropped) == ones)
  #expect(inference.kernels.isEmpty)
}

@Test func aPlanRunTwiceGivesIdenticalResults() throws {
  let net = try multilayerPerceptron([3, 5, 4, 2], batch: 4, activation: .gelu, dropout: 0.2)
  let store = ParameterStore<Float>(shapes: net.shapes)
  var random = RandomGenerator(seed: 11)
  for i in 0..<store.count { store.pointer[i] = Float(random.normal() * 0.5) }
  let plan = try Plan(graph: net.0, outputs: [net.loss, net.output], gradients: net.gradients,
                      parameters: store, training: true)
  plan.setInput(0, Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0) / 6 - 1 }))
  plan.setInput(1, Tensor(shape: [4, 2], scalars: (0..<8).map { Float($0) / 8 }))
  func once() -> ([Float], [Float]) {
    var generator = RandomGenerator(seed: 5)
    plan.run(random: &generator)
    return (plan.values(net.output) + plan.values(net.loss), Array(plan.gradientBuffer))
  }
  let first = once()
  let second = once()
  #expect(first.0 == second.0)
  #expect(first.1 == second.1)
  #expect(first.1.contains { $0 != 0 })
}

/// A plan given storage for its gradient region (a data-parallel rank's shared memory)
/// clears it, writes there every gradient the arena plan writes, and leaves a parameter
/// without one at zero.
@Test func aPlanWritesItsGradientIntoTheStorageItIsGiven() throws {
  let (graph, _, _, loss, gradients) = try tutorialGraph()
  let store = ParameterStore<Float>(shapes: tutorialShapes)
  for (index, values) in tutorialWeights.enumerated() { store.assign(index, values) }
  var partial = gradients.map(Optional.some)
  partial[1] = nil
  let count = store.count + Plan<Float>.reductionTailCount
  let storage = UnsafeMutablePointer<Float>.allocate(capacity: count)
  defer { storage.deallocate() }
  storage.initialize(repeating: .nan, count: count)
  let inArena = try Plan(graph: graph, outputs: [loss], gradients: partial, parameters: store,
                         training: true)
  let outside = try Plan(graph: graph, outputs: [loss], gradients: partial, parameters: store,
                         training: true, gradientStorage: storage)
  #expect(UnsafeBufferPointer(start: storage, count: count).allSatisfy { $0 == 0 })
  for plan in [inArena, outside] {
    plan.setInput(0, [1, 2])
    plan.setInput(1, [3, 4])
    var random = RandomGenerator(seed: 1)
    plan.run(random: &random)
  }
  #expect(outside.gradientBuffer.baseAddress == storage)
  #expect(outside.reductionBuffer.baseAddress == storage)
  #expect(Array(outside.gradientBuffer) == Array(inArena.gradientBuffer))
  #expect(Array(outside.gradientBuffer).contains { $0 != 0 })
  let bias = store.offsets[1]..<(store.offsets[1] + store.count(of: 1))
  #expect(bias.allSatisfy { storage[$0] == 0 })
}

// MARK: - Fused losses against their unfused formulas

@Test func fusedCrossEntropyMatchesTheFormula() throws {
  var random = RandomGenerator(seed: 21)
  let logits = (0..<12).map { _ in random.normal() * 3 }
  let classes: [Double] = [2, 0, 1, 2]
  func run(_ build: (inout Graph, NodeID, NodeID) throws -> NodeID) throws -> ([Double], Double) {
    var graph = Graph()
    let z = graph.parameter(0, shape: [4, 3])
    let t = graph.input(0, shape: [4])
    let loss = try build(&graph, z, t)
    let gradient = try graph.differentiate(loss, withRespectTo: [z])
    let store = ParameterStore<Double>(shapes: [[4, 3]])
    store.assign(0, logits)
    let plan = try Plan(graph: graph, outputs: [loss], gradients: gradient, parameters: store,
                        training: true)
    plan.setInput(0, classes)
    var generator = RandomGenerator(seed: 0)
    plan.run(random: &generator)
    return (Array(plan.gradientBuffer), plan.values(loss)[0])
  }
  let fused = try run { graph, z, t in
    try graph.add(.loss(.crossEntropy), [try graph.add(.activation(.softmax), [z]), t])
  }
  let onLogits = try run { graph, z, t in try graph.add(.loss(.crossEntropy), [z, t]) }
  // By hand: mean over rows of lse(z) − z[c]; gradient (softmax − onehot) / B.
  var expectedLoss = 0.0
  var expectedGradient = [Double](repeating: 0, count: 12)
  for row in 0..<4 {
    let z = Array(logits[row * 3..<row * 3 + 3])
    let m = z.max()!
    let lse = m + Foundation.log(z.map { Foundation.exp($0 - m) }.reduce(0, +))
    expectedLoss += (lse - z[Int(classes[row])]) / 4
    for j in 0..<3 {
      let onehot = j == Int(classes[row]) ? 1.0 : 0.0
      expectedGradient[row * 3 + j] = (Foundation.exp(z[j] - lse) - onehot) / 4
    }
  }
  for result in [fused, onLogits] {
    #expect(Swift.abs(result.1 - expectedLoss) < 1e-12)
    for i in 0..<12 { #expect(Swift.abs(result.0[i] - expectedGradient[i]) < 1e-12) }
  }
}

@Test func fusedBinaryCrossEntropyMatchesTheFormula() throws {
  let logits: [Double] = [-3, -0.5, 0, 0.7, 2.5, 40]
  let targets: [Double] = [0, 1, 1, 0, 1, 1]
  var graph = Graph()
  let z = graph.parameter(0, shape: [3, 2])
  let y = graph.input(0, shape: [3, 2])
  let p = try graph.add(.activation(.sigmoid), [z])
  let fused = try graph.add(.loss(.bce), [p, y])
  // Unfused: −mean(y·log p + (1 − y)·log(1 − p)) from primitive ops.
  let one = try graph.add(.constant(Tensor(scalar: 1)), [])
  let logP = try graph.add(.log, [p])
  let logQ = try graph.add(.log, [try graph.add(.subtract, [one, p])])
  let q = try graph.add(.subtract, [one, y])
  let terms = try graph.add(.add, [try graph.add(.multiply, [y, logP]),
                                   try graph.add(.multiply, [q, logQ])])
  let unfused = try graph.add(.negate, [try graph.add(.mean(axis: nil), [terms])])
  let fusedGradient = try graph.differentiate(fused, withRespectTo: [z])
  let unfusedGradient = try graph.differentiate(unfused, withRespectTo: [z])
  let store = ParameterStore<Double>(shapes: [[3, 2]])
  store.assign(0, logits)
  var values: [([Double], Double)] = []
  for (loss, gradient) in [(fused, fusedGradient), (unfused, unfusedGradient)] {
    let plan = try Plan(graph: graph, outputs: [loss], gradients: gradient, parameters: store,
                        training: true)
    plan.setInput(0, targets)
    var generator = RandomGenerator(seed: 0)
    plan.run(random: &generator)
    values.append((Array(plan.gradientBuffer), plan.values(loss)[0]))
  }
  // z = 40: σ(z) rounds to 1 in Double, so the unfused form loses log(1 − p) entirely there;
  // compare the first five elements, and check the fused value by its formula.
  var expected = 0.0
  for i in 0..<6 {
    let z = logits[i]
    expected += Swift.max(z, 0) - z * targets[i] + Foundation.log1p(Foundation.exp(-Swift.abs(z)))
  }
  #expect(Swift.abs(values[0].1 - expected / 6) < 1e-14)
  for i in 0..<5 { #expect(Swift.abs(values[0].0[i] - values[1].0[i]) < 1e-12) }
  let sigmoid40 = 1 / (1 + Foundation.exp(-40.0))
  #expect(Swift.abs(values[0].0[5] - (sigmoid40 - 1) / 6) < 1e-15)
}

@Test func unfusedBinaryCrossEntropyClampsTheLog() throws {
  var graph = Graph()
  let p = graph.input(0, shape: [2])
  let y = graph.input(1, shape: [2])
  let loss = try graph.add(.loss(.bce), [p, y])
  let plan = try Plan(graph: graph, outputs: [loss], gradients: [],
                      parameters: ParameterStore<Double>(shapes: []), training: false)
  plan.setInput(0, [0, 1])
  plan.setInput(1, [1, 0])
  var random = RandomGenerator(seed: 0)
  plan.run(random: &random)
  #expect(plan.values(loss)[0] == 100)
}
