import Testing
@testable import NNRuntime

// The contract of `Graph.differentiate` and of gradient placement in a plan.

private func runDouble(
  _ graph: Graph, outputs: [NodeID], gradients: [NodeID?], store: ParameterStore<Double>,
  inputs: [Int: [Double]] = [:]
) throws -> Plan<Double> {
  let plan = try Plan(graph: graph, outputs: outputs, gradients: gradients, parameters: store,
                      training: true)
  for (index, values) in inputs { plan.setInput(index, values) }
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  return plan
}

@Test func unrelatedTargetsGetZeroGradients() throws {
  var graph = Graph()
  let used = graph.parameter(0, shape: [3])
  let unused = graph.parameter(1, shape: [2, 2])
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.exp, [used])])
  let gradients = try graph.differentiate(loss, withRespectTo: [used, unused])
  #expect(graph.shape(of: gradients[1]) == [2, 2])
  let store = ParameterStore<Double>(shapes: [[3], [2, 2]])
  store.assign(0, [0, 1, 2])
  store.assign(1, [5, 5, 5, 5])
  let plan = try runDouble(graph, outputs: [loss], gradients: gradients, store: store)
  let buffer = Array(plan.gradientBuffer)
  #expect(Swift.abs(buffer[1] - 2.718281828459045) < 1e-15)
  #expect(Array(buffer[3...]) == [0, 0, 0, 0])
}

@Test func gradientsOfInputsAndIntermediates() throws {
  var graph = Graph()
  let x = graph.input(0, shape: [2])
  let squared = try graph.add(.multiply, [x, x])
  let loss = try graph.add(.sum(axis: nil), [squared])
  let gradients = try graph.differentiate(loss, withRespectTo: [x, squared, loss])
  let plan = try runDouble(graph, outputs: gradients, gradients: [],
                           store: ParameterStore(shapes: []), inputs: [0: [3, -4]])
  #expect(plan.values(gradients[0]) == [6, -8])
  #expect(plan.values(gradients[1]) == [1, 1])
  #expect(plan.values(gradients[2]) == [1])
}

@Test func oneGradientNodeForTwoParametersIsCopied() throws {
  // d(sum(a + b))/da and /db are the same node; each parameter still gets its own slot.
  var graph = Graph()
  let a = graph.parameter(0, shape: [3])
  let b = graph.parameter(1, shape: [3])
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.add, [a, b])])
  let gradients = try graph.differentiate(loss, withRespectTo: [a, b])
  #expect(gradients[0] == gradients[1])
  let plan = try runDouble(graph, outputs: [loss], gradients: gradients,
                           store: ParameterStore(shapes: [[3], [3]]))
  #expect(Array(plan.gradientBuffer) == [1, 1, 1, 1, 1, 1])
  #expect(plan.listing.contains("copy"))
}

@Test func parametersWithoutGradientStayZero() throws {
  var graph = Graph()
  let w = graph.parameter(0, shape: [2])
  let frozen = graph.parameter(1, shape: [2])
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [w, frozen])])
  let gradients = try graph.differentiate(loss, withRespectTo: [w])
  let store = ParameterStore<Double>(shapes: [[2], [2]])
  store.assign(1, [3, 4])
  let plan = try runDouble(graph, outputs: [loss], gradients: [gradients[0], nil], store: store)
  #expect(Array(plan.gradientBuffer) == [3, 4, 0, 0])
}

@Test func differentiateRejectsNonScalarLossesAndSecondDerivatives() throws {
  var graph = Graph()
  let x = graph.parameter(0, shape: [2])
  let y = try graph.add(.exp, [x], tag: 9)
  #expect(throws: GraphError(message: "differentiate: the loss must be a scalar (0-d), not shape "
                             + "[2]", node: y, tag: 9)) {
    _ = try graph.differentiate(y, withRespectTo: [x])
  }
  let z = try graph.add(.linear, [try graph.add(.reshape([1, 2]), [x]),
                                  try graph.add(.reshape([1, 2]), [x])])
  let loss = try graph.add(.sum(axis: nil), [z])
  let first = try graph.differentiate(loss, withRespectTo: [x])
  let total = try graph.add(.sum(axis: nil), [first[0]])
  #expect(throws: GraphError.self) {
    _ = try graph.differentiate(total, withRespectTo: [x])
  }
}

@Test func planRejectsMismatchedParameterShapes() {
  var graph = Graph()
  let w = graph.parameter(0, shape: [2, 3])
  #expect(throws: GraphError(message: "plan: parameter 0 has shape [2, 3] in the graph but "
                             + "[3, 2] in the store", node: w)) {
    _ = try Plan(graph: graph, outputs: [w], gradients: [],
                 parameters: ParameterStore<Float>(shapes: [[3, 2]]), training: false)
  }
}

@Test func gradientRegionMatchesTheStoreLayout() throws {
  let net = try multilayerPerceptron([3, 4, 2], batch: 2, activation: .sigmoid)
  let store = ParameterStore<Float>(shapes: net.shapes)
  #expect(store.offsets == [0, 12, 16, 24])
  let plan = try Plan(graph: net.0, outputs: [net.loss], gradients: net.gradients,
                      parameters: store, training: true)
  #expect(plan.gradientBuffer.count == store.count)
  // Parameter tensors round-trip through the store.
  let weight = Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0) })
  store.assign(0, weight)
  #expect(store.tensor(0) == weight)
  let doubles = store.converted(to: Double.self)
  #expect(doubles.tensor(0) == weight)
  let copy = ParameterStore<Float>(shapes: net.shapes)
  copy.copy(from: store)
  #expect(copy.tensor(0) == weight)
}
