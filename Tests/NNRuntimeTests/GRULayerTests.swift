import Foundation
import Testing
@testable import NNRuntime

// gru against PyTorch: Fixtures/layers/gru.json, written by scripts/make_gru_fixtures.py
// (nn.GRU, batch_first, zero state). Each case goes through the declaration: a Network of one
// GRU, lowered to its fused op for the fixture's batch, then a Double plan (float64
// tolerance) and a Float plan (float32 tolerance) compute the output and the gradients of
// L = sum(output · G) wrt the input and all four parameters.

private let gruFixtures = SequenceFixtureFile.load("gru")
private let gruParameterNames = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

/// Runs one case in precision T through the layer: output and gradients by name.
private func runGRUCase<T: PlanScalar>(
  _ c: SequenceFixtureCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  let x = try #require(c.input)
  let (batch, time, features) = (x.shape[0], x.shape[1], x.shape[2])
  var random = RandomGenerator(seed: 3)
  let net = try NetworkBuilder.build(
    input: [time, features], [GRU(units: c.units!, returnSequences: c.returnSequences!)],
    random: &random)
  #expect(net.parameterNames == gruParameterNames.map { "gru1." + $0 })
  var graph = Graph()
  let lowered = try net.lower(into: &graph, batch: batch)
  let g = graph.input(1, shape: c.gradOutput.shape)
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [lowered.output, g])])
  let gradients = try graph.differentiate(
    loss, withRespectTo: [lowered.input] + lowered.parameterNodes)
  let store = ParameterStore<T>(shapes: net.parameters.shapes)
  for (i, name) in gruParameterNames.enumerated() {
    let values = try #require(c.params[name], "\(c.name): no \(name)")
    #expect(values.shape == store.shapes[i], "\(c.name): \(name)")
    store.assign(i, values.data.map(\.value))
  }
  let plan = try Plan(graph: graph, outputs: [lowered.output, gradients[0]],
                      gradients: Array(gradients.dropFirst()).map { Optional($0) },
                      parameters: store, training: true)
  plan.setInput(0, x.data.map(\.value))
  plan.setInput(1, c.gradOutput.data.map(\.value))
  var generator = RandomGenerator(seed: 1)
  plan.run(random: &generator)
  var grads = ["input": plan.values(gradients[0]).map { Double($0) }]
  for (i, name) in gruParameterNames.enumerated() {
    grads[name] = (0..<store.shapes[i].reduce(1, *)).map {
      Double(plan.gradientBuffer[store.offsets[i] + $0])
    }
  }
  #expect(graph.shape(of: lowered.output) == c.output.shape)
  return (plan.values(lowered.output).map { Double($0) }, grads)
}

private func agrees(
  _ actual: [Double], _ expected: FixtureTensor, _ tolerance: LayerFixtureTolerance
) -> Bool {
  actual.count == expected.data.count && zip(actual, expected.data).allSatisfy { a, e in
    Swift.abs(a - e.value) <= tolerance.atol + tolerance.rtol * Swift.abs(e.value)
  }
}

@Test(arguments: gruFixtures.cases.map(\.name))
func gruLayerMatchesPyTorch(_ name: String) throws {
  let c = try #require(gruFixtures.cases.first { $0.name == name })
  for precision in ["float64", "float32"] {
    let tolerance = try #require(gruFixtures.tolerance[precision])
    let result = precision == "float64"
      ? try runGRUCase(c, as: Double.self) : try runGRUCase(c, as: Float.self)
    #expect(agrees(result.output, c.output, tolerance), "\(name) \(precision): output")
    for key in ["input"] + gruParameterNames {
      let expected = try #require(c.grads[key], "\(name): the fixture has no gradient of \(key)")
      #expect(agrees(try #require(result.grads[key]), expected, tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
  }
}

@Test func gruFixturesCoverOneStepLongerSequencesAndBothOutputs() {
  let cases = gruFixtures.cases
  #expect(cases.count >= 6)
  #expect(cases.contains { $0.input?.shape[1] == 1 })
  #expect(cases.contains { ($0.input?.shape[1] ?? 0) > 1 && $0.input?.shape[2] != $0.units })
  #expect(Set(cases.compactMap(\.returnSequences)) == [false, true])
}

@Test func gruSequencesAreEveryHiddenStateOfPyTorch() throws {
  for c in gruFixtures.cases where c.returnSequences == true {
    let hidden = try #require(c.hidden)
    let result = try runGRUCase(c, as: Double.self)
    #expect(agrees(result.output, hidden, LayerFixtureTolerance(rtol: 1e-12, atol: 1e-12)))
  }
}

@Test func gruLowersToOneFusedOp() throws {
  var random = RandomGenerator(seed: 0)
  let net = try NetworkBuilder.build(input: [3, 2], [GRU(units: 4, returnSequences: true)],
                                     random: &random)
  var graph = Graph()
  let lowered = try net.lower(into: &graph, batch: 2)
  #expect(graph[lowered.output].op
          == .sequences(.gru(GRUGeometry(time: 3, features: 2, units: 4,
                                         returnSequences: true))))
  #expect(graph.nodes.filter { $0.op == .linear }.isEmpty)
  #expect(net.layers[0].outputShape == [3, 4])
  #expect(net.parameters.shapes == [[12, 2], [12, 4], [12], [12]])
  // Its gradient: one BPTT node and one node per operand.
  let loss = try graph.add(.sum(axis: nil), [lowered.output])
  _ = try graph.differentiate(loss, withRespectTo: [lowered.input] + lowered.parameterNodes)
  #expect(graph.nodes.filter { $0.op.name == "gru_bptt" }.count == 1)
  #expect(graph.nodes.filter { $0.op.name.hasPrefix("gru_grad_") }.count == 5)
}

@Test func gruRunsLongSequences() throws {
  // A fused op has no unrolling limit: 5,000 steps are one node, forward and backward.
  var random = RandomGenerator(seed: 0)
  let net = try NetworkBuilder.build(input: [5000, 1], [GRU(units: 2)], random: &random)
  var graph = Graph()
  let lowered = try net.lower(into: &graph, batch: 1)
  #expect(graph.nodes.count < 10)
  #expect(graph.shape(of: lowered.output) == [1, 2])
}

@Test func gruStartsAsPyTorchUniformly() throws {
  var random = RandomGenerator(seed: 5)
  let net = try NetworkBuilder.build(input: [2, 3], [GRU(units: 16)], random: &random)
  let bound = Float(1 / 4.0)
  for i in 0..<net.parameterNames.count {
    let values = net.parameters.tensor(i).scalars
    #expect(values.allSatisfy { abs($0) <= bound })
    #expect(values.contains { abs($0) > bound / 2 })
  }
  #expect(net.weightMask == [true, true, false, false])
}

@Test func gruResolutionErrorsNameTheLayerAndTheShape() {
  var random = RandomGenerator(seed: 0)
  do {
    _ = try NetworkBuilder.build(input: [4], [GRU(units: 2)], random: &random)
    Issue.record("a gru over vectors resolved")
  } catch {
    #expect(error.message == "gru1: a gru needs sequences of shape [time, features] per sample, "
            + "but its input has shape [4]")
    #expect(error.hint?.contains("embedding") == true)
  }
}

@Test func gruBackwardJoinsTheStepGradientsWithOneConcat() throws {
  // Every step slices the input projection; summing T zero-filled slice gradients would cost
  // O(T²), so autodiff joins slice gradients that tile an axis into one concat.
  // (The gru composed from primitive ops, as RecurrentCompositionTests builds it.)
  let time = 5
  var graph = Graph()
  let shapes = [[2, time, 2], [9, 2], [9, 3], [9], [9]]
  let p = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let output = try composedGRU(GRUGeometry(time: time, features: 2, units: 3,
                                           returnSequences: false),
                               batch: 2, x: p[0], weightIH: p[1], weightHH: p[2], biasIH: p[3],
                               biasHH: p[4], into: &graph)
  let loss = try graph.add(.sum(axis: nil), [output])
  _ = try graph.differentiate(loss, withRespectTo: Array(p.dropFirst()))
  let joins = graph.nodes.filter {
    if case .shaping(.concat(axis: 1, count: time)) = $0.op { return true }
    return false
  }
  #expect(joins.count == 1)
  #expect(joins.first?.shape == [2, time, 9])
}

@Test func tiledSliceGradientsAreAConcatAndOthersStillAdd() throws {
  // x [2, 6]: columns 0..<2 and 2..<6 tile it; a third use of the whole x adds on top.
  var graph = Graph()
  let x = graph.parameter(0, shape: [2, 6])
  let left = try graph.add(.slice(SliceRange(axis: 1, start: 0, end: 2)), [x])
  let right = try graph.add(.slice(SliceRange(axis: 1, start: 2, end: 6)), [x])
  let terms = [try graph.add(.sum(axis: nil), [try graph.add(.multiply, [left, left])]),
               try graph.add(.sum(axis: nil), [right]),
               try graph.add(.sum(axis: nil), [try graph.add(.multiply, [x, x])])]
  let loss = try graph.add(.add, [try graph.add(.add, [terms[0], terms[1]]), terms[2]])
  let gradient = try graph.differentiate(loss, withRespectTo: [x])[0]
  let store = ParameterStore<Double>(shapes: [[2, 6]])
  let values = (0..<12).map { Double($0) - 5 }
  store.assign(0, values)
  let plan = try Plan(graph: graph, outputs: [gradient], gradients: [], parameters: store,
                      training: true)
  var generator = RandomGenerator(seed: 1)
  plan.run(random: &generator)
  // d/dx: 2x + 2x on the left columns, 1 + 2x on the right.
  let expected = values.enumerated().map { i, v in i % 6 < 2 ? 4 * v : 1 + 2 * v }
  #expect(plan.values(gradient) == expected)
  #expect(graph.nodes.contains {
    if case .shaping(.concat(axis: 1, count: 2)) = $0.op { return true }
    return false
  })
}
